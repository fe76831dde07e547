"""Judge weights fetched from the Hugging Face hub on first use, pinned and checked.

`fetch(repo, filename, revision, sha256)` returns the file's path in the user's Hugging Face cache
(`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub), downloading it when it is
not there yet: with a progress bar, resuming with HTTP Range requests when the connection drops
mid-file (a killed process starts the file again: huggingface_hub keeps partial files per
process), and checking the file's sha256 before it is used (a mismatch removes the file from the
cache). `$HF_ENDPOINT` points at a mirror. With a commit hash as the revision a cached file is
used without any network call, so a pinned judge works offline once fetched.

A llamacpp spec names such a file as `llamacpp:hf://OWNER/REPO/PATH/FILE.gguf[@REVISION][#sha256=HEX]`.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from autoj.errors import AutojError

HUB_SCHEME = "hf://"
DEFAULT_REVISION = "main"
PROBE_TIMEOUT_S = 10.0

_REF = re.compile(
    r"^hf://(?P<repo>[A-Za-z0-9][\w.\-]*/[\w.\-]+)/(?P<file>[^@#]+?)"
    r"(?:@(?P<revision>[^@#]+))?(?:#sha256=(?P<sha256>[0-9a-fA-F]{64}))?$"
)
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


class HubError(AutojError):
    """A file that cannot be fetched from the hub, or that is not the file it should be: the run
    was set up right but cannot get its weights (exit status 1)."""

    exit_code = 1


class HubReferenceError(HubError):
    """An `hf://` reference that is not written right: a usage mistake (exit status 2)."""

    exit_code = 2


@dataclass(frozen=True)
class HubFile:
    """One file of a hub repository at a revision, with the sha256 it must have (when known)."""

    repo: str
    filename: str
    revision: str = DEFAULT_REVISION
    sha256: str | None = None

    def __str__(self) -> str:
        return f"{self.repo}/{self.filename}@{self.revision}"


def is_hub_ref(text: str) -> bool:
    return text.startswith(HUB_SCHEME)


def parse_ref(ref: str) -> HubFile:
    """`hf://OWNER/REPO/FILE[@REV][#sha256=HEX]` -> HubFile; anything else is a one-line error."""
    match = _REF.match(ref.strip())
    if match is None:
        raise HubReferenceError(
            f"hub file {ref!r}: write hf://OWNER/REPO/FILE[@REVISION][#sha256=HEX], "
            "e.g. hf://prometheus-eval/prometheus-7b-v2.0-GGUF/prometheus-7b-v2.0.Q4_K_M.gguf"
        )
    sha = match["sha256"]
    return HubFile(
        match["repo"], match["file"], match["revision"] or DEFAULT_REVISION, sha.lower() if sha else None
    )


def resolve(ref: str) -> Path:
    """The local path of the file an `hf://` reference names, fetched when needed."""
    file = parse_ref(ref)
    return fetch(file.repo, file.filename, file.revision, file.sha256)


def cache_dir() -> Path:
    """The Hugging Face cache, read from the environment now (not when the library was imported)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache") / "huggingface"
    )
    return Path(home).expanduser() / "hub"


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def fetch(repo: str, filename: str, revision: str | None = None, sha256: str | None = None) -> Path:
    """The cached file, downloaded first when absent; its sha256 is checked when one is given.

    A fresh download is hashed in full; a wrong one is removed from the cache and reported. A
    cached copy is checked by its blob name (the hub names a large file's blob by its sha256) or,
    failing that, hashed; a cached copy that does not match is replaced by a fresh download.
    """
    file = HubFile(repo, filename, revision or DEFAULT_REVISION, sha256.lower() if sha256 else None)
    cached = _cached(file)
    if cached is not None:
        if file.sha256 is None or _matches(file, cached):
            return cached
        _evict(cached)
    path = _download(file)
    actual = file_sha256(path) if file.sha256 is not None else None
    if actual != file.sha256:
        _evict(path)
        raise HubError(
            f"{file}: sha256 {actual} does not match the expected {file.sha256}; the file was removed "
            "from the cache (a corrupt transfer or a wrong checksum in the judge's entry)"
        )
    return path


def _cached(file: HubFile) -> Path | None:
    """The file from the cache without a network call: for a pinned commit, or when a checksum
    says which file it must be (a branch may have moved on, but the checksum decides)."""
    if file.sha256 is None and not _COMMIT.match(file.revision):
        return None  # an unpinned branch: ask the hub whether it moved (one HEAD request)
    return _from_cache(file)


def _from_cache(file: HubFile) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        file.repo, file.filename, cache_dir=str(cache_dir()), revision=file.revision
    )
    return Path(found) if isinstance(found, str) else None


def _download(file: HubFile) -> Path:
    """Fetch the file into the cache; every failure is one HubError line saying what to do."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{file} from {endpoint()}"
    unreachable = HubError(
        f"cannot fetch {where}: the hub cannot be reached and the file is not in {cache_dir()}; "
        "connect once (or set HF_ENDPOINT to a mirror), or download the file and name its path"
    )
    url = hf_hub_url(file.repo, file.filename, revision=file.revision, endpoint=endpoint())
    try:
        try:
            # One quick HEAD first: offline, the download itself would retry for ~20 s before failing.
            get_hf_file_metadata(url, timeout=PROBE_TIMEOUT_S)
        except _unreachable_errors():
            fallback = _from_cache(file)  # an unpinned branch fetched before serves offline
            if fallback is None:
                raise unreachable from None
            return fallback
        return Path(
            hf_hub_download(
                file.repo,
                file.filename,
                revision=file.revision,
                cache_dir=str(cache_dir()),
                endpoint=endpoint(),
            )
        )
    except LocalEntryNotFoundError:
        raise unreachable from None
    except GatedRepoError:
        raise HubError(
            f"cannot fetch {where}: the repository is gated; accept its terms on the hub and set HF_TOKEN"
        ) from None
    except RepositoryNotFoundError:
        raise HubError(f"cannot fetch {where}: no such repository (or it is private: set HF_TOKEN)") from None
    except RevisionNotFoundError:
        raise HubError(f"cannot fetch {where}: the repository has no revision {file.revision!r}") from None
    except EntryNotFoundError:
        raise HubError(f"cannot fetch {where}: the repository has no file {file.filename!r}") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise HubError(f"cannot fetch {where}: the hub answered HTTP {status}") from None
    except OSError as exc:  # disk full, an incomplete transfer after the library's retries, ...
        raise HubError(f"cannot fetch {where}: {' '.join(str(exc).split())}") from None
    except _transport_errors() as exc:  # the connection dropped for good, after the retries
        raise HubError(f"cannot fetch {where}: {type(exc).__name__}: {exc}") from None


def _matches(file: HubFile, path: Path) -> bool:
    """Whether a cached copy is the file wanted: by its blob's name when the hub named the blob
    by its sha256 (then it was checked when downloaded), else by hashing it."""
    blob = path.resolve()
    return blob.name == file.sha256 or file_sha256(blob) == file.sha256


def _evict(pointer: Path) -> None:
    """Remove a wrong file from the cache: its blob and the snapshot link to it."""
    for target in {pointer.resolve(), pointer}:
        target.unlink(missing_ok=True)


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP client's transport errors (huggingface_hub 2 uses httpx2, 1.x httpx)."""
    errors: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        errors.append(module.TransportError)
    return tuple(errors)


def _unreachable_errors() -> tuple[type[BaseException], ...]:
    """What a request raises when the hub cannot be reached (or HF_HUB_OFFLINE says not to try)."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    return (*_transport_errors(), OfflineModeIsEnabled)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
