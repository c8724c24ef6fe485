"""Criteria validation: every problem with its Vietnamese message, YAML path and line, all in one pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE_CRITERIA
from typer.testing import CliRunner

from cli import app
from engine.core.problems import InputError
from engine.load.criteria import check_criteria_file, load_criteria

BASE = """\
id: thu-2024
title: Bộ chỉ số thử
level: xa
year: 2024
max_points: 10
survey_points: 3
bands:
  - {label: Tốt, min: 80, max: 100, max_inclusive: true}
  - {label: Khá, min: 50, max: 80}
  - {label: Yếu, min: 0, max: 50}
catalog:
  documents:
    ke_hoach: {label: Kế hoạch CCHC}
  metrics:
    da_xu_ly: {label: Số việc đã xử lý}
  facts:
    co_a: {label: Điều kiện A}
items:
  - id: "1"
    title: Chỉ đạo điều hành
    max_points: 7
    children:
      - id: "1.1"
        title: Tỷ lệ xử lý
        max_points: 2
        rule:
          kind: tiers
          value: {ratio: [da_xu_ly, dossiers_resolved]}
          tiers:
            - {min: 90, min_inclusive: false, max: 100, max_inclusive: true, points: 2}
            - {min: 70, max: 90, max_inclusive: true, points: 1}
            - {min: 0, max: 70, points: 0}
      - id: "1.2"
        title: Ban hành kế hoạch
        max_points: 3
        rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 12, year_offset: -1}, late_points: 1}
      - id: "1.3"
        title: Điều kiện A
        max_points: 2
        rule: {kind: pass_fail, condition: {fact: co_a}}
  - id: "2"
    title: Điều tra
    max_points: 3
    children:
      - id: "2.1"
        title: Hài lòng
        max_points: 3
        rule: {kind: survey}
