"""Make the instruction difficulty that ships with autoj (src/autoj/evaluate/data/).

    PYTHONPATH=src .venv/bin/python scripts/make_alpaca_eval_difficulty.py [ANNOTATIONS_DIR]

How: the 20 public AlpacaEval 2 annotation sets (judge weighted_alpaca_eval_gpt4_turbo, reference
gpt4_1106_preview; ../shared/data/alpaca_eval/annotations by default) are fitted jointly as the
AlpacaEval authors fit their published difficulty: one L1-penalised logistic model of the judge's
preference with, per model, a bias and a length slope (tanh of the standardised length gap) and,
per instruction, one term; the instruction terms are the difficulty
(`autoj.evaluate.difficulty.estimate_difficulty`). The judge's length slope is the median slope of
the models whose raw win rate lies between 25 and 75 (`judge_length_slope`). Rerunning on the same
files writes the same file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from autoj.data.datadir import data_path, missing_data_message
from autoj.evaluate import load_annotation_groups
from autoj.evaluate.difficulty import estimate_difficulty, judge_length_slope
from autoj.evaluate.shipped_difficulty import DATA_FILE, from_fit
from autoj.stats.winrate import head_to_head

ANNOTATIONS = "alpaca_eval/annotations"
ABOUT = (
    "AlpacaEval 2 instruction difficulty estimated by autoj from the 20 public annotation sets "
    "(joint L1 logistic fit: per model a bias and a length slope, per instruction a term), by "
    "scripts/make_alpaca_eval_difficulty.py; keys are sha256(instruction.strip())[:16]"
)


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else data_path(ANNOTATIONS)
    if folder is None or not folder.is_dir():
        print(missing_data_message(ANNOTATIONS))
        return 1
    groups = load_annotation_groups(sorted(folder.glob("*.json.gz")), name_from="file")
    first = next(iter(groups.values()))[0]
    fit = estimate_difficulty(groups)
    win_rates = {m: head_to_head([c.preference for c in cs]).win_rate or 0.0 for m, cs in groups.items()}
    instructions = {c.key: c.instruction for cs in groups.values() for c in cs}
    values = from_fit(
        fit.difficulty,
        instructions,
        judge=first.judge or "unknown",
        reference=first.reference,
        length_slope=judge_length_slope(fit, win_rates),
        models=sorted(groups),
        about=ABOUT,
    )
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_text(json.dumps(values.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(
        f"{DATA_FILE}: {len(values.by_hash)} instructions from {len(groups)} models, judge {values.judge}, "
        f"reference {values.reference}, length slope {values.length_slope:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
