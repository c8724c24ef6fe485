"""Bad input never crashes: a Vietnamese message naming file, place and value, every problem in one pass, exit 2.

Each test reproduces one way an input used to pass validation and crash later, or to be reported
in English or without its place, and asserts the problem's code, the place and (through the CLI)
exit 2. A few assert the exact Vietnamese text: the YAML, schema and mapping translations and the
placeholder and ambiguous-number explanations.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import _template_argument_problems, app
from engine import api
from engine.core.problems import InputError, os_error_code, os_error_vi
from engine.core.yamlsource import load_yaml
from engine.load.bundles import load_bundle
from engine.load.criteria import check_criteria_file
from engine.load.dossiers import load_mapping
from engine.render.data import write_atomic

CRITERIA = """\
id: base
title: Base
level: xa
year: 2024
max_points: 10
survey_points: 0
catalog:
  documents:
    ke_hoach: {label: Kế hoạch}
  metrics:
    a: {label: A, unit: cái}
    b: {label: B, unit: cái}
  facts:
    f1: {label: F1}
items:
  - id: "1"
    title: Area 1
    max_points: 5
    children:
      - id: "1.1"
        title: Plan
        max_points: 2
        rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 12, year_offset: -1}, late_points: 1}
      - id: "1.2"
        title: Count
        max_points: 3
        rule: {kind: count, value: {metric: a}, points_per_item: 0.001}
  - id: "2"
    title: Area 2
    max_points: 5
    children:
      - id: "2.1"
        title: Fact
        max_points: 5
        rule: {kind: pass_fail, condition: {fact: f1}}
        remediation:
          task: Fix {unit} {shortfall}
"""

BUNDLE = """\
unit:
  id: u1
  name: UBND Phường 1
  level: xa
period:
  year: 2024
  start: 01/01/2024
  end: 31/12/2024
as_of: 31/12/2024
documents:
  - {kind: ke_hoach, number: 1/KH, issue_date: 20/12/2023, title: KH}
metrics:
  - {name: a, value: 5, source: x}
  - {name: b, value: 10, source: x}
  - {name: f1, value: không, source: x}
"""

TASK_LINE = "          task: Fix {unit} {shortfall}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def swap(old: str, new: str, text: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def criteria_problems(tmp_path: Path, text: str):
    path = write(tmp_path / "bo.yaml", text)
    loaded, problems = check_criteria_file(path)
    errors = [p for p in problems if p.severity == "error"]
    assert loaded is None and errors
    return path, errors


def bundle_problems(tmp_path: Path, text: str, name: str = "u1.yaml"):
    path = write(tmp_path / name, text)
    loaded, problems = load_bundle(path)
    errors = [p for p in problems if p.severity == "error"]
    assert loaded is None and errors
    return path, errors


@pytest.fixture
def run(tmp_path, monkeypatch):
    """The CLI as a user runs it, from an empty folder; the consoles are cli's own (no width override)."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


# ---------------------------------------------------------------- 1. remediation placeholders


@pytest.mark.parametrize("task", ["Fix {unit} {shortfall", "Fix } {unit}", "Fix {0} {unit.x} {}", "Fix {unit!r} {year:>6}"])
def test_bad_placeholder_is_reported_at_its_field(tmp_path, task):
    text = swap(TASK_LINE, f"          task: '{task}'\n", CRITERIA)
    path, errors = criteria_problems(tmp_path, text)
    assert [(p.code, p.file, p.path, p.line, p.value) for p in errors] == [
        ("criteria.placeholder", str(path), "items[1].children[0].remediation.task", line_of(text, "task: "), task)]


def test_unclosed_brace_and_unknown_name_in_one_message(tmp_path):
    text = swap(TASK_LINE, "          task: 'Fix } {unitt}'\n", CRITERIA)
    _, errors = criteria_problems(tmp_path, text)
    assert [p.code for p in errors] == ["criteria.placeholder"]
    assert errors[0].message == (
        "biến '{unitt}' không tồn tại; dùng được: {unit}, {criterion}, {title}, {lost_points}, {observed}, {expected}, "
        "{shortfall}, {missing}, {year}, {next_year}; "
        "có dấu '}' không có '{' mở tương ứng (muốn viết chữ '}' thì ghi '}}')")


