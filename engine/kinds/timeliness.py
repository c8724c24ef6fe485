"""timeliness: one document issued by a deadline, with points for on time, late and missing."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.core.problems import Problem
from engine.core.vnformat import format_date, format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    EPS,
    Aspect,
    Context,
    EvidenceUse,
    Outcome,
    RuleKind,
    deadline_uses,
    document_timing,
    gap_words,
    issue_fix,
    lower_first,
    points_over,
    sentence,
    status_for,
)
from engine.model.changes import Remedy
from engine.model.criteria import MAX_DAYS, DeadlineSpec


class TimelinessRule(RuleKind):
    """A document issued by a deadline: on time / late / missing, each with its points."""

    kind: Literal["timeliness"]
    document: str
    deadline: DeadlineSpec
    grace_days: int = Field(0, ge=0, le=MAX_DAYS, description="Days after the deadline still counted on time")
    on_time_points: float | None = Field(None, ge=0, description="Default: the criterion's max")
    late_points: float = Field(0, ge=0)
    missing_points: float = Field(0, ge=0)

    def _on_time(self, max_points: float) -> float:
        return max_points if self.on_time_points is None else self.on_time_points

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        timing = document_timing(self.document, self.deadline, self.grace_days, ctx)
        document, due, observed, findings = timing.document, timing.due, timing.observed, timing.findings
        label = ctx.label(self.document)
        if timing.state == "not_due":
            when = (f"hạn {format_date(due)} chưa đến" if ctx.as_of < due
                    else f"hạn {format_date(due)} đã qua nhưng còn trong {self.grace_days} ngày cho phép trễ")
            return Outcome(0, "not_due", f"chưa có {label}; {when} (số liệu chốt ngày {format_date(ctx.as_of)})",
                           observed, missing=[label], findings=findings, lists_missing=True)
        if timing.state == "missing":
            return Outcome(self.missing_points, "missing_evidence",
                           f"không có {label}; đã quá hạn {format_date(due)} → {format_number(self.missing_points)} điểm",
                           observed, missing=[label], findings=findings, lists_missing=True)
        refs = [ctx.cite(document)]
        issued = format_date(document.issue_date)
        if timing.state == "on_time":
            on_time = self._on_time(max_points)
            return Outcome(on_time, status_for(on_time, max_points),
                           f"ban hành ngày {issued}, đúng hạn {format_date(due)} → {format_number(on_time)} điểm",
                           observed, refs, findings=findings)
        days = (document.issue_date - due).days
        return Outcome(self.late_points, status_for(self.late_points, max_points),
                       f"ban hành ngày {issued}, trễ {days} ngày so với hạn {format_date(due)} "
                       f"→ {format_number(self.late_points)} điểm", observed, refs, missing=gap_words(findings),
                       findings=findings)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        grace = f" (cho phép trễ {self.grace_days} ngày)" if self.grace_days else ""
        return (f"{labels.get(self.document, self.document)} ban hành không muộn hơn "
                f"{self.deadline.describe(labels=labels)}{grace}: {format_number(self._on_time(max_points))} điểm; "
                f"trễ hạn: {format_number(self.late_points)} điểm; không ban hành: {format_number(self.missing_points)} điểm")

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return f"{labels.get(self.document, self.document)} ban hành không muộn hơn {self.deadline.describe(year, labels)}"

    def evidence(self) -> list[EvidenceUse]:
        return deadline_uses(self.document, self.deadline, (), "document", self.grace_days)

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        problems = [p for field in ("on_time_points", "late_points", "missing_points")
                    for p in points_over(top, owner, doc, loc + (field,), getattr(self, field))]
        on_time = top if self.on_time_points is None else self.on_time_points
        if self.late_points > on_time + EPS:
            problems.append(doc.problem(loc + ("late_points",), f"số điểm khi trễ hạn ({self.late_points:g}) lớn hơn "
                                        f"số điểm khi đúng hạn ({on_time:g}) của '{owner}'", self.late_points,
                                        code="criteria.late_above_on_time"))
        if self.missing_points > self.late_points + EPS:
            problems.append(doc.problem(loc + ("missing_points",), f"số điểm khi không ban hành ({self.missing_points:g}) "
                                        f"lớn hơn số điểm khi trễ hạn ({self.late_points:g}) của '{owner}'",
                                        self.missing_points, code="criteria.missing_above_late"))
        return problems

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        """A document not yet issued, issued now: on time while the deadline holds, else only the late points."""
        timing = document_timing(self.document, self.deadline, self.grace_days, ctx)
        if timing.state not in ("missing", "not_due"):
            return []  # issued already: an issue date cannot be taken back
        fix = issue_fix(self.document, self.deadline, self.grace_days, ctx)
        if ctx.as_of <= fix.due:
            return [Remedy(points=self._on_time(max_points), changes=fix.changes, words=sentence(fix.words), due=fix.due,
                           late_points=self.late_points)]
        words = sentence([f"ban hành {lower_first(ctx.label(self.document))} (đã quá hạn {format_date(fix.due)})"])
        return [Remedy(points=self.late_points, changes=fix.changes, words=words)]

    def diff_aspects(self, labels: dict[str, str]) -> list[Aspect]:
        text = self.deadline.describe()
        return [Aspect("rule.deadline", "hạn", text, text)]

    def diff_rest(self) -> dict[str, Any]:
        rest = super().diff_rest()
        rest.pop("deadline")
        return rest
