"""A criteria-guided judge for general chat models: the generic chat protocol, with the item's
scenario criteria in the system message (as the Auto-J authors guided their GPT-4 teacher).

The scenario comes from the item; an item without one is placed by the shipped scenario classifier.
"""

from __future__ import annotations

from autoj.errors import AutojError
from autoj.protocols.base import load_template
from autoj.protocols.families.chat import ChatProtocol
from autoj.protocols.registry import registered
from autoj.scenarios import classify_query, format_criteria, normalize_scenario
from autoj.types import Item, Message, PairItem, Prompt, SingleItem

GUIDANCE = (
    "\n\nThis query belongs to a kind of request with its own evaluation criteria, listed below with "
    "their weights. Use them, and also look for any other factor that matters for this query.\n\n"
)


def scenario_of(item: Item) -> str:
    """The item's scenario, or the shipped classifier's guess for its query."""
    if item.scenario:
        return item.scenario
    return classify_query(item.query)


@registered("chat+criteria")
class CriteriaChatProtocol(ChatProtocol):
    """`chat` plus the scenario's criteria; same prompts, same markers, same parser. An item's
    scenario must be one of the taxonomy's: its criteria go into the prompt."""

    name = "chat+criteria"
    version = "1"

    def __init__(self) -> None:
        super().__init__()
        self._base_system = load_template("chat_system.txt")

    def scenario_problem(self, scenario: str) -> str | None:
        try:
            normalize_scenario(scenario)
        except AutojError as exc:
            return str(exc)
        return None

    def _guided(self, item: Item, prompt: Prompt) -> Prompt:
        system = self._base_system + GUIDANCE + format_criteria(scenario_of(item))
        return Prompt(messages=(Message("system", system), *prompt.messages[1:]))

    def pairwise_prompt(self, item: PairItem) -> Prompt:
        return self._guided(item, super().pairwise_prompt(item))

    def single_prompt(self, item: SingleItem) -> Prompt:
        return self._guided(item, super().single_prompt(item))
