"""One way to read YAML and JSON that a user or a server hands over: bounded in size, depth and
alias expansion, and read only from regular files.

A config file that is a FIFO blocks a reader forever; one linked to /dev/zero never ends; a
document nested thousands deep overflows Python's stack; a 700-byte YAML alias bomb ("billion
laughs") expands into gigabytes once anything walks it. Every such input is refused here with a
`DocumentError` saying where and why, before any other code sees it.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from autoj.errors import AutojError

#: Deepest nesting accepted (a real judge file, rubric or server answer uses well under 20).
MAX_DEPTH = 100
#: Most nodes a YAML document may hold once its aliases are expanded.
MAX_NODES = 100_000
#: Largest config file read (judge files, catalogs, rubrics are a few kilobytes).
MAX_CONFIG_BYTES = 4 * 1024 * 1024


class DocumentError(AutojError):
    """A YAML or JSON document, or the file holding it, that is refused: names where and why."""


def read_config_text(path: str | Path, what: str, limit: int = MAX_CONFIG_BYTES) -> str:
    """The UTF-8 text of a config file, refused unless it is a regular file of at most `limit` bytes."""
    file = Path(path)
    try:
        info = file.stat()  # follows links: a link to /dev/zero is judged by what it points at
    except FileNotFoundError:
        raise DocumentError(f"{what} not found: {file}") from None
    except OSError as exc:
        raise DocumentError(f"{what} {str(file)!r} cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise DocumentError(
            f"{what} {str(file)!r} is not a regular file (a pipe, a device or a folder): name a file"
        )
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, opening it does not block
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise DocumentError(
                    f"{what} {str(file)!r} is not a regular file (a pipe, a device or a folder): name a file"
                )
            data = handle.read(limit + 1)
    except OSError as exc:
        raise DocumentError(f"{what} {str(file)!r} cannot be read: {exc.strerror}") from None
    if len(data) > limit:
        raise DocumentError(f"{what} {str(file)!r} is larger than {limit // 1024} KiB: not a {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{file}: not UTF-8 text (byte {exc.start})") from None


def yaml_error(where: str, exc: yaml.YAMLError) -> DocumentError:
    """`WHERE line N: problem` for a YAML syntax error."""
    mark = getattr(exc, "problem_mark", None)
    at = f" line {mark.line + 1}" if mark is not None else ""
    return DocumentError(f"{where}{at}: {getattr(exc, 'problem', None) or 'invalid YAML'}")


def load_yaml(text: str, where: str) -> Any:
    """`yaml.safe_load(text)`, refused when nested deeper than MAX_DEPTH or when its aliases expand
    past MAX_NODES nodes; `where` (a file name) starts every message."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise yaml_error(where, exc) from None
    except RecursionError:
        raise DocumentError(f"{where}: nested deeper than {MAX_DEPTH} levels") from None
    if node is None:
        return None
    _check_graph(node, where)
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise yaml_error(where, exc) from None
    finally:
        loader.dispose()


def _check_graph(root: yaml.Node, where: str) -> None:
    """Depth and expanded size of a composed YAML graph, each node visited once (aliases share nodes)."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            kids = _children(node)
            sizes[key] = 1 + sum(sizes[id(k)] for k in kids)
            depths[key] = 1 + max((depths[id(k)] for k in kids), default=0)
            if depths[key] > MAX_DEPTH:
                line = node.start_mark.line + 1
                raise DocumentError(f"{where} line {line}: nested deeper than {MAX_DEPTH} levels")
            if sizes[key] > MAX_NODES:
                line = node.start_mark.line + 1
                raise DocumentError(
                    f"{where} line {line}: its aliases expand to more than {MAX_NODES} values "
                    "(an alias bomb?): write the values out"
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise DocumentError(f"{where} line {node.start_mark.line + 1}: a value that contains itself")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in _children(node) if id(kid) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_json(text: str | bytes, where: str, **options: Any) -> Any:
    """`json.loads(text)`, refused (DocumentError) when nested deeper than MAX_DEPTH; JSON errors
    are raised as json.JSONDecodeError, as from json.loads. `options` go to json.loads."""
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise DocumentError(f"{where}: nested deeper than {MAX_DEPTH} levels") from None
    if json_depth(value) > MAX_DEPTH:
        raise DocumentError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    return value


def json_depth(value: Any) -> int:
    """How deep lists and objects nest in a decoded JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest
