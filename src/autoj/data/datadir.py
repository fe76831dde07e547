"""Where the public research data lives (Auto-J test sets, AlpacaEval outputs, ...).

The files are never part of this repository: users point `AUTOJ_DATA_DIR` at a copy, and a
development checkout falls back to `../shared/data` beside the project root.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "AUTOJ_DATA_DIR"


def _candidates() -> list[Path]:
    found: list[Path] = []
    configured = os.environ.get(ENV_VAR)
    if configured:
        found.append(Path(configured).expanduser())
    project_root = Path(__file__).resolve().parents[3]  # src/autoj/data/datadir.py
    found.append(project_root.parent / "shared" / "data")
    found.append(Path.cwd().parent / "shared" / "data")
    return found


def data_dir() -> Path | None:
    """The first existing data directory, or None when no copy is reachable."""
    for candidate in _candidates():
        if candidate.is_dir():
            return candidate
    return None


def data_path(relative: str) -> Path | None:
    """The path of one data file under the data directory, or None if it is not there."""
    root = data_dir()
    if root is None:
        return None
    path = root / relative
    return path if path.exists() else None


def missing_data_message(relative: str) -> str:
    """What to tell a user whose data file cannot be found."""
    return (
        f"data file {relative!r} not found: set {ENV_VAR} to a directory that holds it "
        f"(looked in: {', '.join(str(p) for p in _candidates())})"
    )
