"""The Excel evidence workbook a unit fills: sheets, dropdowns, instructions and the hidden catalog, written reproducibly."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

from engine.core.problems import InputError, Problem
from engine.core.vnformat import format_number, nfc
from engine.kinds.base import EvidenceUse
from engine.kinds.tree import CriteriaSet, Node, iter_nodes, leaf_max, set_levels
from engine.load.workbook import (
    CAT_DOC_CODE,
    CAT_DOC_LABEL,
    CAT_LEAF_ID,
    CAT_LEAF_MAX,
    CAT_LEAF_NA,
    CAT_LEAF_RULE,
    CAT_LEAF_TITLE,
    CAT_LEVEL_CODE,
    CAT_LEVELS,
    CAT_MANUAL,
    CAT_META_KEY,
    CAT_META_VALUE,
    CAT_METRIC_CODE,
    CAT_METRIC_LABEL,
    CAT_METRIC_TYPE,
    CAT_METRIC_UNIT,
    CAT_NA_CHOICE,
    CAT_SURVEY,
    DATA_ROWS,
    DATE_FORMAT,
    DOCUMENT_COLUMNS,
    FACT_TYPE,
    FIRST_ROW,
    HEADER_ROW,
    MANUAL_COLUMNS,
    METRIC_COLUMNS,
    NA_COLUMNS,
    NA_SEPARATOR,
    NO,
    NUMBER_TYPE,
    SHEET_CATALOG,
    SHEET_DOCUMENTS,
    SHEET_GUIDE,
    SHEET_MANUAL,
    SHEET_METRICS,
    SHEET_NA,
    SHEET_SURVEY,
    SHEET_TASKS,
    SURVEY_COLUMNS,
    TASK_COLUMNS,
    TASK_STATUSES,
    TEMPLATE_VERSION,
    UNIT_FIELDS,
    UNIT_FIRST_ROW,
    UNIT_REQUIRED,
    YES,
    Column,
)
from engine.model.criteria import DeadlineSpec
from engine.model.names import BUILTIN_METRICS, level_label
from engine.render.xlsx_styles import styles

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


ROW_PT = 15
"""Height of one line of 11 pt text with Vietnamese stacked marks."""


@dataclass
class _Usage:
    """Which criteria use each evidence name, and the deadlines documents have."""

    documents: dict[str, list[str]]
    deadlines: dict[str, list[str]]
    metrics: dict[str, list[str]]
    facts: dict[str, list[str]]


def _add(table: dict[str, list[str]], name: str, criterion: str) -> None:
    ids = table.setdefault(name, [])
    if criterion not in ids:
        ids.append(criterion)


def _deadline_words(spec: DeadlineSpec, year: int, grace_days: int = 0) -> str:
    text = spec.describe(year)
    if spec.date is not None or spec.day is not None:
        text = "không muộn hơn " + text
    if grace_days:
        text += f" (được trễ {grace_days} ngày)"
    return text


def _walk(uses: list[EvidenceUse], criterion: str, year: int, usage: _Usage) -> None:
    """Record each evidence name a rule or condition reads, and each document's deadline in words."""
    tables = {"document": usage.documents, "metric": usage.metrics, "fact": usage.facts}
    for use in uses:
        _add(tables[use.what], use.name, criterion)
        if use.deadline is not None:
            _add(usage.deadlines, use.name, f"{_deadline_words(use.deadline, year, use.grace_days)} ({criterion})")


def evidence_usage(criteria: CriteriaSet, year: int | None = None) -> _Usage:
    """Walk every leaf, condition and adjustment once, in the set's order."""
    year = criteria.year if year is None else year
    usage = _Usage({}, {}, {}, {})
    for node, _, _ in iter_nodes(criteria.items):
        if node.applicable_if is not None:
            _walk(node.applicable_if.evidence(), node.id, year, usage)
        if node.rule is not None:
            _walk(node.rule.evidence(), node.id, year, usage)
    for adjustment in criteria.adjustments:
        _walk(adjustment.rule.evidence(), adjustment.id, year, usage)
    return usage


def _document_choices(criteria: CriteriaSet) -> dict[str, str]:
    """Code → the label shown in the dropdown; labels used twice get their code appended."""
    labels = [nfc(entry.label).strip() for entry in criteria.catalog.documents.values()]
    return {code: (label if labels.count(label) == 1 else f"{label} ({code})")
            for code, label in zip(criteria.catalog.documents, labels)}


