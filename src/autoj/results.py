"""Results: one record per judged item, and a JSONL file that grows as items finish.

The file is the run's memory: a line is written whole (one `write` call) as soon as its item is
done, so a killed run leaves only valid lines, and a re-run skips every id already there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoj.errors import AutojError
from autoj.types import Item, Judgment, JudgmentStatus, PairItem, SingleItem, Verdict

RESULT_FORMAT = 1


@dataclass(frozen=True)
class Result:
    """A judged item: its judgment, the swapped-order judgment when both orders ran, provenance.

    `swapped` is in its own frame (its "Response 1" is the item's response 2); `swapped_verdict`
    maps it back. With both orders, `verdict` is the agreed verdict, a tie when the two orders
    disagree (the judgment depended on position), and None when either failed.
    """

    item: Item
    judgment: Judgment
    swapped: Judgment | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def kind(self) -> str:
        return "pairwise" if isinstance(self.item, PairItem) else "single"

    @property
    def swapped_verdict(self) -> Verdict | None:
        if self.swapped is None or self.swapped.verdict is None:
            return None
        return self.swapped.verdict.swapped()

    @property
    def consistent(self) -> bool | None:
        """Whether both orders gave the same verdict (None unless both orders ran and parsed)."""
        if self.swapped is None or self.judgment.verdict is None or self.swapped_verdict is None:
            return None
        return self.judgment.verdict == self.swapped_verdict

    @property
    def verdict(self) -> Verdict | None:
        if self.swapped is None:
            return self.judgment.verdict
        consistent = self.consistent
        if consistent is None:
            return None
        return self.judgment.verdict if consistent else Verdict.TIE

    @property
    def rating(self) -> float | None:
        return self.judgment.rating

    @property
    def critique(self) -> str:
        return self.judgment.critique

    @property
    def status(self) -> JudgmentStatus:
        """ok when a verdict or rating came out; else the first failure's status."""
        for judgment in (self.judgment, self.swapped):
            if judgment is not None and not judgment.ok:
                return judgment.status
        return "ok"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "status": self.status}
        if isinstance(self.item, PairItem):
            data["verdict"] = self.verdict.value if self.verdict else None
            data["label"] = self.verdict.label if self.verdict else None
            if self.swapped is not None:
                data["consistent"] = self.consistent
                data["swapped_verdict"] = self.swapped_verdict.value if self.swapped_verdict else None
            data["item"] = {
                "query": self.item.query,
                "response_1": self.item.response_1,
                "response_2": self.item.response_2,
                "scenario": self.item.scenario,
                "label": self.item.label.value if self.item.label else None,
                "meta": dict(self.item.meta),
            }
        else:
            data["rating"] = self.rating
            data["item"] = {
                "query": self.item.query,
                "response": self.item.response,
                "scenario": self.item.scenario,
                "reference": self.item.reference,
                "meta": dict(self.item.meta),
            }
        data["judgment"] = self.judgment.to_dict()
        if self.swapped is not None:
            data["swapped"] = self.swapped.to_dict()
        data["provenance"] = dict(self.provenance)
        data["format"] = RESULT_FORMAT
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        raw = data["item"]
        item: Item
        if data["kind"] == "pairwise":
            item = PairItem(
                query=raw["query"],
                response_1=raw["response_1"],
                response_2=raw["response_2"],
                id=str(data["id"]),
                scenario=raw.get("scenario"),
                label=Verdict(raw["label"]) if raw.get("label") else None,
                meta=raw.get("meta") or {},
            )
        else:
            item = SingleItem(
                query=raw["query"],
                response=raw["response"],
                id=str(data["id"]),
                scenario=raw.get("scenario"),
                reference=raw.get("reference"),
                meta=raw.get("meta") or {},
            )
        swapped = data.get("swapped")
        return cls(
            item=item,
            judgment=Judgment.from_dict(data["judgment"]),
            swapped=Judgment.from_dict(swapped) if swapped else None,
            provenance=data.get("provenance") or {},
        )


def read_results(path: str | Path) -> Iterator[Result]:
    """Results of a file written by `ResultsWriter`; a cut-off last line is ignored."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # the run died mid-write: nothing else is affected
                continue
            raise AutojError(f"{path}:{number}: not a JSON line; is this a results file?") from None
        try:
            yield Result.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise AutojError(f"{path}:{number}: not an autoj result ({exc})") from None


class ResultsWriter:
    """Appends result lines to a JSONL file; on resume, knows which ids are already done.

    Items whose judgment failed in the backend (a server down, a timeout) are not counted as done:
    a re-run tries them again. Parse failures are real model outputs and are kept. `done` holds the
    ids finished before this run only: nothing grows per item while the run streams.
    """

    def __init__(self, path: str | Path, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.done: set[str] = set()
        self.retried: set[str] = set()
        if self.path.exists() and not overwrite:
            self._load_existing()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(b"")
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def _load_existing(self) -> None:
        """Keep the valid lines (drop a cut-off last line and backend failures, to redo them)."""
        raw = self.path.read_bytes().decode("utf-8", errors="replace")
        kept: list[str] = []
        for number, line in enumerate(raw.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                result_id, status = str(data["id"]), data["status"]
            except (json.JSONDecodeError, KeyError, TypeError):
                if number >= raw.count("\n") + 1:
                    continue  # a line the previous run was writing when it died
                raise AutojError(
                    f"{self.path}:{number}: not an autoj result line; use --overwrite to start over "
                    "or choose another output file"
                ) from None
            if status == "backend_error":
                self.retried.add(result_id)
                continue
            self.done.add(result_id)
            kept.append(line)
        text = "".join(line + "\n" for line in kept)
        if text.encode("utf-8") != raw.encode("utf-8"):
            tmp = self.path.with_suffix(self.path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)

    def write(self, result: Result) -> None:
        line = (json.dumps(result.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
