"""Win rates, length control and annotation scoring (`autoj.evaluate`), on tables and real data."""

from __future__ import annotations

import csv
import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import shared_file

from autoj.errors import AutojError, InputError
from autoj.evaluate import head_to_head, load_annotation_groups, read_annotations, score_groups
from autoj.evaluate.comparisons import Comparison
from autoj.evaluate.difficulty import (
    DifficultyError,
    estimate_difficulty,
    hub_file,
    load_difficulty,
    load_gamed,
    prepare_length_control,
)
from autoj.stats.lengthcontrol import length_controlled

LEADERBOARD = "alpaca_eval/leaderboards/data_AlpacaEval_2__weighted_alpaca_eval_gpt4_turbo_leaderboard.csv"


@pytest.mark.parametrize(
    ("preferences", "win_rate", "n_wins", "n_wins_base", "n_draws", "n_total", "discrete"),
    [
        ([2.0, 2.0, 1.0, 1.0], 50.0, 2, 2, 0, 4, 50.0),
        ([2.0, 1.5, 1.0], 50.0, 1, 1, 1, 3, 50.0),
        ([0, 2.0], 75.0, 1, 0, 1, 2, 75.0),  # 0 is alpaca_eval's old spelling of a draw
        ([1.9, 1.2, None, 1.6], 56.666666, 2, 1, 0, 3, 66.666666),  # None (unparsed) is left out
        ([1.49, 1.51], 50.0, 1, 1, 0, 2, 50.0),  # near-draws round to a win and a loss
    ],
)
def test_head_to_head_table(preferences, win_rate, n_wins, n_wins_base, n_draws, n_total, discrete) -> None:
    result = head_to_head(preferences)
    assert result.win_rate == pytest.approx(win_rate, abs=1e-4)
    assert (result.n_wins, result.n_wins_base, result.n_draws, result.n_total) == (
        n_wins,
        n_wins_base,
        n_draws,
        n_total,
    )
    assert result.discrete_win_rate == pytest.approx(discrete, abs=1e-4)


def test_standard_error_is_the_sample_sem_in_percent() -> None:
    values = [2.0, 1.0, 1.0, 1.25]
    expected = np.std(np.array(values) - 1, ddof=1) / math.sqrt(4) * 100
    assert head_to_head(values).standard_error == pytest.approx(expected)
    assert head_to_head([]).win_rate is None


def _comparisons(model: str, prefs, ref_lengths, model_lengths, keys=None) -> list[Comparison]:
    keys = keys or [f"q{i}" for i in range(len(prefs))]
    return [
        Comparison(model, "base", k, k, "r" * a, "m" * b, p)
        for k, p, a, b in zip(keys, prefs, ref_lengths, model_lengths, strict=True)
    ]


def test_length_control_removes_a_pure_length_preference() -> None:
    """A judge that prefers the longer output and nothing else: the model is longer and wins on
    raw preference, but at equal length it would be a coin toss."""
    rng = np.random.default_rng(0)
    n = 600
    ref = rng.integers(200, 2000, n)
    mod = rng.integers(200, 2000, n) + 600
    delta = (ref - mod) / np.std(ref - mod, ddof=1)
    prefs = 1 + 1 / (1 + np.exp(2.0 * np.tanh(delta)))
    comparisons = _comparisons("m", prefs, ref, mod)
    raw = head_to_head(prefs).win_rate
    lc = length_controlled(comparisons)
    assert raw is not None and raw > 60
    assert lc.winrate == pytest.approx(50.0, abs=2.0)
    assert lc.weights["length"] == pytest.approx(-2.0, abs=0.3)


def test_reference_against_itself_is_fifty() -> None:
    same = [Comparison("base", "base", "q", "q", "a", "a", 1.5)]
    assert length_controlled(same).winrate == 50.0


