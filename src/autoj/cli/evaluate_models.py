"""`autoj evaluate --benchmark`: from models (or their answer files) to a benchmark's board.

Each `--model SPEC` first answers the instructions (`autoj generate`, into the outputs folder,
resumed and cached), each OUTPUTS file is read as its maker wrote it (alpaca_eval, Arena-Hard,
FastChat), then all are judged the benchmark's way into one results file and scored. Every stage
resumes, so adding a model to a board costs only that model's answers and judgments.
"""

from __future__ import annotations

import re
from pathlib import Path

from autoj.cli.generate_cmds import generator_settings, run_generation, summary_line
from autoj.data.benchmarks import load_benchmark, reference_file, select
from autoj.errors import AutojError
from autoj.evaluate.benchmark_run import ModelAnswers, answers_of, benchmark_config, evaluate_benchmark
from autoj.evaluate.run import EvaluationRun
from autoj.io.outputs import check_output
from autoj.io.terminal import Console
from autoj.judges.config import JudgeConfig
from autoj.run.generation import Generator

err_console = Console(stderr=True)


def _file_name(model: str) -> str:
    """A generator's outputs file name: its name with anything but letters, digits, `.-_` as `_`."""
    return re.sub(r"[^\w.-]", "_", model) + ".json"


def evaluate_on_benchmark(
    benchmark: str,
    specs: list[str],
    files: list[Path],
    names: list[str],
    config: JudgeConfig,
    output: Path,
    *,
    reference: str | None,
    both_orders: bool | None,
    outputs_dir: Path | None,
    limit: int | None,
    system_prompt: str | None,
    max_new_tokens: int,
    model_options: list[str],
    overwrite: bool,
    classify: bool,
    bench: Path | None,
    quiet: bool,
) -> EvaluationRun:
    """Generate (for `specs`), read (`files`), judge and score; `names` name the models in the
    order `--model` then OUTPUTS."""
    if not specs and not files:
        raise AutojError("--benchmark needs models: --model SPEC (repeatable) and/or OUTPUTS files")
    if len(names) > len(specs) + len(files):
        raise AutojError(
            f"--name given {len(names)} times for {len(specs) + len(files)} models "
            "(names go to the --model specs, then to the OUTPUTS files, in order)"
        )
    chosen = load_benchmark(benchmark, reference=reference)
    instructions = select(chosen.instructions, limit)
    inputs = [*files, *(p for p in (Path(benchmark),) if p.is_file())]
    if chosen.reference is not None and Path(chosen.reference).is_file():
        inputs.append(reference_file(chosen.reference))
    check_output(output, inputs)
    folder = outputs_dir or output.with_name(f"{output.stem}-outputs")
    given = names + [None] * (len(specs) + len(files) - len(names))
    models: list[ModelAnswers] = []
    generation: list[dict[str, object]] = []
    for spec, name in zip(specs, given[: len(specs)], strict=True):
        settings = generator_settings(
            spec,
            chosen.name,
            name,
            system_prompt,
            max_new_tokens=max_new_tokens,
            backend_option=model_options,
            cache=config.cache,
        )
        with Generator.from_spec(spec, **settings) as generator:
            path = folder / _file_name(generator.name)
            summary = run_generation(generator, instructions, path, inputs=tuple(inputs))
        if not quiet:
            err_console.print(summary_line(summary))
        generation.append(summary.to_dict())
        models.append(answers_of(chosen, instructions, path, generator.name))
    for path, name in zip(files, given[len(specs) :], strict=True):
        models.append(answers_of(chosen, instructions, path, name))
    judge = benchmark_config(config, chosen, both_orders)
    run = evaluate_benchmark(
        chosen, instructions, models, judge, output, overwrite=overwrite, classify=classify, bench=bench
    )
    run.summary["benchmark"] = chosen.name
    run.summary["scoring"] = chosen.scoring
    run.summary["generation"] = generation
    return run
