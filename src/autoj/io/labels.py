"""Human labels of pairwise data, mapped to verdicts the same way by every command that reads them.

Words (`A`/`B`/`tie`, `response_1`, `win`/`lose`, ...) mean one thing wherever they appear. Numbers
do not: Auto-J writes 0/1/2 (response 1 / response 2 / tie) while alpaca_eval's `preference` writes
1/2 for the two outputs and 0 or 1.5 for a tie. A numeric label is therefore read under one named
convention, and a number that does not fit it is an error naming the flags that fix it, never a
silent misreading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autoj.errors import AutojError
from autoj.types import Verdict

#: The flags that choose a convention or map values; named in every label error.
CONVENTION_FLAG = "--label-convention"
MAP_FLAGS = "--label-response-1/--label-response-2/--label-tie"

# Spellings that name a verdict in words; the same on every command.
WORD_LABELS: dict[str, Verdict] = {
    "a": Verdict.RESPONSE_1,
    "b": Verdict.RESPONSE_2,
    "tie": Verdict.TIE,
    "response_1": Verdict.RESPONSE_1,
    "response_2": Verdict.RESPONSE_2,
    "response 1": Verdict.RESPONSE_1,
    "response 2": Verdict.RESPONSE_2,
    # preference datasets: win/lose from response 1's side, Chatbot Arena's winner field
    "win": Verdict.RESPONSE_1,
    "lose": Verdict.RESPONSE_2,
    "loss": Verdict.RESPONSE_2,
    "model_a": Verdict.RESPONSE_1,
    "model_b": Verdict.RESPONSE_2,
    "tie (bothbad)": Verdict.TIE,
}

# Numeric conventions: value -> verdict, and how the convention is described in messages.
CONVENTIONS: dict[str, dict[float, Verdict]] = {
    "autoj": {0: Verdict.RESPONSE_1, 1: Verdict.RESPONSE_2, 2: Verdict.TIE},
    "alpaca_eval": {1: Verdict.RESPONSE_1, 2: Verdict.RESPONSE_2, 0: Verdict.TIE, 1.5: Verdict.TIE},
}
_DESCRIBED = {
    "autoj": "0 = response 1, 1 = response 2, 2 = tie",
    "alpaca_eval": "1 = output 1, 2 = output 2, 0 or 1.5 = tie",
}
# Field names whose numbers follow another convention than Auto-J's: reading them needs a choice.
_FOREIGN_FIELDS = {"preference": "alpaca_eval"}


def _number(value: Any) -> float | None:
    """The value as a number when it is one (1, 1.0, "1", " 2 "), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


@dataclass(frozen=True)
class LabelMap:
    """How one input's label values become verdicts.

    `convention` reads numbers (`autoj` 0/1/2 by default, or `alpaca_eval`); `explicit` maps given
    values first (`--label-tie 1.5`). `chosen` records whether the user picked the
    convention, so a field known to use another one (alpaca_eval's `preference`) is not misread.
    """

    convention: str = "autoj"
    explicit: Mapping[str, Verdict] = field(default_factory=dict)
    chosen: bool = False

    def __post_init__(self) -> None:
        if self.convention not in CONVENTIONS:
            raise AutojError(
                f"unknown label convention {self.convention!r} for {CONVENTION_FLAG}: "
                f"use {' or '.join(sorted(CONVENTIONS))}"
            )

    @classmethod
    def from_options(
        cls,
        convention: str | None = None,
        response_1: str | None = None,
        response_2: str | None = None,
        tie: str | None = None,
    ) -> LabelMap:
        """From the CLI: `--label-convention NAME` and `--label-response-1/-2/--label-tie VALUE`."""
        given = {Verdict.RESPONSE_1: response_1, Verdict.RESPONSE_2: response_2, Verdict.TIE: tie}
        explicit = {_key(value): verdict for verdict, value in given.items() if value not in (None, "")}
        if len(explicit) < sum(value not in (None, "") for value in given.values()):
            raise AutojError(f"{MAP_FLAGS} must name different values")
        return cls(convention or "autoj", explicit, chosen=convention is not None or bool(explicit))

    @classmethod
    def of(cls, labels: LabelMap | Mapping[str, Verdict] | None) -> LabelMap:
        """A LabelMap from what older callers pass: None, a LabelMap, or extra spellings."""
        if labels is None:
            return cls()
        if isinstance(labels, LabelMap):
            return labels
        return cls(explicit={_key(k): v for k, v in labels.items()})

    def to_dict(self) -> dict[str, Any]:
        """A JSON form, for records of how a file was read."""
        explicit = {value: verdict.value for value, verdict in sorted(self.explicit.items())}
        return {"convention": self.convention, "explicit": explicit, "chosen": self.chosen}

    def check_field(self, name: str) -> str | None:
        """Why a label field cannot be read without a chosen convention, or None when it can."""
        foreign = _FOREIGN_FIELDS.get(name.lower())
        if foreign is None or self.chosen or foreign == self.convention:
            return None
        return (
            f"a {name!r} field usually holds {foreign} labels ({_DESCRIBED[foreign]}), which "
            f"{self.convention} reads differently: say which with {CONVENTION_FLAG} {foreign} "
            f"(or {CONVENTION_FLAG} {self.convention}), or name the values with {MAP_FLAGS} VALUE"
        )

    def parse(self, value: Any) -> Verdict | str:
        """The verdict `value` names, or the reason it names none (a message for the user)."""
        key = _key(value)
        if key in self.explicit:
            return self.explicit[key]
        number = _number(value)
        if number is not None:
            verdict = CONVENTIONS[self.convention].get(number)
            if verdict is not None:
                return verdict
            return (
                f"label {value!r} does not fit the {self.convention} convention "
                f"({_DESCRIBED[self.convention]}): pick the file's convention with "
                f"{CONVENTION_FLAG} ({', '.join(sorted(CONVENTIONS))}) or map values with "
                f"{MAP_FLAGS} VALUE"
            )
        if key in WORD_LABELS:
            return WORD_LABELS[key]
        return (
            f"unknown label {value!r}: use {_DESCRIBED[self.convention]}, A/B/tie, "
            f"or name it with {MAP_FLAGS} VALUE"
        )


def _key(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()
