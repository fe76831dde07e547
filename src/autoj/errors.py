"""Errors a user can act on. The CLI prints them as one line, without a stack trace.

`exit_code` tells the CLI how to end: 2 for a mistake in how autoj was called (a flag, a file, a
setup), 1 for a run that could not do its work (a model that does not load, a full disk).
"""

from __future__ import annotations

from dataclasses import dataclass


class AutojError(Exception):
    """Base class for mistakes in input or configuration that the user can fix."""

    exit_code: int = 2


class RunFailure(AutojError):
    """The run was set up right but could not do its work; the message says why and what to do."""

    exit_code = 1


class BackendLoadError(RunFailure):
    """A judge's model or engine cannot be loaded: nothing can be judged, so the run stops at once.

    Not a ValueError on purpose: the engine treats ValueError from a context cut as a per-item
    failure, and a load failure must never be mistaken for one.
    """


class OutputBusy(RunFailure):
    """Another run holds the output file's lock."""


class MissingExtraError(AutojError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the optional dependency {module!r}: "
            f"install it with: pip install 'autoj[{extra}]'"
        )
        self.extra = extra


@dataclass(frozen=True)
class InputProblem:
    """One bad record in an input file: where it is and what to do about it."""

    path: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.field:
            where += f" field {self.field!r}"
        return f"{where}: {self.message}"


class InputError(AutojError):
    """One or more records of an input file are invalid; a single problem is said in one line."""

    def __init__(self, problems: list[InputProblem], hint: str = "") -> None:
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"{problems[0]}" + (f" ({hint})" if hint else ""))
            return
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        tail = f"\n{hint}" if hint else ""
        super().__init__(f"{len(problems)} invalid record(s):\n{shown}{more}{tail}")
