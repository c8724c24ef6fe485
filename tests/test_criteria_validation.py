"""Criteria validation: every problem with its code, YAML path and line, all in one pass.

A few tests keep the exact Vietnamese text: the reasons of a tier gap and of a tier label that
disagrees with its bounds, and the line `parindex validate` prints.
"""

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
        remediation: {task: Khắc phục, product: Báo cáo, lead: Công chức Văn phòng, cooperating: [Các bộ phận], deadline: Quý I/2025}
      - id: "1.2"
        title: Ban hành kế hoạch
        max_points: 3
        rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 12, year_offset: -1}, late_points: 1}
        remediation: {task: Khắc phục, product: Báo cáo, lead: Công chức Văn phòng, cooperating: [Các bộ phận], deadline: Quý I/2025}
      - id: "1.3"
        title: Điều kiện A
        max_points: 2
        rule: {kind: pass_fail, condition: {fact: co_a}}
        remediation: {task: Khắc phục, product: Báo cáo, lead: Công chức Văn phòng, cooperating: [Các bộ phận], deadline: Quý I/2025}
  - id: "2"
    title: Điều tra
    max_points: 3
    children:
      - id: "2.1"
        title: Hài lòng
        max_points: 3
        rule: {kind: survey}
        remediation: {task: Khắc phục, product: Báo cáo, lead: Công chức Văn phòng, cooperating: [Các bộ phận], deadline: Quý I/2025}
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
    return [(p.path, p.line, p.code) for p in problems]


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


def test_an_incomplete_or_missing_remediation_template_is_a_warning(tmp_path):
    full = ("remediation: {task: Khắc phục, product: Báo cáo, lead: Công chức Văn phòng, cooperating: [Các bộ phận], "
            "deadline: Quý I/2025}\n")
    text = BASE.replace("{fact: co_a}}\n        " + full, "{fact: co_a}}\n        remediation: {task: Khắc phục, lead: '{unit}'}\n")
    text = text.replace("rule: {kind: survey}\n        " + full, "rule: {kind: survey}\n")
    _, loaded, problems = check(tmp_path, text)
    assert loaded is not None and {p.severity for p in problems} == {"warning"}
    messages = {p.path: p.message for p in problems}
    assert messages["items[0].children[2].remediation"] == ("mẫu nhiệm vụ khắc phục của '1.3' còn thiếu: sản phẩm, "
                                                            "cơ quan phối hợp, thời gian hoàn thành")
    assert messages["items[0].children[2].remediation.lead"].startswith("cơ quan chủ trì phải là bộ phận")
    assert messages["items[1].children[0].id"].startswith("tiêu chí '2.1' chưa có mẫu nhiệm vụ khắc phục")
    assert len(problems) == 3


def test_sample_set_is_valid():
    assert check_criteria_file(SAMPLE_CRITERIA)[1] == []


# ---------------------------------------------------------------- shape (schema) errors


def test_wrong_type_integer(tmp_path):
    text = edit("year: 2024", 'year: "hai nghìn"')
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == ("year", 4, "schema.type", "hai nghìn")


def test_wrong_type_number(tmp_path):
    text = edit("        max_points: 3\n        rule: {kind: timeliness", "        max_points: ba\n        rule: {kind: timeliness")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == \
        ("items[0].children[1].max_points", line_of(text, "max_points: ba"), "schema.type", "ba")


def test_wrong_type_list(tmp_path):
    text = edit("    children:\n      - id: \"2.1\"", "    children: nhieu\n    extra_children:\n      - id: \"2.1\"")
    path, loaded, problems = check(tmp_path, text)
    assert ("items[1].children", line_of(text, "children: nhieu"), "schema.type") in triples(problems)


def test_unknown_key_at_top_and_in_a_rule(tmp_path):
    text = edit("year: 2024\n", "year: 2024\ncolour: đỏ\n")
    text = edit("rule: {kind: pass_fail, condition: {fact: co_a}}", "rule: {kind: pass_fail, condition: {fact: co_a}, diem: 1}", text)
    path, loaded, problems = check(tmp_path, text)
    assert loaded is None
    assert sorted(triples(problems)) == sorted([
        ("colour", 5, "schema.extra_forbidden"),
        ("items[0].children[2].rule.diem", line_of(text, "diem: 1"), "schema.extra_forbidden"),
    ])


