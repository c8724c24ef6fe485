"""The office's Excel list of units and accounts: every problem with sheet, row and column in one pass."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from openpyxl import load_workbook

COLUMNS = ["Mã đơn vị", "Tên đơn vị", "Địa bàn", "Cấp", "Tên đăng nhập", "Họ tên người phụ trách"]
_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
_LOGIN = re.compile(r"[A-Za-z0-9@.+_-]{3,150}")


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    area: str
    level: str
    username: str
    person: str


@dataclass(frozen=True)
class RowProblem:
    sheet: str
    row: int | None
    column: str | None
    value: str
    message: str

    def render(self, file: str) -> str:
        place = ", ".join(p for p in (f"sheet '{self.sheet}'", f"dòng {self.row}" if self.row else "",
                                      f"cột {self.column}" if self.column else "") if p)
        text = f"{file} [{place}]: {self.message}"
        return text + (f" (giá trị: '{self.value}')" if self.value else "")


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def read_unit_list(handle) -> tuple[list[UnitRow], list[RowProblem]]:
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return [], [RowProblem("", None, None, "", "tệp không phải bảng tính Excel (.xlsx) đọc được")]
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True, max_row=5001, max_col=len(COLUMNS)))
    if not rows:
        return [], [RowProblem(sheet.title, 1, None, "", "bảng tính rỗng")]
    header = [_text(c) for c in rows[0]]
    problems: list[RowProblem] = []
    for index, name in enumerate(COLUMNS):
        if index >= len(header) or header[index].lower() != name.lower():
            problems.append(RowProblem(sheet.title, 1, chr(65 + index), header[index] if index < len(header) else "",
                                       f"tiêu đề cột phải là '{name}'"))
    if problems:
        return [], problems
    if len(rows) > 5000:
        problems.append(RowProblem(sheet.title, 5001, None, "", "danh sách quá 5000 dòng"))
    units: list[UnitRow] = []
    seen_codes: dict[str, int] = {}
    seen_logins: dict[str, int] = {}
    for number, raw in enumerate(rows[1:5000], start=2):
        cells = [_text(c) for c in raw] + [""] * (len(COLUMNS) - len(raw))
        if not any(cells):
            continue
        code, name, area, level, username, person = cells[:6]
        if not _CODE.fullmatch(code):
            problems.append(RowProblem(sheet.title, number, "A", code,
                                       "mã đơn vị chỉ gồm chữ thường không dấu, chữ số, '-', '_', '.'"))
        if not name:
            problems.append(RowProblem(sheet.title, number, "B", "", "thiếu tên đơn vị"))
        if not _LOGIN.fullmatch(username):
            problems.append(RowProblem(sheet.title, number, "E", username,
                                       "tên đăng nhập 3–150 ký tự: chữ không dấu, chữ số, @ . + - _"))
        if code in seen_codes:
            problems.append(RowProblem(sheet.title, number, "A", code, f"trùng mã đơn vị ở dòng {seen_codes[code]}"))
        if username in seen_logins:
            problems.append(RowProblem(sheet.title, number, "E", username,
                                       f"trùng tên đăng nhập ở dòng {seen_logins[username]}"))
        seen_codes.setdefault(code, number)
        seen_logins.setdefault(username, number)
        units.append(UnitRow(code, name, area, level, username, person))
    if not units and not problems:
        problems.append(RowProblem(sheet.title, 2, None, "", "danh sách không có đơn vị nào"))
    return units, problems


def new_password() -> str:
    return secrets.token_urlsafe(12)
