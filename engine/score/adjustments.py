"""Bonus and penalty points, each within its cap."""

from __future__ import annotations

from engine.core.vnformat import format_number
from engine.kinds.base import Context
from engine.kinds.tree import CriteriaSet
from engine.model.criteria import Rounder
from engine.model.results import STATUS_LABELS, AdjustmentResult, Explanation
from engine.score.leaf import scorer_outcome


def _adjustments(criteria: CriteriaSet, ctx: Context, rnd: Rounder,
                 scorers: dict[str, tuple[tuple[str, ...], bool]]) -> tuple[float, float, list[AdjustmentResult]]:
    bonus = penalty = 0.0
    out: list[AdjustmentResult] = []
    for adj in criteria.adjustments:
        outcome = scorer_outcome(adj.rule, ctx, adj.id, scorers[adj.id]) or adj.rule.score(adj.max_points, ctx, adj.id)
        points = rnd.leaf(min(max(outcome.points, 0.0), adj.max_points)) if outcome.status != "data_error" else 0.0
        status, branch = outcome.status, outcome.branch
        cap = format_number(adj.max_points)
        if adj.kind == "bonus":
            bonus += points
            rule, expected = f"Điểm thưởng (tối đa {cap} điểm): {outcome.rule}", f"được cộng tối đa {cap} điểm"
        else:
            penalty += points
            rule, expected = adj.rule.describe_penalty(adj.max_points, ctx.labels), "không bị trừ điểm"
            if status in ("pass", "partial", "fail"):
                # For a penalty the rule holding is the bad outcome: deducted points read as "không đạt".
                status = "fail" if points > 0 else "pass"
                branch = f"bị trừ {format_number(points)} điểm ({branch})" if points > 0 else "không bị trừ điểm"
        out.append(AdjustmentResult(
            id=adj.id, title=adj.title, kind=adj.kind, rule_kind=adj.rule.kind, points=points, max_points=adj.max_points,
            status=status,
            status_label=STATUS_LABELS[status],
            explanation=Explanation(rule=rule, expected=expected, observed=outcome.observed,
                                    branch=branch, problems=outcome.problems),
            computed_points=points, self_points=points, final_points=points))
    if criteria.bonus_cap is not None:
        bonus = min(bonus, criteria.bonus_cap)
    if criteria.penalty_cap is not None:
        penalty = min(penalty, criteria.penalty_cap)
    return rnd.total(bonus), rnd.total(penalty), out


