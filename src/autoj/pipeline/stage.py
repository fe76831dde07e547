"""Resumable file-to-file stages: a stage whose inputs and settings are unchanged is not redone.

Beside each output `X.jsonl` a stage writes `X.jsonl.stage.json` with a fingerprint of its input
files and parameters and the stage's report. A re-run with the same fingerprint returns the stored
report at once; any change (new input bytes, another cap or seed) runs the stage again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from autoj.io.outputs import replace_file
from autoj.version import __version__


def sidecar_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".stage.json")


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(stage: str, inputs: Sequence[str | Path], params: Mapping[str, Any]) -> str:
    """What decides a stage's output: its name, its input files' bytes and its parameters."""

    payload = {
        "autoj": __version__,
        "stage": stage,
        "inputs": [file_digest(p) for p in inputs],
        "params": params,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def stored_report(output: str | Path, print_: str) -> dict[str, Any] | None:
    """The report of an earlier identical run whose output is still there, else None."""
    sidecar = sidecar_path(output)
    if not Path(output).exists() or not sidecar.exists():
        return None
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    if data.get("fingerprint") != print_:
        return None
    report = data.get("report")
    return report if isinstance(report, dict) else None


def record_stage(output: str | Path, stage: str, print_: str, report: Mapping[str, Any]) -> None:
    data = {"stage": stage, "fingerprint": print_, "report": dict(report)}
    text = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    replace_file(sidecar_path(output), lambda out: out.write(text))
