"""Running the teacher over samples into a results file: resumable, with token costs before and after."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autoj.io.results import read_results
from autoj.pipeline.teacher import estimate_tokens
from autoj.run.judge import Judge
from autoj.run.runner import run_to_file
from autoj.types import Item


def run_teacher(
    judge: Judge,
    samples: Sequence[Item],
    output: str | Path,
    overwrite: bool = False,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Judge every sample not yet in `output`; returns the run's report (tokens estimated and spent).

    The results file is the stage's memory: a re-run judges only what is missing, and teacher
    calls that failed in the backend are retried.
    """
    output = Path(output)
    estimate = estimate_tokens(
        judge.protocol, samples, judge.params.max_new_tokens, judge.backend.count_tokens
    )
    summary = judge.run(
        run_to_file(judge.engine(both_orders=False), samples, output, overwrite=overwrite, progress=progress)
    )
    wanted = {s.id for s in samples}
    statuses = Counter(r.status for r in read_results(output) if r.id in wanted)
    return {
        "stage": "teacher",
        "judge": judge.spec,
        "protocol": judge.protocol.id,
        "before": estimate.to_dict(),
        "after": {
            "judged_now": summary.judged,
            "already_done": summary.already_done,
            "prompt_tokens": summary.prompt_tokens,
            "completion_tokens": summary.completion_tokens,
            "elapsed_s": summary.elapsed_s,
        },
        "statuses": dict(statuses.most_common()),
    }
