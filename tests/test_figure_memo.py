"""Figures remembered by the numbers they come from: a re-run of a board reads its fits back from
the cache, gets exactly what a fresh fit gives, and any change in the inputs fits afresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import shared_file

from autoj.run.cache import FIGURES_IDENTITY, JudgmentCache, figure_memo
from autoj.stats import glm
from autoj.stats.bradley_terry import Battle, rank


class DictMemo:
    """A memo in a dict, counting what it was asked."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.hits = 0

    def get(self, key: str) -> str | None:
        self.hits += key in self.entries
        return self.entries.get(key)

    def put(self, key: str, value: str) -> None:
        self.entries[key] = value


def _lc_inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    length = np.tanh(rng.normal(size=120))
    features = np.column_stack([length, rng.normal(size=120), np.ones(120)])
    target = 1 / (1 + np.exp(-(0.8 * length + rng.normal(scale=0.5, size=120))))
    return features, target


def test_a_fit_is_read_back_for_the_same_numbers_only(monkeypatch: pytest.MonkeyPatch) -> None:
    features, target = _lc_inputs()
    memo = DictMemo()
    fresh = glm.fit_soft_logistic(features, target, memo=memo)
    assert len(memo.entries) == 1 and memo.hits == 0
    fits = []
    real_fit = glm._fit
    monkeypatch.setattr(glm, "_fit", lambda *a: fits.append(1) or real_fit(*a))
    again = glm.fit_soft_logistic(features, target, memo=memo)
    assert fits == [] and memo.hits == 1  # read back: no fit ran
    assert again.C == fresh.C and np.array_equal(again.coef, fresh.coef)  # bit for bit
    changed = target.copy()
    changed[7] = 1 - changed[7]
    glm.fit_soft_logistic(features, changed, memo=memo)
    assert len(fits) == 51 and len(memo.entries) == 2  # one target moved: 10 Cs x 5 folds + the refit
    glm.fit_soft_logistic(features, target, weight=np.full(120, 2.0), memo=memo)
    assert len(memo.entries) == 3  # the weights are part of what a fit stands for


def _battles(flip: int | None = None) -> list[Battle]:
    rng = np.random.default_rng(3)
    battles = []
    for n in range(60):
        for model, skill in (("strong", 0.7), ("weak", 0.35)):
            outcome = float(rng.random() < skill)
            if flip == n and model == "weak":
                outcome = 1.0 - outcome
            text = "# Plan\n- step\n- **step**" if n % 3 == 0 else "A plain answer. " * (1 + n % 4)
            battles.append(Battle(model, "ref", f"q{n}", outcome, text, "The reference answer."))
    return battles


def test_a_ranking_is_read_back_and_a_changed_battle_ranks_afresh() -> None:
    memo = DictMemo()
    fresh = rank(_battles(), "ref", style=True, rounds=20, memo=memo)
    assert fresh == rank(_battles(), "ref", style=True, rounds=20)  # the memo changes nothing
    again = rank(_battles(), "ref", style=True, rounds=20, memo=memo)
    assert memo.hits == 1 and again == fresh and again.separability == fresh.separability
    assert rank(_battles(flip=5), "ref", style=True, rounds=20, memo=memo) != fresh
    rank(_battles(), "ref", style=False, rounds=20, memo=memo)
    rank(_battles(), "ref", style=True, rounds=20, seed=1, memo=memo)
    assert len(memo.entries) == 4 and memo.hits == 1  # outcome, style and seed are each a new key


def test_a_damaged_entry_is_fitted_again() -> None:
    memo = DictMemo()
    fresh = rank(_battles(), "ref", rounds=10, memo=memo)
    (key,) = memo.entries
    memo.entries[key] = '{"strengths": [{"model": "x"'
    assert rank(_battles(), "ref", rounds=10, memo=memo) == fresh
    assert json.loads(memo.entries[key])["reference"] == "ref"  # stored over the damaged one


def test_figures_live_in_the_cache_apart_from_judgments(tmp_path: Path) -> None:
    cache = JudgmentCache(tmp_path / "c.sqlite")
    with figure_memo(cache) as memo:
        assert memo is not None
        rank(_battles(), "ref", rounds=10, memo=memo)
        rank(_battles(), "ref", rounds=10, memo=memo)
        assert (memo.hits, memo.stores) == (1, 1)
    assert (cache.hits, cache.misses) == (0, 0)  # the judgments' counts stay the judgments'
    assert cache.stats().by_model == {f"{FIGURES_IDENTITY['backend']}:{FIGURES_IDENTITY['model']}": 1}
    with figure_memo(False) as none:
        assert none is None


def _evaluate(out: Path, cache: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "AUTOJ_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "evaluate", "--benchmark", "alpaca_eval", "--model", "fake",
         "--model", "fake:1", "-j", "fake", "--limit", "40", "--no-scenarios", "-o", str(out),
         "--json", *extra],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    for row in found["leaderboard"]:  # when it ran, and the setup (--no-cache is recorded there)
        for key in ("updated", "elapsed_s", "judge_config"):
            row.pop(key)
    return {"leaderboard": found["leaderboard"], "ranking": found["ranking"]}


def test_a_cached_rerun_of_a_board_gives_the_fresh_figures(tmp_path: Path) -> None:
    shared_file("alpaca_eval/model_outputs/gpt4_1106_preview.json.gz")
    cache = tmp_path / "cache.sqlite"
    first = _evaluate(tmp_path / "r.jsonl", cache)
    # two length-control fits (one per model), the raw and the style-controlled ranking
    assert JudgmentCache(cache).stats().by_model["autoj-figures:autoj-figures"] == 4
    assert _evaluate(tmp_path / "r.jsonl", cache) == first  # read back
    assert _evaluate(tmp_path / "r.jsonl", cache, "--no-cache") == first  # computed afresh, alike
    assert first["leaderboard"][0]["bt_ci_low"] is not None
