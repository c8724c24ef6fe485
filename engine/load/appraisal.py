"""The round workbooks of an assessment: what appraisers (and units, for explanations) fill, read back as entries.

`parindex appraise` writes one workbook per unit and round (engine.render.appraisal); this module
holds the layout both sides share and reads a filled workbook: who filled it, which unit,
assessment, criteria set (content hash) and round it belongs to, and one proposed entry per
filled row. Every problem names sheet, row, column and value, all in one pass; whether the
entries may join the record is decided afterwards by the assessment's rules.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.core.limits import xlsx_problem
from engine.core.problems import Problem
from engine.core.vnformat import FormatError
from engine.load.workbook import Column, _key, _plain, _shown, _to_number, _to_yes_no
from engine.load.xlsxsafe import formulas_without_values
from engine.model.assessment import APPRAISAL_ROUNDS, ROLE_LABELS, EvidenceRef

if TYPE_CHECKING:
    pass

WORKBOOK_VERSION = "1"
SHEET_GUIDE = "Hướng dẫn"
SHEET_APPRAISAL = "Thẩm định"
SHEET_EXPLANATION = "Giải trình"
SHEET_META = "Thông tin"
HEADER_ROW = 2
FIRST_ROW = 3

APPRAISAL_COLUMNS = (
    Column("criterion", "Mã tiêu chí", 11, "info"),
    Column("title", "Tên tiêu chí", 40, "info"),
    Column("max", "Điểm tối đa", 9, "info"),
    Column("computed", "Điểm tính từ minh chứng", 11, "info"),
    Column("self", "Điểm tự chấm", 9, "info"),
    Column("standing", "Điểm đang có", 9, "info"),
    Column("unit_note", "Ghi chú và minh chứng của đơn vị", 44, "info"),
    Column("trail", "Thẩm định, giải trình trước đó", 44, "info"),
    Column("points", "Điểm thẩm định", 11, "points"),
    Column("remark", "Nhận xét, lý do thay đổi điểm", 36),
    Column("requested", "Yêu cầu giải trình", 12, "choice"),
    Column("question", "Nội dung cần giải trình", 32),
    Column("refs", "Tài liệu căn cứ (tên, số, trang; cách nhau bằng dấu ;)", 36),
)
EXPLANATION_COLUMNS = (
    Column("criterion", "Mã tiêu chí", 11, "info"),
    Column("title", "Tên tiêu chí", 40, "info"),
    Column("max", "Điểm tối đa", 9, "info"),
    Column("computed", "Điểm tính từ minh chứng", 11, "info"),
    Column("self", "Điểm tự chấm", 9, "info"),
    Column("standing", "Điểm sau thẩm định vòng 1", 11, "info"),
    Column("trail", "Nhận xét của thẩm định", 44, "info"),
    Column("question", "Yêu cầu giải trình", 40, "info"),
    Column("explanation", "Giải trình của đơn vị", 44),
    Column("refs", "Minh chứng bổ sung (tên, số, trang; cách nhau bằng dấu ;)", 40),
)
APPRAISER_CHOICES = {ROLE_LABELS[r].capitalize(): r for r in ("appraiser", "council", "leaders")}
GUIDE_FIELDS = ("by", "role", "complete")
GUIDE_LABELS = {"by": "Họ tên người điền *", "role": "Vai trò *", "complete": "Đã hoàn thành vòng này"}
GUIDE_FIRST_ROW = 9
META_KEYS = ("unit", "assessment", "criteria_hash", "round", "version")
META_LABELS = {"unit": "Mã đơn vị", "assessment": "Mã đợt đánh giá", "criteria_hash": "Mã băm bộ chỉ số",
               "round": "Vòng", "version": "Phiên bản biểu mẫu"}
META_ROWS_START = 8
"""Rows of the hidden sheet from here list the criteria in the order of the data sheet."""


def parse_refs(text: str | None) -> list[EvidenceRef]:
    """'Quyết định 45/QĐ-UBND, trang 2; Báo cáo quý I' → references; 'số …' and 'trang/mục/điều …' are picked out."""
    refs = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        document, number, page = pieces[0], None, None
        rest = []
        for piece in pieces[1:]:
            if re.match(r"(?i)(trang|tr\.|mục|điều|khoản|phụ lục|phần)\b", piece):
                page = piece
            elif re.match(r"(?i)số\s", piece):
                number = piece[3:].strip()
            else:
                rest.append(piece)
        found = re.search(r"(?i)\bsố\s+(\S+)", document)
        if number is None and found:
            number = found.group(1)
            document = (document[:found.start()] + document[found.end():]).strip()
        if rest:
            document = ", ".join([document] + rest)
        refs.append(EvidenceRef(document=document or part, number=number, page=page))
    return refs


@dataclass
class FilledRow:
    """One data row that has something filled in, with where each value stands."""

    row: int
    criterion: str
    points: float | None = None
    text: str | None = None
    requested: bool = False
    question: str | None = None
    refs: list[EvidenceRef] = field(default_factory=list)


@dataclass
class FilledWorkbook:
    file: str
    digest: str
    unit: str
    assessment: str
    criteria_hash: str
    round: str
    by: str | None
    role: str | None
    complete: bool
    rows: list[FilledRow]
    letters: dict[str, str]
    sheet: str
    guide_rows: dict[str, int]


def read_round_workbook(data: bytes, file: str) -> tuple[FilledWorkbook | None, list[Problem]]:
    """A filled appraisal or explanation workbook; every problem of its cells in one pass; nothing is written."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    problems: list[Problem] = []

    def problem(message: str, sheet: str | None = None, row: int | None = None, column: str | None = None,
                value: Any = None, *, code: str) -> None:
        problems.append(Problem(file=file, code=code, message=message, sheet=sheet, row=row, column=column,
                                value=None if value is None else _shown(value)))

    wrong = xlsx_problem(file, data)  # zip bomb, old .xls, password: before openpyxl sees the bytes
    if wrong is not None:
        return None, [wrong]
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or non-Excel file
        return None, [Problem(file=file, code="file.bad_excel",
                              message=f"không mở được tệp Excel (.xlsx): {type(exc).__name__}")]
    try:
        uncached = formulas_without_values(file, data, wb)  # a typed formula with no saved result is no score
        if uncached:
            return None, uncached
        if SHEET_META not in wb.sheetnames or SHEET_GUIDE not in wb.sheetnames:
            problem("không phải bảng thẩm định hoặc giải trình tạo bằng 'parindex appraise' (thiếu sheet thông tin)",
                    code="appraisal.not_a_round_workbook")
            return None, problems
        meta_rows = list(wb[SHEET_META].iter_rows(values_only=True))
        meta = {key: _plain(meta_rows[i][1]) if i < len(meta_rows) and len(meta_rows[i]) > 1 else None
                for i, key in enumerate(META_KEYS, start=1)}
        expected = [_plain(r[0]) for r in meta_rows[META_ROWS_START - 1:] if r and _plain(r[0])]
        round_name = meta.get("round") or ""
        if any(meta.get(k) is None for k in META_KEYS) or round_name not in APPRAISAL_ROUNDS + ("explanation",):
            problem("sheet ẩn 'Thông tin' bị sửa hoặc xóa; tạo lại bảng bằng 'parindex appraise'", SHEET_META,
                    code="appraisal.not_a_round_workbook")
            return None, problems
        explanation = round_name == "explanation"
        sheet = SHEET_EXPLANATION if explanation else SHEET_APPRAISAL
        columns = EXPLANATION_COLUMNS if explanation else APPRAISAL_COLUMNS
        if sheet not in wb.sheetnames:
            problem("thiếu sheet này; không đổi tên sheet của bảng", sheet, code="appraisal.not_a_round_workbook")
            return None, problems
        guide = {}
        guide_rows = {}
        for offset, key in enumerate(GUIDE_FIELDS):
            row = GUIDE_FIRST_ROW + offset
            guide_rows[key] = row
            guide[key] = wb[SHEET_GUIDE].cell(row=row, column=2).value
        by = _plain(guide["by"])
        role = "unit" if explanation else None
        if not explanation:
            label = _plain(guide["role"])
            role = next((code for text, code in APPRAISER_CHOICES.items() if label and _key(text) == _key(label)), None)
            if label is not None and role is None:
                problem(f"vai trò phải là một trong: {', '.join(APPRAISER_CHOICES)}", SHEET_GUIDE,
                        guide_rows["role"], "B", label, code="appraisal.bad_cell")
        complete = False
        if _plain(guide["complete"]) is not None:
            try:
                complete = _to_yes_no(guide["complete"])
            except FormatError as exc:
                problem(str(exc), SHEET_GUIDE, guide_rows["complete"], "B", guide["complete"], code=exc.code)
        letters = {c.key: get_column_letter(i + 1) for i, c in enumerate(columns)}
        ws = wb[sheet]
        header = next(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True), ())
        for i, column in enumerate(columns):
            found = _plain(header[i]) if i < len(header) else None
            if found is None or _key(found) != _key(column.header):
                problem(f"tiêu đề cột phải là '{column.header}' (không thêm, xóa hay đổi thứ tự cột của bảng)", sheet,
                        HEADER_ROW, letters[column.key], found, code="appraisal.bad_header")
        if any(p.code == "appraisal.bad_header" for p in problems):
            return None, problems
        rows: list[FilledRow] = []
        for number, values in enumerate(ws.iter_rows(min_row=FIRST_ROW, values_only=True), start=FIRST_ROW):
            cells = {c.key: (values[i] if i < len(values) else None) for i, c in enumerate(columns)}
            index = number - FIRST_ROW
            criterion = _plain(cells["criterion"])
            filled = [k for k, c in zip(cells, columns) if c.kind != "info" and _plain(cells[k]) is not None]
            if index >= len(expected):
                if filled or criterion:
                    problem("dòng thêm ngoài danh sách tiêu chí của bảng; không thêm dòng",
                            sheet, number, letters["criterion"], criterion, code="appraisal.extra_row")
                continue
            if criterion != expected[index]:
                problem(f"mã tiêu chí của dòng này phải là {expected[index]}; "
                                                       "không sửa, thêm, xóa hay sắp xếp lại dòng", sheet, number,
                        letters["criterion"], criterion, code="appraisal.changed_criterion")
                continue
            if not filled:
                continue
            item = FilledRow(row=number, criterion=criterion)
            if explanation:
                item.text = _plain(cells["explanation"])
            else:
                item.text = _plain(cells["remark"])
                item.question = _plain(cells["question"])
                if _plain(cells["points"]) is not None:
                    try:
                        item.points = _to_number(cells["points"])
                    except FormatError as exc:
                        problem(f"điểm thẩm định: {exc}", sheet, number, letters["points"], cells["points"],
                                code=exc.code)
                        continue
                if _plain(cells["requested"]) is not None:
                    try:
                        item.requested = _to_yes_no(cells["requested"])
                    except FormatError as exc:
                        problem(f"yêu cầu giải trình: {exc}", sheet, number, letters["requested"], cells["requested"],
                                code=exc.code)
                        continue
            item.refs = parse_refs(_plain(cells["refs"]))
            rows.append(item)
        if (rows or complete) and by is None:
            problem("ghi họ tên người điền bảng", SHEET_GUIDE, guide_rows["by"], "B", code="appraisal.no_author")
        if (rows or complete) and role is None and not any(p.row == guide_rows["role"] for p in problems):
            problem("chọn vai trò người điền bảng", SHEET_GUIDE, guide_rows["role"], "B", code="appraisal.no_author")
        filled_workbook = FilledWorkbook(
            file=file, digest=hashlib.sha256(data).hexdigest(), unit=meta["unit"], assessment=meta["assessment"],
            criteria_hash=meta["criteria_hash"], round=round_name, by=by, role=role, complete=complete, rows=rows,
            letters=letters, sheet=sheet, guide_rows=guide_rows)
        return filled_workbook, problems
    finally:
        wb.close()
