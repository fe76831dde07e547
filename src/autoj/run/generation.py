"""The model under test answers a benchmark's instructions, into alpaca_eval's outputs format.

A `Generator` holds a backend (any spec: the embedded model, a server, vLLM, transformers, the fake)
and asks it each instruction as chat messages, so the model's own chat template applies (the
server's, the GGUF file's, the tokenizer's). A multi-turn instruction is asked turn by turn, each
after the model's own earlier answers. `generate_to_file` runs it the way judging runs: answers
stream to a JSONL file as they finish (`ResultsWriter`, locked, cut-off lines dropped), a re-run
resumes where it stopped, the cache serves every prompt answered before, and every line records the
setup that made it (model identity, template, system prompt, parameters), so a resume with another
setup is refused. When every instruction is answered, a `.json` output is written as one JSON list
(alpaca_eval's format) and the stream file is removed; a `.jsonl` output is the stream itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, TypeVar

from autoj.backends.base import Backend, check_request
from autoj.backends.redaction import redact_url
from autoj.backends.registry import create_backend
from autoj.data.benchmarks import BenchmarkInstruction
from autoj.errors import AutojError
from autoj.io.outputs import check_output
from autoj.io.results import ResultsWriter, read_records, setup_of
from autoj.run.batching import SharedBatcher
from autoj.run.cache import CacheOption, JudgmentCache, cache_key, resolve_cache
from autoj.run.engine import RunStats
from autoj.run.runner import progress_bar
from autoj.run.session import BackendSession
from autoj.run.streaming import as_finished
from autoj.types import Completion, GenerationParams, Message, Prompt
from autoj.version import __version__

T = TypeVar("T")

#: The cache's protocol id for a model's answers (judgments use their protocol's id).
GENERATION_PROTOCOL = "generate/1"
#: A model under test writes answers, not verdicts: the default budget is alpaca_eval's.
DEFAULT_PARAMS = GenerationParams(max_new_tokens=2048)


def default_name(backend: Backend) -> str:
    """The generator name a spec gives: the model's name without folders or `.gguf`."""
    name = Path(backend.model_id).name or backend.name
    return name.removesuffix(".gguf")


def instruction_sha256(instruction: BenchmarkInstruction) -> str:
    """What an answer was made from: the instruction's turns (an id alone never decides that)."""
    return hashlib.sha256(json.dumps(instruction.turns, ensure_ascii=False).encode("utf-8")).hexdigest()


def stream_path(output: Path) -> Path:
    """Where answers stream while a run goes on: the output itself when it is JSONL."""
    return output if output.suffix == ".jsonl" else output.with_name(output.name + ".partial.jsonl")


def tally(stats: RunStats, record: Mapping[str, Any]) -> None:
    """Count one outputs record into a run's totals (from the record itself, so answers made
    elsewhere, on Ray workers, count the same as answers made here)."""
    provenance = record["provenance"]
    hits = int(provenance["cache_hits"])
    stats.items += 1
    stats.generations += len(provenance["completion_tokens"]) - hits
    stats.cache_hits += hits
    stats.prompt_tokens += sum(provenance["prompt_tokens"])
    stats.completion_tokens += sum(provenance["completion_tokens"])
    stats.failures += record["status"] != "ok"


class Answerer(Protocol):
    """What `generate_to_file` needs of a model under test: a `Generator` here, or its stand-in
    that answers on Ray workers (`autoj.distributed.RayGenerator`)."""

    name: str
    stats: RunStats

    def setup(self) -> dict[str, Any]: ...

    def stream(self, instructions: Iterable[BenchmarkInstruction]) -> AsyncIterator[dict[str, Any]]: ...

    def run(self, coro: Coroutine[Any, Any, T]) -> T: ...


