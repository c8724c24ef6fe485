"""The condition kinds: one module each, listed here once. Adding a kind is one module and one line below.

`Condition` is the union the criteria format accepts wherever a condition is written (a rule's
`condition`, `conditions`, a leaf's `applicable_if`, and inside all_of / any_of / not).
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BeforeValidator, Discriminator, Tag

from engine.core.problems import invalid
from engine.kinds.base import ConditionKind
from engine.kinds.conditions.all_of import AllOf
from engine.kinds.conditions.any_of import AnyOf
from engine.kinds.conditions.compare import CompareCondition
from engine.kinds.conditions.document import DocumentCondition
from engine.kinds.conditions.fact import FactCondition
from engine.kinds.conditions.negation import NotCondition

# In the order a mapping is matched (the first kind whose key it has) and the schema lists them. A value
# comparison comes last: it is also what a non-mapping is read as, so its validation reports the mistake.
CONDITION_KINDS: tuple[type[ConditionKind], ...] = (
    AllOf,
    AnyOf,
    NotCondition,
    DocumentCondition,
    FactCondition,
    CompareCondition,
)

# The keys a condition may have, as the error message lists them (simplest first); a test keeps it complete.
CONDITION_KEYS = ("metric", "ratio", "plan_tasks", "fact", "document", "all_of", "any_of", "not")


def _tag(value: Any) -> str:
    if isinstance(value, ConditionKind):
        return value.tag
    if isinstance(value, dict):
        for kind in CONDITION_KINDS:
            if any(key in value for key in kind.keys):
                return kind.tag
    return CONDITION_KINDS[-1].tag


def _some_kind(value: Any) -> Any:
    """A mapping with no key of any condition kind is reported once, with the keys it has."""
    if isinstance(value, dict) and not any(key in value for kind in CONDITION_KINDS for key in kind.keys):
        unknown = [str(key) for key in value if key not in ("op", "target")]
        message = "điều kiện phải có một trong các khóa: " + ", ".join(CONDITION_KEYS)
        if unknown:
            message += "; khóa không nhận ra: " + ", ".join(f"'{key}'" for key in unknown)
        raise invalid(message, code="criteria.condition_form")
    return value


Condition = Annotated[
    Union[tuple(Annotated[kind, Tag(kind.tag)] for kind in CONDITION_KINDS)],
    Discriminator(_tag),
    BeforeValidator(_some_kind),
]

for _kind in CONDITION_KINDS:
    _kind.model_rebuild(_types_namespace={"Condition": Condition})
