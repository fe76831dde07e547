"""The judges autoj knows by name: Auto-J, Prometheus 2, Skywork-Critic, CompassJudger-2, ...

The entries are data (`catalog.yaml` in the package): for each judge its protocol, default backend
spec, Hugging Face repository, license, context window, known quantised copies and published
meta-evaluation figures with their source. `JudgeConfig.load("prometheus-7b-v2")` turns an entry
into a judge through `CatalogEntry.config_fields()`.

`$AUTOJ_CATALOG` may name a YAML file of more entries in the same form (a user's own judges, or a
local mirror); an entry there replaces a built-in one of the same name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from autoj.backends.registry import backend_entries
from autoj.errors import AutojError
from autoj.safeload import DocumentError, load_yaml, read_config_text

CATALOG_ENV = "AUTOJ_CATALOG"

#: Keys an entry may have; the first group is required.
REQUIRED_KEYS = ("name", "protocol", "backend", "model", "context")
OPTIONAL_KEYS = (
    "title",
    "license",
    "revision",
    "language",
    "params",
    "options",
    "variants",
    "figures",
    "notes",
)
VARIANT_KEYS = ("kind", "repo", "file", "revision", "sha256")
FIGURE_KEYS = ("benchmark", "metric", "value", "source")
VARIANT_KINDS = ("gguf", "gptq", "awq")

_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_REPO = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CatalogError(AutojError):
    """A catalog file with a mistake: names the file, the entry and the key."""


@dataclass(frozen=True)
class Variant:
    """A quantised or converted copy of a judge's weights (a GGUF file, a GPTQ or AWQ repository)."""

    kind: str
    repo: str
    file: str | None = None
    revision: str | None = None
    sha256: str | None = None

    @property
    def spec(self) -> str | None:
        """The backend spec that runs this copy: a GGUF file on llama.cpp, GPTQ/AWQ on vLLM."""
        if self.kind != "gguf":
            return f"vllm:{self.repo}" + (f"@{self.revision}" if self.revision else "")
        if not self.file:
            return None  # the repository is known, not which file of it
        return "llamacpp:" + hub_ref(self.repo, self.file, self.revision, self.sha256)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in {**self.__dict__, "spec": self.spec}.items() if v is not None}


@dataclass(frozen=True)
class Figure:
    """A published meta-evaluation result and where it was published."""

    benchmark: str
    metric: str
    value: float
    source: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CatalogEntry:
    """One known judge. `backend` is the default backend spec; `model` the repository it loads."""

    name: str
    protocol: str
    backend: str
    model: str
    context: int
    title: str = ""
    license: str | None = None
    revision: str | None = None
    language: str = "en"
    params: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    variants: tuple[Variant, ...] = ()
    figures: tuple[Figure, ...] = ()
    notes: str = ""
    origin: str = "built-in"

    @property
    def hf_repo(self) -> str | None:
        """The Hugging Face repository of the weights (None for a hosted API model)."""
        return self.model if _REPO.match(self.model) and not self.backend.startswith("openai:") else None

    def config_fields(self) -> dict[str, Any]:
        """The JudgeConfig fields this entry stands for (what `JudgeConfig.from_dict` takes)."""
        fields_: dict[str, Any] = {"judge": self.backend, "protocol": self.protocol}
        if self.params:
            fields_["params"] = dict(self.params)
        if self.options:
            fields_["options"] = dict(self.options)
        if self.language != "en":
            fields_["language"] = self.language
        return fields_

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what `autoj judges --json` prints for the entry."""
        return {
            "name": self.name,
            "title": self.title,
            "protocol": self.protocol,
            "backend": self.backend,
            "model": self.model,
            "hf_repo": self.hf_repo,
            "revision": self.revision,
            "license": self.license,
            "context": self.context,
            "language": self.language,
            "params": dict(self.params),
            "options": dict(self.options),
            "variants": [v.to_dict() for v in self.variants],
            "figures": [f.to_dict() for f in self.figures],
            "notes": self.notes,
            "origin": self.origin,
        }


def hub_ref(repo: str, filename: str, revision: str | None = None, sha256: str | None = None) -> str:
    """`hf://REPO/FILE[@REV][#sha256=HEX]`: a file on the hub, as a llamacpp spec names it."""
    ref = f"hf://{repo}/{filename}"
    if revision:
        ref += f"@{revision}"
    if sha256:
        ref += f"#sha256={sha256}"
    return ref


def entries() -> list[CatalogEntry]:
    """Every known judge: the built-in catalog, then `$AUTOJ_CATALOG`'s entries over it."""
    merged = {entry.name: entry for entry in _builtin()}
    user = os.environ.get(CATALOG_ENV)
    if user:
        for entry in _user_file(user, *_stamp(user)):
            merged[entry.name] = entry
    return list(merged.values())


def get_entry(name: str) -> CatalogEntry | None:
    """The entry called `name` (case-insensitive), or None when there is none."""
    wanted = name.strip().lower()
    return next((entry for entry in entries() if entry.name == wanted), None)


def names() -> list[str]:
    """Every known judge's name, in catalog order."""
    return [entry.name for entry in entries()]


@cache
def _builtin() -> tuple[CatalogEntry, ...]:
    text = resources.files("autoj.judges").joinpath("catalog.yaml").read_text(encoding="utf-8")
    return tuple(parse_entries(yaml.safe_load(text), "catalog.yaml (built-in)", "built-in"))


