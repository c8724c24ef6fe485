"""The evidence workbook: one Excel file per unit, generated from a criteria set and read back as a bundle.

Units do not write YAML; they fill a workbook whose sheets mirror the bundle (documents, metrics
and facts, plan tasks, manual scores, survey points, not-applicable declarations). The template
carries its own catalog in a hidden sheet, so the reader can check document kinds and criterion
ids without the criteria file, and report every problem by sheet, row, column and value.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Literal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError

from .criteria import (
    AllOf, AnyOf, CompareCondition, CriteriaSet, DeadlineSpec, DocumentCondition, FactCondition, Node,
    NotCondition, iter_nodes, leaf_max,
)
from .evidence import (
    FIRST_YEAR, LAST_YEAR, Bundle, Document, LoadedBundle, Metric, NotApplicable, Period, PlanTask, ScoreEntry, Unit,
    register_loader,
)
from .evidence_names import BUILTIN_METRICS
from .problems import InputError, Problem, os_error_vi
from .vnformat import FormatError, format_date, format_number, nfc, parse_date, parse_number
from .yamlsource import pydantic_message

TEMPLATE_VERSION = "1"

SHEET_GUIDE = "Hướng dẫn"
SHEET_DOCUMENTS = "Tài liệu"
SHEET_METRICS = "Số liệu"
SHEET_TASKS = "Nhiệm vụ kế hoạch"
SHEET_MANUAL = "Chấm thủ công"
SHEET_SURVEY = "Điều tra XHH"
SHEET_NA = "Không áp dụng"
SHEET_CATALOG = "Danh mục"
SHEETS = (SHEET_GUIDE, SHEET_DOCUMENTS, SHEET_METRICS, SHEET_TASKS, SHEET_MANUAL, SHEET_SURVEY, SHEET_NA)

HEADER_ROW = 2
FIRST_ROW = 3
DATA_ROWS = 300
"""Rows below the header that carry validations and formats, so units can add rows."""

YES, NO = "Có", "Không"
TASK_STATUSES = ("hoàn thành", "đang thực hiện", "chưa thực hiện")
RECURRING_WORDS = ("thường xuyên", "hằng năm", "hàng năm", "liên tục", "hằng quý", "hàng quý", "hằng tháng", "hàng tháng")
DATE_FORMAT = "dd/mm/yyyy"
NA_SEPARATOR = " — "

ColumnKind = Literal["text", "code", "date", "number", "points", "choice", "info"]


@dataclass(frozen=True)
class Column:
    """One column of a data sheet; `info` columns are filled by the template and never read."""

    key: str
    header: str
    width: int
    kind: ColumnKind = "text"


DOCUMENT_COLUMNS = (
    Column("kind", "Loại tài liệu", 44, "choice"),
    Column("number", "Số ký hiệu", 18, "code"),
    Column("issue_date", "Ngày ban hành", 15, "date"),
    Column("issuer", "Cơ quan ban hành", 26),
    Column("title", "Trích yếu", 48),
    Column("link", "Đường dẫn", 30),
    Column("sample", "Số liệu mẫu", 12, "choice"),
    Column("criteria", "Tiêu chí liên quan", 16, "info"),
    Column("deadline", "Hạn theo bộ chỉ số", 40, "info"),
)
METRIC_COLUMNS = (
    Column("name", "Mã chỉ số", 26, "code"),
    Column("label", "Nội dung", 48, "info"),
    Column("unit", "Đơn vị tính", 12, "info"),
    Column("value", "Giá trị", 14, "number"),
    Column("period", "Kỳ số liệu", 24),
    Column("source", "Nguồn số liệu", 36),
    Column("sample", "Số liệu mẫu", 12, "choice"),
    Column("note", "Ghi chú", 24),
    Column("criteria", "Tiêu chí liên quan", 16, "info"),
    Column("meaning", "Ý nghĩa", 44, "info"),
)
TASK_COLUMNS = (
    Column("id", "STT", 8, "code"),
    Column("title", "Nhiệm vụ", 56),
    Column("deadline", "Hạn hoàn thành", 18, "date"),
    Column("status", "Trạng thái", 18, "choice"),
    Column("done_date", "Ngày hoàn thành", 16, "date"),
)
MANUAL_COLUMNS = (
    Column("criterion", "Mã tiêu chí", 12, "code"),
    Column("title", "Tên tiêu chí", 44, "info"),
    Column("max", "Điểm tối đa", 12, "info"),
    Column("points", "Điểm tự chấm", 13, "points"),
    Column("by", "Người chấm", 24),
    Column("justification", "Giải trình", 44),
    Column("evidence", "Minh chứng", 40),
    Column("guidance", "Hướng dẫn chấm", 44, "info"),
)
SURVEY_COLUMNS = (
    Column("criterion", "Mã tiêu chí", 12, "code"),
    Column("title", "Tên tiêu chí", 44, "info"),
    Column("max", "Điểm tối đa", 12, "info"),
    Column("points", "Điểm điều tra (nhập từ kết quả công bố)", 18, "points"),
    Column("by", "Cơ quan công bố điểm", 26),
    Column("justification", "Căn cứ (văn bản công bố kết quả)", 44),
    Column("source", "Nguồn điều tra theo bộ chỉ số", 30, "info"),
)
NA_COLUMNS = (
    Column("criterion", "Tiêu chí không áp dụng", 56, "choice"),
    Column("justification", "Lý do (giải trình)", 56),
    Column("by", "Người khai báo", 28),
)

SHEET_COLUMNS = {
    SHEET_DOCUMENTS: DOCUMENT_COLUMNS, SHEET_METRICS: METRIC_COLUMNS, SHEET_TASKS: TASK_COLUMNS,
    SHEET_MANUAL: MANUAL_COLUMNS, SHEET_SURVEY: SURVEY_COLUMNS, SHEET_NA: NA_COLUMNS,
}

UNIT_FIELDS = (
    ("id", "Mã đơn vị", "Do Phòng Nội vụ cấp; không sửa."),
    ("name", "Tên đơn vị", "Tên đầy đủ, ví dụ: UBND Phường 1."),
    ("aliases", "Tên gọi khác (nếu có)", "Các tên khác mà báo cáo, phần mềm Một cửa dùng; cách nhau bằng dấu chấm phẩy (;)."),
    ("level", "Cấp đơn vị", "Chọn từ danh sách."),
    ("year", "Năm đánh giá", "Ví dụ: 2024."),
    ("start", "Kỳ đánh giá từ ngày", "dd/mm/yyyy"),
    ("end", "Kỳ đánh giá đến ngày", "dd/mm/yyyy"),
    ("as_of", "Ngày chốt số liệu", "Ngày số liệu trong tệp được tính đến (dd/mm/yyyy); hạn sau ngày này là \"chưa đến hạn\"."),
    ("preparer", "Người lập biểu", "Họ tên, chức vụ."),
    ("phone", "Điện thoại liên hệ", ""),
    ("notes", "Ghi chú", ""),
)
UNIT_REQUIRED = ("id", "name", "level", "year", "start", "end", "as_of")
UNIT_FIRST_ROW = 5

# Hidden catalog sheet: fixed columns, header in row 1, values from row 2.
CAT_DOC_CODE, CAT_DOC_LABEL = "A", "B"
CAT_METRIC_CODE, CAT_METRIC_LABEL, CAT_METRIC_TYPE = "D", "E", "F"
CAT_LEAF_ID, CAT_LEAF_TITLE, CAT_LEAF_MAX, CAT_LEAF_RULE, CAT_LEAF_NA = "H", "I", "J", "K", "L"
CAT_NA_CHOICE, CAT_MANUAL, CAT_SURVEY, CAT_LEVELS = "N", "P", "R", "T"
CAT_META_KEY, CAT_META_VALUE = "V", "W"
FACT_TYPE, NUMBER_TYPE = "có/không", "số"

_THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
INFO_FILL = PatternFill("solid", fgColor="EDEDED")
WARN_FILL = PatternFill("solid", fgColor="FCE4D6")
TITLE_FONT = Font(bold=True, size=13, color="1F4E78")
WRAP = Alignment(wrap_text=True, vertical="top")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- what the set asks for


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


def _walk_condition(cond: Any, criterion: str, year: int, usage: _Usage) -> None:
    if isinstance(cond, AllOf):
        for item in cond.all_of:
            _walk_condition(item, criterion, year, usage)
    elif isinstance(cond, AnyOf):
        for item in cond.any_of:
            _walk_condition(item, criterion, year, usage)
    elif isinstance(cond, NotCondition):
        _walk_condition(cond.not_, criterion, year, usage)
    elif isinstance(cond, DocumentCondition):
        _add(usage.documents, cond.document, criterion)
        if cond.deadline is not None:
            _deadline(cond.document, cond.deadline, criterion, year, usage)
    elif isinstance(cond, FactCondition):
        _add(usage.facts, cond.fact, criterion)
    elif isinstance(cond, CompareCondition):
        for name in cond.metric_names():
            _add(usage.metrics, name, criterion)


def _deadline(kind: str, spec: DeadlineSpec, criterion: str, year: int, usage: _Usage, grace: int = 0) -> None:
    _add(usage.deadlines, kind, f"{_deadline_words(spec, year, grace)} ({criterion})")
    if spec.after_document:
        _add(usage.documents, spec.after_document, criterion)


def _walk_rule(rule: Any, criterion: str, year: int, usage: _Usage) -> None:
    kind = rule.kind
    if kind == "pass_fail":
        _walk_condition(rule.condition, criterion, year, usage)
    elif kind in ("all_of", "any_of"):
        for cond in rule.conditions:
            _walk_condition(cond, criterion, year, usage)
    elif kind in ("tiers", "proportional", "count"):
        for name in rule.value.metric_names():
            _add(usage.metrics, name, criterion)
    elif kind == "timeliness":
        _add(usage.documents, rule.document, criterion)
        _deadline(rule.document, rule.deadline, criterion, year, usage, rule.grace_days)
    elif kind == "documents":
        for required in rule.documents:
            _add(usage.documents, required.kind, criterion)
            _deadline(required.kind, required.deadline, criterion, year, usage)


def evidence_usage(criteria: CriteriaSet, year: int | None = None) -> _Usage:
    """Walk every leaf, condition and adjustment once, in the set's order."""
    year = criteria.year if year is None else year
    usage = _Usage({}, {}, {}, {})
    for node, _, _ in iter_nodes(criteria.items):
        if node.applicable_if is not None:
            _walk_condition(node.applicable_if, node.id, year, usage)
        if node.rule is not None:
            _walk_rule(node.rule, node.id, year, usage)
    for adjustment in criteria.adjustments:
        _walk_rule(adjustment.rule, adjustment.id, year, usage)
    return usage


