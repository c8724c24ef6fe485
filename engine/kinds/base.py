"""What every rule and condition kind shares: the unit's evidence (Context), what a rule gives (Outcome),
the signals for missing evidence and bad data, and the two base classes each kind module derives from.

A kind is one pydantic model whose fields are its YAML keys and whose methods are everything the
engine does with it: evaluate, describe, say what full points need, name the evidence it reads,
check its points. The methods are abstract, so a kind that lacks one cannot even be created.
Missing evidence is never a pass; impossible data is never turned into points.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar, Literal, NamedTuple

from engine.core.base import Frozen
from engine.core.ids import natural_key
from engine.core.problems import Problem
from engine.core.vnformat import format_date, format_number
from engine.core.yamlsource import Loc, YamlDoc
from engine.model.changes import AddDocument, Change, CompleteTask, Remedy, SetMetric, apply_changes
from engine.model.criteria import DeadlineSpec, Op, Tier, ValueRef
from engine.model.evidence import Bundle, Document, Metric, NotApplicable, PlanTask, ScoreEntry
from engine.model.names import DERIVED_METRICS
from engine.model.results import Finding, Observation, Status

EPS = 1e-9


# ---------------------------------------------------------------- what a kind reports about itself


class EvidenceUse(NamedTuple):
    """One evidence name a kind reads, where it is written (YAML path below the kind) and any deadline it has."""

    what: Literal["document", "metric", "fact"]
    name: str
    loc: Loc
    deadline: DeadlineSpec | None = None
    grace_days: int = 0


class Aspect(NamedTuple):
    """A part of a rule the set diff reports on its own line: compared by `value`, shown as `text`."""

    field: str
    label: str
    value: Any
    text: str | None


class Boundary(NamedTuple):
    """A value of `ref` where the points step: `inside` holds it, `across` is the tier just over the line."""

    ref: ValueRef
    value: float
    inside: Tier
    across: Tier


def value_uses(ref: ValueRef, loc: Loc) -> list[EvidenceUse]:
    """The metrics a value reads: a metric, or the two of a ratio (plan tasks need no name)."""
    if ref.metric:
        return [EvidenceUse("metric", ref.metric, loc + ("metric",))]
    return [EvidenceUse("metric", name, loc + ("ratio", index)) for index, name in enumerate(ref.ratio or ())]


def nested_uses(key: str, conditions: list[ConditionKind]) -> list[EvidenceUse]:
    """The uses of a list of conditions, with their paths below `key`."""
    return [use._replace(loc=(key, index) + use.loc) for index, condition in enumerate(conditions)
            for use in condition.evidence()]


def deadline_uses(name: str, spec: DeadlineSpec, at: Loc, name_key: str, grace_days: int = 0) -> list[EvidenceUse]:
    """A document (named at `at` + `name_key`) with its deadline, then the document the deadline counts from."""
    uses = [EvidenceUse("document", name, at + (name_key,), spec, grace_days)]
    if spec.after_document:
        uses.append(EvidenceUse("document", spec.after_document, at + ("deadline", "after_document")))
    return uses


def points_over(top: float, owner: str, doc: YamlDoc, loc: Loc, value: float | None) -> list[Problem]:
    """A number of points above the item's maximum (the smallest maximum over its unit levels)."""
    if value is not None and value > top + EPS:
        return [doc.problem(loc, f"số điểm {value:g} vượt điểm tối đa {top:g} của '{owner}'", value,
                            code="criteria.points_above_max")]
    return []


# ---------------------------------------------------------------- evidence problems


class MissingEvidence(Exception):
    def __init__(self, findings: list[Finding]):
        self.findings = findings

    @property
    def what(self) -> str:
        return ", ".join(f.text for f in self.findings)


class DataProblem(Exception):
    def __init__(self, message: str, observed: list[Observation] | None = None):
        self.message = message
        self.observed = observed or []


class ZeroDenominator(Exception):
    def __init__(self, name: str, observed: list[Observation]):
        self.name = name
        self.observed = observed


# ---------------------------------------------------------------- outcome


@dataclass
class Outcome:
    """What a rule gave; `shortfall` is how many more items would reach full points, if countable.

    `findings` are the evidence items behind a lost point, as data; `missing` names the ones still to
    supply or issue on time, in words (one entry per need: a ratio missing both its numbers is one).
    `rule` and `expected` are the rule's words, filled in by `RuleKind.score`. `says_status` and
    `lists_missing` say what the branch sentence already contains (see results.Explanation).
    """

    points: float
    status: Status
    branch: str
    observed: list[Observation] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    shortfall: float | None = None
    applicable: bool = True
    rule: str = ""
    expected: str = ""
    says_status: bool = False
    lists_missing: bool = False


def status_for(points: float, max_points: float) -> Status:
    if points >= max_points - EPS:
        return "pass"
    return "partial" if points > EPS else "fail"


def gap_words(findings: list[Finding]) -> list[str]:
    """The findings still to supply or issue on time, in words."""
    return [f.text for f in findings if f.is_gap]