def test_every_template_field_is_checked_and_each_named(tmp_path):
    text = swap(TASK_LINE, "          task: 'Fix {unit'\n          product: '{sản_phẩm}'\n          lead: '}'\n"
                           "          deadline: 'Trước {nam}'\n          cooperating: [Phòng Nội vụ, '{phong}']\n",
                CRITERIA)
    _, errors = criteria_problems(tmp_path, text)
    base = "items[1].children[0].remediation."
    assert [(p.code, p.path, p.line) for p in errors] == [
        ("criteria.placeholder", base + "task", line_of(text, "task: ")),
        ("criteria.placeholder", base + "product", line_of(text, "product: ")),
        ("criteria.placeholder", base + "lead", line_of(text, "lead: ")),
        ("criteria.placeholder", base + "cooperating[1]", line_of(text, "cooperating: ")),
        ("criteria.placeholder", base + "deadline", line_of(text, "deadline: 'Trước"))]
    assert errors[1].value == "{sản_phẩm}"


def test_escaped_braces_pass_and_are_filled_as_text(tmp_path, run):
    text = swap(TASK_LINE, "          task: 'Sửa {{mẫu}} của {unit}'\n", CRITERIA)
    criteria = write(tmp_path / "bo.yaml", text)
    bundle = write(tmp_path / "u1.yaml", BUNDLE)
    result = run("score", bundle, "-c", criteria, "-f", "json")
    assert result.exit_code == 0, result.output
    nodes = json.loads(result.stdout)["units"][0]["nodes"]
    assert next(n for n in nodes if n["id"] == "2.1")["remediation"]["task"] == "Sửa {mẫu} của UBND Phường 1"


def test_score_with_an_unbalanced_template_exits_2_without_traceback(tmp_path, run):
    criteria = write(tmp_path / "bo.yaml", swap(TASK_LINE, "          task: 'Fix } {unit}'\n", CRITERIA))
    result = run("score", write(tmp_path / "u1.yaml", BUNDLE), "-c", criteria)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "remediation.task" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- 2. deadlines


@pytest.mark.parametrize("deadline", ["{day: 29, month: 2}", "{day: 29, month: 2, year_offset: -1}"])
def test_29_february_is_rejected_as_a_yearly_deadline(tmp_path, deadline):
    text = swap("deadline: {day: 31, month: 12, year_offset: -1}", f"deadline: {deadline}", CRITERIA)
    path, errors = criteria_problems(tmp_path, text)
    assert [(p.code, p.path, p.line) for p in errors] == [
        ("criteria.deadline_leap_day", "items[0].children[0].rule.deadline", line_of(text, "kind: timeliness"))]


@pytest.mark.parametrize("days", [3661, -3661, 99999999])
def test_deadline_days_are_bounded(tmp_path, days):
    text = swap("deadline: {day: 31, month: 12, year_offset: -1}", f"deadline: {{relative_to: period_end, days: {days}}}",
                CRITERIA)
    _, errors = criteria_problems(tmp_path, text)
    assert [(p.code, p.path, p.value) for p in errors] == [
        ("schema.range", "items[0].children[0].rule.deadline.days", str(days))]


def test_deadline_days_at_the_bound_are_accepted(tmp_path):
    text = swap("deadline: {day: 31, month: 12, year_offset: -1}", "deadline: {relative_to: period_end, days: -3660}",
                CRITERIA)
    text = swap(TASK_LINE, TASK_LINE + "          deadline_days: 3660\n", text)
    loaded, problems = check_criteria_file(write(tmp_path / "bo.yaml", text))
    assert loaded is not None, [p.render() for p in problems]


def test_remediation_deadline_days_are_bounded(tmp_path, run):
    text = swap(TASK_LINE, TASK_LINE + "          deadline_days: 3661\n", CRITERIA)
    path, errors = criteria_problems(tmp_path, text)
    assert [(p.code, p.path, p.line) for p in errors] == [
        ("schema.range", "items[1].children[0].remediation.deadline_days", line_of(text, "deadline_days"))]
    result = run("score", write(tmp_path / "u1.yaml", BUNDLE), "-c", path)
    assert result.exit_code == 2 and "deadline_days" in result.output


# ---------------------------------------------------------------- 3. period, as-of date, non-finite numbers


