"""Model evaluation: win rates against a reference, length-controlled, per scenario group.

- `head_to_head(preferences)`: AlpacaEval's raw columns from preferences on its [1, 2] scale.
- `load_annotation_groups(paths)` + `score_groups(groups)`: alpaca_eval annotation files made
  elsewhere scored into leaderboard rows (length-controlled win rate included).
- `load_outputs(path)` + `evaluate_outputs(models, config, results, reference=...)`: judge model
  outputs against a reference's (or rate them alone) with any judge, resumable.
- `read_board` / `update_board`: a leaderboard CSV that many runs add rows to.
"""

from autoj.evaluate.annotations import load_annotation_groups, score_groups
from autoj.evaluate.comparisons import Comparison, read_annotations
from autoj.evaluate.leaderboard import ALPACA_COLUMNS, LeaderboardRow, read_board, update_board
from autoj.evaluate.outputs import OutputFields, load_outputs
from autoj.evaluate.run import EvaluationRun, evaluate_outputs
from autoj.stats.lengthcontrol import LengthControlled, length_controlled
from autoj.stats.winrate import HeadToHead, head_to_head

__all__ = [
    "ALPACA_COLUMNS",
    "Comparison",
    "EvaluationRun",
    "HeadToHead",
    "LeaderboardRow",
    "LengthControlled",
    "OutputFields",
    "evaluate_outputs",
    "head_to_head",
    "length_controlled",
    "load_annotation_groups",
    "load_outputs",
    "read_annotations",
    "read_board",
    "score_groups",
    "update_board",
]
