"""Where a command may write: the checks every output passes before a run, and the run's lock.

An output is a regular file or a path that does not exist yet. Devices, directories, FIFOs and
sockets are refused at once (reading `/dev/zero` "to resume" never ends), and so is a path that is
one of the command's inputs, with or without --overwrite: an input is never written over.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from autoj.errors import AutojError, OutputBusy, RunFailure

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)
# Suffixes of files that hold records (results, inputs): never replaced by a rendered page.
SQLITE_HEADER = b"SQLite format 3\x00"
RECORD_SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet", ".gz")


def _kind(mode: int) -> str | None:
    """What the file is when it is not a regular file."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_output(path: str | Path, inputs: Iterable[str | Path] = (), flag: str = "-o") -> Path:
    """`path` if results may be written there: a regular file or a new path, and no input."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            raise AutojError(f"{flag} {path}: a link to a missing file; name the file itself") from None
        return path
    except OSError as exc:
        raise AutojError(f"{flag} {path}: cannot be used as output: {exc.strerror}") from None
    kind = _kind(mode)
    if kind is not None:
        raise AutojError(f"{flag} {path} is {kind}, not a regular file: name a new or existing file")
    if is_sqlite(path):
        raise AutojError(
            f"{flag} {path} is an SQLite database (a judgment cache?), not a file of records: it is "
            "never written over, not even with --overwrite; choose another output"
        )
    for source in inputs:
        try:
            same = os.path.samefile(path, source)
        except OSError:
            continue  # an input that does not exist is reported by whoever reads it
        if same:
            raise AutojError(
                f"{flag} {path} is the input file {source}: results never replace an input "
                "(not even with --overwrite); choose another output"
            )
    return path


def is_sqlite(path: Path) -> bool:
    """Whether the file starts as every SQLite database does."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def check_page_output(path: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """An output for a rendered page (HTML): also never an existing records file."""
    path = check_output(path, inputs)
    if path.exists() and path.stat().st_size and _holds_records(path):
        raise AutojError(
            f"-o {path} already holds records (results or data), not a page: refusing to replace "
            "it; name an .html file"
        )
    return path


def _holds_records(path: Path) -> bool:
    if path.name.lower().endswith(RECORD_SUFFIXES):
        return True
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
    return head[:1] in (b"{", b"[")


def lock_output(path: Path) -> int:
    """A descriptor of `path` (created if new, opened for appending) holding its exclusive lock.

    The lock is the OS's (flock): it lasts as long as the descriptor and ends with the process, even
    on kill -9, so no stale lock is ever left. When a resume replaces the file, the new file is
    locked before the old one is let go (see `relock`); a run that locked a replaced file sees it no
    longer is the path's file and tries again.
    """
    for _ in range(8):
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise RunFailure(f"cannot open {path} for writing: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise OutputBusy(
                    f"{path} is being written by another autoj run (it holds the file's lock): "
                    "wait for that run to finish or choose another -o"
                ) from None
            raise RunFailure(f"cannot lock {path}: {exc.strerror}") from None
        if _same_file(fd, path):
            return fd
        os.close(fd)  # the file was replaced between open and lock: lock the new one
    raise OutputBusy(f"{path} keeps being replaced by another process; choose another -o")


def _same_file(fd: int, path: Path) -> bool:
    try:
        now = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


@contextlib.contextmanager
def held_for_update(path: str | Path, flag: str) -> Iterator[Path]:
    """The real file behind `path` (a link is followed, never replaced), locked against every
    other update of it until the block ends: read, change and `replace_file` inside the block and
    no concurrent run's change is lost.

    The lock waits for the other holder (an update takes milliseconds). The file is created empty
    when new, so there is something to lock; a replaced file is noticed and the new one locked.
    """
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFailure(f"{flag} {path}: cannot create its folder: {exc.strerror}") from None
    for _ in range(64):
        created = not target.exists()
        try:
            fd = os.open(target, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise RunFailure(f"{flag} {path}: cannot open it: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, target):
                try:
                    yield target
                except BaseException:
                    if created and _same_file(fd, target) and os.fstat(fd).st_size == 0:
                        target.unlink()  # a failed first update leaves no empty file behind
                    raise
                return
        finally:
            os.close(fd)  # closing lets the lock go
    raise OutputBusy(f"{flag} {path} keeps being replaced by other processes; try again")


def replace_file(path: str | Path, write: Callable[[IO[bytes]], object], flag: str = "-o") -> None:
    """Write a whole file through a temporary file beside it and rename it into place, so a reader
    sees the old file or the new one, never half of one.

    The temporary file's name is unique and hidden (`.NAME.XXXX.tmp`), so it never meets a user's
    file; a link is followed (the file it names is replaced, the link stays); the file keeps its
    mode (a new one gets what `open` would give it).
    """
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise RunFailure(f"{flag} {path}: cannot write it: {exc.strerror}") from None
    try:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mask = os.umask(0)
            os.umask(mask)
            mode = 0o666 & ~mask
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise RunFailure(f"{flag} {path}: cannot write it: {exc.strerror}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def check_distinct(paths: Mapping[str, str | Path | None]) -> None:
    """Refuse two outputs of one command that are the same file (checked before any judging)."""
    seen: dict[str, str] = {}
    for flag, path in paths.items():
        if path is None:
            continue
        real = os.path.realpath(path)
        if real in seen:
            raise AutojError(
                f"{seen[real]} and {flag} name the same file {path}: each output needs its own file"
            )
        seen[real] = flag
