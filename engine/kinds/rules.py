"""The evaluator: one rule against one unit's evidence, giving points, a status and the explanation.

Missing evidence is never a pass; impossible data is never turned into points. Each outcome
records the rule in words, what was expected, what was observed (with the evidence item), and
which tier or branch applied, in the spirit of InSpec's expected-vs-got records.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from engine.core.vnformat import format_date, format_number
from engine.model.criteria import (
    OP_WORDS,
    AllOf,
    AnyOf,
    DeadlineSpec,
    DocumentCondition,
    FactCondition,
    NotCondition,
    Tier,
    ValueRef,
)
from engine.model.evidence import Bundle, Document, Metric
from engine.model.results import Observation, Status

EPS = 1e-9


@dataclass
class Outcome:
    """What a rule gave; `shortfall` is how many more items would reach full points, if countable."""

    points: float
    status: Status
    rule: str
    expected: str
    branch: str
    observed: list[Observation] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    shortfall: float | None = None
    applicable: bool = True


class MissingEvidence(Exception):
    def __init__(self, what: str):
        self.what = what


class DataProblem(Exception):
    def __init__(self, message: str, observed: list[Observation] | None = None):
        self.message = message
        self.observed = observed or []


class ZeroDenominator(Exception):
    def __init__(self, name: str, observed: list[Observation]):
        self.name = name
        self.observed = observed


class Context:
    """One unit's evidence, indexed for the rules."""

    def __init__(self, bundle: Bundle, catalog_labels: dict[str, str], failed: dict[str, str] | None = None):
        self.bundle = bundle
        self.failed = failed or {}
        self.labels = catalog_labels
        self.year = bundle.period.year
        self.as_of = bundle.as_of
        self.metrics: dict[str, list[Metric]] = {}
        for metric in bundle.metrics:
            self.metrics.setdefault(metric.name, []).append(metric)
        self.documents: dict[str, list[Document]] = {}
        for document in bundle.documents:
            self.documents.setdefault(document.kind, []).append(document)

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def metric(self, name: str) -> tuple[float, Observation]:
        found = self.metrics.get(name)
        if not found and name in self.failed:
            raise DataProblem(self.failed[name])
        if not found:
            raise MissingEvidence(f"chỉ số '{self.label(name)}' ({name})")
        if len(found) > 1:
            values = ", ".join(format_number(v) for v in sorted(m.value for m in found))
            raise DataProblem(f"chỉ số '{name}' được khai báo {len(found)} lần với các giá trị {values}")
        metric = found[0]
        observation = Observation(name=f"{self.label(name)} ({name})", value=format_number(metric.value), ref=metric.cite_source())
        if metric.value < 0:
            raise DataProblem(f"chỉ số '{name}' âm ({format_number(metric.value)})", [observation])
        return metric.value, observation

    def document(self, kind: str, due: date | None = None) -> tuple[Document | None, list[Observation]]:
        """The earliest valid document of a kind for this cycle (an earlier one can only help the unit).

        A document issued a year or more before the deadline (or, without one, before the year preceding
        the period) belongs to an earlier cycle: last year's plan is not this year's.
        """
        found = sorted(self.documents.get(kind, []), key=lambda d: (d.issue_date or date.max, d.number or ""))
        observed = [Observation(name=f"{self.label(kind)}", value=self.cite(d), ref=self.cite(d)) for d in found]
        for document in found:
            if document.issue_date is None:
                raise DataProblem(f"văn bản {self.cite(document)} thiếu ngày ban hành", observed)
            if document.issue_date > self.as_of:
                raise DataProblem(
                    f"văn bản {self.cite(document)} có ngày ban hành sau ngày chốt số liệu {format_date(self.as_of)}", observed)
        not_before = (due if due is not None else self.bundle.period.start) - timedelta(days=365)
        current = [d for d in found if d.issue_date > not_before]
        observed = [o if d in current else Observation(
            name=o.name, value=f"{o.value} — thuộc kỳ trước (ban hành không sau {format_date(not_before)}), không tính")
            for o, d in zip(observed, found)]
        return (current[0] if current else None), observed

    def cite(self, document: Document) -> str:
        return document.cite(self.label(document.kind))

    def deadline(self, spec: DeadlineSpec) -> date:
        document_dates = {}
        if spec.after_document:
            anchor, _ = self.document(spec.after_document)
            if anchor is None:
                raise MissingEvidence(f"văn bản '{self.label(spec.after_document)}' (mốc tính hạn)")
            document_dates[spec.after_document] = anchor.issue_date
        resolved = spec.resolve(self.year, self.bundle.period.start, self.bundle.period.end, document_dates)
        assert resolved is not None
        return resolved


