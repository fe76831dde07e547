"""Results: one record per judged item, and a JSONL file that grows as items finish.

The file is the run's memory: a line is written whole as soon as its item is done, so a killed run
leaves only valid lines, and a re-run skips every id already there. Every line records the judge
setup that made it (`provenance.setup`, see `Engine.setup`): a file belongs to one setup, and a
resume with another one is refused instead of mixing two judges' work. Files are read line by line
with a bound on a line's size, never whole.
"""

from __future__ import annotations

import bisect
import contextlib
import glob
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from autoj.backends.redaction import redact_data
from autoj.errors import AutojError, RunFailure
from autoj.io.outputs import check_output, lock_output
from autoj.types import Item, Judgment, JudgmentStatus, Message, PairItem, Rubric, SingleItem, Verdict

# 2: `verdict_code` and `item.human_label` (1 called both "label"); 3: `swapped_verdict_mapped_back`
# (2 called it `swapped_verdict`, a name too close to the raw `swapped.verdict`)
RESULT_FORMAT = 3
# A result line holds the item's texts and the judge's; anything longer is not a results file.
MAX_LINE_BYTES = 64 * 2**20
# Setup keys that name a judge (or a model under test) without changing its outputs: shown, never
# compared.
DESCRIPTIVE_SETUP_KEYS = frozenset({"judge", "spec"})


@dataclass(frozen=True)
class Result:
    """A judged item: its judgment, the swapped-order judgment when both orders ran, provenance.

    `swapped` is in its own frame (its "Response 1" is the item's response 2); `swapped_verdict`
    maps it back to the item's order (a line's `swapped_verdict_mapped_back`, beside the raw
    `swapped.verdict` as the judge wrote it on the swapped prompt). With both orders, `verdict` is
    the agreed verdict, a tie when the two orders disagree (the judgment depended on position),
    and None when either failed.
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

    @property
    def setup(self) -> dict[str, Any]:
        """The judge setup that made this result (what older lines recorded of it)."""
        pair = isinstance(self.item, PairItem)
        return setup_of(self.provenance, self.swapped is not None if pair else None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "status": self.status}
        if isinstance(self.item, PairItem):
            data["verdict"] = self.verdict.value if self.verdict else None
            data["verdict_code"] = self.verdict.label if self.verdict else None
            if self.swapped is not None:
                data["consistent"] = self.consistent
                mapped_back = self.swapped_verdict
                data["swapped_verdict_mapped_back"] = mapped_back.value if mapped_back else None
            data["item"] = {
                "query": self.item.query,
                "response_1": self.item.response_1,
                "response_2": self.item.response_2,
                "scenario": self.item.scenario,
                "human_label": self.item.label.value if self.item.label else None,
                "meta": dict(self.item.meta),
                **_judge_inputs(self.item),
            }
        else:
            data["rating"] = self.rating
            data["item"] = {
                "query": self.item.query,
                "response": self.item.response,
                "scenario": self.item.scenario,
                "reference_score": self.item.reference_score,
                "meta": dict(self.item.meta),
                **_judge_inputs(self.item),
            }
        data["judgment"] = self.judgment.to_dict()
        if self.swapped is not None:
            data["swapped"] = self.swapped.to_dict()
        data["provenance"] = dict(self.provenance)
        data["item_sha256"] = item_sha256(self.item)
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
                label=_human_label(raw),
                meta=raw.get("meta") or {},
                **_judge_inputs_of(raw),
            )
        else:
            item = SingleItem(
                query=raw["query"],
                response=raw["response"],
                id=str(data["id"]),
                scenario=raw.get("scenario"),
                reference_score=raw.get("reference_score", raw.get("reference")),
                meta=raw.get("meta") or {},
                **_judge_inputs_of(raw),
            )
        swapped = data.get("swapped")
        return cls(
            item=item,
            judgment=Judgment.from_dict(data["judgment"]),
            swapped=Judgment.from_dict(swapped) if swapped else None,
            provenance=provenance_of(data),
        )


def provenance_of(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A line's provenance: an object (missing: empty); anything else is a ValueError to report."""
    provenance = data.get("provenance") or {}
    if not isinstance(provenance, Mapping):
        raise ValueError(f"'provenance' is {type(provenance).__name__}, not an object")
    return provenance


