"""Judging model outputs: pairwise against a reference's outputs, or each output rated alone.

Items go through the shared runner (`autoj.bench.runner.run_items`), so a run streams to one
results file (every model's items, told apart by a `model` field), resumes after an interruption,
uses the cache, and refuses to continue a file written by another judge setup.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autoj.backends.redaction import redact
from autoj.bench.runner import run_items
from autoj.errors import AutojError
from autoj.evaluate.annotations import score_groups
from autoj.evaluate.comparisons import Comparison
from autoj.evaluate.leaderboard import LeaderboardRow, now
from autoj.evaluate.outputs import ModelOutputs, common_keys, item_id, sample_keys
from autoj.evaluate.reliability import check_bench_setup, reliability
from autoj.evaluate.scenarios import classify_instructions
from autoj.io.results import Result, read_results
from autoj.judges.config import JudgeConfig
from autoj.run.cache import CacheOption, figure_memo
from autoj.run.judge import Judge
from autoj.stats.metrics import bootstrap_ci
from autoj.stats.winrate import preference_of
from autoj.types import Item, PairItem, SingleItem, Verdict

Mode = Literal["pairwise", "rate"]


@dataclass
class EvaluationRun:
    """What one `evaluate` run produced: the rows, every result, and the run's own figures."""

    rows: list[LeaderboardRow]
    results: list[Result]
    summary: dict[str, Any] = field(default_factory=dict)


def _scenarios(
    keys: Sequence[str], sources: Sequence[ModelOutputs], classify: bool, cache: CacheOption = True
) -> dict[str, str | None]:
    """Each key's scenario: as the files give it, else from the shipped classifier."""
    found: dict[str, str | None] = {}
    for key in keys:
        found[key] = next((s.rows[key].scenario for s in sources if s.rows[key].scenario), None)
    if classify:
        base = sources[0]
        missing = [k for k in keys if not found[k]]
        names = classify_instructions((base.rows[k].instruction for k in missing), cache)
        for key in missing:
            found[key] = names[base.rows[key].instruction]
    return found


def pair_items(
    reference: ModelOutputs,
    models: Sequence[ModelOutputs],
    keys: Sequence[str],
    scenarios: Mapping[str, str | None],
) -> list[PairItem]:
    """One pair per model and instruction: Response 1 the reference's output, Response 2 the model's."""
    return [
        PairItem(
            query=reference.rows[key].instruction,
            response_1=reference.rows[key].output,
            response_2=model.rows[key].output,
            id=item_id(model.model, key),
            scenario=scenarios.get(key),
            meta={
                "model": model.model,
                "reference": reference.model,
                "reference_side": "response_1",
                "key": key,
            },
        )
        for model in models
        for key in keys
    ]


def single_items(
    models: Sequence[ModelOutputs], keys: Sequence[str], scenarios: Mapping[str, str | None]
) -> list[SingleItem]:
    return [
        SingleItem(
            query=model.rows[key].instruction,
            response=model.rows[key].output,
            id=item_id(model.model, key),
            scenario=scenarios.get(key),
            meta={"model": model.model, "key": key},
        )
        for model in models
        for key in keys
    ]


def comparisons_of(
    results: Sequence[Result], scenarios: Mapping[str, str | None] | None = None
) -> dict[str, list[Comparison]]:
    """Pairwise results back as comparisons, by model (a failed or unparsed verdict is None).

    `scenarios` (by key) overrides what the results recorded, so a run resumed with scenarios
    turned on gets its profile without judging again.
    """
    groups: dict[str, list[Comparison]] = defaultdict(list)
    for result in results:
        item = result.item
        assert isinstance(item, PairItem)  # pair_items made every one of them
        verdict = result.verdict
        orders = (result.judgment.verdict, result.swapped_verdict) if result.swapped is not None else ()
        side = item.meta.get("reference_side", Verdict.RESPONSE_1.value)
        groups[str(item.meta["model"])].append(
            Comparison(
                model=str(item.meta["model"]),
                reference=str(item.meta["reference"]),
                key=str(item.meta["key"]),
                instruction=item.query,
                reference_output=item.response_1,
                model_output=item.response_2,
                preference=None if verdict is None else preference_of(verdict, side),
                scenario=(scenarios or {}).get(str(item.meta["key"])) or item.scenario,
                orders=tuple(preference_of(v, side) for v in orders if v is not None),
            )
        )
    return dict(groups)


def _tokens(results: Sequence[Result]) -> dict[str, dict[str, float]]:
    """Prompt and completion tokens and judge seconds per model, from each result's provenance."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: {"prompt": 0, "completion": 0, "seconds": 0.0})
    for result in results:
        model = str(result.item.meta["model"])
        provenance = result.provenance
        totals[model]["prompt"] += sum(provenance.get("prompt_tokens") or [])
        totals[model]["completion"] += sum(provenance.get("completion_tokens") or [])
        totals[model]["seconds"] += float(provenance.get("elapsed_s") or 0.0)
    return totals


def rating_rows(results: Sequence[Result], judge: str) -> list[LeaderboardRow]:
    """Rate mode: each model's mean rating with a 95% bootstrap interval."""
    by_model: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_model[str(result.item.meta["model"])].append(result)
    rows = []
    for model, model_results in by_model.items():
        ratings = [r.rating for r in model_results if r.rating is not None]
        interval = bootstrap_ci(ratings)
        outputs = [len(r.item.response) for r in model_results if isinstance(r.item, SingleItem)]
        rows.append(
            LeaderboardRow(
                model=model,
                evaluation="rate",
                judge=judge,
                n_total=len(ratings),
                n_unjudged=len(model_results) - len(ratings),
                avg_length=int(sum(outputs) / len(outputs)) if outputs else 0,
                mean_rating=sum(ratings) / len(ratings) if ratings else None,
                rating_ci_low=interval.low if interval else None,
                rating_ci_high=interval.high if interval else None,
                updated=now(),
            )
        )
    return sorted(rows, key=lambda r: r.sort_key)


