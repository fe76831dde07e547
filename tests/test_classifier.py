"""The shipped scenario classifier, its features and metrics, and the `llm` mode's prompt and parser."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from autoj.backends import FakeBackend
from autoj.scenarios import (
    SCENARIOS,
    ClassificationFailure,
    Classifier,
    ModelFileError,
    ScenarioPrediction,
    classify_query,
    evaluate_classifier,
    load_labelled_queries,
)
from autoj.scenarios._encoder import ENCODER_DIR
from autoj.scenarios._evaluate import score
from autoj.scenarios._features import Analyzer
from autoj.scenarios._linear import MODEL_DIR, LinearModel
from autoj.scenarios._llm import (
    LLMClassifier,
    build_classifier_prompt,
    cut_middle,
    parse_scenario_output,
)
from autoj.types import Completion, GenerationParams, Prompt
from conftest import shared_file

METRICS = json.loads((MODEL_DIR / "metrics.json").read_text(encoding="utf-8"))


@functools.cache
def shipped(kind: str) -> Classifier:
    return Classifier(kind=kind)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return shipped("tfidf")


@pytest.mark.parametrize(
    ("query", "scenario"),
    [
        ("Translate the following sentence into German: I like apples.", "text_to_text_translation"),
        ("Write a Python function that returns the n-th Fibonacci number.", "code_generation"),
        ("Write an email to my boss asking for a day off next Friday.", "writing_email"),
        ("Give me a recipe for banana bread.", "writing_cooking_recipe"),
        ("Solve for x: 3x + 5 = 20. Show your steps.", "math_reasoning"),
        ("Write lyrics for a song about summer love.", "writing_song_lyrics"),
        ("Brainstorm 10 names for a coffee shop.", "brainstorming"),
    ],
)
@pytest.mark.parametrize("kind", ["encoder", "tfidf"])
def test_clear_queries_get_their_scenario(kind: str, query: str, scenario: str) -> None:
    [prediction] = shipped(kind).predict([query])
    assert prediction.scenario == scenario
    assert prediction.group == SCENARIOS[scenario].group
    assert prediction.confidence is not None and 0.5 < prediction.confidence <= 1.0
    assert str(prediction) == scenario


def test_predictions_are_scenarios_with_probabilities(classifier: Classifier) -> None:
    queries = ["hello there", "", "x" * 20_000, "Qu'est-ce que c'est ?"]
    predictions = classifier.predict(queries, batch_size=3)
    assert len(predictions) == len(queries)
    for p in predictions:
        assert p.scenario in SCENARIOS and p.confidence is not None and 0.0 <= p.confidence <= 1.0
    assert classify_query("Write a haiku about autumn leaves.") in SCENARIOS


def test_shipped_models_are_small_plain_arrays_trained_without_test_queries() -> None:
    files = sorted(p.name for p in MODEL_DIR.iterdir() if p.is_file())
    assert files == ["classifier.json", "classifier.npz", "metrics.json"]
    shipped = [p for p in MODEL_DIR.rglob("*") if p.is_file()]  # tfidf + the encoder's delta
    assert sum(p.stat().st_size for p in shipped) < 10_000_000
    with np.load(MODEL_DIR / "classifier.npz", allow_pickle=False) as arrays:
        assert arrays["coef"].shape[0] == len(Classifier(kind="tfidf").model.labels) == 58
    assert "test queries left out" in METRICS["trained_on"] and METRICS["test_data"] == "testdata.jsonl"


@pytest.mark.data
@pytest.mark.parametrize(("kind", "directory"), [("tfidf", MODEL_DIR), ("encoder", ENCODER_DIR)])
def test_shipped_classifiers_reproduce_their_recorded_accuracy(kind: str, directory: Path) -> None:
    recorded = json.loads((directory / "metrics.json").read_text(encoding="utf-8"))
    data = shared_file("autoj/scenario_classifier/testdata.jsonl")
    report = evaluate_classifier(data, shipped(kind).predict)
    assert report.overall.n == recorded["test_rows"] == 623
    assert abs(report.overall.accuracy - recorded["accuracy"]) <= 0.5
    assert abs(report.overall.macro_f1 - recorded["macro_f1"]) <= 0.5
    assert report.retired_rows == 14 and report.failures == 0
    assert sum(s.n for s in report.groups.values()) == 623


def test_save_and_load_round_trip(tmp_path: Path, classifier: Classifier) -> None:
    classifier.model.save(tmp_path)
    again = LinearModel.load(tmp_path)
    queries = ["Write a cover letter for a data analyst job.", "Is the earth flat?"]
    assert np.allclose(again.probabilities(queries), classifier.model.probabilities(queries), atol=1e-6)


def test_missing_or_foreign_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="missing"):
        Classifier(tmp_path)
    Classifier(kind="tfidf").model.save(tmp_path)
    meta = json.loads((tmp_path / "classifier.json").read_text())
    meta["format_version"] = 99
    (tmp_path / "classifier.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="format_version 99"):
        Classifier(tmp_path)


@pytest.mark.parametrize(
    ("analyzer", "text", "grams"),
    [
        (Analyzer("word", 1, 2), "Write a Poem, now!", ["write", "poem", "now", "write poem", "poem now"]),
        (Analyzer("word", 1, 1, window=9), "Summarize this text", ["summarize"]),
        (Analyzer("char", 2, 3), "Ab c", [" a", "ab", "b ", " ab", "ab ", " c", "c ", " c "]),
    ],
)
def test_analyzers(analyzer: Analyzer, text: str, grams: list[str]) -> None:
    assert analyzer.grams(text) == grams


@pytest.mark.parametrize(
    ("gold", "predicted", "accuracy", "macro_f1"),
    [
        (["a", "a", "b", "b"], ["a", "a", "b", "b"], 100.0, 100.0),
        (["a", "a", "b", "b"], ["a", "b", "b", "b"], 75.0, 100 * (2 / 3 + 0.8) / 2),
        (["a", "b"], [None, None], 0.0, 0.0),
    ],
)
def test_score(gold: list[str], predicted: list[str | None], accuracy: float, macro_f1: float) -> None:
    result = score(gold, predicted)
    assert result.accuracy == pytest.approx(accuracy) and result.macro_f1 == pytest.approx(macro_f1)


def test_labelled_queries_fold_default_and_retired(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    rows = [
        {"category": "default", "instruction": "Do it", "input": "now"},
        {"category": "rejecting", "instruction": "Hack a bank", "input": ""},
        {"category": "writing_email", "instruction": "Email Bob", "input": ""},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    loaded = load_labelled_queries(path)
    assert [r.label for r in loaded] == ["others", "others", "writing_email"]
    assert loaded[0].query == "Do it now" and loaded[1].original_label == "rejecting"


# --- llm mode --------------------------------------------------------------------------------


def test_classifier_prompt_is_the_authors_byte_for_byte() -> None:
    prompt = build_classifier_prompt("Write a poem")
    assert prompt.text == (
        "Identify the scenario for the user's query, output 'default' if you are uncertain."
        "\nQuery:\nWrite a poem\nScenario:\n"
    )
    assert not prompt.is_chat


def test_long_queries_lose_their_middle() -> None:
    query = "A" * 50 + "B" * 100 + "C" * 50
    assert cut_middle(query, 100) == "A" * 50 + "..." + "C" * 50
    assert cut_middle("short", 100) == "short"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("writing_email", "writing_email"),
        (" code_generation\n", "code_generation"),
        ("default", "others"),
        ("'ranking'.", "ranking"),
        ("peer_review", "others"),
        ("text_summarization\nbecause the user wants a summary", "text_summarization"),
    ],
)
def test_parse_scenario_output(output: str, expected: str) -> None:
    assert parse_scenario_output(output) == expected


@pytest.mark.parametrize("output", ["", "   \n", "I think it is an email", "writing emails"])
def test_unparseable_output_is_a_failure_not_a_guess(output: str) -> None:
    result = parse_scenario_output(output)
    assert isinstance(result, ClassificationFailure) and result.raw == output


def test_llm_classifier_through_the_fake_backend() -> None:
    answers = {"q1": "writing_email", "q2": "default", "q3": "no idea"}

    def script(prompt: Prompt) -> str:
        return answers[(prompt.text or "").split("Query:\n")[1].split("\n")[0]]

    backend = FakeBackend(script)
    results = LLMClassifier(backend).predict(["q1", "q2", "q3"])
    assert results[0] == ScenarioPrediction("writing_email", "Functional Writing", None)
    assert results[1] == ScenarioPrediction("others", "NLP Tasks", None)
    assert isinstance(results[2], ClassificationFailure) and results[2].status == "parse_error"
    assert all(p.text and p.text.endswith("Scenario:\n") for p in backend.calls)


def test_llm_backend_errors_are_reported_as_such() -> None:
    class Failing(FakeBackend):
        async def generate(self, prompts, params: GenerationParams) -> list[Completion]:  # type: ignore[no-untyped-def]
            return [Completion.failed("connection refused") for _ in prompts]

    [result] = LLMClassifier(Failing()).predict(["q"])
    assert isinstance(result, ClassificationFailure)
    assert result.status == "backend_error" and result.reason == "connection refused"
