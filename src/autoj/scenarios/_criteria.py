"""Our criteria: YAML data files of base sets and scenarios, resolved by inheritance.

Each file holds `sets:` (named bases) and/or `scenarios:` (one entry per scenario name); an
entry has `inherits` (names of sets) and `criteria` (name, type, weight, description). A
scenario's criteria are its bases' criteria, depth first in `inherits` order, then its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from autoj.scenarios._criterion import CRITERION_TYPES, Criterion
from autoj.scenarios._errors import (
    CriteriaCycleError,
    CriteriaError,
    DuplicateCriterionError,
    UnknownBaseError,
)
from autoj.scenarios._taxonomy import SCENARIOS, UnknownScenarioError, normalize_scenario

PACKAGE_CRITERIA_DIR = Path(__file__).with_name("criteria")
_SECTIONS = ("sets", "scenarios")
_CRITERION_FIELDS = ("name", "type", "weight", "description")


@dataclass(frozen=True)
class CriteriaNode:
    """One set or scenario as written in a file, before inheritance is resolved."""

    name: str
    kind: str  # "sets" or "scenarios"
    inherits: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    path: str


class CriteriaTree:
    """All sets and scenarios of a criteria directory; `resolve` flattens one of them."""

    def __init__(self, nodes: Mapping[str, CriteriaNode]) -> None:
        self.nodes = dict(nodes)
        for node in self.nodes.values():
            for base in node.inherits:
                target = self.nodes.get(base)
                if target is None or target.kind != "sets":
                    raise UnknownBaseError(
                        node.path,
                        f"{node.kind}.{node.name}.inherits",
                        f"unknown base set {base!r}; known sets: {', '.join(self.sets)}",
                    )
        for name in self.nodes:  # surface cycles and clashes when loading, not on first use
            self._collect(name, (), {})

    @property
    def sets(self) -> list[str]:
        return [name for name, node in self.nodes.items() if node.kind == "sets"]

    @property
    def scenarios(self) -> list[str]:
        return [name for name, node in self.nodes.items() if node.kind == "scenarios"]

    def resolve(self, name: str) -> tuple[Criterion, ...]:
        """The flat criteria list of a scenario (aliases accepted) or a set."""
        key = name if name in self.nodes else normalize_scenario(name, map_retired=True)
        if key not in self.nodes:
            raise UnknownScenarioError(name)
        found: dict[str, Criterion] = {}
        self._collect(key, (), found)
        return tuple(found.values())

    def _collect(self, name: str, path: tuple[str, ...], found: dict[str, Criterion]) -> None:
        node = self.nodes[name]
        if name in path:
            loop = " -> ".join((*path[path.index(name) :], name))
            raise CriteriaCycleError(node.path, f"{node.kind}.{name}", f"inheritance cycle {loop}")
        for base in node.inherits:
            self._collect(base, (*path, name), found)
        for criterion in node.criteria:
            seen = found.get(criterion.name)
            if seen is not None and seen != criterion:
                raise DuplicateCriterionError(
                    node.path,
                    f"{node.kind}.{name}.criteria",
                    f"criterion {criterion.name!r} is also defined at {seen.source}",
                )
            found[criterion.name] = criterion


def load_criteria_tree(paths: Iterable[Path]) -> CriteriaTree:
    """Read criteria files into one tree; a set or scenario may be defined only once."""
    nodes: dict[str, CriteriaNode] = {}
    for path in sorted(paths):
        for node in _parse_file(path):
            if node.name in nodes:
                raise CriteriaError(
                    node.path,
                    f"{node.kind}.{node.name}",
                    f"defined again (first in {nodes[node.name].path})",
                )
            nodes[node.name] = node
    return CriteriaTree(nodes)


@cache
def default_criteria() -> CriteriaTree:
    """The criteria shipped with autoj, checked to cover all 58 scenarios."""
    tree = load_criteria_tree(PACKAGE_CRITERIA_DIR.glob("*.yaml"))
    missing = sorted(set(SCENARIOS) - set(tree.scenarios))
    if missing:
        raise CriteriaError(str(PACKAGE_CRITERIA_DIR), "scenarios", f"missing: {missing}")
    return tree


def criteria_for(scenario: str) -> tuple[Criterion, ...]:
    """The resolved default criteria for a scenario (aliases and retired labels accepted)."""
    return default_criteria().resolve(scenario)


def _parse_file(path: Path) -> list[CriteriaNode]:
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CriteriaError(where, "(file)", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CriteriaError(where, "(file)", "expected a mapping with 'sets' and/or 'scenarios'")
    unknown = set(data) - set(_SECTIONS)
    if unknown:
        raise CriteriaError(where, sorted(unknown)[0], f"unknown section; use {_SECTIONS}")
    nodes: list[CriteriaNode] = []
    for kind in _SECTIONS:
        section = data.get(kind) or {}
        if not isinstance(section, dict):
            raise CriteriaError(where, kind, "expected a mapping of names to entries")
        for name, entry in section.items():
            nodes.append(_parse_node(where, kind, str(name), entry))
    return nodes


def _parse_node(where: str, kind: str, name: str, entry: Any) -> CriteriaNode:
    key = f"{kind}.{name}"
    if kind == "scenarios" and name not in SCENARIOS:
        raise CriteriaError(where, key, f"not one of the 58 scenario names ({name!r})")
    if kind == "sets" and name in SCENARIOS:
        raise CriteriaError(where, key, "a base set may not take a scenario's name")
    if not isinstance(entry, dict):
        raise CriteriaError(where, key, "expected a mapping with 'inherits' and 'criteria'")
    inherits = entry.get("inherits") or []
    if not isinstance(inherits, list) or not all(isinstance(b, str) for b in inherits):
        raise CriteriaError(where, f"{key}.inherits", "expected a list of set names")
    raw = entry.get("criteria") or []
    if not isinstance(raw, list):
        raise CriteriaError(where, f"{key}.criteria", "expected a list of criteria")
    criteria = [_parse_criterion(where, f"{key}.criteria[{i}]", item) for i, item in enumerate(raw)]
    _reject_duplicates(where, f"{key}.criteria", criteria)
    if not criteria and not inherits:
        raise CriteriaError(where, key, "has neither criteria nor bases")
    return CriteriaNode(name, kind, tuple(inherits), tuple(criteria), where)


def _parse_criterion(where: str, key: str, item: Any) -> Criterion:
    if not isinstance(item, dict):
        raise CriteriaError(where, key, "expected a mapping with name, type, weight, description")
    missing = [f for f in _CRITERION_FIELDS if f not in item]
    if missing:
        raise CriteriaError(where, key, f"missing field(s) {missing}")
    extra = sorted(str(f) for f in item if f not in _CRITERION_FIELDS)
    if extra:  # e.g. an unquoted description with ", x:" split into a stray key
        raise CriteriaError(where, key, f"unknown field(s) {extra}; quote text that has commas")
    if item["type"] not in CRITERION_TYPES:
        raise CriteriaError(where, f"{key}.type", f"{item['type']!r} is not one of {CRITERION_TYPES}")
    weight = item["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 5:
        raise CriteriaError(where, f"{key}.weight", f"expected an integer 1-5, got {weight!r}")
    name, description = str(item["name"]).strip(), str(item["description"]).strip()
    if not name or not description:
        raise CriteriaError(where, key, "name and description must not be empty")
    return Criterion(name, description, item["type"], weight, f"{where}:{key}")


def _reject_duplicates(where: str, key: str, criteria: Sequence[Criterion]) -> None:
    names = [c.name for c in criteria]
    for name in names:
        if names.count(name) > 1:
            raise DuplicateCriterionError(where, key, f"criterion {name!r} is listed twice")
