"""Multi-row headers: the path of header cells above each column, and the columns a mapping names.

A merged cell (XLSX) covers the columns and rows of its range. A CSV has no merges: a group label
is written once and the cells to its right are blank. Such a blank is taken as part of the label
on its left only when something is written below it (it heads sub-columns) and both columns sit
under the same labels above; a blank with nothing below is the lower part of a tall cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.core.problems import InputError, Problem
from engine.load.dossiers import text_key
from engine.load.report_forms.grid import Grid, column_letter
from engine.load.report_forms.mapping import HeaderPath, ReportMapping
from engine.load.report_forms.problems import problem

SEARCH_ROWS = 40
_NUMBERING = re.compile(r"\(?\s*(\d{1,3}|[A-ZĐ])\s*\)?(\s*=\s*[()\d\s+\-x*/]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Header:
    """Where the header is (first and last row, 1-based) and each column's header path."""

    first_row: int
    last_row: int
    paths: dict[int, HeaderPath]  # column number → header cells from the top down, as written

    def path_text(self, column: int) -> str:
        return " / ".join(self.paths.get(column, ())) or f"cột {column_letter(column)}"


def find_header(grid: Grid, mapping: ReportMapping) -> Header:
    """Locate the header (by the label column's top cell unless the mapping gives header_row) and read it."""
    depth = mapping.depth()
    if mapping.header_row is not None:
        first = mapping.header_row
    else:
        tops = {text_key(path[0]) for path in mapping.label}
        first = next((r for r in range(1, min(len(grid.rows), SEARCH_ROWS) + 1)
                      if any(text_key(c.text) in tops for c in grid.rows[r - 1])), 0)
        if not first:
            wanted = " hoặc ".join(f"'{path[0]}'" for path in mapping.label)
            message = (f"không tìm thấy dòng tiêu đề: không ô nào trong {SEARCH_ROWS} dòng đầu ghi {wanted} "
                       f"(cột tên theo ánh xạ '{mapping.system}')")
            raise InputError([problem(code="report.no_header", file=grid.file, message=message, sheet=grid.sheet)])
    last = first + depth - 1
    if last > len(grid.rows):
        message = f"bảng hết trước khi đủ {depth} dòng tiêu đề"
        raise InputError([problem(code="report.no_header", file=grid.file, message=message, sheet=grid.sheet,
                                  row=first)])
    return Header(first, last, _paths(grid, first, last))


def _paths(grid: Grid, first: int, last: int) -> dict[int, HeaderPath]:
    width = grid.width
    rows = range(first, last + 1)
    raw = {(r, c): grid.cell(r, c).text for r in rows for c in range(1, width + 1)}
    filled = dict(raw)
    covered: set[tuple[int, int]] = set()
    for min_row, min_col, max_row, max_col in grid.merges:
        if max_row < first or min_row > last:
            continue
        value = grid.cell(min_row, min_col).text
        for r in range(max(min_row, first), min(max_row, last) + 1):
            for c in range(min_col, max_col + 1):
                covered.add((r, c))
                filled[(r, c)] = value if r == max(min_row, first) else ""
    for r in rows:
        for c in range(2, width + 1):
            if filled[(r, c)] or (r, c) in covered:
                continue
            below = any(raw[(b, c)] for b in range(r + 1, last + 1))
            same_parent = all(filled[(a, c)] == filled[(a, c - 1)] for a in range(first, r))
            if below and same_parent and filled[(r, c - 1)]:
                filled[(r, c)] = filled[(r, c - 1)]
    paths: dict[int, HeaderPath] = {}
    for c in range(1, width + 1):
        parts: list[str] = []
        for r in rows:
            text = filled[(r, c)]
            if text and (not parts or text_key(parts[-1]) != text_key(text)):
                parts.append(text)
        if parts:
            paths[c] = tuple(parts)
    return paths


def is_numbering_row(texts: list[str]) -> bool:
    """A row of column numbers under the header: (1) (2) (3)..., 1 2 3..., A B 1 2, or (3)=(4)+(5)."""
    filled = [t for t in texts if t]
    if len(filled) < 3 or not all(_NUMBERING.fullmatch(t) for t in filled):
        return False
    numbers = [int(m.group(1)) for t in filled if (m := _NUMBERING.fullmatch(t)) and m.group(1).isdigit()]
    return len(numbers) >= 3 and all(b > a for a, b in zip(numbers, numbers[1:]))


def match_columns(header: Header, mapping: ReportMapping, grid: Grid) -> tuple[dict[str, int], list[Problem]]:
    """Mapped name → column; every column missing or matched twice is a problem naming the paths found."""
    index: dict[tuple[str, ...], list[int]] = {}
    for column, path in header.paths.items():
        index.setdefault(tuple(text_key(p) for p in path), []).append(column)
    wanted: list[tuple[str, tuple[HeaderPath, ...], bool]] = [("label", mapping.label, False)]
    if mapping.number_column is not None:
        wanted.append(("number_column", mapping.number_column, True))
    wanted += [(name, paths, name in mapping.optional) for name, paths in mapping.columns.items()]
    wanted += [(f"rate:{name}", rate.column, True) for name, rate in mapping.rates.items()]
    found: dict[str, int] = {}
    missing: list[str] = []
    problems: list[Problem] = []
    for name, paths, optional in wanted:
        hits = sorted({c for path in paths for c in index.get(tuple(text_key(p) for p in path), [])})
        if len(hits) == 1:
            found[name] = hits[0]
        elif len(hits) > 1:
            problems.append(problem(
                code="report.ambiguous_column", file=grid.file,
                message=f"tiêu đề '{' / '.join(paths[0])}' có ở {len(hits)} cột ("
                + ", ".join(column_letter(c) for c in hits) + "); không biết dùng cột nào",
                sheet=grid.sheet, row=header.first_row, column=", ".join(column_letter(c) for c in hits)))
        elif not optional:
            missing.append(" hoặc ".join(f"'{' / '.join(path)}'" for path in paths))
    if missing:
        present = "; ".join(f"{column_letter(c)}: '{' / '.join(p)}'" for c, p in sorted(header.paths.items()))
        problems.append(problem(
            code="report.missing_column", file=grid.file,
            message=f"thiếu cột theo ánh xạ '{mapping.system}': " + ", ".join(missing)
            + f". Các cột đọc được từ dòng tiêu đề {header.first_row}–{header.last_row}: {present or '(không có)'}",
            sheet=grid.sheet, row=header.first_row))
    return found, problems