@pytest.mark.parametrize("year", [1899, 2101, 20244])
def test_period_year_is_bounded(tmp_path, year):
    text = swap("  year: 2024\n", f"  year: {year}\n", BUNDLE)
    path, errors = bundle_problems(tmp_path, text)
    assert [(p.code, p.file, p.path, p.line, p.value) for p in errors] == [
        ("schema.range", str(path), "period.year", line_of(text, "year:"), str(year))]


def test_period_dates_outside_the_year_name_period_year(tmp_path):
    text = swap("  year: 2024\n", "  year: 2023\n", BUNDLE)
    _, errors = bundle_problems(tmp_path, text)
    assert [(p.code, p.path, p.line, p.value) for p in errors] == [
        ("evidence.period_start_year", "period.start", line_of(text, "start:"), "01/01/2024"),
        ("evidence.period_end_year", "period.end", line_of(text, "end:"), "31/12/2024")]


def test_period_starting_in_the_previous_year_is_accepted(tmp_path):
    text = swap("  start: 01/01/2024\n  end: 31/12/2024\n", "  start: 15/12/2023\n  end: 14/12/2024\n", BUNDLE)
    loaded, problems = load_bundle(write(tmp_path / "u1.yaml", text))
    assert loaded is not None, [p.render() for p in problems]


def test_as_of_before_period_start(tmp_path):
    text = swap("as_of: 31/12/2024", "as_of: 31/12/2023", BUNDLE)
    _, errors = bundle_problems(tmp_path, text)
    assert [(p.code, p.path, p.line, p.value) for p in errors] == [
        ("evidence.as_of_before_period", "as_of", line_of(text, "as_of"), "31/12/2023")]


def test_dates_far_outside_the_supported_years(tmp_path):
    text = swap("issue_date: 20/12/2023", "issue_date: 20/12/9999", BUNDLE)
    _, errors = bundle_problems(tmp_path, text)
    assert [(p.code, p.path, p.value) for p in errors] == [("evidence.date_year", "documents[0].issue_date", "20/12/9999")]


def test_nan_and_inf_metric_values(tmp_path):
    text = swap("{name: a, value: 5,", "{name: a, value: .nan,", BUNDLE)
    text = swap("{name: b, value: 10,", "{name: b, value: -.inf,", text)
    _, errors = bundle_problems(tmp_path, text)
    assert [(p.code, p.path, p.line) for p in errors] == [
        ("evidence.not_finite", "metrics[0].value", line_of(text, "name: a")),
        ("evidence.not_finite", "metrics[1].value", line_of(text, "name: b"))]


def test_nan_in_criteria_is_not_a_number(tmp_path):
    text = swap("points_per_item: 0.001", "points_per_item: .nan", CRITERIA)
    _, errors = criteria_problems(tmp_path, text)
    assert [(p.code, p.path) for p in errors] == [("schema.type", "items[0].children[1].rule.points_per_item")]


@pytest.mark.parametrize("values, expected", [
    ({"Năm đánh giá": 2023}, [("Kỳ đánh giá từ ngày", "evidence.period_start_year"),
                              ("Kỳ đánh giá đến ngày", "evidence.period_end_year")]),
    ({"Ngày chốt số liệu": "31/12/2023"}, [("Ngày chốt số liệu", "evidence.as_of_before_period")]),
    ({"Ngày chốt số liệu": "31/12/2200"}, [("Ngày chốt số liệu", "evidence.date_year")]),
])
def test_workbook_period_problems_name_the_cell(tmp_path, values, expected):
    from openpyxl import load_workbook

    from engine.load.criteria import load_criteria
    from engine.load.workbook import SHEET_GUIDE, load_workbook_bundle
    from engine.render.workbook import build_template

    loaded = load_criteria(write(tmp_path / "bo.yaml", CRITERIA))
    path = tmp_path / "u1.xlsx"
    path.write_bytes(build_template(loaded.criteria, "u1", name="UBND Phường 1", criteria_digest=loaded.digest))
    wb = load_workbook(path)
    ws = wb[SHEET_GUIDE]
    rows = {str(ws[f"A{r}"].value).rstrip(" *"): r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value}
    filled = {"Kỳ đánh giá từ ngày": "01/01/2024", "Kỳ đánh giá đến ngày": "31/12/2024",
              "Ngày chốt số liệu": "31/12/2024", **values}
    for key, value in filled.items():
        ws[f"B{rows[key]}"] = value
    wb.save(path)
    bundle, problems = load_workbook_bundle(path)
    errors = [p for p in problems if p.severity == "error"]
    assert bundle is None
    assert [(p.sheet, p.row, p.column, p.code) for p in errors] == [
        (SHEET_GUIDE, rows[label], "B", code) for label, code in expected]
    assert all(p.message.startswith(f"{label}: ") for p, (label, _) in zip(errors, expected))


