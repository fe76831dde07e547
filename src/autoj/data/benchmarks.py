"""Benchmarks as data: an instruction set, the reference it is judged against, and how it is judged.

`load_benchmark(name_or_path)` gives a `Benchmark` for a registered name (`alpaca_eval`) or for a
user's FILE of instructions in any format the shared reader takes. A FILE row holds its
instruction under `instruction`, `prompt`, `question` or `query`, or several user turns under
`turns` (a list of texts, or of `{"content": ...}` messages as Arena-Hard writes them); `id` (or
`question_id`, `uid`) names it, else its line number does; `category` (or `dataset`) is optional.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoj.data.registry import resolve
from autoj.errors import AutojError, InputError, InputProblem
from autoj.io.readers import iter_records

INSTRUCTION_FIELDS = ("instruction", "prompt", "question", "query")
ID_FIELDS = ("id", "question_id", "uid")
CATEGORY_FIELDS = ("category", "dataset")


@dataclass(frozen=True)
class BenchmarkInstruction:
    """One question of a benchmark: its user turns in order (one for a single-turn benchmark)."""

    id: str
    turns: list[str]
    category: str | None = None
    #: a good answer per turn, for judges that grade against one (MT-Bench's math and coding)
    reference_answers: list[str] | None = None


@dataclass(frozen=True)
class Judging:
    """How a benchmark is judged: the protocol (None: the judge's own) and whether pairs run in
    both orders."""

    protocol: str | None = None
    both_orders: bool = True


@dataclass(frozen=True)
class Benchmark:
    """A named instruction set with its reference outputs (a registry name) and its judging."""

    name: str
    instructions: list[BenchmarkInstruction]
    reference: str | None = None
    judging: Judging = field(default_factory=Judging)
    #: how its judgments become a board's figures: "winrate" (pairwise against the reference)
    scoring: str = "winrate"

    @property
    def multi_turn(self) -> bool:
        return any(len(i.turns) > 1 for i in self.instructions)


def select(instructions: Sequence[BenchmarkInstruction], limit: int | None) -> list[BenchmarkInstruction]:
    """A seeded sample of `limit` instructions in their order: the same ones for every model."""
    if limit is None or limit >= len(instructions):
        return list(instructions)
    chosen = set(random.Random(0).sample(range(len(instructions)), limit))
    return [x for n, x in enumerate(instructions) if n in chosen]


def _alpaca_eval() -> Benchmark:
    """AlpacaEval's 805 instructions, in their order, as the reference's outputs file holds them."""
    path = resolve("alpacaeval-outputs", "gpt4_1106_preview")
    return _from_records(
        "alpaca_eval", path, reference="gpt4_1106_preview", judging=Judging(None, True), scoring="winrate"
    )


#: Registered benchmarks by name, loaded on demand.
BENCHMARKS: dict[str, Callable[[], Benchmark]] = {"alpaca_eval": _alpaca_eval}


def _first(record: Mapping[str, Any], names: Sequence[str]) -> Any:
    return next((record[n] for n in names if record.get(n) not in (None, "")), None)


def _turns(record: Mapping[str, Any]) -> list[str] | str:
    """The row's user turns, or what is wrong with them."""
    turns = record.get("turns")
    if turns is None:
        text = _first(record, INSTRUCTION_FIELDS)
        if not isinstance(text, str) or not text.strip():
            return f"no instruction: give one under {', '.join(INSTRUCTION_FIELDS)} or turns"
        return [text]
    if not isinstance(turns, list) or not turns:
        return "turns is a non-empty list of texts"
    found = [t.get("content") if isinstance(t, Mapping) else t for t in turns]
    texts = [t for t in found if isinstance(t, str) and t.strip()]
    if len(texts) < len(found):
        return "each turn is a non-empty text (or a {content: text} message)"
    return texts


def _from_records(
    name: str,
    path: Path,
    reference: str | None = None,
    judging: Judging | None = None,
    scoring: str = "winrate",
) -> Benchmark:
    instructions: list[BenchmarkInstruction] = []
    problems: list[InputProblem] = []
    seen: dict[str, int] = {}
    for number, record in iter_records(path):
        if isinstance(record, InputProblem):
            problems.append(record)
            continue
        turns = _turns(record)
        if isinstance(turns, str):
            problems.append(InputProblem(str(path), number, None, turns))
            continue
        raw_id = _first(record, ID_FIELDS)
        key = str(raw_id) if raw_id is not None else str(number)
        if key in seen:
            problems.append(
                InputProblem(str(path), number, "id", f"id {key!r} also at {seen[key]}: ids are unique")
            )
            continue
        seen[key] = number
        category = _first(record, CATEGORY_FIELDS)
        instructions.append(BenchmarkInstruction(key, turns, category if isinstance(category, str) else None))
    if problems:
        raise InputError(problems, hint="nothing was generated; fix the records")
    if not instructions:
        raise AutojError(f"{path}: no instructions in the file")
    return Benchmark(name, instructions, reference, judging or Judging(), scoring)


def load_benchmark(name_or_path: str | Path) -> Benchmark:
    """A registered benchmark by name, or a FILE of instructions (named after the file)."""
    loader = BENCHMARKS.get(str(name_or_path))
    if loader is not None:
        return loader()
    path = Path(name_or_path)
    if not path.exists():
        known = ", ".join(sorted(BENCHMARKS))
        raise AutojError(f"--benchmark {name_or_path}: neither a known benchmark ({known}) nor a file")
    return _from_records(path.name.split(".")[0], path)
