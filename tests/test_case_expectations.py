"""What author test cases can expect beyond points and status: an item's maximum and component index, the block,
warnings, data problems, an input error by its code; peers for rules that compare the units of a block."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_casetest import SET, folder, line_of, write_cases  # noqa: F401  (the fixture is used by name)

from engine.authoring.cases import format_report, run_tests

RATIO_METRICS = "metrics: [{name: da_xu_ly, value: 90}, {name: phai_xu_ly, value: 100}]"


def one_case(folder: Path, expect: str, evidence: str = RATIO_METRICS, extra: str = ""):
    text = f"cases:\n  - name: thử\n    evidence:\n      {evidence}\n{extra}    expect:\n" + "".join(
        f"      {line}\n" for line in expect.strip().splitlines())
    path = write_cases(folder, text)
    report = run_tests(folder / "thu.yaml")
    return path, report


def test_item_maximum_and_component_index(folder):
    _, report = one_case(folder, 'criteria:\n  "1": {max_points: 3, index: 33.33}\n  "1.1": {max_points: 2, index: 50}')
    assert report.exit_code == 0, format_report(report)
    path, report = one_case(folder, 'criteria:\n  "1": {max_points: 4, index: 40}')
    [case] = report.suites[0].failed
    assert [(m.field, m.expected, m.got) for m in case.mismatches] == [("node_max_points", "4", "3"),
                                                                        ("node_index", "40", "33,33")]
    assert case.mismatches[0].line == line_of(path, '"1"')
    assert "1 Lĩnh vực — chỉ số thành phần (%): mong đợi 40, thực tế 33,33" in format_report(report)


def test_warnings_and_data_problems(folder):
    typo = "metrics: [{name: da_xu_lyy, value: 1}]"
    _, report = one_case(folder, "warnings: [\"chỉ số 'da_xu_lyy' không có trong bộ chỉ số thu\"]\ndata_problems: 1", typo)
    assert report.exit_code == 0, format_report(report)
    _, report = one_case(folder, "warnings: []\ndata_problems: 0", typo)
    [case] = report.suites[0].failed
    assert [(m.field, m.expected, m.got) for m in case.mismatches] == [
        ("data_problems", "0", "1"), ("warnings", "không có cảnh báo", "1 cảnh báo")]
    assert case.mismatches[1].trail[0].startswith("Cảnh báo: chỉ số 'da_xu_lyy'")


def test_an_input_error_expected_by_its_code(folder):
    wrong_level = "unit: {id: so-a, name: Sở A, level: so}"
    _, report = one_case(folder, "input_error: evidence.unit_level", wrong_level)
    assert report.exit_code == 0 and report.problems == [], format_report(report)
    _, report = one_case(folder, "input_error: evidence.unit_level")
    [case] = report.suites[0].failed
    assert (case.mismatches[0].field, case.mismatches[0].got) == ("input_error", "đầu vào hợp lệ, không có lỗi")
    _, report = one_case(folder, "input_error: cases.tables", wrong_level)
    [case] = report.suites[0].failed
    assert case.mismatches[0].got == "evidence.unit_level"
    assert "cấp đơn vị 'so' không dùng được bộ chỉ số cấp xa" in case.mismatches[0].trail[0]


def test_an_input_error_with_other_expectations_is_itself_an_input_problem(folder):
    _, report = one_case(folder, "input_error: evidence.unit_level\ntotal: 1")
    assert report.exit_code == 2
    assert "không mong đợi thêm điểm hay kết quả nào" in report.problems[0].message


def test_the_block_is_expected_by_label(folder):
    _, report = one_case(folder, "block: null\ntotal: 1")
    assert report.exit_code == 0, format_report(report)
    _, report = one_case(folder, "block: Khối xã")
    [case] = report.suites[0].failed
    assert (case.mismatches[0].expected, case.mismatches[0].got) == ("Khối xã", "không chia khối")


RELATIVE_SET = SET.replace("""        rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 1}, late_points: 0.5}""",
                           """        rule: {kind: relative, value: {ratio: [da_xu_ly, phai_xu_ly]}}""")


@pytest.fixture
def relative(folder: Path) -> Path:
    (folder / "thu.yaml").write_text(RELATIVE_SET, encoding="utf-8")
    return folder


def test_peers_score_a_relative_criterion_against_the_block(relative):
    peers = ("    peers:\n      - unit: {id: b, name: UBND B, level: xa}\n"
             "        metrics: [{name: da_xu_ly, value: 60}, {name: phai_xu_ly, value: 100}]\n")
    _, report = one_case(relative, 'criteria:\n  "1.2": {points: 1, status: pass}', extra=peers)
    assert report.exit_code == 0, format_report(report)
    _, report = one_case(relative, 'criteria:\n  "1.2": {points: 0, status: missing_evidence}')
    assert report.exit_code == 0, "what a unit scored alone gets can be asserted"


def test_expecting_points_of_a_relative_criterion_without_peers_is_an_input_error(relative):
    path, report = one_case(relative, 'criteria:\n  "1.2": {points: 1}')
    assert report.exit_code == 2
    [problem] = report.problems
    assert (problem.code, problem.line) == ("cases.relative_without_peers", line_of(path, '"1.2"'))
    assert "thêm các đơn vị cùng khối vào peers" in problem.message


def test_a_peer_needs_its_own_unit(relative):
    peers = "    peers:\n      - metrics: [{name: da_xu_ly, value: 60}, {name: phai_xu_ly, value: 100}]\n"
    _, report = one_case(relative, 'criteria:\n  "1.2": {points: 1}', extra=peers)
    assert report.exit_code == 2 and report.problems[0].code == "cases.peer_without_unit"
