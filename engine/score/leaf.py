"""One leaf: its rule evaluated, or its not-applicable outcome, or a person's score."""

from __future__ import annotations

from dataclasses import replace

from engine.core.vnformat import format_number
from engine.kinds.base import (
    Context,
    DataProblem,
    MissingEvidence,
    Outcome,
    ZeroDenominator,
    data_error_outcome,
    missing_outcome,
    refs_of,
)
from engine.kinds.registry import Rule
from engine.kinds.tree import Node
from engine.model.criteria import SCORER_LABELS, scorer_words


def _na_outcome(node: Node, max_points: float, reason: str) -> Outcome:
    """Not applicable: either removed from the applicable maximum or given full points, as the set says."""
    if node.not_applicable == "full_points":
        return Outcome(max_points, "not_applicable", f"{reason} → được trọn {format_number(max_points)} điểm")
    return Outcome(0, "not_applicable", f"{reason} → loại khỏi điểm tối đa", applicable=False)


def scorer_outcome(rule: Rule, ctx: Context, item: str, scorers: tuple[tuple[str, ...], bool]) -> Outcome | None:
    """A data problem when a score entry for a scored item names a role the set does not let score it; else None."""
    if rule.points_from == "evidence":
        return None
    roles, _ = scorers
    wrong = [e for e in ctx.bundle.manual + ctx.bundle.survey
             if e.criterion == item and e.role is not None and e.role not in roles]
    if not wrong:
        return None
    return data_error_outcome([f"điểm tiêu chí {item} do {e.by} ({SCORER_LABELS[e.role]}) chấm nhưng tiêu chí này do "
                               f"{scorer_words(roles)} chấm" for e in wrong])


def leaf_words(node: Node, labels: dict[str, str], year: int, max_points: float,
               scorers: tuple[tuple[str, ...], bool] | None = None) -> tuple[str, str]:
    """The leaf's rule and what it expects, in words: the same for every unit of a level and year."""
    rule = node.rule.describe(max_points, labels)
    if scorers is not None and scorers[1] and node.rule.points_from != "evidence":
        rule += f"; người chấm: {scorer_words(scorers[0])}"
    return rule, node.rule.expected(max_points, labels, year)


def evaluate_leaf(node: Node, ctx: Context, max_points: float,
                  scorers: tuple[tuple[str, ...], bool] | None = None, words: tuple[str, str] | None = None) -> Outcome:
    """One leaf: not-applicable handling first, then who scored it, then its rule; evidence problems become statuses.

    `words` are leaf_words for this leaf, when the caller has them already.
    """
    if words is None:
        words = leaf_words(node, ctx.labels, ctx.year, max_points, scorers)
    outcome = applicability(node, ctx, max_points)
    if outcome is None and scorers is not None:
        outcome = scorer_outcome(node.rule, ctx, node.id, scorers)
    if outcome is None:
        try:
            return node.rule.score(max_points, ctx, node.id, words)
        except ZeroDenominator as exc:
            reason = f"mẫu số '{ctx.label(exc.name)}' bằng 0, không tính được tỷ lệ"
            if node.not_applicable is not None:
                return replace(_na_outcome(node, max_points, reason), observed=exc.observed, refs=refs_of(exc.observed),
                               rule=words[0], expected=words[1])
            outcome = data_error_outcome([reason + "; cần bổ sung số liệu hoặc bộ chỉ số phải cho phép không áp dụng"],
                                         exc.observed, refs=[])
    outcome.rule, outcome.expected = words  # built above for this leaf alone
    return outcome


def applicability(node: Node, ctx: Context, max_points: float) -> Outcome | None:
    """The outcome when the unit declared the leaf not applicable or its `applicable_if` decides; else None."""
    declared = ctx.not_applicable.get(node.id)
    if declared:
        declaration = declared[0]
        if node.not_applicable is None:
            return Outcome(0, "data_error", "khai báo không áp dụng không hợp lệ",
                           problems=[f"tiêu chí {node.id} không cho phép khai báo không áp dụng "
                                     f"(khai báo của {declaration.by}: {declaration.justification})"])
        declared_ref = f"Khai báo không áp dụng của {declaration.by}: {declaration.justification}"
        if node.applicable_if is not None:
            try:
                check = node.applicable_if.check(ctx)
            except (DataProblem, MissingEvidence):
                check = None
            if check is not None and check.value:
                return Outcome(0, "data_error", "khai báo không áp dụng mâu thuẫn với số liệu",
                               check.observed, [declared_ref] + refs_of(check.observed),
                               problems=[f"đơn vị khai báo không áp dụng nhưng số liệu cho thấy tiêu chí có áp dụng "
                                         f"({check.text})"])
        reason = f"đơn vị khai báo không áp dụng: {declaration.justification} ({declaration.by})"
        return replace(_na_outcome(node, max_points, reason), refs=[declared_ref])
    if node.applicable_if is None:
        return None
    try:
        condition = node.applicable_if.check(ctx)
    except DataProblem as exc:
        return data_error_outcome([exc.message], exc.observed, refs=[])
    except MissingEvidence as exc:
        return missing_outcome(exc)
    if condition.value is None:
        return Outcome(0, "missing_evidence", "thiếu minh chứng để xác định tiêu chí có áp dụng không",
                       condition.observed, missing=condition.missing, findings=condition.findings, says_status=True)
    if not condition.value:
        reason = f"điều kiện áp dụng không thỏa ({condition.text})"
        return replace(_na_outcome(node, max_points, reason), observed=condition.observed,
                       refs=refs_of(condition.observed))
    return None
