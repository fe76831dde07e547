"""A judge as one piece of data: backend spec, protocol, decoding, options, orders, cache.

`JudgeConfig.load(ref)` takes what a user types after `-j`: a backend spec (`llamacpp`,
`openai:MODEL@URL`, `fake:3`), a YAML file (`my-judge.yaml`) or a catalog name
(`prometheus-7b-v2`). Every entry point (CLI commands, the service, the pipeline teacher, Ray
actors, the Python `Judge`) builds its judge from one, so a judge means the same thing everywhere
and can be written down, shown (`autoj judges show`) and recorded with the results it produced.

A YAML judge file:

    judge: llamacpp:/models/autoj-13b.Q4_K_M.gguf   # a backend spec or a catalog name
    protocol: autoj                                  # optional: default fits the model
    params: {max_new_tokens: 512, temperature: 0.0}  # optional: GenerationParams fields
    options: {n_ctx: 4096, n_threads: 8}             # optional: backend options
    both_orders: true                                # optional
    stop_early: true                                 # optional: stop at the verdict line
    constrain: false                                 # optional: grammar-constrained verdicts
    cache: false                                     # optional: true, false or a file path
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autoj.backends.base import Option
from autoj.backends.redaction import redact_data
from autoj.backends.registry import backend_entries, backend_options, split_spec
from autoj.errors import AutojError
from autoj.judges import catalog
from autoj.safeload import DocumentError, load_yaml, read_config_text
from autoj.types import GenerationParams

#: The judge used when none is named: the embedded CPU model.
DEFAULT_JUDGE = "llamacpp"

#: The cache default, the same for the CLI (`--cache/--no-cache`) and the Python `Judge`: on, in
#: the default file ($AUTOJ_CACHE, else ~/.cache/autoj/judgments.sqlite). Asking a judge again
#: for a prompt it already answered with the same backend, protocol and params costs a lookup.
DEFAULT_CACHE = True

LANGUAGES = ("en", "zh")

#: Keys a YAML judge file may have (the JudgeConfig fields but `source`); anything else is a
#: mistake worth a clear error.
FILE_KEYS = (
    "judge",
    "protocol",
    "params",
    "options",
    "both_orders",
    "stop_early",
    "constrain",
    "cache",
    "concurrency",
    "language",
)

YAML_SUFFIXES = (".yaml", ".yml")


class ConfigError(AutojError):
    """A judge configuration that cannot be used: says where (file, key) and what is expected."""


Value = Any
Check = Callable[[Value], Value]


def _int(minimum: int | None = None, optional: bool = False) -> Check:
    def check(value: Value) -> Value:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer{'' if minimum is None else f' >= {minimum}'}")
        if minimum is not None and value < minimum:
            raise ValueError(f"expected an integer >= {minimum}")
        return value

    return check


def _number(low: float, high: float | None = None, open_low: bool = False) -> Check:
    def check(value: Value) -> Value:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("expected a number")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("expected a finite number")
        if (number <= low if open_low else number < low) or (high is not None and number > high):
            bound = f"{'>' if open_low else '>='} {low:g}" + ("" if high is None else f" and <= {high:g}")
            raise ValueError(f"expected a number {bound}")
        return number

    return check


def _strings(regex: bool = False) -> Check:
    def check(value: Value) -> Value:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("expected a list of strings")
        if regex:
            for pattern in value:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return tuple(value)

    return check


def _text(optional: bool = False) -> Check:
    def check(value: Value) -> Value:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValueError("expected a non-empty string" + (" or null" if optional else ""))
        return value

    return check


def _flag(value: Value) -> Value:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _cache(value: Value) -> Value:
    if isinstance(value, bool) or (isinstance(value, str) and value.strip()):
        return value
    raise ValueError("expected true, false or a cache file path")


def _language(value: Value) -> Value:
    if value not in LANGUAGES:
        raise ValueError(f"expected one of {', '.join(LANGUAGES)}")
    return value


#: The plain JudgeConfig fields and how each is checked.
FIELD_CHECKS: dict[str, Check] = {
    "judge": _text(),
    "protocol": _text(optional=True),
    "both_orders": _flag,
    "stop_early": _flag,
    "constrain": _flag,
    "cache": _cache,
    "concurrency": _int(1, optional=True),
    "language": _language,
    "source": _text(),
}

#: GenerationParams fields and how each is checked.
PARAM_CHECKS: dict[str, Check] = {
    "max_new_tokens": _int(1),
    "temperature": _number(0.0),
    "top_p": _number(0.0, 1.0, open_low=True),
    "stop": _strings(),
    "seed": _int(),
    "logprobs": _int(0, optional=True),
    "stop_patterns": _strings(regex=True),
    "grammar": _text(optional=True),
}


def _option_value(value: Value) -> Value:
    scalar = (str, int, float, bool, type(None))
    if isinstance(value, scalar):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, scalar) for v in value):
        return tuple(value)
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _option_value(v) for k, v in value.items()}
    raise ValueError("expected a number, true/false, a string, or a list or mapping of those")


@dataclass(frozen=True)
class _Lines:
    """Line numbers of a YAML file's keys (top level and one level down), for error messages, and
    the first key given twice (YAML loaders keep the last one silently)."""

    top: Mapping[str, int] = field(default_factory=dict)
    nested: Mapping[tuple[str, str], int] = field(default_factory=dict)
    duplicate: tuple[str, int] | None = None

    @classmethod
    def of(cls, text: str) -> _Lines:
        try:
            node = yaml.compose(text)
        except yaml.YAMLError:
            return cls()
        if not isinstance(node, yaml.MappingNode):
            return cls()
        top: dict[str, int] = {}
        nested: dict[tuple[str, str], int] = {}
        duplicate: tuple[str, int] | None = None
        for key, value in node.value:
            name = str(key.value)
            if name in top and duplicate is None:
                duplicate = (name, key.start_mark.line + 1)
            top[name] = key.start_mark.line + 1
            if isinstance(value, yaml.MappingNode):
                for sub, _ in value.value:
                    if (name, str(sub.value)) in nested and duplicate is None:
                        duplicate = (f"{name}.{sub.value}", sub.start_mark.line + 1)
                    nested[(name, str(sub.value))] = sub.start_mark.line + 1
        return cls(top, nested, duplicate)


def _checked_options(where: str, judge: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Backend options, each a plain value and one the judge's backend takes."""
    checked = {str(k): _checked(where, f"options.{k}", v, _option_value) for k, v in options.items()}
    specs = backend_option_specs(judge) if checked and _spec_problem(judge) is None else None
    unknown = sorted(set(checked) - set(specs)) if specs is not None else []
    if unknown:
        names = ", ".join(sorted(specs or ())) or "none"
        raise ConfigError(
            f"{where}: unknown key 'options.{unknown[0]}': the {split_spec(judge)[0]!r} backend takes {names}"
        )
    if specs is not None:  # each value as the backend declares it (a number where one is needed)
        checked = {k: _checked(where, f"options.{k}", v, specs[k].check) for k, v in checked.items()}
    return checked


