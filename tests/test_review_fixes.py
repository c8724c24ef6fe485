"""Behaviour an appraiser relies on: which document counts, contradictory data, plan tasks, wording."""

from __future__ import annotations

from conftest import RATIO, bundle_dict, criteria_dict, leaf, loaded_bundle, loaded_criteria, node, score

from engine.core.vnformat import round_half_up
from engine.render.text import explain_text
from engine.score.unit import score_unit

TIMELY = {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 1}, "late_points": 2}


def test_a_document_of_an_earlier_cycle_does_not_count():
    old = leaf(TIMELY, bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": "05/01/2023"}]))
    assert old.status == "missing_evidence" and old.points == 0
    assert any("thuộc kỳ trước" in o.value for o in old.explanation.observed)
    current = leaf(TIMELY, bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": "05/01/2023"},
                                                  {"kind": "ke_hoach", "issue_date": "15/02/2024"}]))
    assert (current.status, current.points) == ("partial", 2)  # this year's plan, late


def test_a_document_just_within_the_cycle_counts():
    # Deadline 31/01/2024: a document issued 01/02/2023 (less than a year before) still belongs to this cycle.
    result = leaf(TIMELY, bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": "01/02/2023"}]))
    assert result.status == "pass"


NA_TIERS = {"kind": "tiers", "value": RATIO, "tiers": [
    {"min": 100, "max": 100, "max_inclusive": True, "points": 4},
    {"min": 0, "max": 100, "points": 0}]}


def test_not_applicable_declaration_contradicted_by_the_numbers_is_a_data_error():
    leaf_keys = {"not_applicable": "full_points", "applicable_if": {"metric": "phai_xu_ly", "op": ">", "target": 0}}
    declaration = [{"criterion": "1.1", "justification": "Không có việc phải xử lý", "by": "Văn phòng"}]
    result = leaf(NA_TIERS, bundle_dict(metrics={"phai_xu_ly": 2, "da_xu_ly": 0}, not_applicable=declaration),
                  leaf=leaf_keys)
    assert (result.status, result.points) == ("data_error", 0)
    assert "mâu thuẫn" in result.explanation.branch
    assert "khai báo không áp dụng nhưng số liệu cho thấy tiêu chí có áp dụng" in result.explanation.problems[0]
    agreed = leaf(NA_TIERS, bundle_dict(metrics={"phai_xu_ly": 0, "da_xu_ly": 0}, not_applicable=declaration),
                  leaf=leaf_keys)
    assert (agreed.status, agreed.points) == ("not_applicable", 4)
    assert agreed.evidence_refs  # full points cite what they rest on


def test_numerator_with_a_zero_denominator_is_a_data_error_not_not_applicable():
    result = leaf(NA_TIERS, bundle_dict(metrics={"phai_xu_ly": 0, "da_xu_ly": 3}), leaf={"not_applicable": "full_points"})
    assert (result.status, result.points) == ("data_error", 0)
    assert "bằng 0" in result.explanation.problems[0]


def test_unknown_evidence_names_are_counted_as_data_problems():
    unit = score({"kind": "pass_fail", "condition": {"fact": "co_a"}},
                 bundle_dict(metrics={"co_a": 1, "zzz": 3}, documents=[{"kind": "ke_hoach_x", "issue_date": "05/01/2024"}]))
    assert unit.data_problems == 2
    assert any("'zzz'" in w for w in unit.warnings) and any("'ke_hoach_x'" in w for w in unit.warnings)


def test_a_penalty_without_evidence_is_flagged_not_silently_zero():
    data = criteria_dict({"kind": "manual"}, penalty_cap=3, adjustments=[{
        "id": "P1", "title": "Vi phạm", "kind": "penalty", "max_points": 2,
        "rule": {"kind": "count", "value": {"metric": "so_hop"}, "points_per_item": 1}}])
    unit = score_unit(loaded_criteria(data), loaded_bundle(bundle_dict()))
    assert unit.penalty == 0 and unit.data_problems >= 1
    assert any("P1" in w and "chưa xác định" in w for w in unit.warnings)


def _tasks(*rows):
    return [{"id": str(i + 1), "title": f"Nhiệm vụ {i + 1}", "deadline": d, "status": s, **({"done_date": dd} if dd else {})}
            for i, (d, s, dd) in enumerate(rows)]


PLAN = {"kind": "tiers", "value": {"plan_tasks": "completed_pct"}, "tiers": [
    {"min": 90, "min_inclusive": False, "max": 100, "max_inclusive": True, "points": 2},
    {"min": 70, "max": 90, "max_inclusive": True, "points": 1},
    {"min": 0, "max": 70, "points": 0}]}


def test_plan_tasks_finished_late_are_not_called_unfinished():
    tasks = _tasks(("31/01/2024", "hoàn thành", "20/01/2024"), ("31/01/2024", "hoàn thành", "10/02/2024"),
                   ("31/01/2024", "đang thực hiện", None))
    result = leaf(PLAN, bundle_dict(as_of="29/02/2024", plan_tasks=tasks), max_points=2)
    observed = {o.name: (o.value, o.ref) for o in result.explanation.observed}
    assert observed["hoàn thành đúng hạn"][0] == "1"
    assert observed["hoàn thành trễ hạn"] == ("1", "Kế hoạch CCHC, nhiệm vụ số 2")
    assert observed["quá hạn chưa hoàn thành"] == ("1", "Kế hoạch CCHC, nhiệm vụ số 3")


def test_a_task_due_on_the_as_of_day_is_not_yet_late():
    tasks = _tasks(("31/01/2024", "hoàn thành", "20/01/2024"), ("29/02/2024", "đang thực hiện", None))
    result = leaf(PLAN, bundle_dict(as_of="29/02/2024", plan_tasks=tasks), max_points=2)
    assert (result.points, result.status) == (2, "pass")  # 1/1 due task done on time


def test_a_task_finished_after_the_as_of_date_is_a_data_error():
    tasks = _tasks(("31/01/2024", "hoàn thành", "15/03/2024"))
    result = leaf(PLAN, bundle_dict(as_of="29/02/2024", plan_tasks=tasks), max_points=2)
    assert result.status == "data_error" and "sau ngày chốt số liệu" in result.explanation.problems[0]


def test_rounding_is_half_up_as_in_excel():
    assert round_half_up(0.125, 2) == 0.13
    assert round_half_up(2.675, 2) == 2.68
    proportional = {"kind": "proportional", "value": RATIO}
    result = leaf(proportional, bundle_dict(metrics={"da_xu_ly": 1, "phai_xu_ly": 16}), max_points=2)
    assert result.points == 0.13  # 6,25% × 2 = 0,125


def test_penalty_and_deadline_wording():
    data = criteria_dict({"kind": "manual"}, penalty_cap=1, adjustments=[{
        "id": "P1", "title": "Không ban hành kế hoạch", "kind": "penalty", "max_points": 1,
        "rule": {"kind": "pass_fail", "condition": {"not": {"document": "ke_hoach"}}}}])
    unit = score_unit(loaded_criteria(data), loaded_bundle(bundle_dict()))
    text = explain_text(unit, "P1")
    assert "Bị trừ 1 điểm khi không có Kế hoạch CCHC năm" in text
    assert "−1 điểm" in text and "không phải" not in text
    relative = leaf({"kind": "timeliness", "document": "ke_hoach",
                     "deadline": {"relative_to": "period_end", "days": -15}}, bundle_dict())
    assert "15 ngày trước cuối kỳ đánh giá" in relative.explanation.rule
    exact = node(score(NA_TIERS, bundle_dict(metrics={"phai_xu_ly": 4, "da_xu_ly": 4})))
    assert "đúng 100%" in exact.explanation.rule and "từ 0% đến dưới 100%" in exact.explanation.rule


def test_partial_survey_does_not_silently_drop_the_missing_criterion():
    survey = {"id": "1.2", "title": "Khảo sát 2", "max_points": 2, "rule": {"kind": "survey"}}
    data = criteria_dict({"kind": "survey"}, max_points=3, sibling=survey, when_survey_missing="exclude")
    entries = [{"criterion": "1.1", "points": 3, "by": "Sở Nội vụ", "justification": "SIPAS"}]
    unit = score_unit(loaded_criteria(data), loaded_bundle(bundle_dict(survey=entries)))
    assert node(unit, "1.2").status == "missing_evidence" and unit.max_points == 5
    none = score_unit(loaded_criteria(data), loaded_bundle(bundle_dict()))
    assert node(none, "1.2").status == "not_applicable" and none.max_points == 0
