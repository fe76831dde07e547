"""Reading items: formats, field mapping, and errors that say file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoj.errors import AutojError, InputError
from autoj.io.items import FieldMap, LabelMap, checked_items, load_items
from autoj.types import PairItem, SingleItem, Verdict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bundled_examples_load() -> None:
    pairs = load_items(EXAMPLES / "pairs.jsonl", "pairwise")
    singles = load_items(EXAMPLES / "singles.jsonl", "single")
    assert not pairs.problems and not singles.problems
    assert len(pairs.pairs) == 6 and len(singles.singles) == 4
    assert pairs.pairs[0].id == "capital" and pairs.pairs[0].label is Verdict.RESPONSE_1
    assert singles.singles[1].reference_score == 2.0


def test_problems_name_file_line_and_field(tmp_path: Path) -> None:
    good = {"prompt": "q", "response 1": "a", "response 2": "b"}
    path = write_lines(
        tmp_path / "in.jsonl",
        [
            json.dumps(good),
            "{not json",
            json.dumps({"prompt": "q", "response 1": "a"}),
            "",
            json.dumps({"prompt": "q", "response 1": "  ", "response 2": "b"}),
            json.dumps({**good, "label": "maybe"}),
            json.dumps({**good, "response 2": 3}),
        ],
    )
    loaded = load_items(path, "pairwise", on_invalid="skip")
    assert len(loaded.pairs) == 1
    found = [(p.line, p.field) for p in loaded.problems]
    assert found == [(2, None), (3, "response 2"), (5, "response 1"), (6, "label"), (7, "response 2")]
    text = [str(p) for p in loaded.problems]
    assert (
        text[1] == f"{path}:3 field 'response 2': missing field (name another field with --response-2-field)"
    )
    assert "empty text" in text[2]


def test_fail_mode_raises_before_anything_runs_and_skip_mode_keeps_the_good(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "in.jsonl",
        [json.dumps({"prompt": "q", "response": "r"}), json.dumps({"prompt": "q"})],
    )
    with pytest.raises(InputError) as info:
        checked_items(path, "single")
    assert f"{path}:2 field 'response'" in str(info.value)
    items, problems = checked_items(path, "single", on_invalid="skip")
    assert [i.id for i in items] == ["1"] and len(problems) == 1


def test_csv_and_json_with_mapped_fields(tmp_path: Path) -> None:
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("question,answer,id\nWhat?,This.,x1\nWhy?,,x2\n", encoding="utf-8")
    fields = FieldMap(query="question", response="answer")
    loaded = load_items(csv_path, "single", fields, on_invalid="skip")
    assert loaded.singles == [SingleItem("What?", "This.", "x1", None, None, {})]
    assert [(p.line, p.field) for p in loaded.problems] == [(3, "answer")]

    json_path = tmp_path / "in.json"
    json_path.write_text(json.dumps([{"q": "a?", "A": "x", "B": "y", "winner": "B"}]), encoding="utf-8")
    fields = FieldMap(query="q", response_1="A", response_2="B", label="winner")
    pairs = load_items(json_path, "pairwise", fields).pairs
    assert pairs == [PairItem("a?", "x", "y", "1", None, Verdict.RESPONSE_2, {})]


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    row = {"id": 7, "prompt": "q", "response": "r"}
    path = write_lines(tmp_path / "in.jsonl", [json.dumps(row), json.dumps(row)])
    loaded = load_items(path, "single", on_invalid="skip")
    assert len(loaded.singles) == 1
    assert "duplicate id '7' (first at 1)" in str(loaded.problems[0])


def test_real_eval_p_loads_with_default_fields() -> None:
    from tests.conftest import shared_file

    path = shared_file("autoj/test/testdata_pairwise.jsonl")
    strict = load_items(path, "pairwise", on_invalid="skip")
    # one Eval-P response is empty (a model answered nothing): an error unless allowed
    assert [(p.line, p.field) for p in strict.problems] == [(569, "response 2")]
    loaded = load_items(path, "pairwise", allow_empty=True)
    assert len(loaded.pairs) == 1392
    labels = [p.label for p in loaded.pairs]
    assert labels.count(Verdict.TIE) == 1392 - 1019
    assert not loaded.problems


def test_gzipped_jsonl_and_json_read_like_plain_files(tmp_path: Path) -> None:
    import gzip

    rows = [{"prompt": "q", "response": "r", "id": "g1"}]
    jsonl = tmp_path / "in.jsonl.gz"
    with gzip.open(jsonl, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(rows[0]) + "\n{broken\n")
    loaded = load_items(jsonl, "single", on_invalid="skip")
    assert [i.id for i in loaded.singles] == ["g1"] and [p.line for p in loaded.problems] == [2]
    array = tmp_path / "in.json.gz"
    with gzip.open(array, "wt", encoding="utf-8") as handle:
        json.dump(rows, handle)
    assert [i.id for i in load_items(array, "single", on_invalid="skip").singles] == ["g1"]


# -- one reader for every format, checked at the edge ---------------------------------------------

PAIR = {"id": "p1", "prompt": "q", "response 1": "a", "response 2": "b", "label": 0}
HEADER = "id,prompt,response 1,response 2,label\n"


def _gz(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


def _parquet(rows: list[dict[str, object]]) -> bytes:
    pa = pytest.importorskip("pyarrow")
    import io

    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


GOOD_FILES = {
    "in.jsonl": (json.dumps(PAIR) + "\n").encode(),
    "in.ndjson": (json.dumps(PAIR) + "\n").encode(),
    "in.json": json.dumps([PAIR]).encode(),
    "wrapped.json": json.dumps({"items": [PAIR]}).encode(),
    "in.csv": (HEADER + "p1,q,a,b,0\n").encode(),
    "in.tsv": (HEADER.replace(",", "\t") + "p1\tq\ta\tb\t0\n").encode(),
    "bom.csv": b"\xef\xbb\xbf" + (HEADER + "p1,q,a,b,0\n").encode(),
    "bom.jsonl": b"\xef\xbb\xbf" + (json.dumps(PAIR) + "\n").encode(),
    "bom.json": b"\xef\xbb\xbf" + json.dumps([PAIR]).encode(),
    "crlf.csv": (HEADER + "p1,q,a,b,0\n").replace("\n", "\r\n").encode(),
    "in.jsonl.gz": _gz((json.dumps(PAIR) + "\n").encode()),
    "in.json.gz": _gz(json.dumps([PAIR]).encode()),
    "in.csv.gz": _gz((HEADER + "p1,q,a,b,0\n").encode()),
    "in.tsv.gz": _gz((HEADER.replace(",", "\t") + "p1\tq\ta\tb\t0\n").encode()),
}


@pytest.mark.parametrize("name", sorted(GOOD_FILES))
def test_every_format_reads_the_same_item(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(GOOD_FILES[name])
    loaded = load_items(path, "pairwise")
    assert not loaded.problems
    assert loaded.pairs == [PairItem("q", "a", "b", "p1", None, Verdict.RESPONSE_1, {})]


@pytest.mark.parametrize("name", ["in.parquet", "in.parquet.gz"])
def test_parquet_and_gzipped_parquet_read_the_same_item(tmp_path: Path, name: str) -> None:
    data = _parquet([PAIR, {**PAIR, "id": "p2", "label": 2}])
    path = tmp_path / name
    path.write_bytes(_gz(data) if name.endswith(".gz") else data)
    loaded = load_items(path, "pairwise")
    assert not loaded.problems
    assert [(p.id, p.label) for p in loaded.pairs] == [("p1", Verdict.RESPONSE_1), ("p2", Verdict.TIE)]


LONG = "x" * 300_000  # beyond the csv module's default field limit (131,072 characters)

# (file name, content, expected (line, field, words in the message)) for each kind of bad file
BAD_FILES: dict[str, tuple[str, bytes, tuple[int, str | None, str]]] = {
    "lone surrogate": (
        "s.jsonl",
        (
            json.dumps(PAIR) + "\n" + json.dumps({**PAIR, "id": "p2"}).replace('"q"', '"q\\ud800"') + "\n"
        ).encode(),
        (2, "prompt", "lone surrogate"),
    ),
    "NaN in a field": (
        "n.jsonl",
        b'{"id": "1", "prompt": "q", "response 1": "a", "response 2": "b", "w": NaN}\n',
        (1, "w", "NaN"),
    ),
    "Infinity nested": (
        "i.jsonl",
        b'{"id": "1", "prompt": "q", "response 1": "a", "response 2": "b", "m": {"x": [1, -Infinity]}}\n',
        (1, "m.x[1]", "Infinity"),
    ),
    "not UTF-8 (JSONL)": (
        "l.jsonl",
        (json.dumps(PAIR) + "\n").encode() + b'{"prompt": "caf\xe9"}\n',
        (2, None, "not UTF-8"),
    ),
    "not UTF-8 (CSV)": (
        "l.csv",
        (HEADER + "p1,q,a,b,0\n").encode() + b"p2,caf\xe9,a,b,0\n",
        (3, None, "not UTF-8"),
    ),
    "not UTF-8 (JSON)": ("l.json", b'[\n{"prompt": "caf\xe9"}\n]', (2, None, "not UTF-8")),
    "duplicate CSV header": (
        "d.csv",
        b"id,prompt,prompt,response 1,response 2\n1,q,q,a,b\n",
        (1, "prompt", "duplicate column"),
    ),
    "duplicate TSV header": ("d.tsv", b"id\tprompt\tid\n1\tq\t2\n", (1, "id", "duplicate column")),
    "CSV row with extra fields": ("x.csv", (HEADER + "p1,q,a,b,0,extra\n").encode(), (2, None, "6 fields")),
    "CSV unclosed quote beyond the field limit": (
        "q.csv",
        (HEADER + 'p1,"' + "y" * (70 * 1024 * 1024 // 64) * 64 + "\n").encode(),
        (2, None, "longer than 64 MiB"),
    ),
    "numeric label outside Auto-J's 0/1/2": (
        "a.jsonl",
        (json.dumps({**PAIR, "label": 1.5}) + "\n").encode(),
        (1, "label", "--label-convention"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_problems_naming_file_line_and_field(tmp_path: Path, case: str) -> None:
    name, content, (line, field, words) = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(content)
    loaded = load_items(path, "pairwise", on_invalid="skip")
    assert loaded.problems, case
    problem = loaded.problems[-1]
    assert (problem.path, problem.line, problem.field) == (str(path), line, field)
    assert words in problem.message
    assert str(problem).startswith(f"{path}:{line}")


def test_a_field_longer_than_the_csv_default_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(HEADER + f'p1,q,"{LONG}",b,0\n', encoding="utf-8")
    [pair] = load_items(path, "pairwise").pairs
    assert pair.response_1 == LONG


def test_a_bom_csv_keeps_its_first_column(tmp_path: Path) -> None:
    """The byte-order mark once became part of the first header ('\\ufeffid'): ids were lost."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,prompt,response\nx1,q,r\n")
    assert [i.id for i in load_items(path, "single").singles] == ["x1"]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("plain.jsonl.gz", b'{"prompt": "q"}\n', "not gzip data"),
        ("cut.jsonl.gz", _gz(b'{"prompt": "q", "response": "r"}\n' * 50)[:30], "damaged or cut short"),
        ("bad.parquet", b"PAR1 not really", "not a readable Parquet file"),
    ],
)
def test_unreadable_files_are_one_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AutojError) as info:
        load_items(path, "single")
    assert str(path) in str(info.value) and words in str(info.value)
    assert "\n" not in str(info.value)


