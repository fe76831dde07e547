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
from autoj.pipeline.scenario_support import ScenarioPredictor, normalize
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
    predictor: ScenarioPredictor | None = None,
    fallback: str | None = None,
    reclassify: bool = False,
) -> tuple[list[Item], ClassifyReport]:
    """Samples with a scenario each: given, predicted by `predictor`, or `fallback`.

    With neither a predictor nor a fallback, samples without a scenario are an error: the
    balance stage needs a scenario for every sample.
    """
    report = ClassifyReport()
    todo = [n for n, s in enumerate(samples) if reclassify or not s.scenario]
    predicted: dict[int, str] = {}
    if todo and predictor is not None:
        names = predictor.predict([samples[n].query for n in todo])
        if len(names) != len(todo):
            raise AutojError(f"the classifier returned {len(names)} scenarios for {len(todo)} queries")
        predicted = dict(zip(todo, names, strict=True))
    elif todo and fallback is None:
        raise AutojError(
            f"{len(todo)} sample(s) have no scenario: use a classifier or pass --fallback SCENARIO"
        )
    out: list[Item] = []
    for n, sample in enumerate(samples):
        if n in predicted:
            scenario, source = predicted[n], "classifier"
        elif n in todo:
            scenario, source = str(fallback), "fallback"
        else:
            scenario, source = str(sample.scenario), "given"
        scenario = normalize(scenario)
        report.sources[source] += 1
        report.scenarios[scenario] += 1
        out.append(replace(sample, scenario=scenario, meta={**sample.meta, "scenario_source": source}))
    return out, report
