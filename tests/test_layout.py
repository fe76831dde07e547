"""The package's layout rules (docs/layout.md), checked on the source with `ast`.

Imports go one way (apps -> analysis -> run -> parts -> base), no import cycle outside the CLI's
command registration, at most five modules at the package root besides `__init__`/`__main__`,
and no import of our own modules inside a function except those listed here with the reason.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "autoj"

#: Layers from the top; a module may import its own layer's modules and those of lower layers.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("apps", frozenset({"autoj", "__main__", "cli", "serve", "pipeline", "train", "distributed"})),
    ("analysis", frozenset({"bench", "evaluate", "report", "trust"})),
    ("run", frozenset({"run"})),
    ("parts", frozenset({"protocols", "backends", "io", "judges", "data", "scenarios", "stats"})),
    ("base", frozenset({"types", "errors", "version", "safeload"})),
)

#: In-function imports of our own modules that stay, (module, imported) -> why.
IN_FUNCTION_ALLOWED: dict[tuple[str, str], str] = {
    ("autoj.cli.*", "autoj.*"): "the CLI's lazy command loading: `autoj --help` imports no judge code",
}


@dataclass(frozen=True)
class Import:
    """One import of our own modules: where it is, and whether it runs inside a function."""

    module: str
    target: str
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The module `name` is or lies in (`autoj.io.items.FieldMap` -> `autoj.io.items`)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> set[str]:
    if isinstance(node, ast.Import):
        found = {_resolve(a.name) for a in node.names if a.name.split(".")[0] == "autoj"}
    else:
        base = node.module or ""
        if node.level:
            package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([base] if base else [])])
        if base.split(".")[0] != "autoj":
            return set()
        found = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES} or {_resolve(base)}
    return {t for t in found if t is not None and t != module}


def imports() -> Iterator[Import]:
    """Every import of our own modules that runs (TYPE_CHECKING blocks left out)."""
    for module, path in MODULES.items():

        def walk(node: ast.AST, in_function: bool) -> Iterator[Import]:
            for child in ast.iter_child_nodes(node):
                if _type_checking(child):
                    continue
                if isinstance(child, ast.Import | ast.ImportFrom):
                    for target in _targets(child, module):  # noqa: B023 (walk runs at once)
                        yield Import(module, target, child.lineno, in_function)  # noqa: B023
                inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                yield from walk(child, inner)

        yield from walk(ast.parse(path.read_text(encoding="utf-8")), False)


def top_of(module: str) -> str:
    """The folder (or root module) a module belongs to: `autoj.run.judge` -> `run`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "autoj"


def layer_of(module: str) -> int:
    top = top_of(module)
    return next(n for n, (_, members) in enumerate(LAYERS) if top in members)


def _matches(pattern: str, module: str) -> bool:
    return module == pattern or (pattern.endswith(".*") and module.startswith(pattern[:-1]))


def allowed_reason(item: Import) -> str | None:
    return next(
        (
            why
            for (where, what), why in IN_FUNCTION_ALLOWED.items()
            if _matches(where, item.module) and _matches(what, item.target)
        ),
        None,
    )


def cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module in the import graph (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for item in imports():
        graph[item.module].add(item.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(MODULES):
        if node not in index:
            visit(node)
    return found


def test_every_folder_has_a_layer() -> None:
    assert {top_of(m) for m in MODULES} <= {t for _, members in LAYERS for t in members}


def test_at_most_five_modules_at_the_root() -> None:
    root = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(root) <= 5, root


def test_no_import_cycle_outside_the_cli() -> None:
    outside = [group for group in cycles() if not all(top_of(m) == "cli" for m in group)]
    assert outside == []


def test_imports_go_down_the_layers() -> None:
    upward = sorted(
        f"{i.module}:{i.line} imports {i.target} ({LAYERS[layer_of(i.module)][0]} -> "
        f"{LAYERS[layer_of(i.target)][0]})"
        for i in imports()
        if layer_of(i.target) < layer_of(i.module)
    )
    assert upward == []


def test_no_import_of_our_modules_inside_a_function_unless_listed() -> None:
    unlisted = sorted(
        f"{i.module}:{i.line} imports {i.target}"
        for i in imports()
        if i.in_function and allowed_reason(i) is None
    )
    assert unlisted == []


def test_the_checks_see_what_they_check() -> None:
    found = list(imports())
    assert any(i.module == "autoj.run.judge" and i.target == "autoj.run.engine" for i in found)
    assert any(i.in_function and i.module.startswith("autoj.cli.") for i in found)
    # commands are registered by module name (autoj.cli.main.COMMAND_MODULES): no cycle is left at all
    assert list(cycles()) == []
