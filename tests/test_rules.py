"""Every rule kind at and around its boundaries: points, status and the Vietnamese explanation."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RATIO, bundle_dict, leaf, node, score
from pydantic import ValidationError

from engine.model.evidence import Bundle

# "trên 90%" → 2; "từ 70% - 90%" → 1 (both ends included); "dưới 70%" → 0
PLAN_TIERS = {
    "kind": "tiers",
    "value": RATIO,
    "tiers": [
        {"min": 90, "min_inclusive": False, "max": 100, "max_inclusive": True, "points": 2, "label": "trên 90%"},
        {"min": 70, "max": 90, "max_inclusive": True, "points": 1, "label": "từ 70% đến 90%"},
        {"min": 0, "max": 70, "points": 0, "label": "dưới 70%"},
    ],
}


def ratio_bundle(numerator: float, denominator: float, **kwargs) -> dict:
    return bundle_dict(metrics={"da_xu_ly": numerator, "phai_xu_ly": denominator}, **kwargs)


# ---------------------------------------------------------------- tiers


@pytest.mark.parametrize("numerator, denominator, points, status, label", [
    (100, 100, 2, "pass", "trên 90%"),
    (900_001, 1_000_000, 2, "pass", "trên 90%"),  # 90.0001 %
    (90, 100, 1, "partial", "từ 70% đến 90%"),  # "từ 70% - 90%" includes 90
    (9, 10, 1, "partial", "từ 70% đến 90%"),
    (70, 100, 1, "partial", "từ 70% đến 90%"),  # ... and includes 70
    (6_999, 10_000, 0, "fail", "dưới 70%"),  # 69.99 %
    (0, 100, 0, "fail", "dưới 70%"),
])
def test_tiers_bounds_strict_and_inclusive(numerator, denominator, points, status, label):
    result = leaf(PLAN_TIERS, ratio_bundle(numerator, denominator), max_points=2)
    assert (result.points, result.status) == (points, status)
    assert result.explanation.branch == f"mức '{label}' → {points:g} điểm"


def test_tiers_status_labels_and_observed_ratio():
    result = leaf(PLAN_TIERS, ratio_bundle(9, 10), max_points=2)
    assert result.status_label == "đạt một phần"
    observed = {o.name: o.value for o in result.explanation.observed}
    assert observed["Số việc đã xử lý (da_xu_ly)"] == "9"
    assert observed["Số việc phải xử lý (phai_xu_ly)"] == "10"
    assert observed["tỷ lệ = Số việc đã xử lý / Số việc phải xử lý"] == "90%"
    assert result.explanation.expected == "trên 90% để đạt 2 điểm"


@pytest.mark.parametrize("numerator, denominator, points", [
    (11, 20, 0),  # exactly 55 %: not "trên 55%" (11/20*100 is 55.00000000000001 in floating point)
    (29, 50, 2),  # exactly 58 %: "từ 58%" (29/50*100 is 57.99999999999999 in floating point)
    (56, 100, 1),
])
def test_tiers_exact_percentages_are_not_shifted_by_floating_point(numerator, denominator, points):
    rule = {"kind": "tiers", "value": RATIO, "tiers": [
        {"min": 58, "max": 100, "max_inclusive": True, "points": 2},
        {"min": 55, "min_inclusive": False, "max": 58, "points": 1},
        {"min": 0, "max": 55, "max_inclusive": True, "points": 0},
    ]}
    assert leaf(rule, ratio_bundle(numerator, denominator), max_points=2).points == points


def test_tiers_on_a_count_with_open_top():
    rule = {"kind": "tiers", "value": {"metric": "so_hop"}, "tiers": [
        {"min": 0, "max": 2, "points": 0}, {"min": 2, "max": 4, "points": 1}, {"min": 4, "points": 3}]}
    assert [leaf(rule, bundle_dict(metrics={"so_hop": v}), max_points=3).points for v in (0, 1, 2, 3, 4, 40)] == \
        [0, 0, 1, 1, 3, 3]


def test_tiers_shortfall_fills_the_remediation_placeholder():
    rule = dict(PLAN_TIERS)
    result = leaf(rule, ratio_bundle(80, 100), max_points=2,
                  leaf={"remediation": {"task": "Xử lý thêm {shortfall} việc để vượt 90%"}})
    # "trên 90%" of 100 needs 91: 11 more
    assert result.remediation.task == "Xử lý thêm 11 việc để vượt 90%"
    assert result.remediation.recoverable_points == 1


# ---------------------------------------------------------------- proportional


PROPORTIONAL = {"kind": "proportional", "value": RATIO, "floor": 50}


@pytest.mark.parametrize("numerator, points, status", [
    (0, 0, "fail"),
    (49, 0, "fail"),  # below the floor → 0
    (50, 1, "partial"),  # at the floor → ratio × max
    (75, 1.5, "partial"),
    (100, 2, "pass"),
])
def test_proportional_with_floor(numerator, points, status):
    result = leaf(PROPORTIONAL, ratio_bundle(numerator, 100), max_points=2)
    assert (result.points, result.status) == (points, status)


def test_proportional_explanations():
    below = leaf(PROPORTIONAL, ratio_bundle(49, 100), max_points=2)
    assert below.explanation.branch == "tỷ lệ 49% dưới ngưỡng 50% → 0 điểm"
    at = leaf(PROPORTIONAL, ratio_bundle(3, 4), max_points=2)
    assert at.explanation.branch == "75% × 2 điểm = 1,5 điểm"
    assert at.explanation.rule == "Điểm = tỷ lệ Số việc đã xử lý / Số việc phải xử lý (%) × 2 điểm; dưới 50% → 0 điểm"


def test_proportional_rounds_to_the_set_rounding():
    result = leaf({"kind": "proportional", "value": RATIO}, ratio_bundle(1, 3), max_points=2)
    assert result.points == 0.67


def test_proportional_requires_a_percentage():
    with pytest.raises(ValidationError) as caught:
        leaf({"kind": "proportional", "value": {"metric": "so_hop"}}, bundle_dict())
    assert [e["type"] for e in caught.value.errors()] == ["criteria.proportional_percent"]


# ---------------------------------------------------------------- timeliness


PLAN_ON_TIME = {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 12, "year_offset": -1},
                "on_time_points": 1, "late_points": 0.5, "missing_points": 0}


def plan_bundle(issue_date: str | None, as_of: str = "31/12/2024", kind: str = "ke_hoach", **kwargs) -> dict:
    documents = [] if issue_date is None else [{"kind": kind, "issue_date": issue_date, "title": "Kế hoạch CCHC năm 2024"}]
    return bundle_dict(documents=documents, as_of=as_of, **kwargs)


@pytest.mark.parametrize("issue_date, points, status", [
    ("15/12/2023", 1, "pass"),
    ("31/12/2023", 1, "pass"),  # on the deadline day → on time
    ("01/01/2024", 0.5, "partial"),  # one day later → late points
    ("30/06/2024", 0.5, "partial"),
])
def test_timeliness_day_month_of_previous_year(issue_date, points, status):
    result = leaf(PLAN_ON_TIME, plan_bundle(issue_date), max_points=1)
    assert (result.points, result.status) == (points, status)


def test_timeliness_explanations_cite_the_document():
    on_time = leaf(PLAN_ON_TIME, plan_bundle("31/12/2023"), max_points=1)
    assert on_time.explanation.branch == "ban hành ngày 31/12/2023, đúng hạn 31/12/2023 → 1 điểm"
    assert on_time.evidence_refs == ["Kế hoạch CCHC năm 2024 số 1/KH-UBND ngày 31/12/2023"]
    assert on_time.explanation.expected == "Kế hoạch CCHC năm ban hành không muộn hơn ngày 31/12/2023"
    late = leaf(PLAN_ON_TIME, plan_bundle("01/01/2024"), max_points=1)
    assert late.explanation.branch == "ban hành ngày 01/01/2024, trễ 1 ngày so với hạn 31/12/2023 → 0,5 điểm"
    assert late.missing == ["Kế hoạch CCHC năm (trễ hạn)"]


@pytest.mark.parametrize("issue_date, points", [("03/01/2024", 1), ("04/01/2024", 0.5)])
def test_timeliness_grace_days(issue_date, points):
    rule = {**PLAN_ON_TIME, "grace_days": 3}
    assert leaf(rule, plan_bundle(issue_date), max_points=1).points == points


def test_timeliness_missing_after_deadline_gives_missing_points_and_missing_evidence():
    rule = {**PLAN_ON_TIME, "missing_points": 0.25}
    result = leaf(rule, plan_bundle(None, as_of="29/02/2024"), max_points=1)
    assert (result.points, result.status, result.status_label) == (0.25, "missing_evidence", "thiếu minh chứng")
    assert result.explanation.branch == "không có Kế hoạch CCHC năm; đã quá hạn 31/12/2023 → 0,25 điểm"
    assert result.missing == ["Kế hoạch CCHC năm"]


def test_timeliness_missing_on_the_deadline_day_is_missing():
    rule = {**PLAN_ON_TIME, "deadline": {"date": "29/02/2024"}}
    assert leaf(rule, plan_bundle(None, as_of="29/02/2024"), max_points=1).status == "missing_evidence"


def test_timeliness_missing_before_deadline_is_not_due():
    rule = {**PLAN_ON_TIME, "deadline": {"day": 31, "month": 3}}
    result = leaf(rule, plan_bundle(None, as_of="29/02/2024"), max_points=1)
    assert (result.points, result.status, result.status_label) == (0, "not_due", "chưa đến hạn")
    assert result.explanation.branch == "chưa có Kế hoạch CCHC năm; hạn 31/03/2024 chưa đến (số liệu chốt ngày 29/02/2024)"


def test_timeliness_missing_within_grace_days_is_not_due():
    rule = {**PLAN_ON_TIME, "deadline": {"day": 28, "month": 2}, "grace_days": 5}
    within = leaf(rule, plan_bundle(None, as_of="29/02/2024"), max_points=1)
    assert (within.status, within.points) == ("not_due", 0)
    assert within.explanation.branch == ("chưa có Kế hoạch CCHC năm; hạn 28/02/2024 đã qua nhưng còn trong 5 ngày "
                                         "cho phép trễ (số liệu chốt ngày 29/02/2024)")
    assert leaf(rule, plan_bundle(None, as_of="04/03/2024"), max_points=1).status == "missing_evidence"


@pytest.mark.parametrize("deadline, on_time, late", [
    ({"date": "15/03/2024"}, "15/03/2024", "16/03/2024"),
    ({"date": "2024-03-15"}, "15/03/2024", "16/03/2024"),
    ({"relative_to": "period_end", "days": -15}, "16/12/2024", "17/12/2024"),
    ({"relative_to": "period_start", "days": 30}, "31/01/2024", "01/02/2024"),
    ({"after_document": "quyet_dinh", "days": 10}, "15/03/2024", "16/03/2024"),
])
def test_timeliness_deadline_forms(deadline, on_time, late):
    rule = {"kind": "timeliness", "document": "ke_hoach", "deadline": deadline, "late_points": 0.5}
    anchor = {"kind": "quyet_dinh", "issue_date": "05/03/2024", "number": "9/QĐ-UBND"}
    for issue_date, points in ((on_time, 1), (late, 0.5)):
        bundle = bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": issue_date}, anchor])
        assert leaf(rule, bundle, max_points=1).points == points, (deadline, issue_date)


def test_timeliness_after_document_without_the_anchor_is_missing_evidence():
    rule = {"kind": "timeliness", "document": "ke_hoach", "deadline": {"after_document": "quyet_dinh", "days": 10}}
    result = leaf(rule, plan_bundle("01/03/2024"), max_points=1)
    assert (result.points, result.status) == (0, "missing_evidence")
    assert result.missing == ["văn bản 'Quyết định giao nhiệm vụ' (mốc tính hạn)"]


def test_timeliness_earliest_document_of_a_kind_counts():
    bundle = bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": "05/01/2024"},
                                    {"kind": "ke_hoach", "issue_date": "20/12/2023"}])
    assert leaf(PLAN_ON_TIME, bundle, max_points=1).points == 1


def test_timeliness_document_dated_after_as_of_is_a_data_error():
    result = leaf(PLAN_ON_TIME, plan_bundle("15/03/2024", as_of="29/02/2024"), max_points=1)
    assert (result.points, result.status, result.status_label) == (0, "data_error", "lỗi dữ liệu")
    assert result.explanation.problems == [
        "văn bản Kế hoạch CCHC năm 2024 số 1/KH-UBND ngày 15/03/2024 có ngày ban hành sau ngày chốt số liệu 29/02/2024"]


def test_timeliness_document_without_date_is_a_data_error():
    bundle = bundle_dict(documents=[{"kind": "ke_hoach", "title": "Kế hoạch"}])
    result = leaf(PLAN_ON_TIME, bundle, max_points=1)
    assert result.status == "data_error"
    assert result.explanation.problems == ["văn bản Kế hoạch số 1/KH-UBND thiếu ngày ban hành"]


# ---------------------------------------------------------------- documents


REPORTS = {"kind": "documents", "points_otherwise": 0, "documents": [
    {"kind": "bao_cao_1", "deadline": {"day": 14, "month": 3}},
    {"kind": "bao_cao_2", "deadline": {"day": 14, "month": 6}},
    {"kind": "bao_cao_3", "deadline": {"day": 14, "month": 9}},
]}


def reports(q1="14/03/2024", h1="14/06/2024", q3="14/09/2024", as_of="31/12/2024", **rule_changes):
    documents = [{"kind": kind, "issue_date": day} for kind, day in
                 (("bao_cao_1", q1), ("bao_cao_2", h1), ("bao_cao_3", q3)) if day is not None]
    return leaf({**REPORTS, **rule_changes}, bundle_dict(documents=documents, as_of=as_of), max_points=1)


def test_documents_all_on_time_full_points():
    result = reports()
    assert (result.points, result.status) == (1, "pass")
    assert result.explanation.branch == "tất cả văn bản ban hành đúng hạn"
    assert len(result.evidence_refs) == 3


def test_documents_one_late_gives_points_otherwise():
    result = reports(h1="15/06/2024")
    assert (result.points, result.status) == (0, "fail")
    assert result.explanation.branch == "trễ hạn: Báo cáo 6 tháng → 0 điểm"
    assert reports(h1="15/06/2024", points_otherwise=0.5).status == "partial"


def test_documents_one_missing_is_missing_evidence():
    result = reports(q3=None)
    assert (result.points, result.status, result.status_label) == (0, "missing_evidence", "thiếu minh chứng")
    assert result.explanation.branch == "thiếu: Báo cáo quý III → 0 điểm"
    assert result.missing == ["Báo cáo quý III"]


def test_documents_some_not_due_is_not_due():
    result = reports(q3=None, as_of="30/06/2024")
    assert (result.points, result.status) == (0, "not_due")
    assert result.explanation.branch == "các văn bản đã đến hạn đều đúng hạn; còn văn bản chưa đến hạn"


def test_documents_missing_beats_not_due():
    result = reports(h1=None, q3=None, as_of="30/06/2024")
    assert result.status == "missing_evidence"
    assert result.missing == ["Báo cáo 6 tháng"]


def test_documents_observed_lists_each_deadline():
    observed = [(o.name, o.value) for o in reports(h1="20/06/2024").explanation.observed]
    assert observed[1] == ("Báo cáo 6 tháng (hạn 14/06/2024)", "Báo cáo 6 tháng số 2/KH-UBND ngày 20/06/2024, trễ hạn")


# ---------------------------------------------------------------- count


MEETINGS = {"kind": "count", "value": {"metric": "so_hop"}, "points_per_item": 5}


@pytest.mark.parametrize("meetings, points, status", [
    (0, 0, "fail"), (1, 5, "partial"), (2, 10, "partial"), (3, 15, "partial"), (4, 20, "pass"), (7, 20, "pass"),
])
def test_count_times_points_capped_at_max(meetings, points, status):
    result = leaf(MEETINGS, bundle_dict(metrics={"so_hop": meetings}), max_points=20)
    assert (result.points, result.status) == (points, status)


def test_count_explanations_and_cap():
    capped = leaf(MEETINGS, bundle_dict(metrics={"so_hop": 6}), max_points=20)
    assert capped.explanation.branch == "6 × 5 điểm, tối đa 20 = 20 điểm"
    assert capped.explanation.expected == "ít nhất 4 để đạt 20 điểm"
    with_cap = leaf({**MEETINGS, "cap": 10}, bundle_dict(metrics={"so_hop": 4}), max_points=20)
    assert (with_cap.points, with_cap.status) == (10, "partial")


def test_count_shortfall_in_remediation():
    result = leaf(MEETINGS, bundle_dict(metrics={"so_hop": 1}), max_points=20,
                  leaf={"remediation": {"task": "Tổ chức thêm {shortfall} cuộc họp; mất {lost_points} điểm"}})
    assert result.remediation.task == "Tổ chức thêm 3 cuộc họp; mất 15 điểm"


@pytest.mark.parametrize("value, problem", [
    (2.5, "số lượng phải là số nguyên, nhận được 2,5"),
    (-1, "chỉ số 'so_hop' âm (-1)"),
])
def test_count_impossible_values_are_data_errors(value, problem):
    result = leaf(MEETINGS, bundle_dict(metrics={"so_hop": value}), max_points=20)
    assert (result.points, result.status, result.explanation.problems) == (0, "data_error", [problem])


def test_count_missing_metric_is_missing_evidence():
    result = leaf(MEETINGS, bundle_dict(), max_points=20)
    assert (result.points, result.status) == (0, "missing_evidence")
    assert result.missing == ["chỉ số 'Số cuộc họp' (so_hop)"]


# ---------------------------------------------------------------- conditions: all_of, any_of, not, facts, compare


def facts(**values) -> dict:
    return bundle_dict(metrics=values)


ALL = {"kind": "all_of", "conditions": [{"fact": "co_a"}, {"fact": "co_b"}]}
ANY = {"kind": "any_of", "conditions": [{"fact": "co_a"}, {"fact": "co_b"}]}


@pytest.mark.parametrize("rule, values, points, status", [
    (ALL, {"co_a": "có", "co_b": "có"}, 1, "pass"),
    (ALL, {"co_a": "có", "co_b": "không"}, 0, "fail"),
    (ALL, {"co_a": "không"}, 0, "fail"),  # one false → false, even with co_b missing
    (ALL, {"co_a": "có"}, 0, "missing_evidence"),  # true + missing → missing, never a pass
    (ANY, {"co_a": "có"}, 1, "pass"),  # true even though co_b is missing
    (ANY, {"co_a": "không", "co_b": "không"}, 0, "fail"),
    (ANY, {"co_a": "không"}, 0, "missing_evidence"),
    (ANY, {}, 0, "missing_evidence"),
])
def test_all_of_any_of_three_valued(rule, values, points, status):
    result = leaf(rule, facts(**values), max_points=1)
    assert (result.points, result.status) == (points, status)


def test_missing_fact_is_named():
    result = leaf(ALL, facts(co_a="có"), max_points=1)
    assert result.missing == ["chỉ số 'Điều kiện B' (co_b)"]
    assert result.explanation.branch == "thiếu minh chứng: chỉ số 'Điều kiện B' (co_b)"


def test_failed_conditions_are_named():
    result = leaf(ALL, facts(co_a="có", co_b="không"), max_points=1)
    assert result.explanation.branch == "chưa đáp ứng: Điều kiện B"
    assert [(o.name, o.value) for o in result.explanation.observed] == [("Điều kiện A (co_a)", "có"),
                                                                       ("Điều kiện B (co_b)", "không")]


@pytest.mark.parametrize("values, points, status", [
    ({"co_a": "không"}, 1, "pass"), ({"co_a": "có"}, 0, "fail"), ({}, 0, "missing_evidence")])
def test_not_condition(values, points, status):
    result = leaf({"kind": "pass_fail", "condition": {"not": {"fact": "co_a"}}}, facts(**values), max_points=1)
    assert (result.points, result.status) == (points, status)


def test_nested_conditions():
    rule = {"kind": "pass_fail", "condition": {"all_of": [
        {"fact": "co_a"}, {"any_of": [{"fact": "co_b"}, {"not": {"fact": "co_c"}}]}]}}
    assert leaf(rule, facts(co_a=1, co_b=0, co_c=0), max_points=1).points == 1
    assert leaf(rule, facts(co_a=1, co_b=0, co_c=1), max_points=1).points == 0
    assert leaf(rule, facts(co_a=1, co_b=0), max_points=1).status == "missing_evidence"


@pytest.mark.parametrize("value", ["có", "Có", "yes", True, 1])
def test_fact_yes_forms(value):
    assert leaf({"kind": "pass_fail", "condition": {"fact": "co_a"}}, facts(co_a=value), max_points=1).points == 1


def test_fact_that_is_not_yes_or_no_is_a_data_error():
    result = leaf({"kind": "pass_fail", "condition": {"fact": "co_a"}}, facts(co_a=2), max_points=1)
    assert result.status == "data_error"
    assert result.explanation.problems == ["dữ kiện 'co_a' phải là có/không (1/0), nhận được 2"]


def test_pass_fail_custom_points():
    rule = {"kind": "pass_fail", "condition": {"fact": "co_a"}, "points_pass": 1.5, "points_fail": 0.5}
    passed = leaf(rule, facts(co_a="có"), max_points=2)
    failed = leaf(rule, facts(co_a="không"), max_points=2)
    assert (passed.points, passed.status, failed.points, failed.status) == (1.5, "partial", 0.5, "partial")


@pytest.mark.parametrize("op, target, value, holds", [
    (">=", 4, 4, True), (">=", 4, 3, False), (">", 4, 4, False), (">", 4, 5, True),
    ("<", 1, 0, True), ("<", 1, 1, False), ("<=", 1, 1, True), ("==", 0, 0, True), ("==", 0, 1, False),
    ("!=", 0, 1, True), ("!=", 0, 0, False),
])
def test_compare_conditions(op, target, value, holds):
    rule = {"kind": "pass_fail", "condition": {"metric": "so_hop", "op": op, "target": target}}
    assert leaf(rule, bundle_dict(metrics={"so_hop": value}), max_points=1).points == (1 if holds else 0)


def test_compare_on_a_ratio_uses_percent():
    rule = {"kind": "pass_fail", "condition": {"ratio": ["da_xu_ly", "phai_xu_ly"], "op": ">", "target": 50}}
    assert leaf(rule, ratio_bundle(50, 100), max_points=1).points == 0
    assert leaf(rule, ratio_bundle(51, 100), max_points=1).points == 1
    assert leaf(rule, ratio_bundle(51, 100), max_points=1).explanation.expected == \
        "tỷ lệ Số việc đã xử lý / Số việc phải xử lý (%) lớn hơn 50%"


def test_document_condition_with_deadline():
    rule = {"kind": "pass_fail", "condition": {"document": "ke_hoach", "deadline": {"day": 31, "month": 3}}}
    assert leaf(rule, plan_bundle("31/03/2024"), max_points=2).points == 2
    assert leaf(rule, plan_bundle("01/04/2024"), max_points=2).points == 0
    absent = leaf(rule, plan_bundle(None), max_points=2)
    assert (absent.points, absent.explanation.observed[0].value) == (0, "không có")


# ---------------------------------------------------------------- survey and manual


SURVEY = {"kind": "survey", "source": "Khảo sát SIPAS"}


def entry(points, criterion="1.1", **extra) -> dict:
    return {"criterion": criterion, "points": points, "by": "Sở Nội vụ", "justification": "Kết quả khảo sát 2024", **extra}


def test_survey_points_come_from_the_survey():
    result = leaf(SURVEY, bundle_dict(survey=[entry(7.5)]), max_points=10)
    assert (result.points, result.status) == (7.5, "partial")
    assert result.explanation.branch == "điểm điều tra xã hội học 7,5 (Sở Nội vụ)"


def test_survey_self_score_is_a_data_error():
    result = leaf(SURVEY, bundle_dict(survey=[entry(7.5)], manual=[entry(10)]), max_points=10)
    assert (result.points, result.status) == (0, "data_error")
    assert result.explanation.problems == ["tiêu chí 1.1 lấy điểm từ điều tra xã hội học; đơn vị không được tự chấm"]


@pytest.mark.parametrize("points", [10.5, 12, -1])
def test_survey_points_outside_range_are_a_data_error_never_capped(points):
    result = leaf(SURVEY, bundle_dict(survey=[entry(points)]), max_points=10)
    assert (result.points, result.status) == (0, "data_error")
    assert result.explanation.problems[0].startswith("điểm điều tra xã hội học")
    assert result.explanation.problems[0].endswith("nằm ngoài khoảng 0–10")


def test_survey_missing_counts_as_missing_or_is_excluded():
    missing = score(SURVEY, bundle_dict(), max_points=10)
    assert (node(missing).status, missing.max_points) == ("missing_evidence", 10)
    excluded = score(SURVEY, bundle_dict(), max_points=10, when_survey_missing="exclude",
                     sibling={"id": "1.2", "title": "Khác", "max_points": 5,
                              "rule": {"kind": "pass_fail", "condition": {"fact": "co_a"}}})
    assert (node(excluded).status, node(excluded).applicable, excluded.max_points) == ("not_applicable", False, 5)


def test_manual_score_with_justification():
    result = leaf({"kind": "manual"}, bundle_dict(manual=[entry(0.5, evidence=["Biên bản số 3"])]), max_points=1)
    assert (result.points, result.status) == (0.5, "partial")
    assert result.evidence_refs == ["Biên bản số 3", "Kết quả khảo sát 2024"]


def test_manual_without_score_is_missing_evidence():
    result = leaf({"kind": "manual"}, bundle_dict(), max_points=1)
    assert (result.status, result.explanation.branch) == ("missing_evidence", "chưa có điểm chấm thủ công")
    assert result.missing == ["điểm chấm thủ công kèm giải trình"]


def test_manual_above_max_or_twice_is_a_data_error():
    assert leaf({"kind": "manual"}, bundle_dict(manual=[entry(2)]), max_points=1).status == "data_error"
    twice = leaf({"kind": "manual"}, bundle_dict(manual=[entry(1), entry(0.5)]), max_points=1)
    assert twice.explanation.problems == ["tiêu chí 1.1 có 2 điểm chấm thủ công khác nhau"]


@pytest.mark.parametrize("change, message", [
    ({"justification": ""}, "không được để trống"),
    ({"justification": None}, "thiếu trường bắt buộc"),
])
def test_manual_justification_required(change, message):
    score_entry = {k: v for k, v in {**entry(1), **change}.items() if v is not None}
    with pytest.raises(ValidationError) as info:
        Bundle.model_validate(bundle_dict(manual=[score_entry]))
    assert [e["loc"] for e in info.value.errors()] == [("manual", 0, "justification")]


def test_manual_score_on_a_rule_criterion_is_ignored_with_a_warning():
    unit = score({"kind": "pass_fail", "condition": {"fact": "co_a"}}, bundle_dict(metrics={"co_a": 0}, manual=[entry(1)]),
                 max_points=1)
    assert node(unit).points == 0
    assert unit.warnings == ["manual: tiêu chí '1.1' chấm theo quy tắc từ minh chứng; điểm tự chấm bị bỏ qua"]


# ---------------------------------------------------------------- not applicable


SIBLING = {"id": "1.2", "title": "Tiêu chí khác", "max_points": 6, "rule": {"kind": "pass_fail", "condition": {"fact": "co_a"}}}
NA = {"criterion": "1.1", "justification": "Năm 2024 không có việc phải xử lý", "by": "Chủ tịch UBND"}


def na_unit(mode, declared=True, rule=None, **bundle_keys):
    bundle = bundle_dict(metrics={"co_a": "có", "da_xu_ly": 3, "phai_xu_ly": 4, **bundle_keys.pop("metrics", {})},
                         not_applicable=[NA] if declared else [], **bundle_keys)
    return score(rule or PROPORTIONAL, bundle, max_points=4, sibling=SIBLING,
                 leaf={"not_applicable": mode} if mode else None)


def test_not_applicable_exclude_removes_from_applicable_max():
    unit = na_unit("exclude")
    result = node(unit)
    assert (result.points, result.status, result.status_label, result.applicable) == \
        (0, "not_applicable", "không áp dụng", False)
    assert (unit.points, unit.max_points, unit.total_max_points, unit.index_pct) == (6, 6, 10, 100)
    assert result.remediation is None
    assert result.evidence_refs == ["Khai báo không áp dụng của Chủ tịch UBND: Năm 2024 không có việc phải xử lý"]


def test_not_applicable_full_points():
    unit = na_unit("full_points")
    assert (node(unit).points, node(unit).status, node(unit).applicable) == (4, "not_applicable", True)
    assert (unit.points, unit.max_points, unit.index_pct) == (10, 10, 100)


def test_not_applicable_declared_where_not_allowed_is_a_data_error():
    unit = na_unit(None)
    assert (node(unit).points, node(unit).status) == (0, "data_error")
    assert node(unit).explanation.problems == [
        "tiêu chí 1.1 không cho phép khai báo không áp dụng "
        "(khai báo của Chủ tịch UBND: Năm 2024 không có việc phải xử lý)"]
    assert unit.max_points == 10


def test_not_applicable_requires_justification():
    with pytest.raises(ValidationError) as info:
        Bundle.model_validate(bundle_dict(not_applicable=[{"criterion": "1.1", "by": "Chủ tịch UBND"}]))
    assert [e["loc"] for e in info.value.errors()] == [("not_applicable", 0, "justification")]


@pytest.mark.parametrize("mode, points, applicable, unit_max", [("exclude", 0, False, 6), ("full_points", 4, True, 10)])
def test_applicable_if_false_is_not_applicable(mode, points, applicable, unit_max):
    unit = score(PROPORTIONAL, bundle_dict(metrics={"co_a": 1, "so_hop": 0}), max_points=4, sibling=SIBLING,
                 leaf={"not_applicable": mode, "applicable_if": {"metric": "so_hop", "op": ">", "target": 0}})
    assert (node(unit).status, node(unit).points, node(unit).applicable, unit.max_points) == \
        ("not_applicable", points, applicable, unit_max)
    assert node(unit).explanation.branch.startswith("điều kiện áp dụng không thỏa (Số cuộc họp lớn hơn 0)")


def test_applicable_if_true_scores_the_rule_and_missing_is_missing():
    keys = {"not_applicable": "exclude", "applicable_if": {"metric": "so_hop", "op": ">", "target": 0}}
    applies = leaf(PROPORTIONAL, bundle_dict(metrics={"so_hop": 2, "da_xu_ly": 3, "phai_xu_ly": 4}), max_points=4, leaf=keys)
    assert (applies.status, applies.points) == ("partial", 3)
    unknown = leaf(PROPORTIONAL, bundle_dict(metrics={"da_xu_ly": 3, "phai_xu_ly": 4}), max_points=4, leaf=keys)
    assert unknown.status == "missing_evidence"


@pytest.mark.parametrize("mode, status, points", [("exclude", "not_applicable", 0), ("full_points", "not_applicable", 4),
                                                  (None, "data_error", 0)])
def test_zero_denominator(mode, status, points):
    result = node(na_unit(mode, declared=False, metrics={"da_xu_ly": 0, "phai_xu_ly": 0}))
    assert (result.status, result.points) == (status, points)
    if mode is None:
        assert result.explanation.problems == [
            "mẫu số 'Số việc phải xử lý' bằng 0, không tính được tỷ lệ; "
            "cần bổ sung số liệu hoặc bộ chỉ số phải cho phép không áp dụng"]
    else:
        assert result.explanation.branch.startswith("mẫu số 'Số việc phải xử lý' bằng 0, không tính được tỷ lệ → ")


# ---------------------------------------------------------------- bonus and penalty


TIMELY_PLAN = {"id": "1.2", "title": "Ban hành kế hoạch", "max_points": 1,
               "rule": {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 1}}}
PLAN_PENALTY = {"id": "P1", "title": "Không ban hành kế hoạch", "kind": "penalty", "max_points": 1,
                "rule": {"kind": "pass_fail", "condition": {"not": {"document": "ke_hoach"}}}}
MEETING_BONUS = {"id": "T1", "title": "Họp chuyên đề", "kind": "bonus", "max_points": 2,
                 "rule": {"kind": "count", "value": {"metric": "so_hop"}, "points_per_item": 1}}
FACT_BONUS = {"id": "T2", "title": "Sáng kiến", "kind": "bonus", "max_points": 2,
              "rule": {"kind": "pass_fail", "condition": {"fact": "co_b"}}}
MANUAL_LEAF = {"kind": "manual"}


def adjusted(bundle: dict, **set_keys):
    return score(MANUAL_LEAF, bundle, max_points=4, sibling=TIMELY_PLAN, **set_keys)


def test_missing_mandatory_plan_scores_zero_and_deducts_the_penalty():
    unit = adjusted(bundle_dict(manual=[entry(4)]), adjustments=[PLAN_PENALTY])
    assert node(unit, "1.2").points == 0
    assert node(unit, "1.2").status == "missing_evidence"
    assert (unit.penalty, unit.points, unit.max_points) == (1, 3, 5)
    penalty = unit.adjustments[0]
    assert (penalty.points, penalty.status, penalty.status_label) == (1, "fail", "không đạt")  # deducted: the bad outcome
    assert penalty.explanation.branch.startswith("bị trừ 1 điểm")
    issued = adjusted(bundle_dict(manual=[entry(4)], documents=[{"kind": "ke_hoach", "issue_date": "10/01/2024"}]),
                      adjustments=[PLAN_PENALTY])
    assert (issued.penalty, issued.points) == (0, 5)
    assert (issued.adjustments[0].status, issued.adjustments[0].explanation.branch) == ("pass", "không bị trừ điểm")


def test_bonus_capped_per_item_and_by_the_set():
    bundle = bundle_dict(manual=[entry(2)], metrics={"so_hop": 5, "co_b": "có"})
    unit = adjusted(bundle, adjustments=[MEETING_BONUS, FACT_BONUS])
    assert [a.points for a in unit.adjustments] == [2, 2]
    assert (unit.bonus, unit.points) == (4, 6)
    capped = adjusted(bundle, adjustments=[MEETING_BONUS, FACT_BONUS], bonus_cap=3)
    assert (capped.bonus, capped.points) == (3, 5)


def test_penalty_cap_and_total_never_below_zero():
    second = {**PLAN_PENALTY, "id": "P2", "title": "Không có điều kiện A",
              "rule": {"kind": "pass_fail", "condition": {"not": {"fact": "co_a"}}}}
    bundle = bundle_dict(manual=[entry(0.5)], metrics={"co_a": "không"})
    unit = adjusted(bundle, adjustments=[PLAN_PENALTY, second])
    assert (unit.penalty, unit.points) == (2, 0)
    capped = adjusted(bundle_dict(manual=[entry(4)], metrics={"co_a": "không"}), adjustments=[PLAN_PENALTY, second],
                      penalty_cap=1.5)
    assert (capped.penalty, capped.points) == (1.5, 2.5)


def test_adjustment_with_a_data_error_adds_nothing_and_counts_as_a_data_problem():
    unit = adjusted(bundle_dict(manual=[entry(2)], metrics={"so_hop": 1.5}), adjustments=[MEETING_BONUS])
    assert (unit.bonus, unit.adjustments[0].status) == (0, "data_error")
    assert unit.data_problems == 1


def test_document_condition_before_its_deadline_is_not_due_and_after_it_fails(tmp_path):
    """A pass_fail on "document issued by 31/03" is "chưa đến hạn" on 29/02 and "không đạt" on 01/04 when absent."""
    from engine.load.bundles import load_bundle
    from engine.load.criteria import load_criteria
    from engine.score.unit import score_unit

    root = Path(__file__).resolve().parents[1]
    loaded = load_criteria(root / "criteria" / "xa-2024.yaml")
    text = (root / "evidence" / "vung-tau-2024" / "phuong-1.yaml").read_text(encoding="utf-8")
    early = tmp_path / "early.yaml"
    early.write_text(text, encoding="utf-8")
    late = tmp_path / "late.yaml"
    late.write_text(text.replace("as_of: 29/02/2024", "as_of: 01/04/2024"), encoding="utf-8")
    node = {n.id: n for n in score_unit(loaded, load_bundle(early)[0]).nodes}["2.3.1"]
    assert (node.status, node.points) == ("not_due", 0)
    assert "31/03/2024" in node.explanation.branch
    node = {n.id: n for n in score_unit(loaded, load_bundle(late)[0]).nodes}["2.3.1"]
    assert (node.status, node.points) == ("fail", 0)


def test_a_rate_over_dossiers_due_sums_its_parts_and_names_the_formula():
    """dossiers_due = resolved + in progress past deadline: the rate is over what fell due, shown with its formula."""
    rule = {"kind": "tiers", "value": {"ratio": ["dossiers_resolved_on_time", "dossiers_due"]},
            "tiers": [{"min": 90, "max": 100, "max_inclusive": True, "points": 2},
                      {"min": 0, "max": 90, "points": 0}]}
    metrics = {"dossiers_resolved_on_time": 90, "dossiers_resolved": 95, "dossiers_in_progress_overdue": 5}
    result = leaf(rule, bundle_dict(metrics=metrics), max_points=2)
    observed = {o.name: o.value for o in result.explanation.observed}
    assert observed["Số hồ sơ đến hạn giải quyết (đã giải quyết và đang giải quyết quá hạn) (dossiers_due)"] == "100 (= 95 + 5)"
    assert observed["tỷ lệ = Số hồ sơ giải quyết đúng hạn hoặc trước hạn / "
                    "Số hồ sơ đến hạn giải quyết (đã giải quyết và đang giải quyết quá hạn)"] == "90%"
    assert result.points == 2


def test_a_derived_denominator_with_a_missing_part_is_missing_evidence_naming_the_part():
    rule = {"kind": "tiers", "value": {"ratio": ["dossiers_resolved_on_time", "dossiers_due"]},
            "tiers": [{"min": 0, "max": 100, "max_inclusive": True, "points": 1}]}
    metrics = {"dossiers_resolved_on_time": 90, "dossiers_resolved": 95}
    result = leaf(rule, bundle_dict(metrics=metrics), max_points=1)
    assert result.status == "missing_evidence"
    assert any(f.name == "dossiers_in_progress_overdue" for f in result.findings)
