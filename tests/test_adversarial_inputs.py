"""Bad input files through the real `autoj` command: one line naming the file, line and field,
exit code 2, no traceback, and no judging (the output is never created: no model was called).

Each case is a file a careless or hostile user could hand over; the reader behind every command
(autoj.io.items) is what these hold to account, on `compare`, `rate` and `pipeline ingest`.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

PAIR = {"id": "p1", "prompt": "q", "response 1": "a", "response 2": "b"}
HEADER = "id,prompt,response 1,response 2\n"


def _jsonl(*rows: dict[str, object]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


# name -> (file name, content, (line, field or None, words the message must hold))
CASES: dict[str, tuple[str, bytes, tuple[int | None, str | None, str]]] = {
    "lone surrogate in a JSONL field": (
        "surrogate.jsonl",
        _jsonl(PAIR) + b'{"id": "p2", "prompt": "q\\udc80", "response 1": "a", "response 2": "b"}\n',
        (2, "prompt", "lone surrogate"),
    ),
    "NaN in a JSONL field": (
        "nan.jsonl",
        b'{"id": "p1", "prompt": "q", "response 1": "a", "response 2": "b", "weight": NaN}\n',
        (1, "weight", "NaN"),
    ),
    "Infinity in a JSON array element": (
        "inf.json",
        b'[{"id": "p1", "prompt": "q", "response 1": "a", "response 2": "b", "w": Infinity}]',
        (1, "w", "Infinity"),
    ),
    "latin-1 bytes in JSONL": (
        "latin1.jsonl",
        _jsonl(PAIR) + _jsonl(PAIR).replace(b'"q"', b'"caf\xe9"').replace(b"p1", b"p2"),
        (2, None, "not UTF-8"),
    ),
    "latin-1 bytes in CSV": (
        "latin1.csv",
        (HEADER + "p1,q,a,b\n").encode() + b"p2,caf\xe9,a,b\n",
        (3, None, "not UTF-8"),
    ),
    "duplicate CSV header": (
        "dup.csv",
        b"id,prompt,response 1,response 2,prompt\np1,q,a,b,q\n",
        (1, "prompt", "duplicate column"),
    ),
    "CSV row with more fields than the header": (
        "extra.csv",
        (HEADER + "p1,q,a,b,c\n").encode(),
        (2, None, "5 fields"),
    ),
    "unclosed CSV quote running past 64 MiB": (
        "runaway.csv",
        (HEADER + 'p1,q,"' + "z" * (65 * 1024 * 1024) + "\n").encode(),
        (2, None, "longer than 64 MiB"),
    ),
    "JSONL nested 100,000 levels deep": (
        "deep.jsonl",
        b'{"prompt": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
        (1, None, "nested too deeply"),
    ),
    "JSON nested 100,000 levels deep": (
        "deep.json",
        b"[" * 100_000 + b"]" * 100_000,
        (1, None, "nested too deeply"),
    ),
    "JSON object naming a key twice": (
        "twice.jsonl",
        b'{"id": "p1", "prompt": "q", "response 1": "a", "response 2": "b", "prompt": "other"}\n',
        (1, "prompt", "appears twice"),
    ),
    "invalid JSON line": ("broken.jsonl", _jsonl(PAIR) + b"{oops\n", (2, None, "invalid JSON")),
    "JSON that is not a list": ("object.json", b'{"prompt": "q"}', (1, None, "list of objects")),
    "gzip name on plain text": ("plain.jsonl.gz", _jsonl(PAIR), (None, None, "not gzip data")),
    "gzip cut short": ("cut.jsonl.gz", gzip.compress(_jsonl(PAIR) * 200)[:40], (None, None, "cut short")),
    "numeric label Auto-J does not use": (
        "label15.jsonl",
        _jsonl({**PAIR, "label": 1.5}),
        (1, "label", "--label-convention"),
    ),
    "unknown label word": (
        "labelword.jsonl",
        _jsonl({**PAIR, "label": "maybe"}),
        (1, "label", "unknown label"),
    ),
    "missing response field": (
        "missing.jsonl",
        _jsonl({"id": "p1", "prompt": "q", "response 1": "a"}),
        (1, "response 2", "--response-2-field"),
    ),
    "a results line of the other kind": (
        "rated.jsonl",
        _jsonl({"id": "s1", "kind": "single", "item": {"query": "q", "response": "r"}, "judgment": {}}),
        (1, "kind", "single result"),
    ),
}


@pytest.mark.parametrize(
    "name", ["empty.jsonl", "empty.csv", "blank-lines.jsonl", "header-only.csv", "empty.json"]
)
def test_an_input_with_no_records_is_refused(tmp_path: Path, name: str) -> None:
    content = {"blank-lines.jsonl": b"\n\n  \n", "header-only.csv": HEADER.encode(), "empty.json": b"[]"}
    path = tmp_path / name
    path.write_bytes(content.get(name, b""))
    out = tmp_path / "out.jsonl"
    result = run_cli("compare", name, "-o", str(out), "--judge", "fake", cwd=tmp_path)
    _check(result, path, (None, None, "holds no records"))
    assert not out.exists()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _check(
    result: subprocess.CompletedProcess[str], path: Path, expected: tuple[int | None, str | None, str]
):
    line, field, words = expected
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    where = f"{path.name}:{line}" if line is not None else path.name
    assert where in message and words in message, message
    if field is not None:
        assert f"field {field!r}" in message, message


@pytest.mark.parametrize("case", sorted(CASES))
def test_compare_refuses_a_bad_file_in_one_line(tmp_path: Path, case: str) -> None:
    name, content, expected = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "out.jsonl"
    result = run_cli("compare", name, "-o", str(out), "--judge", "fake", cwd=tmp_path)
    _check(result, path, expected)
    assert not out.exists()  # refused before any model call


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("nan.csv", b"prompt,response,score\nq,r,NaN\n", (2, "score", "not a number")),
        ("surrogate.jsonl", b'{"prompt": "q", "response": "\\ud83d"}\n', (1, "response", "lone surrogate")),
        (
            "bom-dup.tsv",
            b"\xef\xbb\xbfprompt\tresponse\tprompt\nq\tr\tq\n",
            (1, "prompt", "duplicate column"),
        ),
    ],
)
def test_rate_refuses_a_bad_file_in_one_line(
    tmp_path: Path, name: str, content: bytes, expected: tuple[int, str, str]
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "out.jsonl"
    result = run_cli("rate", name, "-o", str(out), "--judge", "fake", cwd=tmp_path)
    _check(result, path, expected)
    assert not out.exists()


def test_an_unknown_scenario_under_chat_criteria_stops_before_any_model_call(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.jsonl"
    path.write_bytes(_jsonl({**PAIR, "scenario": "chitchat"}, {**PAIR, "id": "p2", "scenario": "smalltalk"}))
    out = tmp_path / "out.jsonl"
    result = run_cli(
        "compare", path.name, "-o", str(out), "--judge", "fake", "--protocol", "chat+criteria", cwd=tmp_path
    )
    _check(result, path, (2, "scenario", "unknown scenario 'smalltalk'"))
    assert not out.exists()


def test_a_bom_csv_keeps_its_ids_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "first,q,a,b\nsecond,q,c,d\n").encode())
    out = tmp_path / "out.jsonl"
    result = run_cli("compare", path.name, "-o", str(out), "--judge", "fake", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == ["first", "second"]


def test_a_results_file_is_a_valid_input_to_compare(tmp_path: Path) -> None:
    source = tmp_path / "pairs.jsonl"
    source.write_bytes(_jsonl(PAIR, {**PAIR, "id": "p2", "response 2": "c"}))
    first = tmp_path / "first.jsonl"
    assert run_cli("compare", source.name, "-o", str(first), "--judge", "fake", cwd=tmp_path).returncode == 0
    again = tmp_path / "again.jsonl"
    result = run_cli("compare", first.name, "-o", str(again), "--judge", "fake:seed=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    items = [json.loads(line)["item"] for line in again.read_text(encoding="utf-8").splitlines()]
    assert sorted((i["query"], i["response_1"], i["response_2"]) for i in items) == [
        ("q", "a", "b"),
        ("q", "a", "c"),
    ]


def test_parquet_is_read_by_compare(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "pairs.parquet"
    pq.write_table(pa.Table.from_pylist([PAIR, {**PAIR, "id": "p2"}]), path)
    out = tmp_path / "out.jsonl"
    result = run_cli("compare", path.name, "-o", str(out), "--judge", "fake", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_pipeline_ingest_refuses_a_bad_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "prefs.jsonl"
    path.write_bytes(_jsonl(PAIR) + b'{"id": "p2", "prompt": "q", "response 1": "a", "response 2": NaN}\n')
    out = tmp_path / "samples.jsonl"
    result = run_cli("pipeline", "ingest", path.name, "--format", "pairs", "-o", str(out), cwd=tmp_path)
    _check(result, path, (2, "response 2", "NaN"))
    assert not out.exists()


# -- labels: the same flags on every command that reads them --------------------------------------


def test_alpaca_eval_preference_needs_a_convention_on_compare(tmp_path: Path) -> None:
    path = tmp_path / "annotations.jsonl"
    path.write_bytes(_jsonl({**PAIR, "preference": 2}))
    out = tmp_path / "out.jsonl"
    args = ["compare", path.name, "-o", str(out), "-j", "fake", "--label-field", "preference"]
    refused = run_cli(*args, cwd=tmp_path)
    _check(refused, path, (1, "preference", "--label-convention alpaca_eval"))
    assert not out.exists()
    accepted = run_cli(*args, "--label-convention", "alpaca_eval", cwd=tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    [line] = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["item"]["human_label"] == "response_2"


def test_bench_pairwise_names_the_label_flags(tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_bytes(_jsonl({**PAIR, "label": 3, "scenario": "chitchat"}))
    out = tmp_path / "bench.jsonl"
    result = run_cli("bench", "pairwise", "--data", path.name, "-j", "fake", "-o", str(out), cwd=tmp_path)
    _check(result, path, (1, "label", "--label-response-1"))
    named = run_cli(
        "bench",
        "pairwise",
        "--data",
        path.name,
        "-j",
        "fake",
        "-o",
        str(out),
        "--label-tie",
        "3",
        cwd=tmp_path,
    )
    assert named.returncode == 0, named.stderr


def test_pipeline_ingest_takes_the_same_label_flags(tmp_path: Path) -> None:
    path = tmp_path / "prefs.csv"
    path.write_bytes((HEADER.replace("\n", ",label\n") + "p1,q,a,b,1.5\n").encode())
    out = tmp_path / "samples.jsonl"
    refused = run_cli("pipeline", "ingest", path.name, "--format", "pairs", "-o", str(out), cwd=tmp_path)
    _check(refused, path, (2, "label", "--label-convention"))
    accepted = run_cli(
        "pipeline", "ingest", path.name, "--format", "pairs", "-o", str(out),
        "--label-convention", "alpaca_eval", cwd=tmp_path,
    )  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    [line] = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["label"] == "tie"