def _document_choices(criteria: CriteriaSet) -> dict[str, str]:
    """Code → the label shown in the dropdown; labels used twice get their code appended."""
    labels = [nfc(entry.label).strip() for entry in criteria.catalog.documents.values()]
    return {code: (label if labels.count(label) == 1 else f"{label} ({code})")
            for code, label in zip(criteria.catalog.documents, labels)}


# ---------------------------------------------------------------- template


def _set_text(cell, value: Any) -> None:
    """Write a value; text starting with '=' stays text instead of becoming a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _header(ws: Worksheet, columns: tuple[Column, ...], title: str) -> None:
    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=12, color="1F4E78")
    ws.row_dimensions[1].height = 30
    ws.cell(row=1, column=1).alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = f"A{FIRST_ROW}"


def _format_rows(ws: Worksheet, columns: tuple[Column, ...], prefilled: int, locked: tuple[str, ...] = ()) -> None:
    """Borders, wrapping and number formats for the prefilled rows and a margin of blank rows.

    `locked` columns are filled by the template on the prefilled rows, so they are shaded like info columns.
    """
    last = FIRST_ROW + max(prefilled + 20, 30) - 1
    for row in range(FIRST_ROW, last + 1):
        for index, column in enumerate(columns, start=1):
            cell = ws.cell(row=row, column=index)
            cell.border = BORDER
            cell.alignment = WRAP
            if column.kind == "info" or (column.key in locked and row < FIRST_ROW + prefilled):
                cell.fill = INFO_FILL
            if column.kind == "date":
                cell.number_format = DATE_FORMAT
            elif column.kind == "code":
                cell.number_format = "@"
            elif column.kind == "points":
                cell.number_format = "0.00"


def _column_range(columns: tuple[Column, ...], key: str) -> str:
    letter = get_column_letter([c.key for c in columns].index(key) + 1)
    return f"{letter}{FIRST_ROW}:{letter}{FIRST_ROW + DATA_ROWS - 1}"


def _validation(kind: str | None, **kwargs: Any) -> DataValidation:
    """A validation with a Vietnamese error box and prompt; blank cells always allowed."""
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
    from .scoring import set_levels

    levels = sorted(set_levels(criteria))
    level = level or criteria.level
    year = criteria.year if year is None else year
    problems = []
    if level not in levels:
        problems.append(Problem(file="(tham số)", path="--level", value=level,
                                message=f"cấp đơn vị không có trong bộ chỉ số {criteria.id}; dùng được: {', '.join(levels)}"))
    if not unit_id.strip():
        problems.append(Problem(file="(tham số)", path="--unit", value=unit_id, message="thiếu mã đơn vị"))
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
    manual = [n for n in leaves if n.rule.kind == "manual"]
    survey = [n for n in leaves if n.rule.kind == "survey"]
    allow_na = [n for n in leaves if n.not_applicable is not None]
    _manual_sheet(wb.create_sheet(SHEET_MANUAL), manual, level)
    _survey_sheet(wb.create_sheet(SHEET_SURVEY), survey, level)
    _na_sheet(wb.create_sheet(SHEET_NA), allow_na)
    _catalog_sheet(wb.create_sheet(SHEET_CATALOG), criteria, leaves, allow_na, manual, survey, levels, level, year,
                   criteria_digest)

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
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 44
    ws.column_dimensions["C"].width = 80
    ws["A1"] = f"BỘ MINH CHỨNG TỰ ĐÁNH GIÁ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {year}"
    ws["A1"].font = TITLE_FONT
    _set_text(ws["A2"], f"{criteria.title} (mã bộ chỉ số: {criteria.id}; cấp: {level})")
    ws["A2"].font = Font(italic=True)
    ws["A4"] = "THÔNG TIN ĐƠN VỊ"
    ws["A4"].font = Font(bold=True, color="1F4E78")
    values: dict[str, Any] = {"id": unit_id, "name": name, "level": level, "year": year,
                              "start": date(year, 1, 1), "end": date(year, 12, 31)}
    for offset, (key, label, note) in enumerate(UNIT_FIELDS):
        row = UNIT_FIRST_ROW + offset
        label_cell = ws.cell(row=row, column=1, value=label + (" *" if key in UNIT_REQUIRED else ""))
        label_cell.font = Font(bold=True)
        label_cell.border = BORDER
        value_cell = ws.cell(row=row, column=2)
        _set_text(value_cell, values.get(key))
        value_cell.border = BORDER
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
        cell.alignment = WRAP
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
    _header(ws, SURVEY_COLUMNS, "ĐƠN VỊ KHÔNG TỰ CHẤM: chỉ nhập điểm do cơ quan tổ chức điều tra xã hội học công bố.")
    title = ws.cell(row=1, column=1)
    title.fill = WARN_FILL
    title.font = Font(bold=True, size=12, color="C00000")
    _scored_rows(ws, SURVEY_COLUMNS, nodes, level, {n.id: {"source": n.rule.source} for n in nodes})
    _add_validation(ws, _list_validation(_catalog_range(CAT_SURVEY, len(nodes)), "Mã tiêu chí điều tra xã hội học."),
                    f"A{FIRST_ROW + len(nodes)}:A{FIRST_ROW + DATA_ROWS - 1}")


def _na_sheet(ws: Worksheet, nodes: list[Node]) -> None:
    _header(ws, NA_COLUMNS, "Khai báo tiêu chí không áp dụng: chỉ chọn được tiêu chí mà bộ chỉ số cho phép; ghi rõ lý do.")
    _format_rows(ws, NA_COLUMNS, 0)
    _add_validation(ws, _list_validation(_catalog_range(CAT_NA_CHOICE, len(nodes)), "Chọn tiêu chí được phép khai báo không áp dụng."),
                    _column_range(NA_COLUMNS, "criterion"))
    ws.column_dimensions["E"].width = 12
    ws.column_dimensions["F"].width = 48
    ws.column_dimensions["G"].width = 30
    ws["E2"], ws["F2"], ws["G2"] = "Tiêu chí được phép", "Tên tiêu chí", "Khi không áp dụng"
    for cell in (ws["E2"], ws["F2"], ws["G2"]):
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for offset, node in enumerate(nodes):
        row = FIRST_ROW + offset
        _set_text(ws.cell(row=row, column=5), node.id)
        _set_text(ws.cell(row=row, column=6), node.title)
        ws.cell(row=row, column=7, value="được trọn điểm" if node.not_applicable == "full_points"
                else "loại khỏi điểm tối đa")
        for column in (5, 6, 7):
            ws.cell(row=row, column=column).fill = INFO_FILL
            ws.cell(row=row, column=column).border = BORDER
            ws.cell(row=row, column=column).alignment = WRAP


def _catalog_sheet(ws: Worksheet, criteria: CriteriaSet, leaves: list[Node], allow_na: list[Node], manual: list[Node],
                   survey: list[Node], levels: list[str], level: str, year: int, digest: str) -> None:
    usage = evidence_usage(criteria, year)
    choices = _document_choices(criteria)
    headers = {CAT_DOC_CODE: "Mã loại tài liệu", CAT_DOC_LABEL: "Loại tài liệu", CAT_METRIC_CODE: "Mã chỉ số",
               CAT_METRIC_LABEL: "Tên chỉ số", CAT_METRIC_TYPE: "Kiểu", CAT_LEAF_ID: "Mã tiêu chí",
               CAT_LEAF_TITLE: "Tên tiêu chí", CAT_LEAF_MAX: "Điểm tối đa", CAT_LEAF_RULE: "Cách chấm",
               CAT_LEAF_NA: "Không áp dụng", CAT_NA_CHOICE: "Khai báo không áp dụng", CAT_MANUAL: "Chấm thủ công",
               CAT_SURVEY: "Điều tra XHH", CAT_LEVELS: "Cấp đơn vị", CAT_META_KEY: "Thông tin", CAT_META_VALUE: "Giá trị"}
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
    put(CAT_LEAF_ID, [n.id for n in leaves])
    put(CAT_LEAF_TITLE, [n.title for n in leaves])
    put(CAT_LEAF_MAX, [leaf_max(n, level) for n in leaves])
    put(CAT_LEAF_RULE, [n.rule.kind for n in leaves])
    put(CAT_LEAF_NA, [n.not_applicable for n in leaves])
    put(CAT_NA_CHOICE, [f"{n.id}{NA_SEPARATOR}{n.title}" for n in allow_na])
    put(CAT_MANUAL, [n.id for n in manual])
    put(CAT_SURVEY, [n.id for n in survey])
    put(CAT_LEVELS, levels)
    put(CAT_META_KEY, ["Bộ chỉ số", "Năm", "Cấp", "Mã băm bộ chỉ số", "Phiên bản biểu mẫu"])
    put(CAT_META_VALUE, [criteria.id, year, level, digest, TEMPLATE_VERSION])
    for column in headers:
        ws.column_dimensions[column].width = 24
    ws.sheet_state = "hidden"


# ---------------------------------------------------------------- reading a filled workbook


class _Catalog:
    """What the hidden sheet says is valid: document kinds, metric names, criteria."""

    def __init__(self, rows: list[tuple[Any, ...]]):
        def column(letter: str) -> list[str]:
            index = ord(letter) - ord("A")
            values = [_plain(row[index]) if index < len(row) else None for row in rows[1:]]
            return [v for v in values if v]

        codes, labels = column(CAT_DOC_CODE), column(CAT_DOC_LABEL)
        self.doc_codes = set(codes)
        self.doc_tokens: dict[str, str] = {}
        for code, label in zip(codes, labels):
            self.doc_tokens[_key(code)] = code
            self.doc_tokens[_key(label)] = code
        self.doc_labels = labels
        metric_codes, metric_labels, metric_types = column(CAT_METRIC_CODE), column(CAT_METRIC_LABEL), column(CAT_METRIC_TYPE)
        self.metric_types = dict(zip(metric_codes, metric_types))
        self.metric_tokens = {_key(label): code for code, label in zip(metric_codes, metric_labels)}
        self.metric_tokens.update({_key(code): code for code in metric_codes})
        self.leaves = set(column(CAT_LEAF_ID))
        self.rule_kinds = dict(zip(column(CAT_LEAF_ID), column(CAT_LEAF_RULE)))
        ids = column(CAT_LEAF_ID)
        na_column = ord(CAT_LEAF_NA) - ord("A")
        na_values = [_plain(row[na_column]) if na_column < len(row) else None for row in rows[1:1 + len(ids)]]
        self.allow_na = {leaf for leaf, mode in zip(ids, na_values) if mode}

    @property
    def empty(self) -> bool:
        return not self.leaves


def _key(text: str) -> str:
    return " ".join(nfc(text).casefold().split())


def _plain(value: Any) -> str | None:
    """A cell as text: dates dd/mm/yyyy, whole numbers without decimals, blank as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_date(value.date())
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    text = nfc(str(value)).strip()
    return text or None