# ---------------------------------------------------------------- 4. numbers written the Vietnamese way


def _metric_a(run, tmp_path, value: str) -> str:
    bundle = write(tmp_path / "u1.yaml", swap("{name: a, value: 5,", f"{{name: a, value: {value},", BUNDLE))
    result = run("explain", "u1", "1.2", "-e", bundle, "-c", write(tmp_path / "bo.yaml", CRITERIA))
    assert result.exit_code in (0, 1), result.output  # 98,5 is not a count: a data problem, still scored
    return next(line for line in result.output.splitlines() if "Thực tế:" in line)


def test_dot_grouped_bundle_value_is_thousands(run, tmp_path):
    assert "A (a) = 1.952 [" in _metric_a(run, tmp_path, "1.952")
    loaded, _ = load_bundle(tmp_path / "u1.yaml")
    assert loaded.bundle.metrics[0].value == 1952
    loaded, _ = load_bundle(write(tmp_path / "v.yaml", swap("value: 5,", "value: 12.345.678,", BUNDLE)))
    assert loaded.bundle.metrics[0].value == 12345678


def test_machine_decimal_in_bundle_stays_a_decimal_and_is_no_count(run, tmp_path):
    bundle = write(tmp_path / "u1.yaml", swap("{name: a, value: 5,", "{name: a, value: 98.5,", BUNDLE))
    loaded, _ = load_bundle(bundle)
    assert loaded.bundle.metrics[0].value == 98.5
    result = run("explain", "u1", "1.2", "-e", bundle, "-c", write(tmp_path / "bo.yaml", CRITERIA))
    assert result.exit_code == 2  # 'a' is a count (its unit is not '%'): a decimal is an input error at its place
    assert "[metrics[0].value, dòng 13]: chỉ số 'a' là số đếm nên phải là số nguyên" in result.output


def test_quoted_dot_grouped_value_is_thousands_too(tmp_path):
    loaded, _ = load_bundle(write(tmp_path / "u1.yaml", swap("value: 5,", "value: '1.000',", BUNDLE)))
    assert loaded.bundle.metrics[0].value == 1000


def test_dot_grouped_number_in_criteria_is_ambiguous(tmp_path):
    text = swap("points_per_item: 0.001", "points_per_item: 1.500", CRITERIA)
    path, errors = criteria_problems(tmp_path, text)
    assert [(p.code, p.file, p.path, p.line, p.value, p.message) for p in errors] == [
        ("yaml.ambiguous_number", str(path), "items[0].children[1].rule.points_per_item", line_of(text, "1.500"), "1.500",
         "số '1.500' dễ hiểu nhầm: dấu chấm là phân cách hàng nghìn hay dấu thập phân? "
         "Ghi 1500 nếu là hàng nghìn, 1.5000 nếu là số thập phân")]


def test_plain_decimals_in_criteria_keep_their_meaning(tmp_path):
    loaded, problems = check_criteria_file(write(tmp_path / "bo.yaml", CRITERIA))
    assert loaded is not None, [p.render() for p in problems]
    assert loaded.criteria.items[0].children[1].rule.points_per_item == 0.001


# ---------------------------------------------------------------- 5. CSV rows with extra cells


def test_csv_row_with_more_cells_than_the_header(tmp_path):
    write(tmp_path / "chi-so.csv", "name,value,source\na,5,Sổ\nb,1,952,Sổ theo dõi\n")
    text = BUNDLE.split("metrics:")[0] + "tables: {metrics: chi-so.csv}\n"
    _, errors = bundle_problems(tmp_path, text)
    assert [(p.code, p.file, p.row, p.value) for p in errors] == [
        ("bundle.csv_extra_cells", str(tmp_path / "chi-so.csv"), 3, "Sổ theo dõi")]


# ---------------------------------------------------------------- 6. YAML syntax and schema messages in Vietnamese


