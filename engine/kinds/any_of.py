"""any_of: full points when at least one listed condition holds."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.kinds.base import JoinedConditionsRule, combine_any
from engine.kinds.conditions import Condition


class AnyOfRule(JoinedConditionsRule):
    """Full points when at least one condition holds."""

    joiner: ClassVar[str] = " hoặc "
    combine = staticmethod(combine_any)

    kind: Literal["any_of"]
    conditions: list[Condition] = Field(min_length=1)