def _shown(value: Any) -> str:
    """The value as the user typed or sees it, for messages."""
    if isinstance(value, (datetime, date)):
        return _plain(value) or ""
    return str(value)


_DATE_SHAPE = re.compile(r"^\s*\d{1,4}\s*[/\-.]\s*\d{1,2}\s*[/\-.]\s*\d{1,4}\s*$")
_EXCEL_FIRST, _EXCEL_LAST = 36526, 73415  # 01/01/2000 .. 31/12/2100 as Excel serial numbers


def _to_date(value: Any) -> date:
    """A real Excel date, an Excel serial number in a plausible range, or text dd/mm/yyyy (years 1900–2100)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and _EXCEL_FIRST <= value <= _EXCEL_LAST:
            return from_excel(int(value)).date()
        raise FormatError(f"'{_shown(value)}' là số, không phải ngày; nhập theo dạng dd/mm/yyyy")
    when = value.date() if isinstance(value, datetime) else value if isinstance(value, date) else parse_date(str(value))
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise FormatError(f"năm của ngày {format_date(when)} phải từ {FIRST_YEAR} đến {LAST_YEAR}")
    return when


def _to_number(value: Any) -> float:
    if isinstance(value, bool):
        raise FormatError(f"không phải số: {value}")
    if isinstance(value, (int, float)):
        return float(value)
    return parse_number(nfc(str(value)).strip(), "vi")


def _to_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = _key(str(value))
    if key in ("có", "co", "x", "yes", "true"):
        return True
    if key in ("không", "khong", "no", "false"):
        return False
    raise FormatError(f"'{_shown(value)}' phải là \"{YES}\" hoặc \"{NO}\"")


@dataclass
class _Row:
    """One sheet row, cells by column key, with a way to name a cell in a problem."""

    sheet: str
    number: int
    cells: dict[str, Any]
    letters: dict[str, str]
    headers: dict[str, str]

    def filled(self, keys: Iterable[str]) -> bool:
        return any(_plain(self.cells.get(k)) is not None for k in keys)


class _Reader:
    """Collects problems with file, sheet, row, column and value while converting cells."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, sheet: str | None, row: int | None, column: str | None, value: Any, message: str,
                severity: str = "error") -> None:
        self.problems.append(Problem(file=self.file, sheet=sheet, row=row, column=column,
                                     value=None if value is None else _shown(value), message=message, severity=severity))

    def at(self, row: _Row, key: str, message: str, severity: str = "error") -> None:
        self.problem(row.sheet, row.number, row.letters[key], row.cells.get(key), message, severity)

    def text(self, row: _Row, key: str, required: bool = False) -> str | None:
        value = _plain(row.cells.get(key))
        if value is None and required:
            self.at(row, key, f"thiếu '{row.headers[key]}'")
        return value

    def _parsed(self, row: _Row, key: str, required: bool, parse):
        """A cell read with `parse`; an empty or unreadable cell is reported and gives None."""
        value = row.cells.get(key)
        if _plain(value) is None:
            if required:
                self.at(row, key, f"thiếu '{row.headers[key]}'")
            return None
        try:
            return parse(value)
        except FormatError as exc:
            self.at(row, key, f"{row.headers[key]}: {exc}")
            return None

    def date(self, row: _Row, key: str, required: bool = False) -> date | None:
        return self._parsed(row, key, required, _to_date)

    def number(self, row: _Row, key: str, required: bool = False) -> float | None:
        return self._parsed(row, key, required, _to_number)

    def yes_no(self, row: _Row, key: str) -> bool | None:
        value = row.cells.get(key)
        if _plain(value) is None:
            return None
        try:
            return _to_yes_no(value)
        except FormatError as exc:
            self.at(row, key, f"{row.headers[key]}: {exc}")
            return None


