"""Stage 2, classify: every sample gets a scenario; a scenario already in the data is respected.

The source of each scenario is recorded in `meta["scenario_source"]` (given / classifier /
fallback), so later stages and reports can tell predicted labels from human ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from autoj.errors import AutojError
from autoj.pipeline.scenario_support import Predict, ScenarioGuess, normalize
from autoj.types import Item


@dataclass
class ClassifyReport:
    sources: Counter[str] = field(default_factory=Counter)
    scenarios: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": "classify",
            "samples": sum(self.sources.values()),
            "scenario_sources": dict(self.sources.most_common()),
            "distinct_scenarios": len(self.scenarios),
            "scenarios": dict(self.scenarios.most_common()),
        }


def classify(
    samples: Sequence[Item],
    predict: Predict | None = None,
    fallback: str | None = None,
    reclassify: bool = False,
) -> tuple[list[Item], ClassifyReport]:
    """Samples with a scenario each: given, predicted by `predict`, or `fallback`.

    A query the classifier cannot place gets the fallback; with no fallback, samples left without
    a scenario are an error, because the balance stage needs a scenario for every sample.
    """
    report = ClassifyReport()
    todo = [n for n, s in enumerate(samples) if reclassify or not s.scenario]
    guesses: dict[int, ScenarioGuess] = {}
    if todo and predict is not None:
        answers = predict([samples[n].query for n in todo])
        if len(answers) != len(todo):
            raise AutojError(f"the classifier returned {len(answers)} scenarios for {len(todo)} queries")
        guesses = dict(zip(todo, answers, strict=True))
    unplaced = [n for n in todo if guesses.get(n, ScenarioGuess(None)).scenario is None]
    if unplaced and fallback is None:
        raise AutojError(
            f"{len(unplaced)} sample(s) have no scenario and none was predicted: "
            "use a classifier or pass --fallback SCENARIO"
        )
    out: list[Item] = []
    for n, sample in enumerate(samples):
        meta = dict(sample.meta)
        guess = guesses.get(n)
        if guess is not None and guess.scenario is not None:
            scenario, source = guess.scenario, "classifier"
            if guess.confidence is not None:
                meta["scenario_confidence"] = round(guess.confidence, 4)
        elif n in todo:
            scenario, source = str(fallback), "fallback"
        else:
            scenario, source = str(sample.scenario), "given"
        scenario = normalize(scenario)
        report.sources[source] += 1
        report.scenarios[scenario] += 1
        meta["scenario_source"] = source
        out.append(replace(sample, scenario=scenario, meta=meta))
    return out, report
