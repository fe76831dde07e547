"""Results as a pandas DataFrame in one call, for notebooks: one row per judged item, flat columns.

The columns are the fields of a results file line, nested ones joined with dots (`item.query`,
`judgment.critique`, `swapped.verdict`, `provenance.judge`, `provenance.params.max_new_tokens`),
so a frame and a results file say the same thing under the same names, plus a few columns read
off the line (`LEAD_COLUMNS`). Lists (prompt hashes, token counts per order) stay lists in their
cell. pandas is the optional `frames` extra.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoj.errors import MissingExtraError
from autoj.io.results import Result, read_results
from autoj.stats.winrate import model_outcome, preference_of
from autoj.types import Verdict

if TYPE_CHECKING:
    import pandas as pd

#: The columns people read first, in this order (those a frame has); the rest follow as a line
#: holds them, provenance last. `outcome` and the `*_length` columns are read off the line.
LEAD_COLUMNS = (
    "id",
    "item.meta.model",  # evaluate: the model under test
    "item.scenario",
    "verdict",  # with both orders, the agreed verdict (a tie when the orders disagree)
    "outcome",  # evaluate: model won / reference won / tie, as the board's win rate counts it
    "rating",
    "swapped_verdict_mapped_back",  # the swapped order's verdict in the item's order
    "consistent",
    "item.human_label",
    "item.reference_score",
    "status",
    "response_length",
    "response_1_length",
    "response_2_length",
    "judgment.critique",
    "item.query",
    "item.response",
    "item.response_1",
    "item.response_2",
)
#: The columns that come last: how each judgment was made.
LAST_PREFIX = "provenance."


def flat_record(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested mapping as one level, keys joined with dots; values other than mappings kept."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flat_record(value, f"{name}."))
        else:
            flat[name] = None if isinstance(value, Mapping) else value
    return flat


def read_off(record: Mapping[str, Any]) -> dict[str, Any]:
    """The columns a line implies: each response's length in characters (as the board's
    `avg_length`), and for a pair judged against a reference (`evaluate`: `item.meta.reference_side`)
    who won from the model's side, from the same preference the win rate averages."""
    item = record.get("item")
    if not isinstance(item, Mapping):
        return {}
    found: dict[str, Any] = {
        f"{name}_length": len(item[name])
        for name in ("response", "response_1", "response_2")
        if isinstance(item.get(name), str)
    }
    meta = item.get("meta")
    side = meta.get("reference_side") if isinstance(meta, Mapping) else None
    if side is not None and record.get("kind") == "pairwise":
        verdict = record.get("verdict")
        found["outcome"] = None if verdict is None else model_outcome(preference_of(Verdict(verdict), side))
    return found


def ordered_columns(columns: Sequence[str]) -> list[str]:
    """`columns` with LEAD_COLUMNS first (in their order) and provenance last."""
    lead = [name for name in LEAD_COLUMNS if name in columns]
    rest = [name for name in columns if name not in lead]
    return (
        lead
        + [n for n in rest if not n.startswith(LAST_PREFIX)]
        + [n for n in rest if n.startswith(LAST_PREFIX)]
    )


def results_frame(results: Iterable[Result | Mapping[str, Any]] | str | Path) -> pd.DataFrame:
    """A DataFrame of results: Result objects, results-file records, or a results file's path.

    Rows keep the given order; a column a row lacks (a rating in a pairwise row) is missing there.
    Columns lead with what people read (LEAD_COLUMNS, those present): `id`; evaluate's model
    (`item.meta.model`); `item.scenario`; `verdict` (with both orders, the agreed one: a tie when
    the orders disagree); evaluate's `outcome` ("model won", "reference won" or "tie": the board's
    win rate is the share of "model won" plus half the share of "tie"); `rating`;
    `swapped_verdict_mapped_back` (the swapped order's verdict in the item's order, where
    `response_1` is the item's Response 1; the raw `swapped.verdict` is as the judge wrote it on
    the swapped prompt, whose Response 1 is the item's Response 2); `consistent`; the human label
    or reference score; `status`; each response's length in characters; `judgment.critique`;
    then the texts. Every other field follows, provenance last.
    """
    if importlib.util.find_spec("pandas") is None:
        raise MissingExtraError("autoj.results_frame", "frames", "pandas")
    import pandas as pd

    source = read_results(results) if isinstance(results, str | Path) else results
    rows = []
    for result in source:
        record = result.to_dict() if isinstance(result, Result) else result
        rows.append(flat_record(record) | read_off(record))
    frame = pd.DataFrame.from_records(rows)
    return frame[ordered_columns(list(frame.columns))]
