"""The shipped encoder scenario classifier: numpy forward pass, files, recorded accuracy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from autoj.scenarios import SCENARIOS, Classifier
from autoj.scenarios._encoder import ENCODER_DIR, EncoderFileError, EncoderModel

METRICS = json.loads((ENCODER_DIR / "metrics.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def encoder() -> Classifier:
    return Classifier()


def test_numpy_forward_matches_torch_on_a_config_built_bert(tmp_path: Path) -> None:
    """Our forward pass against transformers' BertModel with the same (float16-rounded) weights."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer

    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=128, hidden_act="gelu", initializer_range=0.3,
    )  # fmt: skip
    bert = transformers.BertModel(config, add_pooling_layer=False).eval()
    head = torch.nn.Linear(32, 3)
    with torch.no_grad():
        for p in [*bert.parameters(), *head.parameters()]:
            p.copy_(p.half().float())  # what the float16 files keep
    arrays = {k: v.numpy() for k, v in bert.state_dict().items()}
    arrays |= {"head.weight": head.weight.detach().numpy(), "head.bias": head.bias.detach().numpy()}
    shape = {"hidden": 32, "heads": 4, "layers": 2, "eps": config.layer_norm_eps, "max_len": 40}
    EncoderModel.save(tmp_path, ("a", "b", "c"), shape, arrays, {})
    shutil.copy(ENCODER_DIR / "tokenizer.json", tmp_path / "tokenizer.json")
    ours = EncoderModel.load(tmp_path)

    queries = ["Write a poem.", "Translate 'cat' into French and explain the noun's gender. " * 4, ""]
    tokenizer = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
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
    assert np.allclose(got, np.array(expected), atol=1e-4)
    assert len({tuple(np.round(row, 3)) for row in got}) == 3  # the queries are told apart


def test_shipped_encoder_files_are_plain_arrays_under_the_size_limit() -> None:
    files = sorted(p.name for p in ENCODER_DIR.iterdir())
    assert files == ["encoder.json", "encoder.npz", "metrics.json", "tokenizer.json"]
    assert sum(p.stat().st_size for p in ENCODER_DIR.iterdir()) < 60_000_000
    with np.load(ENCODER_DIR / "encoder.npz", allow_pickle=False) as arrays:
        assert {arrays[k].dtype for k in arrays.files} == {np.dtype(np.float16)}
    assert METRICS["trained_on"] == "traindata.jsonl" and METRICS["test_data"] == "testdata.jsonl"


def test_odd_inputs_still_get_scenarios(encoder: Classifier) -> None:
    predictions = encoder.predict(["", "x" * 20_000, "Qu'est-ce que c'est ?", "你好"], batch_size=3)
    assert [p.scenario in SCENARIOS for p in predictions] == [True] * 4


def test_a_broken_encoder_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderFileError, match="cannot read"):
        EncoderModel.load(tmp_path)
    (tmp_path / "encoder.json").write_text('{"format_version": 99}', encoding="utf-8")
    np.savez(tmp_path / "encoder.npz", x=np.zeros(2, dtype=np.float16))
    with pytest.raises(EncoderFileError, match="format 99"):
        EncoderModel.load(tmp_path)
