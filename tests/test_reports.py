"""Reports people read: scoring sheet (XLSX/DOCX/MD), corrective plans, province view, HTML report, CLI."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from docx import Document
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine.core.vnformat import format_number
from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.load.frames import load_frame
from engine.render.reports import (
    criterion_losses,
    engine_words,
    html_report,
    plan_document,
    province_plan,
    province_view,
    report_context,
    report_document,
    unit_plan,
    unit_rows,
)
from engine.render.reports.common import roman
from engine.render.reports.plan import UPCOMING, plan_rows
from engine.render.reports.render import md_escape, sheet_name
from engine.render.reports.sheet import (
    FINAL,
    INDEX_LABEL,
    NO_SURVEY,
    NOT_DUE,
    SELF,
    SHEET_COLUMNS,
    SUMMARY_NAME,
    SURVEY,
    TOTAL_LABEL,
    node_scores,
)
from engine.render.text import lost_points, not_due_points
from engine.score.run import score_run
from report_checks import Evaluator

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
SAMPLE = ROOT / "evidence" / "vung-tau-2024"
FRAME = ROOT / "frames" / "vung-tau-2024.yaml"
SHEET_HEADERS = ["STT", "Lĩnh vực / Tiêu chí / Tiêu chí thành phần", "Điểm tối đa", "Điểm tự chấm", "Điểm điều tra XHH",
                 "Điểm thẩm định", "Điểm đạt được", "Tài liệu kiểm chứng", "Ghi chú của đơn vị", "Ghi chú của thẩm định"]
ROUND_HEADERS = ["Vòng 1", "Vòng 2"]
PLAN_HEADERS = ["STT", "Nhiệm vụ chung", "Nhiệm vụ cụ thể", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp",
                "Thời gian hoàn thành", "Kinh phí"]
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_NUMBER = '=HYPERLINK("http://evil.example/x","bấm")'
HOSTILE_NAME = '-2+3 <img src=x onerror=alert(2)> | UBND'


@pytest.fixture(scope="module")
def criteria():
    return load_criteria(CRITERIA)


@pytest.fixture(scope="module")
def run(criteria):
    return score_run(criteria, load_bundles([SAMPLE]), CRITERIA)


@pytest.fixture(scope="module")
def bands(criteria):
    return criteria.criteria.bands


@pytest.fixture(scope="module")
def frame():
    settings, problems = load_frame(FRAME)
    assert problems == []
    return settings


@pytest.fixture(scope="module")
def ctx(run, criteria, frame):
    return report_context(run, criteria=criteria.criteria, frame=frame)


@pytest.fixture(scope="module")
def xlsx_bytes(run, criteria, frame):
    return report_document(run, "xlsx", criteria=criteria.criteria, frame=frame)


@pytest.fixture(scope="module")
def workbook(xlsx_bytes):
    return openpyxl.load_workbook(io.BytesIO(xlsx_bytes))


@pytest.fixture()
def hostile_run(tmp_path, criteria):
    """Phường 12 with a hostile unit name, and a plan document whose title and number are hostile."""
    data = yaml.safe_load((SAMPLE / "phuong-12.yaml").read_text(encoding="utf-8"))
    data["unit"]["name"] = HOSTILE_NAME
    for document in data["documents"]:
        if document["kind"] == "ke_hoach_cchc":
            document["title"] = HOSTILE_NUMBER
            document["number"] = HOSTILE_TITLE
            document["issuer"] = "@SUM(1+1)"
            document["issue_date"] = "15/01/2024"  # late: criterion 1.1.1 loses points and cites it
    bundle = tmp_path / "hostile.yaml"
    bundle.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    second = tmp_path / "phuong-1.yaml"
    second.write_text((SAMPLE / "phuong-1.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return score_run(criteria, load_bundles([bundle, second]), CRITERIA)


def _header_row(sheet, first_header: str = "STT") -> int:
    for row in sheet.iter_rows(min_col=1, max_col=1):
        if row[0].value == first_header:
            return row[0].row
    raise AssertionError(f"no header row in {sheet.title}")


def _first_data_row(sheet, header: int) -> int:
    """Under a two-row header (grouped columns) the data starts one row lower."""
    merged = {str(m) for m in sheet.merged_cells.ranges}
    return header + 2 if f"A{header}:A{header + 1}" in merged else header + 1


def _rows_after(sheet, header: int):
    """Cells of the table rows below a header, up to the first blank row."""
    rows = []
    for row in sheet.iter_rows(min_row=_first_data_row(sheet, header), values_only=False):
        if all(c.value is None for c in row):
            break
        rows.append(row)
    return rows


def _headers(sheet, header: int) -> list[str]:
    """Header texts, a grouped header once, in column order."""
    texts = []
    for column in range(1, sheet.max_column + 1):
        value = sheet.cell(header, column).value
        if value and value not in texts:
            texts.append(value)
    return texts


# ---------------------------------------------------------------- scoring sheet


def test_unit_sheets_have_the_officers_columns_frozen_and_printed_a4_landscape(run, workbook):
    assert workbook.sheetnames[0] == SUMMARY_NAME
    assert len(workbook.sheetnames) == 1 + len(run.units)
    for unit in run.units:
        sheet = workbook[unit.name]
        header = _header_row(sheet)
        assert _headers(sheet, header) == SHEET_HEADERS
        assert [sheet.cell(header + 1, c).value for c in (6, 7)] == ROUND_HEADERS
        assert sheet.freeze_panes == f"A{header + 2}"
        assert sheet.print_title_rows == f"${header}:${header + 1}"
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert all(sheet.cell(header, col).font.b for col in range(1, 6))
        assert sheet.cell(header, 1).font.name == "Times New Roman"


def test_area_rows_bold_parents_are_sums_and_leaves_indented_by_depth(run, workbook):
    unit = run.unit("phuong-3")
    sheet = workbook[unit.name]
    rows = _rows_after(sheet, _header_row(sheet))
    by_id = {r[0].value: r for r in rows if r[0].value}
    values = Evaluator(sheet)
    for node in unit.nodes:
        row = by_id[node.id]
        assert row[1].value == node.title
        assert bool(row[1].font.b) == (node.depth == 0), node.id
        assert row[1].alignment.indent == node.depth
        assert values.value(row[2].coordinate) == pytest.approx(node.max_points)
        final = values.value(row[FINAL].coordinate)
        if node.is_leaf and node.status == "not_due":
            assert final == NOT_DUE
        elif node.is_leaf and node.id.startswith("8."):
            assert final == NO_SURVEY
        else:
            assert final == pytest.approx(node.points), node.id
        if not node.is_leaf:
            assert str(row[FINAL].value).startswith("=ROUND(SUM("), node.id
    leaf = next(n for n in unit.nodes if n.id == "1.1.1")
    assert by_id["1.1.1"][8].value == "\n".join(leaf.evidence_refs)
    assert by_id["1.1.1"][9].value.startswith("đạt")
    assert by_id["1.1.1"][9].number_format == "General"
    assert by_id["1.1.1"][2].number_format == "[$-42A]0.00"


def test_totals_are_formulas_that_equal_the_engines_totals(run, workbook):
    for unit in run.units:
        sheet = workbook[unit.name]
        values = Evaluator(sheet)
        rows = {r[1].value: r for r in _rows_after(sheet, _header_row(sheet)) if r[0].value is None}
        total = rows[TOTAL_LABEL][FINAL]
        assert total.value.startswith("=ROUND(MAX(0,")
        assert values.value(total.coordinate) == pytest.approx(unit.points, abs=1e-9)
        assert rows[TOTAL_LABEL][2].value == unit.max_points
        index = rows[INDEX_LABEL][FINAL]
        assert index.number_format == "[$-42A]0.00%"
        assert values.value(index.coordinate) == pytest.approx(unit.index_pct / 100, abs=1e-9)
        assert rows["Xếp loại"][FINAL].value == unit.band
        assert rows["Xếp hạng"][FINAL].value == str(unit.rank)
        area_sum = values.value(rows["Cộng điểm các lĩnh vực"][FINAL].coordinate)
        assert area_sum == pytest.approx(sum(a.points for a in unit.areas))
        assert area_sum + unit.bonus - unit.penalty == pytest.approx(unit.points)


def test_formula_cells_carry_the_engines_value_for_readers_that_do_not_calculate(run, xlsx_bytes):
    cached = openpyxl.load_workbook(io.BytesIO(xlsx_bytes), data_only=True)
    formulas = openpyxl.load_workbook(io.BytesIO(xlsx_bytes))
    checked = 0
    for name in cached.sheetnames:
        values = Evaluator(formulas[name])
        for row in formulas[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    shown = cached[name][cell.coordinate].value
                    assert shown == pytest.approx(values.value(cell.coordinate), abs=1e-6), (name, cell.coordinate)
                    checked += 1
    assert checked > 500


def test_survey_points_have_their_own_column_and_wait_for_results(run, ctx):
    unit = run.unit("phuong-3")
    rows = {r.cells[0]: r for r in unit_rows(ctx, unit)}
    survey = rows["8.1.1"]
    assert survey.cells[SURVEY] == NO_SURVEY and survey.cells[FINAL] == NO_SURVEY
    assert survey.cells[SELF] is None
    assert "Chưa có kết quả điều tra xã hội học" in survey.cells[9][0]
    assert rows["1.1.1"].cells[SURVEY] is None
    assert rows["1"].cells[SURVEY] is None  # an area without survey criteria leaves the column blank


def test_not_due_is_shown_apart_from_lost_points(run, ctx):
    unit = run.unit("phuong-1")
    due = not_due_points(unit)
    assert due and all(n.status == "not_due" for n in due)
    assert not set(n.id for n in due) & set(n.id for n in lost_points(unit))
    rows = {r.cells[0]: r for r in unit_rows(ctx, unit)}
    for node in due:
        assert rows[node.id].cells[SELF] == NOT_DUE and rows[node.id].cells[FINAL] == NOT_DUE


def test_appraisal_columns_are_blank_without_an_appraisal(run, ctx):
    unit = run.unit("phuong-3")
    rows = unit_rows(ctx, unit)
    assert all(r.cells[5] is None and r.cells[6] is None for r in rows)
    leaf = next(n for n in unit.nodes if n.id == "1.1.1")
    assert node_scores(leaf, unit).self_points == leaf.points and node_scores(leaf, unit).final == leaf.points


@pytest.fixture(scope="module")
def assessed():
    from engine import api

    _, run = api.score_assessment_files(ROOT / "evidence" / "vung-tau-2024-assessment" / "danh-gia-2024.yaml")
    return run


def test_an_assessment_fills_the_rounds_and_the_totals_are_the_final_points(assessed):
    workbook = openpyxl.load_workbook(io.BytesIO(report_document(assessed, "xlsx")))
    assert workbook.sheetnames[:2] == ["Tổng hợp", "Tự chấm và thẩm định"]
    filled = 0
    for unit in assessed.units:
        sheet = workbook[unit.name]
        values = Evaluator(sheet)
        rows = {r[1].value: r for r in _rows_after(sheet, _header_row(sheet)) if r[0].value is None}
        assert values.value(rows[TOTAL_LABEL][FINAL].coordinate) == pytest.approx(unit.final_points, abs=1e-9)
        assert values.value(rows[TOTAL_LABEL][SELF].coordinate) == pytest.approx(unit.self_points, abs=1e-9)
        assert values.value(rows[INDEX_LABEL][FINAL].coordinate) == pytest.approx(unit.final_index_pct / 100, abs=1e-9)
        by_id = {r[0].value: r for r in _rows_after(sheet, _header_row(sheet)) if r[0].value}
        for node in unit.nodes:
            if node.is_leaf and node.rule_kind != "survey" and node.status != "not_due":
                assert values.value(by_id[node.id][SELF].coordinate) == pytest.approx(node.self_points), node.id
                assert values.value(by_id[node.id][FINAL].coordinate) == pytest.approx(node.final_points), node.id
            if "appraisal_1" in unit.appraisal_rounds and node.is_leaf and node.by_round:
                filled += by_id[node.id][5].value is not None
        if any(e.role not in ("unit", "survey") for n in unit.nodes for e in n.rounds):
            assert any(r[10].value for r in by_id.values())  # the appraisers' notes
    assert filled > 0


def test_adjustment_rows_show_penalties_as_negative_points(run, ctx):
    unit = run.unit("phuong-3")
    rows = unit_rows(ctx, unit)
    penalty = next(r for r in rows if r.cells[0] == "P1")
    assert penalty.cells[1].startswith("Điểm trừ: ")
    assert penalty.cells[FINAL] == 0 and format_number(penalty.cells[FINAL]) == "0"
    assert penalty.cells[9][0].startswith("không bị trừ điểm")


def test_summary_sheet_ranks_units_with_area_indices_and_band_counts(run, workbook):
    sheet = workbook[SUMMARY_NAME]
    header = _header_row(sheet, "Hạng")
    headers = _headers(sheet, header)
    assert headers[:8] == ["Hạng", "Đơn vị", "Điểm đạt được", "Điểm tối đa áp dụng", "Chỉ số CCHC (%)", "Xếp loại",
                           "Lỗi dữ liệu", "Chỉ số thành phần theo lĩnh vực (%)"]
    assert sheet.cell(header + 1, 8).value == "1"
    rows = _rows_after(sheet, header)
    ranked = [r for r in rows if r[0].value]
    assert [r[1].value for r in ranked] == [u.name for u in run.units]
    ranks = [r[0].value for r in ranked]
    assert ranks == sorted(ranks) and ranks[0] == 1
    indices = [r[4].value for r in ranked]
    assert indices == sorted(indices, reverse=True)
    assert indices[0] == pytest.approx(run.units[0].index_pct / 100)
    assert ranked[0][7].value == pytest.approx(run.units[0].areas[0].index_pct / 100)
    average = rows[len(ranked)]
    assert average[1].value == "Bình quân" and average[4].value.startswith("=ROUND(AVERAGE(")
    assert Evaluator(sheet).value(average[4].coordinate) == pytest.approx(
        sum(u.index_pct for u in run.units) / len(run.units) / 100, abs=5e-5)
    band_header = _header_row(sheet, "Xếp loại")
    counts = {r[0].value: r[1].value for r in _rows_after(sheet, band_header)}
    assert counts["Khá"] == sum(1 for u in run.units if u.band == "Khá")
    assert counts["Trung bình"] == sum(1 for u in run.units if u.band == "Trung bình")
    assert counts["Xuất sắc"] == 0
    assert list(counts) == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]


def test_xlsx_carries_the_frame_and_prints_page_numbers(run, workbook):
    sheet = workbook[run.units[0].name]
    texts = [c.value for row in sheet.iter_rows(max_row=_header_row(sheet)) for c in row if isinstance(c.value, str)]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Độc lập - Tự do - Hạnh phúc" in texts
    assert "ỦY BAN NHÂN DÂN PHƯỜNG 1" in texts and "Số: ……/BC-UBND" in texts
    assert "Phường 1, ngày …… tháng …… năm 2024" in texts
    assert sheet.oddFooter.center.text == "Trang &P"
    assert sheet.oddFooter.right.text.startswith("Mã kiểm tra: ")
    everything = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("TM. ỦY BAN NHÂN DÂN" == t for t in everything) and any("CHỦ TỊCH" == t for t in everything)
    assert any(t.startswith("Nơi nhận:") for t in everything)


def _docx_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.append(cell.text)
    return "\n".join(parts)


def test_docx_opens_and_holds_one_scoring_table_per_unit(run, criteria, frame):
    document = Document(io.BytesIO(report_document(run, "docx", criteria=criteria.criteria, frame=frame)))
    tables = [t for t in document.tables if t.rows[0].cells[0].text == "STT" and len(t.columns) == len(SHEET_COLUMNS)]
    assert len(tables) == len(run.units)
    first = tables[0]
    assert [c.text for c in first.rows[1].cells][5:7] == ROUND_HEADERS
    unit = run.units[0]
    total = next(r for r in first.rows if r.cells[1].text == TOTAL_LABEL)
    assert total.cells[FINAL].text == format_number(unit.points)
    assert any(r.cells[0].text == "1.1.1" for r in first.rows)
    summary = next(t for t in document.tables if t.rows[0].cells[0].text == "Hạng")
    assert [c.text for c in summary.rows[0].cells][:3] == ["Hạng", "Đơn vị", "Điểm đạt được"]
    text = _docx_text(document)
    assert text.count("BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2024") == len(run.units)


def test_markdown_sheet_has_header_rows_and_vietnamese_numbers(run, ctx, criteria):
    text = report_document(run, "md", criteria=criteria.criteria).decode("utf-8")
    header = ("| STT | Lĩnh vực / Tiêu chí / Tiêu chí thành phần | Điểm tối đa | Điểm tự chấm | Điểm điều tra XHH | "
              "Điểm thẩm định – Vòng 1 | Điểm thẩm định – Vòng 2 | Điểm đạt được |")
    assert text.count(header) == len(run.units)
    unit = run.unit("phuong-3")
    assert f"| **{TOTAL_LABEL}** | **{format_number(unit.max_points)}** | **{format_number(unit.points)}** |" in text
    assert "46,02" in text  # Phường 3: 3.2.1 and 3.5.1 not scored while digitized exceeds resolved
    assert f"**{format_number(unit.index_pct)}%**" in text


def test_office_outputs_are_byte_identical_between_runs(hostile_run, bands):
    for fmt in ("xlsx", "docx"):
        assert report_document(hostile_run, fmt, bands) == report_document(hostile_run, fmt, bands)
        assert plan_document(hostile_run, fmt, True, bands) == plan_document(hostile_run, fmt, True, bands)


# ---------------------------------------------------------------- corrective plans


def test_roman_numerals():
    assert [roman(n) for n in (1, 2, 3, 4, 5, 8, 9, 14, 40, 49)] == [
        "I", "II", "III", "IV", "V", "VIII", "IX", "XIV", "XL", "XLIX"]


def _area_order(run) -> list[str]:
    return [a.id for a in run.units[0].areas]


def test_unit_plan_follows_the_sets_area_order_and_orders_tasks_by_recoverable_points(run, ctx):
    unit = run.unit("phuong-12")
    plan = unit_plan(ctx, unit)
    areas = [s.area for s in plan.sections]
    assert areas == [a for a in _area_order(run) if a in areas] and len(areas) > 2
    for section in plan.sections:
        points = [t.recoverable_points for t in section.tasks]
        assert points == sorted(points, reverse=True)
        assert all(t.area == section.area for t in section.tasks)
        assert section.recoverable_points == pytest.approx(sum(points))
    planned = sorted(t.criterion for s in plan.sections for t in s.tasks)
    assert planned == sorted(n.id for n in lost_points(unit))
    assert sorted(t.criterion for t in plan.upcoming) == sorted(n.id for n in not_due_points(unit))
    assert plan.recoverable_points == pytest.approx(sum(n.remediation.recoverable_points for n in lost_points(unit)))


def test_every_planned_task_has_a_product_a_real_lead_partners_a_deadline_and_funding(run, ctx):
    for unit in run.units:
        plan = unit_plan(ctx, unit)
        for task in [t for s in plan.sections for t in s.tasks] + plan.upcoming:
            assert task.product and task.lead and task.cooperating and task.deadline and task.funding, (unit.name, task)
            assert task.lead.strip() != unit.name, (unit.name, task.criterion)
            assert re.search(r"(Quý [IV]+/\d{4}|[Tt]rước ngày \d{1,2}/\d{1,2}/\d{4}|[Tt]háng \d{1,2}/\d{4}|"
                             r"Năm \d{4}|Thường xuyên|[Tt]rước ngày \d{1,2} )", task.deadline), task.deadline


def test_plan_rows_have_roman_sections_running_numbers_and_a_not_due_section(run, ctx):
    plan = unit_plan(ctx, run.unit("phuong-1"))
    assert plan.upcoming
    rows = plan_rows(plan)
    sections = [r for r in rows if r.style == "section"]
    numbered = sections[:len(plan.sections)]
    assert [r.cells[0].split(".")[0] for r in numbered] == [roman(i) for i in range(1, len(plan.sections) + 1)]
    assert numbered[0].cells[0] == f"I. {plan.sections[0].area_title}"
    assert sections[-1].cells[0] == UPCOMING
    assert all(r.span for r in sections)
    numbers = [r.cells[0] for r in rows if r.style == "normal"]
    assert numbers == [str(i) for i in range(1, plan.task_count + 1)]
    first_task = plan.sections[0].tasks[0]
    task_row = rows[1]
    assert task_row.cells[1].startswith(f"Khắc phục tiêu chí {first_task.criterion} “{first_task.criterion_title}”")
    assert format_number(first_task.recoverable_points) + " điểm" in task_row.cells[1]
    assert task_row.cells[2][0] == first_task.task
    upcoming_row = rows[rows.index(sections[-1]) + 1]
    assert upcoming_row.cells[1].startswith("Thực hiện đúng hạn tiêu chí")


def test_plan_xlsx_layout_has_the_appendix_heading_and_eight_columns(run, bands, criteria, frame):
    workbook = openpyxl.load_workbook(io.BytesIO(plan_document(run, "xlsx", False, bands, criteria.criteria, frame)))
    assert workbook.sheetnames == [u.name for u in run.units]
    sheet = workbook[run.units[0].name]
    header = _header_row(sheet)
    assert [c.value for c in sheet[header]] == PLAN_HEADERS
    texts = [c.value for row in sheet.iter_rows(max_row=header) for c in row if isinstance(c.value, str)]
    assert "PHỤ LỤC" in texts and "KẾ HOẠCH KHẮC PHỤC CÁC TIÊU CHÍ CHƯA ĐẠT ĐIỂM TỐI ĐA" in texts
    assert any(t.startswith("(Kèm theo Kế hoạch số ……/KH-UBND") for t in texts)
    first = sheet.cell(header + 1, 1)
    assert first.value.startswith("I. ") and first.font.b
    assert f"A{header + 1}:H{header + 1}" in {str(m) for m in sheet.merged_cells.ranges}
    assert sheet.cell(header + 2, 1).value == "1"


def test_plan_docx_and_markdown_have_the_appendix_columns(run, bands, criteria):
    document = Document(io.BytesIO(plan_document(run, "docx", False, bands, criteria.criteria)))
    plans = [t for t in document.tables if [c.text for c in t.rows[0].cells] == PLAN_HEADERS]
    assert len(plans) == len(run.units)
    assert plans[0].rows[1].cells[0].text.startswith("I. ")
    text = plan_document(run, "md", False, bands).decode("utf-8")
    assert text.count("| " + " | ".join(PLAN_HEADERS) + " |") == len(run.units)
    assert "| **I. " in text and "## PHỤ LỤC" in text


def test_province_plan_merges_units_with_the_same_gap_and_names_them(run, ctx):
    plan = province_plan(ctx)
    tasks = [t for s in plan.sections for t in s.tasks]
    lost_by_criterion: dict[str, dict[str, float]] = {}
    for unit in run.units:
        for node in lost_points(unit):
            lost_by_criterion.setdefault(node.id, {})[unit.name] = node.remediation.recoverable_points
    assert sorted({t.criterion for t in tasks}) == sorted(lost_by_criterion)
    digitization = [t for t in tasks if t.criterion == "3.5.1"]
    # Units below target share one task; the three wards whose data is contradictory get a "fix the data" task.
    assert len(digitization) == 2
    chase, fix = sorted(digitization, key=lambda t: t.task.startswith("Rà soát"))
    assert {u.name for u in fix.units} == {"UBND Phường 3", "UBND Phường 5", "UBND Phường 9"}
    assert fix.task.startswith("Rà soát, đối chiếu và sửa số liệu của tiêu chí 3.5.1")
    assert {u.name: u.points for t in digitization for u in t.units} == lost_by_criterion["3.5.1"]
    assert sum(t.recoverable_points for t in digitization) == pytest.approx(sum(lost_by_criterion["3.5.1"].values()))
    assert 1 < len(chase.units) <= len(run.units)
    areas = [s.area for s in plan.sections]
    assert areas == [a for a in _area_order(run) if a in areas]
    for section in plan.sections:
        points = [t.recoverable_points for t in section.tasks]
        assert points == sorted(points, reverse=True)
    for task in tasks + plan.upcoming:
        assert all(u.name not in (task.lead or "") for u in task.units), task.lead
    assert {t.criterion for t in plan.upcoming} == {n.id for u in run.units for n in not_due_points(u)}


def test_province_plan_file_names_the_units_in_the_task_cell(run, bands, criteria, frame):
    workbook = openpyxl.load_workbook(io.BytesIO(plan_document(run, "xlsx", True, bands, criteria.criteria, frame)))
    assert workbook.sheetnames == ["Kế hoạch khắc phục", "Tổng hợp tiêu chí"]
    sheet = workbook["Kế hoạch khắc phục"]
    texts = [c.value for row in sheet.iter_rows(max_row=12) for c in row if isinstance(c.value, str)]
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ VŨNG TÀU" in texts
    rows = _rows_after(sheet, _header_row(sheet))
    cells = [r[2].value for r in rows if r[1].value and "tiêu chí 3.5.1 " in r[1].value]
    losers = [u for u in run.units if any(n.id == "3.5.1" for n in lost_points(u))]
    counts = [int(c.split("Đơn vị thực hiện (")[1].split(")")[0]) for c in cells]
    assert sum(counts) == len(losers)
    for unit in losers:
        assert any(unit.name in cell for cell in cells)
    task_rows = [r for r in rows if r[0].value and r[0].value.isdigit()]
    groups = {(n.id, n.status == "data_error") for u in run.units for n in lost_points(u)}
    groups |= {(n.id, "not due") for u in run.units for n in not_due_points(u)}
    assert len(task_rows) == len(groups)


def test_province_view_losses_and_units_below_each_band(run, bands):
    view = province_view(run, bands)
    losses = criterion_losses(run)
    assert view.losses == losses
    keys = [(-x.lost_points, -x.unit_count) for x in losses]
    assert keys == sorted(keys)
    top = losses[0]
    expected = sum(n.remediation.recoverable_points for u in run.units for n in lost_points(u) if n.id == top.criterion)
    assert top.lost_points == pytest.approx(expected)
    assert top.unit_count == sum(1 for u in run.units if any(n.id == top.criterion for n in lost_points(u)))
    not_due = {n.id for u in run.units for n in not_due_points(u)}
    assert not any(loss.criterion in not_due and loss.lost_points == 0 for loss in losses)
    lines = {line.label: line for line in view.bands}
    assert [line.label for line in view.bands] == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]
    assert lines["Khá"].below == [u.name for u in run.units if u.index_pct < 70]
    assert lines["Khá"].threshold == "từ 70%"
    assert lines["Xuất sắc"].below == [u.name for u in run.units]
    assert lines["Yếu"].below == []
    assert lines["Khá"].units == [u.name for u in run.units if u.band == "Khá"]


def test_province_view_without_bands_uses_the_labels_of_the_run(run):
    view = province_view(run)
    assert [line.label for line in view.bands] == ["Khá", "Trung bình"]
    assert view.bands[0].below == [u.name for u in run.units if u.band == "Trung bình"]


# ---------------------------------------------------------------- what a person reads


def test_no_engine_words_in_any_document(run, criteria, frame):
    for data in (report_document(run, "md", criteria=criteria.criteria, frame=frame),
                 plan_document(run, "md", criteria=criteria.criteria, frame=frame),
                 plan_document(run, "md", True, criteria=criteria.criteria, frame=frame)):
        text = data.decode("utf-8")
        assert engine_words(text) == [], engine_words(text)[:10]
    document = Document(io.BytesIO(report_document(run, "docx", criteria=criteria.criteria, frame=frame)))
    assert engine_words(_docx_text(document)) == []


def test_plain_words_turn_engine_wording_into_sentences():
    from engine.render.reports import plain_words

    labels = {"dossiers_online": "Số hồ sơ trực tuyến"}
    assert plain_words("đạt: mức 'trên 90%' → 2 điểm") == "đạt: mức trên 90%, được 2 điểm"
    assert plain_words("thiếu minh chứng: chỉ số 'Báo cáo đủ nội dung' (reports_content_complete)") == (
        "thiếu minh chứng: Báo cáo đủ nội dung")
    assert plain_words("không thỏa → được trọn 3 điểm") == "không thỏa, được trọn 3 điểm"
    assert plain_words("Số hồ sơ (dossiers_online) = 5", labels) == "Số hồ sơ = 5"
    assert plain_words("chỉ số 'dossiers_online' âm", labels) == "chỉ số “Số hồ sơ trực tuyến” âm"
    assert plain_words("minh chứng: evidence/vung-tau-2024/phuong-1.yaml; mã c46ebda7b3aa00") == (
        "minh chứng: tệp minh chứng; mã")
    assert plain_words("manual: tiêu chí '9.9' không có").startswith("Điểm chấm thủ công: tiêu chí “9.9”")


# ---------------------------------------------------------------- safety


def test_xlsx_neutralises_formulas_from_evidence(hostile_run, tmp_path):
    workbook = openpyxl.load_workbook(io.BytesIO(report_document(hostile_run, "xlsx")))
    plan = openpyxl.load_workbook(io.BytesIO(plan_document(hostile_run, "xlsx", True)))
    seen = []
    for book in (workbook, plan):
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # only the report's own totals are formulas
                        assert re.fullmatch(r"=ROUND\((SUM|MAX|AVERAGE)\([A-Z0-9,:+\-() ]*\),\d\)|=ROUND\([A-Z]+\d+/"
                                            r"([A-Z]+\d+|[0-9.]+),4\)", cell.value), (sheet.title, cell.value)
                    elif isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "-", "@")), (sheet.title, cell.coordinate, cell.value)
                        seen.append(cell.value)
    assert any(v.startswith("'" + HOSTILE_NUMBER) for v in seen)
    assert any(v.startswith("'" + HOSTILE_NAME) for v in seen)
    hostile_sheet = next(s for s in workbook.sheetnames if "onerror" in s)
    assert len(hostile_sheet) <= 31 and hostile_sheet.startswith("-2+3")


def test_html_escapes_hostile_text(hostile_run):
    html = html_report(report_context(hostile_run))
    assert HOSTILE_TITLE not in html
    assert "<img" not in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert 'onerror=' not in re.sub(r"&lt;.*?&gt;", "", html)


def test_markdown_and_docx_keep_hostile_text_inert(hostile_run):
    text = plan_document(hostile_run, "md", False).decode("utf-8") + report_document(hostile_run, "md").decode("utf-8")
    assert "<script>" not in text and "<img" not in text
    assert md_escape(HOSTILE_NAME) in text
    for line in text.splitlines():
        if line.startswith("| STT | Lĩnh vực"):
            width = line.count(" | ")
        elif line.startswith("| 1.1.1 |"):
            assert len(re.findall(r"(?<!\\)\|", line)) == width + 2
    document = Document(io.BytesIO(report_document(hostile_run, "docx")))
    cells = {c.text for t in document.tables for r in t.rows for c in r.cells}
    assert any(HOSTILE_TITLE in c for c in cells)


def test_sheet_names_are_valid_and_unique():
    used: set[str] = set()
    names = [sheet_name(n, used) for n in ("A/B:C", "A B C", "x" * 40, "x" * 40, "'", "[]")]
    assert names[0] == "A B C" and names[1] == "A B C (2)"
    assert names[2] == "x" * 31 and names[3] == "x" * 27 + " (2)"
    assert names[4] == "Trang" and names[5] == "Trang (2)"


def test_md_escape_stops_tables_links_and_html():
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("[x](javascript:1)") == "\\[x\\](javascript:1)"
    assert md_escape("<b>") == "&lt;b&gt;"


# ---------------------------------------------------------------- HTML


def test_html_report_is_self_contained_vietnamese_and_printable(run, bands):
    html = report_document(run, "html", bands).decode("utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="vi">' in html and '<meta charset="utf-8">' in html
    assert "@media print" in html and "<svg" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html and "<script" not in html
    for unit in run.units:
        assert unit.name in html
    node = next(n for n in run.unit("phuong-12").nodes if n.id == "3.5.1")
    from engine.render.reports import plain_words

    assert plain_words(node.explanation.rule).replace("'", "&#39;") in html
    assert plain_words(node.remediation.task).replace("'", "&#39;") in html
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    assert engine_words(re.sub(r"<[^>]+>", " ", body)) == []


def test_html_chart_bars_are_proportional_to_the_average_area_index(run):
    from engine.render.reports.common import average_area_index
    from engine.render.reports.html import bar_chart

    averages = average_area_index(run)
    chart = bar_chart(["a", "b"], [("x", "#000", [averages["1"], 100.0])], width=880)
    full = chart["rows"][1]["bars"][0]["w"]
    assert chart["rows"][0]["bars"][0]["w"] == pytest.approx(full * averages["1"] / 100, abs=0.1)
    none = bar_chart(["a"], [("x", "#000", [None])])
    assert none["rows"][0]["bars"][0]["w"] == 0 and none["rows"][0]["bars"][0]["text"] == "không áp dụng"


# ---------------------------------------------------------------- CLI


def test_cli_report_and_plan_write_files(tmp_path):
    import cli

    runner = CliRunner()
    target = tmp_path / "bang.md"
    result = runner.invoke(cli.app, ["report", "--format", "md", "--output", str(target), str(SAMPLE / "phuong-1.yaml")])
    assert result.exit_code == 0, result.output
    assert "Đã ghi bảng điểm của 1 đơn vị" in result.output
    assert "| STT | Lĩnh vực" in target.read_text(encoding="utf-8")
    plan = tmp_path / "kh.xlsx"
    result = runner.invoke(cli.app, ["plan", "--province", "--format", "xlsx", "--output", str(plan), str(SAMPLE)])
    assert result.exit_code == 1, result.output  # the sample has data problems on purpose
    assert openpyxl.load_workbook(plan).sheetnames[0] == "Kế hoạch khắc phục"
    html = tmp_path / "r.html"
    result = runner.invoke(cli.app, ["report", "-f", "html", "-o", str(html), str(SAMPLE / "phuong-1.yaml")])
    assert result.exit_code == 0 and html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_rejects_bad_input_without_writing(tmp_path):
    import cli

    runner = CliRunner()
    target = tmp_path / "x.xlsx"
    result = runner.invoke(cli.app, ["report", "-o", str(target), str(tmp_path / "khong-co.yaml")])
    assert result.exit_code == 2
    assert not target.exists()
    result = runner.invoke(cli.app, ["plan", "--format", "html", "-o", str(target)])
    assert result.exit_code == 2


def test_cli_report_uses_a_frame_file_and_refuses_a_bad_one(tmp_path):
    import cli

    runner = CliRunner()
    frame = tmp_path / "khung.yaml"
    frame.write_text("date: 05/01/2025\nunits:\n  signer: {lines: [TM. ỦY BAN NHÂN DÂN, KT. CHỦ TỊCH, PHÓ CHỦ TỊCH], "
                     "name: Nguyễn Văn A}\nunit:\n  phuong-99: {place: Nơi khác}\n", encoding="utf-8")
    target = tmp_path / "bang.docx"
    result = runner.invoke(cli.app, ["report", "-f", "docx", "-o", str(target), "--frame", str(frame),
                                     str(SAMPLE / "phuong-1.yaml")])
    assert result.exit_code == 0, result.output
    assert "phuong-99" in result.output and "không có đơn vị này" in result.output  # a warning, the file is written
    texts = [p.text for t in Document(str(target)).tables for r in t.rows for c in r.cells for p in c.paragraphs]
    nested = [p.text for t in Document(str(target)).tables for r in t.rows for c in r.cells for n in c.tables
              for r2 in n.rows for c2 in r2.cells for p in c2.paragraphs]
    assert "Phường 1, ngày 05 tháng 01 năm 2025" in texts
    assert {"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn A"} <= set(nested)
    frame.write_text("date: 31/02/2025\noffice: {signer: {lines: []}}\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["report", "-f", "docx", "-o", str(tmp_path / "x.docx"), "--frame", str(frame),
                                     str(SAMPLE / "phuong-1.yaml")])
    assert result.exit_code == 2 and not (tmp_path / "x.docx").exists()
    assert "khung.yaml [date, dòng 1]" in result.output and "khung.yaml [office.signer.lines, dòng 2]" in result.output


def test_plain_words_drop_absolute_and_windows_paths_and_yaml_places():
    from engine.render.reports.words import engine_words, plain_words

    for path in ("/srv/noi-vu/evidence/vung-tau-2024/phuong-5.yaml", "C:\\Users\\noivu\\minh-chung\\phuong-5.yaml",
                 "./phuong-5.yaml", "evidence/vung-tau-2024/phuong-5.yaml"):
        text = plain_words(f"Cảnh báo dữ liệu: {path} [metrics[0].value, dòng 56]: số liệu mâu thuẫn")
        assert text == "Cảnh báo dữ liệu: tệp minh chứng [dòng 56]: số liệu mâu thuẫn", text
        assert engine_words(text) == []


def test_a_typed_minus_zero_prints_as_written_in_every_document_format(tmp_path):
    """Documents draw each distinct cell once; -0.0 equals 0.0, so the sign must be part of what is remembered
    (else whichever zero is drawn first decides the text of the others)."""
    import io
    import re as re_module
    import zipfile

    from conftest import SAMPLE_CRITERIA, SAMPLE_EVIDENCE

    from engine import api

    folder = tmp_path / "ev"
    folder.mkdir()
    (folder / "phuong-4.yaml").write_bytes((Path(SAMPLE_EVIDENCE) / "phuong-4.yaml").read_bytes())
    text = (Path(SAMPLE_EVIDENCE) / "phuong-1.yaml").read_text(encoding="utf-8")
    text = re_module.sub(r"(- name: (?:dossiers_online|payments_online)\n\s+value: )\S+", r"\g<1>-0.0", text)
    (folder / "phuong-1.yaml").write_text(text, encoding="utf-8")
    run = api.score_files(SAMPLE_CRITERIA, [folder])
    assert any(str(n.points) == "-0.0" for n in run.unit("phuong-1").nodes), "the edit must give a -0 point"
    assert "| -0 |" in api.report(run, "md", SAMPLE_CRITERIA).decode("utf-8")
    with zipfile.ZipFile(io.BytesIO(api.report(run, "docx", SAMPLE_CRITERIA))) as docx:
        assert ">-0<" in docx.read("word/document.xml").decode("utf-8")
    with zipfile.ZipFile(io.BytesIO(api.report(run, "xlsx", SAMPLE_CRITERIA))) as xlsx:
        assert any("<v>-0</v>" in xlsx.read(n).decode("utf-8") for n in xlsx.namelist() if n.startswith("xl/worksheets/"))


def test_svg_charts_escape_every_text_and_attribute():
    from engine.render.reports.html import charts, svg_chart

    hostile = '"><script>x</script>\' onload=\'y'
    drawn = charts([hostile], [(hostile, "#fff\"/><g", [50.0])])
    for chart in (drawn["wide"], drawn["narrow"]):
        svg = str(svg_chart(chart, hostile, "chart-wide"))
        assert "<script" not in svg and "onload='" not in svg and '"><' not in svg.replace('"><title>', "")
        assert "&#34;&gt;&lt;script&gt;x&lt;/script&gt;&#39; onload=&#39;y" in svg
        assert svg.count("<svg") == 1 and svg.endswith("</svg>\n")


_LOST_TEMPLATE = """\
  {% for i in lost %}
  <div class="lost st-border-{{ i.status }}">
    <h5>{{ i.id }} {{ i.title }} — mất {{ i.points|num }} / {{ i.max_points|num }} điểm <span class="badge st-{{ i.status }}">{{ i.status_label }}</span></h5>
    <dl class="trail">
      <dt>Quy tắc</dt><dd>{{ i.rule }}</dd>
      <dt>Yêu cầu</dt><dd>{{ i.expected }}</dd>
      <dt>Thực tế</dt><dd>{% if i.observed %}<ul>{% for obs in i.observed %}<li>{{ obs.name }}: {{ obs.value }}{% if obs.ref %} <span class="muted">({{ obs.ref }})</span>{% endif %}</li>{% endfor %}</ul>{% else %}không có minh chứng{% endif %}</dd>
      <dt>Kết luận</dt><dd>{{ i.branch }}</dd>
      {% for problem in i.problems %}<dt>Lỗi dữ liệu</dt><dd class="problem">{{ problem }}</dd>{% endfor %}
      {% if i.missing %}<dt>Minh chứng còn thiếu</dt><dd>{{ i.missing|join("; ") }}</dd>{% endif %}
      <dt>Nhiệm vụ khắc phục</dt><dd>{{ i.task }}{% if i.product %}<br><span class="muted">Sản phẩm:</span> {{ i.product }}{% endif %}{% if i.lead %}<br><span class="muted">Chủ trì:</span> {{ i.lead }}{% endif %}{% if i.cooperating %}; <span class="muted">phối hợp:</span> {{ i.cooperating|join(", ") }}{% endif %}{% if i.deadline %}<br><span class="muted">Thời gian:</span> {{ i.deadline }}{% endif %}</dd>
    </dl>
  </div>
  {% endfor %}
  {% for i in lost %}
  <div class="lost st-border-not_due">
    <h5>{{ i.id }} {{ i.title }} — {{ i.points|num }} điểm chưa chấm <span class="badge st-not_due">{{ i.status_label }}</span></h5>
    <dl class="trail">
      <dt>Yêu cầu</dt><dd>{{ i.expected }}</dd>
      <dt>Hiện trạng</dt><dd>{{ i.branch }}</dd>
      <dt>Việc cần làm đúng hạn</dt><dd>{{ i.task }}{% if i.lead %}<br><span class="muted">Chủ trì:</span> {{ i.lead }}{% endif %}{% if i.deadline %}<br><span class="muted">Thời gian:</span> {{ i.deadline }}{% endif %}</dd>
    </dl>
  </div>
  {% endfor %}
