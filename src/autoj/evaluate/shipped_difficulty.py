"""AlpacaEval 2's instruction difficulty as shipped with autoj: estimated here, the authors' way,
from the 20 public annotation sets, so that one model evaluated alone gets a length-controlled
win rate without the other models (the joint fit needs three or more).

The file (`data/alpaca_eval_2_difficulty.json`) is made by `scripts/make_alpaca_eval_difficulty.py`
and keyed by a hash of the instruction text, so any file holding AlpacaEval's 805 instructions
matches it whatever its order. Besides the difficulty it holds the judge's length slope, from
which the single-model fit's regularisation rows are made.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from autoj.evaluate.comparisons import Comparison

DATA_FILE = Path(__file__).parent / "data" / "alpaca_eval_2_difficulty.json"


def instruction_hash(text: str) -> str:
    """The key of an instruction in the shipped file: the first 16 hex digits of the SHA-256 of
    its text without surrounding whitespace."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ShippedDifficulty:
    """Instruction difficulty of one judge against one reference, and how it was made."""

    judge: str
    reference: str
    length_slope: float
    by_hash: dict[str, float]
    models: tuple[str, ...]
    about: str

    def matches(self, judge: str | None, reference: str) -> bool:
        """Whether these are the judge and reference the values were estimated for."""
        return judge == self.judge and reference == self.reference

    def covering(self, comparisons: Iterable[Comparison]) -> dict[str, float] | None:
        """Difficulty by comparison key when every instruction is in the file, else None."""
        found: dict[str, float] = {}
        for comparison in comparisons:
            value = self.by_hash.get(instruction_hash(comparison.instruction))
            if value is None:
                return None
            found[comparison.key] = value
        return found or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "about": self.about,
            "judge": self.judge,
            "reference": self.reference,
            "models": list(self.models),
            "length_slope": round(self.length_slope, 6),
            "difficulty": {k: round(v, 6) for k, v in sorted(self.by_hash.items())},
        }


def from_fit(
    difficulty: Mapping[str, float],
    instructions: Mapping[str, str],
    *,
    judge: str,
    reference: str,
    length_slope: float,
    models: Sequence[str],
    about: str,
) -> ShippedDifficulty:
    """The shipped form of a joint fit: `difficulty` by comparison key, `instructions` the text of
    each key."""
    by_hash = {instruction_hash(instructions[key]): value for key, value in difficulty.items()}
    return ShippedDifficulty(judge, reference, length_slope, by_hash, tuple(models), about)


@lru_cache(maxsize=1)
def shipped() -> ShippedDifficulty:
    """The values that ship with autoj."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return ShippedDifficulty(
        judge=data["judge"],
        reference=data["reference"],
        length_slope=float(data["length_slope"]),
        by_hash={k: float(v) for k, v in data["difficulty"].items()},
        models=tuple(data["models"]),
        about=data["about"],
    )