def status_for(points: float, max_points: float) -> Status:
    if points >= max_points - EPS:
        return "pass"
    return "partial" if points > EPS else "fail"


def _pct(value: float) -> str:
    return format_number(value) + "%"


# ---------------------------------------------------------------- values


def read_value(ref: ValueRef, ctx: Context) -> tuple[float, list[Observation], tuple[float, float] | None]:
    """The value a rule scores, with observations and, for ratios, (numerator, denominator)."""
    if ref.metric:
        value, observation = ctx.metric(ref.metric)
        return value, [observation], None
    if ref.ratio:
        num_name, den_name = ref.ratio
        if den_name in ctx.metrics and num_name not in ctx.metrics and num_name not in ctx.failed:
            denominator, den_obs = ctx.metric(den_name)
            if denominator == 0:  # nothing to count (no recommendations, no feedback): the part is moot
                raise ZeroDenominator(den_name, [den_obs])
        missing = [name for name in ref.ratio if name not in ctx.metrics and name not in ctx.failed]
        if missing:
            raise MissingEvidence(", ".join(f"chỉ số '{ctx.label(n)}' ({n})" for n in missing))
        numerator, num_obs = ctx.metric(num_name)
        denominator, den_obs = ctx.metric(den_name)
        observed = [num_obs, den_obs]
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
        pct = numerator * 100 / denominator  # not n / d * 100: 11 / 20 * 100 is 55.00000000000001
        observed.append(Observation(name="tỷ lệ", value=_pct(pct)))
        return pct, observed, (numerator, denominator)
    return _plan_value(ref, ctx)


