"""Judge inputs from the command line: field-mapping flags for reference answers, rubrics and earlier
turns, one `--rubric` for a whole run, and a protocol that cannot use an input saying so first."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from autoj.cli import judge_cmds  # noqa: F401  (registers compare / rate)
from autoj.cli.main import app
from autoj.errors import AutojError
from autoj.io.results import read_results
from autoj.protocols import get_protocol
from autoj.protocols.rubrics import packaged_rubrics, to_rubric
from autoj.types import Message, PairItem, SingleItem

RUBRIC = "[Is the arithmetic right?]\nScore 1: wrong\nScore 2: slips\nScore 3: right but unclear\n"
RUBRIC += "Score 4: right\nScore 5: right and shown"
TURNS = [{"role": "user", "content": "Let's do sums."}, {"role": "assistant", "content": "Sure."}]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _sha(text: str | None) -> str:
    assert text is not None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_mapped_fields_reach_the_prompt_and_stay_out_of_meta(tmp_path: Path) -> None:
    data = _write(
        tmp_path / "rated.jsonl",
        [
            {"id": "a", "prompt": "2+2?", "response": "4", "gold": "Four.", "crit": RUBRIC, "before": TURNS},
            {"id": "b", "prompt": "3+3?", "response": "7", "gold": "Six."},
        ],
    )
    out = tmp_path / "out.jsonl"
    args = ["rate", str(data), "-o", str(out), "-j", "fake", "--protocol", "prometheus", "--no-cache"]
    args += ["--reference-answer-field", "gold", "--rubric-field", "crit", "--conversation-field", "before"]
    result = _run(*args)
    assert result.exit_code == 0, result.output
    by_id = {r.item.id: r for r in read_results(out)}
    first = by_id["a"].item
    assert isinstance(first, SingleItem)
    assert first.reference_answer == "Four." and first.rubric == to_rubric(RUBRIC)
    assert first.conversation == (Message("user", "Let's do sums."), Message("assistant", "Sure."))
    assert first.meta == {}  # mapped fields are inputs, not leftovers
    expected = get_protocol("prometheus").prompt(first).text
    assert by_id["a"].provenance["prompt_sha256"] == [_sha(expected)]
    assert by_id["b"].item.reference_answer == "Six." and by_id["b"].item.rubric is None


def test_one_rubric_for_every_item_of_a_run(tmp_path: Path) -> None:
    data = _write(
        tmp_path / "pairs.jsonl",
        [{"id": str(n), "prompt": f"{n}+1?", "response 1": str(n + 1), "response 2": "0"} for n in range(3)],
    )
    rubric_file = tmp_path / "sums.yaml"
    rubric_file.write_text("criteria: Is the sum right?\nscores:\n  1: 'no'\n  5: 'yes'\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    base = ["compare", str(data), "-o", str(out), "-j", "fake", "--protocol", "prometheus", "--no-cache"]
    result = _run(*base, "--rubric", str(rubric_file))
    assert result.exit_code == 0, result.output
    results = list(read_results(out))
    assert len(results) == 3
    for r in results:
        assert isinstance(r.item, PairItem) and r.item.rubric is not None
        assert r.item.rubric.criteria == "Is the sum right?"
        assert r.provenance["prompt_sha256"] == [_sha(get_protocol("prometheus").prompt(r.item).text)]
    named = _run(*base, "-o", str(tmp_path / "named.jsonl"), "--rubric", "honesty")
    assert named.exit_code == 0, named.output
    assert {r.item.rubric for r in read_results(tmp_path / "named.jsonl")} == {packaged_rubrics()["honesty"]}


def test_a_run_rubric_and_an_items_own_rubric_conflict(tmp_path: Path) -> None:
    data = _write(
        tmp_path / "pairs.jsonl",
        [
            {"id": "x", "prompt": "q", "response 1": "a", "response 2": "b"},
            {"id": "y", "prompt": "q", "response 1": "a", "response 2": "b", "rubric": RUBRIC},
        ],
    )
    out = tmp_path / "out.jsonl"
    result = _run(
        "compare", str(data), "-o", str(out), "-j", "fake", "--protocol", "prometheus", "--rubric", RUBRIC
    )
    assert isinstance(result.exception, AutojError)
    assert "item 'y' has its own rubric (field 'rubric') and --rubric" in str(result.exception)
    assert not out.exists()


@pytest.mark.parametrize(
    ("record", "extra", "words"),
    [
        (
            {"reference_answer": "4"},
            [],
            [
                "1 of 2 item(s) carry a reference answer",
                "'reference_answer'",
                "--reference-answer-field",
                "mtbench",
                "prometheus",
            ],
        ),
        ({"ref": "4"}, ["--reference-answer-field", "ref"], ["field 'ref'", "first item 'a'"]),
        ({"rubric": RUBRIC}, [], ["carry a rubric", "--rubric-field", "prometheus"]),
        ({"conversation": TURNS}, [], ["carry a conversation", "--conversation-field", "mtbench"]),
    ],
)
def test_a_protocol_that_cannot_use_a_field_says_so_before_anything_runs(
    tmp_path: Path, record: dict[str, Any], extra: list[str], words: list[str]
) -> None:
    data = _write(
        tmp_path / "pairs.jsonl",
        [
            {"id": "a", "prompt": "2+2?", "response 1": "4", "response 2": "5", **record},
            {"id": "b", "prompt": "3+3?", "response 1": "6", "response 2": "7"},
        ],
    )
    out = tmp_path / "out.jsonl"
    result = _run("compare", str(data), "-o", str(out), "-j", "fake", "--protocol", "autoj", *extra)
    assert isinstance(result.exception, AutojError), result.output
    message = str(result.exception)
    assert message.startswith(f"{data}: ") and "the autoj protocol cannot use" in message
    for word in words:
        assert word in message
    assert not out.exists()


def test_run_rubric_refused_by_a_protocol_without_rubrics_in_one_line(tmp_path: Path) -> None:
    data = _write(tmp_path / "pairs.jsonl", [{"prompt": "q", "response 1": "a", "response 2": "b"}])
    out = tmp_path / "out.jsonl"
    args = [
        "compare",
        str(data),
        "-o",
        str(out),
        "-j",
        "fake",
        "--protocol",
        "mtbench",
        "--rubric",
        "honesty",
    ]
    done = subprocess.run([sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: --rubric: the mtbench protocol cannot use a rubric; pick one that does "
        "(--protocol prometheus, prometheus-legacy) or drop --rubric"
    ]
    assert not out.exists()
    bad = _run(
        "compare",
        str(data),
        "-o",
        str(out),
        "-j",
        "fake",
        "--protocol",
        "prometheus",
        "--rubric",
        "Score 1: x",
    )
    assert isinstance(bad.exception, AutojError) and "--rubric: no criteria" in str(bad.exception)


def test_inline_compare_and_rate_take_the_run_rubric() -> None:
    base = [
        "-j",
        "fake",
        "--protocol",
        "prometheus",
        "--no-cache",
        "--rubric",
        "helpfulness",
        "--query",
        "2+2?",
    ]
    pair = _run("compare", *base, "--response-1", "4", "--response-2", "5")
    assert pair.exit_code == 0, pair.output
    assert "verdict:" in pair.output
    single = _run("rate", *base, "--response", "4")
    assert single.exit_code == 0, single.output
    assert "rating:" in single.output
    refused = _run("rate", "-j", "fake", "--rubric", "helpfulness", "--query", "q", "--response", "r")
    assert isinstance(refused.exception, AutojError)
    assert "--rubric: the autoj protocol cannot use a rubric" in str(refused.exception)
