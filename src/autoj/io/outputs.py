"""Where a command may write: the checks every output passes before a run, and the run's lock.

An output is a regular file or a path that does not exist yet. Devices, directories, FIFOs and
sockets are refused at once (reading `/dev/zero` "to resume" never ends), and so is a path that is
one of the command's inputs, with or without --overwrite: an input is never written over.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from autoj.errors import AutojError, OutputBusy, RunFailure

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)
# Suffixes of files that hold records (results, inputs): never replaced by a rendered page.
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
