"""Text features for the shipped classifier: TF-IDF over word and character n-grams.

Written in plain Python + numpy/scipy so the shipped model is a vocabulary (JSON) and arrays
(.npz), not a pickle tied to one scikit-learn version. Training and inference share this code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

_WORD = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class Analyzer:
    """How one block of features is cut from text: `word` or `char` n-grams of a text window.

    `window` keeps only the first `window` characters (0 = all): a query's scenario is usually
    stated up front, while a long pasted input mostly adds noise.
    """

    kind: str
    ngram_min: int
    ngram_max: int
    window: int = 0

    def grams(self, text: str) -> list[str]:
        text = text.lower()
        if self.window:
            text = text[: self.window]
        if self.kind == "word":
            return _word_grams(_WORD.findall(text), self.ngram_min, self.ngram_max)
        if self.kind == "char":
            return _char_grams(text, self.ngram_min, self.ngram_max)
        raise ValueError(f"unknown analyzer kind {self.kind!r}")


def _word_grams(tokens: Sequence[str], low: int, high: int) -> list[str]:
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _char_grams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside word boundaries (each word padded with one space)."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) < n:
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


@dataclass(frozen=True)
class TfidfBlock:
    """One analyzer with its fitted vocabulary and inverse document frequencies."""

    analyzer: Analyzer
    vocabulary: dict[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, analyzer: Analyzer, texts: Iterable[str], min_df: int = 2) -> TfidfBlock:
        texts = list(texts)
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(analyzer.grams(text)))
        kept = sorted(g for g, count in df.items() if count >= min_df)
        vocabulary = {g: i for i, g in enumerate(kept)}
        counts = np.array([df[g] for g in kept], dtype=np.float64)
        idf = np.log((1 + len(texts)) / (1 + counts)) + 1.0
        return cls(analyzer, vocabulary, idf)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Sublinear TF times IDF, each row scaled to unit length."""
        rows, cols, values = [], [], []
        for row, text in enumerate(texts):
            counts = Counter(
                i for g in self.analyzer.grams(text) if (i := self.vocabulary.get(g)) is not None
            )
            if not counts:
                continue
            index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            weight = tf * self.idf[index]
            weight /= np.linalg.norm(weight)
            rows.extend([row] * len(index))
            cols.extend(index.tolist())
            values.extend(weight.tolist())
        shape = (len(texts), len(self.vocabulary))
        return sparse.csr_matrix((values, (rows, cols)), shape=shape, dtype=np.float32)


def transform_all(blocks: Sequence[TfidfBlock], texts: Sequence[str]) -> sparse.csr_matrix:
    """All blocks side by side, in order: the feature matrix the linear model reads."""
    return sparse.hstack([block.transform(texts) for block in blocks], format="csr")
