"""documents: several documents, each with its own deadline; all on time gives full points."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.core.base import Frozen
from engine.core.problems import Problem
from engine.core.vnformat import format_date, format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    Aspect,
    Context,
    EvidenceUse,
    Outcome,
    RuleKind,
    Timing,
    deadline_uses,
    document_timing,
    Fix,
    gap_words,
    issue_fix,
    points_over,
    sentence,
    status_for,
)
from engine.model.changes import Remedy
from engine.model.criteria import DeadlineSpec
from engine.model.results import Observation, Status

_STATE_WORDS = {"on_time": "đúng hạn", "late": "trễ hạn", "missing": "không có (đã quá hạn)", "not_due": "chưa đến hạn"}


class RequiredDocument(Frozen):
    kind: str
    deadline: DeadlineSpec
    label: str | None = None


class DocumentsRule(RuleKind):
    """Several documents each with its own deadline: all on time → full, otherwise `points_otherwise`."""

    kind: Literal["documents"]
    documents: list[RequiredDocument] = Field(min_length=1)
    points_otherwise: float = Field(0, ge=0)

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        timings: list[Timing] = []
        observed: list[Observation] = []
        for required in self.documents:
            label = required.label or ctx.label(required.kind)
            timing = document_timing(required.kind, required.deadline, 0, ctx, label)
            timings.append(timing)
            cited = ctx.cite(timing.document) if timing.document else None
            observed.append(Observation(name=f"{label} (hạn {format_date(timing.due)})",
                                        value=(cited + ", " if cited else "") + _STATE_WORDS[timing.state], ref=cited))
        refs = [o.ref for o in observed if o.ref]
        findings = [f for t in timings for f in t.findings]
        missing = [f for f in findings if f.state == "missing"]
        late = [f for f in findings if f.state == "late"]
        early = [f for f in findings if f.state == "too_early"]
        if not missing and not late:
            pending = [f for f in findings if f.state == "not_due"]
            if pending:
                branch = ("chưa văn bản nào đến hạn" if len(pending) == len(timings)
                          else "các văn bản đã đến hạn đều đúng hạn; còn văn bản chưa đến hạn")
                return Outcome(0, "not_due", branch, observed, refs, missing=gap_words(pending), findings=pending + early)
            return Outcome(max_points, "pass", "tất cả văn bản ban hành đúng hạn", observed, refs, findings=early)
        parts = []
        if missing:
            parts.append("thiếu: " + ", ".join(f.label for f in missing))
        if late:
            parts.append("trễ hạn: " + ", ".join(f.label for f in late))
        status: Status = "missing_evidence" if missing else status_for(self.points_otherwise, max_points)
        return Outcome(self.points_otherwise, status, "; ".join(parts) + f" → {format_number(self.points_otherwise)} điểm",
                       observed, refs, missing=gap_words(missing + late), findings=missing + late + early,
                       lists_missing=not late)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        items = ", ".join(f"{d.label or labels.get(d.kind, d.kind)} (hạn {d.deadline.describe(labels=labels)})"
                          for d in self.documents)
        return (f"Tất cả văn bản đúng hạn: {format_number(max_points)} điểm; thiếu hoặc trễ bất kỳ văn bản nào: "
                f"{format_number(self.points_otherwise)} điểm. Gồm: {items}")

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return "; ".join(f"{d.label or labels.get(d.kind, d.kind)} không muộn hơn {d.deadline.describe(year, labels)}"
                         for d in self.documents)

    def evidence(self) -> list[EvidenceUse]:
        return [use for index, required in enumerate(self.documents)
                for use in deadline_uses(required.kind, required.deadline, ("documents", index), "kind")]

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return points_over(top, owner, doc, loc + ("points_otherwise",), self.points_otherwise)

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        """Every document not yet issued, issued now, while none is late or missing past its deadline."""
        fixes: list[Fix] = []
        for required in self.documents:
            timing = document_timing(required.kind, required.deadline, 0, ctx)
            if timing.state in ("late", "missing"):
                return []  # one late or missing past its deadline keeps the rule at points_otherwise for the year
            if timing.state == "not_due":
                fixes.append(issue_fix(required.kind, required.deadline, 0, ctx, required.label))
        if not fixes:
            return []
        fix = Fix([c for f in fixes for c in f.changes], [w for f in fixes for w in f.words], min(f.due for f in fixes))
        return [Remedy(points=max_points, changes=fix.changes, words=sentence(fix.words), due=fix.due,
                       late_points=self.points_otherwise)]

    def diff_aspects(self, labels: dict[str, str]) -> list[Aspect]:
        text = "; ".join(f"{d.label or labels.get(d.kind, d.kind)}: {d.deadline.describe()}" for d in self.documents)
        return [Aspect("rule.deadline", "hạn", text, text)]

    def diff_rest(self) -> dict[str, Any]:
        rest = super().diff_rest()
        rest["documents"] = [d["kind"] for d in rest["documents"]]
        return rest