def _sheet_rows(ws, columns: tuple[Column, ...], reader: _Reader) -> list[_Row] | None:
    """Data rows of a sheet, after checking that the header row is the template's."""
    rows = list(ws.iter_rows(min_row=HEADER_ROW, values_only=True))
    header = list(rows[0]) if rows else []
    ok = True
    for index, column in enumerate(columns):
        found = _plain(header[index]) if index < len(header) else None
        if found is None or _key(found) != _key(column.header):
            reader.problem(ws.title, HEADER_ROW, get_column_letter(index + 1), found,
                           f"tiêu đề cột phải là '{column.header}' (không thêm, xóa hay đổi thứ tự cột của biểu mẫu)")
            ok = False
    if not ok:
        return None
    letters = {c.key: get_column_letter(i + 1) for i, c in enumerate(columns)}
    headers = {c.key: c.header for c in columns}
    out = []
    for number, values in enumerate(rows[1:], start=HEADER_ROW + 1):
        cells = {c.key: (values[i] if i < len(values) else None) for i, c in enumerate(columns)}
        out.append(_Row(ws.title, number, cells, letters, headers))
    return out


def load_workbook_bundle(path: Path) -> tuple[LoadedBundle | None, list[Problem]]:
    """Read a filled workbook into a bundle; every problem in one pass; the file is only read."""
    path = Path(path)
    file = str(path)
    if path.name.startswith("~$"):
        return None, [Problem(file=file, severity="warning",
                              message="tệp khóa tạm của Excel (tệp đang mở), bỏ qua")]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file=file, message=f"không đọc được tệp: {os_error_vi(exc)}")]
    digest = hashlib.sha256(data).hexdigest()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or non-Excel file
        return None, [Problem(file=file, message=f"không mở được tệp Excel (.xlsx): {type(exc).__name__}")]
    try:
        return _read(wb, file, digest)
    finally:
        wb.close()