class Generator(BackendSession):
    """A model under test: its backend, name, system prompt and decoding parameters.

    Blocking callers run its coroutines with `run` (a private event loop, as a Judge does), so the
    backend's connections live on one loop; `close` releases the backend, the cache and the loop.
    """

    _loop_name = "autoj-generate"

    def __init__(
        self,
        backend: Backend,
        name: str | None = None,
        params: GenerationParams | None = None,
        system_prompt: str | None = None,
        spec: str = "",
        dataset: str = "",
        cache: JudgmentCache | None = None,
        concurrency: int | None = None,
    ) -> None:
        super().__init__(backend, cache)
        self.name = name or default_name(backend)
        self.params = params or DEFAULT_PARAMS
        check_request(backend, self.params)
        self.system_prompt = system_prompt or None
        self.spec = redact_url(spec or backend.name)
        self.dataset = dataset
        self.concurrency = max(1, concurrency or max(backend.max_concurrency, backend.max_batch))
        self.stats = RunStats()
        self._batcher = SharedBatcher(backend)

    @classmethod
    def from_spec(
        cls,
        spec: str,
        name: str | None = None,
        params: GenerationParams | None = None,
        system_prompt: str | None = None,
        dataset: str = "",
        cache: CacheOption = True,
        concurrency: int | None = None,
        **options: Any,
    ) -> Generator:
        """A Generator on the backend a spec names (`llamacpp`, `openai:MODEL@URL`, `hf:MODEL`, ...)."""
        backend = create_backend(spec, **options)
        return cls(backend, name, params, system_prompt, spec, dataset, resolve_cache(cache), concurrency)

    def setup(self) -> dict[str, Any]:
        """What decides the answers (recorded on every line; a resume with another is refused).

        `spec` is how the model was named (descriptive); the backend's identity is what counts.
        The generator name and the dataset are compared too: one file holds one model's answers
        to one instruction set. Concurrency and the cache change speed, never answers.
        """
        return {
            "generator": self.name,
            "spec": self.spec,
            "backend": self.backend.identity(),
            "chat_template": self.backend.chat_template,
            "system_prompt": self.system_prompt,
            "params": self.params.to_dict(),
            "dataset": self.dataset,
        }

    def _prompt(self, turns: Sequence[str], answers: Sequence[str]) -> Prompt:
        """The chat so far: the system prompt, each earlier turn with the model's own answer."""
        messages = [Message("system", self.system_prompt)] if self.system_prompt else []
        for n, turn in enumerate(turns):
            messages.append(Message("user", turn))
            if n < len(answers):
                messages.append(Message("assistant", answers[n]))
        return Prompt(messages=tuple(messages))

    async def _complete(self, prompt: Prompt) -> tuple[Completion, bool]:
        """One answer, from the cache when this model answered this exact chat before."""
        key = cache_key(self.backend.identity(), GENERATION_PROTOCOL, prompt, self.params)
        if self.cache is not None:
            found = self.cache.get(key)
            if found is not None:
                return found, True
        [completion] = await self._batcher.current().generate([prompt], self.params)
        if self.cache is not None:
            self.cache.put_many([(key, completion)], self.backend.identity(), GENERATION_PROTOCOL)
        return completion, False

    async def answer(self, instruction: BenchmarkInstruction) -> dict[str, Any]:
        """The model's answers to every turn of one instruction, as one outputs record."""
        started = time.perf_counter()
        completions: list[Completion] = []
        hits = 0
        for n in range(len(instruction.turns)):
            prompt = self._prompt(instruction.turns[: n + 1], [c.text for c in completions])
            completion, hit = await self._complete(prompt)
            completions.append(completion)
            hits += hit
            if completion.error is not None:
                break  # a later turn follows the model's own answer: none to follow
        return self._record(instruction, completions, hits, time.perf_counter() - started)

    def _record(
        self, instruction: BenchmarkInstruction, completions: list[Completion], hits: int, elapsed: float
    ) -> dict[str, Any]:
        failed = next((c for c in completions if c.error is not None), None)
        answers = [c.text for c in completions]
        record: dict[str, Any] = {
            "id": instruction.id,
            "instruction": instruction.turns[0],
            "output": "" if failed else answers[-1],
            "generator": self.name,
            "dataset": self.dataset,
        }
        if instruction.category is not None:
            record["category"] = instruction.category
        if len(instruction.turns) > 1:
            record["turns"] = answers
        record["status"] = "backend_error" if failed else "ok"
        if failed is not None:
            record["error"] = failed.error
        record["provenance"] = {
            "setup": self.setup(),
            "instruction_sha256": instruction_sha256(instruction),
            "prompt_tokens": [c.prompt_tokens for c in completions],
            "completion_tokens": [c.completion_tokens for c in completions],
            "finish_reasons": [c.finish_reason for c in completions],
            "cache_hits": hits,
            "elapsed_s": round(elapsed, 4),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "autoj": __version__,
        }
        tally(self.stats, record)
        return record

    async def stream(self, instructions: Iterable[BenchmarkInstruction]) -> AsyncIterator[dict[str, Any]]:
        """Records in the order they finish; at most `concurrency` instructions in flight."""
        self.stats = replace(RunStats(), started=time.perf_counter())
        async with contextlib.aclosing(as_finished(self.answer, instructions, self.concurrency)) as records:
            async for record in records:
                yield record

    async def answer_all(self, instructions: Sequence[BenchmarkInstruction]) -> list[dict[str, Any]]:
        """Every instruction's record, in the instructions' order (no file: Ray workers, scripts)."""
        order = {i.id: n for n, i in enumerate(instructions)}
        records = [record async for record in self.stream(instructions)]
        return sorted(records, key=lambda r: order[r["id"]])


