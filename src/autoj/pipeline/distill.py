"""Stage 6, distil and augment: teacher judgments -> training samples on the plain Auto-J prompt.

Context distillation: the teacher saw the scenario's criteria, the student's input does not, so
the student learns to apply them unprompted. Each pair is doubled by swapping its responses, with
the judgment rewritten to match (`swap.swap_references`) and checked: the rewritten text must
parse to the flipped verdict, else the copy is dropped and counted. Singles can be repeated so
the doubled pairs do not swamp them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from autoj.io.results import Result
from autoj.pipeline.swap import swap_references
from autoj.protocols.families.autoj import AutoJProtocol
from autoj.types import PairItem, SingleItem, TaskKind

Augmentation = Literal["none", "swap", "copy"]


@dataclass(frozen=True)
class TrainingSample:
    """One supervised example: the Auto-J user message in, the judgment out."""

    id: str
    kind: TaskKind
    message: str
    target: str
    scenario: str | None
    source_id: str
    augmentation: Augmentation = "none"
    language: str = "en"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "scenario": self.scenario,
            "source_id": self.source_id,
            "augmentation": self.augmentation,
            "language": self.language,
            "message": self.message,
            "target": self.target,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingSample:
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            message=data["message"],
            target=data["target"],
            scenario=data.get("scenario"),
            source_id=str(data.get("source_id", data["id"])),
            augmentation=data.get("augmentation", "none"),
            language=data.get("language", "en"),
        )


@dataclass
class DistillReport:
    produced: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": "distill",
            "samples": sum(self.produced.values()),
            "by_kind_augmentation": dict(sorted(self.produced.items())),
            "dropped": dict(self.dropped.most_common()),
        }


def swapped_sample(
    sample: TrainingSample,
    item: PairItem,
    protocol: AutoJProtocol,
    rewrite: Callable[[str], str] = swap_references,
) -> TrainingSample | str:
    """The mirror image of a pairwise sample, or the reason it cannot be made consistently."""
    original = protocol.parse_pairwise(sample.target)
    target = rewrite(sample.target)
    mirrored = protocol.parse_pairwise(target)
    if original.verdict is None or mirrored.verdict != original.verdict.swapped():
        return "swap_inconsistent"
    return TrainingSample(
        id=f"{sample.id}#swap",
        kind="pairwise",
        message=protocol.pairwise_message(item.swapped()),
        target=target,
        scenario=sample.scenario,
        source_id=sample.source_id,
        augmentation="swap",
        language=sample.language,
    )


def distil(
    results: Iterable[Result], language: str = "en", swap: bool = True, single_copies: int = 1
) -> tuple[list[TrainingSample], DistillReport]:
    """Training samples from kept teacher results, in input order (each pair followed by its swap)."""
    if single_copies < 1:
        raise ValueError("single_copies must be at least 1")
    protocol = AutoJProtocol(language)
    report = DistillReport()
    samples: list[TrainingSample] = []
    for result in results:
        if not result.judgment.ok:  # only filtered results belong here; never train on a failure
            report.dropped["unparsed_judgment"] += 1
            continue
        target = result.judgment.raw.strip()
        item = result.item
        if isinstance(item, PairItem):
            base = TrainingSample(
                item.id,
                "pairwise",
                protocol.pairwise_message(item),
                target,
                item.scenario,
                item.id,
                language=language,
            )
            samples.append(base)
            report.produced["pairwise/none"] += 1
            if swap:
                mirrored = swapped_sample(base, item, protocol)
                if isinstance(mirrored, str):
                    report.dropped[mirrored] += 1
                else:
                    samples.append(mirrored)
                    report.produced["pairwise/swap"] += 1
        elif isinstance(item, SingleItem):
            message = protocol.single_message(item)
            for copy in range(single_copies):
                samples.append(
                    TrainingSample(
                        item.id if copy == 0 else f"{item.id}#copy{copy + 1}",
                        "single",
                        message,
                        target,
                        item.scenario,
                        item.id,
                        augmentation="none" if copy == 0 else "copy",
                        language=language,
                    )
                )
                report.produced["single/none" if copy == 0 else "single/copy"] += 1
    return samples, report
