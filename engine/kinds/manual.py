"""manual: a person scores with a justification and evidence."""

from __future__ import annotations

from typing import ClassVar, Literal

from engine.core.problems import Problem
from engine.core.vnformat import format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import Context, EvidenceUse, Outcome, RuleKind, scored_entry
from engine.model.changes import Remedy


class ManualRule(RuleKind):
    """A person scores with a justification and evidence; `guidance` says how."""

    points_from: ClassVar[Literal["evidence", "manual", "survey"]] = "manual"

    kind: Literal["manual"]
    guidance: str | None = None

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        return scored_entry(ctx.bundle.manual, max_points, criterion, "chấm thủ công")

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        guidance = f". Hướng dẫn: {self.guidance}" if self.guidance else ""
        return f"Chấm thủ công có giải trình và minh chứng, tối đa {format_number(max_points)} điểm" + guidance

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return "điểm chấm có giải trình và minh chứng"

    def evidence(self) -> list[EvidenceUse]:
        return []  # scores are entered per criterion, not named in the catalog

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return []  # the person's points are checked against the maximum when scoring

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        return []  # a person scores this criterion: no change of the evidence decides its points
