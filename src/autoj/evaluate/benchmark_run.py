"""Models on a benchmark: their answers (made by `autoj generate`, or files made elsewhere) judged
the way the benchmark's authors judge them, then scored into leaderboard rows.

AlpacaEval-style benchmarks (`scoring="winrate"`) go through `evaluate_outputs` (win rates, length
control, scenario profile); the others build their own items (pairs against the baseline for
Arena-Hard, one item per turn for MT-Bench, each answer alone for Auto-J's Eval-P queries), judge
them into the one results file and hand them to the benchmark's scorer. Every stage resumes: the
judging streams into the results file and uses the cache, so a model added to a board costs only
its own judgments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from autoj.data.benchmarks import Benchmark, BenchmarkInstruction, join_answers, reference_file
from autoj.errors import AutojError
from autoj.evaluate.benchmark_items import turn_items
from autoj.evaluate.benchmark_scores import score_results
from autoj.evaluate.outputs import ModelOutputs, OutputRow
from autoj.evaluate.run import (
    EvaluationRun,
    evaluate_outputs,
    judge_items,
    judge_name,
    pair_items,
    single_items,
)
from autoj.io.answers import ModelAnswer, read_answers
from autoj.judges.config import JudgeConfig
from autoj.types import Item


@dataclass(frozen=True)
class ModelAnswers:
    """One model's answers to the instructions of a run, by instruction id."""

    model: str
    path: Path
    answers: dict[str, ModelAnswer]


def benchmark_config(config: JudgeConfig, benchmark: Benchmark, both_orders: bool | None) -> JudgeConfig:
    """The judge as the benchmark's authors use it: their protocol unless one was asked for, and
    their order(s) unless --both-orders / --one-order was given."""
    protocol = benchmark.judging.protocol if config.protocol is None else None
    orders = benchmark.judging.both_orders if both_orders is None else None
    return config.with_changes(protocol=protocol, both_orders=orders)


def answers_of(
    benchmark: Benchmark, instructions: Sequence[BenchmarkInstruction], path: Path, name: str | None = None
) -> ModelAnswers:
    """A model's answers to `instructions` from a file in alpaca_eval, Arena-Hard or FastChat form,
    named `name`, else by the file's one generator, else by the file's name."""
    asked = replace(benchmark, instructions=list(instructions))
    answers = join_answers(asked, read_answers(path), str(path))
    if name is None:
        generators = sorted({a.generator for a in answers.values() if a.generator})
        if len(generators) > 1:
            raise AutojError(
                f"{path}: answers of {len(generators)} generators ({', '.join(generators[:3])}): "
                "give one model per file, or name it with --name"
            )
        name = generators[0] if generators else path.name.split(".")[0]
    return ModelAnswers(name, path, answers)


def reference_answers(
    benchmark: Benchmark, instructions: Sequence[BenchmarkInstruction]
) -> ModelAnswers | None:
    """The reference model's answers to `instructions` (None for a benchmark without one)."""
    if benchmark.reference is None:
        return None
    path = reference_file(benchmark.reference)
    name = benchmark.reference if not Path(benchmark.reference).is_file() else None
    return answers_of(benchmark, instructions, path, name)


def _outputs(
    model: ModelAnswers, instructions: Sequence[BenchmarkInstruction], scenarios: bool
) -> ModelOutputs:
    """Single-turn answers as `evaluate_outputs` joins them (by instruction id); `scenarios` says
    the benchmark's categories are Auto-J scenarios (Eval-P's), not topics."""
    rows = {
        i.id: OutputRow(
            i.id,
            i.turns[0],
            model.answers[i.id].output,
            model.answers[i.id].line,
            i.category if scenarios else None,
        )
        for i in instructions
    }
    return ModelOutputs(model.model, model.path, rows)


def _unique(models: Sequence[ModelAnswers], reference: ModelAnswers | None) -> None:
    names = [m.model for m in models]
    clash = sorted(
        {n for n in names if names.count(n) > 1} | ({reference.model} & set(names) if reference else set())
    )
    if clash:
        raise AutojError(
            f"two models are called {', '.join(clash)} (the reference counts): name them apart with --name"
        )


def evaluate_benchmark(
    benchmark: Benchmark,
    instructions: Sequence[BenchmarkInstruction],
    models: Sequence[ModelAnswers],
    config: JudgeConfig,
    results_path: str | Path,
    *,
    overwrite: bool = False,
    classify: bool = True,
    bench: str | Path | None = None,
) -> EvaluationRun:
    """Judge every model's answers to `instructions` as `benchmark` says and score the rows.

    `config` is the judge as it will run (see `benchmark_config`).
    """
    reference = reference_answers(benchmark, instructions)
    _unique(models, reference)
    scenarios = benchmark.scoring == "autoj-eval"
    outputs = [_outputs(m, instructions, scenarios) for m in models] if not benchmark.multi_turn else []
    if benchmark.scoring == "winrate":
        if reference is None:
            raise AutojError(f"{benchmark.name} is judged against a reference: give --reference NAME or FILE")
        judged = evaluate_outputs(
            outputs,
            config,
            results_path,
            reference=_outputs(reference, instructions, scenarios),
            overwrite=overwrite,
            classify=classify,
            bench=bench,
        )
        for row in judged.rows:
            row.benchmark = benchmark.name
        return judged
    keys = [i.id for i in instructions]
    categories = {i.id: i.category if scenarios else None for i in instructions}
    items: list[Item]
    if benchmark.judging.mode == "pairwise":
        if reference is None or benchmark.multi_turn:
            raise AutojError(f"{benchmark.name}: pairwise judging takes single-turn answers and a reference")
        items = list(pair_items(_outputs(reference, instructions, scenarios), outputs, keys, categories))
    elif benchmark.multi_turn:
        items = [
            item
            for m in models
            for i in instructions
            for item in turn_items(i, m.answers[i.id].turns, m.model)
        ]
    else:
        items = list(single_items(outputs, keys, categories))
    run = judge_items(config, items, results_path, overwrite=overwrite)
    rows = score_results(benchmark.scoring, run.results, judge_name(config))
    for row in rows:
        row.benchmark = row.benchmark or benchmark.name
        row.reference = row.reference or (reference.model if reference else "")
        row.judge_config = {"config": config.to_dict(), "setup": run.summary["setup"]}
    summary = {k: v for k, v in run.summary.items() if k != "setup"}
    summary.update(instructions=len(instructions), models=[m.model for m in models])
    return EvaluationRun(rows, run.results, summary)