class JudgeConfig(BaseModel):
    """A frozen, serialisable description of a judge; `Judge(config)` builds it.

    Every field is one setting that can change a judgment (besides `source`); the same field is a
    YAML key, a `Judge(...)` keyword and, where a command takes it, a CLI flag. Values are checked
    on construction, and a mistake is a ConfigError naming the field (never a pydantic trace).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    judge: str = DEFAULT_JUDGE
    """What judges: a backend spec (`llamacpp`, `openai:MODEL@URL`, `fake:3`)."""
    protocol: str | None = None
    """The judge protocol (prompt and answer format); None: the one that fits the model."""
    params: GenerationParams = Field(default_factory=GenerationParams)
    """Decoding settings; as keywords one by one too (`max_new_tokens=64`)."""
    options: Mapping[str, Any] = Field(default_factory=dict)
    """Options of the backend's factory (`n_ctx`, `n_threads`, ...); only those it takes."""
    both_orders: bool = False
    """Judge each pair as given and swapped; a verdict that flips with the order is a tie."""
    stop_early: bool = True
    """Stop generating once the verdict or rating line is complete, where the backend can."""
    constrain: bool = False
    """Constrain decoding by a grammar so the answer ends in a valid verdict or rating line."""
    cache: bool | str = DEFAULT_CACHE
    """Reuse finished generations: true (the default file), false, or a cache file path."""
    concurrency: int | None = None
    """Judgments in flight at once; None: the backend's own bound."""
    language: str = "en"
    """Prompt (and data) language: en or zh."""
    source: str = "spec"
    """Where the config came from ("spec", "flags", "file:PATH", "catalog:NAME"); not part of
    what a judge is."""

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        """Each value checked with a message naming its field, before pydantic sees it."""
        if not isinstance(data, Mapping):
            raise ConfigError("judge config: expected a mapping of fields")
        data = dict(data)
        where = f"judge config ({data.get('source', 'spec')})"
        unknown = [str(k) for k in data if k not in cls.model_fields]
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(FILE_KEYS)})")
        for key, check in FIELD_CHECKS.items():
            if key in data:
                data[key] = _checked(where, key, data[key], check)
        params = data.get("params")
        if params is not None:
            if not isinstance(params, GenerationParams):
                raise ConfigError(f"{where}: 'params': expected GenerationParams")
            for name, check in PARAM_CHECKS.items():
                _checked(where, f"params.{name}", getattr(params, name), check)
        if "options" in data:
            data["options"] = _checked_options(where, data.get("judge", DEFAULT_JUDGE), data["options"])
        return data

    @field_validator("options", mode="after")
    @classmethod
    def _read_only(cls, options: Mapping[str, Any]) -> Mapping[str, Any]:
        return MappingProxyType(dict(options))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a JudgeConfig is frozen: make a changed one with with_changes({name}=...)")

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def load(cls, ref: str | JudgeConfig) -> JudgeConfig:
        """What `-j REF` names: a YAML file (.yaml/.yml), a catalog name, or a backend spec."""
        if isinstance(ref, JudgeConfig):
            return ref
        if not isinstance(ref, str) or not ref.strip():
            raise ConfigError("name a judge: a backend spec, a judge YAML file or a catalog name")
        ref = ref.strip()
        if ref.lower().endswith(YAML_SUFFIXES):
            return cls.from_file(ref)
        entry = catalog.get_entry(ref)
        if entry is not None:
            return cls.from_dict(entry.config_fields(), source=f"catalog:{entry.name}")
        problem = _spec_problem(ref)
        if problem is not None:
            raise ConfigError(problem)
        return cls(judge=ref, source="spec")

    @classmethod
    def from_file(cls, path: str | Path) -> JudgeConfig:
        """A YAML judge file; mistakes are one line naming the file, the line and the key."""
        path = Path(path)
        try:
            text = read_config_text(path, "judge file")
            data = load_yaml(text, str(path))
        except DocumentError as exc:
            raise ConfigError(str(exc)) from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping with at least `judge: SPEC`")
        lines = _Lines.of(text)
        if lines.duplicate is not None:
            key, line = lines.duplicate
            raise ConfigError(f"{path} line {line}: {key!r} is given twice: keep one")
        source = f"file:{path}"
        unknown = [str(k) for k in data if k not in (*FILE_KEYS, "source")]
        if unknown:
            key = unknown[0]
            raise ConfigError(
                f"{path}{_line(lines.top.get(key))}: unknown key {key!r} (known: {', '.join(FILE_KEYS)})"
            )
        data.pop("source", None)  # what `autoj judges show` printed; the file is the source now
        if "judge" not in data:
            raise ConfigError(f"{path}: 'judge' is missing: add `judge: SPEC` (e.g. judge: llamacpp)")
        cache = data.get("cache")
        if isinstance(cache, str) and cache.strip() and not Path(cache).expanduser().is_absolute():
            data["cache"] = str(path.parent / cache)  # relative to the file, not to the caller
        return cls._from_mapping(data, source, str(path), lines)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None) -> JudgeConfig:
        """The inverse of `to_dict` (also the fields of a catalog entry); keys are checked."""
        where = source or str(data.get("source") or "judge config")
        unknown = [str(k) for k in data if k not in (*FILE_KEYS, "source")]
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(FILE_KEYS)})")
        if "judge" not in data:
            raise ConfigError(f"{where}: 'judge' is missing")
        fields_ = {k: v for k, v in data.items() if k != "source"}
        return cls._from_mapping(fields_, source or str(data.get("source") or "spec"), where, _Lines())

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any], source: str, where: str, lines: _Lines) -> JudgeConfig:
        def at(key: str, sub: str | None = None) -> str:
            line = lines.top.get(key) if sub is None else lines.nested.get((key, sub))
            return where + _line(line)

        spec = _checked(at("judge"), "judge", data["judge"], _text())
        base = cls(judge=spec, source=source)
        entry = catalog.get_entry(spec) if ":" not in spec else None
        problem = _spec_problem(spec) if entry is None else None
        if problem is not None:
            raise ConfigError(f"{at('judge')}: 'judge': {problem}")
        if entry is not None:  # `judge: CATALOG-NAME` in a file: the entry, then the file's changes
            base = cls.from_dict(entry.config_fields(), source=f"catalog:{entry.name}")._replaced(
                source=source
            )
        changes: dict[str, Any] = {}
        for key, check in FIELD_CHECKS.items():
            if key in data and key != "judge":
                changes[key] = _checked(at(key), key, data[key], check)
        if "params" in data:
            changes["params"] = _params(base.params, data["params"], at)
        if "options" in data:
            changes["options"] = {**base.options, **_options(base.judge, data["options"], at)}
        return base._replaced(**changes)

    def _replaced(self, **changes: Any) -> JudgeConfig:
        """This config with the fields given replaced (None included), checked again."""
        return type(self).model_validate({**dict(self), **changes})

    def with_changes(self, **changes: Any) -> JudgeConfig:
        """This config with the settings given replaced; None leaves a setting as it is.

        A keyword names a field (`both_orders=True`), a decoding setting (`max_new_tokens=64`,
        changing `params`) or a backend option (`n_ctx=4096`, added to `options`); `options` given
        are added to the config's (a key given replaces that key).
        """
        given = {k: v for k, v in changes.items() if v is not None}
        fields_ = {k: given.pop(k) for k in list(given) if k in type(self).model_fields}
        decoding = {k: given.pop(k) for k in list(given) if k in PARAM_CHECKS}
        options = {**fields_.pop("options", {}), **given}
        where = f"judge config ({fields_.get('source', self.source)})"
        if decoding:
            fields_["params"] = _params(fields_.get("params", self.params), decoding, lambda *_: where)
        if given:
            allowed = backend_option_names(fields_.get("judge", self.judge))
            stray = sorted(set(given) - allowed) if allowed is not None else []
            if stray:
                raise ConfigError(
                    f"{where}: unknown setting {stray[0]!r}: not a JudgeConfig field "
                    f"({', '.join(FILE_KEYS)}), a decoding setting ({', '.join(PARAM_CHECKS)}) or a "
                    f"{split_spec(fields_.get('judge', self.judge))[0]!r} backend option "
                    f"({', '.join(sorted(allowed or ())) or 'none'})"
                )
        if options:
            fields_["options"] = {**self.options, **options}
        return self._replaced(**fields_)

    # -- serialising ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON- and YAML-ready; `from_dict(to_dict())` gives an equal config back."""
        return {
            "judge": self.judge,
            "protocol": self.protocol,
            "params": self.params.to_dict(),
            "options": _plain(dict(self.options)),
            "both_orders": self.both_orders,
            "stop_early": self.stop_early,
            "constrain": self.constrain,
            "cache": self.cache,
            "concurrency": self.concurrency,
            "language": self.language,
            "source": self.source,
        }

    def to_record(self) -> dict[str, Any]:
        """`to_dict` as recorded in reports and boards: credentials hidden (see autoj.backends.redaction)."""
        record: dict[str, Any] = redact_data(self.to_dict())
        return record

    def to_yaml(self) -> str:
        """What `autoj judges show` prints; saved to a file, it loads back as the same judge."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def _spec_problem(spec: str) -> str | None:
    """Why `spec` names no backend (None when it does); its backend's module is not imported."""
    name, _ = split_spec(spec)
    known = [e.name for e in backend_entries()]
    if name in known:
        return None
    if ":" in spec:
        return f"unknown judge backend {name!r} in {spec!r}: known backends are {', '.join(known)}"
    return (
        f"unknown judge {spec!r}: not a judge file (.yaml), a catalog name (`autoj judges` lists "
        f"them) or a backend spec ({', '.join(known)})"
    )


