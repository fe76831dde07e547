"""The options every judging command shares, declared once, and the JudgeConfig they make.

`-j/--judge` takes a backend spec, a judge YAML file or a catalog name; the judge flags
(`--protocol`, `--max-new-tokens`, `--language`, `--concurrency`, `--cache/--no-cache`,
`--both-orders/--one-order`, `--stop-early/--no-stop-early`, `--constrain/--no-constrain`, `-B`,
`--n-ctx`) change that config only when they are given, so a
judge file's settings hold unless a flag says otherwise. Bad values are usage errors (exit 2).

A command takes them all at once with `judge_options`, and gets the one JudgeConfig they make:

    @app.command()
    @judge_options(without=("both_orders",))
    def rate(input_path: ..., config: JudgeConfig, limit: LimitOpt = None, ...):
        ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from autoj.backends.registry import parse_backend_options, split_spec
from autoj.errors import AutojError
from autoj.io.items import FieldMap
from autoj.judges.config import DEFAULT_CACHE, DEFAULT_JUDGE, JudgeConfig, backend_option_names
from autoj.protocols import protocol_names, protocols_using
from autoj.protocols.rubrics import packaged_rubrics
from autoj.types import GenerationParams

_DEFAULT_TOKENS = GenerationParams().max_new_tokens


class Language(str, Enum):
    en = "en"
    zh = "zh"


JUDGE_HELP = (
    "the judge: a backend spec (llamacpp = the embedded model, llamacpp:PATH.gguf, "
    "openai:MODEL@URL, vllm:MODEL, hf:MODEL, fake), a judge YAML file, or a catalog name "
    "(see `autoj judges`)"
)

JudgeOpt = Annotated[str, typer.Option("--judge", "-j", help=JUDGE_HELP, show_default=True)]
#: For commands where no judge means something else (scoring given predictions): say what in help.
OptionalJudgeOpt = Annotated[str | None, typer.Option("--judge", "-j", help=JUDGE_HELP, show_default="none")]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="results JSONL; an existing one is resumed", show_default="none"),
]
LimitOpt = Annotated[int | None, typer.Option(min=0, help="judge at most N items", show_default="all")]
LanguageOpt = Annotated[
    Language | None,
    typer.Option(
        "--language",
        "--lang",
        help="prompt (and data) language: en or zh; picks Auto-J's Chinese prompt for zh",
        show_default="en, or the judge file's",
    ),
]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option(min=1, help="judgments in flight at once", show_default="the backend's"),
]
CacheOpt = Annotated[
    bool | None,
    typer.Option(
        "--cache/--no-cache",
        help="reuse and keep finished generations in the cache file ($AUTOJ_CACHE)",
        show_default=f"{'cache' if DEFAULT_CACHE else 'no-cache'}, or the judge file's",
    ),
]
MaxNewTokensOpt = Annotated[
    int | None,
    typer.Option(
        min=1, help="most new tokens per judgment", show_default=f"{_DEFAULT_TOKENS}, or the judge file's"
    ),
]
ProtocolOpt = Annotated[
    str | None,
    typer.Option(
        help=f"judge protocol ({', '.join(protocol_names())})",
        show_default="fits the model, or the judge file's",
    ),
]
BackendOptionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--backend-option",
        "-B",
        help="KEY=VALUE for the backend, repeatable (llamacpp: n_threads, n_parallel, deterministic, ...)",
        show_default="none",
    ),
]
BothOrdersOpt = Annotated[
    bool | None,
    typer.Option(
        "--both-orders/--one-order",
        help="judge each pair as (1,2) and (2,1); a verdict that flips with the order is a tie",
        show_default="one-order (evaluate: both-orders), or the judge file's",
    ),
]


def _switch(field: str, on: str, off: str) -> Any:
    """A `--on/--off` flag for a JudgeConfig switch, its help the field's own docstring."""
    default = on if JudgeConfig.model_fields[field].default else off
    return Annotated[
        bool | None,
        typer.Option(
            f"--{on}/--{off}",
            help=JudgeConfig.model_fields[field].description,
            show_default=f"{default}, or the judge file's",
        ),
    ]


