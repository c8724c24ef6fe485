"""Case tests for criteria authors: running, mismatch reports with the explanation trail, discovery, extends, coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from engine.authoring.cases import find_suites, format_report, run_suite, run_tests

SET = """\
id: thu
title: Bộ thử
level: xa
year: 2024
max_points: 3
bands:
  - {label: Tốt, min: 80, max: 100, max_inclusive: true}
  - {label: Chưa tốt, min: 0, max: 80}
catalog:
  documents:
    ke_hoach: {label: Kế hoạch CCHC năm}
  metrics:
    da_xu_ly: {label: Số việc đã xử lý}
    phai_xu_ly: {label: Số việc phải xử lý}
items:
  - id: "1"
    title: Lĩnh vực
    max_points: 3
    children:
      - id: "1.1"
        title: Tỷ lệ xử lý
        max_points: 2
        provenance: {note: "trên 90% → 2; từ 70% đến 90% → 1; dưới 70% → 0"}
        rule:
          kind: tiers
          value: {ratio: [da_xu_ly, phai_xu_ly]}
          tiers:
            - {min: 90, min_inclusive: false, max: 100, max_inclusive: true, points: 2}
            - {min: 70, max: 90, max_inclusive: true, points: 1}
            - {min: 0, max: 70, points: 0}
      - id: "1.2"
        title: Kế hoạch
        max_points: 1
        rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 1}, late_points: 0.5}
"""

CASES = """\
cases:
  - name: đúng 90% được 1 điểm
    evidence:
      metrics: [{name: da_xu_ly, value: 90}, {name: phai_xu_ly, value: 100}]
    expect:
      criteria:
        "1.1": {points: 1, status: partial}
  - name: kế hoạch đúng hạn
    evidence:
      documents: [{kind: ke_hoach, issue_date: 31/01/2024}]
    expect:
      criteria:
        "1.2": {points: 1, status: pass}
      total: 1
      max_points: 3
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "cases").mkdir()
    (tmp_path / "thu.yaml").write_text(SET, encoding="utf-8")
    (tmp_path / "cases" / "thu.cases.yaml").write_text(CASES, encoding="utf-8")
    return tmp_path


def write_cases(folder: Path, text: str, name: str = "thu.cases.yaml") -> Path:
    path = folder / "cases" / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str, start: int = 1) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number >= start and needle in line:
            return number
    raise AssertionError(needle)


def test_passing_cases(folder):
    report = run_tests(folder / "thu.yaml")
    assert report.problems == [] and report.exit_code == 0
    [suite] = report.suites
    assert [c.passed for c in suite.cases] == [True, True]
    assert "thu.cases.yaml → " in format_report(report) and "2/2 trường hợp đạt" in format_report(report)


def test_a_failing_case_reports_expected_got_rule_and_observed(folder):
    path = write_cases(folder, CASES.replace('"1.1": {points: 1, status: partial}', '"1.1": {points: 2, status: pass}'))
    report = run_tests(folder)
    assert report.exit_code == 1
    [case] = report.suites[0].failed
    assert case.name == "đúng 90% được 1 điểm" and case.line == 2
    points, status = case.mismatches
    assert (points.criterion, points.field, points.expected, points.got) == ("1.1", "points", "2", "1")
    assert points.line == line_of(path, '"1.1"')
    assert (status.expected, status.got) == ("pass (đạt)", "partial (đạt một phần)")
    assert "Thực tế: tỷ lệ = Số việc đã xử lý / Số việc phải xử lý = 90%" in points.trail
    assert any(t.startswith("Quy tắc: Theo tỷ lệ") for t in points.trail)
    assert "Kết luận: mức 'từ 70% đến 90%' → 1 điểm" in points.trail
    text = format_report(report)
    assert 'SAI: "đúng 90% được 1 điểm"' in text
    assert f"1.1 Tỷ lệ xử lý — điểm: mong đợi 2, thực tế 1, dòng {points.line}" in text
    assert text.count("Thực tế: tỷ lệ = Số việc đã xử lý / Số việc phải xử lý = 90%") == 1, "the trail is shown once per criterion"
    assert "Tổng cộng: 2 trường hợp, 1 đạt, 1 sai." in text