def test_a_directory_or_missing_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(AutojError, match="not a regular file"):
        load_items(tmp_path, "single")
    with pytest.raises(AutojError, match="input file not found"):
        load_items(tmp_path / "absent.jsonl", "single")


def test_nan_reference_scores_are_not_numbers(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("prompt,response,score\nq,r,nan\nq,r,inf\nq,r,7\n", encoding="utf-8")
    loaded = load_items(path, "single", on_invalid="skip")
    assert [(p.line, p.field) for p in loaded.problems] == [(2, "score"), (3, "score")]
    assert len(loaded.singles) == 1


# -- autoj's own results are inputs ----------------------------------------------------------------


def test_a_results_file_is_read_back_as_the_items_it_judged(tmp_path: Path) -> None:
    from autoj import FakeBackend, Judge
    from autoj.run.runner import run_to_file

    pairs = [
        PairItem("q1", "a", "b", "one", "chitchat", Verdict.TIE, {"source": "s"}),
        PairItem("q2", "c", "d", "two", None, None, {}),
    ]
    out = tmp_path / "results.jsonl"
    engine = Judge(FakeBackend(), protocol="autoj").engine()
    import asyncio

    asyncio.run(run_to_file(engine, list(pairs), out))
    loaded = load_items(out, "pairwise")
    assert not loaded.problems
    assert sorted(loaded.pairs, key=lambda p: p.id) == sorted(pairs, key=lambda p: p.id)
    wrong_kind = load_items(out, "single", on_invalid="skip")
    assert {(p.field, "pairwise result" in p.message) for p in wrong_kind.problems} == {("kind", True)}


def test_a_rating_results_file_is_read_back_as_its_singles(tmp_path: Path) -> None:
    import asyncio

    from autoj import FakeBackend, Judge
    from autoj.run.runner import run_to_file

    singles = [SingleItem("q1", "r1", "a", None, 7.0, {}), SingleItem("q2", "r2", "b", "chitchat", None, {})]
    out = tmp_path / "rated.jsonl"
    asyncio.run(run_to_file(Judge(FakeBackend(), protocol="autoj").engine(), list(singles), out))
    loaded = load_items(out, "single")
    assert not loaded.problems
    assert sorted(loaded.singles, key=lambda s: s.id) == singles


# -- labels: one map, numbers read under a named convention ---------------------------------------


def _labelled(tmp_path: Path, field: str, values: list[object]) -> Path:
    rows = [{**PAIR, "id": str(n), field: v} for n, v in enumerate(values)]
    return write_lines(tmp_path / "labels.jsonl", [json.dumps(r) for r in rows])


@pytest.mark.parametrize(
    ("labels", "values", "expected"),
    [
        (
            None,
            [0, 1, 2, "A", "b", "tie", "Response 1", 1.0],
            [
                "response_1",
                "response_2",
                "tie",
                "response_1",
                "response_2",
                "tie",
                "response_1",
                "response_2",
            ],
        ),
        (
            LabelMap.from_options("alpaca_eval"),
            [1, 2, 0, 1.5, "2"],
            ["response_1", "response_2", "tie", "tie", "response_2"],
        ),
        (
            LabelMap.from_options(None, "first", "second", "even"),
            ["first", "second", "even", 0],
            ["response_1", "response_2", "tie", "response_1"],
        ),
    ],
)
def test_label_conventions_and_named_values(
    tmp_path: Path, labels: LabelMap | None, values: list[object], expected: list[str]
) -> None:
    loaded = load_items(_labelled(tmp_path, "label", values), "pairwise", labels=labels)
    assert not loaded.problems
    assert [p.label.value if p.label else None for p in loaded.pairs] == expected


def test_alpaca_eval_preference_is_never_silently_read_as_autoj(tmp_path: Path) -> None:
    path = _labelled(tmp_path, "preference", [1, 2, 2])
    fields = FieldMap(label="preference")
    loaded = load_items(path, "pairwise", fields, on_invalid="skip")
    assert not loaded.pairs and len(loaded.problems) == 3
    message = loaded.problems[0].message
    assert "--label-convention alpaca_eval" in message and "--label-response-1" in message
    chosen = load_items(path, "pairwise", fields, labels=LabelMap.from_options("alpaca_eval"))
    assert [p.label for p in chosen.pairs] == [Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.RESPONSE_2]


@pytest.mark.parametrize("value", [3, -1, 1.5, "7"])
def test_numbers_outside_the_convention_name_the_flags(tmp_path: Path, value: object) -> None:
    [problem] = load_items(_labelled(tmp_path, "label", [value]), "pairwise", on_invalid="skip").problems
    assert problem.field == "label"
    assert "does not fit the autoj convention" in problem.message
    assert "--label-convention" in problem.message and "--label-tie" in problem.message


def test_label_flag_mistakes_are_errors() -> None:
    with pytest.raises(AutojError, match="unknown label convention"):
        LabelMap.from_options("elo")
    with pytest.raises(AutojError, match="different values"):
        LabelMap.from_options(None, "x", "x")


def test_pipeline_ingest_reads_through_the_same_reader_and_labels(tmp_path: Path) -> None:
    from autoj.pipeline.ingest import ingest

    path = tmp_path / "prefs.csv"
    path.write_bytes(b"\xef\xbb\xbfid,prompt,response 1,response 2,label\nz1,q,a,b,win\nz2,q,c,d,1.5\n")
    samples, report = ingest(path, "pairs", on_invalid="skip")
    assert [s.id for s in samples] == ["z1"]
    assert report.problems[0].field == "label" and "--label-convention" in report.problems[0].message
    samples, _ = ingest(path, "pairs", labels=LabelMap.from_options("alpaca_eval"))
    assert [getattr(s, "label", None) for s in samples] == [Verdict.RESPONSE_1, Verdict.TIE]


# -- a protocol that prompts with scenario criteria needs a known scenario --------------------------


def test_an_unknown_scenario_is_an_input_problem_for_criteria_protocols(tmp_path: Path) -> None:
    from autoj.protocols import get_protocol

    rows = [{**PAIR, "id": "1", "scenario": "chitchat"}, {**PAIR, "id": "2", "scenario": "chit_chatt"}]
    path = write_lines(tmp_path / "sc.jsonl", [json.dumps(r) for r in rows])
    criteria, chat = get_protocol("chat+criteria"), get_protocol("chat")
    assert criteria.scenario_problem("chit_chatt") and criteria.scenario_problem("chitchat") is None
    assert chat.scenario_problem("chit_chatt") is None
    assert not load_items(path, "pairwise").problems
    assert not load_items(path, "pairwise", scenario_check=chat.scenario_problem).problems
    [problem] = load_items(
        path, "pairwise", scenario_check=criteria.scenario_problem, on_invalid="skip"
    ).problems
    assert (problem.line, problem.field) == (
        2,
        "scenario",
    ) and "unknown scenario 'chit_chatt'" in problem.message
