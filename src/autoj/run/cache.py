"""A persistent store of finished generations, so a re-run or a resumed run costs only lookups.

One SQLite file (default `~/.cache/autoj/judgments.sqlite`, or `$AUTOJ_CACHE`) shared by the CLI,
the Python API, benchmarks and the service. A key is the sha256 of everything that determines a
generation: the backend's identity (model file hash or revision), the protocol and its version,
the exact prompt (text or messages) and the generation params. Only successful generations are
stored; a backend error is tried again next time. WAL mode and a busy timeout let several
processes read and write the same file at once.

The cache can never break a run: a file that is damaged, locked past the busy timeout, full or
unwritable turns the cache off for the rest of the process with one warning, and the run goes on
generating. `check()` (behind `autoj cache stats`) runs SQLite's integrity check.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autoj.backends.redaction import redact_data
from autoj.errors import AutojError
from autoj.types import Completion, GenerationParams, Prompt, TokenLogprob

ENV_VAR = "AUTOJ_CACHE"
SCHEMA_VERSION = 1
# Long enough for other processes' single-statement writes, short enough that a file locked by
# someone else costs a run a few seconds once, not minutes per lookup.
_BUSY_TIMEOUT_MS = 5_000

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    protocol TEXT NOT NULL,
    completion TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_cache_path() -> Path:
    """`$AUTOJ_CACHE` when set, else `~/.cache/autoj/judgments.sqlite` (under XDG_CACHE_HOME)."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autoj" / "judgments.sqlite"