def missing_outcome(exc: MissingEvidence) -> Outcome:
    """Evidence is missing: no points, and the branch names what is missing."""
    return Outcome(0, "missing_evidence", f"thiếu minh chứng: {exc.what}", missing=[exc.what], findings=exc.findings,
                   says_status=True, lists_missing=True)


def data_error_outcome(problems: list[str], observed: list[Observation] | None = None,
                       refs: list[str] | None = None) -> Outcome:
    """Impossible or contradictory data: no points until it is corrected."""
    observed = observed or []
    return Outcome(0, "data_error", "lỗi dữ liệu, chưa chấm được", observed,
                   [o.ref for o in observed if o.ref] if refs is None else refs, problems=problems, says_status=True)


def pct(value: float) -> str:
    return format_number(value) + "%"


# ---------------------------------------------------------------- context


class Peer(NamedTuple):
    """One unit of a block with its value for a rule that compares units (see RuleKind.needs_block)."""

    unit_id: str
    name: str
    value: float


class Context:
    """One unit's evidence, indexed for the kinds, with how the set treats a survey not yet run.

    `peers` holds, per criterion that compares units, the values of every unit of this unit's block
    (itself included); None when the unit is scored on its own.
    """

    def __init__(self, bundle: Bundle, catalog_labels: dict[str, str], failed: dict[str, str] | None = None,
                 when_survey_missing: Literal["missing_evidence", "exclude"] = "missing_evidence",
                 peers: dict[str, list[Peer]] | None = None):
        self.peers = peers
        self.bundle = bundle
        self.failed = failed or {}
        self.labels = catalog_labels
        self.when_survey_missing = when_survey_missing
        self.year = bundle.period.year
        self.as_of = bundle.as_of
        self.metrics: dict[str, list[Metric]] = {}
        for metric in bundle.metrics:
            self.metrics.setdefault(metric.name, []).append(metric)
        self.documents: dict[str, list[Document]] = {}
        for document in bundle.documents:
            self.documents.setdefault(document.kind, []).append(document)
        self._metric_seen: dict[str, tuple] = {}
        self._documents_seen: dict[str, tuple[list[Document], list[Observation], str | None]] = {}
        self.not_applicable: dict[str, list[NotApplicable]] = {}
        for declaration in bundle.not_applicable:
            self.not_applicable.setdefault(declaration.criterion, []).append(declaration)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def with_changes(self, changes: list[Change]) -> "Context":
        """The same unit with evidence changes applied (a metric set by hand no longer counts as failed)."""
        named = {c.metric for c in changes if isinstance(c, SetMetric)}
        return Context(apply_changes(self.bundle, changes), self.labels,
                       {k: v for k, v in self.failed.items() if k not in named}, self.when_survey_missing, self.peers)

    def missing_metric(self, name: str) -> Finding:
        return Finding(what="metric", state="missing", name=name, label=self.label(name))

    def has_metric(self, name: str) -> bool:
        """Given, failed (shown as a data problem), or a derived sum whose parts are all given."""
        if name in self.metrics or name in self.failed:
            return True
        parts = DERIVED_METRICS.get(name)
        return parts is not None and all(self.has_metric(part) for part in parts)

    def missing_parts(self, name: str) -> list[str]:
        """The given names a metric still needs: itself, or the missing parts of a derived sum."""
        if self.has_metric(name):
            return []
        parts = DERIVED_METRICS.get(name)
        return [name] if parts is None else [p for part in parts for p in self.missing_parts(part)]

    def _derived(self, name: str) -> tuple[float, Observation]:
        values = [self.metric(part) for part in DERIVED_METRICS[name]]
        total = sum(value for value, _ in values)
        shown = " + ".join(format_number(value) for value, _ in values)
        refs = "; ".join(dict.fromkeys(o.ref for _, o in values if o.ref))
        return total, Observation(name=f"{self.label(name)} ({name})", value=f"{format_number(total)} (= {shown})",
                                  ref=refs or None)

    def metric(self, name: str) -> tuple[float, Observation]:
        """The value of a metric and what was observed; read once per unit, since many rules read the same metrics."""
        known = self._metric_seen.get(name)
        if known is None:
            try:
                known = self._metric_seen[name] = self._read_metric(name)
            except DataProblem as exc:  # kept as data: a kept exception would hold its frames, and they this Context
                known = self._metric_seen[name] = (DataProblem, exc.message, exc.observed)
            except MissingEvidence as exc:
                known = self._metric_seen[name] = (MissingEvidence, exc.findings)
        if known[0] is DataProblem:
            raise DataProblem(known[1], list(known[2]))
        if known[0] is MissingEvidence:
            raise MissingEvidence(list(known[1]))
        return known

    def _read_metric(self, name: str) -> tuple[float, Observation]:
        found = self.metrics.get(name)
        if not found and name not in self.failed and name in DERIVED_METRICS:
            return self._derived(name)
        if not found and name in self.failed:
            raise DataProblem(self.failed[name])
        if not found:
            raise MissingEvidence([self.missing_metric(name)])
        if len(found) > 1:
            values = ", ".join(format_number(v) for v in sorted(m.value for m in found))
            raise DataProblem(f"chỉ số '{name}' được khai báo {len(found)} lần với các giá trị {values}")
        metric = found[0]
        observation = Observation(name=f"{self.label(name)} ({name})", value=format_number(metric.value), ref=metric.cite_source())
        if name in self.failed:  # a value that contradicts its source's other counts is shown, never scored
            raise DataProblem(self.failed[name], [observation])
        if metric.value < 0:
            raise DataProblem(f"chỉ số '{name}' âm ({format_number(metric.value)})", [observation])
        return metric.value, observation

    def document(self, kind: str, due: date | None = None) -> tuple[Document | None, list[Observation], list[Finding]]:
        """The earliest valid document of a kind for this cycle (an earlier one can only help the unit).

        A document issued a year or more before the deadline (or, without one, before the year preceding
        the period) belongs to an earlier cycle: last year's plan is not this year's. Those come back as
        `too_early` findings.
        """
        found, observed, problem = self._documents_of(kind)
        if problem is not None:
            raise DataProblem(problem, list(observed))
        not_before = (due if due is not None else self.bundle.period.start) - timedelta(days=365)
        current = [d for d in found if d.issue_date > not_before]
        is_current = {id(d) for d in current}
        observed = [o if id(d) in is_current else Observation(
            name=o.name, value=f"{o.value} — thuộc kỳ trước (ban hành không sau {format_date(not_before)}), không tính")
            for o, d in zip(observed, found)]
        early = [Finding(what="document", state="too_early", name=kind, label=self.label(kind), expected=not_before,
                         observed=d.issue_date, item=self.cite(d)) for d in found if id(d) not in is_current]
        return (current[0] if current else None), observed, early

    def _documents_of(self, kind: str) -> tuple[list[Document], list[Observation], str | None]:
        """The documents of a kind, earliest first, as observed, and the first data problem among them (once per kind)."""
        known = self._documents_seen.get(kind)
        if known is not None:
            return known
        found = sorted(self.documents.get(kind, []), key=lambda d: (d.issue_date or date.max, d.number or ""))
        observed = [Observation(name=f"{self.label(kind)}", value=self.cite(d), ref=self.cite(d)) for d in found]
        problem = None
        for document in found:
            if document.issue_date is None:
                problem = f"văn bản {self.cite(document)} thiếu ngày ban hành"
            elif document.issue_date > self.as_of:
                problem = f"văn bản {self.cite(document)} có ngày ban hành sau ngày chốt số liệu {format_date(self.as_of)}"
            if problem is not None:
                break
        known = self._documents_seen[kind] = (found, observed, problem)
        return known

    def cite(self, document: Document) -> str:
        return document.cite(self.label(document.kind))

    def deadline(self, spec: DeadlineSpec) -> date:
        document_dates = {}
        if spec.after_document:
            anchor, _, _ = self.document(spec.after_document)
            if anchor is None:
                raise MissingEvidence([Finding(what="document", state="missing", name=spec.after_document,
                                               label=self.label(spec.after_document), anchor=True)])
            document_dates[spec.after_document] = anchor.issue_date
        resolved = spec.resolve(self.year, self.bundle.period.start, self.bundle.period.end, document_dates)
        assert resolved is not None
        return resolved


