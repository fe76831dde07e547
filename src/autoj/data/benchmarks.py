"""Benchmarks as data: an instruction set, the reference it is judged against, and how it is judged.

`load_benchmark(name_or_path)` gives a `Benchmark` for a registered name (`alpaca_eval`,
`arena-hard`, `mt-bench`, `autoj-eval`) or for a user's FILE of instructions in any format the
shared reader takes. Registered files come from the dataset registry (an explicit data
directory, the download cache, `../shared/data`), so a benchmark is the same bytes everywhere.
`Benchmark.judging` says how its authors judge it (protocol, one or both orders, pairwise against
the reference or each answer rated alone) and `Benchmark.scoring` names the scorer that turns the
results into leaderboard rows (`autoj.evaluate.benchmark_scores`).

A FILE row holds its instruction under `instruction`, `prompt`, `question` or `query`, or several
user turns under `turns` (a list of texts, or of `{"content": ...}` messages as Arena-Hard writes
them); `id` (or `question_id`, `uid`) names it, else its line number does; `category` (or
`dataset`) is optional, as is `reference_answers` (a good answer per turn, for judges that use one).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from autoj.data import registry
from autoj.errors import AutojError
from autoj.io.answers import ModelAnswer, read_answers
from autoj.io.readers import Records

INSTRUCTION_FIELDS = ("instruction", "prompt", "question", "query")
ID_FIELDS = ("id", "question_id", "uid")
CATEGORY_FIELDS = ("category", "dataset")

#: The categories whose questions FastChat judges with GPT-4's reference answers.
MT_BENCH_REFERENCE_CATEGORIES = ("math", "reasoning", "coding")

Mode = Literal["pairwise", "single"]


class BenchmarkError(AutojError):
    """A benchmark is unknown, its files are missing, or its reference does not cover it."""


@dataclass(frozen=True)
class BenchmarkInstruction:
    """One question of a benchmark: its user turns in order (one for a single-turn benchmark;
    each later turn is asked after the model's own answer to the one before)."""

    id: str
    turns: list[str]
    category: str | None = None
    #: a good answer per turn, for judges that grade against one (MT-Bench's math and coding)
    reference_answers: list[str] | None = None

    @property
    def instruction(self) -> str:
        """The first user turn: the instruction of a single-turn benchmark."""
        return self.turns[0]


@dataclass(frozen=True)
class Judging:
    """How a benchmark is judged: the protocol (None: the judge's own), whether pairs run in both
    orders, and the mode: `pairwise` (each answer against the reference's, the reference as
    Response 1) or `single` (each answer rated alone)."""

    protocol: str | None = None
    both_orders: bool = True
    mode: Mode = "pairwise"


@dataclass(frozen=True)
class Benchmark:
    """A named instruction set with its reference outputs (a registry name or a file) and its judging."""

    name: str
    instructions: list[BenchmarkInstruction]
    reference: str | None = None
    judging: Judging = field(default_factory=Judging)
    #: how its judgments become a board's figures (a scorer of `autoj.evaluate.benchmark_scores`):
    #: "winrate" (pairwise against the reference, AlpacaEval's columns), "arena-hard", "mt-bench",
    #: "autoj-eval", "rate" (mean rating)
    scoring: str = "winrate"
    description: str = ""

    @property
    def multi_turn(self) -> bool:
        return any(len(i.turns) > 1 for i in self.instructions)

    def reference_outputs(self) -> dict[str, ModelAnswer] | None:
        """The reference model's answer to each instruction, by instruction id (None without a
        reference); a reference that lacks any instruction is an error naming how many and which."""
        if self.reference is None:
            return None
        path = reference_file(self.reference)
        return join_answers(self, read_answers(path), str(path))


def select(instructions: Sequence[BenchmarkInstruction], limit: int | None) -> list[BenchmarkInstruction]:
    """A seeded sample of `limit` instructions in their order: the same ones for every model."""
    if limit is None or limit >= len(instructions):
        return list(instructions)
    chosen = set(random.Random(0).sample(range(len(instructions)), limit))
    return [x for n, x in enumerate(instructions) if n in chosen]


def join_answers(benchmark: Benchmark, answers: list[ModelAnswer], where: str) -> dict[str, ModelAnswer]:
    """Answers by instruction id: matched on the answer's id, else on the instruction text."""
    by_id = {i.id for i in benchmark.instructions}
    by_text = {i.instruction: i.id for i in benchmark.instructions}
    found: dict[str, ModelAnswer] = {}
    for answer in answers:
        key = answer.key if answer.key in by_id else by_text.get(answer.instruction or "")
        if key is not None:
            found.setdefault(key, answer)
    missing = [i.id for i in benchmark.instructions if i.id not in found]
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise BenchmarkError(
            f"{where}: no answer for {len(missing)} of {benchmark.name}'s {len(by_id)} instructions "
            f"(ids {shown}); answers are matched on `id` / `uid` / `question_id`, else on the instruction"
        )
    return found


# --- references: registry names of model outputs --------------------------------------------

_REFERENCE_DATASETS = ("alpacaeval-outputs", "arena-hard")
_NOT_OUTPUTS = ("questions", "leaderboard")


def reference_names() -> list[str]:
    """Every model whose outputs the registry knows, usable as `--reference NAME`."""
    return sorted(
        key
        for dataset in _REFERENCE_DATASETS
        for key in registry.get(dataset).files
        if key not in _NOT_OUTPUTS
    )


def reference_file(name_or_path: str | Path) -> Path:
    """A reference's outputs file: an existing path as it is, else the registry's copy of `name`."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    name = str(name_or_path)
    for dataset in _REFERENCE_DATASETS:
        if name in registry.get(dataset).files and name not in _NOT_OUTPUTS:
            return registry.resolve(dataset, name)
    raise BenchmarkError(
        f"reference {name!r} is neither a file nor a registered model's outputs; known names: "
        f"{', '.join(reference_names())}"
    )


# --- reading instructions -------------------------------------------------------------------


def _first(record: Mapping[str, Any], names: Sequence[str]) -> Any:
    return next((record[n] for n in names if record.get(n) not in (None, "")), None)


def _texts(value: Any, what: str) -> list[str] | str:
    """A non-empty list of texts (or `{content: text}` messages), or what is wrong with it."""
    if not isinstance(value, list) or not value:
        return f"{what} is a non-empty list of texts"
    found = [t.get("content") if isinstance(t, Mapping) else t for t in value]
    texts = [t for t in found if isinstance(t, str) and t.strip()]
    if len(texts) < len(found):
        return f"each of {what} is a non-empty text (or a {{content: text}} message)"
    return texts


def _turns(record: Mapping[str, Any]) -> list[str] | str:
    """The row's user turns, or what is wrong with them."""
    turns = record.get("turns")
    if turns is None:
        text = _first(record, INSTRUCTION_FIELDS)
        if not isinstance(text, str) or not text.strip():
            return f"no instruction: give one under {', '.join(INSTRUCTION_FIELDS)} or turns"
        return [text]
    return _texts(turns, "turns")


def _instruction(record: Mapping[str, Any], number: int) -> BenchmarkInstruction | str:
    turns = _turns(record)
    if isinstance(turns, str):
        return turns
    references = record.get("reference_answers")
    answers = None if references is None else _texts(references, "reference_answers")
    if isinstance(answers, str):
        return answers
    raw_id = _first(record, ID_FIELDS)
    category = _first(record, CATEGORY_FIELDS)
    return BenchmarkInstruction(
        str(raw_id) if raw_id is not None else str(number),
        turns,
        category if isinstance(category, str) else None,
        answers,
    )


def _from_records(path: Path) -> list[BenchmarkInstruction]:
    instructions: list[BenchmarkInstruction] = []
    records = Records(path)
    seen: dict[str, int] = {}
    for number, record in records:
        found = _instruction(record, number)
        if isinstance(found, str):
            records.problem(number, None, found)
            continue
        if found.id in seen:
            records.problem(number, "id", f"id {found.id!r} also at {seen[found.id]}: ids are unique")
            continue
        seen[found.id] = number
        instructions.append(found)
    records.check(hint="nothing was generated; fix the records")
    if not instructions:
        raise AutojError(f"{path}: no instructions in the file")
    return instructions


def _records(dataset: str, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The records of a registered file; a damaged record is an error (the bytes are registered)."""
    records = Records(registry.resolve(dataset, key))
    yield from records
    if records.problems:
        raise BenchmarkError(f"{records.problems[0]} (the registered file is damaged; fetch it again)")


# --- the registered benchmarks ----------------------------------------------------------------


def _alpaca_eval() -> Benchmark:
    """AlpacaEval's 805 instructions, in their order, as the reference's outputs file holds them."""
    return Benchmark(
        "alpaca_eval",
        _from_records(registry.resolve("alpacaeval-outputs", "gpt4_1106_preview")),
        reference="gpt4_1106_preview",
        judging=Judging(None, both_orders=True, mode="pairwise"),
        scoring="winrate",
        description="AlpacaEval 2: 805 instructions against gpt4_1106_preview; win rate and LC win rate",
    )


def _arena_hard() -> Benchmark:
    """Arena-Hard-Auto v0.1's 500 prompts (category: the topic cluster), against gpt-4-0314."""
    instructions = [
        BenchmarkInstruction(str(record["uid"]), [record["prompt"]], record.get("cluster"))
        for _, record in _records("arena-hard", "questions")
    ]
    return Benchmark(
        "arena-hard",
        instructions,
        reference="gpt-4-0314",
        judging=Judging("arena-hard", both_orders=True, mode="pairwise"),
        scoring="arena-hard",
        description="Arena-Hard-Auto v0.1: 500 prompts against gpt-4-0314; Bradley-Terry score, 95% CI",
    )


def _mt_bench() -> Benchmark:
    """MT-Bench's 80 two-turn questions; math, reasoning and coding carry GPT-4's answers."""
    references = {
        str(record["question_id"]): list(record["choices"][0]["turns"])
        for _, record in _records("mt-bench", "reference")
    }
    instructions = [
        BenchmarkInstruction(
            str(record["question_id"]),
            list(record["turns"]),
            record["category"],
            references[str(record["question_id"])]
            if record["category"] in MT_BENCH_REFERENCE_CATEGORIES
            else None,
        )
        for _, record in _records("mt-bench", "questions")
    ]
    return Benchmark(
        "mt-bench",
        instructions,
        judging=Judging("mtbench", both_orders=False, mode="single"),
        scoring="mt-bench",
        description="MT-Bench: 80 two-turn questions graded 1-10 per turn (FastChat's single-answer grading)",
    )


def _autoj_eval() -> Benchmark:
    """Eval-P's distinct queries in order of first appearance, each with its scenario."""
    scenarios: dict[str, str] = {}
    for _, record in _records("eval-p", "pairs"):
        scenarios.setdefault(record["prompt"], record["scenario"])
    instructions = [
        BenchmarkInstruction(str(n), [query], scenario)
        for n, (query, scenario) in enumerate(scenarios.items(), start=1)
    ]
    return Benchmark(
        "autoj-eval",
        instructions,
        judging=Judging(None, both_orders=False, mode="single"),
        scoring="autoj-eval",
        description="Auto-J Eval-P's 1,182 distinct queries (58 scenarios), each answer rated alone",
    )


#: Registered benchmarks by name, loaded on demand.
BENCHMARKS: dict[str, Callable[[], Benchmark]] = {
    "alpaca_eval": _alpaca_eval,
    "arena-hard": _arena_hard,
    "mt-bench": _mt_bench,
    "autoj-eval": _autoj_eval,
}


def benchmark_names() -> list[str]:
    return sorted(BENCHMARKS)


def _canonical(name: str) -> str | None:
    """The registered name a user's spelling means (`alpaca-eval`, `arena_hard`, `MT-Bench`)."""
    wanted = name.lower().replace("_", "-")
    return next((n for n in BENCHMARKS if n.replace("_", "-") == wanted), None)


def load_benchmark(name_or_path: str | Path, reference: str | None = None) -> Benchmark:
    """A registered benchmark by name, or a FILE of instructions (named after the file).

    `reference` (a registry name or an outputs file) replaces a pairwise benchmark's own; a FILE
    with one is judged against it (AlpacaEval's way), a FILE without one has each answer rated alone.
    """
    name = _canonical(str(name_or_path))
    if name is not None:
        benchmark = BENCHMARKS[name]()
        if reference is None:
            return benchmark
        if benchmark.judging.mode != "pairwise":
            raise BenchmarkError(f"{name} rates each answer alone; it takes no reference")
        return replace(benchmark, reference=reference)
    path = Path(name_or_path)
    if not path.exists():
        known = ", ".join(benchmark_names())
        raise BenchmarkError(f"--benchmark {name_or_path}: neither a known benchmark ({known}) nor a file")
    pairwise = reference is not None
    return Benchmark(
        path.name.split(".")[0],
        _from_records(path),
        reference=reference,
        judging=Judging(None, both_orders=pairwise, mode="pairwise" if pairwise else "single"),
        scoring="winrate" if pairwise else "rate",
        description=f"instructions of {path}",
    )