def test_joint_fit_recovers_planted_instruction_difficulty() -> None:
    rng = np.random.default_rng(1)
    n = 300
    planted = rng.normal(0, 1.5, n)
    groups = {}
    for m, skill in enumerate([-1.0, -0.3, 0.2, 0.8, 1.5]):
        ref = rng.integers(300, 1500, n)
        mod = rng.integers(300, 1500, n)
        delta = (ref - mod) / np.std(ref - mod, ddof=1)
        p = 1 / (1 + np.exp(-(skill + planted - 1.0 * np.tanh(delta))))
        prefs = 1 + np.clip(p + rng.normal(0, 0.1, n), 0, 1)  # a probability-giving judge, with noise
        groups[f"m{m}"] = _comparisons(f"m{m}", prefs, ref, mod)
    fit = estimate_difficulty(groups)
    estimated = np.array([fit.difficulty[f"q{i}"] for i in range(n)])
    assert np.corrcoef(estimated, planted)[0, 1] > 0.6
    assert all(slope < 0 for slope in fit.length_slopes.values())


def test_too_few_models_to_estimate_difficulty() -> None:
    with pytest.raises(DifficultyError, match="3 or more models"):
        estimate_difficulty({"a": _comparisons("a", [2.0], [1], [2])})


def test_difficulty_file_by_position_and_by_instruction(tmp_path: Path) -> None:
    by_index = tmp_path / "instruction_difficulty.csv"
    by_index.write_text("index,instruction_difficulty\n0,0.5\n1,-1.25\n", encoding="utf-8")
    assert load_difficulty(by_index, ["first", "second"]) == {"first": 0.5, "second": -1.25}
    named = tmp_path / "named.csv"
    named.write_text("instruction,instruction_difficulty\nsecond,2.0\n", encoding="utf-8")
    assert load_difficulty(named, ["first", "second"]) == {"second": 2.0}
    bad = tmp_path / "bad.csv"
    bad.write_text("index,instruction_difficulty\n0,hard\n", encoding="utf-8")
    with pytest.raises(DifficultyError, match=r"bad.csv:2 field 'instruction_difficulty'"):
        load_difficulty(bad, ["first"])
    with pytest.raises(DifficultyError, match="needs an 'instruction_difficulty' column"):
        load_difficulty(_write(tmp_path / "x.csv", "a,b\n1,2\n"), [])


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_gamed_rows_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "df_gamed.csv",
        "index,preference,std_delta_len,instruction_difficulty,not_gamed_baseline,model\n"
        "0,0.7,-1.2,0.3,False,verbose\n1,0.2,0.8,-0.1,False,concise\n2,0.5,0.0,0.0,True,other\n",
    )
    rows = load_gamed(path)
    assert list(rows.preference) == [0.7, 0.2]
    assert list(rows.std_delta_len) == [-1.2, 0.8]
    with pytest.raises(DifficultyError, match="needs the columns"):
        load_gamed(_write(tmp_path / "g.csv", "index,preference\n0,1\n"))


def test_hub_offline_without_a_cached_copy_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOJ_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(DifficultyError, match="not found in the local hub cache"):
        hub_file("instruction_difficulty.csv")


def test_a_difficulty_file_feeds_the_length_control(tmp_path: Path) -> None:
    groups = {"m": _comparisons("m", [2.0, 1.0, 2.0, 1.0, 1.5] * 4, [100] * 20, [150] * 20)}
    path = _write(
        tmp_path / "d.csv", "index,instruction_difficulty\n" + "".join(f"{i},{i % 3}\n" for i in range(20))
    )
    setup = prepare_length_control(groups, {"m": 50.0}, difficulty=str(path))
    assert setup.difficulty is not None and setup.difficulty["q4"] == 1.0
    assert "difficulty from" in setup.source


def _annotation_file(path: Path, model: str, prefs: list[float | None]) -> Path:
    records = [
        {
            "instruction": f"instruction {i}",
            "output_1": "reference answer " * (i % 5 + 1),
            "generator_1": "base",
            "output_2": "model answer " * (i % 7 + 1),
            "generator_2": model,
            "annotator": "my_judge",
            "preference": p,
            "price_per_example": 0.01,
            "time_per_example": 0.5,
        }
        for i, p in enumerate(prefs)
    ]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(records, handle)
    return path