@pytest.mark.parametrize("old, new, line, code, message", [
    ("  name: UBND Phường 1\n", "\tname: UBND Phường 1\n", 3, "yaml.tab_indent",
     "YAML không hợp lệ: có ký tự Tab trong phần thụt lề; YAML chỉ thụt lề bằng dấu cách"),
    ("  name: UBND Phường 1\n", "  name: @UBND\n", 3, "yaml.bad_start",
     "YAML không hợp lệ: ký tự '@' không được đứng đầu một giá trị; đặt giá trị trong ngoặc kép"),
    ("  level: xa\n", "  level: xa\n level2: x\n", 5, "yaml.bad_indent",
     "YAML không hợp lệ: thụt lề không đúng: dòng này không thẳng hàng với các khóa hoặc mục '-' cùng cấp"),
    ("as_of: 31/12/2024\n", "as_of: 31/12/2024\n---\nx: 1\n", 10, "yaml.second_document",
     "YAML không hợp lệ: tệp chỉ được chứa một tài liệu YAML; bỏ dòng '---' thứ hai (và phần sau nó) "
     "hoặc tách thành tệp riêng"),
    ("as_of: 31/12/2024\n", "as_of: 31/12/2024\nghi chu\nnotes: x\n", 10, "yaml.missing_colon",
     "YAML không hợp lệ: thiếu dấu ':' sau khóa (mỗi dòng viết 'khóa: giá trị')"),
    ("  name: UBND Phường 1\n", "  name: UBND: Phường 1\n", 3, "yaml.misplaced_colon",
     "YAML không hợp lệ: dấu ':' không dùng được ở đây; giá trị có dấu ':' phải đặt trong ngoặc kép, "
     "khóa con phải xuống dòng và thụt lề"),
    ("  name: UBND Phường 1\n", "  name: UBND \x07Phường 1\n", 3, "yaml.control_character",
     "YAML không hợp lệ: tệp có ký tự điều khiển không được phép (mã U+0007); xóa ký tự này"),
])
def test_yaml_syntax_errors_in_vietnamese_with_the_line(tmp_path, old, new, line, code, message):
    path, errors = bundle_problems(tmp_path, swap(old, new, BUNDLE))
    assert [(p.code, p.file, p.line, p.message) for p in errors] == [(code, str(path), line, message)]


def test_unknown_yaml_tag_is_a_problem_not_a_crash(tmp_path):
    text = swap("  level: xa\n", "  level: !!int xa\n", BUNDLE)
    _, errors = bundle_problems(tmp_path, text)
    assert [(p.code, p.path, p.line, p.value) for p in errors][0] == ("yaml.tag", "unit.level", 4, "xa")


@pytest.mark.parametrize("old, new, path, message", [
    ("rule: {kind: pass_fail, condition: {fact: f1}}", 'rule: "pass_fail"', "items[1].children[0].rule",
     "phải là một bảng khóa–giá trị"),
    ("rule: {kind: pass_fail, condition: {fact: f1}}", "rule: {kind: pass_fail, condition: [f1]}",
     "items[1].children[0].rule.condition", "phải là một bảng khóa–giá trị"),
    ("catalog:\n  documents:", "catalog:\n  documents: [ke_hoach]\n  old:", "catalog.documents",
     "phải là một bảng khóa–giá trị"),
    ("year: 2024", "year: 2024.5", "year", "phải là số nguyên (không có phần thập phân)"),
    ("max_points: 10", "max_points: .inf", "max_points", "phải là số hữu hạn (không dùng .nan hoặc .inf)"),
    ('- id: "2.1"', "- id: 2.1", "items[1].children[0].id",
     'phải là chuỗi ký tự; số dùng làm mã hay tên phải đặt trong ngoặc kép, ví dụ "2.1"'),
])
def test_schema_errors_in_vietnamese(tmp_path, old, new, path, message):
    text = swap(old, new, CRITERIA)
    _, errors = criteria_problems(tmp_path, text)
    assert (errors[0].code, errors[0].path, errors[0].message) == ("schema.type", path, message)
    assert not any("Input should" in p.message for p in errors)


def test_workbook_boolean_number_message(tmp_path):
    from engine.core.vnformat import FormatError
    from engine.load.workbook import _to_number

    with pytest.raises(FormatError) as caught:
        _to_number(True)
    assert caught.value.code == "format.bad_number"


# ---------------------------------------------------------------- 7. conditions with an unknown key