def _read(wb, file: str, digest: str) -> tuple[LoadedBundle | None, list[Problem]]:
    reader = _Reader(file)
    missing = [name for name in SHEETS + (SHEET_CATALOG,) if name not in wb.sheetnames]
    for name in missing:
        reader.problem(name, None, None, None,
                       "thiếu sheet này; hãy dùng biểu mẫu tạo bằng lệnh 'parindex template' và không đổi tên sheet")
    if missing:
        return None, reader.problems
    catalog = _Catalog(list(wb[SHEET_CATALOG].iter_rows(values_only=True)))
    if catalog.empty:
        reader.problem(SHEET_CATALOG, None, None, None, "sheet ẩn 'Danh mục' bị xóa nội dung; hãy tạo lại biểu mẫu")
        return None, reader.problems
    unit, period, as_of, notes = _read_unit(wb[SHEET_GUIDE], reader)
    documents, doc_rows = _read_documents(wb[SHEET_DOCUMENTS], reader, catalog)
    metrics, metric_rows = _read_metrics(wb[SHEET_METRICS], reader, catalog)
    tasks, task_rows = _read_tasks(wb[SHEET_TASKS], reader)
    manual = _read_scores(wb[SHEET_MANUAL], MANUAL_COLUMNS, reader, catalog, "manual")
    survey = _read_scores(wb[SHEET_SURVEY], SURVEY_COLUMNS, reader, catalog, "survey")
    not_applicable = _read_na(wb[SHEET_NA], reader, catalog)
    if any(p.severity == "error" for p in reader.problems) or unit is None or period is None or as_of is None:
        return None, reader.problems
    try:
        bundle = Bundle(unit=unit, period=period, as_of=as_of, documents=documents, metrics=metrics,
                        plan_tasks=tasks, survey=survey, manual=manual, not_applicable=not_applicable, notes=notes)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            reader.problem(None, None, None, None, f"bộ minh chứng không hợp lệ: {pydantic_message(err)}")
        return None, reader.problems
    before = len(reader.problems)
    _consistency(bundle, reader, doc_rows, metric_rows, task_rows)
    warnings = reader.problems[before:]
    return LoadedBundle(bundle, file, digest, warnings), reader.problems


