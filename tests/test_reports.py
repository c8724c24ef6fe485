"""Reports people read: scoring sheet (XLSX/DOCX/MD), corrective plans, province view, HTML report, CLI."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from docx import Document
from typer.testing import CliRunner

from engine.core.vnformat import format_number
from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.render.reports import (
    criterion_losses,
    html_report,
    plan_document,
    province_plan,
    province_view,
    report_document,
    unit_plan,
    unit_rows,
)
from engine.render.reports.common import roman
from engine.render.reports.plan import plan_rows
from engine.render.reports.render import md_escape, sheet_name
from engine.render.reports.sheet import INDEX_LABEL, SHEET_COLUMNS, SUMMARY_NAME, TOTAL_LABEL
from engine.render.text import lost_points
from engine.score.run import score_run

ROOT = Path(__file__).resolve().parent.parent
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
SAMPLE = ROOT / "evidence" / "vung-tau-2024"
SHEET_HEADERS = [c.header for c in SHEET_COLUMNS]
PLAN_HEADERS = ["STT", "Nhiệm vụ", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]
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
def workbook(run, bands):
    return openpyxl.load_workbook(io.BytesIO(report_document(run, "xlsx", bands)))


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


def _rows_after(sheet, header: int):
    """Values of the table rows below a header, up to the first blank row."""
    rows = []
    for row in sheet.iter_rows(min_row=header + 1, values_only=False):
        if all(c.value is None for c in row):
            break
        rows.append(row)
    return rows


# ---------------------------------------------------------------- scoring sheet


def test_unit_sheets_have_the_scoring_sheet_headers_frozen(run, workbook):
    assert workbook.sheetnames[0] == SUMMARY_NAME
    assert len(workbook.sheetnames) == 1 + len(run.units)
    for unit in run.units:
        sheet = workbook[unit.name]
        header = _header_row(sheet)
        assert [c.value for c in sheet[header]][:6] == SHEET_HEADERS
        assert sheet.freeze_panes == f"A{header + 1}"
        assert all(sheet.cell(header, col).font.b for col in range(1, 7))


def test_area_rows_bold_and_leaves_indented_by_depth(run, workbook):
    unit = run.unit("phuong-3")
    sheet = workbook[unit.name]
    rows = _rows_after(sheet, _header_row(sheet))
    by_id = {r[0].value: r for r in rows if r[0].value}
    for node in unit.nodes:
        row = by_id[node.id]
        assert row[1].value == node.title
        assert bool(row[1].font.b) == (node.depth == 0), node.id
        assert row[1].alignment.indent == node.depth
        assert row[2].value == node.max_points and row[3].value == node.points
    leaf = next(n for n in unit.nodes if n.id == "1.1.1")
    assert by_id["1.1.1"][4].value == "\n".join(leaf.evidence_refs)
    assert by_id["1.1.1"][5].value.startswith("đạt")


def test_totals_equal_unit_points_index_and_band(run, workbook):
    for unit in run.units:
        sheet = workbook[unit.name]
        rows = {r[1].value: r for r in _rows_after(sheet, _header_row(sheet)) if r[0].value is None}
        assert rows[TOTAL_LABEL][3].value == unit.points
        assert rows[TOTAL_LABEL][2].value == unit.max_points
        assert rows[INDEX_LABEL][3].value == unit.index_pct
        assert rows["Xếp loại"][3].value == unit.band
        assert rows["Xếp hạng"][3].value == unit.rank
        area_rows = [r for r in _rows_after(sheet, _header_row(sheet)) if r[0].value and "." not in r[0].value
                     and r[0].value.isdigit()]
        assert sum(r[3].value for r in area_rows) == pytest.approx(rows["Cộng điểm các lĩnh vực"][3].value)
        assert rows["Cộng điểm các lĩnh vực"][3].value + unit.bonus - unit.penalty == pytest.approx(unit.points)


def test_adjustment_rows_show_penalties_as_negative_points(run):
    unit = run.unit("phuong-3")
    rows = unit_rows(unit)
    penalty = next(r for r in rows if r.cells[0] == "P1")
    assert penalty.cells[1].startswith("Điểm trừ: ")
    assert penalty.cells[3] == 0 and str(penalty.cells[3]) == "0.0"
    assert penalty.cells[5][0].startswith("không bị trừ điểm")


def test_summary_sheet_ranks_units_with_area_indices_and_band_counts(run, workbook):
    sheet = workbook[SUMMARY_NAME]
    header = _header_row(sheet, "Hạng")
    headers = [c.value for c in sheet[header] if c.value]
    assert headers[:8] == ["Hạng", "Mã đơn vị", "Tên đơn vị", "Điểm", "Điểm tối đa", "Chỉ số (%)", "Xếp loại",
                           "Lỗi dữ liệu"]
    assert headers[8] == f"1. {run.units[0].areas[0].title} (%)"
    rows = _rows_after(sheet, header)
    ranked = [r for r in rows if r[1].value]
    assert [r[2].value for r in ranked] == [u.name for u in run.units]
    ranks = [r[0].value for r in ranked]
    assert ranks == sorted(ranks) and ranks[0] == 1
    indices = [r[5].value for r in ranked]
    assert indices == sorted(indices, reverse=True)
    assert ranked[0][8].value == run.units[0].areas[0].index_pct
    assert rows[-1][2].value == "Bình quân"
    band_header = _header_row(sheet, "Xếp loại")
    counts = {r[0].value: r[1].value for r in _rows_after(sheet, band_header)}
    assert counts["Khá"] == sum(1 for u in run.units if u.band == "Khá")
    assert counts["Trung bình"] == sum(1 for u in run.units if u.band == "Trung bình")
    assert counts["Xuất sắc"] == 0
    assert list(counts) == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]


def test_docx_opens_and_holds_one_scoring_table_per_unit(run, bands):
    document = Document(io.BytesIO(report_document(run, "docx", bands)))
    tables = [t for t in document.tables if [c.text for c in t.rows[0].cells] == SHEET_HEADERS]
    assert len(tables) == len(run.units)
    first = tables[0]
    unit = run.units[0]
    total = next(r for r in first.rows if r.cells[1].text == TOTAL_LABEL)
    assert total.cells[3].text == format_number(unit.points)
    assert any(r.cells[0].text == "1.1.1" for r in first.rows)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH" in text
    summary = document.tables[0]
    assert [c.text for c in summary.rows[0].cells][:3] == ["Hạng", "Mã đơn vị", "Tên đơn vị"]
    signatures = [t for t in document.tables if t.rows[0].cells[0].text.startswith("NGƯỜI LẬP BIỂU")]
    assert len(signatures) == len(run.units)


def test_markdown_sheet_has_header_rows_and_vietnamese_numbers(run, bands):
    text = report_document(run, "md", bands).decode("utf-8")
    assert "| " + " | ".join(SHEET_HEADERS) + " |" in text
    assert text.count("| " + " | ".join(SHEET_HEADERS) + " |") == len(run.units)
    unit = run.unit("phuong-3")
    assert f"| **{TOTAL_LABEL}** | **{format_number(unit.max_points)}** | **{format_number(unit.points)}** |" in text
    assert "46,02" in text  # Phường 3: 3.2.1 and 3.5.1 not scored while digitized exceeds resolved


def test_office_outputs_are_byte_identical_between_runs(hostile_run, bands):
    for fmt in ("xlsx", "docx"):
        assert report_document(hostile_run, fmt, bands) == report_document(hostile_run, fmt, bands)
        assert plan_document(hostile_run, fmt, True, bands) == plan_document(hostile_run, fmt, True, bands)


# ---------------------------------------------------------------- corrective plans


def test_roman_numerals():
    assert [roman(n) for n in (1, 2, 3, 4, 5, 8, 9, 14, 40, 49)] == [
        "I", "II", "III", "IV", "V", "VIII", "IX", "XIV", "XL", "XLIX"]


def test_unit_plan_groups_by_area_and_orders_by_recoverable_points(run):
    unit = run.unit("phuong-12")
    plan = unit_plan(unit, run.criteria_set.title)
    totals = [s.recoverable_points for s in plan.sections]
    assert totals == sorted(totals, reverse=True) and len(totals) > 2
    for section in plan.sections:
        points = [t.recoverable_points for t in section.tasks]
        assert points == sorted(points, reverse=True)
        assert all(t.area == section.area for t in section.tasks)
        assert section.recoverable_points == pytest.approx(sum(points))
    planned = sorted(t.criterion for s in plan.sections for t in s.tasks)
    assert planned == sorted(n.id for n in lost_points(unit))
    assert plan.recoverable_points == pytest.approx(sum(n.remediation.recoverable_points for n in lost_points(unit)))


def test_plan_rows_have_roman_sections_and_running_task_numbers(run):
    plan = unit_plan(run.unit("phuong-12"), run.criteria_set.title)
    rows = plan_rows(plan)
    sections = [r for r in rows if r.style == "section"]
    assert [r.cells[0].split(".")[0] for r in sections] == [roman(i) for i in range(1, len(plan.sections) + 1)]
    assert sections[0].cells[0].startswith(f"I. {plan.sections[0].area_title}")
    assert all(r.span for r in sections)
    numbers = [r.cells[0] for r in rows if r.style == "normal"]
    assert numbers == [str(i) for i in range(1, plan.task_count + 1)]
    first_task = plan.sections[0].tasks[0]
    task_row = rows[1]
    assert task_row.cells[1][0] == first_task.task
    assert f"Tiêu chí {first_task.criterion}" in task_row.cells[1][-1]
    assert format_number(first_task.recoverable_points) + " điểm" in task_row.cells[1][-1]


def test_plan_xlsx_layout_sections_merged(run, bands):
    workbook = openpyxl.load_workbook(io.BytesIO(plan_document(run, "xlsx", False, bands)))
    assert workbook.sheetnames == [u.name for u in run.units]
    sheet = workbook[run.units[0].name]
    header = _header_row(sheet)
    assert [c.value for c in sheet[header]] == PLAN_HEADERS
    first = sheet.cell(header + 1, 1)
    assert first.value.startswith("I. ") and first.font.b
    assert f"A{header + 1}:F{header + 1}" in {str(m) for m in sheet.merged_cells.ranges}
    assert sheet.cell(header + 2, 1).value == "1"


def test_plan_docx_and_markdown_have_the_appendix_columns(run, bands):
    document = Document(io.BytesIO(plan_document(run, "docx", False, bands)))
    plans = [t for t in document.tables if [c.text for c in t.rows[0].cells] == PLAN_HEADERS]
    assert len(plans) == len(run.units)
    assert plans[0].rows[1].cells[0].text.startswith("I. ")
    text = plan_document(run, "md", False, bands).decode("utf-8")
    assert text.count("| " + " | ".join(PLAN_HEADERS) + " |") == len(run.units)
    assert "| **I. " in text


def test_province_plan_merges_units_with_the_same_gap_and_names_them(run):
    plan = province_plan(run)
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
    totals = [s.recoverable_points for s in plan.sections]
    assert totals == sorted(totals, reverse=True)
    for section in plan.sections:
        points = [t.recoverable_points for t in section.tasks]
        assert points == sorted(points, reverse=True)
    for task in tasks:
        assert all(u.name not in (task.lead or "") for u in task.units), task.lead


def test_province_plan_file_names_the_units_in_the_task_cell(run, bands):
    workbook = openpyxl.load_workbook(io.BytesIO(plan_document(run, "xlsx", True, bands)))
    assert workbook.sheetnames == ["Kế hoạch khắc phục", "Tổng hợp tiêu chí"]
    sheet = workbook["Kế hoạch khắc phục"]
    rows = _rows_after(sheet, _header_row(sheet))
    cells = [r[1].value for r in rows if r[1].value and "Tiêu chí 3.5.1 " in r[1].value]
    losers = [u for u in run.units if any(n.id == "3.5.1" for n in lost_points(u))]
    counts = [int(c.split("Đơn vị thực hiện (")[1].split(")")[0]) for c in cells]
    assert sum(counts) == len(losers)
    for unit in losers:
        assert any(unit.name in cell for cell in cells)
    task_rows = [r for r in rows if r[0].value and not r[0].value.startswith(("I", "V", "X"))]
    groups = {(n.id, n.status == "data_error") for u in run.units for n in lost_points(u)}
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


# ---------------------------------------------------------------- safety


def test_xlsx_neutralises_formulas_from_evidence(hostile_run, tmp_path):
    workbook = openpyxl.load_workbook(io.BytesIO(report_document(hostile_run, "xlsx")))
    plan = openpyxl.load_workbook(io.BytesIO(plan_document(hostile_run, "xlsx", True)))
    seen = []
    for book in (workbook, plan):
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        assert not cell.value.startswith(("=", "+", "-", "@")), (sheet.title, cell.coordinate, cell.value)
                        seen.append(cell.value)
    assert any(v.startswith("'" + HOSTILE_NUMBER) for v in seen)
    assert any(v.startswith("'" + HOSTILE_NAME) for v in seen)
    hostile_sheet = next(s for s in workbook.sheetnames if "onerror" in s)
    assert len(hostile_sheet) <= 31 and hostile_sheet.startswith("-2+3")


def test_html_escapes_hostile_text(hostile_run):
    html = html_report(hostile_run)
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
    assert node.explanation.rule.replace("'", "&#39;") in html
    assert node.remediation.task.replace("'", "&#39;").replace("(", "(") in html


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