def test_condition_with_an_unknown_key_is_reported_once(tmp_path):
    text = swap("condition: {fact: f1}", "condition: {fakt: f1}", CRITERIA)
    _, errors = criteria_problems(tmp_path, text)
    assert [(p.code, p.path, p.line) for p in errors] == [
        ("criteria.condition_form", "items[1].children[0].rule.condition", line_of(text, "fakt"))]


def test_comparison_without_op_still_names_the_missing_keys(tmp_path):
    text = swap("condition: {fact: f1}", "condition: {metric: a}", CRITERIA)
    _, errors = criteria_problems(tmp_path, text)
    assert [(p.code, p.path) for p in errors] == [
        ("schema.missing", "items[1].children[0].rule.condition.op"),
        ("schema.missing", "items[1].children[0].rule.condition.target")]


# ---------------------------------------------------------------- 8. writing files and OS errors


@pytest.mark.parametrize("exc, code, reason", [
    (FileNotFoundError(errno.ENOENT, "No such file or directory"), "file.not_found", "không tìm thấy tệp hoặc thư mục"),
    (NotADirectoryError(errno.ENOTDIR, "Not a directory"), "file.not_directory",
     "một phần của đường dẫn là tệp, không phải thư mục"),
    (FileExistsError(errno.EEXIST, "File exists"), "file.exists", "đã có một tệp trùng tên ở chỗ cần tạo thư mục"),
    (PermissionError(errno.EACCES, "Permission denied"), "file.permission", "không có quyền truy cập"),
    (IsADirectoryError(errno.EISDIR, "Is a directory"), "file.is_directory", "đường dẫn là một thư mục, không phải tệp"),
    (OSError(errno.ENOSPC, "No space left on device"), "file.disk_full", "ổ đĩa đã đầy"),
    (OSError(errno.EPROTO, "Protocol error"), "file.os_error", f"lỗi hệ điều hành (mã {errno.EPROTO})"),
])
def test_os_errors_in_vietnamese(exc, code, reason):
    assert (os_error_code(exc), os_error_vi(exc)) == (code, reason)


def test_write_under_a_file_is_an_input_error(tmp_path):
    blocker = write(tmp_path / "ra", "x")
    for target, code in ((blocker / "kq.json", "file.exists"), (blocker / "sub" / "kq.json", "file.not_directory"),
                         (tmp_path, "file.is_directory")):
        with pytest.raises(InputError) as caught:
            write_atomic(target, "{}")
        assert [(p.code, p.file) for p in caught.value.problems] == [(code, str(target))]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ra"]  # no temporary file left behind


def test_write_without_permission_is_an_input_error(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(InputError) as caught:
        write_atomic(tmp_path / "kq.json", "{}")
    assert [(p.code, p.file) for p in caught.value.problems] == [("file.permission", str(tmp_path / "kq.json"))]
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "kq.json", "{}")
        os.umask(0o027)
        write_atomic(tmp_path / "kq2.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "kq.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "kq2.json").stat().st_mode & 0o777 == 0o640


def test_missing_files_are_named_in_vietnamese(tmp_path):
    doc, problems = load_yaml(tmp_path / "khong-co.yaml")
    assert doc is None and [(p.code, p.file) for p in problems] == [("file.not_found", str(tmp_path / "khong-co.yaml"))]
    text = BUNDLE.split("metrics:")[0] + "tables: {metrics: chi-so.csv}\n"
    _, errors = bundle_problems(tmp_path, text)
    assert [(p.code, p.path, p.value) for p in errors] == [("file.not_found", "tables.metrics", "chi-so.csv")]
    assert str(tmp_path / "chi-so.csv") in errors[0].message


def test_missing_dossier_export_is_named_in_vietnamese(tmp_path):
    text = BUNDLE + "sources: {dossier_exports: [{file: hoso.csv}]}\n"
    loaded, problems = load_bundle(write(tmp_path / "u1.yaml", text))
    assert loaded is not None
    assert [(p.code, p.file, p.severity) for p in problems] == [("file.not_found", str(tmp_path / "hoso.csv"), "warning")]


def test_unreadable_plan_table_is_named_in_vietnamese(tmp_path, monkeypatch):
    from engine.load.plan_tables import import_plan_table

    path = write(tmp_path / "kehoach.csv", "STT,Nhiệm vụ\n")

    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result, problems = import_plan_table(path, plan_year=2024)
    assert result is None and [(p.code, p.file) for p in problems] == [("file.permission", str(path))]


