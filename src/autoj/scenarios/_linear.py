"""The shipped scenario classifiers and the `Classifier` that runs them.

Two models ship, both read with numpy only (no pickle, so upgrading scikit-learn or torch cannot
break them): the TF-IDF + linear model `model/classifier.json` (labels, analyzers, vocabularies)
beside `model/classifier.npz` (weights, biases, IDFs), and the default `model/encoder/` (a
fine-tuned MiniLM, see _encoder), whose `encoder.json` names the TF-IDF model and the weight its
probabilities get in the average (`EnsembleModel`). Each directory's `metrics.json` records its
test figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from autoj.errors import AutojError
from autoj.scenarios._encoder import ENCODER_DIR, EncoderModel
from autoj.scenarios._features import Analyzer, TfidfBlock, transform_all
from autoj.scenarios._prediction import ScenarioPrediction
from autoj.scenarios._taxonomy import SCENARIOS, normalize_scenario

MODEL_DIR = Path(__file__).with_name("model")
FORMAT_VERSION = 1


class ModelFileError(AutojError):
    """A classifier model directory is missing files or has the wrong format."""


@dataclass(frozen=True)
class LinearModel:
    """Everything the classifier needs at run time, as arrays and a vocabulary."""

    labels: tuple[str, ...]
    blocks: tuple[TfidfBlock, ...]
    coef: np.ndarray  # (n_labels, n_features)
    intercept: np.ndarray  # (n_labels,)
    scale: float  # softmax temperature that turns scores into calibrated probabilities
    info: dict[str, Any]

    def save(self, directory: Path) -> None:
        """Write classifier.json + classifier.npz (weights as float16 to keep the package small)."""
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format_version": FORMAT_VERSION,
            "labels": list(self.labels),
            "scale": self.scale,
            "blocks": [
                {
                    "kind": b.analyzer.kind,
                    "ngram_min": b.analyzer.ngram_min,
                    "ngram_max": b.analyzer.ngram_max,
                    "window": b.analyzer.window,
                    "vocabulary": sorted(b.vocabulary, key=b.vocabulary.__getitem__),
                }
                for b in self.blocks
            ],
            "info": self.info,
        }
        (directory / "classifier.json").write_text(
            json.dumps(meta, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
        arrays: dict[str, np.ndarray] = {
            "coef": self.coef.astype(np.float16),
            "intercept": self.intercept.astype(np.float32),
        }
        arrays.update({f"idf_{i}": b.idf.astype(np.float32) for i, b in enumerate(self.blocks)})
        # numpy's stub types **kwds loosely; every value here is an array.
        np.savez_compressed(directory / "classifier.npz", **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, directory: Path) -> LinearModel:
        meta_path, array_path = directory / "classifier.json", directory / "classifier.npz"
        for needed in (meta_path, array_path):
            if not needed.is_file():
                raise ModelFileError(f"classifier model file missing: {needed}")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(
                f"{meta_path}: format_version {meta.get('format_version')!r}, "
                f"this autoj reads {FORMAT_VERSION}"
            )
        with np.load(array_path, allow_pickle=False) as arrays:
            blocks = tuple(
                TfidfBlock(
                    Analyzer(b["kind"], b["ngram_min"], b["ngram_max"], b["window"]),
                    {term: i for i, term in enumerate(b["vocabulary"])},
                    arrays[f"idf_{i}"].astype(np.float64),
                )
                for i, b in enumerate(meta["blocks"])
            )
            coef = arrays["coef"].astype(np.float32)
            intercept = arrays["intercept"].astype(np.float32)
        return cls(tuple(meta["labels"]), blocks, coef, intercept, float(meta["scale"]), meta["info"])

    def probabilities(self, queries: Sequence[str]) -> np.ndarray:
        """Softmax over labels for each query, shape (n_queries, n_labels)."""
        scores = np.asarray(transform_all(self.blocks, queries) @ self.coef.T)
        return softmax((scores + self.intercept) * self.scale)


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


CLASSIFIER_KINDS = ("encoder", "tfidf")


class ScenarioModel(Protocol):
    @property
    def labels(self) -> tuple[str, ...]: ...

    @property
    def info(self) -> dict[str, Any]: ...

    def probabilities(self, queries: Sequence[str]) -> np.ndarray: ...


class EnsembleModel:
    """Two models' probabilities averaged, `weight` on the second; columns matched by label."""

    def __init__(self, first: ScenarioModel, second: ScenarioModel, weight: float) -> None:
        missing = set(first.labels) - set(second.labels)
        if missing:
            raise ModelFileError(f"the ensemble's second model lacks the labels {sorted(missing)}")
        self.first, self.second, self.weight = first, second, weight
        self._columns = [second.labels.index(label) for label in first.labels]

    @property
    def labels(self) -> tuple[str, ...]:
        return self.first.labels

    @property
    def info(self) -> dict[str, Any]:
        return self.first.info

    def probabilities(self, queries: Sequence[str]) -> np.ndarray:
        second = self.second.probabilities(queries)[:, self._columns]
        return np.asarray((1.0 - self.weight) * self.first.probabilities(queries) + self.weight * second)


