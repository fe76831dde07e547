"""The shipped encoder scenario classifier: base checkpoint + our delta, numpy forward pass, files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autoj.scenarios import SCENARIOS, Classifier
from autoj.scenarios._delta import BITS, dequantise, pack, quantise
from autoj.scenarios._encoder import (
    BASE_TOKENIZER,
    BASE_WEIGHTS,
    ENCODER_DIR,
    EncoderFileError,
    EncoderModel,
    base_model_dir,
    read_safetensors,
    save_delta,
    sha256_of,
)
from autoj.scenarios._linear import MODEL_DIR, EnsembleModel

METRICS = json.loads((ENCODER_DIR / "metrics.json").read_text(encoding="utf-8"))
# sentence-transformers/all-MiniLM-L6-v2 as published (revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41)
PUBLISHED = {
    BASE_WEIGHTS: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    BASE_TOKENIZER: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


@pytest.fixture(scope="module")
def encoder() -> Classifier:
    return Classifier()


@pytest.mark.parametrize("bits", BITS)
def test_codes_pack_and_unpack_exactly(bits: int) -> None:
    rng = np.random.default_rng(bits)
    delta = rng.normal(size=(7, 13)).astype(np.float32)
    packed, scale = quantise(delta, bits)
    assert packed.dtype == np.uint8 and packed.size == -(-7 * 13 * bits // 8)
    restored = dequantise(packed, scale, bits, (7, 13))
    again = dequantise(*quantise(restored, bits), bits, (7, 13))  # a decoded delta re-encodes to itself
    assert np.allclose(again, restored, atol=2e-3 * np.abs(restored).max())


def test_more_bits_err_less() -> None:
    delta = np.random.default_rng(0).normal(size=(64, 256)).astype(np.float32)
    errors = [float(np.abs(dequantise(*quantise(delta, b), b, delta.shape) - delta).mean()) for b in BITS]
    assert errors == sorted(errors, reverse=True) and errors[-1] < 0.01 < errors[0]
    assert pack(np.array([-1, 1, 1, -1, 1, -1, -1, -1, 1], dtype=np.int8), 1).tolist() == [0b00010110, 1]


def _tiny_bert(torch, transformers, layers: int = 2):  # type: ignore[no-untyped-def]
    config = transformers.BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=layers, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=128, hidden_act="gelu", initializer_range=0.3,
    )  # fmt: skip
    return transformers.BertModel(config, add_pooling_layer=False).eval()


def _write_base(directory: Path, state: dict[str, np.ndarray]) -> dict[str, str]:
    """A checkpoint directory like the package's: safetensors weights + the real tokenizer."""
    safetensors = pytest.importorskip("safetensors.numpy")
    directory.mkdir()
    safetensors.save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, directory / BASE_WEIGHTS)
    (directory / BASE_TOKENIZER).write_bytes((base_model_dir() / BASE_TOKENIZER).read_bytes())
    return {name: sha256_of((directory / name).read_bytes()) for name in (BASE_WEIGHTS, BASE_TOKENIZER)}


