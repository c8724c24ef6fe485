"""Score units: evaluate every leaf, apply not-applicable handling, add up the tree, classify and rank.

Each unit is scored on its own (a pure function of the set and one bundle), so scoring many units
is a loop that can later run in parallel.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .criteria import CriteriaSet, Node, leaf_max
from .criteria_check import LoadedCriteria
from .evidence import LoadedBundle
from .problems import InputError, Problem
from .remediation import build_task
from .results import (
    AdjustmentResult, AreaResult, CriteriaRef, Explanation, NodeResult, RemediationTask, RunResult, STATUS_LABELS,
    UnitResult,
)
from .evidence_names import BUILTIN_METRICS
from .rules import (
    EPS, Context, DataProblem, MissingEvidence, Outcome, ZeroDenominator, describe_condition, describe_expected, describe_rule,
    eval_condition,
    evaluate_rule,
)
from .vnformat import format_date, format_number, round_half_up


def catalog_labels(criteria: CriteriaSet) -> dict[str, str]:
    """Vietnamese labels of every evidence name, for explanations."""
    labels = {name: label for name, (label, _) in BUILTIN_METRICS.items()}
    for group in (criteria.catalog.documents, criteria.catalog.metrics, criteria.catalog.facts):
        labels.update({name: entry.label for name, entry in group.items()})
    return labels


def set_levels(criteria: CriteriaSet) -> set[str]:
    levels = {criteria.level}
    stack = list(criteria.items)
    while stack:
        node = stack.pop()
        levels.update(node.levels or {})
        stack.extend(node.children)
    return levels


def _na_outcome(node: Node, max_points: float, reason: str, rule_text: str, expected: str) -> Outcome:
    """Not applicable: either removed from the applicable maximum or given full points, as the set says."""
    if node.not_applicable == "full_points":
        return Outcome(max_points, "not_applicable", rule_text, expected, f"{reason} → được trọn {format_number(max_points)} điểm")
    return Outcome(0, "not_applicable", rule_text, expected, f"{reason} → loại khỏi điểm tối đa", applicable=False)


def evaluate_leaf(node: Node, criteria: CriteriaSet, ctx: Context, max_points: float) -> Outcome:
    """One leaf: not-applicable handling first, then its rule; evidence problems become statuses."""
    rule_text = describe_rule(node.rule, max_points, ctx.labels)
    expected = describe_expected(node.rule, max_points, ctx.labels, ctx.year)
    declared = [d for d in ctx.bundle.not_applicable if d.criterion == node.id]
    if declared:
        declaration = declared[0]
        if node.not_applicable is None:
            return Outcome(0, "data_error", rule_text, expected, "khai báo không áp dụng không hợp lệ",
                           problems=[f"tiêu chí {node.id} không cho phép khai báo không áp dụng "
                                     f"(khai báo của {declaration.by}: {declaration.justification})"])
        declared_ref = f"Khai báo không áp dụng của {declaration.by}: {declaration.justification}"
        if node.applicable_if is not None:
            try:
                check = eval_condition(node.applicable_if, ctx)
            except (DataProblem, MissingEvidence):
                check = None
            if check is not None and check.value:
                return Outcome(0, "data_error", rule_text, expected, "khai báo không áp dụng mâu thuẫn với số liệu",
                               check.observed, [declared_ref] + [o.ref for o in check.observed if o.ref],
                               problems=[f"đơn vị khai báo không áp dụng nhưng số liệu cho thấy tiêu chí có áp dụng "
                                         f"({check.text})"])
        outcome = _na_outcome(node, max_points, f"đơn vị khai báo không áp dụng: {declaration.justification} ({declaration.by})",
                              rule_text, expected)
        outcome.refs = [declared_ref]
        return outcome
    if node.applicable_if is not None:
        try:
            condition = eval_condition(node.applicable_if, ctx)
        except DataProblem as exc:
            return Outcome(0, "data_error", rule_text, expected, "lỗi dữ liệu, chưa chấm được", exc.observed,
                           problems=[exc.message])
        except MissingEvidence as exc:
            return Outcome(0, "missing_evidence", rule_text, expected, f"thiếu minh chứng: {exc.what}", missing=[exc.what])
        if condition.value is None:
            return Outcome(0, "missing_evidence", rule_text, expected, "thiếu minh chứng để xác định tiêu chí có áp dụng không",
                           condition.observed, missing=condition.missing)
        if not condition.value:
            outcome = _na_outcome(node, max_points, f"điều kiện áp dụng không thỏa ({condition.text})", rule_text, expected)
            outcome.observed = condition.observed
            outcome.refs = [o.ref for o in condition.observed if o.ref]
            return outcome
    if (node.rule.kind == "survey" and criteria.when_survey_missing == "exclude"
            and not ctx.bundle.survey  # a survey run for some criteria but not this one is missing evidence
            and not any(e.criterion == node.id for e in ctx.bundle.manual)):
        return Outcome(0, "not_applicable", rule_text, expected,
                       "chưa có kết quả điều tra xã hội học → loại khỏi điểm tối đa (bộ chỉ số quy định quy đổi khi chưa điều tra)",
                       applicable=False)
    try:
        return evaluate_rule(node.rule, max_points, ctx, node.id)
    except ZeroDenominator as exc:
        reason = f"mẫu số '{ctx.label(exc.name)}' bằng 0, không tính được tỷ lệ"
        if node.not_applicable is not None:
            outcome = _na_outcome(node, max_points, reason, rule_text, expected)
            outcome.observed = exc.observed
            outcome.refs = [o.ref for o in exc.observed if o.ref]
            return outcome
        return Outcome(0, "data_error", rule_text, expected, "lỗi dữ liệu, chưa chấm được", exc.observed,
                       problems=[reason + "; cần bổ sung số liệu hoặc bộ chỉ số phải cho phép không áp dụng"])


def score_unit(loaded: LoadedCriteria, evidence: LoadedBundle) -> UnitResult:
    """Score one unit against one set; a pure function of the two."""
    criteria = loaded.criteria
    bundle = evidence.bundle
    level = bundle.unit.level
    ctx = Context(bundle, catalog_labels(criteria), evidence.failed)
    rnd = criteria.rounding
    results: list[NodeResult] = []
    areas: list[AreaResult] = []
    warnings = [p.render() for p in evidence.warnings]

    def visit(node: Node, depth: int, parent: str | None, area: Node) -> tuple[float, float, bool, list[str]]:
        """Returns (points, applicable max, applicable, child statuses) and appends results in pre-order."""
        position = len(results)
        if node.is_leaf:
            max_points = leaf_max(node, level)
            outcome = evaluate_leaf(node, criteria, ctx, max_points)
            points = round_half_up(min(max(outcome.points, 0.0), max_points), rnd)
            applicable_max = max_points if outcome.applicable else 0.0
            lost = round_half_up(applicable_max - points, rnd)
            remediation = None
            if lost > EPS and outcome.status != "not_applicable":
                remediation = RemediationTask(**build_task(node.id, node.title, area.id, node.remediation, outcome, lost,
                                                           bundle.unit.name, ctx.year, bundle.as_of))
            results.append(NodeResult(
                id=node.id, title=node.title, depth=depth, parent=parent, is_leaf=True, points=points,
                max_points=max_points, applicable=outcome.applicable, status=outcome.status,
                status_label=STATUS_LABELS[outcome.status],
                explanation=Explanation(rule=outcome.rule, expected=outcome.expected, observed=outcome.observed,
                                        branch=outcome.branch, problems=outcome.problems),
                evidence_refs=sorted(set(outcome.refs)), missing=outcome.missing, remediation=remediation))
            return points, applicable_max, outcome.applicable, [outcome.status]
        results.append(None)  # placeholder, filled once the children are known
        points = applicable_max = 0.0
        statuses: list[str] = []
        applicable = False
        for child in node.children:
            p, m, a, s = visit(child, depth + 1, node.id, area)
            points += p
            applicable_max += m
            applicable = applicable or a
            statuses += s
        points, applicable_max = round_half_up(points, rnd), round_half_up(applicable_max, rnd)
        full_max = round_half_up(sum(_subtree_max(child, level) for child in node.children), rnd)
        status = _parent_status(points, applicable_max, statuses)
        results[position] = NodeResult(
            id=node.id, title=node.title, depth=depth, parent=parent, is_leaf=False, points=points,
            max_points=full_max, applicable=applicable, status=status, status_label=STATUS_LABELS[status],
            explanation=Explanation(rule="Tổng điểm các tiêu chí thành phần", expected=f"{format_number(applicable_max)} điểm",
                                    branch=f"đạt {format_number(points)}/{format_number(applicable_max)} điểm áp dụng"))
        return points, applicable_max, applicable, statuses

    total = applicable_total = 0.0
    for item in criteria.items:
        p, m, _, _ = visit(item, 0, None, item)
        total += p
        applicable_total += m
        areas.append(AreaResult(id=item.id, title=item.title, points=p, max_points=round_half_up(m, rnd),
                                index_pct=round_half_up(p / m * 100, rnd) if m > EPS else None))

    bonus, penalty, adjustments = _adjustments(criteria, ctx, rnd)
    total = round_half_up(max(0.0, total + bonus - penalty), rnd)
    denominator = applicable_total if criteria.index_basis == "applicable" else criteria.max_points
    index = round_half_up(total / denominator * 100, rnd) if denominator > EPS else None
    band = next((b.label for b in criteria.bands if index is not None and b.contains(min(index, 100.0))), None)
    name_warnings = _unknown_names(criteria, bundle) + _stray_entries(criteria, bundle)
    penalty_warnings = [f"{a.id} {a.title}: {a.status_label} ({a.explanation.branch}); chưa xác định được có bị trừ điểm không"
                        for a in adjustments if a.kind == "penalty" and a.status == "missing_evidence"]
    data_problems = (sum(1 for r in results if r.is_leaf and r.status == "data_error")
                     + sum(1 for a in adjustments if a.status == "data_error") + len(evidence.warnings)
                     + len(name_warnings) + len(penalty_warnings))
    return UnitResult(
        unit_id=bundle.unit.id, name=bundle.unit.name, level=level, evidence_file=evidence.file,
        evidence_hash=evidence.digest, as_of=format_date(bundle.as_of), points=total,
        max_points=round_half_up(applicable_total, rnd), total_max_points=criteria.max_points, index_pct=index, band=band,
        bonus=bonus, penalty=penalty, data_problems=data_problems, areas=areas, nodes=results,
        adjustments=adjustments, warnings=warnings + name_warnings + penalty_warnings)


def _subtree_max(node: Node, level: str) -> float:
    if node.is_leaf:
        return leaf_max(node, level)
    return sum(_subtree_max(child, level) for child in node.children)


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


def _adjustments(criteria: CriteriaSet, ctx: Context, rnd: int) -> tuple[float, float, list[AdjustmentResult]]:
    bonus = penalty = 0.0
    out: list[AdjustmentResult] = []
    for adj in criteria.adjustments:
        outcome = evaluate_rule(adj.rule, adj.max_points, ctx, adj.id)
        points = round_half_up(min(max(outcome.points, 0.0), adj.max_points), rnd) if outcome.status != "data_error" else 0.0
        status, branch = outcome.status, outcome.branch
        cap = format_number(adj.max_points)
        if adj.kind == "bonus":
            bonus += points
            rule, expected = f"Điểm thưởng (tối đa {cap} điểm): {outcome.rule}", f"được cộng tối đa {cap} điểm"
        else:
            penalty += points
            rule, expected = f"Điểm trừ (tối đa {cap} điểm): {outcome.rule}", "không bị trừ điểm"
            if adj.rule.kind == "pass_fail":
                deducted = adj.max_points if adj.rule.points_pass is None else adj.rule.points_pass
                rule = f"Bị trừ {format_number(deducted)} điểm khi {describe_condition(adj.rule.condition, ctx.labels)}"
            if status in ("pass", "partial", "fail"):
                # For a penalty the rule holding is the bad outcome: deducted points read as "không đạt".
                status = "fail" if points > 0 else "pass"
                branch = f"bị trừ {format_number(points)} điểm ({branch})" if points > 0 else "không bị trừ điểm"
        out.append(AdjustmentResult(
            id=adj.id, title=adj.title, kind=adj.kind, points=points, max_points=adj.max_points, status=status,
            status_label=STATUS_LABELS[status],
            explanation=Explanation(rule=rule, expected=expected, observed=outcome.observed,
                                    branch=branch, problems=outcome.problems)))
    if criteria.bonus_cap is not None:
        bonus = min(bonus, criteria.bonus_cap)
    if criteria.penalty_cap is not None:
        penalty = min(penalty, criteria.penalty_cap)
    return round_half_up(bonus, rnd), round_half_up(penalty, rnd), out


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
            elif what == "manual" and node.rule.kind not in ("manual", "survey"):
                notes.append(f"manual: tiêu chí '{entry.criterion}' chấm theo quy tắc từ minh chứng; điểm tự chấm bị bỏ qua")
            elif what == "survey" and node.rule.kind != "survey":
                notes.append(f"survey: tiêu chí '{entry.criterion}' không phải tiêu chí điều tra xã hội học; bị bỏ qua")
    return sorted(notes)


def rank_units(units: list[UnitResult]) -> list[UnitResult]:
    """Competition ranking (1, 1, 3) by index within each unit level; ties listed by unit id."""
    by_level: dict[str, list[UnitResult]] = defaultdict(list)
    for unit in units:
        by_level[unit.level].append(unit)
    ranked: list[UnitResult] = []
    for level in sorted(by_level):
        ordered = sorted(by_level[level], key=lambda u: (-(u.index_pct if u.index_pct is not None else -1), u.unit_id))
        previous, rank = None, 0
        for position, unit in enumerate(ordered, start=1):
            if unit.index_pct != previous:
                rank, previous = position, unit.index_pct
            ranked.append(unit.model_copy(update={"rank": rank if unit.index_pct is not None else None}))
    return ranked


def level_problems(loaded: LoadedCriteria, bundles: list[LoadedBundle]) -> list[Problem]:
    """Units whose level the set does not cover: scoring them would use the wrong maxima."""
    levels = set_levels(loaded.criteria)
    return [Problem(file=b.file, path="unit.level", value=b.bundle.unit.level,
                    message=f"cấp đơn vị '{b.bundle.unit.level}' không dùng được bộ chỉ số cấp {', '.join(sorted(levels))}")
            for b in bundles if b.bundle.unit.level not in levels]


def score_run(loaded: LoadedCriteria, bundles: list[LoadedBundle], file: Path | str, progress=None) -> RunResult:
    """Score every unit and rank them; `progress` (if given) is called after each unit."""
    problems = level_problems(loaded, bundles)
    if problems:
        raise InputError(problems)
    units = []
    for bundle in sorted(bundles, key=lambda b: b.bundle.unit.id):
        units.append(score_unit(loaded, bundle))
        if progress is not None:
            progress()
    criteria = loaded.criteria
    ref = CriteriaRef(id=criteria.id, title=criteria.title, level=criteria.level, year=criteria.year,
                      file=Path(file).name, hash=loaded.digest)
    return RunResult(criteria_set=ref, units=rank_units(units))
