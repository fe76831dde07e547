"""Critique quality (Eval-C): a judge compares two critics' critiques of the same response.

The released GPT-4 comparison file is scored as published (Auto-J vs ChatGPT: 171 / 5 / 56);
the live form asks any judge, in both orders, with a comparison prompt of our own
(`autoj.protocols.families.critique`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoj.backends.base import Backend
from autoj.bench.data import load_critique_comparison
from autoj.bench.grouping import GroupOf, taxonomy_group_of
from autoj.bench.outcomes import Outcome, WinTieLose, tally
from autoj.bench.runner import judge_name, run_items
from autoj.bench.sampling import stratified_sample
from autoj.data import registry as datasets
from autoj.errors import AutojError
from autoj.io.readers import Records
from autoj.io.results import Result
from autoj.judges.config import JudgeConfig
from autoj.protocols.families.critique import CritiqueComparisonProtocol
from autoj.run.judge import Judge
from autoj.types import PairItem, SingleItem, Verdict


@dataclass(frozen=True)
class CritiqueItem:
    """One Eval-C case: a query, a response, its scenario and critics' critiques by name."""

    id: str
    query: str
    response: str
    scenario: str | None
    critiques: dict[str, str] = field(default_factory=dict)


def load_eval_c(language: str = "en", path: str | Path | None = None) -> list[CritiqueItem]:
    """Eval-C's 232 cases with Auto-J's ("autoj") and ChatGPT's ("chatgpt") released critiques."""
    name = "eval-c-zh" if language == "zh" else "eval-c"
    items_path = datasets.resolve(name, "items", path=path)
    chatgpt_path = datasets.resolve(name, "chatgpt", path=path)
    chatgpt = dict(Records(chatgpt_path))  # by line: ChatGPT's critique of the item on the same line
    items: list[CritiqueItem] = []
    records = Records(items_path)
    for number, record in records:
        critiques: dict[str, str] = {}
        released = record.get("critiques")
        if isinstance(released, dict) and isinstance(released.get("autoj"), str):
            critiques["autoj"] = released["autoj"]
        reference = chatgpt.get(number)
        if isinstance(reference, dict) and isinstance(reference.get("output"), str):
            critiques["chatgpt"] = reference["output"]
        query, response = record.get("prompt"), record.get("response")
        if not isinstance(query, str) or not isinstance(response, str):
            records.problem(number, "prompt", "need prompt, response")
            continue
        scenario = record.get("scenario")
        items.append(CritiqueItem(str(number), query, response, scenario, critiques))
    records.check()
    return items


@dataclass(frozen=True)
class CritiqueReport:
    """Win / tie / lose of critic A against critic B, overall and per scenario group."""

    critic_a: str
    critic_b: str
    overall: WinTieLose
    groups: dict[str, WinTieLose]
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "critic_a": self.critic_a,
            "critic_b": self.critic_b,
            "overall": self.overall.to_dict(),
            "groups": {k: v.to_dict() for k, v in self.groups.items()},
            "meta": self.meta,
        }


def critique_report(
    critic_a: str,
    critic_b: str,
    outcomes: Sequence[Outcome | None],
    scenarios: Sequence[str | None],
    group_of: GroupOf | None = None,
    meta: dict[str, Any] | None = None,
) -> CritiqueReport:
    """Tally outcomes (critic A's side) overall and per scenario group."""
    if len(outcomes) != len(scenarios):
        raise AutojError(f"{len(outcomes)} outcomes for {len(scenarios)} items")
    lookup = group_of or taxonomy_group_of()
    by_group: dict[str, list[Outcome | None]] = defaultdict(list)
    for outcome, scenario in zip(outcomes, scenarios, strict=True):
        by_group[lookup(scenario)].append(outcome)
    return CritiqueReport(
        critic_a,
        critic_b,
        tally(outcomes),
        {g: tally(o) for g, o in sorted(by_group.items())},
        dict(meta or {}),
    )


