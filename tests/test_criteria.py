"""Criteria: our YAML files resolve for every scenario; the loader rejects bad trees naming the
file and key; the authors' files load with the paper's counts (332 distinct criteria)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoj.errors import AutojError
from autoj.scenarios import (
    CRITERION_TYPES,
    SCENARIOS,
    CriteriaCycleError,
    CriteriaError,
    DuplicateCriterionError,
    UnknownBaseError,
    UnknownScenarioError,
    criteria_for,
    default_criteria,
    format_criteria,
    load_authors_criteria,
    load_criteria_tree,
)
from conftest import shared_file


def test_every_scenario_resolves_to_valid_criteria() -> None:
    for name in SCENARIOS:
        criteria = criteria_for(name)
        assert len(criteria) >= 5, name
        names = [c.name for c in criteria]
        assert len(names) == len(set(names)), name
        for c in criteria:
            assert c.type in CRITERION_TYPES and 1 <= c.weight <= 5 and c.description


def test_every_scenario_has_criteria_of_its_own() -> None:
    tree = default_criteria()
    assert sorted(tree.scenarios) == sorted(SCENARIOS)
    assert all(tree.nodes[name].criteria for name in SCENARIOS)


def test_inheritance_puts_bases_first_depth_first() -> None:
    names = [c.name for c in criteria_for("math_reasoning")]
    # maths inherits exam inherits core; the scenario's own criteria come last
    assert names[:3] == ["instruction following", "factual accuracy", "safety"]
    assert names.index("correct answer") < names.index("calculation accuracy")
    assert names[-1] == "checks result"


def test_descriptions_with_commas_survive_yaml() -> None:
    email = {c.name: c for c in criteria_for("writing_email")}
    assert "greeting, body and closing" in email["email conventions"].description


def test_aliases_and_retired_resolve_to_others() -> None:
    assert criteria_for("default") == criteria_for("others")
    assert criteria_for("rejecting") == criteria_for("others")
    with pytest.raises(UnknownScenarioError):
        criteria_for("not_a_scenario")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
sets:
  a:
    criteria:
      - {name: one, type: content, weight: 3, description: "first"}
"""


def test_unknown_base_is_rejected_naming_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, "s.yaml", BASE + "  b:\n    inherits: [nope]\n")
    with pytest.raises(UnknownBaseError) as err:
        load_criteria_tree([path])
    assert err.value.path == str(path) and err.value.key == "sets.b.inherits"
    assert "nope" in str(err.value)


def test_cycle_is_rejected(tmp_path: Path) -> None:
    text = """
sets:
  a: {inherits: [b], criteria: [{name: x, type: style, weight: 1, description: "x"}]}
  b: {inherits: [a]}
"""
    with pytest.raises(CriteriaCycleError, match=r"a -> b -> a|b -> a -> b"):
        load_criteria_tree([_write(tmp_path, "s.yaml", text)])


def test_duplicate_name_within_a_list_is_rejected(tmp_path: Path) -> None:
    text = BASE + '      - {name: one, type: style, weight: 1, description: "again"}\n'
    with pytest.raises(DuplicateCriterionError, match="'one' is listed twice"):
        load_criteria_tree([_write(tmp_path, "s.yaml", text)])


def test_duplicate_name_through_inheritance_is_rejected(tmp_path: Path) -> None:
    text = (
        BASE
        + """
scenarios:
  chitchat:
    inherits: [a]
    criteria:
      - {name: one, type: style, weight: 1, description: "shadowing the base"}
"""
    )
    with pytest.raises(DuplicateCriterionError, match=r"also defined at .*sets\.a"):
        load_criteria_tree([_write(tmp_path, "s.yaml", text)])