def test_cli_exit_codes(folder):
    runner = CliRunner()
    ok = runner.invoke(app, ["test", str(folder / "thu.yaml")])
    assert ok.exit_code == 0, ok.output
    write_cases(folder, CASES.replace("total: 1", "total: 3"))
    failed = runner.invoke(app, ["test", str(folder)])
    assert failed.exit_code == 1
    assert "tổng điểm: mong đợi 3, thực tế 1" in failed.output
    as_json = runner.invoke(app, ["test", str(folder), "--format", "json"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.output)
    assert data["suites"][0]["cases"][1]["mismatches"][0]["field"] == "total"


def test_total_index_band_and_unknown_criterion_mismatches(folder):
    write_cases(folder, """\
cases:
  - name: cả bộ
    evidence:
      metrics: [{name: da_xu_ly, value: 95}, {name: phai_xu_ly, value: 100}]
      documents: [{kind: ke_hoach, issue_date: 10/01/2024}]
    expect:
      criteria: {"9.9": {points: 1}}
      index: 90
      band: Chưa tốt
""")
    [case] = run_tests(folder).suites[0].cases
    found = {(m.field, m.expected, m.got) for m in case.mismatches}
    assert ("criterion", "có trong bộ chỉ số", "không có tiêu chí này") in found
    assert ("index", "90", "100") in found
    assert ("band", "Chưa tốt", "Tốt") in found


def test_bad_evidence_is_an_input_problem_with_file_and_line(folder):
    path = write_cases(folder, """\
defaults:
  as_of: 32/13/2024
cases:
  - name: sai trường
    evidence:
      metrics: [{name: da_xu_ly, valeu: 1}]
    expect: {total: 0}
""")
    report = run_tests(folder)
    assert report.exit_code == 2
    by_path = {p.path: p for p in report.problems}
    assert by_path["cases[0].evidence.metrics[0].valeu"].line == 6
    assert by_path["cases[0].evidence.metrics[0].valeu"].code == "schema.extra_forbidden"
    assert by_path["cases[0].evidence.metrics[0].value"].code == "schema.missing"
    assert by_path["defaults.as_of"].code == "format.no_such_date"
    assert by_path["defaults.as_of"].line == 2, "a bad default is reported where it was written"
    assert all(p.file == str(path) for p in report.problems)


def test_unit_level_from_defaults_must_fit_the_set(folder):
    write_cases(folder, "defaults:\n  unit: {id: x, name: X, level: tinh}\ncases:\n  - name: a\n    expect: {total: 0}\n")
    report = run_tests(folder)
    assert report.exit_code == 2
    assert [(p.code, p.path, p.line, p.value) for p in report.problems] == [
        ("evidence.unit_level", "defaults.unit.level", 2, "tinh")]


def test_an_expectation_needs_points_or_status(folder):
    path = write_cases(folder, 'cases:\n  - name: a\n    expect:\n      criteria: {"1.1": {}}\n')
    report = run_tests(folder)
    assert report.exit_code == 2
    assert [(p.code, p.file, p.path) for p in report.problems] == [("cases.empty_expect", str(path), "cases[0].expect.criteria.1.1")]


def test_discovery_by_convention(folder):
    suites, notes, problems = find_suites(folder)
    assert suites == [(folder / "cases" / "thu.cases.yaml", folder / "thu.yaml")] and not notes and not problems
    (folder / "khac.yaml").write_text(SET.replace("id: thu", "id: khac"), encoding="utf-8")
    suites, notes, problems = find_suites(folder)
    assert len(suites) == 1 and notes == [f"{folder / 'khac.yaml'}: bộ chỉ số 'khac' chưa có trường hợp kiểm thử "
                                          "(cases/khac.cases.yaml)"]
    _, _, problems = find_suites(folder / "khac.yaml")
    assert [(p.code, p.file) for p in problems] == [("cases.no_cases_file", str(folder / "khac.yaml"))]
    suite, problems = run_suite(folder / "cases" / "thu.cases.yaml")
    assert problems == [] and suite.criteria_file == str(folder / "thu.yaml")


def test_explicit_criteria_path_and_missing_criteria(folder):
    path = write_cases(folder, "criteria: ../khong-co.yaml\n" + CASES, name="rieng.cases.yaml")
    suite, problems = run_suite(path)
    assert suite is None and [(p.code, p.path) for p in problems] == [("cases.criteria_not_found", "criteria")]
    path.write_text("criteria: ../thu.yaml\n" + CASES, encoding="utf-8")
    suite, problems = run_suite(path)
    assert problems == [] and all(c.passed for c in suite.cases)


def test_extends_skip_and_override_by_name(folder):
    (folder / "con.yaml").write_text("extends: thu.yaml\nid: con\nrefine:\n  \"1.2\": {rule: {late_points: 0}}\n",
                                     encoding="utf-8")
    path = write_cases(folder, """\
extends: thu.cases.yaml
skip: [kế hoạch đúng hạn]
cases:
  - name: đúng 90% được 1 điểm
    evidence:
      metrics: [{name: da_xu_ly, value: 91}, {name: phai_xu_ly, value: 100}]
    expect:
      criteria: {"1.1": {points: 2}}
  - name: trễ hạn không còn điểm
    evidence:
      documents: [{kind: ke_hoach, issue_date: 01/02/2024}]
    expect:
      criteria: {"1.2": {points: 0, status: fail}}
""", name="con.cases.yaml")
    suite, problems = run_suite(path)
    assert problems == []
    assert [c.name for c in suite.cases] == ["đúng 90% được 1 điểm", "trễ hạn không còn điểm"]
    assert all(c.passed for c in suite.cases) and suite.cases[0].file == str(path)
    path.write_text("extends: thu.cases.yaml\nskip: [không có]\n", encoding="utf-8")
    _, problems = run_suite(path)
    assert [(p.code, p.path, p.value) for p in problems] == [("cases.unknown_skip", "skip[0]", "không có")]


def test_inherited_cases_report_their_own_file(folder):
    (folder / "con.yaml").write_text("extends: thu.yaml\nid: con\nrefine:\n  \"1.1\": {title: Đổi tên}\n", encoding="utf-8")
    write_cases(folder, CASES.replace("total: 1", "total: 2"))
    path = write_cases(folder, "extends: thu.cases.yaml\n", name="con.cases.yaml")
    suite, _ = run_suite(path)
    [failed] = suite.failed
    assert failed.file == str(folder / "cases" / "thu.cases.yaml")
    assert suite.criteria_file == str(folder / "con.yaml")


def test_coverage_names_untested_boundaries_and_statuses(folder):
    suite, _ = run_suite(folder / "cases" / "thu.cases.yaml")
    gaps = suite.coverage_gaps
    assert "1.1: chưa kiểm thử giá trị sát ranh giới 90% thuộc mức 'trên 90% đến 100%' (cách không quá 5)" in gaps
    assert not any("giá trị đúng bằng 90%" in g for g in gaps), "90% exactly is tested"
    assert "1.1: chưa kiểm thử giá trị đúng bằng 70% (thuộc mức 'từ 70% đến 90%')" in gaps
    assert "chưa có trường hợp nào mong đợi trạng thái 'not_due' (chưa đến hạn)" in gaps
    assert not any("'pass'" in g or "'partial'" in g for g in gaps)
    text = format_report(run_tests(folder), show_coverage=True)
    assert "Độ phủ: còn" in text


def test_a_value_far_from_the_boundary_does_not_count_as_just_across(folder):
    write_cases(folder, """\
cases:
  - name: 60%
    evidence:
      metrics: [{name: da_xu_ly, value: 60}, {name: phai_xu_ly, value: 100}]
    expect: {criteria: {"1.1": {points: 0}}}
""")
    suite, _ = run_suite(folder / "cases" / "thu.cases.yaml")
    assert "1.1: chưa kiểm thử giá trị sát ranh giới 70% thuộc mức 'từ 0% đến dưới 70%' (cách không quá 5)" in suite.coverage_gaps


def test_case_files_are_not_modified(folder):
    paths = [folder / "thu.yaml", folder / "cases" / "thu.cases.yaml"]
    before = [p.read_bytes() for p in paths]
    run_tests(folder)
    assert [p.read_bytes() for p in paths] == before
