"""`autoj scenarios`, `autoj criteria` and `autoj classify` run as a user runs them, on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def autoj(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_scenarios_lists_all_58_as_json() -> None:
    done = autoj("scenarios", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert len(rows) == 58 and {"name", "group", "description"} <= set(rows[0])


def test_criteria_prints_the_resolved_list_and_rejects_unknown_names() -> None:
    done = autoj("criteria", "default")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Criteria for others (NLP Tasks")
    assert "1. instruction following (content, weight 5)" in done.stdout
    bad = autoj("criteria", "writing_emails")
    assert bad.returncode == 2 and "did you mean writing_email" in bad.stderr


def test_classify_labels_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text(
        json.dumps({"id": 1, "query": "Write an email to Bob about the meeting."})
        + "\n"
        + json.dumps({"id": 2, "instruction": "Translate into French:", "input": "good night"})
        + "\n"
    )
    out = tmp_path / "out.jsonl"
    done = autoj("classify", str(jsonl), "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["scenario"] for r in rows] == ["writing_email", "text_to_text_translation"]
    assert rows[0]["scenario_group"] == "Functional Writing" and rows[0]["id"] == 1
    assert all(0 <= r["scenario_confidence"] <= 1 for r in rows)

    csv = tmp_path / "q.csv"
    csv.write_text("id,text\n1,Write a Python function that sorts a list.\n")
    done = autoj("classify", str(csv), "-o", str(out), "--query-field", "text")
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["scenario"] == "code_generation"


def test_classify_reports_rows_without_a_query(tmp_path: Path) -> None:
    src = tmp_path / "q.jsonl"
    src.write_text(json.dumps({"question": "hi"}) + "\n")
    done = autoj("classify", str(src), "-o", str(tmp_path / "o.jsonl"))
    assert done.returncode == 2
    assert "q.jsonl:1" in done.stderr and "--query-field" in done.stderr


def test_classify_llm_mode_through_the_fake_backend(tmp_path: Path) -> None:
    src = tmp_path / "q.jsonl"
    src.write_text(json.dumps({"query": "hi"}) + "\n")
    out = tmp_path / "o.jsonl"
    done = autoj("classify", str(src), "-o", str(out), "--mode", "llm", "--backend", "fake")
    assert done.returncode == 0, done.stderr
    # the fake backend answers the classifier prompt with "others"; no logprobs -> no confidence
    row = json.loads(out.read_text())
    assert row["scenario"] == "others" and row["scenario_confidence"] is None
    missing = autoj("classify", str(src), "-o", str(out), "--mode", "llm")
    assert missing.returncode == 2 and "--backend" in missing.stderr