# ---------------------------------------------------------------- values


class Reading(NamedTuple):
    """The value a rule scores, what was observed, (numerator, denominator) for ratios, and findings on the way."""

    value: float
    observed: list[Observation]
    ratio: tuple[float, float] | None = None
    findings: tuple[Finding, ...] = ()


def read_value(ref: ValueRef, ctx: Context) -> Reading:
    """The value of a metric, a ratio of two metrics (in %) or a plan-task measure."""
    if ref.metric:
        value, observation = ctx.metric(ref.metric)
        return Reading(value, [observation])
    if ref.ratio:
        num_name, den_name = ref.ratio
        if ctx.has_metric(den_name) and not ctx.has_metric(num_name):
            denominator, den_obs = ctx.metric(den_name)
            if denominator == 0:  # nothing to count (no recommendations, no feedback): the part is moot
                raise ZeroDenominator(den_name, [den_obs])
        missing = [part for name in ref.ratio for part in ctx.missing_parts(name)]
        if missing:
            raise MissingEvidence([ctx.missing_metric(name) for name in missing])
        (numerator, denominator), observed = _metric_pair(ctx, num_name, den_name)
        if denominator == 0:
            if numerator <= EPS:
                raise ZeroDenominator(den_name, observed)
            raise DataProblem(f"'{ctx.label(num_name)}' ({format_number(numerator)}) lớn hơn 0 trong khi "
                              f"'{ctx.label(den_name)}' bằng 0: số liệu mâu thuẫn", observed)
        if numerator > denominator + EPS:
            raise DataProblem(
                f"'{ctx.label(num_name)}' ({format_number(numerator)}) lớn hơn '{ctx.label(den_name)}' "
                f"({format_number(denominator)}): tỷ lệ vượt 100% là số liệu không hợp lệ, không được tính là đạt",
                observed)
        value = numerator * 100 / denominator  # not n / d * 100: 11 / 20 * 100 is 55.00000000000001
        observed.append(Observation(name=f"tỷ lệ = {ctx.label(num_name)} / {ctx.label(den_name)}", value=pct(value)))
        return Reading(value, observed, (numerator, denominator))
    return _plan_value(ref, ctx)