def load_model(directory: Path) -> ScenarioModel:
    """The model in `directory`: an encoder (encoder.json, averaged with the TF-IDF model its
    file names, if any) or a TF-IDF model (classifier.json)."""
    if (directory / "encoder.json").is_file():
        encoder = EncoderModel.load(directory)
        if not encoder.ensemble:
            return encoder
        partner = LinearModel.load((directory / str(encoder.ensemble["model"])).resolve())
        return EnsembleModel(encoder, partner, float(encoder.ensemble["weight"]))
    return LinearModel.load(directory)


class Classifier:
    """Scenario classifier that runs on the CPU, offline, from a model shipped in the package.

    `kind="encoder"` (default) or `"tfidf"` picks a shipped model; `model_dir` loads another.

    >>> Classifier().predict(["Translate 'good morning' into French."])[0].scenario
    'text_to_text_translation'
    """

    def __init__(self, model_dir: Path | None = None, kind: str = "encoder") -> None:
        if kind not in CLASSIFIER_KINDS:
            raise AutojError(f"unknown classifier kind {kind!r}: use one of {', '.join(CLASSIFIER_KINDS)}")
        if model_dir is None:
            model_dir = ENCODER_DIR if kind == "encoder" else MODEL_DIR
        self.model: ScenarioModel = load_model(model_dir)
        # Labels in a model file may be old names (e.g. `default`): map them once, here.
        self._scenarios = [normalize_scenario(label, map_retired=True) for label in self.model.labels]

    @property
    def info(self) -> dict[str, Any]:
        """Training facts recorded with the model (data, approach, sizes)."""
        return self.model.info

    def predict(self, queries: Sequence[str], batch_size: int = 256) -> list[ScenarioPrediction]:
        """The most likely scenario for each query, with its probability."""
        results: list[ScenarioPrediction] = []
        for start in range(0, len(queries), batch_size):
            batch = queries[start : start + batch_size]
            results.extend(self._best(self.model.probabilities(batch)))
        return results

    def _best(self, probs: np.ndarray) -> list[ScenarioPrediction]:
        results = []
        for row in probs:
            # Folded labels (e.g. `rejecting` -> `others`) pool their probability.
            pooled: dict[str, float] = {}
            for scenario, p in zip(self._scenarios, row, strict=True):
                pooled[scenario] = pooled.get(scenario, 0.0) + float(p)
            best = max(pooled, key=pooled.__getitem__)
            results.append(ScenarioPrediction(best, SCENARIOS[best].group, pooled[best]))
        return results

    def predict_names(self, queries: Sequence[str]) -> list[str]:
        """Just the scenario names, for callers that need no confidence."""
        return [p.scenario for p in self.predict(queries)]


@cache
def shipped_classifier() -> Classifier:
    """The shipped classifier, loaded once per process."""
    return Classifier()


def classify_query(query: str) -> str:
    """The scenario of one query, with the shipped classifier."""
    return shipped_classifier().predict([query])[0].scenario
