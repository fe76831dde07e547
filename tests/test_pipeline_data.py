"""The pipeline on the real shared data: Auto-J's training rows round-trip byte for byte, and the
HH-RLHF pairs split into query and responses as documented (skipped when the data is absent)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from autoj.data.datadir import data_path
from autoj.io.results import Result
from autoj.pipeline import distil, export_rows, ingest
from autoj.protocols import AutoJProtocol
from autoj.protocols.families.autoj import llama2_wrap
from autoj.types import PairItem, SingleItem, Verdict

pytestmark = pytest.mark.data

SINGLES = "autoj/training/single_traindata.jsonl"
HH = "hh_rlhf/harmless-base_test.jsonl.gz"


def _need(relative: str) -> Path:
    path = data_path(relative)
    if path is None:
        pytest.skip(f"shared data {relative} not available")
    return path


def test_distilled_singles_equal_the_released_prompts_byte_for_byte() -> None:
    path = _need(SINGLES)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    samples, report = ingest(path, "autoj-single")
    assert report.singles == len(rows) == 960 and not report.skipped
    protocol = AutoJProtocol()
    # The released critique plays the teacher's judgment.
    results = [
        Result(item=s, judgment=protocol.parse_single(str(s.meta["reference_judgment"])))
        for s in samples
        if isinstance(s, SingleItem)
    ]
    distilled, _ = distil(results)
    assert len(distilled) == 960
    for row, sample, exported in zip(
        rows, distilled, export_rows(distilled, "prompt-completion"), strict=True
    ):
        assert sample.message == row["usrmsg"]
        assert exported["prompt"] == llama2_wrap(row["usrmsg"])
        assert exported["completion"] == " " + row["target_output"]
        assert sample.scenario == row["scenario"]


def test_hh_rlhf_pairs_split_on_the_last_assistant_turn() -> None:
    path = _need(HH)
    samples, report = ingest(path, "hh")
    assert report.rows == 2312
    assert report.pairs + sum(report.skipped.values()) == 2312
    assert report.pairs > 2250
    labels = Counter(s.label for s in samples if isinstance(s, PairItem))
    assert abs(labels[Verdict.RESPONSE_1] - labels[Verdict.RESPONSE_2]) < 120  # seeded coin, both sides
    for sample in samples[:200]:
        assert isinstance(sample, PairItem)
        assert "\n\nAssistant:" not in sample.response_1 and "\n\nAssistant:" not in sample.response_2
        assert not sample.query.startswith("\n")
        if sample.meta["human_turns"] == 1:
            assert not sample.query.startswith("Human:")
        else:
            assert sample.query.startswith("Human: ") and "\n\nHuman: " in sample.query
