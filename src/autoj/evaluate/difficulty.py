"""Instruction difficulty for the length-controlled GLM: published values, or estimated here.

AlpacaEval publishes its per-instruction difficulty (and the gamed-baseline annotations its fit
is regularised with) on a model hub, keyed by the instruction's position in its 805-instruction
set. `load_*` read those files from a path or from the hub (huggingface_hub; its cache serves
them offline once fetched). Without them, `estimate_difficulty` fits the difficulty the way the
authors did: one joint logistic model over many models' annotations, with a bias and a length
slope per model and one term per instruction; the instruction terms are the difficulty.
"""

from __future__ import annotations

import csv
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from scipy import sparse

from autoj.errors import AutojError
from autoj.evaluate.comparisons import Comparison
from autoj.evaluate.shipped_difficulty import shipped
from autoj.judges import hub
from autoj.stats.glm import fit_soft_logistic
from autoj.stats.lengthcontrol import GamedRows, preference_01, std_delta_len, synthetic_gamed
from autoj.stats.memo import Memo

HUB_REPO = "tatsu-lab/alpaca_eval"
DIFFICULTY_FILE = "instruction_difficulty.csv"
GAMED_FILE = "df_gamed.csv"

#: Fewer models than this cannot separate an instruction's difficulty from the models' own
#: preferences on it (one judgment per instruction is simply memorised).
MIN_MODELS_TO_ESTIMATE = 3


class DifficultyError(AutojError):
    """Instruction difficulty could not be read from the file or the hub."""


def hub_file(filename: str, offline: bool | None = None) -> Path:
    """A file of AlpacaEval's hub dataset: from the local hub cache, else downloaded
    (`$HF_ENDPOINT` names a mirror). Offline (`AUTOJ_OFFLINE` or `HF_HUB_OFFLINE` set) only the
    cache is looked at."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, LocalEntryNotFoundError

    if offline is None:
        offline = _offline()
    try:
        found = hf_hub_download(
            HUB_REPO,
            filename,
            repo_type="dataset",
            cache_dir=str(hub.cache_dir()),
            endpoint=hub.endpoint(),
            local_files_only=offline,
            etag_timeout=5,
        )
    except (LocalEntryNotFoundError, EntryNotFoundError, HfHubHTTPError, OSError) as exc:
        where = "in the local hub cache" if offline else f"in the hub cache or at {hub.endpoint()}"
        raise DifficultyError(
            f"{filename} of {HUB_REPO} not found {where} ({type(exc).__name__}); download it and "
            "pass its path, or let it be estimated from the annotations"
        ) from None
    return Path(found)


def _offline() -> bool:
    """Offline when told so, or when the hub's host does not answer within two seconds (the hub
    client itself retries for half a minute before giving up)."""
    if any(os.environ.get(v, "") not in ("", "0") for v in ("AUTOJ_OFFLINE", "HF_HUB_OFFLINE")):
        return True
    url = urlsplit(hub.endpoint())
    try:
        socket.create_connection((url.hostname or "", url.port or 443), timeout=2).close()
    except OSError:
        return True
    return False


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise DifficultyError(f"file not found: {path}")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _float(path: Path, line: int, row: Mapping[str, str], name: str) -> float:
    try:
        return float(row[name])
    except (KeyError, TypeError, ValueError):
        raise DifficultyError(
            f"{path}:{line} field {name!r}: expected a number, got {row.get(name)!r}"
        ) from None


def load_difficulty(path: str | Path, order: Sequence[str]) -> dict[str, float]:
    """Difficulty by instruction key from a CSV with an `instruction_difficulty` column.

    Rows are matched by an `instruction` column when there is one, else by the first column as
    the position in `order` (AlpacaEval's files: `index,instruction_difficulty`).
    """
    path = Path(path)
    rows = _rows(path)
    if not rows or "instruction_difficulty" not in rows[0]:
        raise DifficultyError(f"{path}: needs an 'instruction_difficulty' column")
    found: dict[str, float] = {}
    first = next(iter(rows[0]))
    for line, row in enumerate(rows, start=2):
        value = _float(path, line, row, "instruction_difficulty")
        if "instruction" in row:
            found[row["instruction"]] = value
            continue
        position = int(_float(path, line, row, first))
        if 0 <= position < len(order):
            found[order[position]] = value
    return found


def load_gamed(path: str | Path) -> GamedRows:
    """AlpacaEval's gamed-baseline annotations (`df_gamed.csv`): the rows marked as not from an
    ungamed baseline, with their preference in [0, 1], standardised length gap and difficulty."""
    path = Path(path)
    rows = _rows(path)
    needed = ("preference", "std_delta_len", "instruction_difficulty", "not_gamed_baseline")
    if not rows or any(name not in rows[0] for name in needed):
        raise DifficultyError(f"{path}: needs the columns {', '.join(needed)}")
    gamed = [(line, r) for line, r in enumerate(rows, start=2) if r["not_gamed_baseline"].lower() != "true"]
    return GamedRows(
        preference=np.array([_float(path, n, r, "preference") for n, r in gamed]),
        std_delta_len=np.array([_float(path, n, r, "std_delta_len") for n, r in gamed]),
        difficulty=np.array([_float(path, n, r, "instruction_difficulty") for n, r in gamed]),
    )


@dataclass(frozen=True)
class JointFit:
    """The joint model's instruction terms (the difficulty; the first instruction is the
    reference level, 0) and each model's length slope."""

    difficulty: dict[str, float]
    length_slopes: dict[str, float]


