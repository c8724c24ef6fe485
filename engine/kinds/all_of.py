"""all_of: full points when every listed condition holds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.core.problems import Problem
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import Context, EvidenceUse, Outcome, RuleKind, combine_all, conditions_outcome, nested_uses
from engine.kinds.conditions import Condition


class AllOfRule(RuleKind):
    """Full points when every condition holds."""

    kind: Literal["all_of"]
    conditions: list[Condition] = Field(min_length=1)

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        return conditions_outcome(self.conditions, ctx, combine_all, max_points, 0, max_points)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        return f"Đạt {format_number(max_points)} điểm khi " + self.expected(max_points, labels)

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return " và ".join(c.describe(labels) for c in self.conditions)

    def evidence(self) -> list[EvidenceUse]:
        return nested_uses("conditions", self.conditions)

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return []  # full points or none: nothing to check against the maximum