StopEarlyOpt = _switch("stop_early", "stop-early", "no-stop-early")
ConstrainOpt = _switch("constrain", "constrain", "no-constrain")
ContextOpt = Annotated[
    int | None,
    typer.Option("--n-ctx", min=1, help="context window in tokens (llamacpp)", show_default="the model's"),
]
OverwriteOpt = Annotated[
    bool, typer.Option("--overwrite", help="start the output over instead of resuming it")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the summary as JSON")]


def judge_config(
    judge: str | JudgeConfig | None = None,
    *,
    protocol: str | None = None,
    max_new_tokens: int | None = None,
    language: Language | str | None = None,
    concurrency: int | None = None,
    cache: bool | None = None,
    both_orders: bool | None = None,
    stop_early: bool | None = None,
    constrain: bool | None = None,
    backend_option: list[str] | None = None,
    n_ctx: int | None = None,
) -> JudgeConfig:
    """The JudgeConfig the common options describe: `-j`'s config, changed by the flags given."""
    base = JudgeConfig.load(judge if judge is not None else DEFAULT_JUDGE)
    options = parse_backend_options(base.judge, backend_option or [])
    if n_ctx is not None:
        _check_takes(base.judge, "n_ctx", "--n-ctx")
        options["n_ctx"] = n_ctx
    return base.with_changes(
        protocol=protocol,
        max_new_tokens=max_new_tokens,
        language=language.value if isinstance(language, Language) else language,
        concurrency=concurrency,
        cache=cache,
        both_orders=both_orders,
        stop_early=stop_early,
        constrain=constrain,
        options=options or None,
        source="flags" if base.source == "spec" else None,
    )


#: The judge flags `judge_options` adds, in the order help shows them: (annotation, default).
JUDGE_PARAMS: Mapping[str, tuple[Any, Any]] = {
    "judge": (JudgeOpt, DEFAULT_JUDGE),
    "protocol": (ProtocolOpt, None),
    "both_orders": (BothOrdersOpt, None),
    "language": (LanguageOpt, None),
    "max_new_tokens": (MaxNewTokensOpt, None),
    "concurrency": (ConcurrencyOpt, None),
    "cache": (CacheOpt, None),
    "stop_early": (StopEarlyOpt, None),
    "constrain": (ConstrainOpt, None),
    "backend_option": (BackendOptionOpt, None),
    "n_ctx": (ContextOpt, None),
}

#: `-j` for commands where no judge means something else (scoring given predictions).
OPTIONAL_JUDGE = (OptionalJudgeOpt, None)

R = TypeVar("R")


def judge_options(
    *,
    without: Collection[str] = (),
    only: Collection[str] | None = None,
    judge: tuple[Any, Any] = JUDGE_PARAMS["judge"],
    keep: Collection[str] = (),
) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Give a typer command the judge flags, declared once here, and hand it one `config`.

    The command declares `*, config: JudgeConfig` where the flags belong; they take its place in
    the signature typer reads. `without` names the flags a command does not take (or `only` those
    it takes besides `-j`); `judge` is `-j`'s (annotation, default) where it differs (an argument;
    optional: no judge, config None); `keep` names flags the command also gets as given (it
    declares them plainly, e.g. `language: Language | None`; the flag stays declared here).
    """
    if only is not None:
        without = [*without, *(name for name in JUDGE_PARAMS if name not in {"judge", *only})]
    named = {*without, *keep, *(only or ())}
    if named - set(JUDGE_PARAMS) or "judge" in without or set(keep) & set(without):
        raise ValueError(f"judge_options: bad flag names in {sorted(named)}")
    names = [name for name in JUDGE_PARAMS if name not in without]
    specs = {**JUDGE_PARAMS, "judge": judge}

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        signature = inspect.signature(command, eval_str=True)
        if not set(keep) <= set(signature.parameters):
            raise ValueError(f"judge_options: {command.__name__} must declare {sorted(keep)} to keep them")
        own = [p for p in signature.parameters.values() if p.name not in keep]
        at = [p.name for p in own].index("config")
        added = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, annotation=specs[name][0], default=specs[name][1]
            )
            for name in names
        ]
        rest = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own[at + 1 :]]
        params = [*own[:at], *added, *rest]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            given = {name: kwargs.pop(name) for name in names if name not in keep}
            given |= {name: kwargs[name] for name in keep}
            spec = given.pop("judge")
            kwargs["config"] = None if spec is None else judge_config(spec, **given)
            return command(*args, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params} | {
            "return": signature.return_annotation
        }
        return wrapper

    return decorate


def _check_takes(spec: str, option: str, flag: str) -> None:
    """A flag for a backend option the backend does not take is an error, not silently ignored."""
    allowed = backend_option_names(spec)
    if allowed is not None and option not in allowed:
        raise AutojError(f"{flag}: the {split_spec(spec)[0]!r} backend takes no {option!r} option")


# --- labels: read the same way by every command that reads them (autoj.io.labels.LabelMap) ----------


class LabelConvention(str, Enum):
    autoj = "autoj"
    alpaca_eval = "alpaca_eval"


LabelConventionOpt = Annotated[
    LabelConvention | None,
    typer.Option(
        "--label-convention",
        help="how numeric labels read: autoj (0 = response 1, 1 = response 2, 2 = tie) or "
        "alpaca_eval (1 = output 1, 2 = output 2, 0 or 1.5 = tie)",
        show_default="autoj",
    ),
]
LabelResponse1Opt = Annotated[
    str | None,
    typer.Option("--label-response-1", help="label value meaning Response 1 wins", show_default="none"),
]
LabelResponse2Opt = Annotated[
    str | None,
    typer.Option("--label-response-2", help="label value meaning Response 2 wins", show_default="none"),
]
LabelTieOpt = Annotated[
    str | None, typer.Option("--label-tie", help="label value meaning a tie", show_default="none")
]


# --- judge inputs: the input fields some judges use, and one rubric for a whole run ----------------

#: The default input field names (Auto-J's data), for flags that map fields.
DEFAULT_FIELDS = FieldMap()


def _used_by(input_name: str) -> str:
    return f"used by the {', '.join(protocols_using(input_name))} protocols"


ReferenceAnswerFieldOpt = Annotated[
    str,
    typer.Option(
        "--reference-answer-field",
        help=f"input field of a reference answer ({_used_by('reference_answer')})",
    ),
]
RubricFieldOpt = Annotated[
    str,
    typer.Option(
        "--rubric-field",
        help="input field of an item's rubric: text, a {criteria, scores} object or a YAML file path "
        f"({_used_by('rubric')})",
    ),
]
ConversationFieldOpt = Annotated[
    str,
    typer.Option(
        "--conversation-field",
        help="input field of a dialogue's earlier turns: a list of {role, content}, user first, before "
        f"the query ({_used_by('conversation')})",
    ),
]
RubricOpt = Annotated[
    str | None,
    typer.Option(
        "--rubric",
        help="one rubric for every item: inline text (the criteria, then 'Score 1: ...' lines), a YAML or "
        f"text file, or a packaged name ({', '.join(sorted(packaged_rubrics()))}); {_used_by('rubric')}",
        show_default="none",
    ),
]