def estimate_difficulty(groups: Mapping[str, Sequence[Comparison]], memo: Memo | None = None) -> JointFit:
    """Joint fit over every model's comparisons. Needs at least MIN_MODELS_TO_ESTIMATE models."""
    models = [m for m in groups if groups[m]]
    if len(models) < MIN_MODELS_TO_ESTIMATE:
        raise DifficultyError(
            "estimating instruction difficulty needs comparisons of "
            f"{MIN_MODELS_TO_ESTIMATE} or more models, got {len(models)}"
        )
    keys: dict[str, int] = {}
    for model in models:
        for comparison in groups[model]:
            keys.setdefault(comparison.key, len(keys))
    n_models = len(models)
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    targets: list[float] = []
    for index, model in enumerate(models):
        comparisons = groups[model]
        target = preference_01(comparisons)
        length = np.tanh(std_delta_len(comparisons))
        for comparison, y, x in zip(comparisons, target, length, strict=True):
            if np.isnan(y):
                continue
            row = len(targets)
            targets.append(float(y))
            rows += [row, row]
            cols += [index, n_models + index]
            values += [float(x), 1.0]
            key = keys[comparison.key]
            if key > 0:
                rows.append(row)
                cols.append(2 * n_models + key - 1)
                values.append(1.0)
    shape = (len(targets), 2 * n_models + len(keys) - 1)
    design = sparse.csr_matrix((values, (rows, cols)), shape=shape)
    fit = fit_soft_logistic(design, np.array(targets), memo=memo)
    terms = fit.coef[2 * n_models :]
    return JointFit(
        difficulty={key: (0.0 if i == 0 else float(terms[i - 1])) for key, i in keys.items()},
        length_slopes={model: float(fit.coef[i]) for i, model in enumerate(models)},
    )


#: Models whose raw win rate lies in this band are the judge's best witnesses of its length
#: effect: near the reference in quality, their length is not standing in for quality.
NEAR_REFERENCE = (25.0, 75.0)


def judge_length_slope(fit: JointFit, win_rates: Mapping[str, float]) -> float:
    """The judge's length effect: the median joint-fit length slope of the models near the
    reference in quality (all models when none is)."""
    low, high = NEAR_REFERENCE
    near = [
        fit.length_slopes[m]
        for m, rate in win_rates.items()
        if m in fit.length_slopes and low <= rate <= high
    ]
    return float(np.median(near or list(fit.length_slopes.values())))


@dataclass(frozen=True)
class LengthControlSetup:
    """What the length-controlled fit of every model uses, and where each part came from;
    `unavailable` says why there is no length-controlled win rate at all."""

    difficulty: dict[str, float] | None
    gamed: GamedRows | None
    length_slope: float | None
    source: str
    unavailable: str | None = None

    def gamed_for(self, comparisons: Sequence[Comparison]) -> GamedRows | None:
        if self.gamed is not None:
            return self.gamed
        if self.length_slope is not None:
            return synthetic_gamed(comparisons, self.length_slope)
        return None


DIFFICULTY_CHOICES = ("auto", "hub", "shipped", "estimate", "none")


