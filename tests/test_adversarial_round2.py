"""The second adversarial round: resumes keyed by content, secrets in every encoding, identities
from every option sent, outputs that never destroy or mix files, concurrency held by barriers.

Each case asserts exact behaviour: the exit code, the one message line naming the file, line or
flag, files left intact, no traceback, and no secret in any output, log or cache, in any encoding.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from tests.test_adversarial_cli import EXAMPLES, autoj, one_error_line, wait_for, write_pairs

from autoj.evaluate.leaderboard import LeaderboardRow, read_board, update_board
from autoj.judges.config import JudgeConfig
from autoj.serve import ServeSettings, create_app
from autoj.serve.server import serve_in_thread

QUESTIONS = [f"Question {i}: explain topic {i} briefly." for i in range(4)]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run of a test caches in the test's folder (grepped for secrets with the rest)."""
    monkeypatch.setenv("AUTOJ_CACHE", str(tmp_path / "cache.sqlite"))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def summary(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def outputs_file(path: Path, model: str, answer: str) -> Path:
    rows = [
        {"instruction": q, "output": f"{answer} {i}", "generator": model} for i, q in enumerate(QUESTIONS)
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def evaluate(*args: str | Path, judge: str = "fake") -> subprocess.CompletedProcess[str]:
    return autoj("evaluate", *args, "-j", judge, "--no-scenarios", "--no-cache", timeout=120)


# --- 1. a results line stands for exactly its content ---------------------------------------------


def test_evaluate_against_another_reference_into_the_same_output_is_refused(tmp_path: Path) -> None:
    model = outputs_file(tmp_path / "m.json", "model-m", "M says")
    first = outputs_file(tmp_path / "ref1.json", "ref-one", "One says")
    second = outputs_file(tmp_path / "ref2.json", "ref-two", "Two says")
    out, board = tmp_path / "r.jsonl", tmp_path / "board.csv"
    assert evaluate(model, "--reference", first, "-o", out, "--leaderboard", board).returncode == 0
    before, board_before = out.read_bytes(), board.read_bytes()
    line = one_error_line(evaluate(model, "--reference", second, "-o", out, "--leaderboard", board), 2)
    assert f"-o {out}" in line and "'ref-one'" in line and "--reference is 'ref-two'" in line
    assert out.read_bytes() == before and board.read_bytes() == board_before


def test_regenerated_outputs_under_the_same_name_are_judged_again(tmp_path: Path) -> None:
    reference = outputs_file(tmp_path / "ref.json", "base", "The reference answer")
    model = outputs_file(tmp_path / "m.json", "model-m", "short")
    out = tmp_path / "r.jsonl"
    first = summary(evaluate(model, "--reference", reference, "-o", out, "--json"))
    assert first["run"]["judged"] == 4
    outputs_file(model, "model-m", "a regenerated and much longer answer than before")
    again = summary(evaluate(model, "--reference", reference, "-o", out, "--json"))
    assert again["run"]["judged"] == 4 and again["run"]["already_done"] == 0
    [row] = again["leaderboard"]
    assert row["avg_length"] == len("a regenerated and much longer answer than before 0")
    written = lines(out)
    assert len(written) == 4 and all(r["item"]["response_2"].startswith("a regenerated") for r in written)


def test_a_second_input_without_ids_never_resumes_into_the_first_ones_file(tmp_path: Path) -> None:
    def no_ids(path: Path, topic: str) -> Path:
        rows = [{"prompt": f"{topic} {i}?", "response 1": "a", "response 2": "b"} for i in range(3)]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    out = tmp_path / "out.jsonl"
    assert autoj("compare", no_ids(tmp_path / "one.jsonl", "Cats"), "-o", out, "-j", "fake").returncode == 0
    before = out.read_bytes()
    done = autoj("compare", no_ids(tmp_path / "two.jsonl", "Dogs"), "-o", out, "-j", "fake")
    line = one_error_line(done, 2, f"{out}:1: id '1'", "another query", "--overwrite")
    assert "numbered by line" in line and out.read_bytes() == before


def test_an_edited_response_is_judged_again_and_its_stale_line_goes(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.jsonl", 6)
    out = tmp_path / "out.jsonl"
    assert autoj("compare", source, "-o", out, "-j", "fake").returncode == 0
    rows = [json.loads(x) for x in source.read_text().splitlines()]
    rows[2]["response 2"] = "An edited, better answer."
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    again = summary(autoj("compare", source, "-o", out, "-j", "fake", "--json"))
    assert (again["judged"], again["rejudged"], again["already_done"]) == (1, 1, 5)
    written = {r["id"]: r for r in lines(out)}
    assert len(lines(out)) == 6 and written["item-2"]["item"]["response_2"] == "An edited, better answer."
    plain = autoj("compare", source, "-o", out, "-j", "fake")
    assert plain.returncode == 0 and "0 judged, 6 already" in plain.stderr


def test_a_pasted_line_of_another_query_is_refused_and_one_of_the_same_query_rejudged(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.jsonl", 4)
    out, other_out = tmp_path / "out.jsonl", tmp_path / "other.jsonl"
    assert autoj("compare", source, "-o", out, "-j", "fake").returncode == 0
    other = tmp_path / "other-input.jsonl"
    other.write_text(
        json.dumps({"id": "item-1", "prompt": "Another question?", "response 1": "x", "response 2": "y"})
    )
    assert autoj("compare", other, "-o", other_out, "-j", "fake").returncode == 0
    kept = out.read_text().splitlines()  # in the order the items finished
    at = [json.loads(x)["id"] for x in kept].index("item-1")
    pasted = [*kept[:at], other_out.read_text().strip(), *kept[at + 1 :]]  # item-1 from another file
    out.write_text("\n".join(pasted) + "\n")
    before = out.read_bytes()
    done = autoj("compare", source, "-o", out, "-j", "fake")
    one_error_line(done, 2, f"{out}:{at + 1}: id 'item-1'", "another query")
    assert out.read_bytes() == before
    # the same query with other responses (a line of an older version of this file): judged again
    edited = json.loads(kept[at])
    edited["item"]["response_1"] = "an older response"
    out.write_text("\n".join([*kept[:at], json.dumps(edited), *kept[at + 1 :]]) + "\n")
    again = summary(autoj("compare", source, "-o", out, "-j", "fake", "--json"))
    assert (again["judged"], again["rejudged"]) == (1, 1)
    assert {r["id"]: r["item"]["response_1"] for r in lines(out)}["item-1"] == "A1"


def test_a_line_edited_by_hand_no_longer_stands_for_its_judgment(tmp_path: Path) -> None:
    source = write_pairs(tmp_path / "pairs.jsonl", 3)
    out = tmp_path / "out.jsonl"
    assert autoj("compare", source, "-o", out, "-j", "fake").returncode == 0
    rows = lines(out)
    rows[0]["judgment"]["raw"] = "forged"
    rows[0]["item"]["response_1"] = "text changed after the judgment was made"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # The item text in the file no longer matches the hash recorded with its judgment.
    again = summary(autoj("compare", source, "-o", out, "-j", "fake", "--json"))
    assert (again["judged"], again["rejudged"]) == (1, 1)
    assert [r["judgment"]["raw"] for r in lines(out)].count("forged") == 0


def test_a_duplicated_line_is_noticed_by_report_and_dropped_by_a_resume(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", out, "-j", "fake").returncode == 0
    text = out.read_text().splitlines()
    out.write_text("\n".join([*text, text[2]]) + "\n")  # 7 lines for 6 ids
    copied = json.loads(text[2])["id"]  # lines are in the order the items finished
    page = tmp_path / "page.html"
    line = one_error_line(
        autoj("report", out, "-o", page), 1, f"{out}:7: id {copied!r} again (first at line 3)"
    )
    assert "one line per item" in line and not page.exists()
    resumed = summary(autoj("compare", EXAMPLES / "pairs.jsonl", "-o", out, "-j", "fake", "--json"))
    assert (resumed["judged"], resumed["already_done"]) == (0, 6)
    assert len(lines(out)) == 6 and autoj("report", out, "-o", page).returncode == 0


def test_rate_never_appends_ratings_to_a_pairwise_results_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", out, "-j", "fake").returncode == 0
    before = out.read_bytes()
    line = one_error_line(autoj("rate", EXAMPLES / "singles.jsonl", "-o", out, "-j", "fake"), 2, f"{out}:1")
    assert "pairwise verdicts" in line and "single-response ratings" in line and "another output" in line
    assert out.read_bytes() == before


# --- 2. secrets: never in results, the cache, boards, logs, messages or answers -------------------

API_KEY = 'sk-TEST/key+with"odd chars'
USER, PASSWORD = "judgeuser", "p@ss:W0rd-SECRET"


def encodings(secret: str) -> set[str]:
    """Every form a secret could come back in (what a grep for it must not find)."""
    raw = secret.encode()
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        json.dumps(secret)[1:-1],
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    return forms


# What the hostile server sends back: every full form of every credential.
ECHOED = encodings(API_KEY) | encodings(PASSWORD) | {base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
# What must be found nowhere: those, and pieces of the password a cut-off redaction would leave.
SECRET_FORMS = ECHOED | {"W0rd-SECRET", "ss:W0rd"}


def secrets_in(*texts: str | bytes, under: Path | None = None) -> list[str]:
    """The secret forms found in the texts and in every file under a folder (SQLite files too)."""
    blobs = [t.encode() if isinstance(t, str) else t for t in texts]
    if under is not None:
        blobs += [p.read_bytes() for p in under.rglob("*") if p.is_file()]
    return sorted({form for form in SECRET_FORMS for blob in blobs if form.encode() in blob})


class _Echo(BaseHTTPRequestHandler):
    """An OpenAI-compatible server that echoes every credential it got, in every encoding, inside
    an otherwise good judgment (status 200); or inside an error answer (500) when `fail` is set."""

    fail = False
    echo_secrets = True  # off for a judge given no credentials: it could not know what to hide
    models: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).models.append(body.get("model"))
        auth = self.headers.get("Authorization", "")
        echoed = (" ".join(sorted(ECHOED)) if self.echo_secrets else "nothing") + f" header={auth}"
        text = f"I saw {echoed}.\n\nSo, the final decision is Response 1."
        chat = self.path.endswith("/chat/completions")
        choice = {"message": {"content": text}} if chat else {"text": text}
        answer = {"choices": [{**choice, "finish_reason": "stop"}], "usage": {}}
        data = json.dumps({"error": echoed} if self.fail else answer).encode()
        self.send_response(500 if self.fail else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def echo() -> Iterator[tuple[type[_Echo], str]]:
    handler = type("Echo", (_Echo,), {"models": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, f"{server.server_address[0]}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def secret_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "AUTOJ_API_KEY": API_KEY, "AUTOJ_CACHE": str(tmp_path / "cache.sqlite")}


@pytest.mark.parametrize("fail", [False, True], ids=["echo-in-answer", "echo-in-error"])
def test_credentials_a_server_echoes_reach_no_file_cache_or_message(
    tmp_path: Path, echo: tuple[type[_Echo], str], fail: bool
) -> None:
    handler, host = echo
    handler.fail = fail
    quoted = urllib.parse.quote(PASSWORD, safe=":")  # as a user would write it in a URL...
    raw = PASSWORD  # ...and with the raw `@`
    out = tmp_path / "out.jsonl"
    for password in (quoted, raw):
        judge = f"openai:m@http://{USER}:{password}@{host}/v1"
        done = autoj(
            "compare", EXAMPLES / "pairs.jsonl", "-o", out, "-j", judge, "--protocol", "autoj",
            "-B", "max_retries=0", "--overwrite", env=secret_env(tmp_path),
        )  # fmt: skip
        assert done.returncode == (1 if fail else 0) and "Traceback" not in done.stderr, done.stderr
        assert secrets_in(done.stdout, done.stderr, under=tmp_path) == []
    if not fail:
        assert (tmp_path / "cache.sqlite").exists() and all(r["status"] == "ok" for r in lines(out))
        assert "***" in lines(out)[0]["judgment"]["raw"]


def test_one_redaction_hides_every_form_of_a_secret_in_text_data_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from autoj.backends.redaction import install_log_redaction, redact, redact_data, register_secret

    register_secret(API_KEY)
    register_secret(PASSWORD, user=USER)
    for form in ECHOED:
        assert secrets_in(redact(f"echo <{form}> end")) == [], form
    url = f"see http://{USER}:{PASSWORD}@host:8000/v1 and mail me@example.org"
    assert redact(url) == "see http://***@host:8000/v1 and mail me@example.org"
    data = redact_data({"raw": [f"Bearer {API_KEY}"], API_KEY: {"n": 1}})
    assert data == {"raw": ["Bearer ***"], "***": {"n": 1}}
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("autoj.test").info("a server said %s", urllib.parse.quote(API_KEY, safe=""))
        try:
            raise RuntimeError(f"failed with key {API_KEY}")
        except RuntimeError:
            logging.getLogger("autoj.test").exception("request failed")
    assert "a server said ***" in caplog.text and secrets_in(caplog.text) == []


def test_judges_show_and_a_board_hide_url_credentials(tmp_path: Path, echo: tuple[type[_Echo], str]) -> None:
    _, host = echo
    judge = f"openai:m@http://{USER}:{PASSWORD}@{host}/v1"
    for args in (["judges", "show", judge], ["judges", "show", judge, "--json"]):
        shown = autoj(*args)
        assert shown.returncode == 0 and f"http://***@{host}/v1" in shown.stdout, shown.stderr
        assert secrets_in(shown.stdout, shown.stderr) == []
    model = outputs_file(tmp_path / "m.json", "model-m", "M says")
    reference = outputs_file(tmp_path / "ref.json", "base", "Ref says")
    board = tmp_path / "board.csv"
    done = autoj(
        "evaluate", model, "--reference", reference, "-o", tmp_path / "r.jsonl", "--leaderboard", board,
        "-j", judge, "--protocol", "autoj", "--no-scenarios", env=secret_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(read_board(board)) == 1 and secrets_in(done.stdout, done.stderr, under=tmp_path) == []


def test_the_service_never_answers_a_credential(
    tmp_path: Path,
    echo: tuple[type[_Echo], str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, host = echo
    monkeypatch.setenv("AUTOJ_API_KEY", API_KEY)
    config = JudgeConfig(judge=f"openai:m@http://{USER}:{PASSWORD}@{host}/v1", protocol="autoj")
    settings = ServeSettings(judge=config.judge, token="t0ken-for-tests")
    headers = {"Authorization": "Bearer t0ken-for-tests"}
    with serve_in_thread(create_app(config, settings)) as url:
        models = httpx.get(f"{url}/v1/models", headers=headers)
        pair = {"query": "Best colour?", "response_1": "Blue.", "response_2": "Red."}
        compared = httpx.post(f"{url}/v1/compare", json={"pairs": [pair]}, headers=headers, timeout=60)
    assert models.status_code == 200 and compared.status_code == 200, compared.text
    assert f"http://***@{host}/v1" in models.text and "***" in compared.text
    assert secrets_in(models.text, compared.text, caplog.text) == []


# --- 3. identity from every option a backend sends ------------------------------------------------


def test_an_extra_body_model_is_part_of_the_judges_identity(
    tmp_path: Path, echo: tuple[type[_Echo], str]
) -> None:
    handler, host = echo
    handler.echo_secrets = False
    url = f"http://{host}/v1"
    judge_a, judge_b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    judge_a.write_text(f"judge: openai:model-A@{url}\nprotocol: autoj\n")
    judge_b.write_text(
        f"judge: openai:model-A@{url}\nprotocol: autoj\noptions:\n  extra_body: {{model: model-B}}\n"
    )
    env = {**os.environ, "AUTOJ_CACHE": str(tmp_path / "cache.sqlite")}
    out_a, out_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", out_a, "-j", judge_a, env=env).returncode == 0
    handler.models.clear()
    done = summary(autoj("compare", EXAMPLES / "pairs.jsonl", "-o", out_b, "-j", judge_b, "--json", env=env))
    assert done["cache_hits"] == 0 and handler.models == ["model-B"] * 6  # model-A's answers not reused
    assert {r["provenance"]["setup"]["backend"]["model"] for r in lines(out_b)} == {"model-B"}
    before = out_a.read_bytes()
    line = one_error_line(autoj("compare", EXAMPLES / "pairs.jsonl", "-o", out_a, "-j", judge_b, env=env), 2)
    assert (
        "another judge setup" in line and "backend.model 'model-A' in the file, 'model-B' in this run" in line
    )
    assert out_a.read_bytes() == before


# --- 4. outputs never destroy or mix files --------------------------------------------------------


def _add_rows(board: Path, worker: int, trials: int, barrier: Any) -> None:
    for trial in range(trials):
        barrier.wait()  # every worker updates the same board at the same moment
        update_board(
            board.with_name(f"board-{trial}.csv"), [LeaderboardRow(model=f"model-{worker}", judge="j")]
        )


def test_runs_adding_rows_to_one_board_at_once_lose_none_in_20_races(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers, trials = 4, 20
    barrier = context.Barrier(workers)
    processes = [
        context.Process(target=_add_rows, args=(tmp_path / "board.csv", w, trials, barrier))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(300)
        assert process.exitcode == 0
    lost = sum(workers - len(read_board(tmp_path / f"board-{t}.csv")) for t in range(trials))
    assert lost == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"board-{t}.csv" for t in range(trials))


def test_two_evaluates_on_one_board_at_once_both_add_their_row(tmp_path: Path) -> None:
    reference = outputs_file(tmp_path / "ref.json", "base", "Ref says")
    board, gate = tmp_path / "board.csv", tmp_path / "gate"
    runs = []
    for name in ("one", "two"):
        model = outputs_file(tmp_path / f"{name}.json", f"model-{name}", f"{name} says")
        ready = tmp_path / f"ready-{name}"
        command = [
            sys.executable, "-m", "autoj", "evaluate", str(model), "--reference", str(reference),
            "-o", str(tmp_path / f"{name}.jsonl"), "--leaderboard", str(board), "--no-scenarios",
            "--no-cache", "-j", f"fake:ready={ready},gate={gate}",
        ]  # fmt: skip
        runs.append(
            (ready, subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        )
    try:
        for ready, process in runs:
            wait_for(ready, process)  # both are judging, held at the gate
    finally:
        gate.touch()  # released together: they reach the board at about the same time
        finished = [process.communicate(timeout=120) for _, process in runs]
    assert [p.returncode for _, p in runs] == [0, 0], finished
    assert sorted(r.model for r in read_board(board)) == ["model-one", "model-two"]


def test_a_board_link_stays_a_link_and_a_users_tmp_file_is_untouched(tmp_path: Path) -> None:
    real = tmp_path / "boards" / "main.csv"
    real.parent.mkdir()
    reference = outputs_file(tmp_path / "ref.json", "base", "Ref says")
    first = outputs_file(tmp_path / "m.json", "model-m", "M says")
    assert (
        evaluate(
            first, "--reference", reference, "-o", tmp_path / "r.jsonl", "--leaderboard", real
        ).returncode
        == 0
    )
    link = tmp_path / "board.csv"
    link.symlink_to(real)
    mine = tmp_path / "board.csv.tmp"
    mine.write_text("my notes\n")
    second = outputs_file(tmp_path / "n.json", "model-n", "N says")
    assert (
        evaluate(
            second, "--reference", reference, "-o", tmp_path / "r.jsonl", "--leaderboard", link
        ).returncode
        == 0
    )
    assert link.is_symlink() and sorted(r.model for r in read_board(real)) == ["model-m", "model-n"]
    assert mine.read_text() == "my notes\n"
    assert not [p for p in real.parent.iterdir() if p.name != "main.csv"]  # no temporary file left


def test_the_same_new_path_for_output_and_board_is_refused_before_judging(tmp_path: Path) -> None:
    reference = outputs_file(tmp_path / "ref.json", "base", "Ref says")
    model = outputs_file(tmp_path / "m.json", "model-m", "M says")
    same = tmp_path / "same.csv"
    line = one_error_line(evaluate(model, "--reference", reference, "-o", same, "--leaderboard", same), 2)
    assert "-o and --leaderboard name the same file" in line and not same.exists()


def test_rank_never_replaces_a_compare_results_file(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", results, "-j", "fake").returncode == 0
    before = results.read_bytes()
    queries = tmp_path / "queries.jsonl"
    queries.write_text(json.dumps({"id": "q", "prompt": "Best?", "candidates": ["a", "b"]}) + "\n")
    line = one_error_line(autoj("rank", queries, "-o", results, "-j", "fake"), 2, f"-o {results}:1")
    assert "not a rankings file" in line and results.read_bytes() == before
    # nor mixes its judgments into one that sits where its judgments file goes
    side = tmp_path / "ranks.judgments.jsonl"
    side.write_bytes(before)
    line = one_error_line(autoj("rank", queries, "-o", tmp_path / "ranks.jsonl", "-j", "fake"), 2)
    assert f"--judgments {side}" in line and "not this ranking's" in line and side.read_bytes() == before


def test_overwrite_with_a_model_that_does_not_load_keeps_the_old_results(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert autoj("compare", EXAMPLES / "pairs.jsonl", "-o", out, "-j", "fake").returncode == 0
    before = out.read_bytes()
    model = tmp_path / "broken.gguf"
    model.write_bytes(b"this is not a GGUF file\n")
    done = autoj(
        "compare", EXAMPLES / "pairs.jsonl", "-o", out, "-j", f"llamacpp:{model}", "--overwrite", "--no-cache"
    )
    one_error_line(done, 1, f"cannot load {model}")
    assert out.read_bytes() == before


def test_the_cache_and_other_files_are_never_results_outputs(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    env = {**os.environ, "AUTOJ_CACHE": str(cache)}
    assert (
        autoj(
            "compare", EXAMPLES / "pairs.jsonl", "-o", tmp_path / "r.jsonl", "-j", "fake", env=env
        ).returncode
        == 0
    )
    entries = sqlite3.connect(cache).execute("SELECT COUNT(*) FROM generations").fetchone()[0]
    before = cache.read_bytes()
    done = autoj("compare", EXAMPLES / "pairs.jsonl", "-o", cache, "-j", "fake", "--overwrite", env=env)
    one_error_line(done, 2, f"-o {cache} is an SQLite database", "not even with --overwrite")
    assert cache.read_bytes() == before and entries >= 6
    data = tmp_path / "data.jsonl"
    data.write_bytes((EXAMPLES / "singles.jsonl").read_bytes())
    done = autoj("compare", EXAMPLES / "pairs.jsonl", "-o", data, "-j", "fake", "--overwrite", env=env)
    one_error_line(done, 2, f"{data}:1 is not an autoj result line", "--overwrite replaces a results file")
    assert data.read_bytes() == (EXAMPLES / "singles.jsonl").read_bytes()


def test_cache_clear_never_deletes_a_file_that_is_not_a_cache(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_bytes((EXAMPLES / "pairs.jsonl").read_bytes())
    done = autoj("cache", "clear", "-y", env={**os.environ, "AUTOJ_CACHE": str(data)})
    one_error_line(done, 2, f"{data} is not a judgment cache", "AUTOJ_CACHE")
    assert data.read_bytes() == (EXAMPLES / "pairs.jsonl").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]
