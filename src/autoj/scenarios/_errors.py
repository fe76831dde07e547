"""Typed errors for criteria files: each names the file and the key a user has to fix."""

from __future__ import annotations

from autoj.errors import AutojError


class CriteriaError(AutojError):
    """A criteria file is malformed; `path` and `key` say where."""

    def __init__(self, path: str, key: str, message: str) -> None:
        super().__init__(f"{path}: {key}: {message}")
        self.path = path
        self.key = key


class CriteriaCycleError(CriteriaError):
    """Criteria sets inherit from each other in a loop."""


class UnknownBaseError(CriteriaError):
    """A set or scenario inherits from a base that no file defines."""


class DuplicateCriterionError(CriteriaError):
    """Two different criteria with one name would end up in the same resolved list."""
