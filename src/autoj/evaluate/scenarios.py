"""The scenario profile: each instruction's Auto-J scenario and group, and win rates per group.

Scenarios come from the data when it names them, else from the shipped classifier, so "my model
loses on code and rewriting" is read off the board.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from autoj.bench.grouping import UNKNOWN, taxonomy_group_of
from autoj.evaluate.comparisons import Comparison
from autoj.run.cache import CacheOption, cache_key, resolve_cache
from autoj.scenarios import Classifier
from autoj.scenarios._encoder import ENCODER_DIR
from autoj.stats.metrics import bootstrap_ci
from autoj.stats.paired import MIN_N
from autoj.stats.winrate import clean_preferences
from autoj.types import Completion, GenerationParams, Prompt

#: The cache's protocol id for a scenario classification (its answers are scenario names).
CLASSIFY_PROTOCOL = "scenario-classifier/1"


@cache
def classifier_identity() -> dict[str, Any]:
    """The shipped classifier's identity: a digest of its model files, so a new model is a new key."""

    digest = hashlib.sha256()
    for path in sorted(p for p in ENCODER_DIR.parent.rglob("*") if p.is_file()):
        digest.update(path.relative_to(ENCODER_DIR.parent).as_posix().encode())
        digest.update(path.read_bytes())
    return {"backend": "scenario-classifier", "model": "shipped", "sha256": digest.hexdigest()}


def classify_instructions(instructions: Iterable[str], cache: CacheOption = True) -> dict[str, str]:
    """The shipped classifier's scenario for each distinct instruction (one batch for all).

    With the cache (as judgments use it: the default file, another, or None/False for none), an
    instruction classified before is looked up, keyed by its text and the classifier's files, so
    a re-run of a board loads no classifier at all.
    """
    distinct = list(dict.fromkeys(instructions))
    if not distinct:
        return {}
    store = resolve_cache(cache)
    params = GenerationParams()
    keys = [cache_key(classifier_identity(), CLASSIFY_PROTOCOL, Prompt(text=t), params) for t in distinct]
    found = store.get_many(keys) if store is not None else [None] * len(distinct)
    names = {t: c.text for t, c in zip(distinct, found, strict=True) if c is not None}
    missing = [(k, t) for k, t in zip(keys, distinct, strict=True) if t not in names]
    if missing:
        predicted = Classifier().predict_names([t for _, t in missing])
        names.update((t, name) for (_, t), name in zip(missing, predicted, strict=True))
        if store is not None:
            store.put_many(
                [(k, Completion(names[t])) for k, t in missing], classifier_identity(), CLASSIFY_PROTOCOL
            )
    if store is not None and store is not cache:
        store.close()
    return {t: names[t] for t in distinct}


def with_scenarios(groups: Mapping[str, Sequence[Comparison]]) -> dict[str, list[Comparison]]:
    """The comparisons with every missing scenario filled in by the classifier."""
    missing = [c.instruction for cs in groups.values() for c in cs if not c.scenario]
    found = classify_instructions(missing)
    return {
        model: [c if c.scenario else replace(c, scenario=found[c.instruction]) for c in cs]
        for model, cs in groups.items()
    }


def group_profile(
    comparisons: Sequence[Comparison], seed: int = 0, raw: bool = False
) -> dict[str, dict[str, float | int | None]]:
    """Win rate per scenario group with its count and a 95% bootstrap interval (percent); `raw`
    groups by the values as given (a user's own column) instead of Auto-J's 8 groups. Under 10
    comparisons a group has no interval."""
    group_of = (lambda name: name) if raw else taxonomy_group_of()
    by_group: dict[str, list[float | None]] = defaultdict(list)
    for comparison in comparisons:
        by_group[group_of(comparison.scenario) if comparison.scenario else UNKNOWN].append(
            comparison.preference
        )
    profile: dict[str, dict[str, float | int | None]] = {}
    for group in sorted(by_group):
        values = clean_preferences(by_group[group]) - 1.0
        interval = bootstrap_ci(list(values), seed=seed) if values.size >= MIN_N else None
        profile[group] = {
            "n": int(values.size),
            "win_rate": float(values.mean() * 100) if values.size else None,
            "ci_low": interval.low * 100 if interval else None,
            "ci_high": interval.high * 100 if interval else None,
        }
    return profile