def _natural(text: str) -> tuple:
    """'2' before '10', then text: a stable order for ids such as 1, 2, 10, 2a."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def _plan_value(ref: ValueRef, ctx: Context) -> tuple[float, list[Observation], tuple[float, float] | None]:
    tasks = ctx.bundle.plan_tasks
    if "plan_tasks" in ctx.failed:
        raise DataProblem(ctx.failed["plan_tasks"])
    if not tasks:
        raise MissingEvidence("danh sách nhiệm vụ kế hoạch (plan_tasks)")
    end = ctx.bundle.period.end
    future = sorted((t for t in tasks if t.done_date is not None and t.done_date > ctx.as_of), key=lambda t: _natural(t.id))
    if future:
        raise DataProblem("nhiệm vụ " + ", ".join(f"{t.id} (hoàn thành {format_date(t.done_date)})" for t in future)
                          + f" có ngày hoàn thành sau ngày chốt số liệu {format_date(ctx.as_of)}")
    dated = [t for t in tasks if t.deadline is not None and not t.recurring]
    finished = [t for t in dated if t.status == "hoàn thành" and t.done_date is not None]
    # A task is due once its deadline has passed; one finished early counts too. On the deadline day it is not late yet.
    due = [t for t in dated if t.deadline <= end and (t.deadline < ctx.as_of or t in finished)]
    due.sort(key=lambda t: _natural(t.id))  # the listing order of tasks must not change the explanation
    done = [t for t in due if t in finished and t.done_date <= t.deadline]
    done_late = [t for t in due if t in finished and t.done_date > t.deadline]
    overdue = [t for t in due if t not in finished]
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
    if ref.plan_tasks == "completed_count":
        return float(len(done)), observed, None
    if ref.plan_tasks == "overdue_count":
        return float(len(overdue)), observed, None
    if not due:
        raise ZeroDenominator("plan_tasks", observed)
    pct = len(done) * 100 / len(due)
    observed.append(Observation(name="tỷ lệ", value=_pct(pct)))
    return pct, observed, (float(len(done)), float(len(due)))


# ---------------------------------------------------------------- conditions


@dataclass
class CondResult:
    value: bool | None  # None: evidence missing, or a deadline not yet reached
    text: str
    observed: list[Observation] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    pending: bool = False  # unknown only because the deadline is after the as-of date


def describe_condition(cond, ctx_labels: dict[str, str]) -> str:
    def label(name: str) -> str:
        return ctx_labels.get(name, name)

    if isinstance(cond, AllOf):
        return "(" + " và ".join(describe_condition(c, ctx_labels) for c in cond.all_of) + ")"
    if isinstance(cond, AnyOf):
        return "(" + " hoặc ".join(describe_condition(c, ctx_labels) for c in cond.any_of) + ")"
    if isinstance(cond, NotCondition):
        inner = cond.not_
        if isinstance(inner, DocumentCondition):
            text = f"không có {label(inner.document)}"
            return text + (f" ban hành không muộn hơn {inner.deadline.describe(labels=ctx_labels)}" if inner.deadline else "")
        if isinstance(inner, FactCondition):
            return f"không đáp ứng: {label(inner.fact)}"
        return "không thỏa điều kiện: " + describe_condition(inner, ctx_labels)
    if isinstance(cond, DocumentCondition):
        text = f"có {label(cond.document)}"
        return text + (f" ban hành không muộn hơn {cond.deadline.describe(labels=ctx_labels)}" if cond.deadline else "")
    if isinstance(cond, FactCondition):
        return label(cond.fact)
    value = ValueRef(metric=cond.metric, ratio=cond.ratio, plan_tasks=cond.plan_tasks)
    unit = "%" if value.is_percent else ""
    name = value.describe(ctx_labels)
    return f"{name} {OP_WORDS[cond.op]} {format_number(cond.target)}{unit}" if cond.op != ">=" else \
        f"{name} từ {format_number(cond.target)}{unit} trở lên"


def eval_condition(cond, ctx: Context) -> CondResult:
    text = describe_condition(cond, ctx.labels)
    if isinstance(cond, (AllOf, AnyOf)):
        parts = [eval_condition(c, ctx) for c in (cond.all_of if isinstance(cond, AllOf) else cond.any_of)]
        observed = [o for p in parts for o in p.observed]
        missing = [m for p in parts for m in p.missing]
        values = [p.value for p in parts]
        if isinstance(cond, AllOf):
            value = False if False in values else (None if None in values else True)
        else:
            value = True if True in values else (None if None in values else False)
        pending = value is None and all(p.pending for p in parts if p.value is None)
        return CondResult(value, text, observed, missing if value is None else [], pending)
    if isinstance(cond, NotCondition):
        inner = eval_condition(cond.not_, ctx)
        return CondResult(None if inner.value is None else not inner.value, text, inner.observed, inner.missing,
                          inner.pending)
    if isinstance(cond, DocumentCondition):
        due = ctx.deadline(cond.deadline) if cond.deadline is not None else None
        document, observed = ctx.document(cond.document, due)
        if document is None:
            absent = observed + [Observation(name=ctx.label(cond.document), value="không có")]
            if due is not None and ctx.as_of < due:
                return CondResult(None, text, absent, [f"{ctx.label(cond.document)} (hạn {format_date(due)})"], True)
            return CondResult(False, text, absent)
        return CondResult(due is None or document.issue_date <= due, text, observed)
    if isinstance(cond, FactCondition):
        try:
            value, observation = ctx.metric(cond.fact)
        except MissingEvidence as exc:
            return CondResult(None, text, [], [exc.what])
        if value not in (0, 1):
            raise DataProblem(f"dữ kiện '{cond.fact}' phải là có/không (1/0), nhận được {format_number(value)}", [observation])
        shown = Observation(name=observation.name, value="có" if value == 1 else "không", ref=observation.ref)
        return CondResult(value == 1, text, [shown])
    try:
        value, observed, _ = read_value(cond, ctx)
    except MissingEvidence as exc:
        return CondResult(None, text, [], [exc.what])
    result = {">": value > cond.target, ">=": value >= cond.target, "<": value < cond.target,
              "<=": value <= cond.target, "==": abs(value - cond.target) <= EPS,
              "!=": abs(value - cond.target) > EPS}[cond.op]
    return CondResult(result, text, observed)


# ---------------------------------------------------------------- rules


def evaluate_rule(rule, max_points: float, ctx: Context, criterion: str) -> Outcome:
    """Evaluate one rule; evidence problems become statuses, never exceptions."""
    rule_text = describe_rule(rule, max_points, ctx.labels)
    try:
        return _EVALUATORS[rule.kind](rule, max_points, ctx, criterion, rule_text)
    except MissingEvidence as exc:
        return Outcome(0, "missing_evidence", rule_text, _expected(rule, max_points, ctx), f"thiếu minh chứng: {exc.what}",
                       missing=[exc.what])
    except DataProblem as exc:
        return Outcome(0, "data_error", rule_text, _expected(rule, max_points, ctx), "lỗi dữ liệu, chưa chấm được",
                       observed=exc.observed, refs=[o.ref for o in exc.observed if o.ref], problems=[exc.message])


def _expected(rule, max_points: float, ctx: Context) -> str:
    return describe_expected(rule, max_points, ctx.labels, ctx.year)


def _conditions(rule, max_points, ctx, criterion, rule_text, conds, combine, points_pass, points_fail) -> Outcome:
    results = [eval_condition(c, ctx) for c in conds]
    values = [r.value for r in results]
    observed = [o for r in results for o in r.observed]
    refs = [o.ref for o in observed if o.ref]
    value = combine(values)
    expected = _expected(rule, max_points, ctx)
    if value is None:
        missing = [m for r in results for m in r.missing]
        if all(r.pending for r in results if r.value is None):
            return Outcome(0, "not_due", rule_text, expected, "chưa đến hạn: " + "; ".join(missing), observed, refs,
                           missing=missing)
        return Outcome(0, "missing_evidence", rule_text, expected, "thiếu minh chứng: " + "; ".join(missing),
                       observed, refs, missing=missing)
    failed = [r.text for r in results if r.value is False]
    if value:
        return Outcome(points_pass, status_for(points_pass, max_points), rule_text, expected, "điều kiện được đáp ứng",
                       observed, refs)
    branch = "chưa đáp ứng: " + "; ".join(failed) if failed else "điều kiện không được đáp ứng"
    return Outcome(points_fail, status_for(points_fail, max_points), rule_text, expected, branch, observed, refs)


def _all(values):
    return False if False in values else (None if None in values else True)


def _any(values):
    return True if True in values else (None if None in values else False)


def _eval_pass_fail(rule, max_points, ctx, criterion, rule_text):
    points_pass = max_points if rule.points_pass is None else rule.points_pass
    return _conditions(rule, max_points, ctx, criterion, rule_text, [rule.condition], _all, points_pass, rule.points_fail)


def _eval_all_of(rule, max_points, ctx, criterion, rule_text):
    return _conditions(rule, max_points, ctx, criterion, rule_text, rule.conditions, _all, max_points, 0)


def _eval_any_of(rule, max_points, ctx, criterion, rule_text):
    return _conditions(rule, max_points, ctx, criterion, rule_text, rule.conditions, _any, max_points, 0)


def _needed_for(tier: Tier, denominator: float | None) -> float | None:
    """The smallest count that reaches a tier: numerator for a ratio, the value for a count."""
    if tier.min is None:
        return 0
    if denominator is None:
        return math.floor(tier.min) + 1 if not tier.min_inclusive and tier.min == math.floor(tier.min) else math.ceil(tier.min)
    exact = tier.min * denominator / 100
    if tier.min_inclusive:
        return math.ceil(exact - EPS)
    return math.floor(exact + EPS) + 1


def _eval_tiers(rule, max_points, ctx, criterion, rule_text):
    value, observed, ratio = read_value(rule.value, ctx)
    unit = "%" if rule.value.is_percent else ""
    matches = [t for t in rule.tiers if t.contains(value)]
    expected = _expected(rule, max_points, ctx)
    refs = [o.ref for o in observed if o.ref]
    if len(matches) != 1:
        raise DataProblem(f"giá trị {format_number(value)}{unit} không thuộc đúng một mức của tiêu chí", observed)
    tier = matches[0]
    top = max(rule.tiers, key=lambda t: t.points)
    shortfall = None
    if tier.points < top.points:
        needed = _needed_for(top, ratio[1] if ratio else None)
        current = ratio[0] if ratio else value
        if needed is not None:
            shortfall = max(0.0, needed - current)
    branch = f"mức '{tier.describe(unit)}' → {format_number(tier.points)} điểm"
    return Outcome(tier.points, status_for(tier.points, max_points), rule_text, expected, branch, observed, refs,
                   shortfall=shortfall)


def _eval_proportional(rule, max_points, ctx, criterion, rule_text):
    value, observed, ratio = read_value(rule.value, ctx)
    expected = _expected(rule, max_points, ctx)
    refs = [o.ref for o in observed if o.ref]
    shortfall = (ratio[1] - ratio[0]) if ratio else None
    if rule.floor is not None and value < rule.floor:
        return Outcome(0, "fail", rule_text, expected, f"tỷ lệ {_pct(value)} dưới ngưỡng {_pct(rule.floor)} → 0 điểm",
                       observed, refs, shortfall=shortfall)
    points = max_points * value / 100
    return Outcome(points, status_for(points, max_points), rule_text, expected,
                   f"{_pct(value)} × {format_number(max_points)} điểm = {format_number(points)} điểm", observed, refs,
                   shortfall=shortfall or None)


def _document_timing(kind: str, spec: DeadlineSpec, grace: int, ctx: Context) -> tuple[str, Document | None, date, list[Observation]]:
    """'on_time', 'late', 'missing' or 'not_due' for one required document."""
    due = ctx.deadline(spec)
    document, observed = ctx.document(kind, due)
    if document is None:
        state = "not_due" if ctx.as_of < due + timedelta(days=grace) else "missing"
        observed = observed + [Observation(name=ctx.label(kind), value="chưa có trong minh chứng")]
        return state, None, due, observed
    late_days = (document.issue_date - due).days
    return ("on_time" if late_days <= grace else "late"), document, due, observed


def _eval_timeliness(rule, max_points, ctx, criterion, rule_text):
    expected = _expected(rule, max_points, ctx)
    state, document, due, observed = _document_timing(rule.document, rule.deadline, rule.grace_days, ctx)
    refs = [ctx.cite(document)] if document else []
    on_time = max_points if rule.on_time_points is None else rule.on_time_points
    label = ctx.label(rule.document)
    if state == "not_due":
        when = (f"hạn {format_date(due)} chưa đến" if ctx.as_of < due
                else f"hạn {format_date(due)} đã qua nhưng còn trong {rule.grace_days} ngày cho phép trễ")
        return Outcome(0, "not_due", rule_text, expected,
                       f"chưa có {label}; {when} (số liệu chốt ngày {format_date(ctx.as_of)})",
                       observed, missing=[label])
    if state == "missing":
        return Outcome(rule.missing_points, "missing_evidence", rule_text, expected,
                       f"không có {label}; đã quá hạn {format_date(due)} → {format_number(rule.missing_points)} điểm",
                       observed, missing=[label])
    if state == "on_time":
        return Outcome(on_time, status_for(on_time, max_points), rule_text, expected,
                       f"ban hành ngày {format_date(document.issue_date)}, đúng hạn {format_date(due)} → {format_number(on_time)} điểm",
                       observed, refs)
    days = (document.issue_date - due).days
    return Outcome(rule.late_points, status_for(rule.late_points, max_points), rule_text, expected,
                   f"ban hành ngày {format_date(document.issue_date)}, trễ {days} ngày so với hạn {format_date(due)} "
                   f"→ {format_number(rule.late_points)} điểm", observed, refs, missing=[f"{label} (trễ hạn)"])


def _eval_documents(rule, max_points, ctx, criterion, rule_text):
    expected = _expected(rule, max_points, ctx)
    states = []
    observed: list[Observation] = []
    refs: list[str] = []
    for required in rule.documents:
        state, document, due, obs = _document_timing(required.kind, required.deadline, 0, ctx)
        label = required.label or ctx.label(required.kind)
        states.append((state, label, due, document))
        text = {"on_time": "đúng hạn", "late": "trễ hạn", "missing": "không có (đã quá hạn)", "not_due": "chưa đến hạn"}[state]
        observed.append(Observation(name=f"{label} (hạn {format_date(due)})",
                                    value=(ctx.cite(document) + ", " if document else "") + text,
                                    ref=ctx.cite(document) if document else None))
        if document:
            refs.append(ctx.cite(document))
    bad = [(s, label) for s, label, _, _ in states if s in ("late", "missing")]
    missing = [label for s, label in bad if s == "missing"]
    late = [label for s, label in bad if s == "late"]
    if not bad:
        pending = [f"{label} (hạn {format_date(due)})" for s, label, due, _ in states if s == "not_due"]
        if pending:
            branch = ("chưa văn bản nào đến hạn" if len(pending) == len(states)
                      else "các văn bản đã đến hạn đều đúng hạn; còn văn bản chưa đến hạn")
            return Outcome(0, "not_due", rule_text, expected, branch, observed, refs, missing=pending)
        return Outcome(max_points, "pass", rule_text, expected, "tất cả văn bản ban hành đúng hạn", observed, refs)
    parts = []
    if missing:
        parts.append("thiếu: " + ", ".join(missing))
    if late:
        parts.append("trễ hạn: " + ", ".join(late))
    status: Status = "missing_evidence" if missing else status_for(rule.points_otherwise, max_points)
    return Outcome(rule.points_otherwise, status, rule_text, expected,
                   "; ".join(parts) + f" → {format_number(rule.points_otherwise)} điểm", observed, refs,
                   missing=missing + [f"{x} (trễ hạn)" for x in late])


def _eval_count(rule, max_points, ctx, criterion, rule_text):
    value, observed, _ = read_value(rule.value, ctx)
    expected = _expected(rule, max_points, ctx)
    cap = max_points if rule.cap is None else min(rule.cap, max_points)
    if value != math.floor(value):
        raise DataProblem(f"số lượng phải là số nguyên, nhận được {format_number(value)}", observed)
    points = min(value * rule.points_per_item, cap)
    shortfall = max(0.0, math.ceil(cap / rule.points_per_item - EPS) - value)
    return Outcome(points, status_for(points, max_points), rule_text, expected,
                   f"{format_number(value)} × {format_number(rule.points_per_item)} điểm"
                   + (f", tối đa {format_number(cap)}" if value * rule.points_per_item > cap else "")
                   + f" = {format_number(points)} điểm", observed, [o.ref for o in observed if o.ref],
                   shortfall=shortfall or None)


def _scored_entry(entries, max_points, ctx, criterion, rule_text, rule, source_word: str) -> Outcome:
    expected = _expected(rule, max_points, ctx)
    found = [e for e in entries if e.criterion == criterion]
    if not found:
        return Outcome(0, "missing_evidence", rule_text, expected, f"chưa có điểm {source_word}",
                       missing=[f"điểm {source_word} kèm giải trình"])
    observed = [Observation(name=f"điểm {source_word}", value=format_number(e.points),
                            ref=f"{e.by}: {e.justification}" + (f" ({'; '.join(e.evidence)})" if e.evidence else ""))
                for e in found]
    if len(found) > 1:
        raise DataProblem(f"tiêu chí {criterion} có {len(found)} điểm {source_word} khác nhau", observed)
    entry = found[0]
    if entry.points < 0 or entry.points > max_points + EPS:
        raise DataProblem(f"điểm {source_word} {format_number(entry.points)} nằm ngoài khoảng 0–{format_number(max_points)}",
                          observed)
    return Outcome(entry.points, status_for(entry.points, max_points), rule_text, expected,
                   f"điểm {source_word} {format_number(entry.points)} ({entry.by})", observed,
                   [entry.justification] + entry.evidence)


def _eval_survey(rule, max_points, ctx, criterion, rule_text):
    if any(e.criterion == criterion for e in ctx.bundle.manual):
        raise DataProblem(f"tiêu chí {criterion} lấy điểm từ điều tra xã hội học; đơn vị không được tự chấm")
    return _scored_entry(ctx.bundle.survey, max_points, ctx, criterion, rule_text, rule, "điều tra xã hội học")


def _eval_manual(rule, max_points, ctx, criterion, rule_text):
    return _scored_entry(ctx.bundle.manual, max_points, ctx, criterion, rule_text, rule, "chấm thủ công")


_EVALUATORS = {
    "pass_fail": _eval_pass_fail,
    "all_of": _eval_all_of,
    "any_of": _eval_any_of,
    "tiers": _eval_tiers,
    "proportional": _eval_proportional,
    "timeliness": _eval_timeliness,
    "documents": _eval_documents,
    "count": _eval_count,
    "survey": _eval_survey,
    "manual": _eval_manual,
}


# ---------------------------------------------------------------- words


def describe_rule(rule, max_points: float, labels: dict[str, str]) -> str:
    """The rule in Vietnamese words, as an appraiser would read it in the criteria annex."""
    def label(name: str) -> str:
        return labels.get(name, name)

    m = format_number(max_points)
    kind = rule.kind
    if kind == "pass_fail":
        return f"Đạt khi {describe_condition(rule.condition, labels)}: {format_number(rule.points_pass if rule.points_pass is not None else max_points)} điểm; không đạt: {format_number(rule.points_fail)} điểm"
    if kind in ("all_of", "any_of"):
        joiner = " và " if kind == "all_of" else " hoặc "
        return f"Đạt {m} điểm khi " + joiner.join(describe_condition(c, labels) for c in rule.conditions)
    if kind == "tiers":
        unit = "%" if rule.value.is_percent else ""
        return f"Theo {rule.value.describe(labels)}: " + "; ".join(f"{t.describe(unit)} → {format_number(t.points)} điểm" for t in rule.tiers)
    if kind == "proportional":
        floor = f"; dưới {_pct(rule.floor)} → 0 điểm" if rule.floor is not None else ""
        return f"Điểm = {rule.value.describe(labels)} × {m} điểm{floor}"
    if kind == "timeliness":
        on_time = format_number(max_points if rule.on_time_points is None else rule.on_time_points)
        grace = f" (cho phép trễ {rule.grace_days} ngày)" if rule.grace_days else ""
        return (f"{label(rule.document)} ban hành không muộn hơn {rule.deadline.describe(labels=labels)}{grace}: {on_time} điểm; "
                f"trễ hạn: {format_number(rule.late_points)} điểm; không ban hành: {format_number(rule.missing_points)} điểm")
    if kind == "documents":
        items = ", ".join(f"{d.label or label(d.kind)} (hạn {d.deadline.describe(labels=labels)})" for d in rule.documents)
        return f"Tất cả văn bản đúng hạn: {m} điểm; thiếu hoặc trễ bất kỳ văn bản nào: {format_number(rule.points_otherwise)} điểm. Gồm: {items}"
    if kind == "count":
        cap = format_number(max_points if rule.cap is None else min(rule.cap, max_points))
        return f"{format_number(rule.points_per_item)} điểm × {rule.value.describe(labels)}, tối đa {cap} điểm"
    if kind == "survey":
        return f"Điểm lấy từ {rule.source}, tối đa {m} điểm; đơn vị không tự chấm"
    return f"Chấm thủ công có giải trình và minh chứng, tối đa {m} điểm" + (f". Hướng dẫn: {rule.guidance}" if rule.guidance else "")


def describe_expected(rule, max_points: float, labels: dict[str, str], year: int | None = None) -> str:
    """What full points require, in words."""
    kind = rule.kind
    if kind == "tiers":
        unit = "%" if rule.value.is_percent else ""
        top = max(rule.tiers, key=lambda t: t.points)
        return f"{top.describe(unit)} để đạt {format_number(top.points)} điểm"
    if kind == "proportional":
        return "100% để đạt " + format_number(max_points) + " điểm"
    if kind == "timeliness":
        return f"{labels.get(rule.document, rule.document)} ban hành không muộn hơn {rule.deadline.describe(year, labels)}"
    if kind == "documents":
        return "; ".join(f"{d.label or labels.get(d.kind, d.kind)} không muộn hơn {d.deadline.describe(year, labels)}" for d in rule.documents)
    if kind == "count":
        cap = max_points if rule.cap is None else min(rule.cap, max_points)
        return f"ít nhất {format_number(math.ceil(cap / rule.points_per_item - EPS))} để đạt {format_number(cap)} điểm"
    if kind == "pass_fail":
        return describe_condition(rule.condition, labels)
    if kind in ("all_of", "any_of"):
        joiner = " và " if kind == "all_of" else " hoặc "
        return joiner.join(describe_condition(c, labels) for c in rule.conditions)
    if kind == "survey":
        return "điểm điều tra xã hội học"
    return "điểm chấm có giải trình và minh chứng"