def _line(line: int | None) -> str:
    return f" line {line}" if line is not None else ""


def _checked(where: str, key: str, value: Value, check: Check) -> Value:
    try:
        return check(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {key!r}: {exc} (got {value!r})") from None


def _params(base: GenerationParams, value: Value, at: Callable[..., str]) -> GenerationParams:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{at('params')}: 'params': expected a mapping of generation settings")
    changes: dict[str, Any] = {}
    for key, raw in value.items():
        check = PARAM_CHECKS.get(str(key))
        if check is None:
            raise ConfigError(
                f"{at('params', key)}: unknown key 'params.{key}' (known: {', '.join(PARAM_CHECKS)})"
            )
        changes[str(key)] = _checked(at("params", key), f"params.{key}", raw, check)
    return replace(base, **changes)


def _options(spec: str, value: Value, at: Callable[..., str]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{at('options')}: 'options': expected a mapping of backend options")
    specs = backend_option_specs(spec)
    options: dict[str, Any] = {}
    for key, raw in value.items():
        if specs is not None and key not in specs:
            names = ", ".join(sorted(specs)) or "none"
            raise ConfigError(
                f"{at('options', key)}: unknown key 'options.{key}': "
                f"the {split_spec(spec)[0]!r} backend takes {names}"
            )
        options[str(key)] = _checked(at("options", key), f"options.{key}", raw, _option_value)
        if specs is not None:
            options[str(key)] = _checked(at("options", key), f"options.{key}", raw, specs[str(key)].check)
    return options


def backend_option_specs(spec: str) -> Mapping[str, Option] | None:
    """The options the spec's backend takes and what each accepts, or None when its extra is not
    installed (they cannot be checked then, and building the judge will say which extra to install)."""
    name, _ = split_spec(spec)
    entry = next((e for e in backend_entries() if e.name == name), None)
    if entry is None:
        raise ConfigError(f"unknown judge backend {name!r} in {spec!r}")
    return backend_options(spec) if entry.installed() else None


def backend_option_names(spec: str) -> frozenset[str] | None:
    """The option names the spec's backend takes, or None when they cannot be checked."""
    specs = backend_option_specs(spec)
    return None if specs is None else frozenset(specs)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