def item_sha256(item: Item) -> str:
    """A hash of everything of an item a judge reads (query, responses, scenario, reference
    answer, rubric, earlier turns): a results line stands for exactly this content, so a resume
    notices an item whose text changed under the same id. Labels and meta are not judged: left out."""
    content: dict[str, Any] = {"query": item.query, "scenario": item.scenario, **_judge_inputs(item)}
    if isinstance(item, PairItem):
        content["responses"] = [item.response_1, item.response_2]
    else:
        content["response"] = item.response
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _judge_inputs(item: Item) -> dict[str, Any]:
    """The optional inputs some judges read (reference answer, rubric, earlier turns), when set."""
    data: dict[str, Any] = {}
    if item.reference_answer is not None:
        data["reference_answer"] = item.reference_answer
    if item.rubric is not None:
        data["rubric"] = item.rubric.to_dict()
    if item.conversation:
        data["conversation"] = [{"role": m.role, "content": m.content} for m in item.conversation]
    return data


def _judge_inputs_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    rubric = raw.get("rubric")
    return {
        "reference_answer": raw.get("reference_answer"),
        "rubric": Rubric.from_dict(rubric) if rubric else None,
        "conversation": tuple(Message(m["role"], m["content"]) for m in raw.get("conversation") or ()),
    }


def _human_label(raw: Mapping[str, Any]) -> Verdict | None:
    """The item's human label: `human_label`, or `label` in files of format 1."""
    value = raw.get("human_label", raw.get("label"))
    return Verdict(value) if value else None


def setup_of(provenance: Mapping[str, Any], both_orders: bool | None = None) -> dict[str, Any]:
    """The judge setup a result line records; for lines written before setups were recorded, the
    parts their provenance holds (backend identity, protocol, and both orders for pairs)."""
    recorded = provenance.get("setup")
    if isinstance(recorded, Mapping):
        return dict(recorded)
    legacy: dict[str, Any] = {}
    if "judge" in provenance:
        legacy["judge"] = provenance["judge"]
    backend = {
        k: provenance[k] for k in ("backend", "model", "sha256", "revision", "base_url") if k in provenance
    }
    if backend:
        legacy["backend"] = backend
    if "protocol" in provenance:
        legacy["protocol"] = provenance["protocol"]
    if both_orders is not None:
        legacy["both_orders"] = both_orders
    return legacy


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(value, name + "."))
        else:
            out[name] = value
    return out


def setup_differences(
    recorded: Mapping[str, Any], current: Mapping[str, Any], sides: tuple[str, str] = ("there", "now")
) -> list[str]:
    """What differs between two setups, one phrase per field; fields only one side records (an
    older line) are not compared, nor descriptive ones such as the spec's spelling."""
    old, new = _flat(recorded), _flat(current)
    shared_tops = {k.split(".")[0] for k in old} & {k.split(".")[0] for k in new}
    names = sorted(
        k
        for k in old.keys() | new.keys()
        if k.split(".")[0] in shared_tops and k.split(".")[0] not in DESCRIPTIVE_SETUP_KEYS
    )
    first, second = sides
    return [f"{k} {old.get(k)!r} {first}, {new.get(k)!r} {second}" for k in names if old.get(k) != new.get(k)]


