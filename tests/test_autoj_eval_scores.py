"""autoj-eval: each answer rated alone, profiled per scenario and per scenario group."""

from __future__ import annotations

from statistics import fmean

import pytest

from autoj.data import registry
from autoj.data.benchmarks import load_benchmark
from autoj.evaluate.benchmark_scores import score_results
from autoj.io.results import Result
from autoj.protocols import get_protocol
from autoj.types import SingleItem
from conftest import shared_file


def _results(monkeypatch: pytest.MonkeyPatch) -> list[Result]:
    """Two models' answers to the first two queries of three scenarios, rated by hand."""
    shared_file("autoj/test/testdata_pairwise.jsonl")
    monkeypatch.setenv(registry.OFFLINE_ENV_VAR, "1")
    bench = load_benchmark("autoj-eval")
    wanted = ("post_summarization", "code_generation", "chitchat")
    chosen = [i for scenario in wanted for i in [x for x in bench.instructions if x.category == scenario][:2]]
    ratings = {"good": [8, 9, 6, 7, 9, 10], "poor": [3, None, 2, 4, 5, 5]}
    protocol = get_protocol("autoj")
    results = []
    for model, values in ratings.items():
        for instruction, rating in zip(chosen, values, strict=True):
            item = SingleItem(
                instruction.instruction, f"{model} answer", id=f"{model}:{instruction.id}",
                scenario=instruction.category, meta={"model": model, "key": instruction.id},
            )  # fmt: skip
            text = "The answer is fine.\n\nRating: [[{}]]".format(rating) if rating else "No rating."  # noqa: UP032
            results.append(Result(item, protocol.parse(item, text)))
    return results


def test_profile_per_scenario_and_group(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = score_results("autoj-eval", _results(monkeypatch), "autoj-13b")
    assert [r.model for r in rows] == ["good", "poor"]
    good, poor = rows
    assert good.score == good.mean_rating == pytest.approx(fmean([8, 9, 6, 7, 9, 10]))
    assert good.score_ci_low is not None and good.score_ci_low < good.score < (good.score_ci_high or 0)
    assert good.category_scores == pytest.approx(
        {"chitchat": 9.5, "code_generation": 6.5, "post_summarization": 8.5}
    )
    # Auto-J's groups of the three scenarios
    assert set(good.scenario_groups) == {"Summarization", "Code", "General Communication"}
    assert good.scenario_groups["Code"]["n"] == 2
    assert good.scenario_groups["Code"]["mean_rating"] == pytest.approx(6.5)
    # a rating that could not be read is left out and counted
    assert (poor.n_total, poor.n_unjudged) == (5, 1)
    assert poor.category_scores["post_summarization"] == pytest.approx(3.0)
    assert (good.benchmark, good.evaluation, good.judge) == ("autoj-eval", "rate", "autoj-13b")


def test_winrate_rows_are_alpaca_evals_columns() -> None:
    """The `winrate` scorer (alpaca_eval, a FILE with a reference) from pairwise results."""
    from autoj.stats.winrate import head_to_head
    from autoj.types import Judgment, PairItem, Verdict

    verdicts = {"a": [Verdict.RESPONSE_2, Verdict.RESPONSE_2, Verdict.TIE, Verdict.RESPONSE_1]}
    verdicts["b"] = [Verdict.RESPONSE_1, Verdict.RESPONSE_1, Verdict.TIE, None]  # type: ignore[list-item]
    results = [
        Result(
            PairItem(f"q{n}", "reference says", f"{model} says {'more ' * n}", id=f"{model}:{n}",
                     meta={"model": model, "reference": "ref", "key": f"q{n}"}),
            Judgment("pairwise", "ok" if v else "parse_error", raw="", verdict=v),
        )
        for model, vs in verdicts.items()
        for n, v in enumerate(vs)
    ]  # fmt: skip
    rows = score_results("winrate", results, "judge-x", benchmark="alpaca_eval")
    by_model = {r.model: r for r in rows}
    assert by_model["a"].win_rate == pytest.approx(head_to_head([2.0, 2.0, 1.5, 1.0]).win_rate)
    assert (by_model["b"].n_total, by_model["b"].n_unjudged) == (3, 1)
    assert {r.benchmark for r in rows} == {"alpaca_eval"} and rows[0].model == "a"