def _read_unit(ws, reader: _Reader) -> tuple[Unit | None, Period | None, date | None, str | None]:
    labels = {_key(label): key for key, label, _ in UNIT_FIELDS}
    found: dict[str, tuple[int, Any]] = {}
    for number, values in enumerate(ws.iter_rows(min_row=1, max_col=2, values_only=True), start=1):
        label = _plain(values[0]) if values else None
        if label is None:
            continue
        key = labels.get(_key(label.rstrip("*").strip()))
        if key is not None and key not in found:
            found[key] = (number, values[1] if len(values) > 1 else None)
    sheet = ws.title
    out: dict[str, Any] = {}
    for key, label, _ in UNIT_FIELDS:
        if key not in found:
            if key in UNIT_REQUIRED:
                reader.problem(sheet, None, "A", None, f"thiếu dòng '{label}' trong phần Thông tin đơn vị")
            continue
        number, value = found[key]
        if _plain(value) is None:
            if key in UNIT_REQUIRED:
                reader.problem(sheet, number, "B", None, f"thiếu thông tin đơn vị: '{label}'")
            continue
        try:
            if key in ("start", "end", "as_of"):
                out[key] = _to_date(value)
            elif key == "year":
                year = _to_number(value)
                if not year.is_integer() or not 2000 <= year <= 2100:
                    raise FormatError(f"năm '{_shown(value)}' phải là số 4 chữ số, ví dụ 2024")
                out[key] = int(year)
            else:
                out[key] = _plain(value)
        except FormatError as exc:
            reader.problem(sheet, number, "B", value, f"{label}: {exc}")
    if "start" in out and "end" in out and out["end"] < out["start"]:
        reader.problem(sheet, found["end"][0], "B", found["end"][1],
                       f"kỳ đánh giá kết thúc trước khi bắt đầu ({format_date(out['start'])})")
        return None, None, None, None
    if any(key not in out for key in UNIT_REQUIRED):
        return None, None, None, None
    aliases = [nfc(a).strip() for a in re.split(r"[;\n]", out.get("aliases") or "") if a.strip()]
    unit = Unit(id=out["id"], name=out["name"], level=out["level"], aliases=aliases)
    labels = {key: label for key, label, _ in UNIT_FIELDS}
    try:
        period = Period(year=out["year"], start=out["start"], end=out["end"])
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            key = str(err["loc"][0]) if err["loc"] and err["loc"][0] in found else "year"
            reader.problem(sheet, found[key][0], "B", found[key][1], f"{labels[key]}: {pydantic_message(err)}")
        return None, None, None, None
    if out["as_of"] < period.start:
        reader.problem(sheet, found["as_of"][0], "B", found["as_of"][1],
                       f"{labels['as_of']}: ngày chốt số liệu {format_date(out['as_of'])} trước ngày bắt đầu kỳ đánh giá "
                       f"{format_date(period.start)}")
        return None, None, None, None
    note_parts = [f"Người lập biểu: {out['preparer']}" if out.get("preparer") else None,
                  f"Điện thoại: {out['phone']}" if out.get("phone") else None, out.get("notes")]
    notes = "; ".join(p for p in note_parts if p) or None
    return unit, period, out["as_of"], notes


