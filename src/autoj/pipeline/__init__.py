"""Building judge training data the Auto-J way (arXiv 2310.05470, section 3).

ingest -> classify -> balance -> teacher -> filter -> distil (+ swap) -> export. Each stage is a
pure function over samples (`ingest`, `classify`, `balance`, `filter_results`, `distil`,
`export_rows`) and a resumable file-to-file step in `autoj.pipeline.files` used by
`autoj pipeline ...`.
"""

from autoj.pipeline.balance import PAPER_CAP, balance
from autoj.pipeline.classify import classify
from autoj.pipeline.distill import TrainingSample, distil
from autoj.pipeline.export import EXPORT_FORMATS, export_rows, sft_row
from autoj.pipeline.filter import drop_reason, filter_results
from autoj.pipeline.ingest import ingest
from autoj.pipeline.records import read_samples, write_samples
from autoj.pipeline.sources import CONVERTERS, SourceFields, split_hh, unfill_single
from autoj.pipeline.swap import swap_references
from autoj.pipeline.teacher import TeacherProtocol, estimate_tokens, teacher_system

__all__ = [
    "CONVERTERS",
    "EXPORT_FORMATS",
    "PAPER_CAP",
    "SourceFields",
    "TeacherProtocol",
    "TrainingSample",
    "balance",
    "classify",
    "distil",
    "drop_reason",
    "estimate_tokens",
    "export_rows",
    "filter_results",
    "ingest",
    "read_samples",
    "sft_row",
    "split_hh",
    "swap_references",
    "teacher_system",
    "unfill_single",
    "write_samples",
]