def test_diamond_inheritance_keeps_one_copy(tmp_path: Path) -> None:
    text = (
        BASE
        + """
  b: {inherits: [a]}
  c: {inherits: [a]}
scenarios:
  chitchat: {inherits: [b, c]}
"""
    )
    tree = load_criteria_tree([_write(tmp_path, "s.yaml", text)])
    assert [c.name for c in tree.resolve("chitchat")] == ["one"]


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (
            "sets:\n  a:\n    criteria:\n      - {name: x, type: tone, weight: 1, description: d}\n",
            "sets.a.criteria[0].type",
            "not one of",
        ),
        (
            "sets:\n  a:\n    criteria:\n      - {name: x, type: style, weight: 9, description: d}\n",
            "sets.a.criteria[0].weight",
            "1-5",
        ),
        (
            "sets:\n  a:\n    criteria:\n      - {name: x, type: style, weight: 1, description: a, b: c}\n",
            "sets.a.criteria[0]",
            "unknown field",
        ),
        ("scenarios:\n  writing_mails: {criteria: []}\n", "scenarios.writing_mails", "58"),
        ("sets:\n  chitchat: {criteria: []}\n", "sets.chitchat", "scenario's name"),
        ("topics: {}\n", "topics", "unknown section"),
    ],
)
def test_malformed_files_name_the_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(CriteriaError, match=message) as err:
        load_criteria_tree([path])
    assert err.value.key == key and err.value.path == str(path)
    assert isinstance(err.value, AutojError)


def test_same_set_in_two_files_is_rejected(tmp_path: Path) -> None:
    first, second = _write(tmp_path, "1.yaml", BASE), _write(tmp_path, "2.yaml", BASE)
    with pytest.raises(CriteriaError, match="defined again"):
        load_criteria_tree([first, second])


def test_format_criteria_orders_by_weight_and_names_the_scenario() -> None:
    text = format_criteria("default")
    lines = text.splitlines()
    assert lines[0].startswith("Criteria for others (NLP Tasks:")
    weights = [int(line.split("weight ")[1].split(")")[0]) for line in lines[1:]]
    assert weights == sorted(weights, reverse=True)
    assert lines[1].startswith("1. ") and len(lines) == len(criteria_for("others")) + 1
    assert format_criteria("others", heading=False) == "\n".join(lines[1:])


# --- the authors' files ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def authors_dir() -> Path:
    return shared_file("autoj/scenario_criteria/basics/basic_writing.yaml").parents[1]


def test_authors_files_have_the_papers_counts(authors_dir: Path) -> None:
    authors = load_authors_criteria(authors_dir)
    assert sorted(authors.scenarios) == sorted(SCENARIOS)
    assert len(authors.bases) == 5
    assert sum(len(cs) for cs in authors.bases.values()) == 28
    extended = [c for s in authors.scenarios.values() for c in s.extended]
    assert len(extended) == 323
    assert len({(c.name, c.description) for c in extended}) == 304
    assert len(authors.distinct()) == 332


def test_authors_scenario_resolves_includes_then_extended(authors_dir: Path) -> None:
    authors = load_authors_criteria(authors_dir)
    others = authors.resolve("default")
    assert authors.scenarios["others"].bases == ("basic_writing", "basic_bot")
    assert [c.name for c in others][:2] == ["completeness of instruction following", "accuracy"]
    assert others[-1].name == "layout" and others[-1].type == "format"
    assert "math operation correctness" in {c.name for c in authors.resolve("math_reasoning")}
    assert format_criteria("writing_email", authors).count("\n") == len(authors.resolve("writing_email"))


def test_authors_loader_reports_a_missing_include(tmp_path: Path) -> None:
    (tmp_path / "basics").mkdir()
    (tmp_path / "specials").mkdir()
    bad = tmp_path / "specials" / "chitchat.yaml"
    bad.write_text('basic-bot:\n  !include "./x/basics/basic_bot.yaml"\n', encoding="utf-8")
    with pytest.raises(UnknownBaseError) as err:
        load_authors_criteria(tmp_path)
    assert err.value.key == "basic-bot" and err.value.path == str(bad)


def test_authors_loader_rejects_unknown_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "basics").mkdir()
    (tmp_path / "specials").mkdir()
    (tmp_path / "specials" / "poetry.yaml").write_text("extended: {}\n", encoding="utf-8")
    with pytest.raises(CriteriaError, match="poetry"):
        load_authors_criteria(tmp_path)
