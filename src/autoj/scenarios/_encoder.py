"""The shipped encoder scenario classifier: a fine-tuned MiniLM run by numpy, no torch at run time.

`model/encoder/` holds `encoder.json` (labels, shape, training facts), `encoder.npz` (float16
weights of a 6-layer BERT-style encoder and a linear head) and `tokenizer.json` (WordPiece, read by
the `tokenizers` package). scripts/train_encoder_classifier.py writes them; the forward pass here
is the standard one (embeddings, post-norm self-attention blocks with exact GELU, mean pooling).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autoj.errors import AutojError

ENCODER_DIR = Path(__file__).with_name("model") / "encoder"
FORMAT_VERSION = 1
_PREFIX = "encoder.layer."


class EncoderFileError(AutojError):
    """An encoder model directory is missing files or has the wrong format."""


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray  # (hidden, 3 * hidden): query, key and value projections side by side
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


class EncoderModel:
    """Fine-tuned encoder + linear head; `probabilities(queries)` like the TF-IDF model's."""

    def __init__(self, labels: tuple[str, ...], config: dict[str, Any], arrays: dict[str, np.ndarray],
                 tokenizer: Any, info: dict[str, Any]) -> None:  # fmt: skip
        self.labels = labels
        self.info = info
        self.heads = int(config["heads"])
        self.eps = float(config["eps"])
        self.max_len = int(config["max_len"])
        get = _getter(arrays)
        self._words = get("embeddings.word_embeddings.weight")
        self._positions = get("embeddings.position_embeddings.weight")
        self._type0 = get("embeddings.token_type_embeddings.weight")[0]
        self._norm0 = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self._layers = [_layer(get, f"{_PREFIX}{n}.") for n in range(int(config["layers"]))]
        self._head = get("head.weight").T.copy()
        self._head_bias = get("head.bias")
        self._tokenizer = tokenizer
        self._pad = 0

    # -- files ---------------------------------------------------------------------------------

    @staticmethod
    def save(directory: Path, labels: tuple[str, ...], config: dict[str, Any],
             arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:  # fmt: skip
        """Write encoder.json + encoder.npz (floating arrays as float16; the tokenizer is copied apart)."""
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"format_version": FORMAT_VERSION, "labels": list(labels), "config": config, "info": info}
        (directory / "encoder.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        floats = {k: v.astype(np.float16) for k, v in arrays.items() if np.issubdtype(v.dtype, np.floating)}
        np.savez(directory / "encoder.npz", **floats)  # type: ignore[arg-type]

    @classmethod
    def load(cls, directory: Path = ENCODER_DIR) -> EncoderModel:
        try:
            meta = json.loads((directory / "encoder.json").read_text(encoding="utf-8"))
            with np.load(directory / "encoder.npz") as data:
                arrays = {k: data[k].astype(np.float32) for k in data.files}
        except (OSError, ValueError, KeyError) as exc:
            raise EncoderFileError(f"cannot read the encoder classifier in {directory}: {exc}") from exc
        if meta.get("format_version") != FORMAT_VERSION:
            raise EncoderFileError(
                f"{directory / 'encoder.json'}: format {meta.get('format_version')!r}, "
                f"this autoj reads {FORMAT_VERSION}"
            )
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise EncoderFileError("the encoder classifier needs the `tokenizers` package") from None
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(int(meta["config"]["max_len"]))
        return cls(tuple(meta["labels"]), meta["config"], arrays, tokenizer, meta.get("info", {}))

    # -- inference -----------------------------------------------------------------------------

    def probabilities(self, queries: Sequence[str], dense: np.ndarray | None = None) -> np.ndarray:
        """Softmax over labels for each query, shape (n_queries, n_labels). `dense` is unused."""
        encoded = self._tokenizer.encode_batch(list(queries))
        ids = [e.ids for e in encoded]
        out = np.zeros((len(ids), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths pad little
        for start in range(0, len(order), 32):
            chosen = order[start : start + 32]
            out[chosen] = self._forward([ids[i] for i in chosen])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        tokens = np.full((len(batch), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, ids in enumerate(batch):
            tokens[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        x = self._words[tokens] + self._positions[:width] + self._type0
        x = _layer_norm(x, *self._norm0, self.eps)
        blocked = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)  # padding takes no attention
        for layer in self._layers:
            x = self._block(x, layer, blocked)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        scores = pooled @ self._head + self._head_bias
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return np.asarray(scores / scores.sum(axis=1, keepdims=True))

    def _block(self, x: np.ndarray, layer: _Layer, blocked: np.ndarray) -> np.ndarray:
        batch, width, hidden = x.shape
        size = hidden // self.heads
        qkv = (x @ layer.qkv + layer.qkv_bias).reshape(batch, width, 3, self.heads, size)
        q, k, v = (qkv[:, :, n].transpose(0, 2, 1, 3) for n in range(3))
        attention = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + blocked
        attention = np.exp(attention - attention.max(axis=-1, keepdims=True))
        attention /= attention.sum(axis=-1, keepdims=True)
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, width, hidden)
        x = _layer_norm(context @ layer.out + layer.out_bias + x, *layer.norm1, self.eps)
        inner = _gelu(x @ layer.up + layer.up_bias)
        return _layer_norm(inner @ layer.down + layer.down_bias + x, *layer.norm2, self.eps)


def _getter(arrays: dict[str, np.ndarray]) -> Any:
    def get(name: str) -> np.ndarray:
        if name not in arrays:
            raise EncoderFileError(f"the encoder weights have no {name!r}")
        return arrays[name]

    return get


def _layer(get: Any, p: str) -> _Layer:
    """One block's weights, transposed once for `x @ W` (torch stores (out, in))."""
    attn = p + "attention."
    return _Layer(
        qkv=np.concatenate([get(f"{attn}self.{n}.weight").T for n in ("query", "key", "value")], axis=1),
        qkv_bias=np.concatenate([get(f"{attn}self.{n}.bias") for n in ("query", "key", "value")]),
        out=get(f"{attn}output.dense.weight").T.copy(),
        out_bias=get(f"{attn}output.dense.bias"),
        norm1=(get(f"{attn}output.LayerNorm.weight"), get(f"{attn}output.LayerNorm.bias")),
        up=get(f"{p}intermediate.dense.weight").T.copy(),
        up_bias=get(f"{p}intermediate.dense.bias"),
        down=get(f"{p}output.dense.weight").T.copy(),
        down_bias=get(f"{p}output.dense.bias"),
        norm2=(get(f"{p}output.LayerNorm.weight"), get(f"{p}output.LayerNorm.bias")),
    )


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + eps) * weight + bias)


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return np.asarray(0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0)))))
