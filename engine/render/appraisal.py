"""The round workbooks: the appraisal workbook (appraisers) and the explanation workbook (units), written reproducibly.

Per criterion: the maximum, the points computed from the evidence, the unit's self-score, the points
standing, the unit's notes and evidence and the earlier appraisal and explanation trail, all locked;
the cells to fill are unlocked, with dropdowns and limits. The hidden sheet names the unit, the
assessment, the criteria set's content hash and the round, so a workbook read back is checked
against the record it joins.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.core.vnformat import format_date, format_number
from engine.load.appraisal import (
    APPRAISAL_COLUMNS,
    APPRAISER_CHOICES,
    EXPLANATION_COLUMNS,
    FIRST_ROW,
    GUIDE_FIELDS,
    GUIDE_FIRST_ROW,
    GUIDE_LABELS,
    HEADER_ROW,
    META_KEYS,
    META_LABELS,
    META_ROWS_START,
    SHEET_APPRAISAL,
    SHEET_EXPLANATION,
    SHEET_GUIDE,
    SHEET_META,
    WORKBOOK_VERSION,
)
from engine.load.assessment import LoadedAssessment
from engine.load.workbook import NO, YES, Column
from engine.model.assessment import ROLE_LABELS, ROUND_LABELS, ROUNDS
from engine.model.results import RoundEntry, UnitResult
from engine.render.data import safe_cell
from engine.render.workbook import (
    _list_validation,
    _number_validation,
    _reproducible,
)
from engine.render.xlsx_styles import styles
from engine.score.rounds import when

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

def _text(cell, value: Any) -> None:
    cell.value = safe_cell(value)
    if isinstance(value, str):
        cell.data_type = "s"


def _entry_text(entry: RoundEntry) -> str:
    head = f"{ROUND_LABELS[entry.round].capitalize()} {when(entry.at)}, {entry.by} ({ROLE_LABELS[entry.role]})"
    if entry.points is not None:
        head += f": {format_number(entry.points)} điểm"
    parts = [head]
    if entry.reason:
        parts.append(entry.reason)
    if entry.explanation_requested:
        parts.append(f"Yêu cầu giải trình: {entry.question}")
    if entry.evidence_refs:
        parts.append("Tài liệu: " + "; ".join(ref.cite() for ref in entry.evidence_refs))
    return ". ".join(parts)


def build_round_workbook(la: LoadedAssessment, unit: UnitResult, round_name: str) -> bytes:
    """The workbook of one unit for one appraisal round or for its explanation; same inputs, same bytes."""
    from openpyxl import Workbook
    explanation = round_name == "explanation"
    columns = EXPLANATION_COLUMNS if explanation else APPRAISAL_COLUMNS
    previous = ROUNDS[ROUNDS.index(round_name) - 1]
    assessment = la.assessment
    items = [n for n in unit.nodes if n.is_leaf] + list(unit.adjustments)
    wb = Workbook()
    guide = wb.active
    guide.title = SHEET_GUIDE
    data = wb.create_sheet(SHEET_EXPLANATION if explanation else SHEET_APPRAISAL)
    meta = wb.create_sheet(SHEET_META)
    _guide(guide, la, unit, round_name)
    title = (f"{'GIẢI TRÌNH' if explanation else ROUND_LABELS[round_name].upper()} — {unit.name} — hạn "
             f"{format_date(assessment.schedule.deadline(round_name))}")
    _header(data, columns, title)
    requested_rows = []
    for offset, item in enumerate(items):
        row = FIRST_ROW + offset
        steps = {step.round: step for step in item.by_round}
        standing = steps[previous].points if steps else item.final_points
        computed = steps[round_name].computed_points if steps else item.computed_points
        self_notes = [e for e in item.rounds if e.role == "unit" and e.round == "self"]
        earlier = [e for e in item.rounds if ROUNDS.index(e.round) > 0 and ROUNDS.index(e.round) < ROUNDS.index(round_name)]
        open_question = next((e.question for e in reversed(earlier) if e.explanation_requested), None)
        values: dict[str, Any] = {
            "criterion": item.id, "title": item.title, "max": item.max_points, "computed": computed,
            "self": item.self_points, "standing": standing,
            "unit_note": "\n".join([_entry_text(e) for e in self_notes]
                                   + (["Minh chứng: " + "; ".join(item.evidence_refs)]
                                      if getattr(item, "evidence_refs", None) else [])) or None,
            "trail": "\n".join(_entry_text(e) for e in earlier) or None,
            "question": open_question if explanation else None,
        }
        for index, column in enumerate(columns, start=1):
            cell = data.cell(row=row, column=index)
            if column.kind == "info":
                _text(cell, values.get(column.key))
                cell.fill = styles().info_fill
            else:
                cell.protection = styles().unlocked
            cell.border = styles().border
            cell.alignment = styles().wrap
            if column.kind == "points" or column.key in ("max", "computed", "self", "standing"):
                cell.number_format = "0.00"
        if explanation and open_question:
            requested_rows.append(row)
            for index in (1, 2):
                data.cell(row=row, column=index).fill = styles().warn_fill
        if not explanation:
            letter = _letter(columns, "points")
            validation = _number_validation(maximum=item.max_points)
            validation.add(f"{letter}{row}")
            data.add_data_validation(validation)
    last = FIRST_ROW + len(items) - 1
    if not explanation:
        letter = _letter(columns, "requested")
        choice = _list_validation(f'"{YES},{NO}"', "Chọn Có nếu đơn vị phải giải trình tiêu chí này.")
        choice.add(f"{letter}{FIRST_ROW}:{letter}{last}")
        data.add_data_validation(choice)
    _protect(data)
    _meta(meta, la, unit, round_name, [item.id for item in items])
    _protect(guide)
    wb.properties.creator = "parindex"
    wb.properties.title = f"{ROUND_LABELS[round_name].capitalize()} — {unit.name}"
    wb.properties.created = datetime(assessment.year, 1, 1)
    wb.properties.lastModifiedBy = "parindex"
    buffer = io.BytesIO()
    wb.save(buffer)
    return _reproducible(buffer.getvalue(), f"{assessment.year:04d}-01-01T00:00:00Z")


def _letter(columns: tuple[Column, ...], key: str) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter([c.key for c in columns].index(key) + 1)


def _protect(ws: Worksheet) -> None:
    """Locked cells cannot be edited (no password: this guards against slips, not against intent)."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False


