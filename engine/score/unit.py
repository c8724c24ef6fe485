"""Score units: evaluate every leaf, apply not-applicable handling, add up the tree, classify and rank.

Each unit is scored on its own (a pure function of the set and one bundle), so scoring many units
is a loop that can later run in parallel.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from engine.core.vnformat import format_number
from engine.kinds.base import EPS, Context, Peer
from engine.kinds.tree import (
    CriteriaSet,
    LoadedCriteria,
    Node,
    block_of,
    catalog_labels,
    leaf_max,
    level_bands,
    level_items,
    level_max_points,
    node_max,
    rounder,
    scorers_by_item,
)
from engine.model.criteria import Rounder, band_for
from engine.model.evidence import LoadedBundle
from engine.model.names import BUILTIN_METRICS
from engine.model.results import STATUS_LABELS, AreaResult, Explanation, NodeResult, RemediationTask, UnitResult
from engine.score.adjustments import _adjustments
from engine.score.leaf import evaluate_leaf, leaf_words
from engine.score.remediation import build_task


class _Layout:
    """What scoring a unit needs from the set, worked out once per set, unit level and year, not once per unit.

    Per node: the items scored for the level, the maximum, and for a leaf its rule in words.
    """

    def __init__(self, loaded: LoadedCriteria, level: str, year: int):
        criteria = loaded.criteria
        self.labels = catalog_labels(criteria)
        self.rnd = rounder(criteria)
        self.scorers = scorers_by_item(criteria)
        self.top = level_items(criteria.items, level)
        self.children: dict[str, list[Node]] = {}
        self.leaf_max: dict[str, float] = {}
        self.full_max: dict[str, float] = {}
        self.words: dict[str, tuple[str, str]] = {}
        stack = list(self.top)
        while stack:
            node = stack.pop()
            if node.is_leaf:
                top = leaf_max(node, level)
                self.leaf_max[node.id] = top
                self.words[node.id] = leaf_words(node, self.labels, year, top, self.scorers[node.id])
            else:
                self.children[node.id] = level_items(node.children, level)
                self.full_max[node.id] = self.rnd.total(node_max(node, level))
                stack.extend(self.children[node.id])


_LAYOUTS: WeakKeyDictionary[LoadedCriteria, dict[tuple[str, int], _Layout]] = WeakKeyDictionary()


def _layout(loaded: LoadedCriteria, level: str, year: int) -> _Layout:
    per_set = _LAYOUTS.setdefault(loaded, {})
    layout = per_set.get((level, year))
    if layout is None:
        layout = per_set[(level, year)] = _Layout(loaded, level, year)
    return layout


class _Walk:
    """One unit's walk down the tree (a method, not a closure that refers to itself: that would make every unit's
    results a reference cycle, which only the garbage collector frees)."""

    def __init__(self, layout: _Layout, ctx: Context, bundle):
        self.layout, self.ctx, self.bundle = layout, ctx, bundle
        self.rnd, self.scorers = layout.rnd, layout.scorers
        self.results: list[NodeResult | None] = []

    def visit(self, node: Node, depth: int, parent: str | None, area: Node) -> tuple[float, float, bool, list[str]]:
        """Returns (points, applicable max, applicable, child statuses) and appends results in pre-order."""
        position = len(self.results)
        if node.is_leaf:
            max_points = self.layout.leaf_max[node.id]
            outcome = evaluate_leaf(node, self.ctx, max_points, self.scorers[node.id], self.layout.words[node.id])
            points = self.rnd.leaf(min(max(outcome.points, 0.0), max_points))
            applicable_max = max_points if outcome.applicable else 0.0
            lost = self.rnd.leaf(applicable_max - points)
            remediation = None
            if lost > EPS and outcome.status != "not_applicable":
                remediation = RemediationTask(**build_task(node.id, node.title, area.id, node.remediation, outcome, lost,
                                                           self.bundle.unit.name, self.ctx.year, self.bundle.as_of))
            self.results.append(NodeResult(
                id=node.id, title=node.title, depth=depth, parent=parent, is_leaf=True, rule_kind=node.rule.kind,
                points=points,
                max_points=max_points, applicable=outcome.applicable, status=outcome.status,
                status_label=STATUS_LABELS[outcome.status],
                explanation=Explanation(rule=outcome.rule, expected=outcome.expected, observed=outcome.observed,
                                        branch=outcome.branch, problems=outcome.problems,
                                        says_status=outcome.says_status, lists_missing=outcome.lists_missing),
                evidence_refs=sorted(set(outcome.refs)), missing=outcome.missing, findings=outcome.findings,
                remediation=remediation, computed_points=points, self_points=points, final_points=points))
            return points, applicable_max, outcome.applicable, [outcome.status]
        self.results.append(None)  # placeholder, filled once the children are known
        points = applicable_max = 0.0
        statuses: list[str] = []
        applicable = False
        for child in self.layout.children[node.id]:
            p, m, a, s = self.visit(child, depth + 1, node.id, area)
            points += p
            applicable_max += m
            applicable = applicable or a
            statuses += s
        points, applicable_max = self.rnd.total(points), self.rnd.total(applicable_max)
        full_max = self.layout.full_max[node.id]
        status = _parent_status(points, applicable_max, statuses)
        self.results[position] = NodeResult(
            id=node.id, title=node.title, depth=depth, parent=parent, is_leaf=False, points=points,
            max_points=full_max, applicable=applicable, status=status, status_label=STATUS_LABELS[status],
            explanation=Explanation(rule="Tổng điểm các tiêu chí thành phần", expected=f"{format_number(applicable_max)} điểm",
                                    branch=f"đạt {format_number(points)}/{format_number(applicable_max)} điểm áp dụng"),
            computed_points=points, self_points=points, final_points=points)
        return points, applicable_max, applicable, statuses


def score_unit(loaded: LoadedCriteria, evidence: LoadedBundle, peers: dict[str, list[Peer]] | None = None) -> UnitResult:
    """Score one unit against one set; a pure function of the two (and, for rules that compare the units of a block,
    of the block's values in `peers`, see engine.score.run.block_peers)."""
    criteria = loaded.criteria
    bundle = evidence.bundle
    level = bundle.unit.level
    layout = _layout(loaded, level, bundle.period.year)
    ctx = Context(bundle, layout.labels, evidence.failed, criteria.when_survey_missing, peers)
    rnd = layout.rnd
    scorers = layout.scorers
    areas: list[AreaResult] = []
    warnings = [p.render() for p in evidence.warnings]
    walk = _Walk(layout, ctx, bundle)
    results = walk.results

    total = applicable_total = 0.0
    for item in layout.top:
        p, m, _, _ = walk.visit(item, 0, None, item)
        total += p
        applicable_total += m
        area_index = rnd.index(p / m * 100) if m > EPS else None
        areas.append(AreaResult(id=item.id, title=item.title, points=p, max_points=rnd.total(m),
                                index_pct=area_index, final_points=p, final_index_pct=area_index))

    bonus, penalty, adjustments = _adjustments(criteria, ctx, rnd, scorers)
    total = rnd.total(max(0.0, total + bonus - penalty))
    full_total = level_max_points(criteria, level)
    denominator = applicable_total if criteria.index_basis == "applicable" else full_total
    index = rnd.index(total / denominator * 100) if denominator > EPS else None
    band = band_for(level_bands(criteria, level), index)
    block = block_of(criteria, level)
    name_warnings = _unknown_names(criteria, bundle) + _stray_entries(criteria, bundle)
    penalty_warnings = [f"{a.id} {a.title}: {a.status_label} ({a.explanation.branch}); chưa xác định được có bị trừ điểm không"
                        for a in adjustments if a.kind == "penalty" and a.status == "missing_evidence"]
    data_problems = (sum(1 for r in results if r.is_leaf and r.status == "data_error")
                     + sum(1 for a in adjustments if a.status == "data_error") + len(evidence.warnings)
                     + len(name_warnings) + len(penalty_warnings))
    return UnitResult(
        unit_id=bundle.unit.id, name=bundle.unit.name, level=level, evidence_file=evidence.file,
        evidence_hash=evidence.digest, as_of=bundle.as_of, points=total,
        max_points=rnd.total(applicable_total), total_max_points=full_total, index_pct=index, band=band,
        block=None if block is None else block.label,
        bonus=bonus, penalty=penalty, data_problems=data_problems, areas=areas, nodes=results,
        adjustments=adjustments, warnings=warnings + name_warnings + penalty_warnings,
        self_points=total, final_points=total, final_index_pct=index)


def _parent_status(points: float, applicable_max: float, statuses: list[str]) -> str:
    if "data_error" in statuses:
        return "data_error"
    if applicable_max <= EPS:
        return "not_applicable"
    if points >= applicable_max - EPS:
        return "pass"
    if points > EPS:
        return "partial"
    if all(s in ("not_due", "not_applicable") for s in statuses):
        return "not_due"
    if any(s == "missing_evidence" for s in statuses) and all(s in ("missing_evidence", "not_applicable", "not_due") for s in statuses):
        return "missing_evidence"
    return "fail"




def _unknown_names(criteria: CriteriaSet, bundle) -> list[str]:
    """Evidence names the set does not know: usually a typo, which would otherwise read as missing evidence."""
    metrics = set(criteria.catalog.metrics) | set(criteria.catalog.facts) | set(BUILTIN_METRICS)
    notes = [f"loại tài liệu '{kind}' không có trong bộ chỉ số {criteria.id} (kiểm tra chính tả); tài liệu không được dùng để chấm"
             for kind in sorted({d.kind for d in bundle.documents} - set(criteria.catalog.documents))]
    notes += [f"chỉ số '{name}' không có trong bộ chỉ số {criteria.id} (kiểm tra chính tả); số liệu không được dùng để chấm"
              for name in sorted({m.name for m in bundle.metrics} - metrics)]
    return notes


def _stray_entries(criteria: CriteriaSet, bundle) -> list[str]:
    """Scores and declarations for criteria the set does not have, or for rule-scored criteria."""
    leaves = {}
    stack = list(criteria.items)
    while stack:
        node = stack.pop()
        if node.is_leaf:
            leaves[node.id] = node
        stack.extend(node.children)
    notes = []
    for what, entries in (("manual", bundle.manual), ("survey", bundle.survey), ("not_applicable", bundle.not_applicable)):
        for entry in entries:
            node = leaves.get(entry.criterion)
            if node is None:
                notes.append(f"{what}: tiêu chí '{entry.criterion}' không có trong bộ chỉ số {criteria.id}; bị bỏ qua")
            elif what == "manual" and node.rule.points_from == "evidence":
                notes.append(f"manual: tiêu chí '{entry.criterion}' chấm theo quy tắc từ minh chứng; điểm tự chấm bị bỏ qua")
            elif what == "survey" and node.rule.points_from != "survey":
                notes.append(f"survey: tiêu chí '{entry.criterion}' không phải tiêu chí điều tra xã hội học; bị bỏ qua")
    return sorted(notes)


def component_index(unit: UnitResult, node_id: str, rnd: Rounder) -> float | None:
    """An item's component index in %: its points over its applicable maximum (None when nothing of it applies).

    An area's is the one in the unit's areas; a criterion's is computed the same way from its leaves.
    """
    area = next((a for a in unit.areas if a.id == node_id), None)
    if area is not None:
        return area.index_pct
    nodes = [n for n in unit.nodes if n.id == node_id]
    if not nodes:
        return None
    node = nodes[0]
    if node.is_leaf:
        leaves = [node]
    else:
        leaves = [n for n in unit.nodes if n.is_leaf and n.id.startswith(node_id + ".")]
    applicable = rnd.total(sum(n.max_points for n in leaves if n.applicable))
    return rnd.index(node.points / applicable * 100) if applicable > EPS else None