def _metric_pair(ctx: Context, first: str, second: str) -> tuple[tuple[float, float], list[Observation]]:
    """Both values of a ratio; a data problem in one still shows the other number."""
    values: list[float] = []
    observed: list[Observation] = []
    problem: str | None = None  # the message, not the exception, whose frames would hold this one in a cycle
    for name in (first, second):
        try:
            value, observation = ctx.metric(name)
        except DataProblem as exc:
            problem = problem or exc.message
            observed += exc.observed
            continue
        values.append(value)
        observed.append(observation)
    if problem is not None:
        raise DataProblem(problem, observed)
    return (values[0], values[1]), observed


def _plan_value(ref: ValueRef, ctx: Context) -> Reading:
    tasks = ctx.bundle.plan_tasks
    if "plan_tasks" in ctx.failed:
        raise DataProblem(ctx.failed["plan_tasks"])
    if not tasks:
        raise MissingEvidence([Finding(what="plan_tasks", state="missing", name="plan_tasks",
                                       label="danh sách nhiệm vụ kế hoạch")])
    end = ctx.bundle.period.end
    future = sorted((t for t in tasks if t.done_date is not None and t.done_date > ctx.as_of), key=lambda t: natural_key(t.id))
    if future:
        raise DataProblem("nhiệm vụ " + ", ".join(f"{t.id} (hoàn thành {format_date(t.done_date)})" for t in future)
                          + f" có ngày hoàn thành sau ngày chốt số liệu {format_date(ctx.as_of)}")
    dated = [t for t in tasks if t.deadline is not None and not t.recurring]
    finished = [t for t in dated if t.status == "hoàn thành" and t.done_date is not None]
    # A task is due once its deadline has passed; one finished early counts too. On the deadline day it is not late yet.
    is_finished = {id(t) for t in finished}  # by identity: a model's == compares every field, and tasks are many
    due = [t for t in dated if t.deadline <= end and (t.deadline < ctx.as_of or id(t) in is_finished)]
    due.sort(key=lambda t: natural_key(t.id))  # the listing order of tasks must not change the explanation
    done = [t for t in due if id(t) in is_finished and t.done_date <= t.deadline]
    done_late = [t for t in due if id(t) in is_finished and t.done_date > t.deadline]
    overdue = [t for t in due if id(t) not in is_finished]
    is_late = {id(t) for t in done_late}
    is_lost = is_late | {id(t) for t in overdue}
    skipped = len(tasks) - len(dated)

    def listing(items):
        return ("Kế hoạch CCHC, nhiệm vụ số " + ", ".join(t.id for t in items)) if items else None

    observed = [
        Observation(name="nhiệm vụ đến hạn", value=str(len(due))),
        Observation(name="hoàn thành đúng hạn", value=str(len(done)), ref=listing(done)),
    ]
    if done_late:
        observed.append(Observation(name="hoàn thành trễ hạn", value=str(len(done_late)), ref=listing(done_late)))
    if overdue:
        observed.append(Observation(name="quá hạn chưa hoàn thành", value=str(len(overdue)), ref=listing(overdue)))
    if skipped:
        observed.append(Observation(name="nhiệm vụ thường xuyên/không có hạn (không tính)", value=str(skipped)))
    findings = [Finding(what="task", state="late" if id(t) in is_late else "missing", name=t.id, label=t.title,
                        expected=t.deadline, observed=t.done_date, item=listing([t]))
                for t in due if id(t) in is_lost]
    if ref.plan_tasks == "completed_count":
        return Reading(float(len(done)), observed, None, tuple(findings))
    if ref.plan_tasks == "overdue_count":
        return Reading(float(len(overdue)), observed, None, tuple(findings))
    if not due:
        raise ZeroDenominator("plan_tasks", observed)
    value = len(done) * 100 / len(due)
    observed.append(Observation(name="tỷ lệ = nhiệm vụ hoàn thành đúng hạn / nhiệm vụ đến hạn", value=pct(value)))
    return Reading(value, observed, (float(len(done)), float(len(due))), tuple(findings))


def refs_of(observed: Iterable[Observation]) -> list[str]:
    return [o.ref for o in observed if o.ref]


# ---------------------------------------------------------------- conditions


