"""The catalog of known judges: every entry well-formed and usable, its file format checked with
one-line errors, user entries from $AUTOJ_CATALOG, and `autoj judges [--json]`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from autoj.judges import catalog
from autoj.judges.catalog import CatalogEntry, CatalogError, Variant, hub_ref, parse_entries, parse_entry
from autoj.judges.config import JudgeConfig
from autoj.judges.hub import HubFile, parse_ref
from autoj.protocols import get_protocol, protocol_names
from autoj.types import PairItem

ENTRIES = catalog.entries()

#: The judge families the catalog may name (the agreed protocol names, plus OffsetBias's own).
FAMILIES = {
    "autoj",
    "autoj-zh",
    "chat",
    "prometheus",
    "mtbench",
    "skywork",
    "judgelm",
    "pandalm",
    "compassjudger",
    "offsetbias",
    "arena-hard",
}

#: The judges the catalog must know (issue: "a catalog of judges").
REQUIRED = {
    "autoj-13b": "GAIR/autoj-13b",
    "autoj-13b-gptq": "GAIR/autoj-13b-GPTQ-4bits",
    "autoj-bilingual-6b": "GAIR/autoj-bilingual-6b",
    "prometheus-7b-v2": "prometheus-eval/prometheus-7b-v2.0",
    "prometheus-8x7b-v2": "prometheus-eval/prometheus-8x7b-v2.0",
    "skywork-critic-8b": "Skywork/Skywork-Critic-Llama-3.1-8B",
    "skywork-critic-70b": "Skywork/Skywork-Critic-Llama-3.1-70B",
    "compassjudger-2-7b": "opencompass/CompassJudger-2-7B-Instruct",
    "compassjudger-2-32b": "opencompass/CompassJudger-2-32B-Instruct",
    "judgelm-7b": "BAAI/JudgeLM-7B-v1.0",
    "pandalm-7b": "WeOpenML/PandaLM-7B-v1",
    "offsetbias-8b": "NCSOFT/Llama-3-OffsetBias-8B",
}

MINIMAL = {"name": "my-judge", "protocol": "chat", "backend": "fake", "model": "org/model", "context": 2048}


def test_the_catalog_knows_the_judges_the_issue_names() -> None:
    by_name = {entry.name: entry for entry in ENTRIES}
    for name, repo in REQUIRED.items():
        assert by_name[name].hf_repo == repo
    api = [e for e in ENTRIES if e.backend.startswith("openai:")]
    # API models judge with the API judges' prompts: MT-Bench's, or Arena-Hard-Auto's for its benchmark
    assert api and all(e.protocol in ("mtbench", "arena-hard") and e.hf_repo is None for e in api)
    assert {e.protocol for e in api} == {"mtbench", "arena-hard"}
    assert len(by_name) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_entry_builds_a_judge_config_and_its_protocol_prompts(entry: CatalogEntry) -> None:
    assert entry.protocol in FAMILIES
    config = JudgeConfig.load(entry.name)
    assert (config.judge, config.protocol, config.source) == (
        entry.backend,
        entry.protocol,
        f"catalog:{entry.name}",
    )
    assert config.language == entry.language
    assert entry.context > 0 and entry.title
    assert entry.protocol in protocol_names()
    protocol = get_protocol(entry.protocol)
    item = PairItem("Name the capital of Australia.", "Canberra.", "Sydney.", id="capital")
    prompt = str(protocol.prompt(item))
    assert "capital of Australia" in prompt and "Canberra." in prompt and "Sydney." in prompt


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.figures], ids=lambda e: e.name)
def test_published_figures_carry_their_source(entry: CatalogEntry) -> None:
    for figure in entry.figures:
        assert figure.source.strip() and figure.benchmark in {
            "Auto-J Eval-P",
            "Auto-J Eval-C",
            "RewardBench",
            "JudgeBench",
        }
        assert 0.0 <= figure.value <= 100.0


def test_the_published_auto_j_figures() -> None:
    autoj = catalog.get_entry("autoj-13b")
    assert autoj is not None
    figures = {(f.benchmark, f.metric): f.value for f in autoj.figures}
    assert figures[("Auto-J Eval-P", "agreement")] == 54.96
    assert figures[("Auto-J Eval-P", "consistency")] == 83.41


def test_gguf_variants_run_on_llama_cpp_from_the_hub() -> None:
    variants = [v for e in ENTRIES for v in e.variants if v.kind == "gguf" and v.file]
    assert variants
    for variant in variants:
        assert variant.spec is not None and variant.spec.startswith("llamacpp:hf://")
        file = parse_ref(variant.spec.removeprefix("llamacpp:"))
        assert (file.repo, file.filename) == (variant.repo, variant.file)
    gguf_entry = catalog.get_entry("prometheus-7b-v2-gguf")
    assert gguf_entry is not None and gguf_entry.backend.startswith("llamacpp:hf://")
    assert Variant("gptq", "GAIR/autoj-13b-GPTQ-4bits").spec == "vllm:GAIR/autoj-13b-GPTQ-4bits"
    assert Variant("gguf", "org/repo").spec is None  # a repository without a known file


@pytest.mark.parametrize(
    ("args", "ref"),
    [
        (("o/r", "f.gguf"), "hf://o/r/f.gguf"),
        (("o/r", "d/f.gguf", "v2"), "hf://o/r/d/f.gguf@v2"),
        (("o/r", "f.gguf", None, "a" * 64), f"hf://o/r/f.gguf#sha256={'a' * 64}"),
        (("o/r", "f.gguf", "c" * 40, "b" * 64), f"hf://o/r/f.gguf@{'c' * 40}#sha256={'b' * 64}"),
    ],
)
def test_hub_references_round_trip(args: tuple[Any, ...], ref: str) -> None:
    assert hub_ref(*args) == ref
    repo, filename, *rest = args
    revision = rest[0] if rest and rest[0] else "main"
    sha = rest[1] if len(rest) > 1 else None
    assert parse_ref(ref) == HubFile(repo, filename, revision, sha)


def test_names_are_looked_up_case_insensitively() -> None:
    assert catalog.get_entry("Prometheus-7B-v2") is catalog.get_entry("prometheus-7b-v2")
    assert catalog.get_entry("no-such-judge") is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"name": None}, "'name' is missing"),
        ({"context": None}, "'context' is missing"),
        ({"name": "My Judge"}, "'name': use lower-case letters"),
        ({"context": "4k"}, "'context': expected a positive number of tokens"),
        ({"context": 0}, "'context': expected a positive number of tokens"),
        ({"language": "fr"}, "'language': expected en or zh"),
        ({"lisence": "mit"}, "unknown key 'lisence'"),
        ({"params": [1]}, "'params': expected a mapping"),
        (
            {"variants": [{"kind": "exl2", "repo": "o/r"}]},
            "variant 1: 'kind': expected one of gguf, gptq, awq",
        ),
        ({"variants": [{"kind": "gguf", "repo": "just-a-name"}]}, "variant 1: 'repo': expected OWNER/NAME"),
        (
            {"variants": [{"kind": "gguf", "repo": "o/r", "sha256": "abc"}]},
            "'sha256': expected 64 lower-case hex",
        ),
        (
            {"figures": [{"benchmark": "RewardBench", "metric": "score", "value": "high", "source": "x"}]},
            "'value'",
        ),
        ({"figures": [{"benchmark": "RewardBench", "metric": "score", "value": 1.0}]}, "'source': expected"),
    ],
)
def test_a_malformed_entry_is_one_line_naming_entry_and_key(change: dict[str, Any], says: str) -> None:
    raw = {k: v for k, v in {**MINIMAL, **change}.items() if v is not None}
    with pytest.raises(CatalogError) as info:
        parse_entry(raw, "judges.yaml entry 3")
    message = str(info.value)
    assert says in message and message.startswith("judges.yaml entry 3") and "\n" not in message


def test_a_document_must_be_a_list_with_unique_names() -> None:
    with pytest.raises(CatalogError, match="expected a list of judge entries"):
        parse_entries({"name": "x"}, "judges.yaml", "file")
    with pytest.raises(CatalogError, match="entry 2: the name 'my-judge' is used twice"):
        parse_entries([MINIMAL, MINIMAL], "judges.yaml", "file")


def test_a_user_catalog_adds_and_replaces_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "judges.yaml"
    local_13b = {
        **MINIMAL,
        "name": "autoj-13b",
        "protocol": "autoj",
        "backend": "llamacpp:/models/autoj-13b.gguf",
    }
    path.write_text(yaml.safe_dump([MINIMAL, local_13b]), encoding="utf-8")
    monkeypatch.setenv(catalog.CATALOG_ENV, str(path))
    mine = catalog.get_entry("my-judge")
    assert mine is not None and mine.origin == f"file:{path}"
    replaced = catalog.get_entry("autoj-13b")
    assert replaced is not None and replaced.backend == "llamacpp:/models/autoj-13b.gguf"
    assert len(catalog.entries()) == len(ENTRIES) + 1
    assert JudgeConfig.load("my-judge").judge == "fake"


def test_a_broken_user_catalog_is_one_line_with_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "judges.yaml"
    path.write_text("- name: a\n  protocol: [chat\n", encoding="utf-8")
    monkeypatch.setenv(catalog.CATALOG_ENV, str(path))
    with pytest.raises(CatalogError, match=r"judges\.yaml line \d+"):
        catalog.entries()
    monkeypatch.setenv(catalog.CATALOG_ENV, str(tmp_path / "missing.yaml"))
    with pytest.raises(CatalogError, match="no such catalog file"):
        catalog.entries()


def _judges(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != catalog.CATALOG_ENV}
    return subprocess.run(
        [sys.executable, "-m", "autoj", "judges", *args],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=120,
    )


def test_autoj_judges_json_lists_every_entry() -> None:
    done = _judges("--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert isinstance(rows, list) and [row["name"] for row in rows] == [e.name for e in ENTRIES]
    for row, entry in zip(rows, ENTRIES, strict=True):
        assert {"name", "protocol", "backend", "model", "license", "context"} <= set(row)
        assert (row["protocol"], row["backend"], row["model"], row["context"]) == (
            entry.protocol,
            entry.backend,
            entry.model,
            entry.context,
        )
        assert row["protocol_available"] == (entry.protocol in protocol_names())
        assert all({"benchmark", "metric", "value", "source"} <= set(f) for f in row["figures"])


def test_autoj_judges_prints_a_table_of_every_entry() -> None:
    done = _judges()
    assert done.returncode == 0, done.stderr
    for entry in ENTRIES:
        assert entry.name in done.stdout
    assert "54.96" in done.stdout  # Auto-J 13B's Eval-P agreement
