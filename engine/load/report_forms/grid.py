"""A report table as a grid of cells, read from CSV or XLSX with size limits checked before parsing.

Report forms are small (tens of rows), so the whole sheet is read cell by cell: merged header
cells, Excel number formats (to tell 0,985 formatted as a percentage from 0,985) and formulas
whose result was never saved all matter here, and openpyxl keeps them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.core.limits import xlsx_problem
from engine.core.problems import InputError, os_error_vi
from engine.core.vnformat import format_date, format_number, nfc
from engine.load.report_forms.problems import problem

if TYPE_CHECKING:
    pass

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 25 * 1024 * 1024  # openpyxl holds every cell in memory: report forms are far smaller
MAX_ROWS = 20_000
MAX_COLUMNS = 500


@dataclass(frozen=True)
class Cell:
    """One cell: its raw value (str, int, float, datetime or None), its Excel number format, its text."""

    value: Any
    number_format: str | None = None
    formula_without_value: bool = False

    @property
    def text(self) -> str:
        return cell_text(self.value)


def cell_text(value: Any) -> str:
    """A cell as a person sees it: NFC text trimmed, whole numbers without '.0', dates dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, str):
        return nfc(value).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return format_date(value.date())
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_ref(row: int, column: int) -> str:
    """The A1-style reference a spreadsheet shows, e.g. 'D12'."""
    from openpyxl.utils import get_column_letter
    return f"{get_column_letter(column)}{row}"


def column_letter(column: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(column)


@dataclass
class Grid:
    """Rows of cells (1-based row and column numbers as the user sees them) and the merged ranges."""

    file: str
    sheet: str | None
    rows: list[list[Cell]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, row: int, column: int) -> Cell:
        cells = self.rows[row - 1] if 0 < row <= len(self.rows) else []
        return cells[column - 1] if 0 < column <= len(cells) else Cell(None)


def read_grid(path: Path, sheet: str | None, delimiter: str) -> Grid:
    """The table file as cells; InputError (one problem) when it cannot be read or is too large."""
    path = Path(path)
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = (f"tệp lớn {format_number(size, 0)} byte, vượt giới hạn {format_number(MAX_FILE_BYTES, 0)} byte "
                       "của biểu báo cáo tổng hợp")
            raise InputError([problem(code="report.too_large", file=file, message=message)])
        data = path.read_bytes()
    except OSError as exc:
        message = f"không đọc được tệp: {os_error_vi(exc)}"
        raise InputError([problem(code="report.unreadable", file=file, message=message)]) from None
    suffix = path.suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(file, data, sheet)
    if suffix in (".csv", ".txt"):
        return _read_csv(file, data, delimiter)
    message = f"không đọc được loại tệp '{path.suffix}'; chỉ nhận .csv hoặc .xlsx"
    raise InputError([problem(code="report.unreadable", file=file, message=message, value=path.suffix)])


def _read_csv(file: str, data: bytes, delimiter: str) -> Grid:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"tệp không phải UTF-8 (byte {exc.start}); hãy lưu lại dưới dạng 'CSV UTF-8'"
        raise InputError([problem(code="report.unreadable", file=file, message=message)]) from None
    rows: list[list[Cell]] = []
    try:
        for index, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if index > MAX_ROWS:
                message = (f"tệp có hơn {format_number(MAX_ROWS, 0)} dòng; biểu báo cáo tổng hợp không dài như vậy "
                           "(có phải tệp danh sách hồ sơ?)")
                raise InputError([problem(code="report.too_large", file=file, message=message)])
            if len(values) > MAX_COLUMNS:
                message = f"dòng có hơn {MAX_COLUMNS} cột"
                raise InputError([problem(code="report.too_large", file=file, message=message, row=index)])
            rows.append([Cell(v) for v in values])
    except csv.Error as exc:
        message = f"tệp CSV sai định dạng ({exc})"
        raise InputError([problem(code="report.unreadable", file=file, message=message)]) from None
    return Grid(file, None, rows)


def _read_xlsx(file: str, data: bytes, sheet: str | None) -> Grid:
    from openpyxl import load_workbook
    wrong = xlsx_problem(file, data)  # an old .xls, a password, another file renamed: said precisely
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        message = ("không mở được tệp Excel (.xlsx): tệp hỏng, có mật khẩu hoặc là tệp .xls cũ đổi tên; "
                   "hãy mở bằng Excel và lưu lại dạng .xlsx")
        raise InputError([wrong or problem(code="report.unreadable", file=file, message=message)]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        message = "tệp Excel giải nén ra quá lớn (có thể là tệp nén độc hại); không đọc"
        raise InputError([problem(code="report.too_large", file=file, message=message)])
    if wrong is not None:
        raise InputError([wrong])
    try:
        values_book = load_workbook(io.BytesIO(data), data_only=True)
        formula_book = load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        message = f"không mở được tệp Excel (.xlsx): {type(exc).__name__}"
        raise InputError([problem(code="report.unreadable", file=file, message=message)]) from None
    name = sheet if sheet is not None else values_book.sheetnames[0]
    if name not in values_book.sheetnames:
        message = "không có sheet này; các sheet có: " + ", ".join(f"'{s}'" for s in values_book.sheetnames)
        raise InputError([problem(code="report.no_sheet", file=file, message=message, sheet=name)])
    ws, formulas = values_book[name], formula_book[name]
    if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
        message = (f"sheet có {ws.max_row} dòng, {ws.max_column} cột; vượt giới hạn {MAX_ROWS} dòng, {MAX_COLUMNS} cột "
                   "của biểu báo cáo tổng hợp")
        raise InputError([problem(code="report.too_large", file=file, message=message, sheet=name)])
    rows: list[list[Cell]] = []
    for values_row, formula_row in zip(ws.iter_rows(), formulas.iter_rows()):
        cells = []
        for cell, formula in zip(values_row, formula_row):
            missing = cell.value is None and formula.data_type == "f"
            cells.append(Cell(cell.value, cell.number_format, missing))
        rows.append(cells)
    merges = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    return Grid(file, name, rows, sorted(merges))