def _header(ws: Worksheet, columns: tuple[Column, ...], title: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    _text(ws.cell(row=1, column=1), title)
    ws.cell(row=1, column=1).font = Font(bold=True, size=12, color="1F4E78")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.font, cell.fill, cell.border = styles().header_font, styles().header_fill, styles().border
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = f"C{FIRST_ROW}"


def _guide(ws: Worksheet, la: LoadedAssessment, unit: UnitResult, round_name: str) -> None:
    from openpyxl.styles import Font
    explanation = round_name == "explanation"
    schedule = la.assessment.schedule
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 50
    ws.column_dimensions["C"].width = 70
    _text(ws["A1"], ("BẢNG GIẢI TRÌNH" if explanation else f"BẢNG {ROUND_LABELS[round_name].upper()}")
          + f" CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {la.assessment.year}")
    ws["A1"].font = styles().title_font
    info = [("Đợt đánh giá", la.assessment.title), ("Bộ chỉ số", la.criteria.criteria.title),
            ("Đơn vị", unit.name), ("Vòng", ROUND_LABELS[round_name]),
            ("Hạn", format_date(schedule.deadline(round_name))),
            ("Điểm hiện tại", f"{format_number(unit.final_points)} điểm, chỉ số "
                              f"{'-' if unit.final_index_pct is None else format_number(unit.final_index_pct)}%")]
    for offset, (label, value) in enumerate(info, start=2):
        ws.cell(row=offset, column=1, value=label).font = Font(bold=True)
        _text(ws.cell(row=offset, column=2), value)
    for offset, key in enumerate(GUIDE_FIELDS):
        row = GUIDE_FIRST_ROW + offset
        label = GUIDE_LABELS[key]
        if explanation and key == "role":
            label = "Vai trò"
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=row, column=2)
        cell.border = styles().border
        if explanation and key == "role":
            _text(cell, "Đơn vị")
            cell.fill = styles().info_fill
        else:
            cell.protection = styles().unlocked
    if not explanation:
        roles = _list_validation('"' + ",".join(APPRAISER_CHOICES) + '"', "Chọn vai trò của người thẩm định.")
        roles.add(f"B{GUIDE_FIRST_ROW + 1}")
        ws.add_data_validation(roles)
    done = _list_validation(f'"{YES},{NO}"', "Chọn Có khi đã thẩm định (giải trình) xong mọi tiêu chí.")
    done.add(f"B{GUIDE_FIRST_ROW + 2}")
    ws.add_data_validation(done)
    row = GUIDE_FIRST_ROW + len(GUIDE_FIELDS) + 1
    ws.cell(row=row, column=1, value="HƯỚNG DẪN").font = Font(bold=True, color="1F4E78")
    for paragraph in _instructions(explanation):
        row += 1
        cell = ws.cell(row=row, column=1)
        _text(cell, paragraph)
        cell.alignment = styles().wrap
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        ws.row_dimensions[row].height = 15 * (1 + len(paragraph) // 120) + 3


def _instructions(explanation: bool) -> list[str]:
    if explanation:
        return [
            "1. Sheet 'Giải trình' có mọi tiêu chí; dòng tô màu là tiêu chí thẩm định yêu cầu giải trình. Ghi nội dung "
            "giải trình ở cột 'Giải trình của đơn vị' và các tài liệu bổ sung ở cột 'Minh chứng bổ sung' "
            "(ví dụ: Quyết định kiện toàn bộ máy, số 215/QĐ-UBND, Điều 1; Báo cáo quý I, trang 3).",
            "2. Giải trình không kèm điểm: thẩm định vòng 2 chấm lại. Tài liệu mới phải được nộp lại trong bộ minh chứng "
            "để phần mềm tính lại điểm.",
            "3. Ô nền xám không sửa được. Không thêm, xóa hay sắp xếp lại dòng, cột, sheet.",
            "4. Ghi họ tên người giải trình; chọn 'Có' ở 'Đã hoàn thành vòng này' khi đã giải trình xong.",
        ]
    return [
        "1. Sheet 'Thẩm định' có mọi tiêu chí: điểm tối đa, điểm phần mềm tính từ minh chứng, điểm tự chấm, điểm đang "
        "có hiệu lực, ghi chú và minh chứng của đơn vị, các lần thẩm định và giải trình trước.",
        "2. Chỉ điền khi thay đổi điểm hoặc có nhận xét: 'Điểm thẩm định' (từ 0 đến điểm tối đa), 'Nhận xét, lý do "
        "thay đổi điểm' (bắt buộc khi điểm khác điểm đang có hoặc điểm tính từ minh chứng), 'Yêu cầu giải trình' "
        "(Có/Không) kèm 'Nội dung cần giải trình', và 'Tài liệu căn cứ' (tên, số, trang; cách nhau bằng dấu ;). "
        "Dòng để trống nghĩa là giữ điểm đang có.",
        "3. Tiêu chí điều tra xã hội học chỉ lấy điểm từ kết quả điều tra; tổng điểm thưởng, điểm trừ không vượt mức "
        "tối đa của năm. Phần mềm từ chối mục không hợp lệ và nêu rõ ô cần sửa.",
        "4. Ô nền xám không sửa được. Không thêm, xóa hay sắp xếp lại dòng, cột, sheet.",
        "5. Ghi họ tên, chọn vai trò; chọn 'Có' ở 'Đã hoàn thành vòng này' khi đã thẩm định xong đơn vị.",
    ]


def _meta(ws: Worksheet, la: LoadedAssessment, unit: UnitResult, round_name: str, criteria: list[str]) -> None:
    values = {"unit": unit.unit_id, "assessment": la.assessment.id, "criteria_hash": la.criteria.digest,
              "round": round_name, "version": WORKBOOK_VERSION}
    ws["A1"], ws["B1"] = "Thông tin", "Giá trị"
    for offset, key in enumerate(META_KEYS, start=2):
        ws.cell(row=offset, column=1, value=META_LABELS[key])
        _text(ws.cell(row=offset, column=2), values[key])
    ws.cell(row=META_ROWS_START - 1, column=1, value="Tiêu chí theo thứ tự dòng")
    for offset, criterion in enumerate(criteria):
        _text(ws.cell(row=META_ROWS_START + offset, column=1), criterion)
    ws.sheet_state = "hidden"
    _protect(ws)
