"""System ranking: rate systems' AlpacaEval outputs and correlate their mean ratings with
reference leaderboards (AlpacaEval 1 GPT-4 win rate; Chatbot Arena Elo from human votes)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoj.backends.base import Backend
from autoj.bench.data import read_json
from autoj.bench.runner import judge_name, run_items
from autoj.bench.sampling import stratified_sample
from autoj.data import registry as datasets
from autoj.errors import AutojError
from autoj.io.readers import Records
from autoj.judges.config import JudgeConfig
from autoj.run.judge import Judge
from autoj.stats.correlation import Correlations, correlations
from autoj.types import SingleItem

ELO_COLUMNS = ("Arena Elo\n[Feb 2, 2024]", "Arena Elo\n[April 18, 2024]")


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    """A leaderboard table's rows, read like every input (BOM, encoding and header checks)."""
    records = Records(path)
    rows = [row for _, row in records]
    records.check()
    return rows


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def alpacaeval1_win_rates(path: str | Path | None = None) -> dict[str, float]:
    """AlpacaEval 1 (GPT-4 judge) win rate by system name, as in the leaderboard's first column."""
    source = path or datasets.resolve("alpacaeval-leaderboards", "alpacaeval-1")
    rows = _csv_rows(Path(source))
    found = {}
    for row in rows:
        rate = _number(row.get("win_rate"))
        if row.get("") and rate is not None:
            found[row[""]] = rate
    return found


def arena_elo(path: str | Path | None = None) -> dict[str, float]:
    """Chatbot Arena Elo by model name: the Feb 2024 rating, or April 2024's where Feb is blank.

    One model with outputs here (gpt4_1106_preview) has only the April rating.
    """
    source = path or datasets.resolve("alpacaeval-leaderboards", "arena-elo")
    rows = _csv_rows(Path(source))
    found = {}
    for row in rows:
        name = row.get("Model")
        values = [_number(row.get(column)) for column in ELO_COLUMNS]
        elo = next((v for v in values if v is not None), None)
        if name and elo is not None:
            found[name] = elo
    return found


def systems_with_outputs() -> list[str]:
    """The systems whose AlpacaEval outputs are registered (names as in the leaderboards)."""
    return sorted(datasets.get("alpacaeval-outputs").files)


def reference_scores() -> dict[str, dict[str, float]]:
    """Reference leaderboards restricted to systems that have outputs, matched by exact name."""
    have = set(systems_with_outputs())
    return {
        "alpacaeval-1": {k: v for k, v in alpacaeval1_win_rates().items() if k in have},
        "arena-elo": {k: v for k, v in arena_elo().items() if k in have},
    }


def load_outputs(system: str) -> list[dict[str, Any]]:
    """A system's 805 AlpacaEval outputs (instruction, output, generator, dataset)."""
    data = read_json(datasets.resolve("alpacaeval-outputs", system))
    if not isinstance(data, list):
        raise AutojError(f"AlpacaEval outputs of {system} are not a list")
    return data


def _by_instruction(rows: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Rows keyed by instruction text: systems' files differ in order and (rarely) length."""
    return {str(r["instruction"]): r for r in rows if isinstance(r.get("instruction"), str)}


def sample_instructions(outputs: Sequence[Mapping[str, Any]], n: int, seed: int = 0) -> list[int]:
    """Indices of a seeded sample of instructions, stratified by AlpacaEval's source `dataset`."""
    indices = list(range(len(outputs)))
    return stratified_sample(indices, lambda i: str(outputs[i].get("dataset", "")), limit=n, seed=seed)


@dataclass(frozen=True)
class RankingReport:
    """Each system's mean rating and the correlations with each reference leaderboard."""

    mean_ratings: dict[str, float | None]
    rated: dict[str, int]
    correlations: dict[str, Correlations]
    references: dict[str, dict[str, float]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "systems": {
                s: {
                    "mean_rating": self.mean_ratings[s],
                    "rated": self.rated[s],
                    **{name: ref.get(s) for name, ref in self.references.items()},
                }
                for s in self.mean_ratings
            },
            "correlations": {k: asdict(v) for k, v in self.correlations.items()},
            "meta": self.meta,
        }


def ranking_report(
    ratings: Mapping[str, Sequence[float | None]],
    references: Mapping[str, Mapping[str, float]],
    meta: dict[str, Any] | None = None,
) -> RankingReport:
    """Mean rating per system (parse failures left out) correlated with each reference."""
    means: dict[str, float | None] = {}
    rated: dict[str, int] = {}
    for system, values in sorted(ratings.items()):
        ok = [v for v in values if v is not None]
        means[system] = sum(ok) / len(ok) if ok else None
        rated[system] = len(ok)
    result: dict[str, Correlations] = {}
    for name, reference in references.items():
        common = [s for s in means if s in reference]
        result[name] = correlations([means[s] for s in common], [reference[s] for s in common])
    return RankingReport(means, rated, result, {k: dict(v) for k, v in references.items()}, dict(meta or {}))


def bench_ranking(
    judge: JudgeConfig | str | Backend,
    output: str | Path,
    *,
    reference: str = "alpacaeval-1",
    systems: Sequence[str] | None = None,
    instructions: int = 10,
    seed: int = 0,
    overwrite: bool = False,
) -> RankingReport:
    """Rate every chosen system's outputs on the same sampled instructions, then correlate.

    `reference` picks the systems: "alpacaeval-1" (26), "arena-elo" (38) or "both" (their union);
    correlations are reported against every reference the systems appear in.
    """
    references = reference_scores()
    if systems is None:
        if reference == "both":
            chosen = sorted(set(references["alpacaeval-1"]) | set(references["arena-elo"]))
        elif reference in references:
            chosen = sorted(references[reference])
        else:
            raise AutojError(f"unknown reference {reference!r}: alpacaeval-1, arena-elo or both")
    else:
        chosen = list(systems)
    outputs = {s: _by_instruction(load_outputs(s)) for s in chosen}
    common = [q for q in outputs[chosen[0]] if all(q in outputs[s] for s in chosen)]
    rows = [outputs[chosen[0]][q] for q in common]
    picked = [common[i] for i in sample_instructions(rows, instructions, seed)]
    items: list[SingleItem] = []
    for system in chosen:
        for number, query in enumerate(picked):
            row = outputs[system][query]
            items.append(
                SingleItem(
                    query=query,
                    response=str(row.get("output") or ""),
                    id=f"{system}:{common.index(query)}",
                    meta={"system": system, "dataset": row.get("dataset"), "sample": number},
                )
            )
    started = time.perf_counter()
    with Judge(judge) as j:
        results = j.run(run_items(j.engine(), items, output, overwrite))
        config = j.config.to_record()
    ratings: dict[str, list[float | None]] = defaultdict(list)
    for result in results:
        ratings[str(result.item.meta["system"])].append(result.rating)
    return ranking_report(
        ratings,
        references,
        meta={
            "judge": judge_name(judge),
            "judge_config": config,
            "systems": len(chosen),
            "instructions": len(picked),
            "seed": seed,
            "results": str(output),
            "elapsed_s": round(time.perf_counter() - started, 2),
        },
    )