"""
"""The template's own text for lost and not-yet-due criteria before they were written in Python (html._lost_html)."""

_TEXT = st.text(alphabet=st.sampled_from("ađ<>&\"' ;{}%#\n\\éỷ"), max_size=12)
_MAYBE = st.one_of(st.none(), st.just(""), _TEXT)


@given(st.lists(st.fixed_dictionaries({
    "id": _TEXT, "title": _TEXT, "status": _TEXT, "status_label": _TEXT, "rule": _TEXT, "expected": _TEXT,
    "branch": _TEXT, "task": _TEXT, "product": _MAYBE, "lead": _MAYBE, "deadline": _MAYBE,
    "points": st.floats(0, 100, allow_nan=False), "max_points": st.floats(0, 100, allow_nan=False),
    "problems": st.lists(_TEXT, max_size=2), "missing": st.lists(_TEXT, max_size=2),
    "cooperating": st.lists(_TEXT, max_size=2),
    "observed": st.lists(st.fixed_dictionaries({"name": _TEXT, "value": _TEXT, "ref": _MAYBE}), max_size=2)}),
    max_size=3))
def test_criteria_trails_written_in_python_are_the_templates_text_every_text_escaped(lost):
    from engine.render.reports import html

    expected = html._environment().from_string(_LOST_TEMPLATE).render(lost=lost)
    assert "".join(html._lost_html(i) for i in lost) + "".join(html._due_html(i) for i in lost) == expected


