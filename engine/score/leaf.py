"""One leaf: its rule evaluated, or its not-applicable outcome, or a person's score."""

from __future__ import annotations

from engine.core.vnformat import format_number
from engine.kinds.rules import (
    Context,
    DataProblem,
    MissingEvidence,
    Outcome,
    ZeroDenominator,
    describe_expected,
    describe_rule,
    eval_condition,
    evaluate_rule,
)
from engine.model.criteria import CriteriaSet, Node


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


