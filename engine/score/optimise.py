"""The best corrective plan under an effort budget, by the cut-off date, and the province-wide actions that lift the most.

Each candidate task is one lost criterion's best remedy (from the rule kind) started on the as-of
date and showing in the evidence `lead_days` later; its points are what the normal engine gives
the changed evidence at the cut-off (so a task done after its deadline earns only its late points).
The choice is an exact 0/1 knapsack over whole half-days; among plans with the most points the
one with the least effort wins, and remaining ties go to the plan the dynamic programme meets
first with criteria in official order, so the same inputs always give the same plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from engine.core.ids import natural_key
from engine.core.vnformat import format_date, format_number, round_half_up
from engine.kinds.base import EPS
from engine.kinds.tree import LoadedCriteria, Node, leaf_max
from engine.model.evidence import LoadedBundle
from engine.model.planning import BlockAction, BudgetPlan, PlanItem, UnitPlan
from engine.model.results import STATUS_LABELS, UnitResult
from engine.score.leaf import evaluate_leaf
from engine.score.unit import score_unit
from engine.score.whatif import NO_REMEDY_STATUSES, changed_bundle, context_of, leaves, suggestion

HALF_DAYS = 2  # effort is planned in half-days


def knapsack(weights: list[int], values: list[int], capacity: int, at: int | None = None) -> tuple[list[int], list[int]]:
    """Exact 0/1 knapsack: the chosen indices at room `at` (default `capacity`) and the best value at every room.

    An item is taken only when it strictly improves the value, so equal plans resolve to the same one every run.
    """
    best = [0] * (capacity + 1)
    taken: list[bytearray] = []
    for weight, value in zip(weights, values):
        row = bytearray(capacity + 1)
        for room in range(capacity, weight - 1, -1):
            candidate = best[room - weight] + value
            if candidate > best[room]:
                best[room] = candidate
                row[room] = 1
        taken.append(row)
    chosen = []
    room = capacity if at is None else at
    for index in range(len(weights) - 1, -1, -1):
        if taken[index][room]:
            chosen.append(index)
            room -= weights[index]
    return sorted(chosen), best


@dataclass
class _Candidate:
    item: PlanItem
    weight: int | None  # half-days; None when the task has no effort estimate


def _candidates(loaded: LoadedCriteria, evidence: LoadedBundle, baseline: UnitResult, by: date) -> list[_Candidate]:
    """Every lost criterion at the cut-off: its best remedy, when it shows, what the engine gives it then, or why not."""
    as_of = evidence.bundle.as_of
    at_cutoff = changed_bundle(evidence, [], by)
    rnd = loaded.criteria.rounding
    nodes = {n.id: n for n in baseline.nodes}
    found = []
    for node in leaves(loaded):
        scored = nodes[node.id]
        if scored.remediation is None:
            continue
        effort = node.remediation.effort if node.remediation is not None else None
        lead = effort.lead_days if effort is not None else 0
        ready = as_of + timedelta(days=lead)
        base = dict(unit_id=baseline.unit_id, criterion=node.id, title=node.title, text=scored.remediation.task,
                    effort_days=effort.person_days if effort else None, lead_days=effort.lead_days if effort else None,
                    ready=ready, points_now=scored.points, points_after=scored.points, gain=0.0)
        reason = _blocked(scored.status, ready, by)
        if reason is None:
            item, reason = _best(loaded, node, at_cutoff, ready, scored.points, base, rnd, baseline.level)
        if reason is not None:
            found.append(_Candidate(PlanItem(**base, reason=reason), None))
            continue
        weight = max(1, math.ceil(effort.person_days * HALF_DAYS - EPS)) if effort is not None else None
        if weight is None:
            item = item.model_copy(update={"reason": "mẫu nhiệm vụ khắc phục chưa có ước tính công sức (effort)"})
        found.append(_Candidate(item, weight))
    return found


def _blocked(status: str, ready: date, by: date) -> str | None:
    if status in NO_REMEDY_STATUSES:
        return f"tiêu chí đang ở trạng thái '{STATUS_LABELS[status]}': cần sửa số liệu trước"
    if ready > by:
        return f"có kết quả sớm nhất ngày {format_date(ready)}, sau ngày chốt {format_date(by)}"
    return None


def _best(loaded: LoadedCriteria, node: Node, at_cutoff: LoadedBundle, ready: date, current: float, base: dict,
          rnd: int, level: str) -> tuple[PlanItem | None, str | None]:
    """The remedy worth most at the cut-off, done on the day it is ready; its points come from the engine."""
    top = leaf_max(node, level)
    remedies = node.rule.suggest(top, context_of(loaded, changed_bundle(at_cutoff, [], ready)), current)
    if not remedies:
        return None, "không có thay đổi minh chứng nào còn lấy lại được điểm (quy tắc, hạn hoặc số liệu không cho phép)"
    best = None
    for remedy in remedies:
        changed = changed_bundle(at_cutoff, remedy.changes)
        points = round_half_up(min(max(evaluate_leaf(node, context_of(loaded, changed), top).points, 0.0), top), rnd)
        if best is None or points > best[0] + EPS:
            best = (points, remedy)
    points, remedy = best
    if points <= current + EPS:
        return None, (f"đã quá hạn {format_date(remedy.due)}: làm bây giờ không còn tăng được điểm"
                      if remedy.due is not None else "làm bây giờ không tăng được điểm")
    text = suggestion(node, current, remedy, top, rnd).text
    return PlanItem(**{**base, "text": text, "points_after": points, "gain": round_half_up(points - current, rnd),
                       "changes": remedy.changes}), None


def plan_unit(loaded: LoadedCriteria, evidence: LoadedBundle, budget_days: float, by: date
              ) -> tuple[UnitPlan, list[_Candidate], UnitResult]:
    """The best plan of one unit; also its candidates and its result at the cut-off, for the block view."""
    rnd = loaded.criteria.rounding
    baseline = score_unit(loaded, changed_bundle(evidence, [], by))
    candidates = _candidates(loaded, evidence, baseline, by)
    usable = [c for c in candidates if c.weight is not None and c.item.reason is None]
    scale = 10 ** rnd
    capacity = int(math.floor(budget_days * HALF_DAYS + EPS))
    most = capacity + HALF_DAYS  # one more day, for the marginal gain
    # Points first, then less effort: sum(gain * (most + 1) - weight) orders plans by points, then by effort.
    values = [round(c.item.gain * scale) * (most + 1) - c.weight for c in usable]
    chosen, best = knapsack([c.weight for c in usable], values, most, capacity)
    picked = [usable[i] for i in chosen]

    def points_of(value: int) -> float:
        return math.ceil(value / (most + 1)) / scale if value > 0 else 0.0

    marginal = round_half_up(points_of(best[most]) - points_of(best[capacity]), rnd)
    changes = [change for c in picked for change in c.item.changes]
    after = score_unit(loaded, changed_bundle(changed_bundle(evidence, [], by), changes)) if picked else baseline
    left_out = []
    for candidate in candidates:
        if candidate in picked:
            continue
        item = candidate.item
        if item.reason is None:
            item = item.model_copy(update={"reason": f"không đủ ngân sách: cần {format_number(item.effort_days)} ngày công "
                                                     f"cho {format_number(item.gain)} điểm"})
        left_out.append(item)
    effort = sum(c.item.effort_days for c in picked)
    plan = UnitPlan(
        unit_id=baseline.unit_id, name=baseline.name, as_of=evidence.bundle.as_of, by=by, budget_days=budget_days,
        points_at_cutoff=baseline.points, index_at_cutoff=baseline.index_pct,
        points_gained=round_half_up(after.points - baseline.points, rnd), index_after=after.index_pct,
        index_gained=None if after.index_pct is None or baseline.index_pct is None
        else round_half_up(after.index_pct - baseline.index_pct, rnd),
        effort_used=effort, marginal_gain_per_day=marginal,
        chosen=[c.item.model_copy(update={"chosen": True}) for c in picked],
        left_out=sorted(left_out, key=lambda i: natural_key(i.criterion)))
    return plan, candidates, baseline


def plan_block(loaded: LoadedCriteria, bundles: list[LoadedBundle], budget_days: float, by: date | None,
               top: int = 10) -> BudgetPlan:
    """Every unit's best plan, and the province-wide actions ranked by mean index gained and by units moved up a band.

    Without `by`, each unit is planned to the end of its assessment period.
    """
    plans = []
    gains: dict[str, list[tuple[UnitResult, _Candidate]]] = {}
    titles: dict[str, str] = {}
    for evidence in sorted(bundles, key=lambda b: b.bundle.unit.id):
        plan, candidates, baseline = plan_unit(loaded, evidence, budget_days, by or evidence.bundle.period.end)
        plans.append(plan)
        for candidate in candidates:
            titles[candidate.item.criterion] = candidate.item.title
            if candidate.item.gain > EPS:
                gains.setdefault(candidate.item.criterion, []).append((baseline, candidate))
    actions = [_action(loaded, criterion, titles[criterion], found, len(plans)) for criterion, found in gains.items()]
    by_mean = sorted((a for a in actions if a.mean_index_gain > EPS), key=lambda a: (-a.mean_index_gain, natural_key(a.criterion)))
    by_band = sorted((a for a in actions if a.units_up_a_band),
                     key=lambda a: (-a.units_up_a_band, -a.mean_index_gain, natural_key(a.criterion)))
    return BudgetPlan(criteria_set=loaded.criteria.id, by=by, budget_days=budget_days, units=plans,
                      by_mean_index=by_mean[:top], by_band_moves=by_band[:top])


def _action(loaded: LoadedCriteria, criterion: str, title: str, found: list[tuple[UnitResult, _Candidate]],
            units: int) -> BlockAction:
    """One criterion recovered wherever it can be by the cut-off: index gained per unit and bands crossed."""
    criteria = loaded.criteria
    rnd = criteria.rounding
    order = {band.label: index for index, band in enumerate(sorted(criteria.bands, key=lambda b: b.min))}
    total_gain = 0.0
    moved = 0
    for baseline, candidate in found:
        if baseline.index_pct is None or baseline.max_points <= EPS:
            continue
        index = round_half_up((baseline.points + candidate.item.gain) / baseline.max_points * 100, rnd)
        total_gain += index - baseline.index_pct
        band = next((b.label for b in criteria.bands if b.contains(min(index, 100.0))), None)
        if band is not None and order.get(band, -1) > order.get(baseline.band, -1):
            moved += 1
    efforts = [c.item.effort_days for _, c in found]
    return BlockAction(criterion=criterion, title=title, units=len(found),
                       mean_index_gain=round_half_up(total_gain / units, rnd), units_up_a_band=moved,
                       effort_days=None if any(e is None for e in efforts) else sum(efforts))