def test_xlsx_texts_numbers_and_footer_read_back_as_drawn():
    """Texts go through the shared strings (each distinct text once), numbers keep a zero's sign, a repeated row is
    written again the same, and an unusual check code reaches the footer as openpyxl writes it."""
    from engine.render.reports.document import Column, Part, Row, Table, Total
    from engine.render.reports.render import to_xlsx

    texts = (" lead", "trail ", "a & b <c> \"d\"", "dòng 1\ndòng 2", "=SUM(A1)", "Tiêu chí lặp lại")
    columns = (Column(header="Nội dung", width=30), Column(header="Điểm", width=8, kind="number"),
               Column(header="Tổng", width=8, kind="number"))
    rows = tuple(Row(cells=(text, value, Total(value=value, formula="ROUND(SUM({0:1}),2)")))
                 for text, value in zip(texts, (1.0, -0.0, 0.0, 2, 2.0, 0.0)))
    table = Table(columns=columns, rows=rows + rows[-1:], freeze=True)
    parts = [Part(name=name, blocks=(table,), check_code=code)
             for name, code in (("Một", "72B0-085F"), ("Hai", "A&[Page]<x>"))]
    data = to_xlsx(parts)
    assert to_xlsx(parts) == data
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet, code in zip(book.worksheets, ("72B0-085F", "A&[Page]<x>")):
        values = [[c.value for c in r] for r in sheet.iter_rows(min_row=2, max_row=8)]
        assert [v[0] for v in values] == [*texts[:4], "'=SUM(A1)", texts[5], texts[5]]
        assert [v[1] for v in values] == [1, 0, 0, 2, 2, 0, 0]
        assert all(v[2] == "=ROUND(SUM(B2),2)" for v in values)
        assert sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
        assert sheet.oddFooter.right.text.endswith(code.replace("&[Page]", "&P"))
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True).worksheets[0]
    assert [cached.cell(row, 3).value for row in range(2, 9)] == [1, 0, 0, 2, 2, 0, 0]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode("ascii")
        shared = archive.read("xl/sharedStrings.xml").decode("utf-8")
    assert shared.count("Tiêu chí lặp lại") == 1 and '<t xml:space="preserve"> lead</t>' in shared
    assert '<c r="B3" s="' in sheet and "<v>-0</v>" in sheet and "<v>-0.0</v>" in sheet
