"""CSV rows with the line each starts on; quotes are read strictly, so an unclosed quote is a message, not a merged row.

Python's csv module, left lenient, reads everything after an unclosed quote as one cell: the rows
below it vanish into that cell without a word. Read strictly, the damage is reported at the line
where the quoted cell opened.
"""

from __future__ import annotations

import csv

from engine.core.problems import Problem


def csv_rows(file: str, text: str, delimiter: str = ",") -> tuple[list[tuple[int, list[str]]], Problem | None]:
    """(line, cells) of every non-blank row, and the problem that stopped the reading, if any."""
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if cells and any(cell.strip() for cell in cells):
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        reason = str(exc)
        if "expected after" in reason and reader.line_num > start:  # a quoted cell ran over lines: it was not closed
            return rows, Problem(file=file, row=start, code="csv.unclosed_quote",
                                 message="dấu ngoặc kép mở ở dòng này không được đóng; các dòng sau bị đọc lẫn vào một ô")
        if "expected after" in reason:
            return rows, Problem(file=file, row=reader.line_num, code="csv.stray_quote",
                                 message="dấu ngoặc kép đặt sai chỗ: sau dấu ngoặc kép đóng phải là dấu phân cách "
                                         f"'{delimiter}' (trong ô, viết dấu ngoặc kép thành hai dấu \"\")")
        if "field larger" in reason:
            return rows, Problem(file=file, row=start, code="csv.unclosed_quote",
                                 message="ô bắt đầu ở dòng này quá dài: có thể dấu ngoặc kép mở ở đây không được đóng")
        return rows, Problem(file=file, row=start, code="csv.unclosed_quote",
                             message="dấu ngoặc kép mở ở dòng này không được đóng; các dòng sau bị đọc lẫn vào một ô")
    return rows, None