def _check_readable(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise AutojError(f"results file not found: {path}") from None
    except OSError as exc:
        raise RunFailure(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise AutojError(f"{path} is not a regular file, so not a results file")


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes, ends with a newline), one line at a time, each at most MAX_LINE_BYTES."""
    _check_readable(path)
    try:
        with path.open("rb") as handle:
            number = 0
            while raw := handle.readline(MAX_LINE_BYTES + 1):
                number += 1
                complete = raw.endswith(b"\n")
                if not complete and len(raw) > MAX_LINE_BYTES:
                    raise RunFailure(
                        f"{path}:{number}: a line over {MAX_LINE_BYTES // 2**20} MiB; not a results file"
                    )
                yield number, raw, complete
    except OSError as exc:
        raise RunFailure(f"cannot read {path}: {exc.strerror}") from None


class NotResultsFile(AutojError):
    """A file read as results whose first line is not a result: the user named the wrong file."""


class _BadLine(RunFailure):
    """A line that is not a result: where and what (a damaged results file, or another file)."""

    def __init__(self, path: Path, number: int, what: str, hint: str = "") -> None:
        super().__init__(f"{path}:{number}: {what}; is this an autoj results file?{hint}")
        self.where = f"{path}:{number}"
        self.what = what

    def wrong_file(self) -> NotResultsFile:
        return NotResultsFile(
            f"{self.where}: {self.what}, so not an autoj results file: give the results JSONL that a "
            "run wrote with -o (compare, rate, evaluate, bench)"
        )


def _record(path: Path, number: int, raw: bytes, complete: bool, hint: str) -> dict[str, Any] | None:
    """The line's JSON object; None for a blank line or the cut-off last line of a killed run."""
    if not raw.strip():
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        if not complete:
            return None  # the line a run was writing when it died: nothing else is affected
        what = f"invalid UTF-8 at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else "not JSON"
        raise _BadLine(path, number, what, hint) from None
    if not isinstance(data, dict):
        raise _BadLine(path, number, "not a JSON object", hint)
    return data


def _result_of(path: Path, number: int, data: Mapping[str, Any]) -> Result:
    try:
        return Result.from_dict(data)
    except KeyError as exc:
        raise _BadLine(path, number, f"no {exc.args[0]!r} field") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise _BadLine(path, number, f"not an autoj result ({type(exc).__name__}: {exc})") from None


def _records(path: Path, hint: str = "") -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw, complete in _raw_lines(path):
        data = _record(path, number, raw, complete, hint)
        if data is not None:
            yield number, data


def read_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each whole line of a JSONL file a run streams to, one at a time."""
    return _records(Path(path))


def read_results(path: str | Path) -> Iterator[Result]:
    """Results of a file written by `ResultsWriter`, streamed; a cut-off last line is ignored.

    A file holds one line per item and judge: an id the same setup judged twice (a line copied by
    hand) is an error naming both lines, never a silently double-counted item. (Lines of two
    setups are for the reader to refuse: see `setups_in`.) A file whose first line is not a result
    is another file given by mistake (NotResultsFile, a usage error); a bad line after good ones
    is damage (RunFailure).
    """
    path = Path(path)
    seen: dict[tuple[str, str], int] = {}
    try:
        for number, data in _records(path):
            result = _result_of(path, number, data)
            setup = json.dumps(result.setup, sort_keys=True, default=str)
            first = seen.setdefault((result.id, setup), number)
            if first != number:
                raise RunFailure(
                    f"{path}:{number}: id {result.id!r} again (first at line {first}): a results "
                    "file holds one line per item; delete one of them, or resume the run that wrote "
                    "the file (it keeps the line that matches its input)"
                )
            yield result
    except _BadLine as exc:
        raise (exc if seen else exc.wrong_file()) from None


def setups_in(results: Iterable[Result]) -> list[tuple[dict[str, Any], int]]:
    """The distinct judge setups among results, each with how many results it made, in order of
    first appearance; setups that only differ in descriptive fields count as one."""
    found: list[tuple[dict[str, Any], int]] = []
    for result in results:
        setup = result.setup
        for n, (known, count) in enumerate(found):
            if not setup_differences(known, setup):
                found[n] = (known, count + 1)
                break
        else:
            found.append((setup, 1))
    return found


_RESUME_HINT = " Use --overwrite to start over or choose another output file."


@dataclass(frozen=True)
class _Line:
    """What resuming needs of one line of a results file."""

    number: int
    kind: str
    content: str  # item_sha256 of the item the line judged ("" when its text was edited by hand)
    query: str  # a hash of its query (a file's lines are held while it resumes: no texts)


def _line_of(path: Path, number: int, data: Mapping[str, Any]) -> _Line:
    """The line's kind, query and content hash; a line whose recorded hash does not match its own
    item (its text was edited by hand) stands for nothing and is judged again."""
    try:
        item = Result.from_dict(data).item
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RunFailure(
            f"{path}:{number}: not an autoj result ({type(exc).__name__}: {exc}).{_RESUME_HINT}"
        ) from None
    content = item_sha256(item)
    recorded = data.get("item_sha256", content)
    return _Line(number, str(data["kind"]), content if recorded == content else "", _query_hash(item))


def _query_hash(item: Item) -> str:
    return hashlib.sha256(item.query.encode("utf-8", "surrogatepass")).hexdigest()


def _check_replaceable(path: Path) -> None:
    """--overwrite replaces a results file (or an empty one), never another file under that name."""
    for number, raw, complete in _raw_lines(path):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not complete and data is None:
            return  # a killed run's cut-off first line
        if not (isinstance(data, dict) and {"id", "status", "provenance"} <= data.keys()):
            raise AutojError(
                f"{path}:{number} is not an autoj result line: --overwrite replaces a results file, "
                "never another file; choose another output file"
            )
        return


class ResultsWriter:
    """Appends result lines to a JSONL file that it holds locked; on resume, knows the ids done.

    Items whose judgment failed in the backend (a server down, a timeout) are not counted as done:
    a re-run tries them again. Parse failures are real model outputs and are kept. A line stands
    for its item's content (`item_sha256`), not for its id alone: `resume` judges again an item
    whose responses, reference answer or rubric changed since its line was written, and refuses an
    item whose id now names another query (see `resume`). With a `setup`, every existing line
    must have been made by the same setup (else the run is refused); `inputs` are the files the run
    reads, which the output must not be. With `overwrite`, the old lines go when the first new one
    is written: a run that fails before judging anything (a model that does not load) keeps them.
    `role` is what made the lines (a judge, or a generator for `autoj generate`): the setup key
    that names it, in messages; only a judge's lines are judged items that `resume` checks.
    """

    def __init__(
        self,
        path: str | Path,
        overwrite: bool = False,
        setup: Mapping[str, Any] | None = None,
        inputs: Iterable[str | Path] = (),
        role: str = "judge",
    ) -> None:
        self.path = check_output(path, inputs)
        self.setup = setup
        self.role = role
        self.done: set[str] = set()
        self.retried: set[str] = set()
        self.rejudged: set[str] = set()
        self.written = 0
        self._lines: dict[str, list[_Line]] = {}
        self._truncate = overwrite
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFailure(f"cannot create the folder of {self.path}: {exc.strerror}") from None
        self._created = not self.path.exists()
        self._fd = lock_output(self.path)
        try:
            self._remove_stale_rewrites()
            if overwrite:
                _check_replaceable(self.path)
            else:
                self._load_existing()
        except OSError as exc:
            self.close()
            raise RunFailure(f"cannot prepare {self.path}: {exc.strerror}") from None
        except BaseException:
            self.close()
            raise

    def _load_existing(self) -> None:
        """Read the lines done; drop a cut-off last line and backend failures (to redo them)."""
        unterminated = False
        drop: list[int] = []  # in order; blank lines too, since a rewrite leaves them out
        for number, raw, complete in _raw_lines(self.path):
            data = _record(self.path, number, raw, complete, _RESUME_HINT)
            if data is None:
                drop.append(number)
                unterminated = unterminated or bool(raw.strip())
                continue
            try:
                result_id, status = str(data["id"]), data["status"]
                provenance = provenance_of(data)
            except (KeyError, TypeError, ValueError):
                raise RunFailure(f"{self.path}:{number}: not an autoj result line.{_RESUME_HINT}") from None
            self._check_setup(number, provenance, data)
            unterminated = not complete
            if status == "backend_error":
                self.retried.add(result_id)
                drop.append(number)
                continue
            if self.role == "judge":
                self._lines.setdefault(result_id, []).append(_line_of(self.path, number, data))
            self.done.add(result_id)
        if unterminated or self.retried:
            self._rewrite(set(drop))
            # the kept lines' numbers in the rewritten file
            for lines in self._lines.values():
                for n, line in enumerate(lines):
                    lines[n] = replace(line, number=line.number - bisect.bisect(drop, line.number))

    def resume(self, items: Iterable[Item]) -> list[Item]:
        """The items this run must judge; the file's lines that no longer stand for them go.

        An item is done when a line has its id and its exact content. A line under the item's id
        whose responses, reference answer, rubric or scenario differ (an edited response,
        regenerated outputs, a line pasted from another file of the same query) is stale: it is
        removed and the item judged again. A line whose id now names another query means the
        file holds another input's items (two inputs numbered 1, 2, 3 ... by line): refused, as
        is a file of another kind of judgment (rating lines in a pairwise file). Extra copies of a
        done line are removed.
        """
        todo: list[Item] = []
        items = list(items)
        kinds = {"pairwise" if isinstance(item, PairItem) else "single" for item in items}
        self._check_kinds(kinds)
        drop: set[int] = set()
        for item in items:
            lines = self._lines.get(item.id)
            if not lines:
                todo.append(item)
                continue
            content = item_sha256(item)
            kept = next((line for line in lines if line.content == content), None)
            drop.update(line.number for line in lines if line is not kept)  # stale lines, copies
            if kept is not None:
                continue
            other = next((line for line in lines if line.query != _query_hash(item)), None)
            if other is not None:
                raise AutojError(
                    f"{self.path}:{other.number}: id {item.id!r} there is the result of another query "
                    f"than the input's item {item.id!r}: the file holds another input's results (inputs "
                    "without ids are numbered by line). Choose another output file, or --overwrite to "
                    "replace them."
                )
            self.rejudged.add(item.id)
            todo.append(item)
        drop |= self._repeated_lines({item.id for item in items})
        if drop:
            self._rewrite(drop)
        self.done -= {item.id for item in todo}
        return todo

    def _check_kinds(self, kinds: set[str]) -> None:
        for lines in self._lines.values():
            line = lines[0]
            if kinds and line.kind not in kinds:
                names = {"pairwise": "pairwise verdicts", "single": "single-response ratings"}
                raise AutojError(
                    f"{self.path}:{line.number} holds {names.get(line.kind, line.kind)}, and this run "
                    f"writes {' and '.join(names[k] for k in sorted(kinds))}: one results file holds one "
                    "kind of judgment. Choose another output file."
                )

    def _repeated_lines(self, resumed: set[str]) -> set[int]:
        """Later copies of a line with the same id and content, for ids this run does not judge."""
        repeated: set[int] = set()
        for result_id, lines in self._lines.items():
            if result_id in resumed or len(lines) < 2:
                continue
            first = lines[0]
            repeated.update(line.number for line in lines[1:] if line.content == first.content)
        return repeated

    def _check_setup(self, number: int, provenance: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        if self.setup is None:
            return
        pair = data.get("kind") == "pairwise"
        recorded = setup_of(provenance, "swapped" in data if pair else None)
        self.check_setup(recorded, f"line {number}")

    def check_setup(self, recorded: Mapping[str, Any], where: str) -> None:
        """Refuse a line (of this file, or one brought in from elsewhere) made by another setup."""
        if self.setup is None:
            return
        differences = setup_differences(recorded, self.setup, ("in the file", "in this run"))
        if differences:
            role = self.role
            there, now = recorded.get(role, "?"), self.setup.get(role, "?")
            raise AutojError(
                f"{self.path} holds results of another {role} setup ({where}: {role} {there!r}, "
                f"this run {now!r}; {'; '.join(differences)}): resuming would mix two {role}s' "
                "results. Use --overwrite to replace them or choose another output file."
            )

    def _target(self) -> Path:
        """The file itself, when the output is a link to it: a rewrite replaces the file, not the
        link."""
        return Path(os.path.realpath(self.path))

    def _remove_stale_rewrites(self) -> None:
        """Temporary files of a rewrite killed midway (only the lock holder makes them)."""
        target = self._target()
        for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()

    def _rewrite(self, drop: set[int]) -> None:
        """Replace the file by its kept lines, through a temporary file in the same folder.

        The new file is locked before the old one's lock is let go, so no other run slips in.
        """
        target = self._target()
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            os.fchmod(handle, stat.S_IMODE(os.fstat(self._fd).st_mode))  # keep the file's mode
            with os.fdopen(handle, "wb") as out:
                for number, raw, complete in _raw_lines(self.path):
                    if number in drop or not raw.strip():
                        continue
                    out.write(raw if complete else raw + b"\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
        old, self._fd = self._fd, lock_output(self.path)
        os.close(old)

    def write(self, result: Result) -> None:
        """Append one result's line (see `write_record`)."""
        self.write_record(result.to_dict())

    def write_record(self, record: Mapping[str, Any]) -> None:
        """Append one line. On a failed write (disk full, file too large) the partial line is cut
        away again, so every line in the file stays whole, and the run stops with one message."""
        try:
            line = (json.dumps(redact_data(record), ensure_ascii=False) + "\n").encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate that got past the input checks
            raise RunFailure(
                f"the result of item {record.get('id')!r} holds text that is not valid Unicode ({exc.reason} "
                f"at {exc.start}): it cannot be stored in {self.path}; fix that record and run again"
            ) from None
        if self._truncate:
            os.ftruncate(self._fd, 0)  # --overwrite: the old lines go with the first new one
            self._truncate = False
        start = os.lseek(self._fd, 0, os.SEEK_END)
        view = memoryview(line)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            raise RunFailure(
                f"cannot write to {self.path}: {exc.strerror}; the {self.written} results written "
                "by this run are kept whole: make room (or make it writable) and run again to resume"
            ) from None
        self.written += 1

    def close(self) -> None:
        """Let the file go; one this run created and never wrote to is removed again (a run that
        stopped at once, e.g. on a model that does not load, leaves nothing behind)."""
        if self._fd >= 0:
            if self._created and os.fstat(self._fd).st_size == 0:
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
