"""Figures remembered by the exact numbers they are computed from.

A fit given the same input arrays and options by the same code and libraries gives the same
numbers, so a re-run of a board may read them back instead of fitting again (the length-control
cross-validation and the Bradley-Terry bootstrap are most of a cached re-run's time). The key is
a digest of every input array's bytes, shape and type, every option, the source of the modules
that compute the figure and the numeric libraries' versions: any change computes afresh. The
store is the caller's (the judgment cache); this module only names keys and encodings.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

T = TypeVar("T")
#: One input of a figure: an array, or an option (numbers, text, sequences of them).
Part = np.ndarray | str | float | int | bool | None | Sequence[str] | Sequence[float]

_LIBRARIES = ("numpy", "scipy", "scikit-learn")


class Memo(Protocol):
    """A store of encoded figures by key (None: not there, or the store is off)."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


@cache
def code_digest(modules: tuple[str, ...]) -> str:
    """The source of `modules` and the numeric libraries' versions, digested: new code, new keys."""
    digest = hashlib.sha256()
    for name in (*modules, __name__):
        digest.update(name.encode())
        digest.update(Path(sys.modules[name].__file__ or "").read_bytes())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}=={version(library)}".encode())
        except PackageNotFoundError:
            digest.update(f"{library} absent".encode())
    return digest.hexdigest()


def figure_key(kind: str, modules: tuple[str, ...], parts: Sequence[Part]) -> str:
    """The key of figure `kind` computed by `modules` from `parts` (arrays by their exact bytes)."""
    digest = hashlib.sha256(f"autoj-figure:{kind}:{code_digest(modules)}".encode())
    for part in parts:
        if isinstance(part, np.ndarray):
            array = np.ascontiguousarray(part)
            digest.update(f"array:{array.dtype.str}:{array.shape}:".encode())
            digest.update(array.tobytes())
        else:
            digest.update(f"value:{json.dumps(part, sort_keys=True)}:".encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def remembered(
    memo: Memo | None,
    key_of: Callable[[], str],
    compute: Callable[[], T],
    encode: Callable[[T], str],
    decode: Callable[[str], T],
) -> T:
    """`compute()`, read from `memo` when it holds the key `key_of()` names (digested only with a
    memo) and stored there when it did not."""
    if memo is None:
        return compute()
    key = key_of()
    found = memo.get(key)
    if found is not None:
        try:
            return decode(found)
        except (ValueError, KeyError, TypeError):
            pass  # an entry this code cannot read: computed afresh and stored over
    value = compute()
    memo.put(key, encode(value))
    return value
