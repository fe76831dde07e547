"""The HTML report: figures computed with autoj.bench's metrics, safe with hostile text, and
rendered for real in headless Chromium (the screenshot must show the plots)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("plotly", reason="the report needs the `report` extra (plotly)")

from autoj import FakeBackend, Judge, PairItem, SingleItem, Verdict
from autoj.io.results import ResultsWriter
from autoj.report import load_run, load_runs, render
from autoj.stats import metrics as m
from autoj.types import Item

ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts" / "test_report"
SCENARIOS = ("code_generation", "writing_cooking_recipe", "math_reasoning", "chitchat")
HOSTILE = "</script><script>document.title='pwned'</script><img src=x onerror=alert(1)>"


def _pairs(n: int) -> list[PairItem]:
    labels = (Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE)
    return [
        PairItem(
            query=f"Question {k} about {SCENARIOS[k % 4].replace('_', ' ')}?",
            response_1="An answer. " * (1 + k % 9),
            response_2="Another answer, longer or not. " * (1 + k % 5),
            id=str(k),
            scenario=SCENARIOS[k % 4],
            label=labels[k % 3],
        )
        for k in range(n)
    ]


def _write(path: Path, judge: Judge, items: Sequence[Item]) -> Path:
    with ResultsWriter(path, overwrite=True) as writer:
        for result in asyncio.run(judge.ajudge_many(items)):
            writer.write(result)
    judge.close()
    return path


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("results")
    pairs = _pairs(120)
    singles = [SingleItem(f"Query {k}", "A response. " * (1 + k % 4), id=f"s{k}") for k in range(40)]
    return [
        _write(folder / "judge_a.jsonl", Judge(FakeBackend(seed=0), both_orders=True), pairs),
        _write(folder / "judge_b.jsonl", Judge(FakeBackend(seed=1)), pairs),
        _write(folder / "ratings.jsonl", Judge(FakeBackend(seed=0)), singles),
    ]


def test_figures_are_the_bench_metrics_of_the_results(results: list[Path]) -> None:
    run = load_run(results[0])
    labels = [p.label for p in run.labelled_pairs]
    original = [p.original for p in run.labelled_pairs]
    swapped = [p.swapped for p in run.labelled_pairs]
    assert run.both_orders and run.labelled == 120
    assert run.share("agreement").value == m.agreement(labels, original, swapped)
    assert run.share("consistency").value == m.consistency(original, swapped)
    assert run.scores is not None
    assert run.scores.overall.confusion == m.confusion_matrix(labels, original)
    one_order = load_run(results[1])
    assert one_order.share("consistency").value is None
    assert one_order.share("agreement").value == m.single_order_agreement(
        [p.label for p in one_order.labelled_pairs], [p.original for p in one_order.labelled_pairs]
    )
    ratings = load_run(results[2])
    assert sum(ratings.rating_counts.values()) == 40
    assert set(ratings.rating_counts) <= set(range(1, 11))


def test_length_curve_counts_every_pair_once(results: list[Path]) -> None:
    curve = load_run(results[0]).length_curve
    assert sum(curve.counts) == 120
    assert all(v is None or 0 <= v <= 1 for v in curve.judge + curve.human)


def test_hostile_text_cannot_become_markup(tmp_path: Path) -> None:
    item = PairItem(HOSTILE, HOSTILE, "fine", id="x", scenario=HOSTILE, label=Verdict.TIE)
    path = _write(
        tmp_path / "hostile.jsonl",
        Judge(FakeBackend(script=[HOSTILE + "\nSo, the final decision is Tie"])),
        [item],
    )
    page = render(load_runs([path]))
    assert "</script><script>document.title" not in page
    assert "<img src=x" not in page
    data = re.search(r'<script type="application/json" id="items-data">(.*?)</script>', page, re.S)
    assert data is not None
    assert HOSTILE in json.loads(data.group(1))["texts"]  # the text is all there, as data


def test_cli_writes_one_self_contained_file(results: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.html"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from autoj.cli.main import main; main()",
            "report",
            *map(str, results),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    page = out.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page
    assert not re.search(r"<script[^>]+src=", page)  # nothing fetched: works offline
    assert not re.search(r"<link[^>]+href=", page)
    missing = subprocess.run(
        [
            sys.executable,
            "-c",
            "from autoj.cli.main import main; main()",
            "report",
            str(tmp_path / "nope.jsonl"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2
    assert "results file not found" in missing.stderr


# -- rendering in a real browser ------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("headless Chromium is not installed: apt-get install -y chromium")
    return found


def _chromium_run(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                _chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=15000",
                *args,
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "HOME": profile},
        )


def _png_pixels(path: Path) -> np.ndarray:
    """RGB pixels of an 8-bit, non-interlaced PNG (what Chromium writes), without an image library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + width * channels)
    out = np.zeros((height, width * channels), dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        prev = out[y - 1] if y else np.zeros_like(line)
        if kind == 0:
            out[y] = line
        elif kind == 2:
            out[y] = (line + prev) % 256
        else:  # Sub, Average, Paeth depend on the left neighbour: decode byte by byte
            row = np.zeros_like(line)
            for x in range(line.size):
                left = row[x - channels] if x >= channels else 0
                up, upleft = prev[x], (prev[x - channels] if x >= channels else 0)
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + up) // 2
                else:
                    p = left + up - upleft
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                    pred = left if pa <= pb and pa <= pc else (up if pb <= pc else upleft)
                row[x] = (line[x] + pred) % 256
            out[y] = row
    return out.reshape(height, width, channels)[:, :, :3]


def _near(pixels: np.ndarray, hex_colour: str, tolerance: int = 12) -> int:
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels - target).max(axis=2) <= tolerance).sum())


def test_the_report_renders_its_plots_in_headless_chromium(results: list[Path]) -> None:
    _chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / "report.html"
    page.write_text(render(load_runs(results), "report test"), encoding="utf-8")
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    done = _chromium_run(page, "--window-size=1400,2200", f"--screenshot={shot}")
    assert shot.is_file(), done.stderr[-2000:]
    pixels = _png_pixels(shot)
    assert pixels.shape[:2] == (2200, 1400)
    # Bars and lines in each judge's colour, and the ratings histogram: only drawn plots have them.
    blue, orange, green = _near(pixels, "#3366cc"), _near(pixels, "#dc7633"), _near(pixels, "#2e9d5b")
    assert blue > 5000 and orange > 3000 and green > 3000, (blue, orange, green)
    plots = pixels[400:1800]
    assert (plots.min(axis=2) < 200).mean() > 0.08  # the plot area is far from blank

    # The same page without plotly.js: no plot colours at all, so the check above can fail.
    bare = ARTIFACTS / "report-without-plotly.html"
    text = page.read_text(encoding="utf-8")
    start = text.index('<script type="text/javascript">')
    bare.write_text(text[:start] + text[text.index("</script>", start) + 9 :], encoding="utf-8")
    bare_shot = ARTIFACTS / "report-without-plotly.png"
    _chromium_run(bare, "--window-size=1400,2200", f"--screenshot={bare_shot}")
    assert _near(_png_pixels(bare_shot), "#3366cc") < 500


def test_the_item_browser_lists_and_filters_items_in_chromium(results: list[Path]) -> None:
    _chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / "browser.html"
    page.write_text(render(load_runs(results)), encoding="utf-8")
    dom = _chromium_run(page, "--dump-dom").stdout
    assert re.search(r'<span id="count"[^>]*>280 of 280 items</span>', dom), dom[-3000:]
    assert dom.count('class="item"') == 50  # the first page of the list
    assert '<option value="code_generation">code_generation</option>' in dom
