"""A document of a kind exists, optionally issued by a deadline: {document: ke_hoach, deadline: {...}}."""

from __future__ import annotations

from typing import ClassVar

from engine.kinds.base import NO_CHANGE, ConditionKind, CondResult, Context, EvidenceUse, Fix, deadline_uses, issue_fix
from engine.model.criteria import DeadlineSpec
from engine.model.results import Finding, Observation


class DocumentCondition(ConditionKind):
    """A document of a kind exists (optionally issued by a deadline)."""

    keys: ClassVar[tuple[str, ...]] = ("document",)
    tag: ClassVar[str] = "cond_document"

    document: str
    deadline: DeadlineSpec | None = None

    def _by_deadline(self, labels: dict[str, str]) -> str:
        return f" ban hành không muộn hơn {self.deadline.describe(labels=labels)}" if self.deadline else ""

    def describe(self, labels: dict[str, str]) -> str:
        return f"có {labels.get(self.document, self.document)}" + self._by_deadline(labels)

    def describe_negated(self, labels: dict[str, str]) -> str:
        return f"không có {labels.get(self.document, self.document)}" + self._by_deadline(labels)

    def check(self, ctx: Context) -> CondResult:
        text = self.describe(ctx.labels)
        due = ctx.deadline(self.deadline) if self.deadline is not None else None
        document, observed, early = ctx.document(self.document, due)
        if document is None:
            absent = observed + [Observation(name=ctx.label(self.document), value="không có")]
            if due is not None and ctx.as_of < due:
                pending = Finding(what="document", state="not_due", name=self.document, label=ctx.label(self.document),
                                  expected=due)
                return CondResult(None, text, absent, early + [pending], [pending.text], True)
            return CondResult(False, text, absent, early)
        return CondResult(due is None or document.issue_date <= due, text, observed, early)

    def fixes(self, ctx: Context, want: bool = True) -> Fix | None:
        """Issue the document while its deadline holds; an issued document cannot be taken back."""
        result = self.check(ctx)
        if result.value is want:
            return NO_CHANGE
        if not want:
            return None
        document, _, _ = ctx.document(self.document, ctx.deadline(self.deadline) if self.deadline else None)
        if document is not None:
            return None  # issued, but after the deadline
        fix = issue_fix(self.document, self.deadline, 0, ctx)
        return fix if fix.due is None or ctx.as_of <= fix.due else None

    def evidence(self) -> list[EvidenceUse]:
        if self.deadline is None:
            return [EvidenceUse("document", self.document, ("document",))]
        return deadline_uses(self.document, self.deadline, (), "document")
