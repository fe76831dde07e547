"""Results as a pandas DataFrame in one call, for notebooks: one row per judged item, flat columns.

The columns are the fields of a results file line, nested ones joined with dots (`item.query`,
`judgment.critique`, `swapped.verdict`, `provenance.judge`, `provenance.params.max_new_tokens`),
so a frame and a results file say the same thing under the same names. Lists (prompt hashes,
token counts per order) stay lists in their cell. pandas is the optional `frames` extra.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autoj.errors import MissingExtraError
from autoj.io.results import Result, read_results

if TYPE_CHECKING:
    import pandas as pd


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


def results_frame(results: Iterable[Result | Mapping[str, Any]] | str | Path) -> pd.DataFrame:
    """A DataFrame of results: Result objects, results-file records, or a results file's path.

    Rows keep the given order; a column a row lacks (a rating in a pairwise row) is missing there.
    """
    if importlib.util.find_spec("pandas") is None:
        raise MissingExtraError("autoj.results_frame", "frames", "pandas")
    import pandas as pd

    source = read_results(results) if isinstance(results, str | Path) else results
    rows = [flat_record(r.to_dict() if isinstance(r, Result) else r) for r in source]
    return pd.DataFrame.from_records(rows)
