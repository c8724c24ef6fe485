"""At least one listed condition holds: {any_of: [...]}."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine.kinds.base import CondResult, ConditionKind, Context, EvidenceUse, combine_any, combined, nested_uses


class AnyOf(ConditionKind):
    keys: ClassVar[tuple[str, ...]] = ("any_of",)
    tag: ClassVar[str] = "cond_any"

    any_of: list["Condition"] = Field(min_length=1)  # noqa: F821 - the union of all kinds, bound by the registry

    def describe(self, labels: dict[str, str]) -> str:
        return "(" + " hoặc ".join(c.describe(labels) for c in self.any_of) + ")"

    def check(self, ctx: Context) -> CondResult:
        return combined(self.any_of, ctx, self.describe(ctx.labels), combine_any)

    def evidence(self) -> list[EvidenceUse]:
        return nested_uses("any_of", self.any_of)
