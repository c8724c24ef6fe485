"""At least one listed condition holds: {any_of: [...]}."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine.kinds.base import JoinedCondition, combine_any


class AnyOf(JoinedCondition):
    keys: ClassVar[tuple[str, ...]] = ("any_of",)
    tag: ClassVar[str] = "cond_any"
    joiner: ClassVar[str] = " hoặc "
    combine = staticmethod(combine_any)

    any_of: list["Condition"] = Field(min_length=1)  # noqa: F821 - the union of all kinds, bound by the registry