def _document_kind(text: str, catalog: _Catalog) -> str | None:
    code = catalog.doc_tokens.get(_key(text))
    if code is not None:
        return code
    match = re.fullmatch(r"(.*)\(\s*([^()]+?)\s*\)\s*", text)
    if match and match.group(2) in catalog.doc_codes:
        return match.group(2)
    return None


def _read_documents(ws, reader: _Reader, catalog: _Catalog) -> tuple[list[Document], list[int]]:
    rows = _sheet_rows(ws, DOCUMENT_COLUMNS, reader)
    documents, numbers = [], []
    for row in rows or []:
        if not row.filled(("number", "issue_date", "issuer", "title", "link")):
            continue
        before = len(reader.problems)
        kind_text = reader.text(row, "kind", required=True)
        kind = None
        if kind_text is not None:
            kind = _document_kind(kind_text, catalog)
            if kind is None:
                reader.at(row, "kind", "loại tài liệu không có trong danh mục của bộ chỉ số; chọn từ danh sách thả xuống")
        fields = {"number": reader.text(row, "number"), "issue_date": reader.date(row, "issue_date"),
                  "issuer": reader.text(row, "issuer"), "title": reader.text(row, "title"),
                  "link": reader.text(row, "link"), "sample": bool(reader.yes_no(row, "sample"))}
        if len(reader.problems) == before and kind is not None:
            documents.append(Document(kind=kind, **fields))
            numbers.append(row.number)
    return documents, numbers


def _read_metrics(ws, reader: _Reader, catalog: _Catalog) -> tuple[list[Metric], list[int]]:
    rows = _sheet_rows(ws, METRIC_COLUMNS, reader)
    metrics, numbers = [], []
    for row in rows or []:
        if not row.filled(("value", "period", "source", "note")):
            continue
        before = len(reader.problems)
        name_text = _plain(row.cells.get("name")) or _plain(row.cells.get("label"))
        name = catalog.metric_tokens.get(_key(name_text)) if name_text else None
        if name_text is None:
            reader.at(row, "name", f"thiếu '{row.headers['name']}'")
        elif name is None:
            reader.at(row, "name", "chỉ số không có trong danh mục của bộ chỉ số")
        raw = row.cells.get("value")
        value: float | None = None
        if _plain(raw) is None:
            reader.at(row, "value", f"thiếu '{row.headers['value']}'")
        elif name is not None and catalog.metric_types.get(name) == FACT_TYPE:
            answer = reader.yes_no(row, "value")
            value = None if answer is None else float(answer)
        else:
            value = reader.number(row, "value")
        fields = {"period": reader.text(row, "period"), "source": reader.text(row, "source"),
                  "note": reader.text(row, "note"), "sample": bool(reader.yes_no(row, "sample"))}
        if len(reader.problems) == before and name is not None and value is not None:
            metrics.append(Metric(name=name, value=value, **fields))
            numbers.append(row.number)
    return metrics, numbers


def _read_tasks(ws, reader: _Reader) -> tuple[list[PlanTask], list[int]]:
    rows = _sheet_rows(ws, TASK_COLUMNS, reader)
    tasks, numbers = [], []
    statuses = {_key(s): s for s in TASK_STATUSES}
    for row in rows or []:
        if not row.filled(("id", "title", "deadline", "status", "done_date")):
            continue
        before = len(reader.problems)
        title = reader.text(row, "title", required=True)
        deadline, deadline_text, recurring = _task_deadline(row, reader)
        status_text = reader.text(row, "status")
        status = "chưa thực hiện"
        if status_text is not None:
            status = statuses.get(_key(status_text))
            if status is None:
                reader.at(row, "status", "trạng thái phải là một trong: " + ", ".join(TASK_STATUSES))
        done_date = reader.date(row, "done_date")
        if len(reader.problems) == before:
            tasks.append(PlanTask(id=reader.text(row, "id") or str(len(tasks) + 1), title=title, deadline=deadline,
                                  deadline_text=deadline_text, recurring=recurring, status=status, done_date=done_date))
            numbers.append(row.number)
    return tasks, numbers


def _task_deadline(row: _Row, reader: _Reader) -> tuple[date | None, str | None, bool]:
    """A date; a recurring phrase ("Thường xuyên"); or other text kept as written (not counted)."""
    value = row.cells.get("deadline")
    text = _plain(value)
    if text is None:
        return None, None, False
    if isinstance(value, (datetime, date, int, float)) or _DATE_SHAPE.match(text):
        try:
            return _to_date(value), None, False
        except FormatError as exc:
            reader.at(row, "deadline", f"{row.headers['deadline']}: {exc}")
            return None, None, False
    recurring = any(word in _key(text) for word in RECURRING_WORDS)
    return None, text, recurring


