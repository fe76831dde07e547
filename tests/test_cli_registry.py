"""The CLI imports only the module of the command it runs: the map from command to module must
name, for every command and group the app has, modules that add it."""

from __future__ import annotations

import subprocess
import sys

from autoj.cli.main import COMMAND_MODULES, _register, app

# Run in a fresh interpreter that has imported no command module: each command is registered
# alone in a forked child, which reports whether the app then has it.
ALONE = """
import os, sys
from autoj.cli.main import COMMAND_MODULES, _register, app
missing = []
for name in COMMAND_MODULES:
    pid = os.fork()
    if pid == 0:
        _register([name, "--help"])
        names = {c.name or c.callback.__name__ for c in app.registered_commands}
        names |= {g.name for g in app.registered_groups}
        os._exit(0 if name in names else 1)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        missing.append(name)
print(" ".join(missing))
"""


def test_every_command_is_mapped_and_registers_alone() -> None:
    _register()
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    assert set(COMMAND_MODULES) == names | {g.name or "" for g in app.registered_groups}
    missing = subprocess.run([sys.executable, "-c", ALONE], capture_output=True, text=True, check=True)
    assert missing.stdout.strip() == ""


def test_a_command_runs_without_importing_the_other_commands_code() -> None:
    probe = (
        "import sys; from autoj.cli.main import _register; _register(['plan', '--help']);"
        "print(sorted(m for m in sys.modules if m.startswith('autoj.cli.') and m.endswith('_cmds')))"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "['autoj.cli.plan_cmds']"
    judges = subprocess.run(
        [sys.executable, "-m", "autoj", "judges", "--help"], capture_output=True, text=True, check=True
    )
    assert "diff" in judges.stdout  # the group's second module is loaded with it