def _stamp(path: str) -> tuple[int, int]:
    try:
        stat = Path(path).stat()
    except OSError:
        raise CatalogError(f"{CATALOG_ENV}={path!r}: no such catalog file") from None
    return stat.st_size, stat.st_mtime_ns


@cache
def _user_file(path: str, size: int, mtime_ns: int) -> tuple[CatalogEntry, ...]:
    """A user's catalog file, read again only when it changes (size and mtime in the key)."""
    try:
        data = load_yaml(read_config_text(path, f"catalog file (${CATALOG_ENV})"), path)
    except DocumentError as exc:
        raise CatalogError(str(exc)) from None
    return tuple(parse_entries(data, path, f"file:{path}"))


def parse_entries(data: Any, source: str, origin: str) -> list[CatalogEntry]:
    """A catalog document (a list of mappings) -> entries; a mistake names the entry and key."""
    if not isinstance(data, list):
        raise CatalogError(f"{source}: expected a list of judge entries")
    parsed: list[CatalogEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(data, start=1):
        entry = parse_entry(raw, f"{source} entry {index}", origin)
        if entry.name in seen:
            raise CatalogError(f"{source} entry {index}: the name {entry.name!r} is used twice")
        seen.add(entry.name)
        parsed.append(entry)
    return parsed


def parse_entry(raw: Any, where: str, origin: str = "built-in") -> CatalogEntry:
    """One entry mapping -> CatalogEntry, every key checked."""
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: expected a mapping with {', '.join(REQUIRED_KEYS)}")
    if isinstance(raw.get("name"), str):
        where = f"{where} ({raw['name']})"
    _known_keys(raw, (*REQUIRED_KEYS, *OPTIONAL_KEYS), where)
    for key in REQUIRED_KEYS:
        if key not in raw:
            raise CatalogError(f"{where}: {key!r} is missing")
    name = _text(raw, "name", where)
    if not _NAME.match(name):
        raise CatalogError(f"{where}: 'name': use lower-case letters, digits, '.' and '-' (got {name!r})")
    if name in {entry.name for entry in backend_entries()}:  # `-j fake` must keep meaning the backend
        raise CatalogError(f"{where}: 'name': {name!r} is a backend's name; give the entry another name")
    context = raw["context"]
    if isinstance(context, bool) or not isinstance(context, int) or context < 1:
        raise CatalogError(f"{where}: 'context': expected a positive number of tokens (got {context!r})")
    language = raw.get("language", "en")
    if language not in ("en", "zh"):
        raise CatalogError(f"{where}: 'language': expected en or zh (got {language!r})")
    return CatalogEntry(
        name=name,
        protocol=_text(raw, "protocol", where),
        backend=_text(raw, "backend", where),
        model=_text(raw, "model", where),
        context=context,
        title=_text(raw, "title", where, optional=True) or "",
        license=_text(raw, "license", where, optional=True),
        revision=_text(raw, "revision", where, optional=True),
        language=language,
        params=_mapping(raw, "params", where),
        options=_mapping(raw, "options", where),
        variants=tuple(
            _variant(v, f"{where} variant {i}") for i, v in enumerate(_list(raw, "variants", where), 1)
        ),
        figures=tuple(
            _figure(f, f"{where} figure {i}") for i, f in enumerate(_list(raw, "figures", where), 1)
        ),
        notes=" ".join((_text(raw, "notes", where, optional=True) or "").split()),
        origin=origin,
    )


def _variant(raw: Any, where: str) -> Variant:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: expected a mapping with kind and repo")
    _known_keys(raw, VARIANT_KEYS, where)
    kind = _text(raw, "kind", where)
    if kind not in VARIANT_KINDS:
        raise CatalogError(f"{where}: 'kind': expected one of {', '.join(VARIANT_KINDS)} (got {kind!r})")
    repo = _text(raw, "repo", where)
    if not _REPO.match(repo):
        raise CatalogError(f"{where}: 'repo': expected OWNER/NAME (got {repo!r})")
    sha256 = _text(raw, "sha256", where, optional=True)
    if sha256 is not None and not _SHA256.match(sha256):
        raise CatalogError(f"{where}: 'sha256': expected 64 lower-case hex digits")
    return Variant(
        kind,
        repo,
        _text(raw, "file", where, optional=True),
        _text(raw, "revision", where, optional=True),
        sha256,
    )


def _figure(raw: Any, where: str) -> Figure:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}: expected a mapping with {', '.join(FIGURE_KEYS)}")
    _known_keys(raw, FIGURE_KEYS, where)
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"{where}: 'value': expected a number (got {value!r})")
    return Figure(
        _text(raw, "benchmark", where), _text(raw, "metric", where), float(value), _text(raw, "source", where)
    )


def _known_keys(raw: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    unknown = [str(k) for k in raw if k not in known]
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(known)})")


def _text(raw: Mapping[str, Any], key: str, where: str, optional: bool = False) -> Any:
    value = raw.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: {key!r}: expected a non-empty string (got {value!r})")
    return value.strip()


def _mapping(raw: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        raise CatalogError(f"{where}: {key!r}: expected a mapping")
    return {str(k): v for k, v in value.items()}


def _list(raw: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise CatalogError(f"{where}: {key!r}: expected a list")
    return value
