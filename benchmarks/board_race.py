"""Runs of `autoj evaluate` adding rows to one `--leaderboard` at the same moment: rows lost.

    .venv/bin/python benchmarks/board_race.py [--trials 20] [--runs 2]

Each trial starts `--runs` evaluations of different models (fake judge, 4 instructions) on one
new board. Their judges hold every answer until a gate file exists; once all of them are judging,
the gate opens, so they finish and update the board together. Prints, per trial, the rows found
and the wall time, then the total of rows lost (a board must hold one row per run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autoj.evaluate.leaderboard import read_board

QUESTIONS = [f"Question {i}: explain topic {i} briefly." for i in range(4)]


def outputs(path: Path, model: str) -> Path:
    rows = [
        {"instruction": q, "output": f"{model} answers {i}", "generator": model}
        for i, q in enumerate(QUESTIONS)
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def trial(folder: Path, runs: int) -> tuple[int, float]:
    """Rows on the board after `runs` simultaneous evaluations, and the trial's wall time."""
    reference = outputs(folder / "ref.json", "base")
    board, gate = folder / "board.csv", folder / "gate"
    started = time.perf_counter()
    processes = []
    for n in range(runs):
        ready = folder / f"ready-{n}"
        command = [
            sys.executable, "-m", "autoj", "evaluate", str(outputs(folder / f"m{n}.json", f"model-{n}")),
            "--reference", str(reference), "-o", str(folder / f"r{n}.jsonl"), "--leaderboard", str(board),
            "--no-scenarios", "--no-cache", "-j", f"fake:ready={ready},gate={gate}",
        ]  # fmt: skip
        processes.append(
            (ready, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        )
    try:
        for ready, process in processes:
            while not ready.exists():
                if process.poll() is not None:
                    raise SystemExit(f"a run ended before judging: {process.communicate()[1].decode()}")
                time.sleep(0.02)
    finally:
        gate.touch()
        for _, process in processes:
            process.wait()
    failed = [p.returncode for _, p in processes if p.returncode != 0]
    if failed:
        raise SystemExit(f"runs failed with exit codes {failed}")
    return len(read_board(board)), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2, help="evaluations per board at once")
    args = parser.parse_args()
    lost = 0
    print(f"{'trial':>5} {'rows':>4} {'lost':>4} {'wall_s':>7}")
    for number in range(1, args.trials + 1):
        with tempfile.TemporaryDirectory() as folder:
            rows, wall = trial(Path(folder), args.runs)
        lost += args.runs - rows
        print(f"{number:>5} {rows:>4} {args.runs - rows:>4} {wall:>7.1f}")
    print(f"{args.trials} trials of {args.runs} runs at once: rows lost {lost}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
