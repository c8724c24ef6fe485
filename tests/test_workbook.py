"""The evidence workbook: template generated from xa-2024, filled with openpyxl, read back and scored.

Each test fills only what it varies into a fresh template, so the expected points follow from the
criteria set's rules (criteria/xa-2024.yaml) and the values written here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from cli import app
from engine.core.problems import InputError, Problem
from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.load.workbook import (
    SHEET_CATALOG,
    SHEET_DOCUMENTS,
    SHEET_GUIDE,
    SHEET_MANUAL,
    SHEET_METRICS,
    SHEET_NA,
    SHEET_SURVEY,
    SHEET_TASKS,
    load_workbook_bundle,
)
from engine.kinds.tree import CriteriaSet
from engine.render.workbook import build_template
from engine.score.unit import score_unit

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
UNIT = "phuong-thu"
NAME = "UBND Phường Thử"


@pytest.fixture(scope="module")
def loaded():
    return load_criteria(CRITERIA)


@pytest.fixture(scope="module")
def template_bytes(loaded) -> bytes:
    return build_template(loaded.criteria, UNIT, name=NAME, criteria_digest=loaded.digest)


@pytest.fixture
def template(tmp_path: Path, template_bytes: bytes) -> Path:
    path = tmp_path / "mau.xlsx"
    path.write_bytes(template_bytes)
    return path


# ---------------------------------------------------------------- filling helpers (what a unit does in Excel)


def row_where(ws, column: str, value: str) -> int:
    for row in range(1, ws.max_row + 1):
        cell = ws[f"{column}{row}"].value
        if isinstance(cell, str) and cell.rstrip(" *") == value:
            return row
    raise AssertionError(f"no row with {value!r} in column {column} of {ws.title}")


def first_empty(ws, column: str, start: int = 3) -> int:
    row = start
    while ws[f"{column}{row}"].value not in (None, ""):
        row += 1
    return row


def set_unit(wb, **values) -> dict[str, int]:
    """Fill 'Thông tin đơn vị' by label; returns the row of each label."""
    labels = {"id": "Mã đơn vị", "name": "Tên đơn vị", "level": "Cấp đơn vị", "start": "Kỳ đánh giá từ ngày",
              "end": "Kỳ đánh giá đến ngày", "as_of": "Ngày chốt số liệu", "year": "Năm đánh giá",
              "preparer": "Người lập biểu"}
    ws = wb[SHEET_GUIDE]
    rows = {key: row_where(ws, "A", label) for key, label in labels.items()}
    for key, value in values.items():
        ws[f"B{rows[key]}"] = value
    return rows


def set_document(wb, label: str, issue_date, number: str = "1/KH-UBND", title: str | None = None) -> int:
    """Fill the prefilled row of a kind; a second document of the kind goes to a new row."""
    ws = wb[SHEET_DOCUMENTS]
    row = row_where(ws, "A", label)
    if ws[f"B{row}"].value is not None:
        row = first_empty(ws, "A")
        ws[f"A{row}"] = label
    ws[f"B{row}"] = number
    ws[f"C{row}"] = issue_date
    ws[f"D{row}"] = NAME
    ws[f"E{row}"] = title or label
    return row


def set_metric(wb, code: str, value, source: str = "Phần mềm Một cửa điện tử tỉnh", sample=None) -> int:
    ws = wb[SHEET_METRICS]
    row = row_where(ws, "A", code)
    ws[f"D{row}"] = value
    ws[f"E{row}"] = "01/01/2024–31/12/2024"
    ws[f"F{row}"] = source
    if sample is not None:
        ws[f"G{row}"] = sample
    return row


def add_task(wb, stt, title: str, deadline, status: str, done=None) -> int:
    ws = wb[SHEET_TASKS]
    row = first_empty(ws, "B")
    for column, value in zip("ABCDE", (stt, title, deadline, status, done)):
        ws[f"{column}{row}"] = value
    return row


def set_score(wb, sheet: str, criterion: str, points, by: str, justification: str, evidence: str | None = None) -> int:
    ws = wb[sheet]
    try:
        row = row_where(ws, "A", criterion)
    except AssertionError:
        row = first_empty(ws, "A")
        ws[f"A{row}"] = criterion
    ws[f"D{row}"] = points
    ws[f"E{row}"] = by
    ws[f"F{row}"] = justification
    if evidence is not None:
        ws[f"G{row}"] = evidence
    return row


def declare_na(wb, criterion: str, justification: str = "Không phát sinh trong năm", by: str = "Văn phòng UBND") -> int:
    ws = wb[SHEET_NA]
    row = first_empty(ws, "A")
    ws[f"A{row}"] = criterion
    ws[f"B{row}"] = justification
    ws[f"C{row}"] = by
    return row


def na_choice(wb, criterion: str) -> str:
    """The dropdown text for a criterion, as Excel would put it in the cell."""
    ws = wb[SHEET_CATALOG]
    return next(c.value for c in ws["N"] if isinstance(c.value, str) and c.value.startswith(criterion + " "))


def fill_complete(wb, plan_date=datetime(2023, 12, 31)) -> None:
    """A full self-assessment: documents, metrics (numbers and Vietnamese text), facts, tasks, scores, N/A."""
    set_unit(wb, as_of=datetime(2024, 12, 31), preparer="Nguyễn Văn A, công chức Văn phòng")
    set_document(wb, "Kế hoạch CCHC năm", plan_date, "100/KH-UBND", "Kế hoạch cải cách hành chính năm 2024")
    set_document(wb, "Báo cáo CCHC quý I", datetime(2024, 3, 10), "10/BC-UBND")
    set_document(wb, "Báo cáo CCHC 6 tháng", "14/06/2024", "20/BC-UBND")
    set_document(wb, "Báo cáo CCHC quý III", "9/9/2024", "30/BC-UBND")
    set_document(wb, "Báo cáo CCHC năm", "01/12/2024", "40/BC-UBND")
    set_document(wb, "Kế hoạch kiểm tra công tác CCHC", "15/04/2024", "11/KH-UBND")
    set_document(wb, "Kế hoạch rà soát văn bản QPPL", 45306, "12/KH-UBND")  # Excel serial of 15/01/2024
    set_metric(wb, "dossiers_resolved", "2.000")
    set_metric(wb, "results_digitized", 1900)
    set_metric(wb, "dossiers_received", 2100)
    set_metric(wb, "dossiers_resolved_on_time", "2.000")
    set_metric(wb, "dossiers_online", "1.100")
    set_metric(wb, "payments_online", "525", sample="Có")
    set_metric(wb, "propaganda_items", "3")
    set_metric(wb, "documents_sent", 200)
    set_metric(wb, "documents_signed_digitally", 190)
    set_metric(wb, "staff_disciplined", 0)
    set_metric(wb, "plan_covers_all_tasks", "Có", source="Tự đánh giá của đơn vị")
    set_metric(wb, "plan_funded", "có", source="Tự đánh giá của đơn vị")
    set_metric(wb, "plan_results_concrete", "Không", source="Tự đánh giá của đơn vị")
    for number in range(1, 10):
        add_task(wb, number, f"Nhiệm vụ {number}", datetime(2024, number, 10), "hoàn thành", datetime(2024, number, 5))
    add_task(wb, 10, "Nhiệm vụ 10", "10/10/2024", "hoàn thành", "20/10/2024")
    add_task(wb, 11, "Hội nghị đối thoại với người dân", "Thường xuyên", "đang thực hiện")
    set_score(wb, SHEET_MANUAL, "1.5.1", "0,5", "Chủ tịch UBND phường", "Mô hình Một cửa thân thiện",
              "Quyết định số 12/QĐ-UBND ngày 10/02/2024; Báo cáo sơ kết mô hình")
    set_score(wb, SHEET_SURVEY, "8.1.1", 12, "Sở Nội vụ", "Kết quả SIPAS 2024 công bố tại Quyết định số 99/QĐ-UBND")
    declare_na(wb, na_choice(wb, "5.3.1"), "Năm 2024 không có kế hoạch đào tạo, bồi dưỡng")


def save(wb, path: Path) -> Path:
    wb.save(path)
    return path


def score_file(loaded, path: Path):
    bundle, problems = load_workbook_bundle(path)
    assert bundle is not None, [p.render() for p in problems]
    return score_unit(loaded, bundle)


def nodes(unit) -> dict:
    return {n.id: n for n in unit.nodes}


# ---------------------------------------------------------------- round trip


@pytest.fixture(scope="module")
def complete(template_bytes: bytes, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("complete")
    (folder / "mau.xlsx").write_bytes(template_bytes)
    wb = load_workbook(folder / "mau.xlsx")
    fill_complete(wb)
    return save(wb, folder / "phuong-thu.xlsx")


@pytest.fixture(scope="module")
def complete_result(loaded, complete: Path):
    return score_file(loaded, complete)


@pytest.mark.parametrize(("criterion", "points", "status"), [
    ("1.1.1", 1, "pass"),              # plan issued 31/12/2023, deadline 31/12 of the previous year
    ("1.1.2", 1, "pass"),              # both facts "Có"
    ("1.1.3", 0, "fail"),              # fact "Không"
    ("1.1.4", 1, "partial"),           # 9 of 10 dated tasks on time = 90% → "từ 70% đến 90%"
    ("1.2.1", 1, "pass"),              # four reports, each by its deadline (text and real dates)
    ("1.3.1", 0.5, "partial"),         # inspection plan 15/04/2024, after 31/03 → late points
    ("1.4.2", 0.75, "partial"),        # "3" items × 0.25
    ("1.5.1", 0.5, "partial"),         # manual score "0,5"
    ("2.2.1", 1, "pass"),              # Excel serial 45306 = 15/01/2024, by 31/01
    ("2.2.2", 0, "missing_evidence"),  # the row left empty is missing, never a pass
    ("3.2.1", 5, "pass"),              # "2.000" on time of "2.000" resolved
    ("3.5.1", 3, "partial"),           # 1900 / "2.000" = 95% → "trên 90% đến dưới 100%"
    ("5.3.1", 0, "not_applicable"),    # declared N/A, excluded from the maximum
    ("5.4.1", 3, "pass"),
    ("7.1.1", 4, "pass"),              # "1.100" / 2100 = 52,4% > 50%
    ("7.1.2", 0.5, "partial"),         # 525 / 2100 = 25% × 2
    ("7.2.1", 4, "pass"),              # 190 / 200 = 95%, "từ 95%" includes 95
    ("8.1.1", 12, "partial"),          # imported survey points
    ("8.2.1", 0, "missing_evidence"),  # survey imported for 8.1.1 only: 8.2.1 is missing, not silently excluded
])
def test_filled_workbook_scores(complete_result, criterion: str, points: float, status: str) -> None:
    result = nodes(complete_result)[criterion]
    assert (result.points, result.status) == (points, status)


def test_round_trip_bundle_content(loaded, complete: Path) -> None:
    bundle, problems = load_workbook_bundle(complete)
    assert problems == []
    b = bundle.bundle
    assert (b.unit.id, b.unit.name, b.unit.level) == (UNIT, NAME, "xa")
    assert (b.period.year, b.period.start.isoformat(), b.period.end.isoformat()) == (2024, "2024-01-01", "2024-12-31")
    assert b.as_of.isoformat() == "2024-12-31"
    assert b.notes == "Người lập biểu: Nguyễn Văn A, công chức Văn phòng"
    metrics = {m.name: m for m in b.metrics}
    assert metrics["dossiers_resolved"].value == 2000
    assert metrics["dossiers_online"].value == 1100
    assert metrics["plan_results_concrete"].value == 0
    assert metrics["payments_online"].sample is True and metrics["results_digitized"].sample is False
    plan = next(d for d in b.documents if d.kind == "ke_hoach_cchc")
    assert plan.cite() == "Kế hoạch cải cách hành chính năm 2024 số 100/KH-UBND ngày 31/12/2023"
    recurring = b.plan_tasks[-1]
    assert (recurring.recurring, recurring.deadline, recurring.deadline_text) == (True, None, "Thường xuyên")
    assert [t.id for t in b.plan_tasks] == [str(n) for n in range(1, 12)]
    assert b.manual[0].evidence == ["Quyết định số 12/QĐ-UBND ngày 10/02/2024", "Báo cáo sơ kết mô hình"]
    assert [(e.criterion, e.points, e.by) for e in b.survey] == [("8.1.1", 12, "Sở Nội vụ")]
    assert [(e.criterion, e.by) for e in b.not_applicable] == [("5.3.1", "Văn phòng UBND")]
    assert bundle.digest == hashlib.sha256(complete.read_bytes()).hexdigest()


def test_not_applicable_lowers_the_applicable_maximum(loaded, complete: Path, complete_result, tmp_path: Path) -> None:
    with_na = complete_result
    wb = load_workbook(complete)
    ws = wb[SHEET_NA]
    for column in "ABC":
        ws[f"{column}3"] = None
    without_na = score_file(loaded, save(wb, tmp_path / "khong-na.xlsx"))
    assert nodes(without_na)["5.3.1"].status == "missing_evidence"
    assert with_na.max_points == without_na.max_points - 2


@pytest.mark.parametrize(("issued", "points", "status"), [
    ("31/12/2023", 1, "pass"),
    (datetime(2023, 12, 31), 1, "pass"),
    ("02/01/2024", 0.5, "partial"),
    ("1/1/2024", 0.5, "partial"),
    (datetime(2024, 1, 2, 8, 30), 0.5, "partial"),
])
def test_plan_deadline_boundary(loaded, template: Path, tmp_path: Path, issued, points: float, status: str) -> None:
    wb = load_workbook(template)
    set_unit(wb, as_of="31/12/2024")
    set_document(wb, "Kế hoạch CCHC năm", issued)
    result = nodes(score_file(loaded, save(wb, tmp_path / "p.xlsx")))["1.1.1"]
    assert (result.points, result.status) == (points, status)


def test_vietnamese_number_text_and_real_numbers(template: Path, tmp_path: Path) -> None:
    wb = load_workbook(template)
    set_unit(wb, as_of="31/12/2024")
    set_metric(wb, "staff_training_planned", "1.900")
    set_metric(wb, "staff_trained", "1.952")
    set_metric(wb, "documents_sent", 1952.0)
    set_metric(wb, "documents_signed_digitally", " 1 900 ")
    bundle, problems = load_workbook_bundle(save(wb, tmp_path / "n.xlsx"))
    assert problems == []
    assert {m.name: m.value for m in bundle.bundle.metrics} == {
        "staff_training_planned": 1900, "staff_trained": 1952, "documents_sent": 1952,
        "documents_signed_digitally": 1900}


def test_counts_typed_as_text_are_read_strictly_never_as_fractions(loaded, template: Path, tmp_path: Path) -> None:
    """'1,900' is not guessed (English thousands, or 1,9?), and a count is never a fraction."""
    from engine.load.agreement import evidence_problems

    wb = load_workbook(template)
    set_unit(wb, as_of="31/12/2024")
    row = set_metric(wb, "staff_training_planned", "1,900")
    bundle, problems = load_workbook_bundle(save(wb, tmp_path / "c.xlsx"))
    assert bundle is None
    assert [(p.code, p.sheet, p.row, p.column, p.value) for p in problems] == [
        ("format.ambiguous_number", SHEET_METRICS, row, "D", "1,900")]
    assert problems[0].message == ("Giá trị: số '1,900' dễ hiểu nhầm: dấu phẩy là dấu thập phân hay phân cách hàng "
                                   "nghìn? Ghi 1900 hoặc 1.900 nếu là số nguyên, 1,9 nếu là số thập phân")
    set_metric(wb, "staff_training_planned", "1,9")
    bundle, problems = load_workbook_bundle(save(wb, tmp_path / "d.xlsx"))
    assert problems == []
    found = evidence_problems(loaded.criteria, [bundle])
    assert [(p.code, p.sheet, p.row) for p in found] == [("metric.count_not_whole", SHEET_METRICS, row)]


def test_template_locks_labels_and_computed_cells_and_prints_a4_landscape(template: Path) -> None:
    wb = load_workbook(template)
    assert wb.security.lockStructure
    for ws in wb.worksheets:
        assert ws.protection.sheet and not ws.protection.password, ws.title
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    metrics = wb[SHEET_METRICS]
    row = row_where(metrics, "A", "staff_trained")
    assert metrics[f"A{row}"].protection.locked and metrics[f"B{row}"].protection.locked  # code and label
    assert not metrics[f"D{row}"].protection.locked and not metrics[f"E{row}"].protection.locked  # value, period
    blank = first_empty(metrics, "A")
    assert not metrics[f"A{blank}"].protection.locked  # a unit may add a metric below the list
    assert metrics.print_title_rows == "$1:$2"
    guide = wb[SHEET_GUIDE]
    level = row_where(guide, "A", "Cấp đơn vị")
    assert not guide[f"B{level}"].protection.locked and guide[f"A{level}"].protection.locked
    assert guide[f"B{level}"].value == "Cấp xã (xã, phường, thị trấn)"  # a label, never the code "xa"
    assert guide.row_dimensions[1].height >= 20  # the 13 pt title keeps its marks
    assert metrics.row_dimensions[2].height >= 30


def test_the_level_is_chosen_by_its_label_and_read_back_as_the_code(template: Path, tmp_path: Path) -> None:
    wb = load_workbook(template)
    set_unit(wb, as_of="31/12/2024")
    catalog = wb[SHEET_CATALOG]
    labels = [c.value for c in catalog["T"][1:] if c.value]
    assert labels == ["Cấp xã (xã, phường, thị trấn)"]
    bundle, problems = load_workbook_bundle(save(wb, tmp_path / "l.xlsx"))
    assert problems == [] and bundle.bundle.unit.level == "xa"
    set_unit(wb, level="xa")  # the code still reads
    bundle, _ = load_workbook_bundle(save(wb, tmp_path / "l2.xlsx"))
    assert bundle.bundle.unit.level == "xa"
    set_unit(wb, level="Cấp phường")
    bundle, problems = load_workbook_bundle(save(wb, tmp_path / "l3.xlsx"))
    assert bundle is None and problems[0].message == "Cấp đơn vị: cấp đơn vị phải chọn từ danh sách thả xuống"


def test_empty_template_rows_are_ignored(template: Path, tmp_path: Path) -> None:
    wb = load_workbook(template)
    set_unit(wb, as_of="31/12/2024")
    bundle, problems = load_workbook_bundle(save(wb, tmp_path / "trong.xlsx"))
    assert problems == []
    b = bundle.bundle
    assert (b.documents, b.metrics, b.plan_tasks, b.manual, b.survey, b.not_applicable) == ([], [], [], [], [], [])


def test_unfilled_template_names_missing_as_of(template: Path) -> None:
    bundle, problems = load_workbook_bundle(template)
    assert bundle is None
    assert [(p.code, p.sheet, p.row, p.column) for p in problems] == [("workbook.missing_unit_value", SHEET_GUIDE, 12, "B")]


# ---------------------------------------------------------------- errors: all in one pass, each with its place


def _errors_workbook(template: Path, tmp_path: Path) -> tuple[Path, dict]:
    wb = load_workbook(template)
    rows = set_unit(wb, name=None, as_of="31/02/2024")
    places = {"name": rows["name"], "as_of": rows["as_of"]}
    places["month_first"] = set_document(wb, "Kế hoạch CCHC năm", "12/31/2023")
    ws = wb[SHEET_DOCUMENTS]
    places["unknown_kind"] = row = first_empty(ws, "A")
    ws[f"A{row}"], ws[f"B{row}"], ws[f"C{row}"] = "Kế hoạch không có trong danh mục", "5/KH-UBND", "05/03/2024"
    places["not_number"] = set_metric(wb, "dossiers_resolved", "nhiều")
    places["us_decimal"] = set_metric(wb, "dossiers_received", "98.5")
    places["bad_fact"] = set_metric(wb, "plan_funded", "Chắc có")
    places["bad_status"] = add_task(wb, 1, "Ban hành kế hoạch", "31/12/2023", "xong", "hôm qua")
    places["bad_deadline"] = add_task(wb, 2, "Báo cáo quý", "32/01/2024", "hoàn thành", "05/01/2024")
    places["unknown_manual"] = set_score(wb, SHEET_MANUAL, "9.9.9", 1, "Chủ tịch", "Tự chấm")
    places["survey_in_manual"] = set_score(wb, SHEET_MANUAL, "8.1.1", 15, "Chủ tịch", "Tự chấm")
    places["no_justification"] = set_score(wb, SHEET_MANUAL, "1.5.1", 1, "Chủ tịch", None)
    places["na_not_allowed"] = declare_na(wb, "1.1.1")
    places["na_unknown"] = declare_na(wb, "7.7.7 — Tiêu chí lạ")
    return save(wb, tmp_path / "loi.xlsx"), places


def test_every_error_is_reported_with_sheet_row_column_and_value(template: Path, tmp_path: Path) -> None:
    path, at = _errors_workbook(template, tmp_path)
    bundle, problems = load_workbook_bundle(path)
    assert bundle is None
    found = {(p.sheet, p.row, p.column, p.value): p.code for p in problems}
    expected = {
        (SHEET_GUIDE, at["name"], "B", None): "workbook.missing_unit_value",
        (SHEET_GUIDE, at["as_of"], "B", "31/02/2024"): "format.no_such_date",
        (SHEET_DOCUMENTS, at["month_first"], "C", "12/31/2023"): "format.no_such_date",
        (SHEET_DOCUMENTS, at["unknown_kind"], "A", "Kế hoạch không có trong danh mục"): "workbook.unknown_document",
        (SHEET_METRICS, at["not_number"], "D", "nhiều"): "format.bad_number",
        (SHEET_METRICS, at["us_decimal"], "D", "98.5"): "format.bad_number",
        (SHEET_METRICS, at["bad_fact"], "D", "Chắc có"): "workbook.bad_yes_no",
        (SHEET_TASKS, at["bad_status"], "D", "xong"): "workbook.unknown_status",
        (SHEET_TASKS, at["bad_status"], "E", "hôm qua"): "format.bad_date",
        (SHEET_TASKS, at["bad_deadline"], "C", "32/01/2024"): "format.no_such_date",
        (SHEET_MANUAL, at["unknown_manual"], "A", "9.9.9"): "workbook.unknown_criterion",
        (SHEET_MANUAL, at["survey_in_manual"], "A", "8.1.1"): "workbook.survey_self_scored",
        (SHEET_MANUAL, at["no_justification"], "F", None): "workbook.missing_cell",
        (SHEET_NA, at["na_not_allowed"], "A", "1.1.1"): "workbook.na_not_allowed",
        (SHEET_NA, at["na_unknown"], "A", "7.7.7 — Tiêu chí lạ"): "workbook.unknown_criterion",
    }
    assert found == expected
    assert all(p.file == str(path) and p.severity == "error" for p in problems)


def test_rendered_problem_names_file_sheet_row_column_and_value(template: Path, tmp_path: Path) -> None:
    path, at = _errors_workbook(template, tmp_path)
    with pytest.raises(InputError) as raised:
        load_bundles([path])
    rendered = [p.render() for p in raised.value.problems]
    month_first = next(p for p in raised.value.problems if p.row == at["month_first"] and p.sheet == SHEET_DOCUMENTS)
    assert month_first.render().startswith(f"{path} [sheet 'Tài liệu', dòng {at['month_first']}, cột C]: ")
    assert month_first.render().endswith(" (giá trị: '12/31/2023')")
    assert len(rendered) == 15


def test_changed_columns_are_reported_not_misread(template: Path, tmp_path: Path) -> None:
    wb = load_workbook(template)
    set_unit(wb, as_of="31/12/2024")
    wb[SHEET_METRICS].insert_cols(4)
    bundle, problems = load_workbook_bundle(save(wb, tmp_path / "cot.xlsx"))
    assert bundle is None
    first = problems[0]
    assert (first.code, first.sheet, first.row, first.column, first.value) == ("workbook.bad_header", SHEET_METRICS, 2, "D", None)


def test_missing_sheet_and_damaged_file(template: Path, tmp_path: Path) -> None:
    wb = load_workbook(template)
    del wb[SHEET_SURVEY]
    _, problems = load_workbook_bundle(save(wb, tmp_path / "thieu.xlsx"))
    assert [(p.code, p.sheet) for p in problems] == [("workbook.missing_sheet", SHEET_SURVEY)]
    damaged = tmp_path / "hong.xlsx"
    damaged.write_bytes(b"not a zip file")
    bundle, problems = load_workbook_bundle(damaged)
    assert bundle is None and [(p.code, p.file) for p in problems] == [("xlsx.not_xlsx", str(damaged))]


def test_data_problems_are_warnings_with_places(loaded, template: Path, tmp_path: Path) -> None:
    wb = load_workbook(template)
    set_unit(wb, as_of="30/06/2024")
    row = set_document(wb, "Kế hoạch kiểm tra công tác CCHC", "01/07/2024")
    task = add_task(wb, 1, "Ban hành kế hoạch", "31/01/2024", "hoàn thành")
    bundle, problems = load_workbook_bundle(save(wb, tmp_path / "canh-bao.xlsx"))
    assert [(p.severity, p.sheet, p.row, p.column, p.value, p.code) for p in problems] == [
        ("warning", SHEET_DOCUMENTS, row, "C", "01/07/2024", "evidence.document_after_as_of"),
        ("warning", SHEET_TASKS, task, "E", None, "evidence.task_without_date"),
    ]
    result = score_unit(loaded, bundle)
    assert nodes(result)["1.3.1"].status == "data_error"
    assert result.data_problems >= 3


# ---------------------------------------------------------------- the file is only read


def test_loading_never_modifies_the_file(complete: Path, tmp_path: Path) -> None:
    before = (complete.read_bytes(), complete.stat().st_mtime_ns)
    load_workbook_bundle(complete)
    load_bundles([complete])
    assert (complete.read_bytes(), complete.stat().st_mtime_ns) == before


def test_excel_lock_file_in_a_folder_is_skipped(complete: Path, tmp_path: Path) -> None:
    (tmp_path / "phuong-thu.xlsx").write_bytes(complete.read_bytes())
    (tmp_path / "~$phuong-thu.xlsx").write_bytes(b"lock")
    loaded = load_bundles([tmp_path])
    assert [b.bundle.unit.id for b in loaded] == [UNIT]


# ---------------------------------------------------------------- the template


def test_template_is_deterministic(loaded, template_bytes: bytes) -> None:
    again = build_template(loaded.criteria, UNIT, name=NAME, criteria_digest=loaded.digest)
    other = build_template(loaded.criteria, "phuong-khac", name=NAME, criteria_digest=loaded.digest)
    assert again == template_bytes
    assert other != template_bytes


def test_template_sheets_frozen_headers_and_hidden_catalog(template: Path) -> None:
    wb = load_workbook(template)
    assert wb.sheetnames == [SHEET_GUIDE, SHEET_DOCUMENTS, SHEET_METRICS, SHEET_TASKS, SHEET_MANUAL, SHEET_SURVEY,
                             SHEET_NA, SHEET_CATALOG]
    for name in (SHEET_DOCUMENTS, SHEET_METRICS, SHEET_TASKS, SHEET_MANUAL, SHEET_SURVEY, SHEET_NA):
        ws = wb[name]
        assert ws.freeze_panes == "A3", name
        assert ws["A2"].font.b and ws["A2"].fill.fgColor.rgb.endswith("1F4E78"), name
        assert ws.column_dimensions["A"].width >= 8, name
    assert wb[SHEET_CATALOG].sheet_state == "hidden"
    assert wb[SHEET_DOCUMENTS]["C3"].number_format == "dd/mm/yyyy"
    assert wb[SHEET_GUIDE]["B10"].number_format == "dd/mm/yyyy"
    assert wb[SHEET_SURVEY]["A1"].value.startswith("ĐƠN VỊ KHÔNG TỰ CHẤM")


def _validations(ws) -> dict[str, tuple]:
    """First cell range of each validation → (type, operator, formula1)."""
    return {str(dv.sqref).split()[0]: (dv.type, dv.operator, dv.formula1) for dv in ws.data_validations.dataValidation}


def test_template_data_validations(loaded, template: Path) -> None:
    wb = load_workbook(template)
    documents = _validations(wb[SHEET_DOCUMENTS])
    assert documents["A3:A302"] == ("list", None, "'Danh mục'!$B$2:$B$15")
    assert documents["C3:C302"] == ("date", "between", "DATE(2000,1,1)")
    assert documents["G3:G302"] == ("list", None, '"Có,Không"')
    metrics = wb[SHEET_METRICS]
    by_type = {(dv.type, dv.operator, dv.formula1) for dv in metrics.data_validations.dataValidation}
    assert {("whole", "greaterThanOrEqual", "0"), ("decimal", "greaterThanOrEqual", "0"), ("list", None, '"Có,Không"')} <= by_type
    fact_row = row_where(metrics, "A", "plan_funded")
    fact_dv = next(dv for dv in metrics.data_validations.dataValidation if f"D{fact_row}" in dv.sqref)
    assert fact_dv.formula1 == '"Có,Không"'
    assert _validations(wb[SHEET_TASKS])["D3:D302"] == ("list", None, '"hoàn thành,đang thực hiện,chưa thực hiện"')
    assert _validations(wb[SHEET_MANUAL])["D3"] == ("decimal", "between", "0")
    assert _validations(wb[SHEET_NA])["A3:A302"] == ("list", None, "'Danh mục'!$N$2:$N$6")
    na_choices = [c.value.split(" — ")[0] for c in wb[SHEET_CATALOG]["N"][1:] if c.value]
    allowed = [n.id for n in _leaves(loaded.criteria) if n.not_applicable is not None]
    assert na_choices == allowed == ["1.3.2", "2.1.1", "3.3.1", "5.3.1", "6.3.1"]
    kinds = [c.value for c in wb[SHEET_CATALOG]["B"][1:] if c.value]
    assert kinds == [e.label for e in loaded.criteria.catalog.documents.values()]


def _leaves(criteria: CriteriaSet):
    from engine.kinds.tree import iter_nodes

    return [node for node, _, _ in iter_nodes(criteria.items) if node.is_leaf]


def test_template_lists_what_the_set_needs(loaded, template: Path) -> None:
    wb = load_workbook(template)
    documents = wb[SHEET_DOCUMENTS]
    plan = row_where(documents, "A", "Kế hoạch CCHC năm")
    assert documents[f"H{plan}"].value == "1.1.1, 1.1.2, 1.1.3, P1"
    assert documents[f"I{plan}"].value == "không muộn hơn ngày 31/12/2023 (1.1.1)"
    metrics = wb[SHEET_METRICS]
    codes = [c.value for c in metrics["A"][2:] if c.value]
    catalog = loaded.criteria.catalog
    builtin_used = ["dossiers_resolved", "dossiers_resolved_on_time", "results_digitized", "dossiers_received",
                    "dossiers_online", "payments_online"]
    assert sorted(codes) == sorted(list(catalog.metrics) + list(catalog.facts) + builtin_used)
    digitized = row_where(metrics, "A", "results_digitized")
    assert metrics[f"I{digitized}"].value == "3.5.1"
    assert [wb[SHEET_MANUAL]["A3"].value, wb[SHEET_MANUAL]["C3"].value] == ["1.5.1", 1]
    assert [wb[SHEET_SURVEY][f"A{r}"].value for r in (3, 4)] == ["8.1.1", "8.2.1"]


def test_template_rejects_a_level_the_set_does_not_have(loaded) -> None:
    with pytest.raises(InputError) as raised:
        build_template(loaded.criteria, UNIT, level="huyen")
    assert raised.value.problems == [Problem(code="args.unknown_level", file="(tham số)", path="--level", value="huyen",
                                             message="cấp đơn vị không có trong bộ chỉ số xa-2024; dùng được: xa")]


def test_criteria_text_starting_with_equals_stays_text(loaded, tmp_path: Path) -> None:
    data = loaded.criteria.model_dump(by_alias=True, exclude_none=True)
    data["items"][0]["children"][4]["children"][0]["title"] = "=HYPERLINK(\"http://x\")"
    criteria = CriteriaSet.model_validate(data)
    path = tmp_path / "f.xlsx"
    path.write_bytes(build_template(criteria, UNIT))
    ws = load_workbook(path)[SHEET_MANUAL]
    assert (ws["B3"].value, ws["B3"].data_type) == ("=HYPERLINK(\"http://x\")", "s")


# ---------------------------------------------------------------- command line


def test_cli_template_then_score(template: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "cli.xlsx"
    made = runner.invoke(app, ["template", "--criteria", str(CRITERIA), "--unit", UNIT, "--name", NAME,
                               "--output", str(path)])
    assert made.exit_code == 0, made.output
    assert path.read_bytes() == template.read_bytes()
    wb = load_workbook(path)
    fill_complete(wb)
    wb.save(path)
    result = runner.invoke(app, ["score", str(path), "--criteria", str(CRITERIA), "--format", "json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    unit = run["units"][0]
    assert (unit["unit_id"], unit["name"]) == (UNIT, NAME)
    assert unit["evidence_hash"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert {n["id"]: n["points"] for n in unit["nodes"]}["3.5.1"] == 3
    table = runner.invoke(app, ["score", str(path), "--criteria", str(CRITERIA), "--output", str(tmp_path / "r.json")])
    assert table.exit_code == 0 and NAME in table.stdout


def test_cli_score_reports_workbook_errors(template: Path, tmp_path: Path) -> None:
    path, at = _errors_workbook(template, tmp_path)
    result = CliRunner().invoke(app, ["score", str(path), "--criteria", str(CRITERIA)])
    assert result.exit_code == 2
    assert "Dữ liệu đầu vào không hợp lệ (15 lỗi)" in result.stderr
    assert f"[sheet 'Số liệu', dòng {at['not_number']}, cột D]" in result.stderr
