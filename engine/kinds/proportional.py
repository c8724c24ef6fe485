"""proportional: points = ratio × max, and 0 below an optional floor; with a target, full points from the target up."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from engine.core.problems import Problem, invalid
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    EPS,
    Boundary,
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
from engine.model.criteria import Tier, ValueRef


class ProportionalRule(RuleKind):
    """Points = ratio × max, and 0 below an optional floor; with `target`, full points at or above the target and
    value / target × max below it."""

    kind: Literal["proportional"]
    value: ValueRef
    floor: float | None = Field(None, ge=0, le=100, description="% below which the points are 0")
    target: float | None = Field(
        None, gt=0, description="Full points at or above this value; below it, value / target × max (any value, "
                                "not only a %)")

    @model_validator(mode="after")
    def _percent(self) -> "ProportionalRule":
        if self.target is None and not self.value.is_percent:
            raise invalid("quy tắc tỷ lệ (proportional) cần một tỷ lệ %: ratio hoặc plan_tasks: completed_pct "
                          "(hoặc một mức chỉ tiêu target)", code="criteria.proportional_percent")
        if self.target is not None and self.value.is_percent and self.target > 100:
            raise invalid(f"chỉ tiêu {format_number(self.target)}% vượt 100%", code="criteria.target_above_100")
        if self.target is not None and self.floor is not None and self.floor > self.target:
            raise invalid(f"ngưỡng tối thiểu (floor) {format_number(self.floor)} lớn hơn chỉ tiêu (target) "
                          f"{format_number(self.target)}", code="criteria.floor_above_target")
        return self

    @property
    def _unit(self) -> str:
        return "%" if self.value.is_percent else ""

    def _show(self, value: float) -> str:
        return format_number(value) + self._unit

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        reading = read_value(self.value, ctx)
        value, observed, ratio = reading.value, reading.observed, reading.ratio
        findings = list(reading.findings)
        if self.target is not None:
            return self._to_target(max_points, value, observed, ratio, findings)
        shortfall = (ratio[1] - ratio[0]) if ratio else None
        if self.floor is not None and value < self.floor:
            return Outcome(0, "fail", f"tỷ lệ {pct(value)} dưới ngưỡng {pct(self.floor)} → 0 điểm",
                           observed, refs_of(observed), findings=findings, shortfall=shortfall)
        points = max_points * value / 100
        return Outcome(points, status_for(points, max_points),
                       f"{pct(value)} × {format_number(max_points)} điểm = {format_number(points)} điểm", observed,
                       refs_of(observed), findings=findings, shortfall=shortfall or None)

    def _to_target(self, max_points: float, value: float, observed, ratio, findings) -> Outcome:
        target = self.target
        if value >= target - EPS:
            return Outcome(max_points, "pass", f"{self._show(value)} đạt chỉ tiêu {self._show(target)} → "
                                               f"trọn {format_number(max_points)} điểm", observed, refs_of(observed),
                           findings=findings)
        shortfall = None
        if ratio:
            shortfall = max(0.0, math.ceil(target * ratio[1] / 100 - EPS) - ratio[0])
        elif self.value.metric:
            shortfall = max(0.0, math.ceil(target - EPS) - value)
        if self.floor is not None and value < self.floor:
            return Outcome(0, "fail", f"{self._show(value)} dưới ngưỡng {self._show(self.floor)} → 0 điểm", observed,
                           refs_of(observed), findings=findings, shortfall=shortfall)
        points = max_points * value / target
        return Outcome(points, status_for(points, max_points),
                       f"{self._show(value)} / chỉ tiêu {self._show(target)} × {format_number(max_points)} điểm = "
                       f"{format_number(points)} điểm", observed, refs_of(observed), findings=findings,
                       shortfall=shortfall or None)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        floor = f"; dưới {self._show(self.floor)} → 0 điểm" if self.floor is not None else ""
        if self.target is not None:
            return (f"Theo {self.value.describe(labels)}: từ {self._show(self.target)} trở lên → "
                    f"{format_number(max_points)} điểm; dưới mức đó điểm = giá trị / {self._show(self.target)} × "
                    f"{format_number(max_points)} điểm{floor}")
        return f"Điểm = {self.value.describe(labels)} × {format_number(max_points)} điểm{floor}"

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        if self.target is not None:
            return f"từ {self._show(self.target)} trở lên để đạt {format_number(max_points)} điểm"
        return "100% để đạt " + format_number(max_points) + " điểm"

    def evidence(self) -> list[EvidenceUse]:
        return value_uses(self.value, ("value",))

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return []  # the points are a share of the maximum, never above it

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        """Two steps: just over the floor (if below it), and full points (100%, or the target); the points are the
        rule's formula at the new value."""
        spans = [Span(self.floor, True, None, False)] if self.floor is not None else []
        full = Span(100, True, 100, True) if self.target is None else Span(self.target, True, None, False)
        found = []
        for span in spans + [full]:
            fix = reach(self.value, ctx, [span])
            if fix is None or not fix.changes:
                continue
            points = max_points * min(1.0, fix.value / self.target) if self.target is not None else max_points * fix.value / 100
            found.append(Remedy(points=points, changes=fix.changes, words=sentence(fix.words)))
        return found
    def boundaries(self) -> list[Boundary]:
        """With a target: the target itself (full points) and the values just below it (a share)."""
        if self.target is None:
            return []
        full = Tier(min=self.target, points=0, label=f"từ {self._show(self.target)} (trọn điểm)")
        share = Tier(min=self.floor, max=self.target, points=0, label=f"dưới {self._show(self.target)} (theo tỷ lệ)")
        return [Boundary(self.value, self.target, full, share)]
