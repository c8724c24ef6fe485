"""What-if and remedies: a unit re-scored by the normal engine on a changed copy of its evidence.

Nothing here evaluates a rule: changes are applied to the bundle (engine.model.changes) and the
copy goes through score_unit, exactly as a file would. Remedies come from each rule kind's own
inverse (RuleKind.remedies).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from engine.core.vnformat import format_date, format_number, round_half_up
from engine.kinds.base import EPS, Context
from engine.kinds.tree import LoadedCriteria, Node, catalog_labels, iter_nodes, leaf_max
from engine.load.metric_checks import contradictions, failed_names
from engine.model.changes import Change, Remedy, apply_changes, changed_metrics
from engine.model.evidence import LoadedBundle
from engine.model.planning import CriterionChange, Suggestion, WhatIf
from engine.model.results import UnitResult
from engine.score.run import rank_units
from engine.score.unit import score_unit

NO_REMEDY_STATUSES = ("pass", "not_applicable", "data_error")


def changed_bundle(evidence: LoadedBundle, changes: list[Change], as_of: date | None = None) -> LoadedBundle:
    """The evidence with the changes applied; its hash covers the changes, a metric set by hand is no longer failed."""
    bundle = apply_changes(evidence.bundle, changes, as_of)
    if not changes and as_of is None:
        return evidence
    payload = json.dumps([c.model_dump(mode="json") for c in changes], ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(f"{evidence.digest}\n{payload}\n{as_of or ''}".encode()).hexdigest()
    set_by_hand = changed_metrics(changes)
    # Counts that contradicted each other are checked again on the changed numbers: a fix clears them,
    # a new contradiction is a data problem as it would be in a file.
    before = failed_names(contradictions(evidence.bundle.metrics))
    kept = {name: why for name, why in evidence.failed.items() if name not in set_by_hand and before.get(name) != why}
    failed = {**failed_names(contradictions(bundle.metrics, set(kept))), **kept}
    return LoadedBundle(bundle, evidence.file, digest, evidence.warnings, failed)


def context_of(loaded: LoadedCriteria, evidence: LoadedBundle) -> Context:
    criteria = loaded.criteria
    return Context(evidence.bundle, catalog_labels(criteria), evidence.failed, criteria.when_survey_missing)


def what_if(loaded: LoadedCriteria, ranked: list[UnitResult], evidence: LoadedBundle, changes: list[Change],
            as_of: date | None = None) -> WhatIf:
    """The unit scored with the changes (at another as-of date, if given), ranked among the others as they are."""
    unit_id = evidence.bundle.unit.id
    before = next(u for u in ranked if u.unit_id == unit_id)
    changed = changed_bundle(evidence, changes, as_of)
    after = score_unit(loaded, changed)
    others = [u for u in ranked if u.unit_id != unit_id]
    after = next(u for u in rank_units(others + [after]) if u.unit_id == unit_id)
    labels = catalog_labels(loaded.criteria)
    return WhatIf(unit_id=unit_id, applied=list(changes), applied_words=[c.describe(labels) for c in changes],
                  before=before, after=after,
                  changes=node_changes(before, after), suggestions=suggestions(loaded, changed, after))


def node_changes(before: UnitResult, after: UnitResult) -> list[CriterionChange]:
    """Nodes (and adjustments) whose points or status moved, in the set's order."""
    old = {n.id: n for n in before.nodes}
    found = []
    for node in after.nodes:
        prior = old[node.id]
        if abs(node.points - prior.points) > EPS or node.status != prior.status:
            found.append(CriterionChange(
                id=node.id, title=node.title, is_leaf=node.is_leaf, points_before=prior.points, points_after=node.points,
                delta=round(node.points - prior.points, 6), status_before=prior.status, status_after=node.status,
                explanation=node.explanation))
    old_adjustments = {a.id: a for a in before.adjustments}
    for adjustment in after.adjustments:
        prior = old_adjustments[adjustment.id]
        if abs(adjustment.points - prior.points) > EPS or adjustment.status != prior.status:
            sign = 1 if adjustment.kind == "bonus" else -1
            found.append(CriterionChange(
                id=adjustment.id, title=adjustment.title, is_leaf=True, points_before=sign * prior.points,
                points_after=sign * adjustment.points, delta=round(sign * (adjustment.points - prior.points), 6),
                status_before=prior.status, status_after=adjustment.status, explanation=adjustment.explanation))
    return found


def leaves(loaded: LoadedCriteria) -> list[Node]:
    return [node for node, _, _ in iter_nodes(loaded.criteria.items) if node.is_leaf]


def suggestions(loaded: LoadedCriteria, evidence: LoadedBundle, result: UnitResult) -> list[Suggestion]:
    """For every leaf that lost points, each step its rule can still recover and the smallest change for it."""
    ctx = context_of(loaded, evidence)
    nodes = {n.id: n for n in result.nodes}
    rnd = loaded.criteria.rounding
    found = []
    for node in leaves(loaded):
        scored = nodes[node.id]
        if scored.remediation is None or scored.status in NO_REMEDY_STATUSES:
            continue
        top = leaf_max(node, result.level)
        for remedy in node.rule.suggest(top, ctx, scored.points):
            found.append(suggestion(node, scored.points, remedy, top, rnd))
    return found


def suggestion(node: Node, current: float, remedy: Remedy, top: float, rnd: int) -> Suggestion:
    after = round_half_up(min(max(remedy.points, 0.0), top), rnd)
    late = None if remedy.late_points is None else round_half_up(min(max(remedy.late_points, 0.0), top), rnd)
    text = (f"{remedy.words}: tiêu chí {node.id} tăng từ {format_number(current)} lên {format_number(after)} điểm")
    if remedy.due is not None and late is not None:
        text += (f"; sau ngày {format_date(remedy.due)} chỉ còn {format_number(late)} điểm" if late > current + EPS
                 else f"; sau ngày {format_date(remedy.due)} không còn tăng được điểm")
    return Suggestion(criterion=node.id, title=node.title, points_before=current, points_after=after, words=remedy.words,
                      text=text, due=remedy.due, late_points=late, changes=remedy.changes)
