"""Every listed condition holds: {all_of: [...]}."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine.kinds.base import CondResult, ConditionKind, Context, EvidenceUse, combine_all, combined, nested_uses


class AllOf(ConditionKind):
    keys: ClassVar[tuple[str, ...]] = ("all_of",)
    tag: ClassVar[str] = "cond_all"

    all_of: list["Condition"] = Field(min_length=1)  # noqa: F821 - the union of all kinds, bound by the registry

    def describe(self, labels: dict[str, str]) -> str:
        return "(" + " và ".join(c.describe(labels) for c in self.all_of) + ")"

    def check(self, ctx: Context) -> CondResult:
        return combined(self.all_of, ctx, self.describe(ctx.labels), combine_all)

    def evidence(self) -> list[EvidenceUse]:
        return nested_uses("all_of", self.all_of)
