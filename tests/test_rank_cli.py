"""`autoj rank` as a user runs it: real processes, real files, the fake judge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from autoj.io.results import read_results
from autoj.run.ranking import pairs_of, ranking_of

ROOT = Path(__file__).resolve().parents[1]

QUERIES = [
    {
        "id": "tips",
        "prompt": "Give one tip for writing clear Python code.",
        "candidates": [
            "Name variables for what they hold.",
            "Write code.",
            "Use short functions that each do one thing.",
            "Python was created by Guido van Rossum.",
        ],
    },
    {
        "id": "capital",
        "prompt": "What is the capital of Australia?",
        "candidates": [
            {"name": "model-a", "response": "Sydney."},
            {"name": "model-b", "response": "The capital of Australia is Canberra."},
            {"name": "model-c", "response": "Canberra, chosen in 1908 as a compromise."},
        ],
    },
]


def autoj(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_rank_orders_every_query_from_its_judgments_and_resumes(tmp_path: Path) -> None:
    source = write(tmp_path / "queries.jsonl", QUERIES)
    out = tmp_path / "ranks.jsonl"
    done = autoj("rank", str(source), "-o", str(out), "-j", "fake", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    records = lines(out)
    assert [r["id"] for r in records] == ["tips", "capital"]
    assert out.stat().st_mode & 0o777 == (tmp_path / "ranks.judgments.jsonl").stat().st_mode & 0o777
    assert records[1]["candidates"] == ["model-a", "model-b", "model-c"]
    judged = {r.id: r for r in read_results(tmp_path / "ranks.judgments.jsonl")}
    assert len(judged) == 6 + 3  # every pair of 4, then of 3
    for record, query in zip(records, QUERIES, strict=True):
        n = len(query["candidates"])  # type: ignore[arg-type]
        pairs = pairs_of(n)
        results = [judged[f"{record['id']}/{i}-{j}"] for i, j in pairs]
        assert all(r.swapped is not None for r in results)  # both orders, always
        expected = ranking_of("pairwise", n, results)
        assert record["ranking"] == list(expected.order)
        assert record["scores"] == list(expected.scores)
        assert record["matrix"] == [list(row) for row in expected.matrix or ()]
        assert record["ranked"] == [record["candidates"][k] for k in expected.order]
        assert [e["pair"] for e in record["evidence"]] == [list(p) for p in pairs]
        assert sum(record["scores"]) == len(pairs) - record["failed"]  # a point per judged pair
    again = autoj("rank", str(source), "-o", str(out), "-j", "fake", "--no-cache")
    assert again.returncode == 0, again.stderr
    assert "0 judged now, 9 already" in again.stderr
    assert lines(out) == records


def test_rank_by_rating_is_best_of_n(tmp_path: Path) -> None:
    source = write(tmp_path / "queries.jsonl", QUERIES)
    out = tmp_path / "rated.jsonl"
    done = autoj(
        "rank", str(source), "-o", str(out), "-j", "fake", "--method", "rate", "--no-cache", "--json"
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert [r["id"] for r in shown["rankings"]] == ["tips", "capital"]
    for record in lines(out):
        ratings = record["scores"]
        assert "matrix" not in record
        assert record["ranking"] == sorted(range(len(ratings)), key=lambda k: (-ratings[k], k))
        assert record["best"] == record["ranking"][0]


def test_a_csv_cell_holds_the_candidates_as_a_json_list(tmp_path: Path) -> None:
    source = tmp_path / "queries.csv"
    source.write_text(
        'id,question,answers\nq1,"Say hi.","[""hi"", ""hello"", ""hey there""]"\n', encoding="utf-8"
    )
    out = tmp_path / "ranks.jsonl"
    done = autoj(
        "rank", str(source), "-o", str(out), "-j", "fake", "--query-field", "question",
        "--candidates-field", "answers", "--no-cache",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [record] = lines(out)
    assert record["query"] == "Say hi." and sorted(record["ranking"]) == [0, 1, 2]


def test_bad_records_are_named_with_file_line_and_field_before_any_judging(tmp_path: Path) -> None:
    source = write(
        tmp_path / "bad.jsonl",
        [
            {"id": "a", "prompt": "q", "candidates": ["only one"]},
            {"id": "b", "candidates": ["x", "y"]},
            {"id": "c", "prompt": "q", "candidates": ["x", 3]},
            {
                "id": "d",
                "prompt": "q",
                "candidates": [{"name": "m", "response": "x"}, {"name": "m", "response": "y"}],
            },
            {"id": "e", "prompt": "q", "candidates": "not a list"},
            {"id": "f", "prompt": "q", "candidates": ["x", "y"]},
            {"id": "f", "prompt": "q", "candidates": ["x", "y"]},
        ],
    )
    out = tmp_path / "ranks.jsonl"
    done = autoj("rank", str(source), "-o", str(out), "-j", "fake")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    for where in (
        "bad.jsonl:1 field 'candidates'",
        "bad.jsonl:2 field 'prompt'",
        "bad.jsonl:3 field 'candidates[1]'",
        "bad.jsonl:4 field 'candidates'",
        "bad.jsonl:5 field 'candidates'",
        "bad.jsonl:7 field 'id'",
    ):
        assert where in done.stderr, (where, done.stderr)
    assert not out.exists() and not (tmp_path / "ranks.judgments.jsonl").exists()


def test_an_output_that_is_the_input_is_refused(tmp_path: Path) -> None:
    source = write(tmp_path / "queries.jsonl", QUERIES)
    before = source.read_bytes()
    for args in (["-o", str(source)], ["-o", str(tmp_path / "r.jsonl"), "--judgments", str(source)]):
        done = autoj("rank", str(source), *args, "-j", "fake", "--overwrite")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert "input" in done.stderr
    assert source.read_bytes() == before
    missing = autoj("rank", str(source), "-j", "fake")
    assert missing.returncode == 2 and "-o OUT.jsonl" in missing.stderr
