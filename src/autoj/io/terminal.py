"""What autoj prints to a terminal: text from outside (a server's answer, a judged response, an
id) with its control characters shown escaped, never obeyed.

A judged text or a server's error may hold `ESC [2J` (clear the screen), an OSC title or
hyperlink, a bell or a carriage return that overwrites the line before it. Every console autoj
prints through is a `Console` from here: text is escaped as rich turns it into output, after
markup and layout, so autoj's own colours and progress bars (rich's control segments) still work.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from typing import Any

from rich.console import Console as RichConsole
from rich.segment import Segment

#: C0 controls but newline and tab, DEL, and the C1 controls (U+0080-U+009F, e.g. the 8-bit CSI)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: Columns used when output is not a terminal (a pipe, a file, a test): wide enough for tables
#: and option names, where rich would otherwise assume 80 and cut them.
PIPE_WIDTH = 120


def terminal_safe(text: str) -> str:
    """`text` with every control character but newline and tab written as an escape (`\\x1b`)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def output_width() -> int | None:
    """The width to lay out for: the terminal's own, else $COLUMNS, else PIPE_WIDTH for a pipe."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if os.isatty(1) or os.isatty(2):
        return None  # rich asks the terminal
    return max(shutil.get_terminal_size((PIPE_WIDTH, 24)).columns, PIPE_WIDTH)


class Console(RichConsole):
    """rich's Console that escapes control characters in the text it prints."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("width", output_width())
        super().__init__(*args, **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # a segment with `control` set is rich's own (cursor moves of a progress bar): kept
        safe = (seg if seg.control else Segment(terminal_safe(seg.text), seg.style) for seg in buffer)
        return super()._render_buffer(safe)
