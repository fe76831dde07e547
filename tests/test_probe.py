"""`autoj probe`: counterfactual copies of pairs and how often they flip a judge's verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from autoj.backends.fake import FakeBackend
from autoj.trust.probe import has_markup, pad, probe_items, run_probe, strip_markdown
from autoj.types import PairItem, Prompt, Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE
RICH = "# Steps\n\n1. **Boil** the water\n2. Add `salt`\n\n| time | temp |\n|---|---|\n| 5 | 100 |\n"


def test_pad_and_strip_keep_the_content() -> None:
    assert pad("Short answer.").startswith("Short answer.\n\n") and len(pad("Short answer.")) >= 200
    long = "word " * 200
    assert 2 * len(long) - 10 <= len(pad(long)) <= 2 * len(long) + 60
    plain = strip_markdown(RICH)
    assert has_markup(RICH) and not has_markup(plain)
    assert plain.split("\n") == ["Steps", "Boil the water", "Add salt", "time temp", "5 100"]
    assert strip_markdown("no markup at all") == "no markup at all"


def test_copies_follow_the_verdict() -> None:
    item = PairItem("q", RICH, "plain answer", id="7")
    copies = {c.id: c for c in probe_items(item, R1)}
    assert set(copies) == {"7#swapped", "7#padded", "7#plain"}
    assert (copies["7#swapped"].response_1, copies["7#swapped"].response_2) == ("plain answer", RICH)
    assert copies["7#padded"].response_1 == RICH and copies["7#padded"].response_2 == pad("plain answer")
    assert (
        copies["7#plain"].response_1 == strip_markdown(RICH)
        and copies["7#plain"].response_2 == "plain answer"
    )
    loser_first = {c.id: c for c in probe_items(item, R2)}
    assert loser_first["7#padded"].response_1 == pad(RICH) and "7#plain" not in loser_first  # no markdown
    assert probe_items(item, None) == []


def _always_first(prompt: Prompt) -> str:
    return "1. The key factors: accuracy.\n\n2. The final decision:\n\nSo, the final decision is Response 1."


def test_a_judge_that_answers_by_position_flips_on_every_swap(tmp_path: Path) -> None:
    items = [
        PairItem(f"q{n}", RICH if n % 2 else "one answer", "another answer", id=str(n)) for n in range(6)
    ]
    report = run_probe(items, FakeBackend(script=_always_first), tmp_path / "probe.jsonl")
    assert report.pairs == 6
    assert report.flips["swapped"].value == 1.0 and report.flips["swapped"].n == 6
    swapped_ci = report.flips["swapped"].ci
    assert swapped_ci is not None and 0.5 < swapped_ci.low < 0.7 and swapped_ci.high == 1.0  # Wilson, 6 of 6
    assert report.flips["padded"].value == 0.0 and report.flips["padded"].n == 6
    assert report.flips["plain"].n == 3 and report.flips["plain"].value == 0.0
    assert report.examples["swapped"] == [str(n) for n in range(6)]
    again = run_probe(items, FakeBackend(script=lambda p: "garbage"), tmp_path / "probe.jsonl")
    assert again.flips == report.flips  # resumed from the file: nothing judged again


def test_probe_cli_with_the_fake_judge(tmp_path: Path) -> None:
    data = tmp_path / "pairs.jsonl"
    data.write_text(
        "".join(
            json.dumps({"prompt": f"question {n}", "response 1": RICH, "response 2": f"answer {n}"}) + "\n"
            for n in range(5)
        )
    )
    out = tmp_path / "probe.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "probe", str(data), "-j", "fake", "-o", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["pairs"] == 5 and set(found["flips"]) == {"swapped", "padded", "plain"}
    assert found["flips"]["swapped"]["n"] == 5  # the fake judge always gives a verdict
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert "1#swapped" in ids and "1#padded" in ids
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "probe", str(data), "-j", "fake", "-o", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
