"""Judge inputs beyond query and responses: reference answers, rubrics (inline, object, YAML file;
1-5, 1-10, 1-100) and earlier turns, from files, the CLI's prompt command, the Python API and the
service; a protocol that cannot use one refuses it before any model call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from autoj.io.items import load_items
from autoj.protocols import get_protocol
from autoj.protocols.rubrics import RubricError, packaged_rubrics, parse_rubric_text, to_rubric
from autoj.types import Message, PairItem, Rubric, SingleItem, split_conversation

FIVE = (
    "[Is the answer correct?]\nScore 1: Wrong.\nScore 2: Mostly wrong.\nScore 3: Half.\n"
    "Score 4: Mostly.\nScore 5: Right."
)


@pytest.mark.parametrize(
    ("text", "criteria", "labels", "scale"),
    [
        (FIVE, "Is the answer correct?", ["1", "2", "3", "4", "5"], (1, 5)),
        (
            "[Helpful?]\n" + "\n".join(f"Score {n}: level {n}" for n in range(1, 11)),
            "Helpful?",
            [str(n) for n in range(1, 11)],
            (1, 10),
        ),
        (
            "Accuracy of the figures\nScore 1-20: wrong\nScore 21-80: partly right\nScore 81-100: right",
            "Accuracy of the figures",
            ["1-20", "21-80", "81-100"],
            (1, 100),
        ),
        ("[Is it polite?]", "Is it polite?", [], (1, 5)),
    ],
)
def test_inline_rubrics(text: str, criteria: str, labels: list[str], scale: tuple[int, int]) -> None:
    rubric = parse_rubric_text(text)
    assert rubric.criteria == criteria
    assert [label for label, _ in rubric.scores] == labels
    assert (rubric.low, rubric.high) == scale


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Score 1: bad\nScore 5: good", "no criteria"),
        ("[c]\nScore 3: only one", "give no scale"),
        ("[c]\nScore 1: a\nScore 2: b\nthen some prose", "text after the score lines"),
        ({"criteria": "c", "scores": {"1": "a", "5": "b"}, "low": 1}, "both low and high"),
        ({"criteria": "c", "levels": {}}, "unknown rubric key"),
        ({"scores": {"1": "a"}}, "needs 'criteria'"),
        ("missing.yaml", "rubric file not found"),
    ],
)
def test_unreadable_rubrics_say_why(value: object, message: str) -> None:
    with pytest.raises(RubricError, match=message):
        to_rubric(value)


def test_rubric_files_and_objects(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("criteria: Is it correct?\nscores:\n  1: 'no'\n  5: 'yes'\n", encoding="utf-8")
    assert to_rubric(str(path)) == Rubric("Is it correct?", (("1", "no"), ("5", "yes")), 1, 5)
    path.write_text("criteria: Is it correct?\nscores:\n  1: no\n  5: yes\n", encoding="utf-8")
    with pytest.raises(RubricError, match="score 1's description is not text"):
        to_rubric(str(path))  # YAML reads a bare no / yes as a boolean: never kept as "False"
    assert to_rubric({"criteria": "c", "scores": {}, "low": 1, "high": 100}).high == 100
    assert to_rubric("helpfulness") is packaged_rubrics()["helpfulness"]


def test_a_file_carries_reference_answers_rubrics_and_earlier_turns(tmp_path: Path) -> None:
    rubric_file = tmp_path / "correct.yaml"
    rubric_file.write_text(
        "criteria: Is it correct?\nscores:\n" + "".join(f"  {n}: level {n}\n" for n in range(1, 6)), "utf-8"
    )
    turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    records = [
        {"prompt": "2+2?", "response": "4", "reference_answer": "4", "rubric": FIVE},
        {"prompt": "3+3?", "response": "6", "rubric": str(rubric_file), "conversation": turns},
        {"prompt": "q", "response": "r", "rubric": {"criteria": "c", "scores": {"1": "a", "5": "b"}}},
        {"prompt": "q", "response": "r", "conversation": json.dumps(turns)},
        {"prompt": "q", "response": "r", "conversation": [{"role": "assistant", "content": "x"}]},
        {"prompt": "q", "response": "r", "rubric": "Score 1: no criteria"},
        {"prompt": "q", "response": "r", "reference_answer": 4},
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    loaded = load_items(path, "single", on_invalid="skip")
    first, second, third, fourth = loaded.singles
    assert first.reference_answer == "4" and first.rubric == parse_rubric_text(FIVE)
    assert second.rubric is not None and second.rubric.criteria == "Is it correct?"
    assert second.conversation == (Message("user", "Hi"), Message("assistant", "Hello!"))
    assert third.rubric is not None and (third.rubric.low, third.rubric.high) == (1, 5)
    assert fourth.conversation == second.conversation
    assert [(p.line, p.field) for p in loaded.problems] == [
        (5, "conversation"),
        (6, "rubric"),
        (7, "reference_answer"),
    ]
    assert "no criteria" in loaded.problems[1].message
    prompt = get_protocol("prometheus").prompt(second).text
    assert prompt is not None and "User: Hi\n\nAssistant:Hello!\n\nUser: 3+3?\n\nAssistant: " in prompt


def test_a_whole_conversation_splits_at_its_judged_turn() -> None:
    messages = (
        Message("user", "Hi"),
        Message("assistant", "Hello!"),
        Message("user", "2+2?"),
        Message("assistant", "4"),
    )
    history, query, judged = split_conversation(messages)
    item = SingleItem(query, judged or "", conversation=history)
    assert (item.query, item.response, len(item.conversation)) == ("2+2?", "4", 2)
    assert split_conversation(messages[:3])[2] is None
    with pytest.raises(ValueError, match="ends with a user turn"):
        split_conversation(messages[1:2])
    with pytest.raises(ValueError, match="turn 1 is from the assistant"):
        PairItem("q", "a", "b", conversation=messages[1:3])


def test_prompt_command_prints_the_exact_prometheus_prompt(tmp_path: Path) -> None:
    from autoj.cli import judge_cmds  # noqa: F401
    from autoj.cli.main import app

    turns = tmp_path / "turns.json"
    turns.write_text(json.dumps([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]))
    args = ["prompt", "single", "--protocol", "prometheus", "--query", "2+2?", "--response", "4"]
    args += ["--reference", "Four.", "--rubric", FIVE, "--conversation", str(turns)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    item = SingleItem(
        "2+2?",
        "4",
        reference_answer="Four.",
        rubric=parse_rubric_text(FIVE),
        conversation=(Message("user", "Hi"), Message("assistant", "Hey")),
    )
    assert result.output == (get_protocol("prometheus").prompt(item).text or "") + "\n"
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "autoj",
            "prompt",
            "single",
            "--query",
            "q",
            "--response",
            "r",
            "--rubric",
            FIVE,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "autoj protocol cannot use rubric" in refused.stderr
    bad = CliRunner().invoke(
        app,
        [
            "prompt",
            "single",
            "--protocol",
            "prometheus",
            "--query",
            "q",
            "--response",
            "r",
            "--conversation",
            "[{}]",
        ],
    )
    assert "--conversation" in str(bad.exception)


def test_the_service_takes_the_inputs_and_refuses_what_its_protocol_cannot_use() -> None:
    pytest.importorskip("fastapi")
    import httpx

    from autoj import FakeBackend, Judge
    from autoj.serve import ServeSettings, create_app
    from autoj.serve.server import serve_in_thread

    seen: list[str] = []

    def grade(prompt: object) -> str:
        seen.append(str(getattr(prompt, "text", "")))
        return "Correct and complete. [RESULT] 5"

    judge = Judge(FakeBackend(script=grade), protocol="prometheus")
    item = {
        "query": "2+2?",
        "response": "4",
        "reference_answer": "Four.",
        "rubric": FIVE,
        "conversation": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}],
    }
    with serve_in_thread(create_app(judge, ServeSettings(judge="fake"))) as url:
        ok = httpx.post(f"{url}/v1/rate", json={"items": [item]})
        assert ok.status_code == 200, ok.text
        assert ok.json()["results"][0]["rating"] == 5.0
        assert "###Reference Answer (Score 5):\nFour." in seen[0] and "[Is the answer correct?]" in seen[0]
        bad = httpx.post(f"{url}/v1/rate", json={"items": [{**item, "rubric": "Score 1: x"}]})
        assert bad.status_code == 422 and "no criteria" in bad.text
    with serve_in_thread(create_app(Judge(FakeBackend()), ServeSettings(judge="fake"))) as url:
        refused = httpx.post(f"{url}/v1/rate", json={"items": [item]})
        assert refused.status_code == 422 and "cannot use" in refused.json()["error"]


def test_the_python_api_takes_the_inputs() -> None:
    from autoj import FakeBackend, Judge
    from autoj.protocols.base import ProtocolInputError

    seen: list[str] = []

    def grade(prompt: object) -> str:
        text = str(getattr(prompt, "text", ""))
        seen.append(text)
        return "A is right. [RESULT] A" if "###Response A:" in text else "Matches the reference. [RESULT] 5"

    with Judge(FakeBackend(script=grade), protocol="prometheus") as judge:
        turns = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]
        result = judge.rate("2+2?", "4", reference_answer="Four.", rubric=FIVE, conversation=turns)
        assert result.rating == 5.0
        assert "###Reference Answer (Score 5):\nFour." in seen[0] and "User: Hi\n\nAssistant:Hey" in seen[0]
        assert judge.compare("2+2?", "4", "5", rubric="honesty").ok  # a packaged rubric by name
        assert "[Does the model provide responses that are truthful and not misleading?]" in seen[-1]
    with (
        Judge(FakeBackend()) as plain,
        pytest.raises(ProtocolInputError, match="cannot use reference_answer"),
    ):
        plain.compare("q", "a", "b", reference_answer="ref")


def test_a_run_with_one_unusable_input_stops_before_its_first_call(tmp_path: Path) -> None:
    import asyncio

    from autoj.backends.fake import FakeBackend
    from autoj.protocols.base import ProtocolInputError
    from autoj.run.engine import Engine
    from autoj.run.runner import run_to_file

    items = [PairItem("q", "a", "b", id=str(n)) for n in range(3)]
    items.append(PairItem("q", "a", "b", id="3", rubric=parse_rubric_text(FIVE)))
    backend = FakeBackend()
    out = tmp_path / "out.jsonl"
    with pytest.raises(ProtocolInputError, match="item 3: the autoj protocol cannot use rubric"):
        asyncio.run(run_to_file(Engine(backend, get_protocol("autoj")), items, out))
    with pytest.raises(ProtocolInputError, match="item 3"):
        asyncio.run(Engine(backend, get_protocol("autoj")).run(items))
    assert backend.calls == [] and not out.exists()
