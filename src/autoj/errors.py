"""Errors a user can act on. The CLI prints them without a stack trace."""

from __future__ import annotations

from dataclasses import dataclass


class AutojError(Exception):
    """Base class for mistakes in input or configuration that the user can fix."""


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
    """One or more records of an input file are invalid."""

    def __init__(self, problems: list[InputProblem], hint: str = "") -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        tail = f"\n{hint}" if hint else ""
        super().__init__(f"{len(problems)} invalid record(s):\n{shown}{more}{tail}")
