"""Assessment rounds: the assessment file, the record's hash chain, and the rules that accept or refuse entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from assessment_kit import ASSESSMENT, ASSESSMENT_ID, SET, at, entry, write_assessment
from conftest import ROOT, SAMPLE_CRITERIA, SAMPLE_EVIDENCE, bundle_dict, write_yaml

from engine import api
from engine.core.problems import InputError
from engine.load.assessment import GENESIS, check_assessment_file, line_hash, parse_record, record_lines

NOW = at("14/02/2025", 17)


@pytest.fixture()
def la(tmp_path):
    return api.load_assessment(write_assessment(tmp_path))


def computed(la, unit="don-vi-a"):
    return api.computed_rounds(la, api.assessment_evidence(la)[unit])


def refusals(la, proposed, existing=(), unit="don-vi-a", now=NOW):
    return api.validate_entries(la, unit, computed(la, unit), list(existing), list(proposed), now)


def codes(problems):
    return [p.code for p in problems]


def unit_result(la, entries, unit="don-vi-a"):
    run = api.score_assessment(la, api.assessment_evidence(la), {unit: entries})
    return run.unit(unit)


def node(unit, node_id):
    return next(n for n in unit.nodes + unit.adjustments if n.id == node_id)


# ---------------------------------------------------------------- the assessment file


def test_the_sample_assessment_loads():
    la = api.load_assessment(ROOT / "evidence" / "vung-tau-2024-assessment" / "danh-gia-2024.yaml")
    assert len(la.assessment.units) == 17
    assert la.criteria.criteria.id == "xa-2024"
    assert la.caps() == (2, 3)


def test_assessment_problems_name_path_and_line_all_in_one_pass(tmp_path):
    data = json.loads(json.dumps(ASSESSMENT))
    data["year"] = 2023
    data["scorers"] = [{"criteria": ["1.1", "9.9"], "roles": ["leaders"]}]
    data["criteria_hash"] = "0" * 64
    path = write_assessment(tmp_path, data)
    loaded, problems = check_assessment_file(path)
    assert loaded is None
    found = {p.code: p for p in problems}
    assert set(found) == {"assessment.year_mismatch", "assessment.unknown_criterion", "assessment.criteria_changed"}
    assert found["assessment.unknown_criterion"].path == "scorers[0].criteria[1]"
    assert found["assessment.unknown_criterion"].value == "9.9"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "9.9" in lines[found["assessment.unknown_criterion"].line - 1]
    assert lines[found["assessment.year_mismatch"].line - 1].startswith("year:")


def test_a_schedule_out_of_order_and_duplicate_units_are_refused(tmp_path):
    data = json.loads(json.dumps(ASSESSMENT))
    data["schedule"]["explanation"] = "05/01/2025"
    data["units"] = ["don-vi-a", "don-vi-a"]
    loaded, problems = check_assessment_file(write_assessment(tmp_path, data))
    messages = {p.path: p.message for p in problems}
    assert loaded is None
    assert messages["schedule"] == "hạn giải trình (05/01/2025) trước hạn thẩm định vòng 1 (10/01/2025)"
    assert {p.path: p.code for p in problems} == {"schedule": "assessment.schedule_order",
                                                  "units": "assessment.duplicate_unit"}
    assert "mã đơn vị bị lặp lại: don-vi-a" in messages["units"]


# ---------------------------------------------------------------- the record


def test_a_record_round_trips_and_each_line_links_to_the_one_before(la):
    entries = [entry(), entry(kind="submit", criterion=None, points=None, reason=None, at=at("11/12/2024"))]
    text, head = record_lines(entries)
    record = parse_record(text.encode(), "r.jsonl", ASSESSMENT_ID, "don-vi-a")
    assert record.problems == []
    assert record.entries == entries
    assert record.head == head
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["prev"] == GENESIS and second["prev"] == first["hash"] == line_hash(first)


def _two_lines() -> list[str]:
    entries = [entry(), entry(criterion="1.1", points=1, at=at("12/12/2024"), reason="Sửa lại"),
               entry(kind="submit", criterion=None, points=None, reason=None, at=at("13/12/2024"))]
    return record_lines(entries)[0].splitlines()


def _read(lines: list[str]):
    return parse_record(("\n".join(lines) + "\n").encode(), "ho-so/don-vi-a.jsonl", ASSESSMENT_ID, "don-vi-a")


def test_a_changed_line_is_reported_with_its_number():
    lines = _two_lines()
    lines[1] = lines[1].replace('"points":1.0', '"points":2.0')
    problems = _read(lines).problems
    assert [(p.code, p.line) for p in problems] == [("record.changed_line", 2)]
    assert problems[0].message == "dòng này đã bị sửa sau khi ghi (mã kiểm tra không khớp nội dung)"


def test_a_removed_or_reordered_line_breaks_the_chain_at_the_line_after_it():
    lines = _two_lines()
    assert [(p.code, p.line) for p in _read([lines[0], lines[2]]).problems] == [("record.broken_chain", 2)]
    assert [(p.code, p.line) for p in _read([lines[1], lines[0], lines[2]]).problems][0] == ("record.broken_chain", 1)
    assert _read(lines[1:]).problems[0].message == ("dòng này không nối tiếp dòng trước: có dòng bị xóa, chèn thêm "
                                                    "hoặc đổi thứ tự ở trước dòng này")


def test_a_line_of_another_unit_and_broken_json_are_reported():
    lines = _two_lines()
    other = record_lines([entry(unit="don-vi-b")])[0].splitlines()
    problems = _read(other + ["{not json"]).problems
    assert [(p.code, p.line) for p in problems] == [("record.other_unit", 1), ("record.bad_line", 2)]
    assert lines  # the helper itself is valid


def test_append_writes_nothing_when_an_entry_is_refused(la, tmp_path):
    api.append_entries(la, "don-vi-a", [entry()], NOW)
    path = la.record_path("don-vi-a")
    before = path.read_bytes()
    with pytest.raises(InputError) as err:
        api.append_entries(la, "don-vi-a", [entry(criterion="1.3", at=at("12/12/2024"))], NOW)
    assert codes(err.value.problems) == ["assessment.survey_self_score"]
    assert path.read_bytes() == before
    api.append_entries(la, "don-vi-a", [entry(kind="submit", criterion=None, points=None, reason=None,
                                              at=at("13/12/2024"))], NOW)
    record = api.read_unit_record(la, "don-vi-a")
    assert record.problems == [] and len(record.entries) == 2


def test_append_refuses_a_damaged_record(la):
    api.append_entries(la, "don-vi-a", [entry(), entry(points=1, at=at("11/12/2024"), reason="Sửa")], NOW)
    path = la.record_path("don-vi-a")
    path.write_text(path.read_text(encoding="utf-8").replace("Sửa", "Sửa lại"), encoding="utf-8")
    with pytest.raises(InputError) as err:
        api.append_entries(la, "don-vi-a", [entry(points=0, at=at("12/12/2024"), reason="X")], NOW)
    assert [(p.code, p.line) for p in err.value.problems] == [("record.changed_line", 2)]


# ---------------------------------------------------------------- refusals (docs/assessment.md lists each message)


def test_a_self_score_on_a_survey_criterion_is_refused(la):
    problems = refusals(la, [entry(criterion="1.3", points=5)])
    assert codes(problems) == ["assessment.survey_self_score"]
    assert problems[0].message == ("tiêu chí 1.3 lấy điểm từ kết quả điều tra xã hội học; đơn vị không được tự chấm")


def test_survey_points_come_only_from_the_survey(la):
    appraiser = dict(role="appraiser", round="appraisal_1", at=at("05/01/2025"), by="Trần B")
    assert codes(refusals(la, [entry(criterion="1.3", points=4, **appraiser)])) == ["assessment.survey_only"]
    survey = entry(criterion="1.3", points=4, role="survey", round="appraisal_1", at=at("05/01/2025"), by="Sở Nội vụ",
                   reason="Kết quả điều tra xã hội học năm 2024")
    assert refusals(la, [survey]) == []
    assert node(unit_result(la, [survey]), "1.3").final_points == 4


def test_an_entry_after_the_deadline_is_refused_until_the_office_unlocks_the_round(la):
    late = entry(at=at("21/12/2024", 8))
    problems = refusals(la, [late])
    assert codes(problems) == ["assessment.after_deadline"]
    assert problems[0].message == ("vòng tự chấm đã hết hạn ngày 20/12/2024; mục ghi lúc 21/12/2024 08:00 không được nhận "
                                   "(cán bộ Nội vụ có thể mở lại vòng này cho đơn vị, kèm lý do)")
    unlock = entry(kind="unlock", criterion=None, points=None, role="office_admin", by="Lê C", at=at("21/12/2024", 7),
                   until="23/12/2024", reason="Đơn vị mất điện ngày 20/12")
    assert refusals(la, [unlock, late]) == []
    assert codes(refusals(la, [unlock, entry(at=at("24/12/2024"))])) == ["assessment.after_deadline"]
    assert codes(refusals(la, [unlock.model_copy(update={"role": "unit"}), late])) == [
        "assessment.role_not_allowed", "assessment.after_deadline"]


def test_a_bonus_over_the_years_cap_is_refused(la):
    appraiser = dict(role="appraiser", round="appraisal_1", at=at("05/01/2025"), by="Trần B")
    problems = refusals(la, [entry(criterion="T1", points=2, reason="Hai sáng kiến được công nhận", **appraiser)])
    assert codes(problems) == ["assessment.bonus_cap"]
    assert problems[0].message == "tổng điểm thưởng của đơn vị sẽ là 2, vượt mức tối đa 1,5 điểm của năm 2024"
    assert refusals(la, [entry(criterion="T1", points=1.5, reason="Công nhận 1,5", **appraiser)]) == []


def test_points_outside_zero_and_the_maximum_are_refused(la):
    assert codes(refusals(la, [entry(points=2.5)])) == ["assessment.above_max"]
    assert refusals(la, [entry(points=2.5)])[0].message == "điểm 2,5 vượt điểm tối đa 2 của tiêu chí 1.1"
    assert codes(refusals(la, [entry(points=-1)])) == ["assessment.below_zero"]
    assert codes(refusals(la, [entry(points=1.234)])) == ["assessment.too_precise"]


def test_the_unit_cannot_change_a_rule_computed_criterion(la):
    problems = refusals(la, [entry(criterion="1.2", points=3)])
    assert codes(problems) == ["assessment.rule_by_unit"]
    assert problems[0].message == ("tiêu chí 1.2 được tính từ minh chứng; đơn vị không tự nhập điểm mà bổ sung minh "
                                   "chứng hoặc giải trình")


def test_an_appraiser_changes_a_rule_computed_criterion_only_with_a_reason(la):
    appraiser = dict(role="appraiser", round="appraisal_1", at=at("05/01/2025"), by="Trần B", criterion="1.2")
    problems = refusals(la, [entry(points=1, reason=None, **appraiser)])
    assert codes(problems) == ["assessment.reason_required"]
    assert problems[0].message == "thẩm định viên cho tiêu chí 1.2 1 điểm, khác điểm đang có (3); phải ghi lý do"
    assert refusals(la, [entry(points=3, reason=None, **appraiser)]) == []  # confirming the computed points


def test_roles_act_only_in_their_rounds(la):
    assert codes(refusals(la, [entry(role="appraiser", round="self", by="Trần B")])) == ["assessment.role_not_allowed"]
    explanation = entry(round="explanation", at=at("12/01/2025"))
    problems = refusals(la, [explanation])
    assert problems[0].message == ("ở vòng giải trình đơn vị chỉ ghi giải trình và minh chứng bổ sung; điểm do thẩm định "
                                   "vòng 2 chấm lại")
    leaders = entry(role="leaders", round="appraisal_1", at=at("05/01/2025"), by="Lãnh đạo", criterion="1.2", points=2)
    assert codes(refusals(la, [leaders])) == ["assessment.role_not_allowed"]
    office = entry(role="office_admin", round="appraisal_1", at=at("05/01/2025"), by="Nội vụ")
    assert codes(refusals(la, [office])) == ["assessment.role_not_allowed"]


def test_the_assessment_names_other_scorers(tmp_path):
    data = json.loads(json.dumps(ASSESSMENT))
    data["scorers"] = [{"criteria": ["1.2"], "roles": ["leaders"]}]
    la = api.load_assessment(write_assessment(tmp_path, data))
    leaders = entry(role="leaders", round="appraisal_1", at=at("05/01/2025"), by="Chủ tịch UBND tỉnh", criterion="1.2",
                    points=2, reason="Đánh giá của lãnh đạo tỉnh")
    assert refusals(la, [leaders]) == []
    problems = refusals(la, [leaders.model_copy(update={"role": "appraiser"})])
    assert problems[0].message == "tiêu chí 1.2 do lãnh đạo tỉnh chấm; thẩm định viên không nhập điểm tiêu chí này"


def test_a_criteria_set_names_its_scorers(tmp_path):
    criteria = json.loads(json.dumps(SET))
    criteria["items"][0]["children"][1]["scored_by"] = ["council"]
    la = api.load_assessment(write_assessment(tmp_path, criteria=criteria))
    council = dict(round="appraisal_1", at=at("05/01/2025"), by="Hội đồng", criterion="1.2", points=2, reason="Thiếu")
    assert refusals(la, [entry(role="council", **council)]) == []
    assert codes(refusals(la, [entry(role="appraiser", **council)])) == ["assessment.role_not_allowed"]


def test_an_explanation_request_needs_its_question_and_an_appraiser(la):
    request = entry(role="appraiser", round="appraisal_1", at=at("05/01/2025"), by="Trần B", criterion="1.2", points=None,
                    reason=None, explanation_requested=True)
    assert codes(refusals(la, [request])) == ["assessment.question_required"]
    assert refusals(la, [request.model_copy(update={"question": "Gửi quyết định"})]) == []
    assert codes(refusals(la, [entry(points=None, explanation_requested=True, question="?")])) == [
        "assessment.request_not_allowed"]


def test_nothing_is_accepted_after_finalising_or_in_the_future(la):
    final = entry(kind="finalise", criterion=None, points=None, reason=None, role="office_admin", by="Nội vụ",
                  round="appraisal_2", at=at("30/01/2025"))
    after = entry(criterion="1.2", points=2, reason="Sửa", role="council", by="Hội đồng", round="appraisal_2",
                  at=at("30/01/2025", 10))
    assert codes(refusals(la, [final, after])) == ["assessment.finalised"]
    assert codes(refusals(la, [after], now=at("30/01/2025", 9))) == ["assessment.future_entry"]


def test_a_new_entry_that_breaks_a_recorded_one_is_refused(la):
    later = entry(role="appraiser", round="appraisal_1", at=at("05/01/2025"), by="Trần B", points=2, reason=None)
    earlier = entry(points=2, reason="Có sáng kiến")  # the unit's self-score, dated before the appraisal
    assert refusals(la, [later]) != []  # 2 differs from the computed 0 without a reason
    recorded = [entry(points=2, reason="Có sáng kiến", at=at("03/12/2024"))]
    assert refusals(la, [later], existing=recorded) == refusals(la, [later], existing=recorded)
    assert earlier.points == 2


# ---------------------------------------------------------------- applying the record


def test_without_a_record_self_and_final_equal_computed_on_the_sample():
    la = api.load_assessment(ROOT / "evidence" / "vung-tau-2024-assessment" / "danh-gia-2024.yaml")
    evidence = {unit: {"self": rounds["self"]} for unit, rounds in api.assessment_evidence(la).items()}
    run = api.score_assessment(la, evidence, {})
    plain = api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE])
    assert [u.unit_id for u in run.units] == [u.unit_id for u in plain.units]
    for unit, base in zip(run.units, plain.units):
        assert (unit.self_points, unit.final_points, unit.final_index_pct, unit.band, unit.rank) == (
            base.points, base.points, base.index_pct, base.band, base.rank)
        assert unit.appraised_points is None and unit.assessment_state == "not_started"
        for got, want in zip(unit.nodes, base.nodes):
            assert got.computed_points == got.self_points == got.final_points == want.points
            assert got.rounds == [] and got.appraised_points is None


def test_a_plain_run_has_the_same_points_in_every_column(sample_run):
    for unit in sample_run.units:
        assert unit.self_points == unit.final_points == unit.points
        assert unit.final_index_pct == unit.index_pct and unit.assessment_state is None
        assert all(n.final_points == n.points == n.computed_points and n.rounds == [] for n in unit.nodes)


def test_rounds_self_appraised_and_final(la):
    entries = [
        entry(points=2, reason="Có sáng kiến X", evidence_refs=[{"document": "Quyết định công nhận", "number": "5/QĐ",
                                                                 "page": "trang 2"}]),
        entry(kind="submit", criterion=None, points=None, reason=None, at=at("15/12/2024")),
        entry(role="appraiser", round="appraisal_1", at=at("05/01/2025"), by="Trần B", criterion="1.2", points=1,
              reason="Điều kiện A chỉ đạt một phần", explanation_requested=True, question="Gửi biên bản"),
        entry(kind="submit", criterion=None, points=None, reason=None, role="appraiser", round="appraisal_1",
              at=at("06/01/2025"), by="Trần B"),
    ]
    result = unit_result(la, entries)
    leaf = node(result, "1.2")
    assert (leaf.computed_points, leaf.self_points, leaf.appraised_points, leaf.final_points) == (3, 3, 1, 1)
    assert [(r.round, r.points, r.by, r.role, r.explanation_requested) for r in leaf.rounds] == [
        ("appraisal_1", 1, "Trần B", "appraiser", True)]
    assert [(p.round, p.computed_points, p.entered_points, p.points) for p in leaf.by_round] == [
        ("self", 3, None, 3), ("appraisal_1", 3, 1, 1), ("explanation", 3, None, 1), ("appraisal_2", 3, None, 1)]
    assert node(result, "1.1").self_points == 2 and node(result, "1").final_points == 3
    assert (result.self_points, result.appraised_points, result.final_points) == (5, 3, 3)
    assert result.final_index_pct == 30 and result.band == "Yếu"  # the survey not yet run counts as missing: 3 of 10
    assert (result.assessment_state, result.open_requests) == ("appraised_1", 1)


def test_new_evidence_in_the_explanation_round_is_rescored(tmp_path):
    added = bundle_dict(unit_id="don-vi-b", name="UBND Phường B", metrics={"co_a": "có", "so_hop": 1})
    la = api.load_assessment(write_assessment(tmp_path, explanation={"don-vi-b": added}))
    entries = [
        entry(unit="don-vi-b", role="appraiser", round="appraisal_1", at=at("05/01/2025"), by="Trần B", criterion="1.2",
              points=None, reason=None, explanation_requested=True, question="Có điều kiện A không?"),
        entry(unit="don-vi-b", kind="note", round="explanation", at=at("12/01/2025"), criterion="1.2", points=None,
              reason="Đã có điều kiện A", evidence_refs=[{"document": "Biên bản kiểm tra", "page": "mục 2"}]),
    ]
    result = unit_result(la, entries, unit="don-vi-b")
    leaf = node(result, "1.2")
    assert (leaf.self_points, leaf.final_points, leaf.computed_points) == (0, 3, 3)
    assert result.open_requests == 0
    assert [r.kind for r in leaf.rounds] == ["score", "note"]


def test_a_record_with_a_refused_entry_cannot_be_scored(la):
    with pytest.raises(InputError) as err:
        unit_result(la, [entry(criterion="1.3")])
    assert codes(err.value.problems) == ["assessment.survey_self_score"]


def test_a_workbook_free_record_file_is_read_by_the_files_workflow(la, tmp_path):
    api.append_entries(la, "don-vi-a", [entry()], NOW)
    _, run = api.score_assessment_files(Path(la.file))
    assert run.unit("don-vi-a").final_points == 5
    assert run.unit("don-vi-b").assessment_state == "not_started"


def test_explanation_bundles_must_belong_to_listed_units(tmp_path):
    stray = bundle_dict(unit_id="don-vi-x", name="X")
    la = api.load_assessment(write_assessment(tmp_path, explanation={"don-vi-x": stray}))
    with pytest.raises(InputError) as err:
        api.assessment_evidence(la)
    assert codes(err.value.problems) == ["assessment.unknown_unit"]
    write_yaml(tmp_path / "x.yaml", {})


# ---------------------------------------------------------------- the documentation


DOCS = (ROOT / "docs" / "assessment.md").read_text(encoding="utf-8")


def test_the_acceptance_refusals_use_the_documented_messages(la, tmp_path):
    lines = _two_lines()
    lines[1] = lines[1].replace('"points":1.0', '"points":2.0')
    messages = [_read(lines).problems[0].message,
                refusals(la, [entry(at=at("21/12/2024", 8))])[0].message,
                refusals(la, [entry(criterion="1.3", points=5)])[0].message,
                refusals(la, [entry(criterion="T1", points=2, reason="Hai sáng kiến", role="appraiser",
                                    round="appraisal_1", at=at("05/01/2025"), by="Trần B")])[0].message]
    for message in messages:
        assert f"*{message}*" in DOCS, message


def test_a_naive_now_is_vietnam_time(la):
    from datetime import datetime

    assert codes(refusals(la, [entry(at=at("10/12/2024", 9))], now=datetime(2024, 12, 10, 8, 59))) == [
        "assessment.future_entry"]
    assert refusals(la, [entry(at=at("10/12/2024", 9))], now=datetime(2024, 12, 10, 9, 0)) == []
