"""`judge_options` gives a command the judge flags declared once and hands it one JudgeConfig."""

from __future__ import annotations

from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from autoj.cli.options import OPTIONAL_JUDGE, Language, judge_options
from autoj.judges.config import JudgeConfig

seen: dict[str, Any] = {}


def _app(**flags: Any) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @judge_options(**flags)
    def run(*, config: JudgeConfig | None, tag: str = "x") -> None:
        seen.update(config=config, tag=tag)

    return app


def _names(app: typer.Typer) -> set[str]:
    return {p.name for p in typer.main.get_command(app).params if p.name}


def test_the_flags_make_the_config_and_the_command_keeps_its_own_options() -> None:
    done = CliRunner().invoke(
        _app(), ["-j", "fake", "--max-new-tokens", "7", "--both-orders", "--lang", "zh", "--tag", "y"]
    )
    assert done.exit_code == 0, done.output
    config = seen["config"]
    assert (config.judge, config.params.max_new_tokens, config.both_orders, config.language) == (
        "fake",
        7,
        True,
        "zh",
    )
    assert seen["tag"] == "y"


@pytest.mark.parametrize(
    ("flags", "absent", "present"),
    [
        ({"without": ("both_orders",)}, {"both_orders"}, {"judge", "protocol", "n_ctx"}),
        ({"only": ("backend_option",)}, {"protocol", "language", "n_ctx"}, {"judge", "backend_option"}),
    ],
)
def test_a_command_takes_only_its_flags(flags: dict[str, Any], absent: set[str], present: set[str]) -> None:
    names = _names(_app(**flags))
    assert present <= names and not absent & names
    assert "config" not in names


def test_an_optional_judge_not_given_is_no_config_and_a_kept_flag_arrives_as_given() -> None:
    app = typer.Typer()

    @app.command()
    @judge_options(judge=OPTIONAL_JUDGE, keep=("language",))
    def run(*, config: JudgeConfig | None, language: Language | None) -> None:
        seen.update(config=config, language=language)

    assert CliRunner().invoke(app, ["--lang", "zh"]).exit_code == 0
    assert seen["config"] is None and seen["language"] is Language.zh


@pytest.mark.parametrize(
    "flags",
    [
        {"without": ("judge",)},
        {"without": ("temperature",)},
        {"only": ("nope",)},
        {"keep": ("cache",), "without": ("cache",)},
    ],
)
def test_misnamed_flags_are_refused_when_declared(flags: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="judge_options"):
        judge_options(**flags)
