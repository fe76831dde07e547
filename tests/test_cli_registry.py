"""The CLI imports only the module of the command it runs: the map from command to module must
name, for every command and group the app has, the modules that add it."""

from __future__ import annotations

import importlib
import subprocess
import sys

from autoj.cli.main import ALL_MODULES, COMMAND_MODULES, app


def _names() -> set[str]:
    commands = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return commands | {g.name or "" for g in app.registered_groups}


def test_every_command_is_mapped_to_the_modules_that_add_it() -> None:
    added: dict[str, set[str]] = {}
    for module in ALL_MODULES:
        before = _names()
        importlib.import_module(f"autoj.cli.{module}")
        for name in _names() - before:
            added.setdefault(name, set()).add(module)
    assert set(COMMAND_MODULES) == _names()
    for name, modules in added.items():
        assert set(modules) <= set(COMMAND_MODULES[name]), name


def test_a_command_runs_without_importing_the_other_commands_code() -> None:
    probe = (
        "import sys; from autoj.cli.main import _register; _register(['plan', '--help']);"
        "print(sorted(m for m in sys.modules if m.startswith('autoj.cli.') and m.endswith('_cmds')))"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "['autoj.cli.plan_cmds']"
    assert (
        "diff"
        in subprocess.run(
            [sys.executable, "-m", "autoj", "judges", "--help"], capture_output=True, text=True, check=True
        ).stdout
    )
