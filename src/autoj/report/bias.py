"""The bias panel and the judge's warnings as HTML, for both report pages."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from autoj.trust.bias import panel_lines

WARN_CSS = (
    ".warn{background:#fde2e1;border-left:4px solid #c0392b;padding:6px 10px;margin:6px 0;font-size:13px}"
)


def panel_table(data: Mapping[str, Any], caption: str = "Biases") -> str:
    """The panel (`BiasPanel.to_dict()`): the judge's figures beside people's."""
    if not data:
        return ""
    rows = "".join(
        f'<tr><td>{html.escape(label)}</td><td class="num">{html.escape(judge)}</td>'
        f'<td class="num">{html.escape(people)}</td></tr>'
        for label, judge, people in panel_lines(data)
    )
    return (
        f"<table><caption>{html.escape(caption)} ({data.get('n', 0)} pairs)</caption>"
        f"<thead><tr><th>figure</th><th>judge</th><th>people</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def warning_boxes(warnings: Sequence[str]) -> str:
    return "".join(f'<div class="warn">{html.escape(w)}</div>' for w in warnings)
