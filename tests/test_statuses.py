"""Each status code with its Vietnamese label, and the data problems that must never become points."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RATIO, SAMPLE_CRITERIA, bundle_dict, leaf, node, score

from engine.load.bundles import load_bundle
from engine.load.criteria import load_criteria
from engine.model.results import STATUS_LABELS
from engine.score.unit import score_unit

LABELS = {
    "pass": "đạt",
    "partial": "đạt một phần",
    "fail": "không đạt",
    "missing_evidence": "thiếu minh chứng",
    "not_applicable": "không áp dụng",
    "not_due": "chưa đến hạn",
    "data_error": "lỗi dữ liệu",
}


def test_status_vocabulary_is_fixed():
    assert STATUS_LABELS == LABELS


TIMELY = {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 3}, "late_points": 0.5}
CASES = {
    "pass": (TIMELY, bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": "31/03/2024"}])),
    "partial": (TIMELY, bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": "01/04/2024"}])),
    "fail": ({**TIMELY, "late_points": 0}, bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": "01/04/2024"}])),
    "missing_evidence": (TIMELY, bundle_dict()),
    "not_applicable": (TIMELY, bundle_dict(not_applicable=[{"criterion": "1.1", "justification": "Không giao", "by": "A"}])),
    "not_due": (TIMELY, bundle_dict(as_of="30/03/2024")),
    "data_error": (TIMELY, bundle_dict(as_of="30/03/2024", documents=[{"kind": "ke_hoach", "issue_date": "31/03/2024"}])),
}


@pytest.mark.parametrize("status", list(LABELS))
def test_each_status_is_reachable_with_its_label(status):
    rule, bundle = CASES[status]
    result = leaf(rule, bundle, max_points=1, leaf={"not_applicable": "exclude"})
    assert (result.status, result.status_label) == (status, LABELS[status])
    assert result.points == {"pass": 1, "partial": 0.5}.get(status, 0)


def test_status_labels_travel_with_the_run(sample_run):
    assert sample_run.status_labels == LABELS


# ---------------------------------------------------------------- data problems


def test_phuong_3_digitized_above_resolved_is_a_data_error(sample_run):
    """The real case: 834 resolved, 857 digitized, reported as 100 %: never full points."""
    unit = sample_run.unit("phuong-3")
    result = node(unit, "3.5.1")
    assert (result.points, result.status, result.status_label) == (0, "data_error", "lỗi dữ liệu")
    [problem] = result.explanation.problems
    assert problem.startswith("số liệu hồ sơ mâu thuẫn: số hồ sơ số hóa kết quả không thể nhiều hơn số hồ sơ đã giải "
                              "quyết; Số hồ sơ đã số hóa kết quả giải quyết 857 (Báo cáo CCHC quý I/2024")
    assert "lớn hơn Số hồ sơ TTHC đã giải quyết 834 (Báo cáo CCHC quý I/2024" in problem
    assert {o.value for o in result.explanation.observed} == {"857", "834"}
    assert (node(unit, "3.5").status, node(unit, "3").status) == ("data_error", "data_error")
    # The resolved count is one of the two contradicting numbers: the on-time rate built on it is not scored either.
    on_time = node(unit, "3.2.1")
    assert (on_time.status, on_time.points, on_time.explanation.problems) == ("data_error", 0, [problem])
    assert unit.data_problems == 3  # 3.5.1, 3.2.1 and the bundle's warning naming the two numbers
    assert result.remediation.task.startswith("Rà soát, sửa số liệu của tiêu chí 3.5.1")
    assert result.remediation.recoverable_points == 4


def test_numerator_above_denominator_never_scores_for_any_percentage_rule():
    bundle = bundle_dict(metrics={"results_digitized": 857, "dossiers_resolved": 834})
    value = {"ratio": ["results_digitized", "dossiers_resolved"]}
    rules = [
        {"kind": "tiers", "value": value, "tiers": [{"min": 0, "max": 100, "max_inclusive": True, "points": 4}]},
        {"kind": "proportional", "value": value},
        {"kind": "pass_fail", "condition": {**value, "op": ">=", "target": 100}},
    ]
    for rule in rules:
        result = leaf(rule, bundle, max_points=4)
        assert (result.points, result.status) == (0, "data_error"), rule["kind"]


def test_equal_numerator_and_denominator_is_full():
    result = leaf({"kind": "proportional", "value": RATIO}, bundle_dict(metrics={"da_xu_ly": 834, "phai_xu_ly": 834}))
    assert (result.points, result.status) == (4, "pass")


def test_negative_count_is_a_data_error():
    result = leaf({"kind": "proportional", "value": RATIO}, bundle_dict(metrics={"da_xu_ly": -2, "phai_xu_ly": 10}))
    assert (result.points, result.status) == (0, "data_error")
    assert result.explanation.problems == ["chỉ số 'da_xu_ly' âm (-2)"]


def test_metric_declared_twice_is_a_data_error():
    bundle = bundle_dict()
    bundle["metrics"] = [{"name": "so_hop", "value": 7}, {"name": "so_hop", "value": 5}]
    result = leaf({"kind": "count", "value": {"metric": "so_hop"}, "points_per_item": 1}, bundle, max_points=4)
    assert (result.points, result.status) == (0, "data_error")
    assert result.explanation.problems == ["chỉ số 'so_hop' được khai báo 2 lần với các giá trị 5, 7"]


BAD_BUNDLE = """\
unit: {id: don-vi-a, name: UBND Phường A, level: xa}
period: {year: 2024, start: 01/01/2024, end: 31/12/2024}
as_of: 29/02/2024
documents:
  - kind: ke_hoach_cchc
    title: Kế hoạch CCHC
    issue_date: 15/03/2024
