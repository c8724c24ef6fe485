"""Results of what-if, remedies, the plan under a budget and the in-year watch: data for the renderers and JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.core.base import Frozen
from engine.model.changes import Change
from engine.model.results import Explanation, ResultDate, Status, UnitResult


class Suggestion(Frozen):
    """The smallest evidence change that recovers a step of points of one criterion, in words and as data."""

    criterion: str
    title: str
    points_before: float
    points_after: float
    words: str = Field(description="The change, as a person reads it")
    text: str = Field(description="The change and its effect in one sentence")
    due: ResultDate | None = Field(None, description="Done after this day, the criterion gets only late_points")
    late_points: float | None = None
    changes: list[Change]


class CriterionChange(Frozen):
    """A node whose points or status differ after the changes, with the explanation after them."""

    id: str
    title: str
    is_leaf: bool
    points_before: float
    points_after: float
    delta: float
    status_before: Status
    status_after: Status
    explanation: Explanation | None = None


class WhatIf(Frozen):
    """One unit before and after a set of evidence changes, both scored by the normal engine and ranked."""

    unit_id: str
    applied: list[Change]
    applied_words: list[str] = Field(description="The applied changes in words")
    before: UnitResult
    after: UnitResult
    changes: list[CriterionChange]
    suggestions: list[Suggestion] = Field(default_factory=list, description="What still recovers points after the changes")


class PlanItem(Frozen):
    """A candidate corrective task: one criterion's best remedy reachable by the cut-off, with its cost."""

    unit_id: str
    criterion: str
    title: str
    text: str
    effort_days: float | None
    lead_days: int | None
    ready: ResultDate | None = Field(None, description="The day it shows in the evidence")
    points_now: float
    points_after: float
    gain: float
    chosen: bool = False
    reason: str | None = Field(None, description="Why it is left out, in words")
    changes: list[Change] = Field(default_factory=list)


class UnitPlan(Frozen):
    unit_id: str
    name: str
    as_of: ResultDate
    by: ResultDate
    budget_days: float
    points_at_cutoff: float = Field(description="The points at the cut-off if nothing is done")
    index_at_cutoff: float | None
    points_gained: float
    index_after: float | None
    index_gained: float | None
    effort_used: float
    marginal_gain_per_day: float = Field(description="Points one more person-day would add")
    chosen: list[PlanItem]
    left_out: list[PlanItem]


class BlockAction(Frozen):
    """A province-wide action: one criterion recovered in every unit that can by the cut-off."""

    criterion: str
    title: str
    units: int
    mean_index_gain: float
    units_up_a_band: int
    effort_days: float | None


class BudgetPlan(Frozen):
    criteria_set: str
    by: ResultDate | None = Field(description="The cut-off; none: each unit's period end")
    budget_days: float
    units: list[UnitPlan]
    by_mean_index: list[BlockAction]
    by_band_moves: list[BlockAction]


WarningKind = Literal["due_soon", "overdue_document", "late_document", "task_overdue", "trend"]
WarningState = Literal["new", "open", "worse", "closed"]


class EarlyWarning(Frozen):
    """One early warning; `key` (unit, criterion, period, kind) stays the same from run to run."""

    key: str
    unit_id: str
    criterion: str
    kind: WarningKind
    period: str
    due: ResultDate | None
    state: WarningState
    message: str
    level: float = Field(0, description="Higher is worse; a warning is repeated only when this grows")


class WatchState(Frozen):
    """What the watch remembers between runs: every warning it has raised, open or closed, by key."""

    warnings: list[EarlyWarning] = Field(default_factory=list)


class UnitOutlook(Frozen):
    unit_id: str
    name: str
    index_now: float | None
    index_if_nothing_changes: float | None
    index_if_all_filed: float | None
    notice: str = Field("", description="A short notice ready to paste into an email or a message (nothing is sent)")


class WatchResult(Frozen):
    as_of: ResultDate
    within_days: int
    cutoff: ResultDate | None = Field(description="The day projected to; none: each unit's period end")
    warnings: list[EarlyWarning]
    units: list[UnitOutlook]
