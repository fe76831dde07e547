"""The common options mean the same thing on every command: same names, help text, defaults shown,
and bad values refused as usage errors (exit 2, one line) before anything loads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from autoj.cli.main import _register, app

ROOT = Path(__file__).resolve().parents[1]
PAIRS = str(ROOT / "examples" / "pairs.jsonl")

#: What a judge is: every command that builds one takes these.
JUDGE = {
    "--judge",
    "--max-new-tokens",
    "--language",
    "--concurrency",
    "--cache",
    "--backend-option",
    "--n-ctx",
}
RUN = {"--output", "--overwrite", "--json"}

COMMANDS: dict[tuple[str, ...], set[str]] = {
    ("compare",): JUDGE | RUN | {"--protocol", "--limit", "--both-orders"},
    ("rate",): JUDGE | RUN | {"--protocol", "--limit"},
    ("bench", "pairwise"): JUDGE | RUN | {"--protocol", "--limit"},
    ("bench", "critique"): JUDGE | RUN | {"--limit"},
    ("bench", "ratings"): JUDGE | RUN | {"--protocol", "--limit"},
    ("bench", "ranking"): JUDGE | RUN | {"--protocol"},
    ("serve",): JUDGE | {"--protocol", "--both-orders"},
    ("pipeline", "teacher"): JUDGE | {"--output", "--overwrite"},
    ("judges", "show"): (JUDGE - {"--judge"}) | {"--protocol", "--both-orders", "--json"},  # NAME|FILE
    ("classify",): {"--judge", "--backend-option", "--output", "--limit"},
    ("evaluate",): JUDGE | RUN | {"--protocol", "--limit", "--both-orders"},
    ("rank",): JUDGE | RUN | {"--protocol", "--limit"},
}

#: Short forms and aliases that must stay.
ALIASES = {"--judge": "-j", "--output": "-o", "--backend-option": "-B", "--language": "--lang"}


def _command(path: tuple[str, ...]) -> Any:
    _register()
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def _options(path: tuple[str, ...]) -> dict[str, Any]:
    """Each option of the command by its long name (the first `--` one)."""
    found = {}
    for param in _command(path).params:
        names = [*param.opts, *param.secondary_opts]
        long = next((n for n in names if n.startswith("--")), None)
        if long is not None:
            found[long] = param
    return found


@pytest.mark.parametrize("path", list(COMMANDS), ids=" ".join)
def test_every_command_takes_the_common_options_with_help_and_a_shown_default(path: tuple[str, ...]) -> None:
    options = _options(path)
    missing = COMMANDS[path] - set(options)
    assert not missing, f"autoj {' '.join(path)} lacks {sorted(missing)}"
    for name in COMMANDS[path]:
        param = options[name]
        assert param.help, f"{name} of autoj {' '.join(path)} has no help text"
        if name in ALIASES:
            assert ALIASES[name] in param.opts, f"{name} of autoj {' '.join(path)} lacks {ALIASES[name]}"
        flag = getattr(param, "is_flag", False) and param.default is False
        required = param.required
        assert flag or required or param.show_default, f"{name} of autoj {' '.join(path)} hides its default"


@pytest.mark.parametrize("name", sorted((JUDGE - {"--judge"}) | {"--protocol", "--limit", "--both-orders"}))
def test_a_common_option_has_one_help_text_and_default_everywhere(name: str) -> None:
    seen = {}
    for path in COMMANDS:
        options = _options(path)
        if name in options:
            param = options[name]
            seen[" ".join(path)] = (param.help, param.show_default, param.default)
    assert len(seen) >= 2 and len(set(seen.values())) == 1, seen


def test_help_shows_the_defaults() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "autoj", "compare", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", "TERM": "dumb"},
        timeout=60,
    )
    assert done.returncode == 0
    for shown in ("default: llamacpp", "default: (1024, or the judge file's)", "default: (all)", "--lang"):
        assert shown in done.stdout, shown


def autoj(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autoj", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


BAD_VALUES = [
    ("--limit", "-1"),
    ("--max-new-tokens", "0"),
    ("--concurrency", "0"),
    ("--language", "fr"),
]


@pytest.mark.parametrize(("flag", "value"), BAD_VALUES)
@pytest.mark.parametrize(
    "command",
    [
        ["compare", PAIRS, "-o", "OUT"],
        ["rate", str(ROOT / "examples" / "singles.jsonl"), "-o", "OUT"],
        ["bench", "ratings", "--data", str(ROOT / "examples" / "singles.jsonl"), "-o", "OUT"],
        ["bench", "pairwise", "--data", PAIRS, "-o", "OUT"],
    ],
    ids=lambda c: " ".join(c[:2]) if c[0] == "bench" else c[0],
)
def test_a_bad_value_is_a_usage_error_in_one_line(
    command: list[str], flag: str, value: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    args = [str(out) if a == "OUT" else a for a in command]
    done = autoj(*args, "-j", "fake", flag, value)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert not out.exists()
