"""A value compared with a target: {metric: so_hop, op: ">=", target: 2}, or a ratio or plan-task measure."""

from __future__ import annotations

from typing import ClassVar

from engine.core.vnformat import format_number
from engine.kinds.base import (
    EPS,
    ConditionKind,
    CondResult,
    Context,
    EvidenceUse,
    Fix,
    MissingEvidence,
    op_spans,
    reach,
    read_value,
    value_uses,
)
from engine.model.criteria import OP_WORDS, Op, ValueRef


class CompareCondition(ValueRef, ConditionKind):
    """A value compared with a target, e.g. {ratio: [online, received], op: ">", target: 50}."""

    keys: ClassVar[tuple[str, ...]] = ("metric", "ratio", "plan_tasks")
    tag: ClassVar[str] = "cond_compare"

    op: Op
    target: float

    def ref(self) -> ValueRef:
        """The value alone (this model is a ValueRef with an operator and a target)."""
        return ValueRef(metric=self.metric, ratio=self.ratio, plan_tasks=self.plan_tasks)

    def describe(self, labels: dict[str, str]) -> str:
        value = self.ref()
        unit = "%" if value.is_percent else ""
        name = value.describe(labels)
        if self.op == ">=":
            return f"{name} từ {format_number(self.target)}{unit} trở lên"
        return f"{name} {OP_WORDS[self.op]} {format_number(self.target)}{unit}"

    def check(self, ctx: Context) -> CondResult:
        text = self.describe(ctx.labels)
        try:
            reading = read_value(self.ref(), ctx)
        except MissingEvidence as exc:
            return CondResult(None, text, [], exc.findings, [exc.what])
        value, target = reading.value, self.target
        result = {">": value > target, ">=": value >= target, "<": value < target, "<=": value <= target,
                  "==": abs(value - target) <= EPS, "!=": abs(value - target) > EPS}[self.op]
        return CondResult(result, text, reading.observed, list(reading.findings))

    def evidence(self) -> list[EvidenceUse]:
        return value_uses(self.ref(), ())

    def fixes(self, ctx: Context, want: bool = True) -> Fix | None:
        return reach(self.ref(), ctx, op_spans(self.op, self.target, want))