metrics:
  - {name: propaganda_items, value: -3}
  - {name: staff_disciplined, value: 0}
  - {name: staff_disciplined, value: 1}
"""


def test_bundle_data_problems_are_warnings_and_count_in_the_unit(tmp_path: Path):
    """Impossible data is read (not an input error), warned about, and counted against the unit."""
    path = tmp_path / "don-vi.yaml"
    path.write_text(BAD_BUNDLE, encoding="utf-8")
    loaded, problems = load_bundle(path)
    assert loaded is not None
    assert all(p.severity == "warning" for p in problems)
    assert [(p.code, p.file, p.path, p.line, p.value) for p in problems] == [
        ("evidence.document_after_as_of", str(path), "documents[0].issue_date", 7, "15/03/2024"),
        ("evidence.negative_metric", str(path), "metrics[0].value", 9, "-3.0"),
        ("evidence.duplicate_metric", str(path), "metrics[2].name", 11, "staff_disciplined"),
    ]
    unit = score_unit(load_criteria(SAMPLE_CRITERIA), loaded)
    affected = [node(unit, i) for i in ("1.1.1", "1.1.2", "1.1.3", "1.4.2", "5.4.1")]  # 1.1.2-3 judge that plan
    assert [(n.status, n.points) for n in affected] == [("data_error", 0)] * 5
    penalty = next(a for a in unit.adjustments if a.id == "P1")  # "no plan" cannot be decided either
    assert (penalty.status, penalty.points) == ("data_error", 0)
    assert unit.data_problems == 5 + 1 + 3  # leaves, the penalty, the bundle warnings
    assert len(unit.warnings) == 3


def test_document_after_as_of_fails_even_when_an_earlier_copy_exists():
    bundle = bundle_dict(as_of="29/02/2024", documents=[{"kind": "ke_hoach", "issue_date": "10/01/2024"},
                                                         {"kind": "ke_hoach", "issue_date": "10/03/2024"}])
    result = leaf({"kind": "pass_fail", "condition": {"document": "ke_hoach"}}, bundle, max_points=1)
    assert result.status == "data_error"


# ---------------------------------------------------------------- parent statuses


def two_leaves(first_rule, bundle, second=None):
    sibling = second or {"id": "1.2", "title": "B", "max_points": 1,
                         "rule": {"kind": "timeliness", "document": "bao_cao_1", "deadline": {"day": 31, "month": 3}}}
    return node(score(first_rule, bundle, max_points=1, sibling=sibling), "1")


NOT_DUE = {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 3}}


@pytest.mark.parametrize("as_of, documents, status", [
    ("30/03/2024", [], "not_due"),  # both not due
    ("01/04/2024", [], "missing_evidence"),  # both missing
    ("01/04/2024", [{"kind": "ke_hoach", "issue_date": "31/03/2024"}], "partial"),
    ("01/04/2024", [{"kind": "ke_hoach", "issue_date": "31/03/2024"}, {"kind": "bao_cao_1", "issue_date": "31/03/2024"}],
     "pass"),
    ("30/03/2024", [{"kind": "bao_cao_1", "issue_date": "31/03/2024"}], "data_error"),
])
def test_parent_status_from_leaves(as_of, documents, status):
    parent = two_leaves(NOT_DUE, bundle_dict(as_of=as_of, documents=documents))
    assert (parent.status, parent.status_label) == (status, LABELS[status])


def test_parent_fail_when_a_leaf_fails_and_another_is_missing():
    rule = {"kind": "pass_fail", "condition": {"fact": "co_a"}}
    parent = two_leaves(rule, bundle_dict(metrics={"co_a": "không"}))
    assert parent.status == "fail"


def test_parent_not_applicable_when_nothing_applies():
    declared = [{"criterion": c, "justification": "Không giao", "by": "A"} for c in ("1.1", "1.2")]
    second = {"id": "1.2", "title": "B", "max_points": 1, "not_applicable": "exclude",
              "rule": {"kind": "pass_fail", "condition": {"fact": "co_a"}}}
    unit = score(NOT_DUE, bundle_dict(not_applicable=declared), max_points=1, sibling=second,
                 leaf={"not_applicable": "exclude"})
    assert (node(unit, "1").status, node(unit, "1").applicable) == ("not_applicable", False)
    assert (unit.max_points, unit.index_pct, unit.band) == (0, None, None)
