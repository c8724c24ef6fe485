"""count: points per counted item, capped."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from engine.core.problems import Problem
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    Context,
    DataProblem,
    EvidenceUse,
    Outcome,
    RuleKind,
    Span,
    count_needed,
    points_over,
    reach,
    read_value,
    refs_of,
    sentence,
    status_for,
    value_uses,
)
from engine.model.changes import Remedy
from engine.model.criteria import ValueRef


class CountRule(RuleKind):
    """Points per counted item, capped at `cap` (default: the criterion's max)."""

    kind: Literal["count"]
    value: ValueRef
    points_per_item: float = Field(gt=0)
    cap: float | None = Field(None, ge=0)

    def _cap(self, max_points: float) -> float:
        return max_points if self.cap is None else min(self.cap, max_points)

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        reading = read_value(self.value, ctx)
        value, observed = reading.value, reading.observed
        cap = self._cap(max_points)
        if value != math.floor(value):
            raise DataProblem(f"số lượng phải là số nguyên, nhận được {format_number(value)}", observed)
        points = min(value * self.points_per_item, cap)
        shortfall = max(0.0, count_needed(cap, self.points_per_item) - value)
        capped = f", tối đa {format_number(cap)}" if value * self.points_per_item > cap else ""
        return Outcome(points, status_for(points, max_points),
                       f"{format_number(value)} × {format_number(self.points_per_item)} điểm{capped} = "
                       f"{format_number(points)} điểm", observed, refs_of(observed), findings=list(reading.findings),
                       shortfall=shortfall or None)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        return (f"{format_number(self.points_per_item)} điểm × {self.value.describe(labels)}, "
                f"tối đa {format_number(self._cap(max_points))} điểm")

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        cap = self._cap(max_points)
        return f"ít nhất {format_number(count_needed(cap, self.points_per_item))} để đạt {format_number(cap)} điểm"

    def evidence(self) -> list[EvidenceUse]:
        return value_uses(self.value, ("value",))

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return points_over(top, owner, doc, loc + ("cap",), self.cap)

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        """One more item, and the count that reaches the cap (one remedy when they are the same)."""
        cap = self._cap(max_points)
        value = read_value(self.value, ctx).value
        targets = sorted({value + 1, float(count_needed(cap, self.points_per_item))})
        found = []
        for target in targets:
            fix = reach(self.value, ctx, [Span(target, True, None, False)])
            if fix is not None and fix.changes and fix.value is not None:
                found.append(Remedy(points=min(fix.value * self.points_per_item, cap), changes=fix.changes,
                                    words=sentence(fix.words)))
        return found