# ---------------------------------------------------------------- 9. the CLI: one pass, no wrapping, safe writes


def test_criteria_evidence_and_level_problems_in_one_pass(run, tmp_path):
    write(tmp_path / "bo.yaml", swap(TASK_LINE, "          task: 'Fix {unitt}'\n", CRITERIA))
    write(tmp_path / "in" / "a.yaml", swap("as_of: 31/12/2024", "as_of: 31/02/2024", BUNDLE))
    result = run("score", "in/a.yaml", "-c", "bo.yaml")
    assert result.exit_code == 2
    assert "Dữ liệu đầu vào không hợp lệ (2 lỗi):" in result.output
    assert "  - bo.yaml [items[1].children[0].remediation.task, dòng 37]: " in result.output
    assert "  - in/a.yaml [as_of, dòng 9]: " in result.output
    result = run("score", "in/a.yaml", "-c", "bo.yaml", "-f", "json")
    assert result.exit_code == 2
    assert [(p["code"], p["file"], p["path"], p["line"]) for p in json.loads(result.stdout)["problems"]] == [
        ("criteria.placeholder", "bo.yaml", "items[1].children[0].remediation.task", 37),
        ("format.no_such_date", "in/a.yaml", "as_of", 9)]

    write(tmp_path / "bo.yaml", CRITERIA)
    other_level = write(tmp_path / "in" / "b.yaml", swap("  id: u1\n", "  id: u2\n", swap("level: xa", "level: tinh", BUNDLE)))
    result = run("score", tmp_path / "in", "-c", "bo.yaml", "-f", "json")
    assert result.exit_code == 2
    assert [(p["code"], p["file"], p["path"], p["value"]) for p in json.loads(result.stdout)["problems"]] == [
        ("format.no_such_date", str(tmp_path / "in" / "a.yaml"), "as_of", "31/02/2024"),
        ("evidence.unit_level", str(other_level), "unit.level", "tinh")]


def test_problems_are_not_wrapped_when_piped(run, tmp_path):
    text = swap(TASK_LINE, "          task: '" + "Rất dài " * 20 + "{unitt}'\n", CRITERIA)
    criteria = write(tmp_path / "bo.yaml", text)
    for args in (("score", write(tmp_path / "u1.yaml", BUNDLE), "-c", criteria), ("validate", criteria)):
        result = run(*args)
        assert result.exit_code == 2
        line = next(line for line in result.output.splitlines() if "remediation.task" in line)
        assert len(line) > 200 and line.rstrip().endswith("{unitt}')")


@pytest.mark.parametrize("args", [
    ("score", "u1.yaml", "-c", "bo.yaml", "-o", "ra/kq.json"),
    ("score", "u1.yaml", "-c", "bo.yaml", "-f", "csv", "-o", "ra/kq.csv"),
    ("score", "u1.yaml", "-c", "bo.yaml", "-f", "json", "-o", "ra/kq.json"),
    ("schema", "-o", "ra/schema.json"),
    ("template", "-u", "u1", "-c", "bo.yaml", "-o", "ra/mau.xlsx"),
    ("report", "u1.yaml", "-c", "bo.yaml", "-f", "md", "-o", "ra/bang.md"),
    ("plan", "u1.yaml", "-c", "bo.yaml", "-f", "md", "-o", "ra/kh.md"),
])
def test_every_write_failure_exits_2_with_the_file(run, tmp_path, args):
    write(tmp_path / "bo.yaml", CRITERIA)
    write(tmp_path / "u1.yaml", BUNDLE)
    write(tmp_path / "ra", "một tệp, không phải thư mục")
    result = run(*args)
    assert result.exit_code == 2, result.output
    if "json" in args:
        [problem] = json.loads(result.stdout)["problems"]
        assert (problem["code"], problem["file"], problem["severity"]) == ("file.exists", args[-1], "error")
        assert set(problem) == {"code", "file", "message", "path", "line", "sheet", "row", "column", "value", "severity"}
    else:
        assert "(1 lỗi)" in result.output and f"  - {args[-1]}: " in result.output
    assert not isinstance(result.exception, InputError)