"""


def check(tmp_path: Path, text: str):
    path = tmp_path / "bo-chi-so.yaml"
    path.write_text(text, encoding="utf-8")
    loaded, problems = check_criteria_file(path)
    return path, loaded, problems


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing needle."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def triples(problems) -> list[tuple[str | None, int | None, str]]:
    return [(p.path, p.line, p.message) for p in problems]


def only(tmp_path: Path, text: str):
    path, loaded, problems = check(tmp_path, text)
    assert loaded is None
    assert len(problems) == 1, [p.render() for p in problems]
    problem = problems[0]
    assert problem.file == str(path) and problem.severity == "error"
    return problem


def test_base_is_valid(tmp_path):
    _, loaded, problems = check(tmp_path, BASE)
    assert problems == []
    assert loaded.criteria.id == "thu-2024"
    assert len(loaded.digest) == 64


def test_sample_set_is_valid():
    assert check_criteria_file(SAMPLE_CRITERIA)[1] == []


# ---------------------------------------------------------------- shape (schema) errors


def test_wrong_type_integer(tmp_path):
    text = edit("year: 2024", 'year: "hai nghìn"')
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message, problem.value) == ("year", 4, "phải là số nguyên", "hai nghìn")


def test_wrong_type_number(tmp_path):
    text = edit("        max_points: 3\n        rule: {kind: timeliness", "        max_points: ba\n        rule: {kind: timeliness")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message, problem.value) == \
        ("items[0].children[1].max_points", line_of(text, "max_points: ba"), "phải là số", "ba")


def test_wrong_type_list(tmp_path):
    text = edit("    children:\n      - id: \"2.1\"", "    children: nhieu\n    extra_children:\n      - id: \"2.1\"")
    path, loaded, problems = check(tmp_path, text)
    assert ("items[1].children", line_of(text, "children: nhieu"), "phải là danh sách") in triples(problems)


def test_unknown_key_at_top_and_in_a_rule(tmp_path):
    text = edit("year: 2024\n", "year: 2024\ncolour: đỏ\n")
    text = edit("rule: {kind: pass_fail, condition: {fact: co_a}}", "rule: {kind: pass_fail, condition: {fact: co_a}, diem: 1}", text)
    path, loaded, problems = check(tmp_path, text)
    assert loaded is None
    assert sorted(triples(problems)) == sorted([
        ("colour", 5, "khóa không được phép (không có trong định dạng)"),
        ("items[0].children[2].rule.diem", line_of(text, "diem: 1"), "khóa không được phép (không có trong định dạng)"),
    ])


def test_unknown_key_inside_tiers_names_the_real_path(tmp_path):
    text = edit("- {min: 0, max: 70, points: 0}", "- {min: 0, max: 70, points: 0, mau: do}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message, problem.value) == \
        ("items[0].children[0].rule.tiers[2].mau", line_of(text, "mau: do"), "khóa không được phép (không có trong định dạng)",
         "do")


def test_unknown_key_inside_required_documents_names_the_real_path(tmp_path):
    text = edit("rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 12, year_offset: -1}, late_points: 1}",
                "rule: {kind: documents, documents: [{kind: ke_hoach, deadline: {day: 31, month: 3}, han: 1}]}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.message) == ("items[0].children[1].rule.documents[0].han",
                                               "khóa không được phép (không có trong định dạng)")


def test_unknown_rule_kind(tmp_path):
    text = edit("rule: {kind: pass_fail, condition: {fact: co_a}}", "rule: {kind: dat_khong_dat, condition: {fact: co_a}}")
    problem = only(tmp_path, text)
    assert problem.path == "items[0].children[2].rule"
    assert problem.line == line_of(text, "dat_khong_dat")
    assert problem.message == ("loại 'dat_khong_dat' không tồn tại; các loại hợp lệ: 'pass_fail', 'all_of', 'any_of', "
                               "'tiers', 'proportional', 'timeliness', 'documents', 'count', 'survey', 'manual'")


def test_rule_without_kind(tmp_path):
    text = edit("rule: {kind: pass_fail, condition: {fact: co_a}}", "rule: {condition: {fact: co_a}}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.message) == ("items[0].children[2].rule", "thiếu khóa 'kind' cho biết loại")


def test_literal_choices_are_listed(tmp_path):
    text = edit("max_points: 3\n        rule: {kind: timeliness", "max_points: 3\n        not_applicable: bo_qua\n        rule: {kind: timeliness")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.value) == ("items[0].children[1].not_applicable", line_of(text, "bo_qua"), "bo_qua")
    assert problem.message == "giá trị không hợp lệ; chấp nhận: 'exclude' hoặc 'full_points'"


def test_bad_id_shape(tmp_path):
    text = edit('- id: "1.3"', '- id: "1,3"')
    problem = only(tmp_path, text)
    assert (problem.path, problem.line) == ("items[0].children[2].id", line_of(text, '"1,3"'))
    assert problem.message == "mã '1,3' phải theo số hiệu chính thức, ví dụ 1.1.4"


def test_leaf_without_rule_or_max(tmp_path):
    text = edit("        rule: {kind: pass_fail, condition: {fact: co_a}}\n", "")
    problem = only(tmp_path, text)
    assert (problem.path, problem.message) == ("items[0].children[2]", "tiêu chí lá '1.3' phải có quy tắc chấm (rule)")
    assert problem.line == line_of(text, '- id: "1.3"')


@pytest.mark.parametrize("deadline, message", [
    ("{day: 31, month: 2}", "ngày 31/2 không tồn tại"),
    ("{day: 31}", "hạn theo ngày trong năm cần cả day và month"),
    ("{date: 31/12/2023, day: 31, month: 12}", "hạn phải có đúng một dạng: date, day+month, relative_to hoặc after_document"),
    ("{date: 31/02/2024}", "ngày '31/02/2024' không tồn tại"),
])
def test_bad_deadlines(tmp_path, deadline, message):
    text = edit("deadline: {day: 31, month: 12, year_offset: -1}", f"deadline: {deadline}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.message) == ("items[0].children[1].rule.deadline", message)
    assert problem.line == line_of(text, "kind: timeliness")


def test_unknown_remediation_placeholder(tmp_path):
    text = edit("        rule: {kind: pass_fail, condition: {fact: co_a}}\n",
                "        rule: {kind: pass_fail, condition: {fact: co_a}}\n        remediation: {task: 'Làm {viec} ngay'}\n")
    problem = only(tmp_path, text)
    assert problem.path == "items[0].children[2].remediation.task"
    assert problem.message.startswith("biến '{viec}' không tồn tại; dùng được: {unit}, {criterion}")


def test_duplicate_yaml_key(tmp_path):
    text = edit("title: Bộ chỉ số thử\n", "title: Bộ chỉ số thử\ntitle: Lần hai\n")
    path, loaded, problems = check(tmp_path, text)
    assert ("title", 3, "khóa 'title' bị lặp lại") in triples(problems)
    assert loaded is None


def test_bad_yaml_syntax_names_the_line(tmp_path):
    text = edit("        title: Điều kiện A\n", "        title: [Điều kiện A\n")
    problem = only(tmp_path, text)
    assert problem.message.startswith("YAML không hợp lệ: ")
    assert problem.line == line_of(text, "title: [Điều kiện A") + 1  # the parser stops on the next line


def test_bad_yaml_tab_indentation(tmp_path):
    text = edit("    title: Điều tra\n", "\ttitle: Điều tra\n")
    problem = only(tmp_path, text)
    assert problem.message.startswith("YAML không hợp lệ")
    assert problem.line == line_of(text, "\ttitle: Điều tra")


def test_not_a_mapping(tmp_path):
    problem = only(tmp_path, "- a\n- b\n")
    assert (problem.line, problem.message) == (1, "tệp bộ chỉ số phải là một bảng khóa–giá trị (id, title, items...)")


def test_several_shape_errors_in_one_pass(tmp_path):
    text = edit("year: 2024", "year: hai")
    text = edit("title: Tỷ lệ xử lý", "tieu_de: Tỷ lệ xử lý", text)
    text = edit("rule: {kind: survey}", "rule: {kind: khao_sat}", text)
    path, loaded, problems = check(tmp_path, text)
    assert sorted(triples(problems)) == sorted([
        ("year", 4, "phải là số nguyên"),
        ("items[0].children[0].title", line_of(text, '- id: "1.1"'), "thiếu trường bắt buộc"),
        ("items[0].children[0].tieu_de", line_of(text, "tieu_de"), "khóa không được phép (không có trong định dạng)"),
        ("items[1].children[0].rule", line_of(text, "khao_sat"),
         "loại 'khao_sat' không tồn tại; các loại hợp lệ: 'pass_fail', 'all_of', 'any_of', 'tiers', 'proportional', "
         "'timeliness', 'documents', 'count', 'survey', 'manual'"),
    ])


# ---------------------------------------------------------------- meaning errors


def test_duplicate_ids(tmp_path):
    text = edit('- id: "1.3"', '- id: "1.2"')
    path, loaded, problems = check(tmp_path, text)
    assert triples(problems) == [
        ("items[0].children[1].id", line_of(text, '- id: "1.2"', 1), "mã tiêu chí '1.2' bị trùng (2 lần)"),
        ("items[0].children[2].id", line_of(text, '- id: "1.2"', 2), "mã tiêu chí '1.2' bị trùng (2 lần)"),
    ]


def test_parent_max_differs_from_children(tmp_path):
    text = edit("    max_points: 7\n", "    max_points: 8\n")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message) == \
        ("items[0].max_points", line_of(text, "    max_points: 8"), "điểm tối đa của '1' là 8 nhưng tổng các tiêu chí con là 7")


def test_set_max_differs_from_areas(tmp_path):
    text = edit("max_points: 10\n", "max_points: 100\n")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message) == \
        ("max_points", 5, "tổng điểm tối đa của bộ chỉ số là 100 nhưng tổng các lĩnh vực là 10")


def test_survey_points_differ_from_survey_leaves(tmp_path):
    text = edit("survey_points: 3", "survey_points: 5")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message) == \
        ("survey_points", 6, "điểm điều tra xã hội học khai báo 5 nhưng tổng các tiêu chí điều tra là 3")


def test_child_id_not_prefixed_by_parent(tmp_path):
    text = edit('- id: "2.1"', '- id: "3.1"')
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message, problem.value) == \
        ("items[1].children[0].id", line_of(text, '"3.1"'), "mã '3.1' phải bắt đầu bằng mã cha '2.'", "3.1")


def test_id_prefix_must_end_at_a_dot(tmp_path):
    text = edit('- id: "2.1"', '- id: "21"')
    assert only(tmp_path, text).message == "mã '21' phải bắt đầu bằng mã cha '2.'"


def test_tiers_that_overlap(tmp_path):
    text = edit("{min: 90, min_inclusive: false, max: 100", "{min: 90, max: 100")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message) == \
        ("items[0].children[0].rule.tiers[0]", line_of(text, "{min: 90, max: 100"), "các mức (tiers) chồng lấn tại 90%")


def test_tiers_that_leave_a_gap(tmp_path):
    text = edit("{min: 70, max: 90, max_inclusive: true", "{min: 70, max: 90", )
    problem = only(tmp_path, text)
    assert (problem.path, problem.message) == ("items[0].children[0].rule.tiers[0]",
                                               "các mức (tiers) để hở giá trị 90% (không mức nào chứa nó)")


def test_tiers_that_leave_a_gap_between_numbers(tmp_path):
    text = edit("{min: 0, max: 70, points: 0}", "{min: 0, max: 60, points: 0}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message) == \
        ("items[0].children[0].rule.tiers[1]", line_of(text, "{min: 70"), "các mức (tiers) để hở khoảng giữa 60% và 70%")


def test_tiers_that_do_not_reach_the_ends_of_the_domain(tmp_path):
    text = edit("{min: 0, max: 70, points: 0}", "{min: 10, max: 70, points: 0}")
    text = edit("max: 100, max_inclusive: true, points: 2}", "max: 100, points: 2}", text)
    path, loaded, problems = check(tmp_path, text)
    assert [p.message for p in problems] == ["các mức (tiers) để hở khoảng từ 0% đến 10%",
                                             "các mức (tiers) để hở giá trị 100% (không mức nào chứa nó)"]


def test_tiers_that_exclude_the_low_end(tmp_path):
    text = edit("{min: 0, max: 70, points: 0}", "{min: 0, min_inclusive: false, max: 70, points: 0}")
    assert only(tmp_path, text).message == "các mức (tiers) để hở giá trị 0% (không mức nào chứa nó)"


def test_count_tiers_need_an_open_top(tmp_path):
    text = edit("value: {ratio: [da_xu_ly, dossiers_resolved]}", "value: {metric: da_xu_ly}")
    problem = only(tmp_path, text)
    assert problem.message == "các mức (tiers) để hở các giá trị từ 100 trở lên"


def test_empty_tier(tmp_path):
    text = edit("tiers:\n", "domain: [0, 100]\n          tiers:\n            - {min: 50, max: 50, points: 0}\n")
    text = edit("value: {ratio: [da_xu_ly, dossiers_resolved]}", "value: {metric: da_xu_ly}", text)
    path, loaded, problems = check(tmp_path, text)
    assert "các mức (tiers) rỗng: cận dưới 50 không nhỏ hơn cận trên 50" in [p.message for p in problems]


def test_tier_points_above_max(tmp_path):
    text = edit("max_inclusive: true, points: 2}", "max_inclusive: true, points: 3}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.message) == ("items[0].children[0].rule.tiers[0].points",
                                               "số điểm 3 vượt điểm tối đa 2 của '1.1'")


def test_timeliness_points_must_not_reward_lateness(tmp_path):
    text = edit("late_points: 1}", "on_time_points: 1, late_points: 2}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message) == \
        ("items[0].children[1].rule.late_points", line_of(text, "late_points: 2"),
         "số điểm khi trễ hạn (2) lớn hơn số điểm khi đúng hạn (1) của '1.2'")
    text = edit("late_points: 1}", "late_points: 1, missing_points: 2}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.message) == ("items[0].children[1].rule.missing_points",
                                               "số điểm khi không ban hành (2) lớn hơn số điểm khi trễ hạn (1) của '1.2'")


def test_bands_that_overlap(tmp_path):
    text = edit("{label: Khá, min: 50, max: 80}", "{label: Khá, min: 50, max: 80, max_inclusive: true}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message) == \
        ("bands[0]", line_of(text, "label: Tốt"), "các mức xếp loại (bands) chồng lấn tại 80%")


def test_bands_that_leave_a_gap(tmp_path):
    text = edit("{label: Khá, min: 50, max: 80}", "{label: Khá, min: 60, max: 80}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.message) == \
        ("bands[1]", line_of(text, "label: Khá"), "các mức xếp loại (bands) để hở khoảng giữa 50% và 60%")


def test_bands_must_reach_100(tmp_path):
    text = edit("{label: Tốt, min: 80, max: 100, max_inclusive: true}", "{label: Tốt, min: 80, max: 100}")
    assert only(tmp_path, text).message == "các mức xếp loại (bands) để hở giá trị 100% (không mức nào chứa nó)"


@pytest.mark.parametrize("old, new, path, message", [
    ("{ratio: [da_xu_ly, dossiers_resolved]}", "{ratio: [da_xu_ly, so_khong_co]}", "items[0].children[0].rule.value.ratio[1]",
     "chỉ số (metric) 'so_khong_co' không được khai báo trong catalog.metrics và không có nguồn dữ liệu nào cung cấp"),
    ("document: ke_hoach,", "document: ke_hoach_khac,", "items[0].children[1].rule.document",
     "loại tài liệu 'ke_hoach_khac' không được khai báo trong catalog.documents và không có nguồn dữ liệu nào cung cấp"),
    ("condition: {fact: co_a}", "condition: {fact: co_z}", "items[0].children[2].rule.condition.fact",
     "dữ kiện (fact) 'co_z' không được khai báo trong catalog.facts và không có nguồn dữ liệu nào cung cấp"),
    ("condition: {fact: co_a}", "condition: {any_of: [{fact: co_a}, {not: {document: bien_ban}}]}",
     "items[0].children[2].rule.condition.any_of[1].not.document",
     "loại tài liệu 'bien_ban' không được khai báo trong catalog.documents và không có nguồn dữ liệu nào cung cấp"),
])
def test_undeclared_evidence_names(tmp_path, old, new, path, message):
    text = edit(old, new)
    problem = only(tmp_path, text)
    value = message.split("'")[1]
    assert (problem.path, problem.line, problem.message, problem.value) == (path, line_of(text, value), message, value)


def test_several_meaning_errors_in_one_pass(tmp_path):
    text = edit("max_points: 10\n", "max_points: 12\n")
    text = edit('- id: "2.1"', '- id: "3.1"', text)
    text = edit("condition: {fact: co_a}", "condition: {fact: co_z}", text)
    text = edit("{label: Khá, min: 50, max: 80}", "{label: Khá, min: 60, max: 80}", text)
    path, loaded, problems = check(tmp_path, text)
    assert loaded is None
    assert {p.path for p in problems} == {"max_points", "items[1].children[0].id", "items[0].children[2].rule.condition.fact",
                                          "bands[1]"}
    assert all(p.line is not None and p.file == str(path) for p in problems)


def test_load_criteria_raises_with_every_problem(tmp_path):
    text = edit("max_points: 10\n", "max_points: 12\n")
    text = edit('- id: "2.1"', '- id: "3.1"', text)
    path = tmp_path / "bo-chi-so.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_criteria(path)
    assert len(info.value.problems) == 2
    assert f"{path} [max_points, dòng 5]: tổng điểm tối đa" in str(info.value)


def test_missing_file(tmp_path):
    loaded, problems = check_criteria_file(tmp_path / "khong-co.yaml")
    assert loaded is None and problems[0].message.startswith("không đọc được tệp")


# ---------------------------------------------------------------- parindex validate


def test_cli_validate_reports_file_path_line_and_exits_2(tmp_path):
    text = edit("survey_points: 3", "survey_points: 5")
    path = tmp_path / "bo-chi-so.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    flat = " ".join(result.output.split())
    assert f"Lỗi: {path} [survey_points, dòng 6]: điểm điều tra xã hội học khai báo 5 nhưng tổng các tiêu chí điều tra là 3" in flat
    assert "1 lỗi." in flat


def test_cli_validate_json(tmp_path):
    import json

    path = tmp_path / "bo-chi-so.yaml"
    path.write_text(edit("year: 2024", "year: hai"), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--format", "json", str(path)])
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    assert [(p["file"], p["path"], p["line"], p["message"], p["value"]) for p in problems] == \
        [(str(path), "year", 4, "phải là số nguyên", "hai")]


def test_cli_validate_valid_files(tmp_path):
    path = tmp_path / "bo-chi-so.yaml"
    path.write_text(BASE, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path), str(SAMPLE_CRITERIA)])
    assert result.exit_code == 0
    assert "Hợp lệ: 2 bộ chỉ số." in result.output


def test_a_tier_label_must_say_what_its_bounds_do(tmp_path):
    """'trên 90%' with an inclusive 90 would explain exactly 90% as 'trên 90%': the label is checked."""
    text = SAMPLE_CRITERIA.read_text(encoding="utf-8").replace(
        "- {min: 90, min_inclusive: false, max: 100, max_inclusive: true, points: 2, label: trên 90%}",
        "- {min: 90, max: 100, max_inclusive: true, points: 2, label: trên 90%}")
    path = tmp_path / "xa.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = check_criteria_file(path)
    [problem] = [p for p in problems if "nhãn" in p.message]
    assert problem.message == "nhãn 'trên 90%' không khớp cận dưới: cần min: 90, min_inclusive: false"
    assert problem.path.endswith("tiers[0].label") and problem.value == "trên 90%" and problem.line is not None
