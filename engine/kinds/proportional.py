"""proportional: points = ratio × max, and 0 below an optional floor."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from engine.core.problems import Problem, invalid
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    Context,
    EvidenceUse,
    Outcome,
    RuleKind,
    Span,
    pct,
    reach,
    read_value,
    refs_of,
    sentence,
    status_for,
    value_uses,
)
from engine.model.changes import Remedy
from engine.model.criteria import ValueRef


class ProportionalRule(RuleKind):
    """Points = ratio × max, and 0 below an optional floor."""

    kind: Literal["proportional"]
    value: ValueRef
    floor: float | None = Field(None, ge=0, le=100, description="% below which the points are 0")

    @model_validator(mode="after")
    def _percent(self) -> "ProportionalRule":
        if not self.value.is_percent:
            raise invalid("quy tắc tỷ lệ (proportional) cần một tỷ lệ %: ratio hoặc plan_tasks: completed_pct",
                          code="criteria.proportional_percent")
        return self

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        reading = read_value(self.value, ctx)
        value, observed, ratio = reading.value, reading.observed, reading.ratio
        shortfall = (ratio[1] - ratio[0]) if ratio else None
        findings = list(reading.findings)
        if self.floor is not None and value < self.floor:
            return Outcome(0, "fail", f"tỷ lệ {pct(value)} dưới ngưỡng {pct(self.floor)} → 0 điểm",
                           observed, refs_of(observed), findings=findings, shortfall=shortfall)
        points = max_points * value / 100
        return Outcome(points, status_for(points, max_points),
                       f"{pct(value)} × {format_number(max_points)} điểm = {format_number(points)} điểm", observed,
                       refs_of(observed), findings=findings, shortfall=shortfall or None)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        floor = f"; dưới {pct(self.floor)} → 0 điểm" if self.floor is not None else ""
        return f"Điểm = {self.value.describe(labels)} × {format_number(max_points)} điểm{floor}"

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return "100% để đạt " + format_number(max_points) + " điểm"

    def evidence(self) -> list[EvidenceUse]:
        return value_uses(self.value, ("value",))

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return []  # the points are a share of the maximum, never above it

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        """Two steps: just over the floor (if below it), and 100%; the points are the rule's formula at the new ratio."""
        spans = [Span(self.floor, True, None, False)] if self.floor is not None else []
        found = []
        for span in spans + [Span(100, True, 100, True)]:
            fix = reach(self.value, ctx, [span])
            if fix is None or not fix.changes:
                continue
            found.append(Remedy(points=max_points * fix.value / 100, changes=fix.changes, words=sentence(fix.words)))
        return found
