"""A condition that does not hold: {not: {...}}."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field

from engine.kinds.base import ConditionKind, CondResult, Context, EvidenceUse, Fix


class NotCondition(ConditionKind):
    keys: ClassVar[tuple[str, ...]] = ("not",)
    tag: ClassVar[str] = "cond_not"

    not_: "Condition" = Field(alias="not")  # noqa: F821 - the union of all kinds, bound by the registry

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def describe(self, labels: dict[str, str]) -> str:
        return self.not_.describe_negated(labels)

    def check(self, ctx: Context) -> CondResult:
        inner = self.not_.check(ctx)
        return CondResult(None if inner.value is None else not inner.value, self.describe(ctx.labels), inner.observed,
                          inner.findings, inner.missing, inner.pending)

    def evidence(self) -> list[EvidenceUse]:
        return [use._replace(loc=("not",) + use.loc) for use in self.not_.evidence()]

    def fixes(self, ctx: Context, want: bool = True) -> Fix | None:
        return self.not_.fixes(ctx, not want)
