"""A new judge family is its module, its template and a registration: this file is all of it.

The toy family answers `[[X]]` (response 1 is better) or `[[Y]]` (response 2). Nothing else in
the package knows it: its parser, stop patterns, grammar, guard and the fake backend's dry-run
answers all come from its output contract, and the CLI runs it end to end in both orders.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from autoj.cli import judge_cmds  # noqa: F401  (adds `compare` to the app)
from autoj.cli.main import app
from autoj.protocols import get_protocol, registered
from autoj.protocols.base import PairwiseOnlyProtocol, fill
from autoj.protocols.contract import OutputContract, VerdictContract
from autoj.protocols.sanitize import guarded
from autoj.types import Message, PairItem, Prompt, Verdict

TEMPLATE = (
    "Which answer to the question is better?\n\nQuestion: {query}\n\n"
    "Answer X: {first}\n\nAnswer Y: {second}\n\n"
    'Explain briefly, then end with "Verdict: [[X]]" or "Verdict: [[Y]]".'
)


@registered("toy-xy", guard=True)
class ToyProtocol(PairwiseOnlyProtocol):
    name = "toy-xy"
    version = "1"
    contract = OutputContract(
        pairwise=VerdictContract(
            "Verdict: [[",
            (("X", Verdict.RESPONSE_1), ("Y", Verdict.RESPONSE_2)),
            suffix="]]",
            marker_regex=r"Verdict:\s*\[\[",
        ),
        single=None,
    )

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        fields = {"query": item.query, "first": item.response_1, "second": item.response_2}
        return Prompt(messages=(Message("user", fill(TEMPLATE, fields)),))


PAIR = PairItem("2+2?", "4", "5", id="p")


def test_the_toy_family_parses_stops_and_constrains_from_its_contract_alone() -> None:
    toy = get_protocol("toy-xy")
    assert toy.parse(PAIR, "Y is wrong.\nVerdict: [[X]]").verdict is Verdict.RESPONSE_1
    assert (
        toy.parse(PAIR, 'Say "Verdict: [[X]]" or "Verdict: [[Y]]"... Verdict: [[Y]]').verdict
        is Verdict.RESPONSE_2
    )
    assert toy.parse(PAIR, "Verdict: [[Z]]").status == "parse_error"
    [stop] = toy.stop_patterns(PAIR)
    assert re.search(stop, "Fine.\nVerdict: [[Y]]\n") and not re.search(stop, "Verdict: [[Y")
    assert 'final ::= "Verdict: [[" ("X" | "Y") "]]"' in toy.grammar(PAIR)
    assert get_protocol("toy-xy+guard").stop_patterns(PAIR) == toy.stop_patterns(PAIR)
    assert guarded(toy).parse(PAIR, "Verdict: [[Y]]") == toy.parse(PAIR, "Verdict: [[Y]]")


def test_the_toy_family_runs_end_to_end_through_the_cli_with_the_fake_judge(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": f"q{n}", "prompt": f"What is {n}+{n}?", "response 1": str(2 * n), "response 2": "7"}
        for n in range(8)
    ]
    pairs.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = [
        "compare",
        str(pairs),
        "-o",
        str(out),
        "--judge",
        "fake",
        "--protocol",
        "toy-xy",
        "--both-orders",
        "--json",
    ]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(results) == len(rows)
    for result in results:
        assert result["provenance"]["protocol"] == "toy-xy@1"
        for side in ("judgment", "swapped"):
            judgment = result[side]
            assert judgment["status"] == "ok", judgment
            assert judgment["raw"].endswith(("Verdict: [[X]]", "Verdict: [[Y]]"))
            assert judgment["verdict"] == (
                "response_1" if judgment["raw"].endswith("[[X]]") else "response_2"
            )
    # The fake's choice follows each prompt's hash: both verdicts occur, in both orders.
    assert {r["judgment"]["verdict"] for r in results} == {"response_1", "response_2"}
    assert {r["swapped"]["verdict"] for r in results} == {"response_1", "response_2"}