def cache_key(identity: Mapping[str, Any], protocol_id: str, prompt: Prompt, params: GenerationParams) -> str:
    """sha256 of a canonical JSON of what determines one generation."""
    payload = {
        "v": SCHEMA_VERSION,
        "backend": dict(identity),
        "protocol": protocol_id,
        "prompt": prompt.to_dict(),
        "params": params.to_dict(),
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _encode(completion: Completion) -> str:
    data = asdict(completion)
    data.pop("error")
    if completion.logprobs is not None:
        data["logprobs"] = [
            {"token": lp.token, "logprob": lp.logprob, "top": dict(lp.top)} for lp in completion.logprobs
        ]
    data = redact_data(data)  # a credential a server echoed is never stored
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A model's text with a lone surrogate: stored escaped, it reads back the same.
        return json.dumps(data)
    return text


def _decode(text: str) -> Completion:
    """A stored completion; raises ValueError (or KeyError/TypeError) for a damaged entry."""
    data = json.loads(text)
    logprobs = data.get("logprobs")
    return Completion(
        text=data["text"],
        prompt_tokens=int(data.get("prompt_tokens", 0)),
        completion_tokens=int(data.get("completion_tokens", 0)),
        finish_reason=data.get("finish_reason", "stop"),
        logprobs=tuple(
            TokenLogprob(token=lp["token"], logprob=float(lp["logprob"]), top=lp.get("top") or {})
            for lp in logprobs
        )
        if logprobs is not None
        else None,
    )


@dataclass(frozen=True)
class CacheStats:
    """What the cache file holds, and this process's hits and misses."""

    path: str
    entries: int
    size_bytes: int
    by_model: dict[str, int]
    hits: int
    misses: int
    stores: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CacheHealth:
    """What SQLite's integrity check says about a cache file: `ok`, or why it is damaged."""

    path: str
    ok: bool
    detail: str


_DAMAGED = "use `autoj cache clear`, delete the file, or pass --no-cache"


class JudgmentCache:
    """Thread-safe handle on one cache file. Lookups and stores are single SQL statements.

    A database error (damaged, locked, full, read-only) never reaches the caller: the cache logs
    one warning and from then on finds nothing and stores nothing (`disabled` says why).
    `strict=True` raises AutojError instead, for the commands that manage the cache itself;
    `quiet=True` skips the warning, for one that reports the damage itself (`check`).
    `busy_timeout` is how long a statement waits for another process's lock, in seconds.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        strict: bool = False,
        quiet: bool = False,
        busy_timeout: float = _BUSY_TIMEOUT_MS / 1000,
    ) -> None:
        self.path = Path(path).expanduser() if path is not None else default_cache_path()
        self.strict = strict
        self.quiet = quiet
        self.disabled: str | None = None
        self.problem: str | None = None  # what is wrong with the file, once the cache is off
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self.hits = 0
        self.misses = 0
        self.stores = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                str(self.path), timeout=busy_timeout, check_same_thread=False, isolation_level=None
            )
            self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._fail("cannot open", _describe(exc))

    def _fail(self, action: str, problem: str) -> None:
        """Turn the cache off with one warning (or raise, when strict). Call without the lock."""
        message = f"{action} the judgment cache {self.path}: {problem}"
        if self.strict:
            raise AutojError(f"{message} ({_DAMAGED})")
        if self.disabled is None:
            self.disabled = message
            self.problem = problem
            if not self.quiet:
                log.warning("warning: %s; carrying on without the cache (%s)", message, _DAMAGED)

    def get_many(self, keys: Sequence[str]) -> list[Completion | None]:
        """The stored completion of each key, or None where there is none (or the cache is off)."""
        out = self.lookup(keys)
        hit = sum(c is not None for c in out)
        self.hits += hit
        self.misses += len(keys) - hit
        return out

    def lookup(self, keys: Sequence[str]) -> list[Completion | None]:
        """As `get_many`, leaving the hit counts alone (for what is not a judgment)."""
        if not keys:
            return []
        found: dict[str, Completion] = {}
        if self.disabled is None and self._conn is not None:
            marks = ",".join("?" * len(keys))
            try:
                with self._lock:
                    rows = self._conn.execute(
                        f"SELECT key, completion FROM generations WHERE key IN ({marks})", tuple(keys)
                    ).fetchall()
                found = {key: _decode(text) for key, text in rows}
            except sqlite3.Error as exc:
                self._fail("cannot read", _describe(exc))
            except (ValueError, KeyError, TypeError) as exc:
                self._fail("cannot read", f"a damaged entry ({exc})")
                found = {}
        return [found.get(key) for key in keys]

    def get(self, key: str) -> Completion | None:
        return self.get_many([key])[0]

    def put_many(
        self, entries: Sequence[tuple[str, Completion]], identity: Mapping[str, Any], protocol_id: str
    ) -> int:
        """Store successful completions (failed ones are skipped: they must be tried again)."""
        rows = [
            (
                key,
                str(identity.get("backend", "")),
                str(identity.get("model", "")),
                protocol_id,
                _encode(completion),
                time.time(),
            )
            for key, completion in entries
            if completion.error is None
        ]
        if not rows or self.disabled is not None or self._conn is None:
            return 0
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO generations VALUES (?, ?, ?, ?, ?, ?)", rows
                    )
                    self._conn.execute("COMMIT")
                except sqlite3.Error:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            self._fail("cannot write to", _describe(exc))
            return 0
        self.stores += len(rows)
        return len(rows)

    def _connection(self) -> sqlite3.Connection:
        """The open connection, for commands that manage the cache (they fail loudly)."""
        if self._conn is None or self.disabled is not None:
            raise AutojError(f"{self.disabled or 'the judgment cache is closed'} ({_DAMAGED})")
        return self._conn

    def check(self) -> CacheHealth:
        """SQLite's integrity check of the whole file: whether it is sound, and what is wrong."""
        if self.disabled is not None:
            return CacheHealth(str(self.path), False, self.problem or self.disabled)
        try:
            with self._lock:
                rows = self._connection().execute("PRAGMA integrity_check").fetchall()
        except sqlite3.Error as exc:
            return CacheHealth(str(self.path), False, _describe(exc))
        findings = [str(row[0]) for row in rows]
        ok = findings == ["ok"]
        return CacheHealth(str(self.path), ok, "ok" if ok else "; ".join(findings[:5]))

    def stats(self) -> CacheStats:
        try:
            with self._lock:
                conn = self._connection()
                entries = conn.execute("SELECT COUNT(*) FROM generations").fetchone()[0]
                by_model = conn.execute(
                    "SELECT backend || ':' || model, COUNT(*) FROM generations GROUP BY 1 ORDER BY 2 DESC"
                ).fetchall()
        except sqlite3.Error as exc:
            raise AutojError(
                f"cannot read the judgment cache {self.path}: {_describe(exc)} ({_DAMAGED})"
            ) from None
        size = sum(p.stat().st_size for p in self._files() if p.exists())
        return CacheStats(
            path=str(self.path),
            entries=int(entries),
            size_bytes=size,
            by_model={name: int(n) for name, n in by_model},
            hits=self.hits,
            misses=self.misses,
            stores=self.stores,
        )

    def clear(self, model: str | None = None) -> int:
        """Delete all entries (or one model's); returns how many were deleted."""
        try:
            with self._lock:
                conn = self._connection()
                if model is None:
                    cursor = conn.execute("DELETE FROM generations")
                else:
                    cursor = conn.execute("DELETE FROM generations WHERE model = ?", (model,))
                deleted = cursor.rowcount
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                if model is None:
                    conn.execute("VACUUM")
        except sqlite3.Error as exc:
            raise AutojError(f"cannot clear the judgment cache {self.path}: {_describe(exc)}") from None
        return int(deleted)

    def _files(self) -> list[Path]:
        return [self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> JudgmentCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe(exc: BaseException) -> str:
    """An OS or SQLite error in words a user can act on."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in text:
        return "not an SQLite database"
    return text


CacheOption = JudgmentCache | str | Path | bool | None


def resolve_cache(option: CacheOption) -> JudgmentCache | None:
    """`Judge(cache=...)`: True -> the default file, a path -> that file, None/False -> no cache."""
    if option is None or option is False:
        return None
    if option is True:
        return JudgmentCache()
    if isinstance(option, JudgmentCache):
        return option
    return JudgmentCache(option)


#: Figures kept beside the judgments (autoj.stats.memo): their own backend name in the cache, so
#: `autoj cache stats` counts them apart and `autoj cache clear --model autoj-figures` drops them.
FIGURES_IDENTITY = {"backend": "autoj-figures", "model": "autoj-figures"}
FIGURES_PROTOCOL = "figures/1"


class FigureMemo:
    """An `autoj.stats.memo.Memo` in the judgment cache: a re-run of a board reads its fits back.
    It keeps its own hit counts (the judgments' counts stay the judgments')."""

    def __init__(self, store: JudgmentCache) -> None:
        self.store = store
        self.hits = 0
        self.stores = 0

    def get(self, key: str) -> str | None:
        found = self.store.lookup([key])[0]
        self.hits += found is not None
        return None if found is None else found.text

    def put(self, key: str, value: str) -> None:
        self.stores += self.store.put_many([(key, Completion(value))], FIGURES_IDENTITY, FIGURES_PROTOCOL)


@contextmanager
def figure_memo(option: CacheOption) -> Iterator[FigureMemo | None]:
    """The memo of figures in the cache `option` names (None: no cache, no memo), open for the
    block (a cache it opened is closed after)."""
    store = resolve_cache(option)
    if store is None:
        yield None
        return
    try:
        yield FigureMemo(store)
    finally:
        if store is not option:
            store.close()
