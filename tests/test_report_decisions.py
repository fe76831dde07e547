"""The report's decision figures: the ranking forest, the paired differences ("n too small" under
10 shared items) and rating histograms on the protocol's scale, from `autoj evaluate` results."""

from __future__ import annotations

import json
from pathlib import Path

from autoj.evaluate.outputs import load_outputs
from autoj.evaluate.run import evaluate_outputs
from autoj.judges.config import JudgeConfig
from autoj.report.decision_figures import paired_forest, ranking_forest, rating_histograms, rating_scale
from autoj.report.evaluation import load_evaluation
from autoj.report.evaluation_page import render_evaluation


def _outputs(path: Path, model: str, words: int, n: int) -> Path:
    rows = [
        {"instruction": f"Task {i}: explain", "output": f"{model} answer {i}. " * (1 + (i * words) % 7),
         "generator": model}
        for i in range(n)
    ]  # fmt: skip
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def _run(folder: Path, n: int, mode: str = "pairwise") -> Path:
    models = [load_outputs(_outputs(folder / f"{m}.json", m, w, n)) for m, w in (("alpha", 2), ("beta", 5))]
    reference = load_outputs(_outputs(folder / "ref.json", "base", 3, n))
    config = JudgeConfig.load("fake").with_changes(both_orders=mode == "pairwise")
    results = folder / f"results-{mode}.jsonl"
    evaluate_outputs(
        models,
        config,
        results,
        reference=reference if mode == "pairwise" else None,
        mode=mode,
        classify=False,
    )  # type: ignore[arg-type]
    return results


def test_the_page_shows_the_ranking_and_the_paired_differences(tmp_path: Path) -> None:
    evaluation = load_evaluation([_run(tmp_path, 24)])
    rows = {r.model: r for r in evaluation.rows}
    assert all(r.bt_ci_low <= r.bt_score <= r.bt_ci_high for r in rows.values())  # type: ignore[operator]
    forest = ranking_forest(evaluation.rows)
    assert forest is not None and set(forest.data[0].y) == {"alpha", "beta"}
    assert [tuple(p.model_a for p in evaluation.paired if p.via == "reference")] == [("alpha",)]
    paired = paired_forest(evaluation.paired)
    assert paired is not None and list(paired.data[0].y) == ["alpha vs base", "beta vs base", "alpha - beta"]
    assert all(text.startswith("p=") for text in paired.data[0].text)
    page = render_evaluation(evaluation)
    assert 'id="plot-ranking"' in page and 'id="plot-paired"' in page


def test_under_ten_shared_items_the_pair_is_n_too_small(tmp_path: Path) -> None:
    evaluation = load_evaluation([_run(tmp_path, 6)])
    (pair,) = [p for p in evaluation.paired if p.via == "reference"]
    assert pair.n == 6 and pair.note == "n too small" and pair.ci_low is None
    figure = paired_forest(evaluation.paired)
    assert figure is not None and list(figure.data[0].text) == ["n too small"] * 3
    assert list(figure.data[0].error_x.array) == [0, 0, 0]


def test_rating_histograms_use_the_protocols_scale(tmp_path: Path) -> None:
    evaluation = load_evaluation([_run(tmp_path, 12, mode="rate")])
    assert rating_scale(evaluation.results) == (1, 10)
    figure = rating_histograms(evaluation.results)
    assert figure is not None
    assert list(figure.layout.xaxis.tickvals) == list(range(1, 11))
    for bar in figure.data:
        assert sum(bar.y) == 12 and len(bar.y) == 10
    assert 'id="plot-ratings"' in render_evaluation(evaluation)
    few = (
        load_evaluation([_run(tmp_path / "few", 5, mode="rate")])
        if (tmp_path / "few").mkdir() is None
        else None
    )
    assert few is not None
    few_figure = rating_histograms(few.results)
    assert few_figure is not None and all("n too small" in bar.name for bar in few_figure.data)


def test_nothing_to_draw_gives_no_figure() -> None:
    assert ranking_forest([]) is None and paired_forest([]) is None and rating_histograms([]) is None