def test_unknown_key_inside_tiers_names_the_real_path(tmp_path):
    text = edit("- {min: 0, max: 70, points: 0}", "- {min: 0, max: 70, points: 0, mau: do}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == \
        ("items[0].children[0].rule.tiers[2].mau", line_of(text, "mau: do"), "schema.extra_forbidden", "do")


def test_unknown_key_inside_required_documents_names_the_real_path(tmp_path):
    text = edit("rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 12, year_offset: -1}, late_points: 1}",
                "rule: {kind: documents, documents: [{kind: ke_hoach, deadline: {day: 31, month: 3}, han: 1}]}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code) == ("items[0].children[1].rule.documents[0].han", "schema.extra_forbidden")


def test_unknown_rule_kind(tmp_path):
    text = edit("rule: {kind: pass_fail, condition: {fact: co_a}}", "rule: {kind: dat_khong_dat, condition: {fact: co_a}}")
    problem = only(tmp_path, text)
    assert problem.path == "items[0].children[2].rule"
    assert (problem.line, problem.code) == (line_of(text, "dat_khong_dat"), "schema.unknown_kind")
    assert "'dat_khong_dat'" in problem.message


def test_rule_without_kind(tmp_path):
    text = edit("rule: {kind: pass_fail, condition: {fact: co_a}}", "rule: {condition: {fact: co_a}}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code) == ("items[0].children[2].rule", "schema.missing_kind")


def test_literal_choices_are_listed(tmp_path):
    text = edit("max_points: 3\n        rule: {kind: timeliness", "max_points: 3\n        not_applicable: bo_qua\n        rule: {kind: timeliness")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.value, problem.code) == \
        ("items[0].children[1].not_applicable", line_of(text, "bo_qua"), "bo_qua", "schema.choice")


def test_bad_id_shape(tmp_path):
    text = edit('- id: "1.3"', '- id: "1,3"')
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == \
        ("items[0].children[2].id", line_of(text, '"1,3"'), "criteria.bad_id", "1,3")


def test_leaf_without_rule_or_max(tmp_path):
    text = edit("        rule: {kind: pass_fail, condition: {fact: co_a}}\n", "")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code) == ("items[0].children[2]", "criteria.leaf_without_rule")
    assert problem.line == line_of(text, '- id: "1.3"')


@pytest.mark.parametrize("deadline, code", [
    ("{day: 31, month: 2}", "format.no_such_date"),
    ("{day: 31}", "criteria.deadline_day_month"),
    ("{date: 31/12/2023, day: 31, month: 12}", "criteria.deadline_form"),
    ("{date: 31/02/2024}", "format.no_such_date"),
])
def test_bad_deadlines(tmp_path, deadline, code):
    text = edit("deadline: {day: 31, month: 12, year_offset: -1}", f"deadline: {deadline}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code) == ("items[0].children[1].rule.deadline", code)
    assert problem.line == line_of(text, "kind: timeliness")


def test_unknown_remediation_placeholder(tmp_path):
    text = edit("        rule: {kind: pass_fail, condition: {fact: co_a}}\n        remediation: {task: Khắc phục,",
                "        rule: {kind: pass_fail, condition: {fact: co_a}}\n        remediation: {task: 'Làm {viec} ngay',")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code, problem.value) == \
        ("items[0].children[2].remediation.task", "criteria.placeholder", "Làm {viec} ngay")


def test_duplicate_yaml_key(tmp_path):
    text = edit("title: Bộ chỉ số thử\n", "title: Bộ chỉ số thử\ntitle: Lần hai\n")
    path, loaded, problems = check(tmp_path, text)
    assert ("title", 3, "yaml.duplicate_key") in triples(problems)
    assert loaded is None


def test_bad_yaml_syntax_names_the_line(tmp_path):
    text = edit("        title: Điều kiện A\n", "        title: [Điều kiện A\n")
    problem = only(tmp_path, text)
    assert problem.code == "yaml.unclosed_list"
    assert problem.line == line_of(text, "title: [Điều kiện A") + 1  # the parser stops on the next line


def test_bad_yaml_tab_indentation(tmp_path):
    text = edit("    title: Điều tra\n", "\ttitle: Điều tra\n")
    problem = only(tmp_path, text)
    assert problem.code == "yaml.tab_indent"
    assert problem.line == line_of(text, "\ttitle: Điều tra")


def test_not_a_mapping(tmp_path):
    problem = only(tmp_path, "- a\n- b\n")
    assert (problem.line, problem.code) == (1, "criteria.not_mapping")


def test_several_shape_errors_in_one_pass(tmp_path):
    text = edit("year: 2024", "year: hai")
    text = edit("title: Tỷ lệ xử lý", "tieu_de: Tỷ lệ xử lý", text)
    text = edit("rule: {kind: survey}", "rule: {kind: khao_sat}", text)
    path, loaded, problems = check(tmp_path, text)
    assert sorted(triples(problems)) == sorted([
        ("year", 4, "schema.type"),
        ("items[0].children[0].title", line_of(text, '- id: "1.1"'), "schema.missing"),
        ("items[0].children[0].tieu_de", line_of(text, "tieu_de"), "schema.extra_forbidden"),
        ("items[1].children[0].rule", line_of(text, "khao_sat"), "schema.unknown_kind"),
    ])


# ---------------------------------------------------------------- meaning errors


def test_duplicate_ids(tmp_path):
    text = edit('- id: "1.3"', '- id: "1.2"')
    path, loaded, problems = check(tmp_path, text)
    assert triples(problems) == [
        ("items[0].children[1].id", line_of(text, '- id: "1.2"', 1), "criteria.duplicate_id"),
        ("items[0].children[2].id", line_of(text, '- id: "1.2"', 2), "criteria.duplicate_id"),
    ]


def test_parent_max_differs_from_children(tmp_path):
    text = edit("    max_points: 7\n", "    max_points: 8\n")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == \
        ("items[0].max_points", line_of(text, "    max_points: 8"), "criteria.points_sum", "8.0")


def test_set_max_differs_from_areas(tmp_path):
    text = edit("max_points: 10\n", "max_points: 100\n")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == ("max_points", 5, "criteria.set_points_sum", "100.0")


def test_survey_points_differ_from_survey_leaves(tmp_path):
    text = edit("survey_points: 3", "survey_points: 5")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == \
        ("survey_points", 6, "criteria.survey_points_sum", "5.0")


def test_child_id_not_prefixed_by_parent(tmp_path):
    text = edit('- id: "2.1"', '- id: "3.1"')
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == \
        ("items[1].children[0].id", line_of(text, '"3.1"'), "criteria.child_id_prefix", "3.1")


def test_id_prefix_must_end_at_a_dot(tmp_path):
    text = edit('- id: "2.1"', '- id: "21"')
    problem = only(tmp_path, text)
    assert (problem.code, problem.value) == ("criteria.child_id_prefix", "21")


def test_tiers_that_overlap(tmp_path):
    text = edit("{min: 90, min_inclusive: false, max: 100", "{min: 90, max: 100")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == \
        ("items[0].children[0].rule.tiers[0]", line_of(text, "{min: 90, max: 100"), "criteria.tier_overlap", "90.0")


def test_tiers_that_leave_a_gap(tmp_path):
    text = edit("{min: 70, max: 90, max_inclusive: true", "{min: 70, max: 90", )
    problem = only(tmp_path, text)
    assert (problem.path, problem.code, problem.value) == ("items[0].children[0].rule.tiers[0]", "criteria.tier_gap", "90.0")


def test_tiers_that_leave_a_gap_between_numbers(tmp_path):
    text = edit("{min: 0, max: 70, points: 0}", "{min: 0, max: 60, points: 0}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == \
        ("items[0].children[0].rule.tiers[1]", line_of(text, "{min: 70"), "criteria.tier_gap", "70.0")


def test_tiers_that_do_not_reach_the_ends_of_the_domain(tmp_path):
    text = edit("{min: 0, max: 70, points: 0}", "{min: 10, max: 70, points: 0}")
    text = edit("max: 100, max_inclusive: true, points: 2}", "max: 100, points: 2}", text)
    path, loaded, problems = check(tmp_path, text)
    assert [(p.code, p.message) for p in problems] == [
        ("criteria.tier_gap", "các mức (tiers) để hở khoảng từ 0% đến 10%"),
        ("criteria.tier_gap", "các mức (tiers) để hở giá trị 100% (không mức nào chứa nó)")]


def test_tiers_that_exclude_the_low_end(tmp_path):
    text = edit("{min: 0, max: 70, points: 0}", "{min: 0, min_inclusive: false, max: 70, points: 0}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code) == ("items[0].children[0].rule.tiers[2]", "criteria.tier_gap")


def test_count_tiers_need_an_open_top(tmp_path):
    text = edit("value: {ratio: [da_xu_ly, dossiers_resolved]}", "value: {metric: da_xu_ly}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code) == ("items[0].children[0].rule.tiers[0]", "criteria.tier_gap")


def test_empty_tier(tmp_path):
    text = edit("tiers:\n", "domain: [0, 100]\n          tiers:\n            - {min: 50, max: 50, points: 0}\n")
    text = edit("value: {ratio: [da_xu_ly, dossiers_resolved]}", "value: {metric: da_xu_ly}", text)
    path, loaded, problems = check(tmp_path, text)
    assert ("items[0].children[0].rule.tiers[0]", "criteria.tier_empty") in [(p.path, p.code) for p in problems]


def test_tier_points_above_max(tmp_path):
    text = edit("max_inclusive: true, points: 2}", "max_inclusive: true, points: 3}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code, problem.value) == \
        ("items[0].children[0].rule.tiers[0].points", "criteria.points_above_max", "3.0")


def test_timeliness_points_must_not_reward_lateness(tmp_path):
    text = edit("late_points: 1}", "on_time_points: 1, late_points: 2}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code) == \
        ("items[0].children[1].rule.late_points", line_of(text, "late_points: 2"), "criteria.late_above_on_time")
    text = edit("late_points: 1}", "late_points: 1, missing_points: 2}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.code) == ("items[0].children[1].rule.missing_points", "criteria.missing_above_late")


def test_bands_that_overlap(tmp_path):
    text = edit("{label: Khá, min: 50, max: 80}", "{label: Khá, min: 50, max: 80, max_inclusive: true}")
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code) == ("bands[0]", line_of(text, "label: Tốt"), "criteria.band_overlap")


def test_bands_may_leave_a_gap_an_index_there_is_unclassified(tmp_path):
    """National groups A ≥ 90 and B 80–< 90 with nothing below: a gap is allowed, an overlap is not."""
    text = edit("{label: Khá, min: 50, max: 80}", "{label: Khá, min: 60, max: 80}")
    text = edit("{label: Tốt, min: 80, max: 100, max_inclusive: true}", "{label: Tốt, min: 80, max: 100}", text)
    path, loaded, problems = check(tmp_path, text)
    assert problems == [] and loaded is not None


@pytest.mark.parametrize("old, new, path, code, value", [
    ("{ratio: [da_xu_ly, dossiers_resolved]}", "{ratio: [da_xu_ly, so_khong_co]}", "items[0].children[0].rule.value.ratio[1]",
     "criteria.unknown_metric", "so_khong_co"),
    ("document: ke_hoach,", "document: ke_hoach_khac,", "items[0].children[1].rule.document",
     "criteria.unknown_document", "ke_hoach_khac"),
    ("condition: {fact: co_a}", "condition: {fact: co_z}", "items[0].children[2].rule.condition.fact",
     "criteria.unknown_fact", "co_z"),
    ("condition: {fact: co_a}", "condition: {any_of: [{fact: co_a}, {not: {document: bien_ban}}]}",
     "items[0].children[2].rule.condition.any_of[1].not.document", "criteria.unknown_document", "bien_ban"),
])
def test_undeclared_evidence_names(tmp_path, old, new, path, code, value):
    text = edit(old, new)
    problem = only(tmp_path, text)
    assert (problem.path, problem.line, problem.code, problem.value) == (path, line_of(text, value), code, value)


def test_several_meaning_errors_in_one_pass(tmp_path):
    text = edit("max_points: 10\n", "max_points: 12\n")
    text = edit('- id: "2.1"', '- id: "3.1"', text)
    text = edit("condition: {fact: co_a}", "condition: {fact: co_z}", text)
    text = edit("{label: Khá, min: 50, max: 80}", "{label: Khá, min: 40, max: 80}", text)
    path, loaded, problems = check(tmp_path, text)
    assert loaded is None
    assert {(p.path, p.code) for p in problems} == {
        ("max_points", "criteria.set_points_sum"), ("items[1].children[0].id", "criteria.child_id_prefix"),
        ("items[0].children[2].rule.condition.fact", "criteria.unknown_fact"), ("bands[1]", "criteria.band_overlap")}
    assert all(p.line is not None and p.file == str(path) for p in problems)


def test_load_criteria_raises_with_every_problem(tmp_path):
    text = edit("max_points: 10\n", "max_points: 12\n")
    text = edit('- id: "2.1"', '- id: "3.1"', text)
    path = tmp_path / "bo-chi-so.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_criteria(path)
    assert [(p.code, p.path, p.line) for p in info.value.problems] == [
        ("criteria.child_id_prefix", "items[1].children[0].id", line_of(text, '"3.1"')),
        ("criteria.set_points_sum", "max_points", 5)]
    assert str(info.value) == "\n".join(p.render() for p in info.value.problems)


def test_missing_file(tmp_path):
    loaded, problems = check_criteria_file(tmp_path / "khong-co.yaml")
    assert loaded is None and [p.code for p in problems] == ["file.not_found"]


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
    assert [(p["code"], p["file"], p["path"], p["line"], p["value"], p["severity"]) for p in problems] == \
        [("schema.type", str(path), "year", 4, "hai", "error")]


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
    [problem] = [p for p in problems if p.code == "criteria.tier_label"]
    assert problem.message == "nhãn 'trên 90%' không khớp cận dưới: cần min: 90, min_inclusive: false"
    assert problem.path.endswith("tiers[0].label") and problem.value == "trên 90%" and problem.line is not None