@pytest.mark.parametrize(("bits", "atol"), [(16, 1e-3), (8, 2e-2)])
def test_delta_on_a_base_matches_torch_on_the_fine_tuned_bert(tmp_path: Path, bits: int, atol: float) -> None:
    """Base file + our delta, run by numpy, against transformers' BertModel with the tuned weights."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer

    torch.manual_seed(0)
    bert = _tiny_bert(torch, transformers)
    base = {k: v.numpy().copy() for k, v in bert.state_dict().items()}
    hashes = _write_base(tmp_path / "base", base)
    head = torch.nn.Linear(32, 3)
    with torch.no_grad():  # "fine-tune" the top layer only, as the shipped model is trained
        for name, p in bert.named_parameters():
            if name.startswith("encoder.layer.1."):
                p.add_(torch.randn_like(p) * 0.05)
    tuned = {k: v.numpy() for k, v in bert.state_dict().items()}
    tuned |= {"head.weight": head.weight.detach().numpy(), "head.bias": head.bias.detach().numpy()}
    shape = {"hidden": 32, "heads": 4, "layers": 2, "eps": bert.config.layer_norm_eps, "max_len": 40}
    save_delta(tmp_path / "ours", ("a", "b", "c"), shape, base, tuned, bits, hashes, {})
    with np.load(tmp_path / "ours" / "delta.npz") as stored:
        assert not any(k.startswith("encoder.layer.0.") for k in stored.files)  # unchanged: not kept
    ours = EncoderModel.load(tmp_path / "ours", tmp_path / "base")

    queries = ["Write a poem.", "Translate 'cat' into French and explain the noun's gender. " * 4, ""]
    tokenizer = Tokenizer.from_file(str(tmp_path / "base" / BASE_TOKENIZER))
    tokenizer.no_padding()
    tokenizer.enable_truncation(40)
    expected = []
    with torch.no_grad():
        for query in queries:
            ids = torch.tensor([tokenizer.encode(query).ids])
            hidden = bert(input_ids=ids).last_hidden_state.mean(1)
            expected.append(head(hidden).softmax(-1)[0].numpy())
    got = ours.probabilities(queries)  # batched with padding: the mask must hide it
    assert got.shape == (3, 3)
    assert np.allclose(got, np.array(expected), atol=atol)
    assert len({tuple(np.round(row, 3)) for row in got}) == 3  # the queries are told apart


def test_an_altered_base_checkpoint_is_refused(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    base = {k: v.numpy().copy() for k, v in _tiny_bert(torch, transformers, layers=1).state_dict().items()}
    hashes = _write_base(tmp_path / "base", base)
    shape = {"hidden": 32, "heads": 4, "layers": 1, "eps": 1e-12, "max_len": 40}
    tuned = base | {"head.weight": np.zeros((2, 32), np.float32), "head.bias": np.zeros(2, np.float32)}
    save_delta(tmp_path / "ours", ("a", "b"), shape, base, tuned, 4, hashes, {})
    assert EncoderModel.load(tmp_path / "ours", tmp_path / "base").labels == ("a", "b")
    data = bytearray((tmp_path / "base" / BASE_WEIGHTS).read_bytes())
    data[-1] ^= 1
    (tmp_path / "base" / BASE_WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(EncoderFileError, match="is not the checkpoint's"):
        EncoderModel.load(tmp_path / "ours", tmp_path / "base")


def test_safetensors_reader_views_the_package_checkpoint() -> None:
    path = base_model_dir() / BASE_WEIGHTS
    tensors = read_safetensors(path.read_bytes(), path)
    assert tensors["embeddings.word_embeddings.weight"].shape == (30522, 384)
    assert tensors["encoder.layer.5.output.dense.weight"].dtype == np.float32
    with pytest.raises(EncoderFileError, match="not a readable safetensors"):
        read_safetensors(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}", path)


def test_the_package_ships_the_published_checkpoint_unchanged() -> None:
    base = base_model_dir()
    assert {name: sha256_of((base / name).read_bytes()) for name in PUBLISHED} == PUBLISHED
    meta = json.loads((ENCODER_DIR / "encoder.json").read_text(encoding="utf-8"))
    assert meta["base"]["sha256"] == PUBLISHED


def test_shipped_encoder_keeps_only_its_delta_and_head_under_the_size_limit() -> None:
    files = sorted(p.name for p in ENCODER_DIR.iterdir())
    assert files == ["delta.npz", "encoder.json", "metrics.json"]
    shipped = [p for p in MODEL_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in shipped) < 10_000_000
    with np.load(ENCODER_DIR / "delta.npz", allow_pickle=False) as arrays:
        assert not any("word_embeddings" in k for k in arrays.files)
    assert "test queries left out" in METRICS["trained_on"] and METRICS["test_data"] == "testdata.jsonl"


def test_the_default_averages_with_the_tfidf_model_as_recorded(encoder: Classifier) -> None:
    weight = METRICS["tfidf_weight"]
    if weight:
        assert isinstance(encoder.model, EnsembleModel) and encoder.model.weight == weight
    else:
        assert isinstance(encoder.model, EncoderModel)
    probs = encoder.model.probabilities(["Write a limerick about a cat.", "Fix this SQL: SELEC * FROM t"])
    assert probs.shape == (2, len(encoder.model.labels)) and np.allclose(probs.sum(1), 1.0, atol=1e-5)


def test_odd_inputs_still_get_scenarios(encoder: Classifier) -> None:
    predictions = encoder.predict(["", "x" * 20_000, "Qu'est-ce que c'est ?", "你好"], batch_size=3)
    assert [p.scenario in SCENARIOS for p in predictions] == [True] * 4


def test_a_broken_encoder_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderFileError, match="cannot read"):
        EncoderModel.load(tmp_path)
    (tmp_path / "encoder.json").write_text('{"format_version": 1}', encoding="utf-8")
    with pytest.raises(EncoderFileError, match="format 1, this autoj reads 2"):
        EncoderModel.load(tmp_path)