@dataclass(frozen=True)
class GenerationSummary:
    """What one generation run did: counts, tokens and time (the `--json` summary)."""

    output: str
    generator: str
    total: int
    already_done: int
    generated: int
    failures: int
    elapsed_s: float
    generations: int
    cache_hits: int
    prompt_tokens: int
    completion_tokens: int
    failure_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.failures == 0

    @property
    def outputs_per_min(self) -> float:
        return 60.0 * self.generated / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.completion_tokens / self.elapsed_s if self.elapsed_s else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["outputs_per_min"] = round(self.outputs_per_min, 2)
        data["generated_tokens_per_s"] = round(self.tokens_per_s, 2)
        return data


def _earlier_outputs(output: Path, stream: Path, overwrite: bool) -> list[dict[str, Any]]:
    """The records of a finished `.json` output, to resume from; a file autoj did not make (no
    recorded setup) is never overwritten."""
    if overwrite or output == stream or not output.exists():
        return []
    try:
        data = json.loads(output.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, list) or not all(
        isinstance(r, dict) and isinstance((r.get("provenance") or {}).get("setup"), dict) for r in data
    ):
        raise AutojError(
            f"-o {output} exists and is not an output of `autoj generate` (no recorded setup): it is "
            "never overwritten; choose another -o, or --overwrite to replace it"
        )
    return data


def _check_instruction(record: dict[str, Any], instruction: BenchmarkInstruction, where: str) -> None:
    recorded = (record.get("provenance") or {}).get("instruction_sha256")
    if recorded != instruction_sha256(instruction):
        raise AutojError(
            f"{where}: the answer to instruction {instruction.id!r} was made for another text of it: "
            "the instructions changed under the same ids; use --overwrite or choose another -o"
        )


def _write_list(path: Path, records: list[dict[str, Any]]) -> None:
    """The outputs as one JSON list, replacing the file atomically (a kill leaves the old one)."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(records, out, ensure_ascii=False, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


async def generate_to_file(
    generator: Answerer,
    instructions: Sequence[BenchmarkInstruction],
    output: str | Path,
    overwrite: bool = False,
    progress: bool | None = None,
    inputs: Iterable[str | Path] = (),
) -> GenerationSummary:
    """Answer the instructions `output` has no answer for yet, streaming each as it finishes.

    Answers made before (in the stream file, or in a finished `.json` output) count as done when
    their setup and instruction text match this run's; any other setup is refused, not mixed.
    """
    output = check_output(output, inputs)
    stream = stream_path(output)
    earlier = _earlier_outputs(output, stream, overwrite)
    show = sys.stderr.isatty() if progress is None else progress
    setup = generator.setup()
    wanted = {i.id: i for i in instructions}
    reasons: Counter[str] = Counter()
    with ResultsWriter(stream, overwrite=overwrite, setup=setup, inputs=inputs, role="generator") as writer:
        done: dict[str, dict[str, Any]] = {}
        for number, record in read_records(stream):
            if record.get("status") == "ok":
                done.setdefault(str(record["id"]), record)
                if str(record["id"]) in wanted:
                    _check_instruction(record, wanted[str(record["id"])], f"{stream}:{number}")
        streamed = set(done)
        for number, record in enumerate(earlier, start=1):
            key = str(record.get("id"))
            if key in done or record.get("status") != "ok":
                continue
            writer.check_setup(setup_of(record["provenance"]), f"{output} record {number}")
            if key in wanted:
                _check_instruction(record, wanted[key], f"{output} record {number}")
            done[key] = record
        todo = [i for i in instructions if i.id not in done]
        if todo or streamed:  # a finished output that has every answer stays as it is
            for key, record in done.items():
                if key not in streamed:
                    writer.write_record(record)  # the stream holds every answer from here on
            with progress_bar(show, "generating") as bar:
                task = bar.add_task("generating", total=len(todo))
                async for record in generator.stream(todo):
                    writer.write_record(record)
                    if record["status"] == "ok":
                        done[record["id"]] = record
                    else:
                        reasons[str(record.get("error") or "no reason given").splitlines()[0][:160]] += 1
                    bar.advance(task)
            finished = all(i.id in done for i in instructions)
            if finished and output != stream:
                order = [i.id for i in instructions] + [k for k in done if k not in wanted]
                _write_list(output, [done[k] for k in order])
                with contextlib.suppress(OSError):
                    stream.unlink()
        else:
            finished = True
    stats = generator.stats
    return GenerationSummary(
        output=str(output if finished else stream),
        generator=generator.name,
        total=len(instructions),
        already_done=len(instructions) - len(todo),
        generated=len(todo),
        failures=stats.failures,
        elapsed_s=round(stats.elapsed(), 3),
        generations=stats.generations,
        cache_hits=stats.cache_hits,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        failure_reasons=dict(reasons.most_common()),
    )
