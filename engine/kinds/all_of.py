"""all_of: full points when every listed condition holds."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.kinds.base import JoinedConditionsRule, combine_all
from engine.kinds.conditions import Condition


class AllOfRule(JoinedConditionsRule):
    """Full points when every condition holds."""

    joiner: ClassVar[str] = " và "
    combine = staticmethod(combine_all)

    kind: Literal["all_of"]
    conditions: list[Condition] = Field(min_length=1)
