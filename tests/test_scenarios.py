"""The 58-scenario taxonomy: names and groups match the released data; aliases and retired labels."""

from __future__ import annotations

import pytest

from autoj.scenarios import (
    GROUPS,
    SCENARIOS,
    RetiredScenarioError,
    UnknownScenarioError,
    group_of,
    normalize_scenario,
)
from conftest import read_jsonl, shared_file

GROUP_SIZES = {
    "Summarization": 3,
    "Exam Questions": 3,
    "Code": 5,
    "Rewriting": 5,
    "Creative Writing": 9,
    "Functional Writing": 10,
    "General Communication": 12,
    "NLP Tasks": 11,
}


def test_58_scenarios_in_8_groups_of_the_papers_sizes() -> None:
    assert len(SCENARIOS) == 58
    assert {g: len(names) for g, names in GROUPS.items()} == GROUP_SIZES
    assert sorted(n for names in GROUPS.values() for n in names) == sorted(SCENARIOS)
    for scenario in SCENARIOS.values():
        assert scenario.name in GROUPS[scenario.group]
        assert scenario.description.strip() and "\n" not in scenario.description


def test_names_are_exactly_the_scenarios_of_eval_p() -> None:
    rows = read_jsonl(shared_file("autoj/test/testdata_pairwise.jsonl"))
    assert sorted({r["scenario"] for r in rows}) == sorted(SCENARIOS)


def test_classifier_data_uses_our_names_plus_default_and_retired_labels() -> None:
    rows = read_jsonl(shared_file("autoj/scenario_classifier/traindata.jsonl"))
    labels = {r["category"] for r in rows}
    assert labels - set(SCENARIOS) == {"default", "rejecting", "peer_review"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("writing_email", "writing_email"),
        ("default", "others"),
        ("others", "others"),
        ("  Writing Email ", "writing_email"),
        ("code-generation", "code_generation"),
        ("DEFAULT", "others"),
    ],
)
def test_normalize_scenario(given: str, expected: str) -> None:
    assert normalize_scenario(given) == expected


@pytest.mark.parametrize("retired", ["rejecting", "peer_review"])
def test_retired_labels_raise_unless_folded(retired: str) -> None:
    with pytest.raises(RetiredScenarioError, match="retired"):
        normalize_scenario(retired)
    assert normalize_scenario(retired, map_retired=True) == "others"


def test_unknown_name_error_suggests_close_names() -> None:
    with pytest.raises(UnknownScenarioError, match="writing_email"):
        normalize_scenario("writing_emails")
    with pytest.raises(UnknownScenarioError, match="autoj scenarios"):
        normalize_scenario("no such thing")


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("post_summarization", "Summarization"),
        ("math_reasoning", "Exam Questions"),
        ("code_to_code_translation", "Code"),
        ("paraphrasing", "Rewriting"),
        ("counterfactual", "Creative Writing"),
        ("writing_cooking_recipe", "Functional Writing"),
        ("roleplay", "General Communication"),
        ("default", "NLP Tasks"),
    ],
)
def test_group_of(name: str, group: str) -> None:
    assert group_of(name) == group
