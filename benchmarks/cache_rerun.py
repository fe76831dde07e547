"""The same `autoj compare` command run twice: the second run is served by the judgment cache.

Both runs write a fresh output file (--overwrite), so nothing is skipped by resuming: the second
run's speed is the cache's. Uses a fresh cache file; prints process wall times, the judging time
the command reports, and their ratios.

    python benchmarks/cache_rerun.py [--pairs 50] [--judge llamacpp] [--max-new-tokens 256]
    python benchmarks/cache_rerun.py --judge fake:delay=2   # when the CPU is busy: 2 s per prompt
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autoj.data.datadir import data_path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--judge", default="llamacpp")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    args = parser.parse_args()
    source = data_path("autoj/test/testdata_pairwise.jsonl")
    if source is None:
        raise SystemExit("Eval-P not found: set AUTOJ_DATA_DIR")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "AUTOJ_CACHE": str(Path(folder) / "cache.sqlite")}
        command = [
            sys.executable, "-m", "autoj", "compare", str(source), "-o", str(Path(folder) / "out.jsonl"),
            "--judge", args.judge, "--limit", str(args.pairs), "--max-new-tokens", str(args.max_new_tokens),
            "--overwrite", "--json", "--on-invalid", "skip",
        ]  # fmt: skip
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - started
            summary = json.loads(done.stdout)
            runs.append((wall, summary["elapsed_s"], summary["cache_hits"], summary["judged"]))
    (wall1, judge1, _, judged), (wall2, judge2, hits, _) = runs
    print(f"{judged} Eval-P pairs, judge {args.judge}, load {os.getloadavg()}")
    print(f"first run : {wall1:8.2f}s process, {judge1:8.3f}s judging")
    print(f"second run: {wall2:8.2f}s process, {judge2:8.3f}s judging ({hits} cache hits)")
    print(f"speed-up  : {wall1 / wall2:8.1f}x process, {judge1 / max(judge2, 1e-3):8.1f}x judging")


if __name__ == "__main__":
    main()
