"""Every listed condition holds: {all_of: [...]}."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine.kinds.base import JoinedCondition, combine_all


class AllOf(JoinedCondition):
    keys: ClassVar[tuple[str, ...]] = ("all_of",)
    tag: ClassVar[str] = "cond_all"
    joiner: ClassVar[str] = " và "
    combine = staticmethod(combine_all)

    all_of: list["Condition"] = Field(min_length=1)  # noqa: F821 - the union of all kinds, bound by the registry