def _set_text(cell, value: Any) -> None:
    """Write a value; text starting with '=' stays text instead of becoming a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _no_formulas(wb: Workbook) -> None:
    """The template writes no formula: any text from the set that openpyxl took for one ('=...') stays text."""
    for ws in wb.worksheets:
        for cell in list(ws._cells.values()):  # the cells written; iter_rows would create the empty ones
            if cell.data_type == "f":
                cell.data_type = "s"


def _header(ws: Worksheet, columns: tuple[Column, ...], title: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=12, color="1F4E78")
    ws.row_dimensions[1].height = 32
    ws.cell(row=1, column=1).alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.font, cell.fill, cell.border = styles().header_font, styles().header_fill, styles().border
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.row_dimensions[HEADER_ROW].height = ROW_PT * max(_lines(c.header, c.width) for c in columns) + 4
    ws.freeze_panes = f"A{FIRST_ROW}"


def _format_rows(ws: Worksheet, columns: tuple[Column, ...], prefilled: int, locked: tuple[str, ...] = ()) -> None:
    """Borders, wrapping and number formats for the prefilled rows and a margin of blank rows.

    `locked` columns are filled by the template on the prefilled rows, so they are shaded like info columns.
    """
    from openpyxl.utils import get_column_letter
    last = FIRST_ROW + max(prefilled + 20, 30) - 1
    for row in range(FIRST_ROW, FIRST_ROW + DATA_ROWS):
        lines = 1
        for index, column in enumerate(columns, start=1):
            cell = ws.cell(row=row, column=index)
            filled_by_template = column.kind == "info" or (column.key in locked and row < FIRST_ROW + prefilled)
            cell.protection = styles().locked if filled_by_template else styles().unlocked
            if row > last:
                continue
            cell.border = styles().border
            cell.alignment = styles().wrap
            if filled_by_template:
                cell.fill = styles().info_fill
            if column.kind == "date":
                cell.number_format = DATE_FORMAT
            elif column.kind == "code":
                cell.number_format = "@"
            elif column.kind == "points":
                cell.number_format = "0.00"
            if isinstance(cell.value, str):
                lines = max(lines, _lines(cell.value, column.width))
        if row < FIRST_ROW + prefilled and lines > 1:
            ws.row_dimensions[row].height = ROW_PT * lines + 3
    ws.print_area = f"A1:{get_column_letter(len(columns))}{last}"
    ws.print_title_rows = f"1:{HEADER_ROW}"


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column of `width` characters: rows are sized so no mark is clipped."""
    return sum(max(1, -(-len(part) // max(int(width) - 1, 1))) for part in text.split("\n"))


def _protect_and_print(wb: Workbook) -> None:
    """Lock what the template fills (labels, computed and catalog cells) without a password; print A4 landscape.

    Input cells were unlocked where they are written; the workbook's structure is locked so sheets are
    neither renamed nor deleted (the reader finds them by name).
    """
    from openpyxl.workbook.protection import WorkbookProtection
    for ws in wb.worksheets:
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddFooter.center.text = "Trang &P"
    wb.security = WorkbookProtection(lockStructure=True)


def _column_range(columns: tuple[Column, ...], key: str) -> str:
    from openpyxl.utils import get_column_letter
    letter = get_column_letter([c.key for c in columns].index(key) + 1)
    return f"{letter}{FIRST_ROW}:{letter}{FIRST_ROW + DATA_ROWS - 1}"


def _validation(kind: str | None, **kwargs: Any) -> DataValidation:
    """A validation with a Vietnamese error box and prompt; blank cells always allowed."""
    from openpyxl.worksheet.datavalidation import DataValidation
    return DataValidation(type=kind, allow_blank=True, showErrorMessage=True, showInputMessage=True,
                          errorStyle="stop", **kwargs)


def _list_validation(formula: str, prompt: str) -> DataValidation:
    return _validation("list", formula1=formula, errorTitle="Giá trị không có trong danh sách",
                       error="Chọn một giá trị trong danh sách thả xuống.", promptTitle="Chọn từ danh sách",
                       prompt=prompt)


def _date_validation() -> DataValidation:
    return _validation("date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)",
                       errorTitle="Ngày không hợp lệ", error="Nhập ngày theo dạng dd/mm/yyyy, ví dụ 05/03/2024.",
                       promptTitle="Ngày tháng", prompt="Nhập theo dạng dd/mm/yyyy (ngày/tháng/năm).")


def _number_validation(whole: bool = False, maximum: float | None = None) -> DataValidation:
    if maximum is None:
        return _validation("whole" if whole else "decimal", operator="greaterThanOrEqual", formula1="0",
                           errorTitle="Số không hợp lệ", error="Nhập một số không âm, không kèm chữ hoặc đơn vị.",
                           promptTitle="Số", prompt="Nhập số không âm; dấu chấm phân cách hàng nghìn, dấu phẩy thập phân.")
    return _validation("decimal", operator="between", formula1="0", formula2=format(maximum, "g"),
                       errorTitle="Điểm không hợp lệ", error=f"Điểm phải từ 0 đến {format_number(maximum)}.",
                       promptTitle="Điểm", prompt=f"Điểm từ 0 đến {format_number(maximum)}.")


def _rows_ranges(column: str, rows: list[int]) -> list[str]:
    """Consecutive rows collapsed into ranges: [3, 4, 5, 9] → ["D3:D5", "D9"]."""
    out: list[tuple[int, int]] = []
    for row in sorted(rows):
        if out and out[-1][1] == row - 1:
            out[-1] = (out[-1][0], row)
        else:
            out.append((row, row))
    return [f"{column}{a}" if a == b else f"{column}{a}:{column}{b}" for a, b in out]


def _add_validation(ws: Worksheet, dv: DataValidation, *ranges: str) -> None:
    for cell_range in ranges:
        dv.add(cell_range)
    ws.add_data_validation(dv)


def _catalog_range(column: str, count: int) -> str:
    return f"'{SHEET_CATALOG}'!${column}$2:${column}${max(count, 1) + 1}"


def _yes_no() -> DataValidation:
    return _list_validation(f'"{YES},{NO}"', "Chọn Có hoặc Không.")


def build_template(criteria: CriteriaSet, unit_id: str, name: str | None = None, level: str | None = None,
                   year: int | None = None, criteria_digest: str = "") -> bytes:
    """The workbook for one unit as bytes; the same inputs always give the same bytes."""
    from openpyxl import Workbook
    levels = sorted(set_levels(criteria))
    level = level or criteria.level
    year = criteria.year if year is None else year
    problems = []
    if level not in levels:
        problems.append(Problem(code="args.unknown_level", file="(tham số)", path="--level", value=level,
                                message=f"cấp đơn vị không có trong bộ chỉ số {criteria.id}; dùng được: {', '.join(levels)}"))
    if not unit_id.strip():
        problems.append(Problem(code="args.missing_unit", file="(tham số)", path="--unit", value=unit_id,
                                message="thiếu mã đơn vị"))
    if problems:
        raise InputError(problems)
    usage = evidence_usage(criteria, year)
    leaves = [node for node, _, _ in iter_nodes(criteria.items) if node.is_leaf]

    wb = Workbook()
    guide = wb.active
    guide.title = SHEET_GUIDE
    _guide_sheet(guide, criteria, unit_id, name, level, year, levels, leaves)
    _documents_sheet(wb.create_sheet(SHEET_DOCUMENTS), criteria, usage)
    _metrics_sheet(wb.create_sheet(SHEET_METRICS), criteria, usage)
    _tasks_sheet(wb.create_sheet(SHEET_TASKS), year)
    manual = [n for n in leaves if n.rule.points_from == "manual"]
    survey = [n for n in leaves if n.rule.points_from == "survey" and not n.rule.counts_answers]
    allow_na = [n for n in leaves if n.not_applicable is not None]
    _manual_sheet(wb.create_sheet(SHEET_MANUAL), manual, level)
    _survey_sheet(wb.create_sheet(SHEET_SURVEY), survey, level)
    _na_sheet(wb.create_sheet(SHEET_NA), allow_na)
    _catalog_sheet(wb.create_sheet(SHEET_CATALOG), criteria, leaves, allow_na, manual, survey, levels, level, year,
                   criteria_digest)

    _no_formulas(wb)
    _protect_and_print(wb)
    wb.properties.creator = "parindex"
    wb.properties.title = f"Bộ minh chứng CCHC năm {year} — {name or unit_id}"
    wb.properties.created = datetime(year, 1, 1)
    wb.properties.lastModifiedBy = "parindex"
    buffer = io.BytesIO()
    wb.save(buffer)
    return _reproducible(buffer.getvalue(), f"{year:04d}-01-01T00:00:00Z")


def _reproducible(data: bytes, stamp: str) -> bytes:
    """Fix the save time and the zip entry times that openpyxl sets from the clock."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + stamp.encode() + rb"\g<2>", payload)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, payload)
    return out.getvalue()


def _guide_sheet(ws: Worksheet, criteria: CriteriaSet, unit_id: str, name: str | None, level: str, year: int,
                 levels: list[str], leaves: list[Node]) -> None:
    from openpyxl.styles import Font
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 44
    ws.column_dimensions["C"].width = 80
    ws["A1"] = f"BỘ MINH CHỨNG TỰ ĐÁNH GIÁ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {year}"
    ws["A1"].font = styles().title_font
    ws.row_dimensions[1].height = 24  # 13 pt capitals with marks above them
    _set_text(ws["A2"], f"{criteria.title} (mã bộ chỉ số: {criteria.id}; {level_label(level).lower()})")
    ws["A2"].font = Font(italic=True)
    ws["A4"] = "THÔNG TIN ĐƠN VỊ"
    ws["A4"].font = Font(bold=True, color="1F4E78")
    values: dict[str, Any] = {"id": unit_id, "name": name, "level": level_label(level), "year": year,
                              "start": date(year, 1, 1), "end": date(year, 12, 31)}
    for offset, (key, label, note) in enumerate(UNIT_FIELDS):
        row = UNIT_FIRST_ROW + offset
        label_cell = ws.cell(row=row, column=1, value=label + (" *" if key in UNIT_REQUIRED else ""))
        label_cell.font = Font(bold=True)
        label_cell.border = styles().border
        value_cell = ws.cell(row=row, column=2)
        value_cell.protection = styles().unlocked
        ws.row_dimensions[row].height = ROW_PT * max(_lines(note or "", 80), 1) + 3
        _set_text(value_cell, values.get(key))
        value_cell.border = styles().border
        if key in ("start", "end", "as_of"):
            value_cell.number_format = DATE_FORMAT
        elif key in ("id", "phone"):
            value_cell.number_format = "@"
        note_cell = ws.cell(row=row, column=3, value=note or None)
        note_cell.font = Font(italic=True, color="595959")
    rows = {key: UNIT_FIRST_ROW + i for i, (key, _, _) in enumerate(UNIT_FIELDS)}
    _add_validation(ws, _date_validation(), *(f"B{rows[k]}" for k in ("start", "end", "as_of")))
    _add_validation(ws, _list_validation(_catalog_range(CAT_LEVELS, len(levels)), "Chọn cấp đơn vị."), f"B{rows['level']}")
    _add_validation(ws, _validation("whole", operator="between", formula1="2000", formula2="2100",
                                    errorTitle="Năm không hợp lệ", error="Nhập năm 4 chữ số, ví dụ 2024."),
                    f"B{rows['year']}")
    row = UNIT_FIRST_ROW + len(UNIT_FIELDS) + 1
    ws.cell(row=row, column=1, value="HƯỚNG DẪN ĐIỀN").font = Font(bold=True, color="1F4E78")
    for paragraph in _instructions(criteria, year, leaves):
        row += 1
        cell = ws.cell(row=row, column=1)
        _set_text(cell, paragraph)
        cell.alignment = styles().wrap
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        lines = sum(1 + len(part) // 140 for part in paragraph.split("\n"))
        ws.row_dimensions[row].height = 15 * lines + 3
    ws.freeze_panes = "A4"


def _instructions(criteria: CriteriaSet, year: int, leaves: list[Node]) -> list[str]:
    na = [n for n in leaves if n.not_applicable is not None]
    na_lines = "\n".join(
        f"   • {n.id} {n.title}: " + ("được trọn điểm" if n.not_applicable == "full_points" else "loại khỏi điểm tối đa")
        for n in na)
    return [
        "1. Tệp gồm các sheet: Tài liệu (văn bản đã ban hành), Số liệu (các con số và nội dung Có/Không), "
        "Nhiệm vụ kế hoạch (các nhiệm vụ của Kế hoạch CCHC năm), Chấm thủ công (tiêu chí do người chấm), "
        "Điều tra XHH (điểm điều tra xã hội học, đơn vị không tự chấm), Không áp dụng (khai báo tiêu chí không áp dụng). "
        "Điền các ô có dấu * ở phần Thông tin đơn vị trước.",
        "2. Ô nền xám do phần mềm điền sẵn, không cần sửa. Không thêm, xóa, đổi tên hay đổi thứ tự cột và sheet; "
        "có thể thêm dòng ở cuối mỗi bảng. Dòng để trống được bỏ qua. Không sửa sheet ẩn 'Danh mục'.",
        "3. Ngày tháng: nhập theo dạng dd/mm/yyyy (ngày/tháng/năm). Ví dụ 05/03/2024 là ngày 5 tháng 3 năm 2024, "
        "không phải ngày 3 tháng 5. Sau khi nhập, kiểm tra ô hiển thị đúng ngày và tháng: nếu máy tính đặt ngày kiểu "
        "tháng/ngày, hãy gõ theo dạng năm-tháng-ngày (2024-03-05), Excel hiểu đúng ở mọi máy.",
        "4. Số: chỉ nhập con số, không kèm chữ hay đơn vị tính. Dùng dấu chấm phân cách hàng nghìn và dấu phẩy thập phân "
        "(1.952 là một nghìn chín trăm năm mươi hai; 98,5 là chín mươi tám phẩy năm). Nội dung Có/Không: chọn từ danh sách.",
        "5. Số liệu mẫu: chọn \"Có\" khi giá trị là số giả định hoặc ước tính, chưa có văn bản, báo cáo chính thức làm căn cứ. "
        "Kết quả chấm sẽ ghi rõ \"(số liệu mẫu)\" bên cạnh giá trị đó để hội đồng thẩm định biết. "
        "Để trống hoặc chọn \"Không\" khi số liệu lấy từ văn bản, báo cáo, phần mềm thật.",
        "6. Tài liệu: mỗi dòng một văn bản, ghi đủ số ký hiệu (ví dụ 1033/UBND-NV), ngày ban hành, cơ quan ban hành, "
        "trích yếu và đường dẫn tới tệp. Cột 'Hạn theo bộ chỉ số' cho biết hạn ban hành của từng loại. "
        "Một loại có nhiều văn bản: thêm dòng và chọn cùng loại. Chưa ban hành: để trống dòng đó "
        "(khi chấm sẽ tính là thiếu minh chứng, không bao giờ tính là đạt).",
        "7. Số liệu: ghi giá trị, kỳ số liệu (ví dụ 01/01/" + str(year) + "–31/12/" + str(year) + ") và nguồn "
        "(báo cáo, phần mềm Một cửa, sổ theo dõi...). Số hồ sơ TTHC lấy từ phần mềm Một cửa điện tử.",
        "8. Nhiệm vụ kế hoạch: mỗi dòng một nhiệm vụ trong phụ lục Kế hoạch CCHC năm của đơn vị. Hạn hoàn thành ghi ngày "
        "dd/mm/yyyy; nhiệm vụ thường xuyên ghi \"Thường xuyên\" (không tính vào tỷ lệ hoàn thành). Trạng thái chọn từ "
        "danh sách; nhiệm vụ đã hoàn thành phải có ngày hoàn thành.",
        "9. Chấm thủ công: đơn vị tự chấm điểm (không vượt điểm tối đa), ghi người chấm, giải trình và minh chứng "
        "(mỗi minh chứng một dòng hoặc cách nhau bằng dấu chấm phẩy). Điểm không có giải trình không được chấp nhận.",
        "10. Điều tra XHH: đơn vị KHÔNG tự chấm. Chỉ nhập điểm do cơ quan tổ chức điều tra công bố, ghi rõ cơ quan và "
        "văn bản công bố; chưa có kết quả thì để trống.",
        "11. Không áp dụng: chỉ khai báo được các tiêu chí sau (chọn từ danh sách), phải ghi lý do và người khai báo:\n"
        + (na_lines or "   (bộ chỉ số không có tiêu chí nào được khai báo không áp dụng)"),
        "12. Liên hệ: mọi thắc mắc về cách điền, về bộ chỉ số và hạn nộp, liên hệ Phòng Nội vụ (bộ phận phụ trách cải cách "
        "hành chính) là nơi gửi biểu mẫu này. Điền xong, lưu tệp dạng .xlsx và gửi lại; không đổi tên các sheet.",
    ]


def _documents_sheet(ws: Worksheet, criteria: CriteriaSet, usage: _Usage) -> None:
    _header(ws, DOCUMENT_COLUMNS, "Văn bản đã ban hành (tài liệu kiểm chứng): mỗi dòng một văn bản; ngày dd/mm/yyyy.")
    choices = _document_choices(criteria)
    for offset, code in enumerate(criteria.catalog.documents):
        row = FIRST_ROW + offset
        _set_text(ws.cell(row=row, column=1), choices[code])
        ws.cell(row=row, column=8, value=", ".join(usage.documents.get(code, [])) or None)
        ws.cell(row=row, column=9, value="; ".join(usage.deadlines.get(code, [])) or "không quy định hạn")
    _format_rows(ws, DOCUMENT_COLUMNS, len(criteria.catalog.documents))
    _add_validation(ws, _list_validation(_catalog_range(CAT_DOC_LABEL, len(choices)), "Chọn loại tài liệu."),
                    _column_range(DOCUMENT_COLUMNS, "kind"))
    _add_validation(ws, _date_validation(), _column_range(DOCUMENT_COLUMNS, "issue_date"))
    _add_validation(ws, _yes_no(), _column_range(DOCUMENT_COLUMNS, "sample"))


def _metric_rows(criteria: CriteriaSet, usage: _Usage) -> list[tuple[str, str, str | None, str | None, bool]]:
    """(code, label, unit, meaning, is_fact) for catalog metrics, builtin metrics the set uses, then facts."""
    rows = [(code, e.label, e.unit, e.description, False) for code, e in criteria.catalog.metrics.items()]
    for code, (label, unit) in BUILTIN_METRICS.items():
        if code in usage.metrics and code not in criteria.catalog.metrics:
            rows.append((code, label, unit, "Số liệu từ phần mềm Một cửa điện tử (hồ sơ thủ tục hành chính).", False))
    rows += [(code, e.label, e.unit, e.description or "Đơn vị xác nhận Có hoặc Không.", True)
             for code, e in criteria.catalog.facts.items()]
    return rows


def _metrics_sheet(ws: Worksheet, criteria: CriteriaSet, usage: _Usage) -> None:
    _header(ws, METRIC_COLUMNS, "Số liệu và nội dung Có/Không: nhập cột Giá trị, kỳ số liệu và nguồn.")
    rows = _metric_rows(criteria, usage)
    whole, decimal, facts = [], [], []
    for offset, (code, label, unit, meaning, is_fact) in enumerate(rows):
        row = FIRST_ROW + offset
        _set_text(ws.cell(row=row, column=1), code)
        _set_text(ws.cell(row=row, column=2), label)
        ws.cell(row=row, column=3, value=YES + "/" + NO if is_fact else unit)
        table = usage.facts if is_fact else usage.metrics
        ws.cell(row=row, column=9, value=", ".join(table.get(code, [])) or None)
        _set_text(ws.cell(row=row, column=10), meaning)
        (facts if is_fact else decimal if unit in (None, "%") else whole).append(row)
    _format_rows(ws, METRIC_COLUMNS, len(rows), locked=("name",))
    for row in range(FIRST_ROW, FIRST_ROW + DATA_ROWS):
        if row in whole:
            ws.cell(row=row, column=4).number_format = "#,##0"
        elif row not in facts:
            ws.cell(row=row, column=4).number_format = "#,##0.00"
    blank_first = FIRST_ROW + len(rows)
    if whole:
        _add_validation(ws, _number_validation(whole=True), *_rows_ranges("D", whole))
    _add_validation(ws, _number_validation(), *_rows_ranges("D", decimal + list(range(blank_first, FIRST_ROW + DATA_ROWS))))
    if facts:
        _add_validation(ws, _yes_no(), *_rows_ranges("D", facts))
    _add_validation(ws, _yes_no(), _column_range(METRIC_COLUMNS, "sample"))


def _tasks_sheet(ws: Worksheet, year: int) -> None:
    _header(ws, TASK_COLUMNS, f"Nhiệm vụ của Kế hoạch CCHC năm {year}: hạn ghi dd/mm/yyyy hoặc \"Thường xuyên\".")
    _format_rows(ws, TASK_COLUMNS, 0)
    deadline = _validation(None, promptTitle="Hạn hoàn thành",
                           prompt="Nhập ngày dd/mm/yyyy; nhiệm vụ thường xuyên ghi \"Thường xuyên\".")
    _add_validation(ws, deadline, _column_range(TASK_COLUMNS, "deadline"))
    statuses = ",".join(TASK_STATUSES)
    _add_validation(ws, _list_validation(f'"{statuses}"', "Chọn trạng thái thực hiện."), _column_range(TASK_COLUMNS, "status"))
    _add_validation(ws, _date_validation(), _column_range(TASK_COLUMNS, "done_date"))


def _scored_rows(ws: Worksheet, columns: tuple[Column, ...], nodes: list[Node], level: str,
                 extra: dict[str, dict[str, str]]) -> None:
    from openpyxl.utils import get_column_letter
    by_max: dict[float, list[int]] = {}
    points_column = get_column_letter([c.key for c in columns].index("points") + 1)
    for offset, node in enumerate(nodes):
        row = FIRST_ROW + offset
        maximum = leaf_max(node, level)
        _set_text(ws.cell(row=row, column=1), node.id)
        _set_text(ws.cell(row=row, column=2), node.title)
        ws.cell(row=row, column=3, value=maximum).number_format = "0.00"
        for key, value in extra.get(node.id, {}).items():
            _set_text(ws.cell(row=row, column=[c.key for c in columns].index(key) + 1), value)
        by_max.setdefault(maximum, []).append(row)
    _format_rows(ws, columns, len(nodes), locked=("criterion",))
    for maximum in sorted(by_max):
        _add_validation(ws, _number_validation(maximum=maximum), *_rows_ranges(points_column, by_max[maximum]))
    _add_validation(ws, _number_validation(),
                    f"{points_column}{FIRST_ROW + len(nodes)}:{points_column}{FIRST_ROW + DATA_ROWS - 1}")


def _manual_sheet(ws: Worksheet, nodes: list[Node], level: str) -> None:
    _header(ws, MANUAL_COLUMNS, "Tiêu chí chấm thủ công: đơn vị tự chấm, ghi người chấm, giải trình và minh chứng.")
    _scored_rows(ws, MANUAL_COLUMNS, nodes, level, {n.id: {"guidance": n.rule.guidance} for n in nodes if n.rule.guidance})
    _add_validation(ws, _list_validation(_catalog_range(CAT_MANUAL, len(nodes)), "Mã tiêu chí chấm thủ công."),
                    f"A{FIRST_ROW + len(nodes)}:A{FIRST_ROW + DATA_ROWS - 1}")


def _survey_sheet(ws: Worksheet, nodes: list[Node], level: str) -> None:
    from openpyxl.styles import Font
    _header(ws, SURVEY_COLUMNS, "ĐƠN VỊ KHÔNG TỰ CHẤM: chỉ nhập điểm do cơ quan tổ chức điều tra xã hội học công bố.")
    title = ws.cell(row=1, column=1)
    title.fill = styles().warn_fill
    title.font = Font(bold=True, size=12, color="C00000")
    _scored_rows(ws, SURVEY_COLUMNS, nodes, level, {n.id: {"source": n.rule.source} for n in nodes})
    _add_validation(ws, _list_validation(_catalog_range(CAT_SURVEY, len(nodes)), "Mã tiêu chí điều tra xã hội học."),
                    f"A{FIRST_ROW + len(nodes)}:A{FIRST_ROW + DATA_ROWS - 1}")


def _na_sheet(ws: Worksheet, nodes: list[Node]) -> None:
    from openpyxl.styles import Alignment
    _header(ws, NA_COLUMNS, "Khai báo tiêu chí không áp dụng: chỉ chọn được tiêu chí mà bộ chỉ số cho phép; ghi rõ lý do.")
    _format_rows(ws, NA_COLUMNS, 0)
    _add_validation(ws, _list_validation(_catalog_range(CAT_NA_CHOICE, len(nodes)), "Chọn tiêu chí được phép khai báo không áp dụng."),
                    _column_range(NA_COLUMNS, "criterion"))
    ws.print_area = f"A1:G{FIRST_ROW + max(len(nodes) + 20, 30) - 1}"
    ws.column_dimensions["E"].width = 12
    ws.column_dimensions["F"].width = 48
    ws.column_dimensions["G"].width = 30
    ws["E2"], ws["F2"], ws["G2"] = "Tiêu chí được phép", "Tên tiêu chí", "Khi không áp dụng"
    for cell in (ws["E2"], ws["F2"], ws["G2"]):
        cell.font, cell.fill, cell.border = styles().header_font, styles().header_fill, styles().border
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for offset, node in enumerate(nodes):
        row = FIRST_ROW + offset
        _set_text(ws.cell(row=row, column=5), node.id)
        _set_text(ws.cell(row=row, column=6), node.title)
        ws.cell(row=row, column=7, value="được trọn điểm" if node.not_applicable == "full_points"
                else "loại khỏi điểm tối đa")
        for column in (5, 6, 7):
            ws.cell(row=row, column=column).fill = styles().info_fill
            ws.cell(row=row, column=column).border = styles().border
            ws.cell(row=row, column=column).alignment = styles().wrap


def _catalog_sheet(ws: Worksheet, criteria: CriteriaSet, leaves: list[Node], allow_na: list[Node], manual: list[Node],
                   survey: list[Node], levels: list[str], level: str, year: int, digest: str) -> None:
    from openpyxl.styles import Font
    usage = evidence_usage(criteria, year)
    choices = _document_choices(criteria)
    headers = {CAT_DOC_CODE: "Mã loại tài liệu", CAT_DOC_LABEL: "Loại tài liệu", CAT_METRIC_CODE: "Mã chỉ số",
               CAT_METRIC_LABEL: "Tên chỉ số", CAT_METRIC_TYPE: "Kiểu", CAT_LEAF_ID: "Mã tiêu chí",
               CAT_LEAF_TITLE: "Tên tiêu chí", CAT_LEAF_MAX: "Điểm tối đa", CAT_LEAF_RULE: "Cách chấm",
               CAT_LEAF_NA: "Không áp dụng", CAT_NA_CHOICE: "Khai báo không áp dụng", CAT_MANUAL: "Chấm thủ công",
               CAT_SURVEY: "Điều tra XHH", CAT_LEVELS: "Cấp đơn vị", CAT_LEVEL_CODE: "Mã cấp",
               CAT_METRIC_UNIT: "Đơn vị tính", CAT_META_KEY: "Thông tin", CAT_META_VALUE: "Giá trị"}
    for column, text in headers.items():
        ws[f"{column}1"] = text
        ws[f"{column}1"].font = Font(bold=True)

    def put(column: str, values: Iterable[Any]) -> None:
        for row, value in enumerate(values, start=2):
            _set_text(ws[f"{column}{row}"], value)

    put(CAT_DOC_CODE, choices.keys())
    put(CAT_DOC_LABEL, choices.values())
    metric_rows = _metric_rows(criteria, usage)
    put(CAT_METRIC_CODE, [r[0] for r in metric_rows])
    put(CAT_METRIC_LABEL, [r[1] for r in metric_rows])
    put(CAT_METRIC_TYPE, [FACT_TYPE if r[4] else NUMBER_TYPE for r in metric_rows])
    put(CAT_METRIC_UNIT, [r[2] for r in metric_rows])
    put(CAT_LEAF_ID, [n.id for n in leaves])
    put(CAT_LEAF_TITLE, [n.title for n in leaves])
    put(CAT_LEAF_MAX, [leaf_max(n, level) for n in leaves])
    put(CAT_LEAF_RULE, [n.rule.kind for n in leaves])
    put(CAT_LEAF_NA, [n.not_applicable for n in leaves])
    put(CAT_NA_CHOICE, [f"{n.id}{NA_SEPARATOR}{n.title}" for n in allow_na])
    put(CAT_MANUAL, [n.id for n in manual])
    put(CAT_SURVEY, [n.id for n in survey])
    put(CAT_LEVELS, [level_label(code) for code in levels])
    put(CAT_LEVEL_CODE, levels)
    put(CAT_META_KEY, ["Bộ chỉ số", "Năm", "Cấp", "Mã băm bộ chỉ số", "Phiên bản biểu mẫu"])
    put(CAT_META_VALUE, [criteria.id, year, level, digest, TEMPLATE_VERSION])
    for column in headers:
        ws.column_dimensions[column].width = 24
    ws.sheet_state = "hidden"


