"""The Auto-J scenario taxonomy: 58 scenarios in 8 groups, and the names old data uses for them.

The names and their grouping are facts of the released Auto-J data (arXiv 2310.05470); the
one-line descriptions are ours. `default` is the old name of `others`; `rejecting` and
`peer_review` are retired labels that still appear in the released classifier data.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches

from autoj.errors import AutojError


class UnknownScenarioError(AutojError):
    """A scenario name that is neither one of the 58 nor a known alias."""

    def __init__(self, name: str) -> None:
        close = get_close_matches(name, list(SCENARIOS), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown scenario {name!r}{hint}; run `autoj scenarios` to list the 58 names")
        self.name = name


class RetiredScenarioError(UnknownScenarioError):
    """A label the Auto-J authors dropped from the taxonomy; old data still carries it."""

    def __init__(self, name: str) -> None:
        AutojError.__init__(
            self,
            f"scenario {name!r} was retired from the Auto-J taxonomy; pass map_retired=True "
            f"to fold it into {RETIRED[name]!r}",
        )
        self.name = name


@dataclass(frozen=True)
class Scenario:
    """One scenario: its name, the group it belongs to, and what kind of query it covers."""

    name: str
    group: str
    description: str


# group -> {scenario: description}; order is the paper's group order.
_TAXONOMY: dict[str, dict[str, str]] = {
    "Summarization": {
        "post_summarization": (
            "Condense a social-media or forum post (e.g. from Reddit) into a short summary."
        ),
        "text_summarization": "Summarise a supplied passage, article or document.",
        "note_summarization": "Turn a supplied text into compact notes or bullet points.",
    },
    "Exam Questions": {
        "math_reasoning": "Work out a mathematics problem with the reasoning shown step by step.",
        "solving_exam_question_with_math": (
            "Answer a test-style question (choice, blank, problem) that needs calculation."
        ),
        "solving_exam_question_without_math": (
            "Answer a test-style question (choice, blank, true/false) that needs no calculation."
        ),
    },
    "Code": {
        "code_simplification": (
            "Make existing code shorter, clearer or easier to maintain without changing what it does."
        ),
        "code_generation": "Write new code that implements a described behaviour.",
        "explaining_code": "Explain what a given piece of code does and how.",
        "code_correction_rewriting": ("Fix bugs in given code or rewrite it to meet new requirements."),
        "code_to_code_translation": "Port given code from one programming language to another.",
    },
    "Rewriting": {
        "text_simplification": (
            "Rewrite a text in plainer words and simpler sentences, keeping its meaning."
        ),
        "language_polishing": "Improve the fluency, wording and style of a supplied text.",
        "instructional_rewriting": (
            "Rewrite a supplied text following a specific instruction (tone, length, form)."
        ),
        "text_correction": "Find and fix grammar, spelling or factual errors in a supplied text.",
        "paraphrasing": "Say the same thing as a supplied text in different words.",
    },
    "Creative Writing": {
        "writing_song_lyrics": "Write lyrics for a song.",
        "writing_social_media_post": ("Write a post for a social network such as X, Instagram or LinkedIn."),
        "writing_blog_post": "Write an article for a blog.",
        "writing_personal_essay": "Write an essay grounded in personal experience or reflection.",
        "creative_writing": "Write fiction, poetry, drama or another imaginative piece.",
        "writing_advertisement": "Write an advertisement that promotes a product or service.",
        "writing_marketing_materials": (
            "Write marketing copy (slogans, brochures, campaigns) for a brand or offer."
        ),
        "writing_presentation_script": ("Write a script for a speech or presentation delivered aloud."),
        "counterfactual": "Answer or write under a hypothetical, contrary-to-fact premise.",
    },
    "Functional Writing": {
        "writing_product_description": (
            "Describe a product or service for buyers: what it is and why it helps."
        ),
        "writing_job_application": "Write a cover letter or other material for a job application.",
        "writing_news_article": "Write a news report in journalistic style.",
        "writing_biography": "Write an account of a person's life.",
        "writing_email": "Write an email for a given purpose and recipient.",
        "writing_legal_document": "Draft a contract, policy, notice or other legal text.",
        "writing_technical_document": ("Write documentation of a technical product, system or concept."),
        "writing_scientific_paper": "Write a research paper or a section of one.",
        "functional_writing": (
            "Write a practical document (report, proposal, memo, letter, survey, plan) not covered elsewhere."
        ),
        "writing_cooking_recipe": "Write a recipe with ingredients and preparation steps.",
    },
    "General Communication": {
        "asking_how_to_question": ("Explain how to do something, as instructions the user can follow."),
        "open_question": "Answer an open-domain question that comes with no passage to read.",
        "analyzing_general": "Analyse a topic, issue, situation or text the user brings.",
        "explaining_general": ("Explain a concept, event or phenomenon the user wants to understand."),
        "seeking_advice": "Give advice on a personal, professional or practical situation.",
        "recommendation": ("Recommend items (books, products, places, tools) that fit the user's needs."),
        "value_judgement": "Give a reasoned opinion or judgement on a topic or statement.",
        "verifying_fact": "Check whether a stated claim is true and say why.",
        "chitchat": "Hold a casual, friendly conversation.",
        "roleplay": "Act as a given character, person or profession and respond in that role.",
        "planning": "Make a plan or schedule for an event, trip, project or activity.",
        "brainstorming": "Generate many ideas or options around a topic.",
    },
    "NLP Tasks": {
        "ranking": "Order given items by a stated criterion.",
        "text_to_text_translation": "Translate a text from one natural language to another.",
        "data_analysis": "Analyse data (tables, numbers, records) the user provides.",
        "classification_identification": ("Assign given items to categories or identify what they are."),
        "title_generation": "Propose a title for a text or a described work.",
        "question_generation": "Write questions about a topic or a supplied text.",
        "reading_comprehension": "Answer questions from a supplied passage.",
        "keywords_extraction": "Pull the key words or phrases out of a supplied text.",
        "information_extraction": "Extract specified pieces of information from a supplied text.",
        "topic_modeling": "Name the main topics or themes a supplied text discusses.",
        "others": "Any query that fits none of the other scenarios.",
    },
}

SCENARIOS: dict[str, Scenario] = {
    name: Scenario(name=name, group=group, description=description)
    for group, members in _TAXONOMY.items()
    for name, description in members.items()
}
"""The 58 scenarios by name, in the paper's group order."""

GROUPS: dict[str, tuple[str, ...]] = {group: tuple(members) for group, members in _TAXONOMY.items()}
"""The 8 groups and their scenario names."""

ALIASES: dict[str, str] = {"default": "others"}
"""Old names that mean a current scenario."""

RETIRED: dict[str, str] = {"rejecting": "others", "peer_review": "others"}
"""Labels the authors dropped, and the scenario `map_retired=True` folds them into."""


def normalize_scenario(name: str, *, map_retired: bool = False) -> str:
    """The current name for `name` (case and spaces forgiven); aliases like `default` resolve.

    Retired labels raise RetiredScenarioError unless `map_retired` folds them into `others`,
    so data that still carries them is handled on purpose, not by accident.
    """
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key in SCENARIOS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    if key in RETIRED:
        if map_retired:
            return RETIRED[key]
        raise RetiredScenarioError(key)
    raise UnknownScenarioError(name)


def group_of(name: str, *, map_retired: bool = False) -> str:
    """The group of a scenario (aliases accepted), e.g. `group_of("default") == "NLP Tasks"`."""
    return SCENARIOS[normalize_scenario(name, map_retired=map_retired)].group
