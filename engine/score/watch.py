"""In-year early warning: the normal engine evaluated at dated snapshots, not a separate rule engine.

At the watch date the latest snapshot of each unit is scored; the findings the rules report
(documents not yet due, missing past their deadline or late, overdue plan tasks) become warnings
with a stable key (unit, criterion, period, kind). Ratios read from two or more snapshots are
projected linearly to the end of the period and scored again. Warnings are merged with the
previous run's: raised once, repeated when worse, closed when the evidence arrives.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from engine.core.ids import natural_key
from engine.core.vnformat import format_date, format_number, round_half_up
from engine.kinds.base import EPS, pct, task_lists
from engine.kinds.proportional import ProportionalRule
from engine.kinds.tree import LoadedCriteria, leaf_max
from engine.kinds.tiers import TiersRule
from engine.model.changes import AddDocument, Change, CompleteTask, SetMetric
from engine.model.evidence import LoadedBundle
from engine.model.planning import EarlyWarning, UnitOutlook, WarningKind, WatchResult
from engine.model.results import Finding, UnitResult
from engine.score.leaf import evaluate_leaf
from engine.score.unit import score_unit
from engine.score.whatif import changed_bundle, context_of, leaves

SOON_URGENT_DAYS = 7
LONG_OVERDUE_DAYS = 30


def _warning(unit: str, criterion: str, period: str, kind: WarningKind, due: date | None, message: str,
             level: float) -> EarlyWarning:
    return EarlyWarning(key=f"{unit}|{criterion}|{period}|{kind}", unit_id=unit, criterion=criterion, kind=kind,
                        period=period, due=due, state="new", message=message, level=level)


def finding_warnings(result: UnitResult, as_of: date, within: int) -> list[EarlyWarning]:
    """Documents due within `within` days and not filed, documents missing past or filed after their deadline, overdue tasks."""
    found = []
    unit = result.unit_id
    for node in result.nodes:
        if not node.is_leaf:
            continue
        for finding in node.findings:
            warning = _from_finding(unit, node.id, finding, as_of, within)
            if warning is not None:
                found.append(warning)
    return found


def _from_finding(unit: str, criterion: str, finding: Finding, as_of: date, within: int) -> EarlyWarning | None:
    due = finding.expected
    if finding.anchor or due is None:
        return None
    where = f"tiêu chí {criterion}"
    if finding.what == "document":
        if finding.state == "not_due":
            left = (due - as_of).days
            if left > within:
                return None
            return _warning(unit, criterion, due.isoformat(), "due_soon", due,
                            f"{finding.label} ({where}) đến hạn ngày {format_date(due)}, còn {left} ngày, chưa có trong minh chứng",
                            2 if left <= SOON_URGENT_DAYS else 1)
        if finding.state == "missing":
            late = (as_of - due).days
            return _warning(unit, criterion, due.isoformat(), "overdue_document", due,
                            f"{finding.label} ({where}) đã quá hạn {format_date(due)} {late} ngày, chưa có trong minh chứng",
                            2 if late >= LONG_OVERDUE_DAYS else 1)
        if finding.state == "late":
            return _warning(unit, criterion, due.isoformat(), "late_document", due,
                            f"{finding.item or finding.label} ({where}) ban hành trễ so với hạn {format_date(due)}", 1)
        return None
    if finding.what == "task" and finding.state == "missing":
        late = (as_of - due).days
        return _warning(unit, criterion, f"{due.isoformat()}/{finding.name}", "task_overdue", due,
                        f"Nhiệm vụ kế hoạch số {finding.name} ({finding.label}) quá hạn từ {format_date(due)}, chưa hoàn thành",
                        2 if late >= LONG_OVERDUE_DAYS else 1)
    return None


def _project(points: list[tuple[date, float]], start: date, end: date) -> float:
    """A cumulative count projected to `end` by the least-squares line through the snapshots."""
    xs = [(when - start).days for when, _ in points]
    ys = [value for _, value in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread if spread else 0.0
    return max(0.0, mean_y + slope * ((end - start).days - mean_x))


def trend_warnings(loaded: LoadedCriteria, snapshots: list[LoadedBundle], now: LoadedBundle,
                   result: UnitResult) -> list[EarlyWarning]:
    """Ratios whose trend over the snapshots (two or more, at different dates) misses full points at the period end."""
    if len(snapshots) < 2:
        return []
    period = now.bundle.period
    series: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for snapshot in snapshots:
        for metric in snapshot.bundle.metrics:
            series[metric.name].append((snapshot.bundle.as_of, metric.value))
    found = []
    nodes = {n.id: n for n in result.nodes}
    for node in leaves(loaded):
        rule = node.rule
        if not isinstance(rule, (TiersRule, ProportionalRule)) or rule.value.ratio is None:
            continue
        if nodes[node.id].status in ("not_applicable", "data_error"):
            continue
        num, den = rule.value.ratio
        if len(series[num]) < 2 or len(series[den]) < 2:
            continue
        den_end = round(_project(series[den], period.start, period.end))
        num_end = min(round(_project(series[num], period.start, period.end)), den_end)
        if den_end <= 0:
            continue
        projected = changed_bundle(now, [SetMetric(metric=num, value=num_end), SetMetric(metric=den, value=den_end)])
        top = leaf_max(node, result.level)
        points = round_half_up(evaluate_leaf(node, context_of(loaded, projected), top).points, loaded.criteria.rounding)
        if points < top - EPS:
            ctx = context_of(loaded, now)
            found.append(_warning(
                result.unit_id, node.id, str(period.year), "trend", period.end,
                f"Theo xu hướng từ {len(series[num])} lần chốt số liệu, tỷ lệ {ctx.label(num)} trên {ctx.label(den)} "
                f"dự kiến đạt {pct(num_end * 100 / den_end)} vào ngày {format_date(period.end)}; tiêu chí {node.id} "
                f"chỉ được {format_number(points)}/{format_number(top)} điểm",
                round(top - points, 6)))
    return found


def filed_on_time(loaded: LoadedCriteria, evidence: LoadedBundle, result: UnitResult, cutoff: date) -> list[Change]:
    """Everything due by the cut-off and not yet filed, filed on its deadline: documents, and plan tasks still to come."""
    changes: list[Change] = []
    seen = set()
    for node in result.nodes:
        for finding in node.findings:
            if (finding.what == "document" and finding.state == "not_due" and not finding.anchor
                    and finding.expected is not None and finding.expected <= cutoff and finding.name not in seen):
                seen.add(finding.name)
                changes.append(AddDocument(document=finding.name, issued=finding.expected))
    _, _, _, coming = task_lists(context_of(loaded, evidence))
    changes += [CompleteTask(task=t.id, done=t.deadline) for t in coming if t.deadline <= cutoff]
    return changes


def merge(current: list[EarlyWarning], previous: list[EarlyWarning], units: set[str]) -> tuple[list[EarlyWarning],
                                                                                                list[EarlyWarning]]:
    """(this run's warnings with their state, the state to keep): new, open, worse, or closed when gone.

    A warning gone because a stronger one took its place (due soon, then overdue) is dropped, not closed.
    Warnings of units not in this run are kept as they are.
    """
    before = {w.key: w for w in previous}
    shown = []
    for warning in current:
        prior = before.get(warning.key)
        if prior is None or prior.state == "closed":
            state = "new"
        elif warning.level > prior.level + EPS:
            state = "worse"
        else:
            state, warning = "open", warning.model_copy(update={"level": max(warning.level, prior.level)})
        shown.append(warning.model_copy(update={"state": state}))
    now = {w.key for w in current}
    successors = {(w.unit_id, w.criterion, w.period) for w in current}
    kept = []
    for prior in previous:
        if prior.key in now:
            continue
        if prior.unit_id not in units:
            kept.append(prior)
        elif prior.state != "closed" and (prior.unit_id, prior.criterion, prior.period) not in successors:
            closed = prior.model_copy(update={"state": "closed"})
            shown.append(closed)
            kept.append(closed)
        elif prior.state == "closed":
            kept.append(prior)

    def order(w: EarlyWarning):
        return (w.unit_id, natural_key(w.criterion), w.period, w.kind)

    return sorted(shown, key=order), sorted(kept + [w for w in shown if w.state != "closed"], key=order)


def watch(loaded: LoadedCriteria, bundles: list[LoadedBundle], as_of: date, within: int, cutoff: date | None,
          previous: list[EarlyWarning]) -> tuple[WatchResult, list[EarlyWarning]]:
    """Warnings of every unit at `as_of` from its snapshots up to that day, and the state to keep for the next run."""
    by_unit: dict[str, list[LoadedBundle]] = defaultdict(list)
    for bundle in bundles:
        if bundle.bundle.as_of <= as_of:
            by_unit[bundle.bundle.unit.id].append(bundle)
    current: list[EarlyWarning] = []
    outlooks = []
    for unit in sorted(by_unit):
        snapshots = sorted(by_unit[unit], key=lambda b: b.bundle.as_of)
        latest = snapshots[-1]
        end = cutoff or latest.bundle.period.end
        now = changed_bundle(latest, [], as_of)
        result = score_unit(loaded, now)
        found = finding_warnings(result, as_of, within) + trend_warnings(loaded, snapshots, now, result)
        current += found
        at_end = max(end, as_of)
        unchanged = score_unit(loaded, changed_bundle(latest, [], at_end))
        filed = score_unit(loaded, changed_bundle(latest, filed_on_time(loaded, now, result, at_end), at_end))
        outlooks.append((unit, result, unchanged, filed))
    shown, kept = merge(current, previous, set(by_unit))
    units = [UnitOutlook(unit_id=unit, name=result.name, index_now=result.index_pct,
                         index_if_nothing_changes=unchanged.index_pct, index_if_all_filed=filed.index_pct)
             for unit, result, unchanged, filed in outlooks]
    result = WatchResult(as_of=as_of, within_days=within, cutoff=cutoff, warnings=shown, units=units)
    return result, kept
