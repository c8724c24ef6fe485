"""tiers: points by the band the value falls in ("từ 90% trở lên → 2 điểm"); bands cover the domain exactly once."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field

from engine.core.problems import Problem
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    EPS,
    Aspect,
    Boundary,
    Context,
    DataProblem,
    EvidenceUse,
    Outcome,
    RuleKind,
    Span,
    points_over,
    reach,
    sentence,
    read_value,
    refs_of,
    status_for,
    value_uses,
)
from engine.model.changes import Remedy
from engine.model.criteria import TIER_CODES, Tier, ValueRef, intervals_problems

_LABEL_START = re.compile(r"^\s*(trên|từ)\s+(\d+(?:[.,]\d+)?)")
_LABEL_END = re.compile(r"(đến dưới|dưới|đến)\s+(\d+(?:[.,]\d+)?)\s*%?\s*$")


class TiersRule(RuleKind):
    """Points by the tier the value falls in; tiers must cover the domain with no gap and no overlap."""

    kind: Literal["tiers"]
    value: ValueRef
    tiers: list[Tier] = Field(min_length=1)
    domain: tuple[float, float | None] | None = Field(
        None, description="[low, high] the tiers must cover; default [0, 100] for % values, [0, ∞) for counts")

    def effective_domain(self) -> tuple[float, float | None]:
        if self.domain is not None:
            return self.domain
        return (0.0, 100.0) if self.value.is_percent else (0.0, None)

    @property
    def _unit(self) -> str:
        return "%" if self.value.is_percent else ""

    def _top(self) -> Tier:
        return max(self.tiers, key=lambda t: t.points)

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        reading = read_value(self.value, ctx)
        value, observed, ratio = reading.value, reading.observed, reading.ratio
        matches = [t for t in self.tiers if t.contains(value)]
        if len(matches) != 1:
            raise DataProblem(f"giá trị {format_number(value)}{self._unit} không thuộc đúng một mức của tiêu chí", observed)
        tier = matches[0]
        top = self._top()
        shortfall = None
        if tier.points < top.points:
            needed = _needed_for(top, ratio[1] if ratio else None)
            current = ratio[0] if ratio else value
            if needed is not None:
                shortfall = max(0.0, needed - current)
        branch = f"mức '{tier.describe(self._unit)}' → {format_number(tier.points)} điểm"
        return Outcome(tier.points, status_for(tier.points, max_points), branch, observed, refs_of(observed),
                       findings=list(reading.findings), shortfall=shortfall)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        return f"Theo {self.value.describe(labels)}: " + self._tiers_text()

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        top = self._top()
        return f"{top.describe(self._unit)} để đạt {format_number(top.points)} điểm"

    def evidence(self) -> list[EvidenceUse]:
        return value_uses(self.value, ("value",))

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        problems = [p for index, tier in enumerate(self.tiers)
                    for p in points_over(top, owner, doc, loc + ("tiers", index, "points"), tier.points)]
        return problems + self.coverage_problems(doc, loc)

    def coverage_problems(self, doc: YamlDoc, loc: Loc) -> list[Problem]:
        """Tiers leave no gap and do not overlap over the domain; labels copied from the text match the bounds."""
        low, high = self.effective_domain()
        problems = intervals_problems(self.tiers, low, high, doc, loc + ("tiers",), "các mức (tiers)", self._unit,
                                      TIER_CODES)
        for index, tier in enumerate(self.tiers):
            problems += _label_problems(tier, doc, loc + ("tiers", index))
        return problems

    def _tiers_text(self, arrow_points: str = " điểm") -> str:
        return "; ".join(f"{t.describe(self._unit)} → {format_number(t.points)}{arrow_points}" for t in self.tiers)

    def diff_aspects(self, labels: dict[str, str]) -> list[Aspect]:
        dumped = [t.model_dump(mode="json") for t in self.tiers]
        return [Aspect("rule.tiers", "các mức điểm", dumped, self._tiers_text(""))]

    def diff_rest(self) -> dict[str, Any]:
        rest = super().diff_rest()
        rest.pop("tiers")
        return rest

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        """For each tier above the current points, the smallest move of the value into it (lowest tier first)."""
        found = []
        for tier in sorted(self.tiers, key=lambda t: t.points):
            if tier.points > current + EPS:
                fix = reach(self.value, ctx, [Span.of(tier)])
                if fix is not None and fix.changes:
                    found.append(Remedy(points=tier.points, changes=fix.changes, words=sentence(fix.words)))
        return found

    def boundaries(self) -> list[Boundary]:
        """Values where two tiers meet, with the tier that holds the value and the one just across it."""
        ordered = sorted(self.tiers, key=lambda t: (float("-inf") if t.min is None else t.min, not t.min_inclusive))
        found = []
        for low, high in zip(ordered, ordered[1:]):
            if low.max is None or high.min is None or low.max != high.min:
                continue
            value = low.max
            inside, across = (high, low) if high.contains(value) else (low, high)
            found.append(Boundary(self.value, value, inside, across))
        return found


def _needed_for(tier: Tier, denominator: float | None) -> float | None:
    """The smallest count that reaches a tier: numerator for a ratio, the value for a count."""
    if tier.min is None:
        return 0
    if denominator is None:
        return math.floor(tier.min) + 1 if not tier.min_inclusive and tier.min == math.floor(tier.min) else math.ceil(tier.min)
    exact = tier.min * denominator / 100
    if tier.min_inclusive:
        return math.ceil(exact - EPS)
    return math.floor(exact + EPS) + 1


def _label_problems(tier: Tier, doc: YamlDoc, loc: Loc) -> list[Problem]:
    """A label copied from the official text ("trên 90%") must say what the bounds do, or explanations mislead."""
    if not tier.label:
        return []
    problems = []
    start = _LABEL_START.match(tier.label)
    if start:
        number = float(start.group(2).replace(",", "."))
        strict = start.group(1) == "trên"
        if tier.min != number or tier.min_inclusive == strict:
            problems.append(doc.problem(loc + ("label",), f"nhãn '{tier.label}' không khớp cận dưới: cần min: {number:g}, "
                                                          f"min_inclusive: {'false' if strict else 'true'}", tier.label,
                                        code="criteria.tier_label"))
    end = _LABEL_END.search(tier.label)
    if end:
        number = float(end.group(2).replace(",", "."))
        inclusive = end.group(1) == "đến"
        if tier.max != number or tier.max_inclusive != inclusive:
            problems.append(doc.problem(loc + ("label",), f"nhãn '{tier.label}' không khớp cận trên: cần max: {number:g}, "
                                                          f"max_inclusive: {'true' if inclusive else 'false'}", tier.label,
                                        code="criteria.tier_label"))
    return problems
