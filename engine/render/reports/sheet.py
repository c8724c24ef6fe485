"""The scoring sheet (bảng tự đánh giá, chấm điểm): one part per unit and a summary part (Tổng hợp).

`unit_rows` is the one place that turns a UnitResult into the sheet's rows; XLSX, DOCX and
Markdown all draw these rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.core.vnformat import format_date, format_number
from engine.model.criteria import Band
from engine.model.results import NodeResult, RunResult, UnitResult
from engine.render.reports.common import area_titles, average_area_index, average_index, band_labels, percent
from engine.render.reports.document import Column, Heading, Paragraph, Part, Row, Table, TwoColumns
from engine.render.reports.previous import previous_part

SHEET_TITLE = "BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
SUMMARY_TITLE = "TỔNG HỢP KẾT QUẢ TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
SUMMARY_NAME = "Tổng hợp"

SHEET_COLUMNS = (
    Column(header="STT", width=8),
    Column(header="Lĩnh vực / Tiêu chí / Tiêu chí thành phần", width=48),
    Column(header="Điểm tối đa", width=9, kind="number"),
    Column(header="Điểm tự đánh giá", width=10, kind="number"),
    Column(header="Tài liệu kiểm chứng", width=45),
    Column(header="Giải trình / Ghi chú", width=55),
)
TOTAL_LABEL = "TỔNG ĐIỂM"
INDEX_LABEL = "Chỉ số CCHC (%)"
NATIONAL_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


def node_note(node: NodeResult, area_index: float | None = None) -> tuple[str, ...]:
    """The 'Giải trình / Ghi chú' cell: status, the branch that applied, data problems, missing evidence."""
    if not node.is_leaf:
        if node.depth == 0:
            return (node.status_label, f"Chỉ số lĩnh vực: {percent(area_index)}")
        return (node.status_label,)
    exp = node.explanation
    if exp is None:
        lines = [node.status_label]
    elif exp.says_status:
        lines = [exp.branch]
    else:
        lines = [f"{node.status_label}: {exp.branch}"]
    if exp:
        lines += [f"Lỗi dữ liệu: {problem}" for problem in exp.problems]
    if node.missing and node.status != "pass" and (exp is None or not exp.lists_missing):
        lines.append(f"Minh chứng còn thiếu: {', '.join(node.missing)}")
    return tuple(lines)


def unit_rows(unit: UnitResult, peers: int | None = None) -> list[Row]:
    """Every node (bold area rows, indented by depth), bonus and penalty items, then totals, index, band, rank."""
    area_index = {a.id: a.index_pct for a in unit.areas}
    rows = [Row(cells=(node.id, node.title, node.max_points, node.points,
                       tuple(node.evidence_refs) if node.is_leaf else (), node_note(node, area_index.get(node.id))),
                style="area" if node.depth == 0 else "normal", indent=node.depth)
            for node in unit.nodes]
    area_points = round(sum(a.points for a in unit.areas), 6)
    excluded = round(unit.total_max_points - unit.max_points, 6)
    max_note = (f"Điểm tối đa áp dụng; {format_number(excluded)} điểm không áp dụng được loại khỏi điểm tối đa "
                f"(tổng theo bộ chỉ số: {format_number(unit.total_max_points)})",) if excluded > 0 else ()
    rows.append(Row(cells=("", "Cộng điểm các lĩnh vực", unit.max_points, area_points, (), max_note), style="total"))
    for adj in unit.adjustments:
        bonus = adj.kind == "bonus"
        refs = tuple(sorted({o.ref for o in adj.explanation.observed if o.ref}))
        if adj.points:
            effect = f"{'được cộng' if bonus else 'bị trừ'} {format_number(adj.points)} điểm"
        else:
            effect = "không được cộng điểm" if bonus else "không bị trừ điểm"
        rows.append(Row(cells=(adj.id, f"{'Điểm thưởng' if bonus else 'Điểm trừ'}: {adj.title}", adj.max_points,
                               adj.points if bonus else 0.0 - adj.points, refs, (f"{effect}: {adj.explanation.branch}",)),
                        indent=1))
    if unit.adjustments:
        rows.append(Row(cells=("", "Điểm thưởng được cộng (sau giới hạn)", None, unit.bonus), style="total"))
        rows.append(Row(cells=("", "Điểm trừ (sau giới hạn)", None, 0.0 - unit.penalty), style="total"))
    rank_note = (f"trong {peers} đơn vị cùng cấp",) if peers else ()
    rows += [
        Row(cells=("", TOTAL_LABEL, unit.max_points, unit.points, (), ()), style="total"),
        Row(cells=("", INDEX_LABEL, None, unit.index_pct, (), ()), style="total"),
        Row(cells=("", "Xếp loại", None, unit.band or "chưa xếp loại", (), ()), style="total"),
        Row(cells=("", "Xếp hạng", None, unit.rank if unit.rank is not None else "chưa xếp hạng", (), rank_note), style="total"),
    ]
    return rows


def unit_part(run: RunResult, unit: UnitResult) -> Part:
    peers = sum(1 for u in run.units if u.level == unit.level)
    ref = run.criteria_set
    blocks = [
        TwoColumns(left=(unit.name.upper(),), right=NATIONAL_MOTTO),
        Heading(text=SHEET_TITLE, center=True, formats=("xlsx", "docx")),
        Heading(text=f"{unit.name}: bảng tự đánh giá, chấm điểm", level=2, formats=("md",)),
        Paragraph(text=f"Đơn vị: {unit.name} ({unit.unit_id}) — {ref.title}", center=True),
        Paragraph(text=f"Số liệu chốt ngày {format_date(unit.as_of)}; minh chứng: {unit.evidence_file}; "
                       f"bộ chỉ số: {ref.file} (mã {ref.hash[:12]})", italic=True),
        Table(columns=SHEET_COLUMNS, rows=tuple(unit_rows(unit, peers)), indent_column=1, freeze=True),
    ]
    blocks += [Paragraph(text=f"Cảnh báo: {warning}", italic=True) for warning in unit.warnings]
    blocks.append(TwoColumns(left=("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"),
                             right=("THỦ TRƯỞNG ĐƠN VỊ", "(Ký tên, đóng dấu)")))
    return Part(name=unit.name, blocks=tuple(blocks))


def ranking_columns(run: RunResult) -> tuple[Column, ...]:
    return (
        Column(header="Hạng", width=6, kind="integer"),
        Column(header="Mã đơn vị", width=16),
        Column(header="Tên đơn vị", width=28),
        Column(header="Điểm", width=9, kind="number"),
        Column(header="Điểm tối đa", width=9, kind="number"),
        Column(header="Chỉ số (%)", width=9, kind="percent"),
        Column(header="Xếp loại", width=12),
        Column(header="Lỗi dữ liệu", width=8, kind="integer"),
    ) + tuple(Column(header=f"{area_id}. {title} (%)", width=13, kind="percent") for area_id, title in area_titles(run))


def ranking_rows(run: RunResult) -> list[Row]:
    """One row per unit in ranking order with the index per area, then the average row."""
    areas = [area_id for area_id, _ in area_titles(run)]
    rows = []
    for unit in run.units:
        per_area = {a.id: a.index_pct for a in unit.areas}
        rows.append(Row(cells=(unit.rank, unit.unit_id, unit.name, unit.points, unit.max_points, unit.index_pct,
                               unit.band or "", unit.data_problems) + tuple(per_area.get(a) for a in areas)))
    averages = average_area_index(run)
    rows.append(Row(cells=(None, "", "Bình quân", None, None, average_index(run.units), "", None)
                    + tuple(averages.get(a) for a in areas), style="total"))
    return rows


def band_rows(run: RunResult, bands: Sequence[Band] = ()) -> list[Row]:
    """Units per band, best band first, with their names; units without a band last."""
    rows = []
    for label in band_labels(run, bands):
        names = tuple(u.name for u in run.units if u.band == label)
        rows.append(Row(cells=(label, len(names), names)))
    unclassified = tuple(u.name for u in run.units if u.band is None)
    if unclassified:
        rows.append(Row(cells=("Chưa xếp loại", len(unclassified), unclassified)))
    return rows


BAND_COLUMNS = (Column(header="Xếp loại", width=16), Column(header="Số đơn vị", width=9, kind="integer"),
                Column(header="Đơn vị", width=60))


def summary_part(run: RunResult, bands: Sequence[Band] = ()) -> Part:
    ref = run.criteria_set
    return Part(name=SUMMARY_NAME, blocks=(
        Heading(text=SUMMARY_TITLE, center=True),
        Paragraph(text=f"{ref.title} — {len(run.units)} đơn vị", center=True),
        Paragraph(text=f"Bộ chỉ số: {ref.file} (mã {ref.hash[:12]})", italic=True),
        Table(columns=ranking_columns(run), rows=tuple(ranking_rows(run)), indent_column=None, freeze=True),
        Heading(text="Số đơn vị theo xếp loại", level=2),
        Table(columns=BAND_COLUMNS, rows=tuple(band_rows(run, bands))),
    ))


def scoring_parts(run: RunResult, bands: Sequence[Band] = ()) -> list[Part]:
    """The workbook of a run: the summary, then one part per unit in ranking order."""
    compared = previous_part(run)
    return [summary_part(run, bands)] + ([compared] if compared else []) + [unit_part(run, unit) for unit in run.units]
