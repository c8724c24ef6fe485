"""Evidence changes for what-if: set a metric, add or date a document, complete a task, declare N/A.

A change is data (from a changes file, the command line, or a rule kind's remedy); `apply_changes`
returns a new bundle and never touches the one it was given, so a what-if is the normal engine
scoring a changed copy, not a second evaluator.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag, model_validator

from engine.core.base import Frozen
from engine.core.vnformat import format_date, format_number
from engine.model.evidence import Bundle, Document, Metric, NotApplicable, Number, OptDate

ASSUMED = "giả định khi tính thử"


class ChangeError(ValueError):
    """A change that cannot be applied to this bundle (unknown task, adding to a missing metric)."""


class SetMetric(Frozen):
    """Give a metric a value, or add to its current value: {metric: results_digitized, value: 131} or {add: 23}."""

    metric: str = Field(min_length=1)
    value: Number | None = None
    add: Number | None = None

    @model_validator(mode="after")
    def _one(self) -> "SetMetric":
        if (self.value is None) == (self.add is None):
            raise ValueError("thay đổi chỉ số cần đúng một trong hai khóa: value (giá trị mới) hoặc add (số cộng thêm)")
        if self.value is not None and self.value < 0:
            raise ValueError(f"giá trị mới của chỉ số '{self.metric}' không được âm")
        return self

    def describe(self, labels: dict[str, str]) -> str:
        name = labels.get(self.metric, self.metric)
        if self.add is not None:
            return f"{name}: cộng thêm {format_number(self.add)}"
        return f"{name}: {format_number(self.value)}"


class AddDocument(Frozen):
    """A document of a kind issued on a day; `replace` drops the documents of that kind already listed (to re-date)."""

    document: str = Field(min_length=1)
    issued: OptDate = Field(None, description="Default: the as-of date of the evidence")
    number: str | None = None
    title: str | None = None
    replace: bool = False

    def describe(self, labels: dict[str, str]) -> str:
        verb = "Đổi ngày ban hành" if self.replace else "Ban hành"
        when = f" ngày {format_date(self.issued)}" if self.issued else " (ngày chốt số liệu)"
        return f"{verb} {labels.get(self.document, self.document)}{when}"


class CompleteTask(Frozen):
    """A plan task finished on a day (default: the as-of date of the evidence)."""

    task: str = Field(min_length=1)
    done: OptDate = None

    def describe(self, labels: dict[str, str]) -> str:
        when = f" ngày {format_date(self.done)}" if self.done else ""
        return f"Hoàn thành nhiệm vụ kế hoạch số {self.task}{when}"


class DeclareNotApplicable(Frozen):
    """The unit declares a criterion not applicable, with who and why."""

    not_applicable: str = Field(min_length=1)
    justification: str = Field(ASSUMED, min_length=1)
    by: str = Field("tính thử", min_length=1)

    def describe(self, labels: dict[str, str]) -> str:
        return f"Khai báo tiêu chí {self.not_applicable} không áp dụng ({self.justification})"


_KINDS: tuple[tuple[str, type[Frozen]], ...] = (
    ("metric", SetMetric), ("document", AddDocument), ("task", CompleteTask), ("not_applicable", DeclareNotApplicable))
CHANGE_KEYS = tuple(key for key, _ in _KINDS)


def _tag(value: Any) -> str | None:
    if isinstance(value, Frozen):
        return next(key for key, kind in _KINDS if isinstance(value, kind))
    if isinstance(value, dict):
        for key, _ in _KINDS:
            if key in value:
                return key
    return None


Change = Annotated[Union[tuple(Annotated[kind, Tag(key)] for key, kind in _KINDS)],
                   Discriminator(_tag, custom_error_type="change_kind",
                                 custom_error_message="mỗi thay đổi cần một trong các khóa: " + ", ".join(CHANGE_KEYS))]


class ChangeList(Frozen):
    """What a changes file holds: {changes: [...]} (a bare list is accepted too)."""

    changes: list[Change] = Field(default_factory=list)


class Remedy(Frozen):
    """The smallest evidence change a rule names for a step of points, computed from the rule itself.

    `points` is what the rule gives once `changes` are in the evidence; done after `due`, the rule
    gives only `late_points`. `words` is the change as a person reads it.
    """

    points: float
    changes: list[Change]
    words: str
    due: date | None = None
    late_points: float | None = None


def change_words(changes: list[Change], labels: dict[str, str]) -> str:
    return "; ".join(change.describe(labels) for change in changes)


def apply_changes(bundle: Bundle, changes: list[Change], as_of: date | None = None) -> Bundle:
    """A copy of the bundle with the changes applied in order (and another as-of date, if given)."""
    documents = list(bundle.documents)
    metrics = list(bundle.metrics)
    tasks = list(bundle.plan_tasks)
    declared = list(bundle.not_applicable)
    when = as_of or bundle.as_of
    for change in changes:
        if isinstance(change, SetMetric):
            found = [m for m in metrics if m.name == change.metric]
            if change.add is not None:
                if len(found) != 1:
                    raise ChangeError(f"không cộng thêm được vào chỉ số '{change.metric}': "
                                      + ("chưa có trong minh chứng" if not found else f"có {len(found)} giá trị"))
                value = found[0].value + change.add
                if value < 0:
                    raise ChangeError(f"chỉ số '{change.metric}' thành số âm ({format_number(value)}) sau khi cộng thêm")
            else:
                value = change.value
            period = found[0].period if found else None
            metrics = [m for m in metrics if m.name != change.metric]
            metrics.append(Metric(name=change.metric, value=value, period=period, source=ASSUMED))
        elif isinstance(change, AddDocument):
            if change.replace:
                documents = [d for d in documents if d.kind != change.document]
            documents.append(Document(kind=change.document, issue_date=change.issued or when, number=change.number,
                                      title=change.title))
        elif isinstance(change, CompleteTask):
            if not any(t.id == change.task for t in tasks):
                raise ChangeError(f"không có nhiệm vụ kế hoạch số '{change.task}' trong minh chứng")
            tasks = [t.model_copy(update={"status": "hoàn thành", "done_date": change.done or when})
                     if t.id == change.task else t for t in tasks]
        else:
            declared = [d for d in declared if d.criterion != change.not_applicable]
            declared.append(NotApplicable(criterion=change.not_applicable, justification=change.justification,
                                          by=change.by))
    return bundle.model_copy(update={"documents": documents, "metrics": metrics, "plan_tasks": tasks,
                                     "not_applicable": declared, "as_of": when})


def changed_metrics(changes: list[Change]) -> set[str]:
    return {c.metric for c in changes if isinstance(c, SetMetric)}
