"""Opening user .xlsx files: size, format and password checked before openpyxl sees them; formulas never read as blank.

A cell holding a formula is read by its cached value, the number Excel stored when it last
calculated. A file written by a program that does not calculate has no cached value: read naively,
the cell is blank and its number silently missing. Such cells are reported, naming sheet and cell.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.core.limits import MAX_XLSX_BYTES, has_formulas, read_limited, xlsx_problem
from engine.core.problems import Problem

if TYPE_CHECKING:
    pass

MAX_LISTED_FORMULAS = 20


def open_xlsx(path: Path, what: str = "tệp Excel") -> tuple[Any, bytes, list[Problem]]:
    """(workbook read-only with cached values, the file's bytes, problems); the workbook is None when it cannot be read."""
    from openpyxl import load_workbook
    file = str(path)
    data, problem = read_limited(path, MAX_XLSX_BYTES, what)
    if data is None:
        return None, b"", [problem] if problem else []
    problem = xlsx_problem(file, data)
    if problem is not None:
        return None, data, [problem]
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        return None, data, [Problem(file=file, code="xlsx.damaged",
                                    message=f"không mở được tệp Excel (.xlsx): tệp bị hỏng ({type(exc).__name__})")]
    try:
        problems = formulas_without_values(file, data, workbook)
    except Exception:  # a sheet openpyxl cannot walk is reported by the reader of that sheet
        problems = []
    return workbook, data, problems


def formulas_without_values(file: str, data: bytes, values_workbook: Any) -> list[Problem]:
    """Formula cells whose cached value is missing, each naming sheet and cell (at most MAX_LISTED_FORMULAS)."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    if not has_formulas(data):
        return []
    formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    problems: list[Problem] = []
    try:
        for sheet in formulas.worksheets:
            cells = {(cell.row, cell.column): cell.value for row in sheet.iter_rows() for cell in row
                     if getattr(cell, "data_type", None) == "f"}
            if not cells:
                continue
            filled = {(cell.row, cell.column) for row in values_workbook[sheet.title].iter_rows() for cell in row
                      if getattr(cell, "row", None) is not None and cell.value is not None}
            for row_number, column in sorted(key for key in cells if key not in filled):
                problems.append(Problem(
                    file=file, sheet=sheet.title, row=row_number, column=get_column_letter(column),
                    value=str(cells[(row_number, column)])[:80], code="xlsx.formula_without_value",
                    message="ô là công thức nhưng chưa có giá trị tính sẵn (tệp được tạo bằng chương trình "
                            "không tính công thức); mở tệp bằng Excel hoặc LibreOffice, lưu lại rồi dùng"))
                if len(problems) >= MAX_LISTED_FORMULAS:
                    return problems
    finally:
        formulas.close()
    return problems
