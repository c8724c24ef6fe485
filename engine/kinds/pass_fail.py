"""pass_fail: full points (or `points_pass`) when one condition holds, else `points_fail`."""

from __future__ import annotations

from typing import Literal

from engine.core.problems import Problem
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    Context,
    EvidenceUse,
    Outcome,
    RuleKind,
    combine_all,
    conditions_outcome,
    conditions_remedy,
    points_over,
)
from engine.kinds.conditions import Condition
from engine.model.changes import Remedy


class PassFailRule(RuleKind):
    """Full points when the condition holds, else `points_fail` (default 0)."""

    kind: Literal["pass_fail"]
    condition: Condition
    points_pass: float | None = None
    points_fail: float = 0

    def _pass(self, max_points: float) -> float:
        return max_points if self.points_pass is None else self.points_pass

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        return conditions_outcome([self.condition], ctx, combine_all, self._pass(max_points), self.points_fail, max_points)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        return (f"Đạt khi {self.condition.describe(labels)}: {format_number(self._pass(max_points))} điểm; "
                f"không đạt: {format_number(self.points_fail)} điểm")

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return self.condition.describe(labels)

    def evidence(self) -> list[EvidenceUse]:
        return [use._replace(loc=("condition",) + use.loc) for use in self.condition.evidence()]

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return (points_over(top, owner, doc, loc + ("points_pass",), self.points_pass)
                + points_over(top, owner, doc, loc + ("points_fail",), self.points_fail))

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        return conditions_remedy(self.condition.fixes(ctx, True), self._pass(max_points), self.points_fail)

    def describe_penalty(self, max_points: float, labels: dict[str, str]) -> str:
        return f"Bị trừ {format_number(self._pass(max_points))} điểm khi {self.condition.describe(labels)}"
