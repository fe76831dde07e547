"""`autoj generate`: the model under test answers a benchmark's instructions (alpaca_eval's format)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autoj.backends.registry import parse_backend_options
from autoj.cli.main import app
from autoj.cli.options import BackendOptionOpt, CacheOpt, JsonOpt, OverwriteOpt
from autoj.data.benchmarks import Benchmark, BenchmarkInstruction, load_benchmark, select
from autoj.errors import AutojError, RunFailure
from autoj.io.terminal import Console
from autoj.judges.config import DEFAULT_CACHE
from autoj.run.generation import DEFAULT_PARAMS, Answerer, GenerationSummary, Generator, generate_to_file
from autoj.types import GenerationParams

if TYPE_CHECKING:
    from autoj.distributed import RayGenerator

err_console = Console(stderr=True)

MODEL_HELP = (
    "the model under test: a backend spec (llamacpp = the embedded model, llamacpp:PATH.gguf, "
    "openai:MODEL@URL, vllm:MODEL, hf:MODEL, fake)"
)
BenchmarkOpt = Annotated[
    str, typer.Option("--benchmark", "-b", help="a benchmark name (alpaca_eval) or a FILE of instructions")
]
GenLimitOpt = Annotated[
    int | None,
    typer.Option(
        min=1, help="answer N instructions (a seeded sample: the same for every model)", show_default="all"
    ),
]
SystemPromptOpt = Annotated[str | None, typer.Option(help="a system message before every instruction")]
GenMaxTokensOpt = Annotated[int, typer.Option(min=1, help="most new tokens per answer")]
TemperatureOpt = Annotated[float, typer.Option(min=0.0, help="sampling temperature (0 = greedy)")]
TopPOpt = Annotated[float, typer.Option(min=0.0, max=1.0, help="nucleus sampling mass")]
GenSeedOpt = Annotated[int, typer.Option(help="sampling seed")]
GenConcurrencyOpt = Annotated[
    int | None, typer.Option(min=1, help="instructions in flight at once", show_default="the backend's")
]
RayWorkersOpt = Annotated[
    int,
    typer.Option(
        min=0,
        help="answer on N Ray workers, each with its own model (0: here; needs the ray extra); "
        "the workers open the cache where they run",
    ),
]
RayAddressOpt = Annotated[
    str | None,
    typer.Option(
        help="the Ray cluster for --ray-workers (HOST:PORT, ray://HOST:PORT or auto)",
        show_default="$RAY_ADDRESS, else a local Ray started here",
    ),
]
RayGpusOpt = Annotated[float, typer.Option(min=0.0, help="GPUs each Ray worker takes (vllm:, hf: on GPUs)")]


def instructions_of(benchmark: str, limit: int | None) -> tuple[Benchmark, list[BenchmarkInstruction]]:
    """The benchmark and the instructions a run answers (a seeded sample with --limit)."""
    bench = load_benchmark(benchmark)
    return bench, select(bench.instructions, limit)


def generator_settings(
    spec: str,
    dataset: str,
    name: str | None = None,
    system_prompt: str | None = None,
    max_new_tokens: int = DEFAULT_PARAMS.max_new_tokens,
    temperature: float = 0.0,
    top_p: float = 1.0,
    seed: int = 0,
    backend_option: list[str] | None = None,
    concurrency: int | None = None,
    cache: bool | str | None = None,
) -> dict[str, Any]:
    """`Generator.from_spec`'s keywords from the command line's flags (shared by `generate` and
    `evaluate --model`; for a Generator here and for the ones on Ray workers alike)."""
    params = GenerationParams(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, seed=seed)
    return {
        "name": name,
        "params": params,
        "system_prompt": system_prompt,
        "dataset": dataset,
        "cache": DEFAULT_CACHE if cache is None else cache,
        "concurrency": concurrency,
        **parse_backend_options(spec, backend_option or []),
    }


def run_generation(
    generator: Answerer,
    instructions: list[BenchmarkInstruction],
    output: Path,
    overwrite: bool = False,
    inputs: tuple[Path, ...] = (),
) -> GenerationSummary:
    """Answer into `output`; a run that left instructions unanswered stops with what to do."""
    summary = generator.run(
        generate_to_file(generator, instructions, output, overwrite=overwrite, inputs=inputs)
    )
    if not summary.complete:
        reasons = "; ".join(f"{n} x {reason}" for reason, n in summary.failure_reasons.items())
        raise RunFailure(
            f"{summary.failures} of {summary.total} instructions got no answer from {generator.name} "
            f"({reasons}); the answers so far are in {summary.output}: run again to retry the rest"
        )
    return summary


def summary_line(summary: GenerationSummary) -> str:
    return (
        f"{summary.generator}: {summary.total} instructions ({summary.already_done} already done, "
        f"{summary.cache_hits} answers from the cache), {summary.generations} generations, "
        f"{summary.completion_tokens} tokens in {summary.elapsed_s} s "
        f"({summary.outputs_per_min:.1f} outputs/min); outputs in {summary.output}"
    )


@app.command()
def generate(
    model: Annotated[str, typer.Option("--model", "-m", help=MODEL_HELP)],
    benchmark: BenchmarkOpt,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="outputs: .json (alpaca_eval's list) or .jsonl; resumed")
    ],
    limit: GenLimitOpt = None,
    name: Annotated[
        str | None, typer.Option(help="the generator name", show_default="from the model")
    ] = None,
    system_prompt: SystemPromptOpt = None,
    max_new_tokens: GenMaxTokensOpt = DEFAULT_PARAMS.max_new_tokens,
    temperature: TemperatureOpt = 0.0,
    top_p: TopPOpt = 1.0,
    seed: GenSeedOpt = 0,
    backend_option: BackendOptionOpt = None,
    concurrency: GenConcurrencyOpt = None,
    cache: CacheOpt = None,
    ray_workers: RayWorkersOpt = 0,
    ray_address: RayAddressOpt = None,
    ray_gpus: RayGpusOpt = 0.0,
    overwrite: OverwriteOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The model under test answers every instruction of a benchmark (its chat template applies;
    a multi-turn one is asked turn by turn); streamed, resumable, cached; here or on Ray workers
    (the same file either way)."""
    if not ray_workers and (ray_address or ray_gpus):
        raise AutojError("--ray-address and --ray-gpus are for a run on Ray: add --ray-workers N")
    bench, instructions = instructions_of(benchmark, limit)
    inputs = (Path(benchmark),) if Path(benchmark).exists() else ()
    settings = generator_settings(
        model,
        bench.name,
        name,
        system_prompt,
        max_new_tokens,
        temperature,
        top_p,
        seed,
        backend_option,
        concurrency,
        cache,
    )
    generator: Generator | RayGenerator
    if ray_workers:
        from autoj.distributed import RayGenerator  # Ray only when asked for

        generator = RayGenerator(
            model, num_workers=ray_workers, gpus_per_worker=ray_gpus, address=ray_address, **settings
        )
    else:
        generator = Generator.from_spec(model, **settings)
    with generator:
        summary = run_generation(generator, instructions, output, overwrite, inputs)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        err_console.print(summary_line(summary))