def test_annotation_files_score_into_rows(tmp_path: Path) -> None:
    files = [
        _annotation_file(
            tmp_path / f"m{k}.my_judge.json.gz", f"gen{k}", [1 + ((i * (k + 2)) % 3) / 2 for i in range(40)]
        )
        for k in range(3)
    ]
    groups = load_annotation_groups(files, name_from="file")
    assert sorted(groups) == ["m0", "m1", "m2"]
    rows = score_groups(groups, difficulty="none", classify=False)
    for row in rows:
        raw = head_to_head([c.preference for c in groups[row.model]])
        assert row.win_rate == pytest.approx(raw.win_rate)
        assert row.judge == "my_judge" and row.reference == "base"
        assert row.cost == pytest.approx(0.4)
        # 40 judgments in a three-valued cycle: the penalised fit keeps no term, and a
        # length-controlled 50.00 +- 0.00 would mean nothing (gen1 loses every one of them)
        assert row.length_controlled_winrate is None and row.lc_standard_error is None
        assert row.lc_method.startswith("n/a: the penalised fit kept no term on 40 judgments")


def test_bad_annotation_file_names_the_record(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"instruction": "q", "output_1": "a"}]), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.json:1 field 'output_2'"):
        read_annotations(path)
    two = _annotation_file(tmp_path / "a.json.gz", "x", [2.0])
    with pytest.raises(AutojError, match="annotated in two files"):
        load_annotation_groups([two, two])


@pytest.mark.data
def test_reproduces_the_published_alpacaeval_2_leaderboard() -> None:
    """All 20 annotation files: raw columns to 0.01, LC close to the published values."""
    board = shared_file(LEADERBOARD)
    folder = shared_file("alpaca_eval/annotations")
    with board.open(newline="", encoding="utf-8") as handle:
        published = {row[""]: row for row in csv.DictReader(handle)}
    groups = load_annotation_groups(sorted(folder.glob("*.json.gz")), name_from="file")
    assert len(groups) == 20
    rows = score_groups(groups, difficulty="estimate", classify=False)
    lc_gaps = []
    for row in rows:
        pub = published[row.model]
        for column in ("win_rate", "standard_error", "discrete_win_rate"):
            assert getattr(row, column) == pytest.approx(float(pub[column]), abs=0.01), (row.model, column)
        assert (row.n_wins, row.n_draws, row.n_total) == (
            int(pub["n_wins"]),
            int(pub["n_draws"]),
            int(pub["n_total"]),
        )
        lc_gaps.append(abs(row.length_controlled_winrate - float(pub["length_controlled_winrate"])))
    assert sum(g < 1.0 for g in lc_gaps) >= 12
    assert np.mean(lc_gaps) < 1.5


def test_cli_scores_annotation_files(tmp_path: Path) -> None:
    import subprocess
    import sys

    files = [
        _annotation_file(
            tmp_path / f"m{k}.my_judge.json.gz", f"gen{k}", [1 + ((i * (k + 1)) % 3) / 2 for i in range(30)]
        )
        for k in range(2)
    ]
    command = [sys.executable, "-m", "autoj", "evaluate", "--annotations", *map(str, files), "--no-scenarios"]
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    board = json.loads(done.stdout)["leaderboard"]
    assert {row["model"] for row in board} == {"gen0", "gen1"}
    assert all(row["judge"] == "my_judge" and row["evaluation"] == "annotations" for row in board)
    by_file = subprocess.run(
        [*command, "--name-from", "file"], capture_output=True, text=True, timeout=120, check=False
    )
    assert by_file.returncode == 0 and "m0" in by_file.stdout and "m1" in by_file.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "autoj", "evaluate", "--annotations", str(tmp_path / "none.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "none.json" in bad.stderr and "Traceback" not in bad.stderr
