"""End to end on real data: `autoj compare --both-orders` on Eval-P pairs, embedded model in process
and the same model behind a real OpenAI-compatible server (llama-cpp-python's) on loopback.

Prints wall time, judgments/min, generated tokens/s and the share of parse failures for each.
    .venv/bin/python benchmarks/end_to_end.py [--pairs 20] [--max-new-tokens 256]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from autoj.backends.llamacpp import embedded_model_path
from autoj.data.datadir import data_path, missing_data_message

EVAL_P = "autoj/test/testdata_pairwise.jsonl"


def sample_pairs(count: int, target: Path) -> None:
    """Every k-th Eval-P pair, so the sample spans the scenarios (the file is sorted by scenario)."""
    source = data_path(EVAL_P)
    if source is None:
        sys.exit(missing_data_message(EVAL_P))
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    step = len(rows) // count
    with target.open("w", encoding="utf-8") as handle:
        for number in range(count):
            row = rows[number * step]
            row["id"] = f"evalp-{number * step + 1}"
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def compare(source: Path, out: Path, judge: str, max_new_tokens: int) -> dict:
    command = [sys.executable, "-m", "autoj", "compare", str(source), "-o", str(out), "--judge", judge]
    command += ["--both-orders", "--no-cache", "--overwrite", "--json", "--allow-empty"]
    command += ["--max-new-tokens", str(max_new_tokens)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    judgments = [r["judgment"] for r in results] + [r["swapped"] for r in results]
    summary["parse_failure_share"] = sum(j["status"] == "parse_error" for j in judgments) / len(judgments)
    summary["consistent_share"] = sum(bool(r.get("consistent")) for r in results) / len(results)
    return summary


def start_server(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path())]
    command += [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--model_alias",
        "smollm2-135m",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    sys.exit("the llama-cpp-python server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "pairs.jsonl"
        sample_pairs(args.pairs, source)
        rows = {
            "embedded (llamacpp)": compare(source, Path(tmp) / "a.jsonl", "llamacpp", args.max_new_tokens)
        }
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = start_server(port)
        try:
            judge = f"openai:smollm2-135m@http://127.0.0.1:{port}/v1"
            rows["openai -> llama-cpp-python server"] = compare(
                source, Path(tmp) / "b.jsonl", judge, args.max_new_tokens
            )
        finally:
            server.terminate()
            server.wait()
    total = 2 * args.pairs
    print(f"{args.pairs} Eval-P pairs, both orders ({total} judgments), max {args.max_new_tokens} new tokens")
    header = ("judge", "wall s", "judgm/min", "gen tok/s", "parse fail", "consistent")
    print(f"{header[0]:36} " + " ".join(f"{h:>11}" for h in header[1:]))
    for name, s in rows.items():
        figures = (s["elapsed_s"], s["judgments_per_min"], s["generated_tokens_per_s"])
        shares = (s["parse_failure_share"], s["consistent_share"])
        print(
            f"{name:36} "
            + " ".join(f"{f:11.1f}" for f in figures)
            + " "
            + " ".join(f"{x:11.1%}" for x in shares)
        )


if __name__ == "__main__":
    main()
