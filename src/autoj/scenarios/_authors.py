"""Reader for the Auto-J authors' criteria files, so users can bring their own copies.

Layout: `basics/*.yaml` map criterion name -> {content, weight, type}; `specials/SCENARIO.yaml`
holds `basic-xxx: !include "…/basics/basic_xxx.yaml"` entries plus an `extended` map in the
same shape. A scenario's criteria are its included bases in file order, then `extended`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from autoj.scenarios._criterion import Criterion
from autoj.scenarios._errors import CriteriaError, UnknownBaseError
from autoj.scenarios._taxonomy import UnknownScenarioError, normalize_scenario

AUTHORS_CRITERIA_DIR = "autoj/scenario_criteria"
"""Where the authors' files sit under the autoj data directory."""


@dataclass(frozen=True)
class _Include:
    target: str


class _AuthorsLoader(yaml.SafeLoader):
    """SafeLoader that keeps `!include` as a marker instead of following it blindly."""


_AuthorsLoader.add_constructor(
    "!include",
    lambda loader, node: _Include(str(loader.construct_scalar(node))),  # type: ignore[arg-type]
)


@dataclass(frozen=True)
class AuthorsScenario:
    """One scenario file: the base files it includes and its own (`extended`) criteria."""

    name: str
    bases: tuple[str, ...]
    extended: tuple[Criterion, ...]


@dataclass(frozen=True)
class AuthorsCriteria:
    """Everything in an authors' criteria directory, with inheritance kept apart."""

    bases: dict[str, tuple[Criterion, ...]]
    scenarios: dict[str, AuthorsScenario]

    def resolve(self, scenario: str) -> tuple[Criterion, ...]:
        """Bases in include order, then the scenario's own criteria."""
        entry = self.scenarios.get(normalize_scenario(scenario, map_retired=True))
        if entry is None:
            raise CriteriaError("specials", scenario, "no criteria file for this scenario")
        inherited = tuple(c for base in entry.bases for c in self.bases[base])
        return inherited + entry.extended

    def distinct(self) -> set[tuple[str, str]]:
        """Distinct criteria by (name, description) across bases and all scenarios."""
        everything = [c for cs in self.bases.values() for c in cs]
        everything += [c for s in self.scenarios.values() for c in s.extended]
        return {(c.name, c.description) for c in everything}


def load_authors_criteria(directory: Path) -> AuthorsCriteria:
    """Load `basics/` and `specials/` under `directory`; includes resolve inside `basics/`."""
    basics_dir, specials_dir = directory / "basics", directory / "specials"
    for needed in (basics_dir, specials_dir):
        if not needed.is_dir():
            raise CriteriaError(str(needed), "(directory)", "not found")
    bases = {p.stem: _read_criteria_map(p, _load(p), "") for p in sorted(basics_dir.glob("*.yaml"))}
    scenarios: dict[str, AuthorsScenario] = {}
    for path in sorted(specials_dir.glob("*.yaml")):
        scenario = _read_scenario(path, bases)
        scenarios[scenario.name] = scenario
    return AuthorsCriteria(bases, scenarios)


def _load(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_AuthorsLoader)
    except yaml.YAMLError as exc:
        raise CriteriaError(str(path), "(file)", f"not valid YAML: {exc}") from exc


def _read_scenario(path: Path, bases: dict[str, tuple[Criterion, ...]]) -> AuthorsScenario:
    where = str(path)
    try:
        name = normalize_scenario(path.stem)
    except UnknownScenarioError as exc:
        raise CriteriaError(where, "(file name)", str(exc)) from exc
    data = _load(path)
    if not isinstance(data, dict):
        raise CriteriaError(where, "(file)", "expected a mapping")
    included: list[str] = []
    extended: tuple[Criterion, ...] = ()
    for key, value in data.items():
        if key == "extended":
            extended = _read_criteria_map(path, value, "extended.")
        elif isinstance(value, _Include):
            stem = PurePosixPath(value.target).stem
            if stem not in bases:
                raise UnknownBaseError(where, str(key), f"includes unknown base {value.target!r}")
            included.append(stem)
        else:
            raise CriteriaError(where, str(key), "expected an !include or the 'extended' map")
    if not included and not extended:
        raise CriteriaError(where, "(file)", "defines no criteria")
    return AuthorsScenario(name, tuple(included), extended)


def _read_criteria_map(path: Path, data: Any, prefix: str) -> tuple[Criterion, ...]:
    where = str(path)
    if not isinstance(data, dict):
        raise CriteriaError(where, prefix.rstrip(".") or "(file)", "expected a mapping of criteria")
    found: list[Criterion] = []
    for name, fields in data.items():
        key = f"{prefix}{name}"
        if not isinstance(fields, dict) or "content" not in fields:
            raise CriteriaError(where, key, "expected a mapping with 'content', 'weight', 'type'")
        weight = fields.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise CriteriaError(where, f"{key}.weight", f"expected an integer, got {weight!r}")
        found.append(
            Criterion(
                name=str(name),
                description=str(fields["content"]).strip(),
                type=str(fields.get("type", "basic")),
                weight=weight,
                source=f"{where}:{key}",
            )
        )
    return tuple(found)
