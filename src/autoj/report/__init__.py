"""HTML report of judge results: `write_report(["a.jsonl", "b.jsonl"], "report.html")`.

One self-contained file (plotly.js inline; works offline): summary table, per-group agreement and
consistency with confidence intervals, confusion matrix, position and length bias, rating
histogram and a filterable, sortable list of items with critiques (input order first). Several
files compare judges. Needs the `report` extra (plotly).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from autoj.errors import MissingExtraError

if importlib.util.find_spec("plotly") is None:
    raise MissingExtraError("autoj report", "report", "plotly")

from autoj.report.data import Run, load_run, load_runs
from autoj.report.page import render


def render_report(paths: Sequence[str | Path], title: str = "autoj report") -> str:
    """The report page for these results files, as a string."""
    return render(load_runs(paths), title)


def write_report(paths: Sequence[str | Path], output: str | Path, title: str = "autoj report") -> Path:
    """Write the report for these results files; returns the output path."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_report(paths, title), encoding="utf-8")
    return output


__all__ = ["Run", "load_run", "load_runs", "render", "render_report", "write_report"]