def released_gpt4_report(path: str | Path | None = None) -> CritiqueReport:
    """GPT-4's released comparison of Auto-J's critiques (first) against ChatGPT's."""
    outcomes = load_critique_comparison(path)
    try:
        scenarios: list[str | None] = [i.scenario for i in load_eval_c()]
    except AutojError:
        scenarios = [None] * len(outcomes)
    if len(scenarios) != len(outcomes):
        scenarios = [None] * len(outcomes)
    return critique_report("autoj", "chatgpt", outcomes, scenarios, meta={"judge": "gpt-4"})


def outcome_of(result: Result) -> Outcome | None:
    """Critic A's outcome from a both-orders comparison: an order-dependent verdict is a tie."""
    verdict = result.verdict
    if verdict is None:
        return None
    outcomes: dict[Verdict, Outcome] = {
        Verdict.RESPONSE_1: "win",
        Verdict.RESPONSE_2: "lose",
        Verdict.TIE: "tie",
    }
    return outcomes[verdict]


def comparison_items(items: Sequence[CritiqueItem], critic_a: str, critic_b: str) -> list[PairItem]:
    missing = [i.id for i in items if critic_a not in i.critiques or critic_b not in i.critiques]
    if missing:
        raise AutojError(f"{len(missing)} item(s) lack a critique by {critic_a} or {critic_b}")
    return [
        PairItem(
            query=i.query,
            response_1=i.critiques[critic_a],
            response_2=i.critiques[critic_b],
            id=i.id,
            scenario=i.scenario,
            meta={"response": i.response, "critic_1": critic_a, "critic_2": critic_b},
        )
        for i in items
    ]


def critique_with(
    items: Sequence[CritiqueItem], judge: str, output: str | Path, overwrite: bool = False
) -> list[CritiqueItem]:
    """Add `judge`'s own critiques (single protocol) to the items, under the name it was given by
    (a spec, judge file or catalog name)."""
    singles = [SingleItem(i.query, i.response, id=i.id, scenario=i.scenario) for i in items]
    with Judge(judge) as critic:
        results = critic.run(run_items(critic.engine(), singles, output, overwrite))
    by_id = {r.id: r.judgment for r in results}
    return [
        CritiqueItem(i.id, i.query, i.response, i.scenario, {**i.critiques, judge: by_id[i.id].raw})
        for i in items
    ]


def bench_critique(
    items: Sequence[CritiqueItem],
    judge: JudgeConfig | str | Backend,
    output: str | Path,
    *,
    critic_a: str = "autoj",
    critic_b: str = "chatgpt",
    limit: int | None = None,
    per_scenario: int | None = None,
    seed: int = 0,
    overwrite: bool = False,
) -> CritiqueReport:
    """Compare critic A's and critic B's critiques with `judge` in both orders, per group.

    `judge` is a config, spec, judge file or catalog name, or a Backend; its protocol is replaced
    by the critique comparison. A critic that is not among the released ones ("autoj", "chatgpt")
    is a judge (spec, file or catalog name): it first writes its own critiques (kept in `output` +
    ".critic-<n>.jsonl").
    """
    chosen = stratified_sample(
        items, lambda i: i.scenario or "", limit=limit, per_stratum=per_scenario, seed=seed
    )
    base = Path(output)
    for n, critic in enumerate((critic_a, critic_b), start=1):
        if chosen and critic not in chosen[0].critiques:
            side = base.with_name(f"{base.name}.critic-{n}.jsonl")
            chosen = critique_with(chosen, critic, side, overwrite)
    pairs = comparison_items(chosen, critic_a, critic_b)
    with Judge(judge, protocol=CritiqueComparisonProtocol(), both_orders=True) as comparer:
        results = comparer.run(run_items(comparer.engine(), pairs, output, overwrite))
        config = comparer.config.to_record()
    by_id = {r.id: r for r in results}
    outcomes = [outcome_of(by_id[p.id]) for p in pairs]
    return critique_report(
        critic_a,
        critic_b,
        outcomes,
        [p.scenario for p in pairs],
        meta={
            "judge": judge_name(judge),
            "judge_config": config,
            "items": len(pairs),
            "seed": seed,
            "results": str(output),
        },
    )