def test_score_table_json_write_failure_exits_2(run, tmp_path):
    write(tmp_path / "bo.yaml", CRITERIA)
    write(tmp_path / "u1.yaml", BUNDLE)
    write(tmp_path / "out", "một tệp")
    result = run("score", "u1.yaml", "-c", "bo.yaml")
    assert result.exit_code == 2
    assert "(1 lỗi)" in result.output and "  - out/base.json: " in result.output


@pytest.mark.parametrize("unit", ["../x", "a/b", "a\\b", ".an", "có dấu cách", ""])
def test_template_unit_must_be_a_safe_id(run, tmp_path, unit):
    write(tmp_path / "bo.yaml", CRITERIA)
    result = run("template", "-u", unit, "-c", "bo.yaml")
    assert result.exit_code == 2
    assert "(1 lỗi)" in result.output and "  - (tham số) [--unit]: " in result.output
    with pytest.raises(InputError) as caught:
        api.template(tmp_path / "bo.yaml", unit, problems=_template_argument_problems(unit, None))
    assert [(p.code, p.value) for p in caught.value.problems] == [("args.bad_unit_id" if unit else "args.missing_unit", unit)]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["bo.yaml"]  # nothing written, inside or outside out/


@pytest.mark.parametrize("unit", ["phuong-1", "xa_an.binh", "phường-3"])
def test_template_accepts_plain_ids(run, tmp_path, unit):
    write(tmp_path / "bo.yaml", CRITERIA)
    result = run("template", "-u", unit, "-c", "bo.yaml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / f"base-{unit}.xlsx").is_file()


@pytest.mark.parametrize("year, ok", [(1899, False), (1900, True), (2100, True), (2101, False)])
def test_template_year_is_bounded(run, tmp_path, year, ok):
    write(tmp_path / "bo.yaml", CRITERIA)
    result = run("template", "-u", "u1", "-c", "bo.yaml", "-y", year)
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 2
        assert "(1 lỗi)" in result.output and "  - (tham số) [--year]: " in result.output
        assert [(p.code, p.value) for p in _template_argument_problems("u1", year)] == [("args.bad_year", str(year))]


def test_template_argument_and_criteria_problems_together(run, tmp_path):
    write(tmp_path / "bo.yaml", swap(TASK_LINE, "          task: 'Fix {unitt}'\n", CRITERIA))
    result = run("template", "-u", "../x", "-y", 3000, "-c", "bo.yaml")
    assert result.exit_code == 2 and "(3 lỗi)" in result.output


def test_criteria_id_must_be_a_file_name(tmp_path):
    _, errors = criteria_problems(tmp_path, swap("id: base", "id: ../../etc/x", CRITERIA))
    assert [(p.code, p.path, p.line, p.value) for p in errors] == [("criteria.bad_set_id", "id", 1, "../../etc/x")]


# ---------------------------------------------------------------- 10. dossier mappings


MAPPING = """\
system: X
columns: {dossier_id: A, unit: B, received_date: C, resolved_date: D, status: E, digitized_result: F,
          online_submission: G, online_payment: H}
statuses:
  "Đúng hạn": on_time
  "Quá hạn": tre
date_format: "mm/dd/yyyy"
sheets: 2
"""


def test_mapping_problems_in_vietnamese_with_lines(tmp_path):
    path = write(tmp_path / "m.yaml", MAPPING)
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    found = [(p.code, p.file, p.path, p.line, p.value) for p in caught.value.problems]
    assert found == [("schema.choice", str(path), "statuses.Quá hạn", 6, "tre"),
                     ("schema.choice", str(path), "date_format", 7, "mm/dd/yyyy"),
                     ("schema.extra_forbidden", str(path), "sheets", 8, "2")]
    messages = [p.message for p in caught.value.problems]
    assert messages[0] == ("giá trị không hợp lệ; chấp nhận: 'early', 'on_time', 'late', 'in_progress', "
                           "'in_progress_overdue', 'waiting_supplement' hoặc 'withdrawn'")
    assert not any(" or " in m for m in messages)


def test_mapping_duplicate_key_and_missing_file(tmp_path):
    path = write(tmp_path / "m.yaml", MAPPING.replace("sheets: 2\n", "system: Y\n"))
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert [(p.code, p.path, p.line, p.value) for p in caught.value.problems] == [("yaml.duplicate_key", "system", 8, "system")]
    with pytest.raises(InputError) as caught:
        load_mapping(tmp_path / "khong-co.yaml")
    assert [p.code for p in caught.value.problems] == ["file.not_found"]
