"""The rule kinds: one module each, listed here once. Adding a kind is one module and one line below.

`Rule` is the union the criteria format accepts as a leaf's or an adjustment's `rule`, told apart by
`kind`; the order is the order of the JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Union, get_args

from pydantic import Field

from engine.kinds.all_of import AllOfRule
from engine.kinds.any_of import AnyOfRule
from engine.kinds.base import RuleKind
from engine.kinds.count import CountRule
from engine.kinds.documents import DocumentsRule
from engine.kinds.manual import ManualRule
from engine.kinds.pass_fail import PassFailRule
from engine.kinds.proportional import ProportionalRule
from engine.kinds.relative import RelativeRule
from engine.kinds.survey import SurveyRule
from engine.kinds.survey_questions import SurveyQuestionsRule
from engine.kinds.tiers import TiersRule
from engine.kinds.timeliness import TimelinessRule

RULE_KINDS: tuple[type[RuleKind], ...] = (
    PassFailRule,
    AllOfRule,
    AnyOfRule,
    TiersRule,
    ProportionalRule,
    TimelinessRule,
    DocumentsRule,
    CountRule,
    SurveyRule,
    SurveyQuestionsRule,
    ManualRule,
    RelativeRule,
)


def kind_name(kind: type[RuleKind]) -> str:
    """The `kind:` value that selects a rule kind in YAML."""
    (name,) = get_args(kind.model_fields["kind"].annotation)
    return name


RULE_KIND_NAMES: tuple[str, ...] = tuple(kind_name(kind) for kind in RULE_KINDS)

Rule = Annotated[Union[RULE_KINDS], Field(discriminator="kind")]


def rule_kind(name: str) -> type[RuleKind]:
    """The registered kind named `name`; an unknown name is an error, never a default kind."""
    for kind in RULE_KINDS:
        if kind_name(kind) == name:
            return kind
    raise KeyError(f"unknown rule kind {name!r}; registered: {', '.join(RULE_KIND_NAMES)}")
