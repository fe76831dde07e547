"""One results file, one number per name: the CLI summary and the HTML report agree.

`autoj compare --json` (the run's summary, also given again for a finished file) and `autoj report`
(its `figures-data` block, the data behind the summary table) must show the same agreement,
consistency and tie rate, as `autoj.stats.figures` defines them.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import shared_file

from autoj.stats.figures import FIGURES, PairOutcome, pair_figures
from autoj.types import Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE


def autoj(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autoj", *args], capture_output=True, text=True, check=False)


def test_figures_by_their_definitions() -> None:
    outcomes = [
        PairOutcome(R1, R1, R2, both_orders=True),  # agrees in both orders, consistent
        PairOutcome(R1, R1, R1, both_orders=True),  # flips with the order: a miss, inconsistent
        PairOutcome(TIE, TIE, TIE, both_orders=True),  # a tie label met by two ties
        PairOutcome(None, R2, None, both_orders=True),  # unlabelled; the swapped order failed to parse
    ]
    figures = pair_figures(outcomes)
    assert (figures.labelled, figures.agreement) == (3, pytest.approx(2 / 3))
    assert (figures.both_orders, figures.consistency) == (4, 0.5)
    assert (figures.judgments, figures.tie_rate) == (8, pytest.approx(2 / 7))
    assert figures.parse_failure_rate == pytest.approx(1 / 8)
    one_order = pair_figures([PairOutcome(R1, R1), PairOutcome(R2, R1), PairOutcome(R2, None)])
    assert (one_order.agreement, one_order.consistency) == (pytest.approx(1 / 3), None)


def test_every_figure_has_a_name_and_a_definition() -> None:
    names = [name for name, _ in FIGURES.values()]
    assert len(set(names)) == len(names)
    assert all(len(definition) > 20 for _, definition in FIGURES.values())


def test_the_cli_summary_and_the_report_show_the_same_figures(tmp_path: Path) -> None:
    pairs = shared_file("autoj/test/testdata_pairwise.jsonl")
    results, page = tmp_path / "r.jsonl", tmp_path / "r.html"
    compare = ["compare", str(pairs), "-j", "fake", "--both-orders", "--no-cache", "--allow-empty"]
    compare += ["--limit", "80", "-o", str(results)]
    judged = autoj(*compare, "--json")
    assert judged.returncode == 0, judged.stderr
    summary = json.loads(judged.stdout)
    again = autoj(*compare, "--json")  # a finished file: its figures, nothing judged
    assert again.returncode == 0 and json.loads(again.stdout)["judged"] == 0
    reported = autoj("report", str(results), "-o", str(page))
    assert reported.returncode == 0, reported.stderr
    text = page.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="figures-data">(.*?)</script>', text, re.S)
    assert block is not None
    (figures,) = json.loads(block.group(1)).values()
    for key in ("agreement", "consistency", "tie_rate"):
        assert summary[key] is not None, key
        assert figures[key] == summary[key] == json.loads(again.stdout)[key], key
        assert f'title="{html.escape(FIGURES[key][1])}"' in text, key
    assert summary["labelled"] == figures["labelled"] == 80 and summary["both_orders"] == 80
    assert 0 < summary["tie_rate"] < 1, "the fake judge says tie on some pairs: the figure is exercised"
    lines = autoj(*compare).stderr
    assert f"agreement {100 * summary['agreement']:.1f}% of 80 labelled pairs" in lines
    assert f"consistency {100 * summary['consistency']:.1f}% of 80 pairs in both orders" in lines
    assert f"tie rate {100 * summary['tie_rate']:.1f}% of 160 judgments" in lines