@dataclass
class CondResult:
    value: bool | None  # None: evidence missing, or a deadline not yet reached
    text: str
    observed: list[Observation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in words, when the value is unknown
    pending: bool = False  # unknown only because the deadline is after the as-of date


class ConditionKind(Frozen):
    """Base of every condition kind: a yes/no question about one unit's evidence.

    `keys` are the YAML keys that identify the kind in a mapping; `tag` names it in the union.
    """

    keys: ClassVar[tuple[str, ...]]
    tag: ClassVar[str]

    @abstractmethod
    def check(self, ctx: Context) -> CondResult:
        """Evaluate: True, False, or None when evidence is missing or the deadline is still ahead."""

    @abstractmethod
    def describe(self, labels: dict[str, str]) -> str:
        """The condition in words; it is also what the condition expects."""

    @abstractmethod
    def evidence(self) -> list[EvidenceUse]:
        """The evidence names it reads, with paths relative to the condition."""

    @abstractmethod
    def fixes(self, ctx: Context, want: bool = True) -> Fix | None:
        """The smallest evidence change that makes the condition `want`; None when no change can (a deadline
        passed, a document cannot be un-issued); an empty Fix when it already is."""

    def describe_negated(self, labels: dict[str, str]) -> str:
        """The condition under `not`; kinds with a more natural negative say it themselves."""
        return "không thỏa điều kiện: " + self.describe(labels)


class JoinedCondition(ConditionKind):
    """Base of the kinds that join a list of conditions (all_of, any_of): the list is under the kind's key."""

    joiner: ClassVar[str]
    combine: ClassVar[Callable[[list[bool | None]], bool | None]]

    def parts(self) -> list[ConditionKind]:
        return getattr(self, self.keys[0])

    def describe(self, labels: dict[str, str]) -> str:
        return "(" + self.joiner.join(c.describe(labels) for c in self.parts()) + ")"

    def check(self, ctx: Context) -> CondResult:
        return combined(self.parts(), ctx, self.describe(ctx.labels), self.combine)

    def evidence(self) -> list[EvidenceUse]:
        return nested_uses(self.keys[0], self.parts())

    def fixes(self, ctx: Context, want: bool = True) -> Fix | None:
        every = self.combine([True, False]) is False  # all_of needs every part, any_of one
        return joined_fix(self.parts(), ctx, want, every == want)


def combine_all(values: list[bool | None]) -> bool | None:
    return False if False in values else (None if None in values else True)


def combine_any(values: list[bool | None]) -> bool | None:
    return True if True in values else (None if None in values else False)


def combined(conds: list[ConditionKind], ctx: Context, text: str,
             combine: Callable[[list[bool | None]], bool | None]) -> CondResult:
    """Conditions joined by all/any: unknown parts count only when the known ones do not decide."""
    parts = [c.check(ctx) for c in conds]
    value = combine([p.value for p in parts])
    pending = value is None and all(p.pending for p in parts if p.value is None)
    missing = [m for p in parts for m in p.missing] if value is None else []
    return CondResult(value, text, [o for p in parts for o in p.observed], _decided(parts, value), missing, pending)


def _decided(parts: list[CondResult], value: bool | None) -> list[Finding]:
    """Findings of the parts; once the value is known, missing parts did not matter and are left out."""
    findings = [f for p in parts for f in p.findings]
    return findings if value is None else [f for f in findings if not f.is_gap]


def conditions_outcome(conds: list[ConditionKind], ctx: Context, combine: Callable[[list[bool | None]], bool | None],
                       points_pass: float, points_fail: float, max_points: float) -> Outcome:
    """Points for conditions that hold (by `combine`); unknown ones make it missing evidence, or not yet due."""
    results = [c.check(ctx) for c in conds]
    observed = [o for r in results for o in r.observed]
    refs = refs_of(observed)
    value = combine([r.value for r in results])
    if value is None:
        findings = [f for r in results for f in r.findings]
        missing = [m for r in results for m in r.missing]
        # The branch joins the items with "; ", so it holds the list as renderers write it (", ") only for one item.
        listed = len(missing) == 1
        if all(r.pending for r in results if r.value is None):
            return Outcome(0, "not_due", "chưa đến hạn: " + "; ".join(missing), observed, refs, missing=missing,
                           findings=findings, says_status=True, lists_missing=listed)
        return Outcome(0, "missing_evidence", "thiếu minh chứng: " + "; ".join(missing), observed, refs,
                       missing=missing, findings=findings, says_status=True, lists_missing=listed)
    failed = [r.text for r in results if r.value is False]
    findings = _decided(results, value)
    if value:
        return Outcome(points_pass, status_for(points_pass, max_points), "điều kiện được đáp ứng", observed, refs,
                       findings=findings)
    branch = "chưa đáp ứng: " + "; ".join(failed) if failed else "điều kiện không được đáp ứng"
    return Outcome(points_fail, status_for(points_fail, max_points), branch, observed, refs, findings=findings)


# ---------------------------------------------------------------- rules


class RuleKind(Frozen):
    """Base of every rule kind: how a leaf (or a bonus/penalty item) gets its points.

    `points_from` says where points come from: the evidence, a person's score, or the survey.
    """

    kind: str
    points_from: ClassVar[Literal["evidence", "manual", "survey"]] = "evidence"
    needs_block: ClassVar[bool] = False  # points depend on the other units of the block (see block_value)
    counts_answers: ClassVar[bool] = False  # survey points computed from answer counts, never entered per criterion

    @abstractmethod
    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        """Points, status and branch; may raise MissingEvidence, DataProblem or ZeroDenominator."""

    @abstractmethod
    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        """The rule in Vietnamese words, as an appraiser reads it in the criteria annex."""

    @abstractmethod
    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        """What full points require, in words."""

    @abstractmethod
    def evidence(self) -> list[EvidenceUse]:
        """The evidence names it reads, with paths relative to the rule (validation, template, diff)."""

    @abstractmethod
    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        """Its numbers checked against the item's maximum `top` (and each other); `loc` is the rule's path."""

    @abstractmethod
    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        """For each step of points above `current`, the smallest evidence change that reaches it, from the rule itself.

        A kind whose points no evidence change can raise (a person's or the survey's score) returns [] and says why.
        Evidence problems may propagate; `suggest` turns them into no remedy.
        """

    def suggest(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        """The remedies that raise the points; missing or bad evidence has none (it must be supplied or corrected first)."""
        try:
            found = self.remedies(max_points, ctx, current)
        except (MissingEvidence, DataProblem, ZeroDenominator):
            return []
        return [r for r in found if r.points > current + EPS and r.changes]

    def score(self, max_points: float, ctx: Context, criterion: str, words: tuple[str, str] | None = None) -> Outcome:
        """Evaluate with the rule's words attached; missing evidence and bad data become statuses.

        `words` (rule, expected) are the caller's when it has them worked out already (they depend on
        the set, not on the unit).
        """
        try:
            outcome = self.evaluate(max_points, ctx, criterion)
        except MissingEvidence as exc:
            outcome = missing_outcome(exc)
        except DataProblem as exc:
            outcome = data_error_outcome([exc.message], exc.observed)
        if words is None:
            words = self.describe(max_points, ctx.labels), self.expected(max_points, ctx.labels, ctx.year)
        outcome.rule, outcome.expected = words  # every evaluation builds its own Outcome
        return outcome

    def describe_penalty(self, max_points: float, labels: dict[str, str]) -> str:
        """The rule as a penalty item (points deducted when it gives points)."""
        return f"Điểm trừ (tối đa {format_number(max_points)} điểm): {self.describe(max_points, labels)}"

    def diff_aspects(self, labels: dict[str, str]) -> list[Aspect]:
        """Parts the set diff shows on their own line (tiers, deadlines); the rest is compared as a whole."""
        return []

    def diff_rest(self) -> dict[str, Any]:
        """The rule's fields the diff compares as a whole, without what `diff_aspects` covers."""
        return self.model_dump(mode="json", by_alias=True)

    def boundaries(self) -> list[Boundary]:
        """Values where the points step, for test-case coverage; only kinds scored by value bands have them."""
        return []

    def block_value(self, ctx: Context) -> float:
        """The unit's value compared across its block; only kinds with `needs_block` have one."""
        raise NotImplementedError(f"rule kind {self.kind!r} does not compare units")


class JoinedConditionsRule(RuleKind):
    """Base of the rules that give full points when their `conditions`, joined by `joiner`, hold (all_of, any_of)."""

    joiner: ClassVar[str]
    combine: ClassVar[Callable[[list[bool | None]], bool | None]]
    conditions: list[ConditionKind]

    def evaluate(self, max_points: float, ctx: Context, criterion: str) -> Outcome:
        return conditions_outcome(self.conditions, ctx, self.combine, max_points, 0, max_points)

    def describe(self, max_points: float, labels: dict[str, str]) -> str:
        return f"Đạt {format_number(max_points)} điểm khi " + self.expected(max_points, labels)

    def expected(self, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
        return self.joiner.join(c.describe(labels) for c in self.conditions)

    def evidence(self) -> list[EvidenceUse]:
        return nested_uses("conditions", self.conditions)

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return []  # full points or none: nothing to check against the maximum

    def remedies(self, max_points: float, ctx: Context, current: float) -> list[Remedy]:
        every = self.combine([True, False]) is False
        return conditions_remedy(joined_fix(self.conditions, ctx, True, every), max_points, 0)


# ---------------------------------------------------------------- shared by several rule kinds


DocumentState = Literal["on_time", "late", "missing", "not_due"]


@dataclass
class Timing:
    """One required document against its deadline."""

    state: DocumentState
    document: Document | None
    due: date
    observed: list[Observation]
    findings: list[Finding]


def document_timing(kind: str, spec: DeadlineSpec, grace: int, ctx: Context, label: str | None = None) -> Timing:
    """'on_time', 'late', 'missing' or 'not_due' for one required document, with its finding if not on time."""
    due = ctx.deadline(spec)
    document, observed, early = ctx.document(kind, due)
    label = label or ctx.label(kind)
    if document is None:
        state: DocumentState = "not_due" if ctx.as_of < due + timedelta(days=grace) else "missing"
        observed = observed + [Observation(name=ctx.label(kind), value="chưa có trong minh chứng")]
        return Timing(state, None, due, observed,
                      early + [Finding(what="document", state=state, name=kind, label=label, expected=due)])
    if (document.issue_date - due).days <= grace:
        return Timing("on_time", document, due, observed, early)
    return Timing("late", document, due, observed,
                  early + [Finding(what="document", state="late", name=kind, label=label, expected=due,
                                   observed=document.issue_date, item=ctx.cite(document))])


def scored_entry(entries: list[ScoreEntry], max_points: float, criterion: str, source_word: str) -> Outcome:
    """Points a person (or the survey) gave, checked against the maximum; none given is missing evidence."""
    found = [e for e in entries if e.criterion == criterion]
    if not found:
        needed = Finding(what="score", state="missing", name=criterion, label=f"điểm {source_word} kèm giải trình")
        return Outcome(0, "missing_evidence", f"chưa có điểm {source_word}", missing=[needed.text], findings=[needed])
    observed = [Observation(name=f"điểm {source_word}", value=format_number(e.points),
                            ref=f"{e.by}: {e.justification}" + (f" ({'; '.join(e.evidence)})" if e.evidence else ""))
                for e in found]
    if len(found) > 1:
        raise DataProblem(f"tiêu chí {criterion} có {len(found)} điểm {source_word} khác nhau", observed)
    entry = found[0]
    if entry.points < 0 or entry.points > max_points + EPS:
        raise DataProblem(f"điểm {source_word} {format_number(entry.points)} nằm ngoài khoảng 0–{format_number(max_points)}",
                          observed)
    return Outcome(entry.points, status_for(entry.points, max_points),
                   f"điểm {source_word} {format_number(entry.points)} ({entry.by})", observed,
                   [entry.justification] + entry.evidence)


def count_needed(cap: float, per_item: float) -> float:
    """Items needed to reach `cap` points at `per_item` each."""
    return math.ceil(cap / per_item - EPS)


# ---------------------------------------------------------------- remedies: the rule read backwards


class Fix(NamedTuple):
    """Evidence changes that make a condition hold (or not), their words, and the day after which they come too late."""

    changes: list[Change]
    words: list[str]
    due: date | None = None
    value: float | None = None  # the value the change brings a compared value to


NO_CHANGE = Fix([], [])


def sentence(words: list[str]) -> str:
    """Parts of a change joined into one sentence that starts with a capital letter."""
    text = "; ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def joined_fix(parts: list[ConditionKind], ctx: Context, want: bool, every: bool) -> Fix | None:
    """Every part made `want` (all of them), or the cheapest single part (one is enough); ties go to the first."""
    fixes = [part.fixes(ctx, want) for part in parts]
    if every:
        if any(f is None for f in fixes):
            return None
        dues = [f.due for f in fixes if f.due is not None]
        joined = Fix([c for f in fixes for c in f.changes], [w for f in fixes for w in f.words], min(dues, default=None))
        if len(parts) > 1 and joined.changes:
            # A part fixed alone may undo another (x > 0 and x <= 0): all must hold after all the changes.
            changed = ctx.with_changes(joined.changes)
            if any(part.check(changed).value is not want for part in parts):
                return None
        return joined
    usable = [f for f in fixes if f is not None]
    return min(usable, key=lambda f: len(f.changes)) if usable else None


def conditions_remedy(fix: Fix | None, points_pass: float, points_fail: float) -> list[Remedy]:
    """The remedy of a rule that gives `points_pass` when its conditions hold."""
    if fix is None or not fix.changes:
        return []
    return [Remedy(points=points_pass, changes=fix.changes, words=sentence(fix.words), due=fix.due,
                   late_points=points_fail if fix.due is not None else None)]


class Span(NamedTuple):
    """An interval of values; None is unbounded."""

    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool

    @classmethod
    def of(cls, tier: Tier) -> "Span":
        return cls(tier.min, tier.min_inclusive, tier.max, tier.max_inclusive)

    def contains(self, value: float) -> bool:
        return Tier(min=self.low, min_inclusive=self.low_inclusive, max=self.high, max_inclusive=self.high_inclusive,
                    points=0).contains(value)


def op_spans(op: Op, target: float, want: bool = True) -> list[Span]:
    """The values that make `value op target` equal `want`."""
    negate = {">": "<=", ">=": "<", "<": ">=", "<=": ">", "==": "!=", "!=": "=="}
    op = op if want else negate[op]
    return {">": [Span(target, False, None, False)], ">=": [Span(target, True, None, False)],
            "<": [Span(None, True, target, False)], "<=": [Span(None, True, target, True)],
            "==": [Span(target, True, target, True)],
            "!=": [Span(None, True, target, False), Span(target, False, None, False)]}[op]


def reach(ref: ValueRef, ctx: Context, spans: list[Span]) -> Fix | None:
    """The smallest change of the evidence behind `ref` that brings its value into one of `spans`."""
    try:
        reading = read_value(ref, ctx)
    except (MissingEvidence, DataProblem, ZeroDenominator):
        return None
    if any(span.contains(reading.value) for span in spans):
        return NO_CHANGE
    found = []
    for span in spans:
        if ref.metric:
            fix = _reach_metric(ref.metric, reading.value, span, ctx)
        elif ref.ratio:
            fix = _reach_ratio(ref.ratio, reading.ratio, span, ctx)
        else:
            fix = _reach_tasks(ref.plan_tasks, span, ctx)
        if fix is not None:
            found.append(fix)
    return min(found, key=lambda f: f[1])[0] if found else None


def _whole(value: float) -> bool:
    return value == math.floor(value)


def _reach_metric(name: str, value: float, span: Span, ctx: Context) -> tuple[Fix, float] | None:
    """A metric moved to the nearest value inside the span: whole numbers stay whole, others move by 0,01."""
    whole = _whole(value)
    if span.low is not None and (value < span.low or (value == span.low and not span.low_inclusive)):
        if whole:
            target = math.ceil(span.low) if span.low_inclusive else math.floor(span.low) + 1
        else:
            target = span.low if span.low_inclusive else span.low + 0.01
    elif span.high is not None:
        if whole:
            target = math.floor(span.high) if span.high_inclusive else math.ceil(span.high) - 1
        else:
            target = span.high if span.high_inclusive else span.high - 0.01
    else:
        return None
    if target < 0 or not span.contains(target):
        return None
    up = target > value
    words = (f"{lower_first(ctx.label(name))} {'tăng' if up else 'giảm'} từ {format_number(value)} "
             f"{'lên' if up else 'xuống'} {format_number(target)}")
    return Fix([SetMetric(metric=name, value=target)], [words], value=target), abs(target - value)


def _reach_ratio(names: tuple[str, str], ratio: tuple[float, float] | None, span: Span,
                 ctx: Context) -> tuple[Fix, float] | None:
    """The numerator moved (the denominator is what happened) by whole items until the ratio is inside the span."""
    if ratio is None or not (_whole(ratio[0]) and _whole(ratio[1])):
        return None
    numerator, denominator = int(ratio[0]), int(ratio[1])

    def value(k: int) -> float:
        return k * 100 / denominator  # as read_value computes it

    current = value(numerator)
    if span.low is not None and (current < span.low or (current == span.low and not span.low_inclusive)):
        start = math.floor(span.low * denominator / 100 + EPS) - 1
        candidates = range(max(numerator + 1, start), denominator + 1)
    elif span.high is not None:
        start = math.ceil(span.high * denominator / 100 - EPS) + 1
        candidates = range(min(numerator - 1, start), -1, -1)
    else:
        return None
    target = next((k for k in candidates if span.contains(value(k))), None)
    if target is None:
        return None
    num, den = (lower_first(ctx.label(n)) for n in names)
    more = target > numerator
    words = (f"{num} {'tăng thêm' if more else 'giảm bớt'} {format_number(abs(target - numerator))}, từ "
             f"{format_number(numerator)} {'lên' if more else 'xuống'} {format_number(target)} "
             f"(tỷ lệ trên {den} đạt {pct(value(target))})")
    return Fix([SetMetric(metric=names[0], value=float(target))], [words], value=value(target)), abs(target - numerator)


def task_lists(ctx: Context) -> tuple[list[PlanTask], list[PlanTask], list[PlanTask], list[PlanTask]]:
    """(due, done on time, overdue, still to come) as the plan-task measures count them; ordered by deadline and id."""
    end, as_of = ctx.bundle.period.end, ctx.as_of

    def finished(task: PlanTask) -> bool:
        return task.status == "hoàn thành" and task.done_date is not None

    dated = [t for t in ctx.bundle.plan_tasks if t.deadline is not None and not t.recurring and t.deadline <= end]
    due = [t for t in dated if t.deadline < as_of or finished(t)]
    done = [t for t in due if finished(t) and t.done_date <= t.deadline]
    overdue = sorted((t for t in due if not finished(t)), key=lambda t: natural_key(t.id))
    coming = sorted((t for t in dated if t not in due and not finished(t)), key=lambda t: (t.deadline, natural_key(t.id)))
    return due, done, overdue, coming


def _reach_tasks(measure: str | None, span: Span, ctx: Context) -> tuple[Fix, float] | None:
    """Tasks still to come finished on time (they raise the share done), or overdue ones finished late (fewer overdue)."""
    due, done, overdue, coming = task_lists(ctx)
    if measure == "overdue_count":
        pool, values = overdue, [len(overdue) - k for k in range(1, len(overdue) + 1)]
        words = "hoàn thành (dù đã trễ) các nhiệm vụ kế hoạch quá hạn số "
    else:
        pool = coming
        if measure == "completed_count":
            values = [len(done) + k for k in range(1, len(coming) + 1)]
        else:
            values = [(len(done) + k) * 100 / (len(due) + k) for k in range(1, len(coming) + 1)]
        words = "hoàn thành đúng hạn các nhiệm vụ kế hoạch số "
    k = next((index + 1 for index, v in enumerate(values) if span.contains(v)), None)
    if k is None:
        return None
    chosen = pool[:k]
    return (Fix([CompleteTask(task=t.id, done=ctx.as_of) for t in chosen], [words + ", ".join(t.id for t in chosen)],
                value=values[k - 1]), float(k))


def issue_fix(kind: str, spec: DeadlineSpec | None, grace: int, ctx: Context, label: str | None = None) -> Fix | None:
    """Issue a missing document now: on time while the deadline (with grace) has not passed, else late."""
    due = ctx.deadline(spec) + timedelta(days=grace) if spec is not None else None
    label = label or ctx.label(kind)
    words = f"ban hành {lower_first(label)}" + (f" trước ngày {format_date(due)}" if due is not None else "")
    return Fix([AddDocument(document=kind, issued=ctx.as_of)], [words], due)