def _check_reference(results_path: Path, reference: str) -> None:
    """Refuse to resume a results file judged against another reference: its rows would be
    scored against this one (and `-o` has a default, so two evaluations in a folder share it)."""
    if not results_path.is_file():
        return
    for result in read_results(results_path):
        there = result.item.meta.get("reference")
        if isinstance(result.item, PairItem) and there is not None and there != reference:
            raise AutojError(
                f"-o {results_path} holds judgments against the reference {there!r} (item "
                f"{result.id!r}), and --reference is {reference!r}: results against two references "
                "do not mix; choose another -o, or --overwrite to replace them"
            )


def judge_name(config: JudgeConfig) -> str:
    """How a board names the judge: its catalog name, else its backend spec (and file)."""
    if config.source.startswith("catalog:"):
        return config.source.removeprefix("catalog:")
    if config.source.startswith("file:"):
        return redact(f"{config.judge} ({config.source})")
    return redact(config.judge)


def judge_items(
    config: JudgeConfig,
    items: Sequence[Item],
    results_path: str | Path,
    overwrite: bool = False,
    bench: str | Path | None = None,
) -> EvaluationRun:
    """Judge the items not yet in the results file (resumed, cached) and return every item's
    result with the run's figures (`summary`; its `setup` is the judge's); no rows yet. A `bench`
    file (`--judge-bench`) of another judge setup is refused before anything is judged."""

    started = time.perf_counter()
    with Judge(config) as judge:
        engine = judge.engine()
        if bench is not None:
            check_bench_setup(bench, engine.setup())
        results = judge.run(run_items(engine, items, results_path, overwrite=overwrite))
        stats = engine.stats
        setup = engine.setup()
    elapsed = time.perf_counter() - started
    summary = {
        "items": len(items),
        "judged": stats.items,
        "already_done": len(items) - stats.items,
        "generations": stats.generations,
        "cache_hits": stats.cache_hits,
        "wall_s": round(elapsed, 2),
        "judgments_per_min": round(60 * stats.generations / elapsed, 2) if elapsed else None,
        "results": str(results_path),
        "setup": setup,
    }
    return EvaluationRun([], results, summary)


def evaluate_outputs(
    models: Sequence[ModelOutputs],
    config: JudgeConfig,
    results_path: str | Path,
    *,
    reference: ModelOutputs | None = None,
    mode: Mode = "pairwise",
    limit: int | None = None,
    seed: int = 0,
    intersection: bool = False,
    overwrite: bool = False,
    difficulty: str = "estimate",
    gamed: str | None = None,
    classify: bool = True,
    bench: str | Path | None = None,
    group_field: str | None = None,
) -> EvaluationRun:
    """Judge every model's outputs (against `reference` in pairwise mode) and score the rows.

    Models judged earlier into the same results file (same judge setup and reference) join the
    length-control fit, so a board built run by run is fitted as one. Each row carries the
    judge's reliability: this run's own both-order figures, `bench` (an
    `autoj bench pairwise` results file of the same judge) and the catalog's published figures.
    """
    against = reference if mode == "pairwise" else None
    if mode == "pairwise" and against is None:
        raise AutojError("pairwise evaluation needs a reference's outputs")
    same = [m for m in models if against is not None and m.model == against.model]
    if same:  # its row would be the reference against itself, or another model under its name
        raise AutojError(
            f"{same[0].path}: the model is named {same[0].model!r}, as the reference "
            f"({against.path if against else ''}) is: a model is never compared with itself; drop "
            "it or give it its own generator name"
        )
    base = against or models[0]
    others = [m for m in models if m is not base]
    keys = sample_keys(common_keys(base, others, intersection), limit, seed)
    scenarios = _scenarios(keys, [base, *others], classify, config.cache)
    items: list[Item]
    if against is not None:
        items = list(pair_items(against, models, keys, scenarios))
    else:
        items = list(single_items(models, keys, scenarios))
    if against is not None and not overwrite:
        _check_reference(Path(results_path), against.model)
    run = judge_items(config, items, results_path, overwrite=overwrite, bench=bench)
    results = run.results
    name = judge_name(config)
    if against is not None:
        earlier = [
            r
            for r in read_results(results_path)
            if isinstance(r.item, PairItem)
            and r.item.meta.get("model") not in {m.model for m in models}
            and r.item.meta.get("reference") == against.model
        ]
        with figure_memo(config.cache) as memo:
            rows = score_groups(
                comparisons_of(results, scenarios),
                context=comparisons_of(earlier),
                order=list(against.rows),
                difficulty=difficulty,
                gamed=gamed,
                classify=False,
                evaluation="pairwise",
                judge=name,
                group_field=group_field,
                memo=memo,
            )
    else:
        rows = rating_rows(results, name)
    tokens = _tokens(results)
    judged = reliability(name, results if mode == "pairwise" else [], config, bench)
    for row in rows:
        row.reliability = judged.to_dict()
        row.judge_config = {"config": config.to_record(), "setup": run.summary["setup"]}
        row.prompt_tokens = int(tokens[row.model]["prompt"])
        row.completion_tokens = int(tokens[row.model]["completion"])
        row.elapsed_s = round(tokens[row.model]["seconds"], 3)
    summary = {k: v for k, v in run.summary.items() if k != "setup"}
    summary.update(instructions=len(keys), models=[m.model for m in models], warnings=judged.warnings)
    return EvaluationRun(rows, results, summary)