def prepare_length_control(
    groups: Mapping[str, Sequence[Comparison]],
    win_rates: Mapping[str, float],
    difficulty: str = "auto",
    gamed: str | None = None,
    order: Sequence[str] | None = None,
    judge: str | None = None,
    memo: Memo | None = None,
) -> LengthControlSetup:
    """Choose the instruction difficulty and the regularisation rows for these models.

    `difficulty`: a CSV path, "hub" (AlpacaEval's published values), "shipped" (AlpacaEval 2's,
    estimated from its 20 public annotation sets, see `shipped_difficulty`), "estimate" (jointly
    from these models when there are 3 or more, else the shipped values as a prior when they cover
    these instructions, else no length-controlled win rate), "none" (no difficulty term), or
    "auto" (the hub when reachable or cached, else the shipped values when `judge` and the
    reference are AlpacaEval 2's, else as "estimate"). `gamed`: a `df_gamed.csv` path, "hub" or
    "none"; by default the hub's rows go with the hub's difficulty, and estimated or shipped
    difficulty brings synthetic rows carrying that judge's length effect (`synthetic_gamed`). The
    setup's `source` says which was used. `order` is the instructions' order in the full set
    (what a published file's positions refer to); by default, the most complete model's order.
    """
    order = list(order) if order is not None else _reference_order(groups)
    notes: list[str] = []
    values: dict[str, float] | None = None
    slope: float | None = None
    unavailable: str | None = None
    everything = [c for comparisons in groups.values() for c in comparisons]
    reference = everything[0].reference if everything else ""
    prior = shipped()
    covered = prior.covering(everything)
    if difficulty not in DIFFICULTY_CHOICES:
        values = load_difficulty(difficulty, order)
        notes.append(f"difficulty from {difficulty}")
    elif difficulty in ("auto", "hub"):
        try:
            values = load_difficulty(hub_file(DIFFICULTY_FILE), order)
            notes.append(f"difficulty from {HUB_REPO} (hub)")
            gamed = gamed or "hub"
        except DifficultyError as exc:
            if difficulty == "hub":
                raise
            notes.append(f"hub not used ({exc})")
    if values is None and difficulty == "shipped" and covered is None:
        raise DifficultyError(
            "the shipped difficulty covers AlpacaEval's 805 instructions only; these comparisons "
            "have others: use --instruction-difficulty estimate (3 or more models) or a CSV"
        )
    if (
        values is None
        and covered is not None
        and (difficulty == "shipped" or (difficulty == "auto" and prior.matches(judge, reference)))
    ):
        values, slope = covered, prior.length_slope
        notes.append(
            f"shipped AlpacaEval 2 difficulty ({len(prior.models)} public models, judge "
            f"{prior.judge}); regularised to synthetic gamed baselines (judge length slope {slope:.2f})"
        )
    if difficulty == "none":
        notes.append("no difficulty term")
    joint: JointFit | None = None
    if values is None and difficulty in ("auto", "estimate"):
        if len(groups) >= MIN_MODELS_TO_ESTIMATE:
            joint = estimate_difficulty(groups, memo)
            values = joint.difficulty
            notes.append(f"difficulty estimated jointly from {len(groups)} models")
        elif covered is not None:
            values = covered
            notes.append(
                f"fewer than {MIN_MODELS_TO_ESTIMATE} models: the shipped AlpacaEval 2 difficulty "
                f"(judge {prior.judge}) as a prior for this judge"
            )
            gamed = gamed or "none"
        else:
            unavailable = (
                f"needs instruction difficulty: {MIN_MODELS_TO_ESTIMATE} or more models judged "
                f"against {reference or 'the reference'} by this judge (got {len(groups)}), or "
                "AlpacaEval's instructions"
            )
            notes.append(f"n/a: {unavailable}")
    rows: GamedRows | None = None
    if gamed == "none":
        notes.append("not regularised")
        slope = None
    elif gamed is not None:
        rows = load_gamed(hub_file(GAMED_FILE) if gamed == "hub" else gamed)
        notes.append(f"regularised to gamed baselines from {'the hub' if gamed == 'hub' else gamed}")
        slope = None
    elif joint is not None:
        slope = judge_length_slope(joint, win_rates)
        notes.append(f"regularised to synthetic gamed baselines (judge length slope {slope:.2f})")
    return LengthControlSetup(values, rows, slope, "; ".join(dict.fromkeys(notes)), unavailable)


def _reference_order(groups: Mapping[str, Sequence[Comparison]]) -> list[str]:
    """Instruction keys in the order of the most complete model's file: AlpacaEval's positions."""
    if not groups:
        return []
    fullest = max(groups.values(), key=len)
    return [c.key for c in fullest]
