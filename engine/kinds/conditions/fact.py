"""A yes/no fact the unit attests: {fact: co_a}."""

from __future__ import annotations

from typing import ClassVar

from engine.core.vnformat import format_number
from engine.kinds.base import (
    NO_CHANGE,
    ConditionKind,
    CondResult,
    Context,
    DataProblem,
    EvidenceUse,
    Fix,
    MissingEvidence,
    lower_first,
)
from engine.model.changes import SetMetric
from engine.model.results import Observation


class FactCondition(ConditionKind):
    """A yes/no fact the unit attests in its evidence (a metric whose value is true/1)."""

    keys: ClassVar[tuple[str, ...]] = ("fact",)
    tag: ClassVar[str] = "cond_fact"

    fact: str

    def describe(self, labels: dict[str, str]) -> str:
        return labels.get(self.fact, self.fact)

    def describe_negated(self, labels: dict[str, str]) -> str:
        return f"không đáp ứng: {self.describe(labels)}"

    def check(self, ctx: Context) -> CondResult:
        text = self.describe(ctx.labels)
        try:
            value, observation = ctx.metric(self.fact)
        except MissingEvidence as exc:
            return CondResult(None, text, [], exc.findings, [exc.what])
        if value not in (0, 1):
            raise DataProblem(f"dữ kiện '{self.fact}' phải là có/không (1/0), nhận được {format_number(value)}", [observation])
        shown = Observation(name=observation.name, value="có" if value == 1 else "không", ref=observation.ref)
        return CondResult(value == 1, text, [shown])

    def evidence(self) -> list[EvidenceUse]:
        return [EvidenceUse("fact", self.fact, ("fact",))]

    def fixes(self, ctx: Context, want: bool = True) -> Fix | None:
        """A fact is made true by doing what it attests, then attesting it."""
        if self.check(ctx).value is want:
            return NO_CHANGE
        label = lower_first(self.describe(ctx.labels))
        return Fix([SetMetric(metric=self.fact, value=1.0 if want else 0.0)],
                   [f"bảo đảm {label}" if want else f"chấm dứt tình trạng: {label}"])
