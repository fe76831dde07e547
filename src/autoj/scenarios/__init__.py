"""Scenarios: the Auto-J 58-scenario / 8-group taxonomy, evaluation criteria, and a classifier.

- Taxonomy: `SCENARIOS`, `GROUPS`, `group_of`, `normalize_scenario` (`default` -> `others`;
  the retired `rejecting` / `peer_review` raise unless `map_retired=True`).
- Criteria: `criteria_for(scenario)`, `format_criteria(scenario)` from our YAML files;
  `load_authors_criteria(dir)` reads the authors' own files.
- Classifier: `Classifier().predict(queries)` (shipped: all-MiniLM-L6-v2 from its package plus
  our fine-tuned top layers, averaged with the TF-IDF model, run by numpy on the CPU, offline;
  `Classifier(kind="tfidf")`: the TF-IDF + linear model alone, much faster),
  `LLMClassifier(backend)` (the authors' prompt through any backend), `evaluate_classifier`.
"""

from autoj.scenarios._authors import (
    AUTHORS_CRITERIA_DIR,
    AuthorsCriteria,
    AuthorsScenario,
    load_authors_criteria,
)
from autoj.scenarios._criteria import (
    CriteriaTree,
    criteria_for,
    default_criteria,
    load_criteria_tree,
)
from autoj.scenarios._criterion import CRITERION_TYPES, Criterion
from autoj.scenarios._errors import (
    CriteriaCycleError,
    CriteriaError,
    DuplicateCriterionError,
    UnknownBaseError,
)
from autoj.scenarios._evaluate import (
    ClassifierReport,
    LabelledQuery,
    Scores,
    evaluate_classifier,
    load_labelled_queries,
)
from autoj.scenarios._format import format_criteria
from autoj.scenarios._linear import Classifier, ModelFileError, classify_query
from autoj.scenarios._llm import LLMClassifier
from autoj.scenarios._prediction import ClassificationFailure, ScenarioPrediction
from autoj.scenarios._taxonomy import (
    ALIASES,
    GROUPS,
    RETIRED,
    SCENARIOS,
    RetiredScenarioError,
    Scenario,
    UnknownScenarioError,
    group_of,
    normalize_scenario,
)

__all__ = [
    "ALIASES",
    "AUTHORS_CRITERIA_DIR",
    "CRITERION_TYPES",
    "GROUPS",
    "RETIRED",
    "SCENARIOS",
    "AuthorsCriteria",
    "AuthorsScenario",
    "ClassificationFailure",
    "Classifier",
    "ClassifierReport",
    "CriteriaCycleError",
    "CriteriaError",
    "CriteriaTree",
    "Criterion",
    "DuplicateCriterionError",
    "LLMClassifier",
    "LabelledQuery",
    "ModelFileError",
    "RetiredScenarioError",
    "Scenario",
    "ScenarioPrediction",
    "Scores",
    "UnknownBaseError",
    "UnknownScenarioError",
    "classify_query",
    "criteria_for",
    "default_criteria",
    "evaluate_classifier",
    "format_criteria",
    "group_of",
    "load_authors_criteria",
    "load_criteria_tree",
    "load_labelled_queries",
    "normalize_scenario",
]


def __getattr__(name: str) -> object:
    # The llm mode pulls in the backends package; load it only when asked for.
    if name == "LLMClassifier":
        return LLMClassifier
    raise AttributeError(f"module 'autoj.scenarios' has no attribute {name!r}")