def _criterion_id(value: Any) -> str | None:
    text = _plain(value)
    if text is None:
        return None
    head = text.split(NA_SEPARATOR.strip(), 1)[0].strip()
    return head.split()[0] if head else None


def _read_scores(ws, columns: tuple[Column, ...], reader: _Reader, catalog: _Catalog, what: str) -> list[ScoreEntry]:
    rows = _sheet_rows(ws, columns, reader)
    entries = []
    for row in rows or []:
        if not row.filled(("points", "by", "justification") + (("evidence",) if what == "manual" else ())):
            continue
        before = len(reader.problems)
        criterion = _criterion_id(row.cells.get("criterion"))
        if criterion is None:
            reader.at(row, "criterion", f"thiếu '{row.headers['criterion']}'")
        elif criterion not in catalog.leaves:
            reader.at(row, "criterion", "tiêu chí không có trong bộ chỉ số")
        elif what == "manual" and catalog.rule_kinds.get(criterion) == "survey":
            reader.at(row, "criterion", "tiêu chí lấy điểm điều tra xã hội học; đơn vị không được tự chấm "
                                        f"(nhập điểm công bố ở sheet '{SHEET_SURVEY}')")
        elif what == "manual" and catalog.rule_kinds.get(criterion) != "manual":
            reader.at(row, "criterion", "tiêu chí được chấm tự động từ minh chứng, không chấm thủ công")
        elif what == "survey" and catalog.rule_kinds.get(criterion) != "survey":
            reader.at(row, "criterion", "tiêu chí không phải tiêu chí điều tra xã hội học")
        points = reader.number(row, "points", required=True)
        by = reader.text(row, "by", required=True)
        justification = reader.text(row, "justification", required=True)
        evidence = []
        if what == "manual":
            evidence = [nfc(e).strip() for e in re.split(r"[;\n]", reader.text(row, "evidence") or "") if e.strip()]
        if len(reader.problems) == before:
            entries.append(ScoreEntry(criterion=criterion, points=points, by=by, justification=justification,
                                      evidence=evidence))
    return entries


def _read_na(ws, reader: _Reader, catalog: _Catalog) -> list[NotApplicable]:
    rows = _sheet_rows(ws, NA_COLUMNS, reader)
    entries = []
    for row in rows or []:
        if not row.filled(("criterion", "justification", "by")):
            continue
        before = len(reader.problems)
        criterion = _criterion_id(row.cells.get("criterion"))
        if criterion is None:
            reader.at(row, "criterion", f"thiếu '{row.headers['criterion']}'")
        elif criterion not in catalog.leaves:
            reader.at(row, "criterion", "tiêu chí không có trong bộ chỉ số")
        elif criterion not in catalog.allow_na:
            reader.at(row, "criterion", "bộ chỉ số không cho phép khai báo tiêu chí này không áp dụng")
        justification = reader.text(row, "justification", required=True)
        by = reader.text(row, "by", required=True)
        if len(reader.problems) == before:
            entries.append(NotApplicable(criterion=criterion, justification=justification, by=by))
    return entries


def _consistency(bundle: Bundle, reader: _Reader, doc_rows: list[int], metric_rows: list[int], task_rows: list[int]) -> None:
    """Facts that are not input errors but that scoring reports as data problems (as for YAML bundles)."""
    as_of = format_date(bundle.as_of)
    letter = {c.key: get_column_letter(i + 1) for i, c in enumerate(DOCUMENT_COLUMNS)}
    for document, row in zip(bundle.documents, doc_rows):
        if document.issue_date and document.issue_date > bundle.as_of:
            reader.problem(SHEET_DOCUMENTS, row, letter["issue_date"], document.issue_date,
                           f"ngày ban hành sau ngày chốt số liệu {as_of}", "warning")
    letter = {c.key: get_column_letter(i + 1) for i, c in enumerate(METRIC_COLUMNS)}
    first: dict[str, int] = {}
    for metric, row in zip(bundle.metrics, metric_rows):
        if metric.value < 0:
            reader.problem(SHEET_METRICS, row, letter["value"], format_number(metric.value),
                           f"chỉ số '{metric.name}' âm", "warning")
        if metric.name in first:
            reader.problem(SHEET_METRICS, row, letter["name"], metric.name,
                           f"chỉ số '{metric.name}' khai báo hai lần (lần đầu ở dòng {first[metric.name]})", "warning")
        first.setdefault(metric.name, row)
    letter = {c.key: get_column_letter(i + 1) for i, c in enumerate(TASK_COLUMNS)}
    for task, row in zip(bundle.plan_tasks, task_rows):
        if task.status == "hoàn thành" and task.done_date is None:
            reader.problem(SHEET_TASKS, row, letter["done_date"], None,
                           f"nhiệm vụ '{task.id}' hoàn thành nhưng thiếu ngày hoàn thành", "warning")
        if task.done_date and task.done_date > bundle.as_of:
            reader.problem(SHEET_TASKS, row, letter["done_date"], task.done_date,
                           f"ngày hoàn thành sau ngày chốt số liệu {as_of}", "warning")


register_loader(".xlsx", load_workbook_bundle)
