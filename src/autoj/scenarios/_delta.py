"""Fine-tuning deltas in few bits: what the repository keeps of a model whose base ships elsewhere.

A weight matrix's change `fine-tuned - base` is stored as integer codes with one float16 scale per
output row (`bits` 8, 4 or 2: symmetric levels -q..q, q = 2**(bits-1) - 1; `bits` 1: the sign,
times the row's scale), codes packed 8 // bits to a byte. Training picks each matrix's scale
(`quantise`); inference only unpacks (`dequantise`).
"""

from __future__ import annotations

import numpy as np

BITS = (1, 2, 4, 8)


def levels(bits: int) -> int:
    """The largest code magnitude: codes run from -levels to +levels (1 bit: -1 and +1)."""
    return 1 if bits == 1 else 2 ** (bits - 1) - 1


def _codes(delta: np.ndarray, scale: np.ndarray, bits: int) -> np.ndarray:
    if bits == 1:
        return (delta >= 0).astype(np.int8) * 2 - 1
    q = levels(bits)
    return np.clip(np.rint(delta / np.maximum(scale, 1e-12)[:, None]), -q, q).astype(np.int8)


def quantise(delta: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(packed codes, float16 row scales) for a 2-D delta; each row's scale minimises its error."""
    if bits not in BITS:
        raise ValueError(f"bits must be one of {BITS}, not {bits}")
    delta = delta.astype(np.float32)
    if bits == 1:
        scale = np.abs(delta).mean(axis=1)  # the least-squares scale for sign codes
    else:
        # A row's scale: the multiple of its largest change, among a few, that errs least.
        peak = np.abs(delta).max(axis=1) / levels(bits)
        best = np.full(len(delta), np.inf, dtype=np.float32)
        scale = peak.copy()
        for fraction in np.linspace(0.2, 1.0, 17):
            candidate = peak * fraction
            error = ((_codes(delta, candidate, bits) * candidate[:, None] - delta) ** 2).sum(axis=1)
            better = error < best
            best[better], scale[better] = error[better], candidate[better]
    scale16 = scale.astype(np.float16)
    codes = _codes(delta, scale16.astype(np.float32), bits)
    return pack(codes, bits), scale16


def pack(codes: np.ndarray, bits: int) -> np.ndarray:
    """Signed codes as unsigned fields, `8 // bits` to a byte (row-major, zero-padded)."""
    unsigned = ((codes + 1) // 2 if bits == 1 else codes + levels(bits)).astype(np.uint8).ravel()
    per_byte = 8 // bits
    unsigned = np.concatenate([unsigned, np.zeros(-len(unsigned) % per_byte, dtype=np.uint8)])
    fields = unsigned.reshape(-1, per_byte)
    shifts = (np.arange(per_byte, dtype=np.uint8) * bits).astype(np.uint8)
    return np.bitwise_or.reduce(fields << shifts, axis=1).astype(np.uint8)


def dequantise(packed: np.ndarray, scale: np.ndarray, bits: int, shape: tuple[int, int]) -> np.ndarray:
    """The float32 delta that `quantise` encoded, of the given (rows, columns) shape."""
    per_byte = 8 // bits
    fields = (np.arange(256, dtype=np.uint8)[:, None] >> (np.arange(per_byte) * bits).astype(np.uint8)) & (
        2**bits - 1
    )
    table = fields.astype(np.float32) * 2 - 1 if bits == 1 else fields.astype(np.float32) - levels(bits)
    signed = table[packed].ravel()[: shape[0] * shape[1]]  # each byte's codes, looked up at once
    return signed.reshape(shape) * scale.astype(np.float32)[:, None]
