"""The Excel writer: one worksheet per part, printed like the Word file.

Every string that reaches a cell goes through data.safe_cell, so evidence text such as
"=HYPERLINK(...)" is shown, never run; only the report's own totals are formulas, each written
with the engine's value cached so that readers which do not calculate see the same number.
Numbers are stored as numbers with Vietnamese formats (0,00 and 0,00%), percentages as
fractions. Print setup: A4 in the part's orientation, fit to the page width, the table's header
rows repeated, the decree's margins, page numbers and the check code in the footer.
"""

from __future__ import annotations

import io
import math
import re
from datetime import datetime
from typing import TYPE_CHECKING

from engine.render.data import safe_cell
from engine.render.reports.document import (
    Cell,
    Closing,
    Heading,
    Letterhead,
    Paragraph,
    Part,
    Row,
    Table,
    Total,
    clean_text,
)
from engine.render.reports.office import (
    FILLS,
    FIXED_STAMP,
    FONT,
    MOTTO,
    NATIONAL_NAME,
    RECIPIENTS_LABEL,
    is_number,
    recipient_lines,
    stable_zip,
)
from engine.render.xlsx_styles import styles

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText

NUMBER_FORMATS = {"number": "[$-42A]0.00", "percent": "[$-42A]0.00%", "integer": "0"}
TABLE_PT, FRAME_PT = 11, 12
LINE_PT = 15.5
"""Height of one line of 11 pt Times New Roman with Vietnamese stacked marks."""
_CM_PER_INCH = 2.54
KEEP_ROWS = 2
"""Rows at the end of the last table kept on the page of the signature block."""
_TOKEN = re.compile(r"\{(\d+)(?::(\d+))?\}")


def to_xlsx(parts: list[Part], stamp: datetime = FIXED_STAMP) -> bytes:
    """One worksheet per part; totals as formulas with the engine's values cached."""
    from openpyxl import Workbook
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    styles = _CellStyles(workbook)
    cached: dict[str, dict[str, float]] = {}
    for number, part in enumerate(parts, start=1):
        sheet = workbook.create_sheet(sheet_name(part.name, used))
        cached[f"xl/worksheets/sheet{number}.xml"] = _part(sheet, part, styles)
    workbook.properties.creator = "parindex"
    workbook.properties.lastModifiedBy = "parindex"
    workbook.properties.language = "vi-VN"
    workbook.properties.created = stamp
    workbook.calculation.fullCalcOnLoad = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return stable_zip(buffer.getvalue(), stamp, cached)


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\' ."""
    base = re.sub(r"[\[\]:*?/\\']", " ", clean_text(name)).strip() or "Trang"
    base = base[:31].strip()
    candidate, number = base, 2
    while candidate.casefold() in used:
        suffix = f" ({number})"
        candidate = base[:31 - len(suffix)].strip() + suffix
        number += 1
    used.add(candidate.casefold())
    return candidate


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        value = "\n".join(value)
    return safe_cell(clean_text(value))


def _lines_needed(text: str, width: float) -> int:
    return sum(max(1, math.ceil(len(line) * 1.0 / max(width - 1, 1))) for line in text.split("\n"))


class _CellStyles:
    """One named style per look, registered once per workbook: far cheaper than a font and fill per cell."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.names: dict[tuple, str] = {}

    def __call__(self, *, bold: bool = False, italic: bool = False, size: float = TABLE_PT, fill: str | None = None,
                 wrap: bool = True, horizontal: str = "left", vertical: str = "top", indent: int = 0,
                 number_format: str = "General", border: str = "box") -> str:
        from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill
        key = (bold, italic, size, fill, wrap, horizontal, vertical, indent, number_format, border)
        name = self.names.get(key)
        if name is None:
            name = f"parindex {len(self.names) + 1}"
            style = NamedStyle(name=name, font=Font(name=FONT, size=size, bold=bold, italic=italic),
                               border={"box": styles().black_border, "rule": styles().rule}.get(border, Border()),
                               number_format=number_format,
                               alignment=Alignment(wrap_text=wrap, horizontal=horizontal, vertical=vertical,
                                                   indent=indent))
            if fill:
                style.fill = PatternFill("solid", fgColor=fill)
            self.workbook.add_named_style(style)
            self.names[key] = name
        return name


class _Sheet:
    """A worksheet being filled row by row, with the column widths of its widest table."""

    def __init__(self, sheet, part: Part, styles: _CellStyles):
        from openpyxl.utils import get_column_letter
        self.sheet, self.part, self.styles = sheet, part, styles
        tables = [b for b in part.blocks if isinstance(b, Table) and "xlsx" in b.formats]
        main = max(tables, key=lambda t: len(t.columns), default=None)
        self.widths = [c.width for c in main.columns] if main else [14.0] * 8
        for index, width in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        self.count = len(self.widths)
        total = sum(self.widths)
        running, split = 0.0, 1
        for index, width in enumerate(self.widths[:-1], start=1):
            running += width
            split = index
            if running >= total * 0.38:
                break
        self.split = split
        self.row = 1
        self.cached: dict[str, float] = {}

    def merged(self, first: int, last: int, value: str | CellRichText | None, style: str,
               height: float | None = None) -> None:
        """A frame text across columns first..last (1-based), always stored as text; a row height in points if given."""
        from openpyxl.cell.rich_text import CellRichText
        cell = self.sheet.cell(self.row, first)
        if value:
            cell.value = value if isinstance(value, CellRichText) else safe_cell(clean_text(value))
            cell.data_type = "s"
        cell.style = style
        if last > first:
            self.sheet.merge_cells(start_row=self.row, start_column=first, end_row=self.row, end_column=last)
        if height is not None:
            current = self.sheet.row_dimensions[self.row].height or 0
            self.sheet.row_dimensions[self.row].height = max(current, height)

    def rule(self, first: int, last: int, fraction: float) -> None:
        """A line under the middle `fraction` of columns first..last (the decree's rule under a name or the motto)."""
        widths = self.widths[first - 1:last]
        total = sum(widths)
        start, end, running = first, last, 0.0
        for offset, width in enumerate(widths):
            if running + width / 2 >= total * (1 - fraction) / 2:
                start = first + offset
                break
            running += width
        running = 0.0
        for offset, width in reversed(list(enumerate(widths))):
            if running + width / 2 >= total * (1 - fraction) / 2:
                end = first + offset
                break
            running += width
        for column in range(start, max(start, end) + 1):
            self.sheet.cell(self.row, column).style = self.styles(border="rule", size=4)


def _part(sheet, part: Part, styles: _CellStyles) -> dict[str, float]:
    page = _Sheet(sheet, part, styles)
    if part.letterhead is not None:
        _letterhead(page, part.letterhead)
    header_rows: tuple[int, int] | None = None
    blocks = [b for b in part.blocks if "xlsx" in b.formats]
    table_end: int | None = None
    for block in blocks:
        if isinstance(block, Heading):
            page.merged(1, page.count, block.text, styles(bold=True, size=FRAME_PT, border="none"), LINE_PT + 4)
            page.row += 1
        elif isinstance(block, Paragraph):
            lines = _lines_needed(block.text, sum(page.widths))
            page.merged(1, page.count, block.text,
                        styles(italic=block.italic, size=FRAME_PT, border="none",
                               horizontal="center" if block.center else "left"), lines * (LINE_PT + 1))
            page.row += 1
        elif isinstance(block, Table):
            first, last = _table(page, block)
            if block.freeze and header_rows is None:
                header_rows = (first, last)
            table_end = page.row - 1 if block is blocks[-1] else None
            page.row += 1
    if part.closing is not None:
        _closing(page, part.closing)
    if header_rows is not None:
        sheet.freeze_panes = sheet.cell(header_rows[1] + 1, 1)
        sheet.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    _print_setup(sheet, part)
    if part.closing is not None and table_end is not None:
        _keep_closing_with_table(page, table_end, header_rows, part.orientation)
    return page.cached


def _column_points(width: float) -> float:
    """A column's printed width: Excel's character width (7 px per digit of the default font, plus padding) in points."""
    return (int(width * 7 + 5)) * 0.75


def _keep_closing_with_table(page: _Sheet, table_end: int, titles: tuple[int, int] | None, orientation: str) -> None:
    """A manual page break before the table's last rows when the signature block would not fit after them.

    Spreadsheets have no 'keep with next'; the sheet's pages are worked out from the row heights
    the writer set and the fit-to-width scale, with a safety margin, and the break moves the last
    rows together with the closing to a new page (under the repeated header rows).
    """
    from openpyxl.worksheet.pagebreak import Break
    sheet = page.sheet
    width_pt, height_pt = (842.0, 595.0) if orientation == "landscape" else (595.0, 842.0)
    printable_width = width_pt - (3.0 + 1.5) / _CM_PER_INCH * 72
    printable_height = (height_pt - 4.0 / _CM_PER_INCH * 72) * 0.96
    scale = min(1.0, printable_width / sum(_column_points(w) for w in page.widths))
    capacity = printable_height / scale

    def height(row: int) -> float:
        return sheet.row_dimensions[row].height or 15.0

    title_height = sum(height(r) for r in range(titles[0], titles[1] + 1)) if titles else 0.0
    keep_from = max(table_end - KEEP_ROWS + 1, (titles[1] + 1) if titles else 1)
    used, page_of = 0.0, {}
    for row in range(1, page.row):
        if used + height(row) > capacity and used > 0:
            used = title_height if titles and row > titles[1] else 0.0
        used += height(row)
        page_of[row] = used
    # Rows are on one page when the running height never restarted between them.
    last_closing = page.row - 1
    restarted = any(page_of[r] < page_of[r - 1] for r in range(keep_from + 1, last_closing + 1))
    if restarted:
        sheet.row_breaks.append(Break(id=keep_from - 1))


def _letterhead(page: _Sheet, head: Letterhead) -> None:
    styles, split, count = page.styles, page.split, page.count
    plain = styles(size=FRAME_PT, horizontal="center", border="none", wrap=True)
    bold = styles(size=FRAME_PT, bold=True, horizontal="center", border="none", wrap=True)
    if head.parent:
        page.merged(1, split, head.parent.upper(), plain, LINE_PT + 4)
    page.merged(split + 1, count, NATIONAL_NAME, bold, LINE_PT + 4)
    page.row += 1
    page.merged(1, split, head.body.upper(), bold, LINE_PT + 4)
    page.merged(split + 1, count, MOTTO, styles(size=FRAME_PT + 1, bold=True, horizontal="center", border="none"),
                LINE_PT + 5)
    page.row += 1
    page.rule(1, split, 0.45)
    page.rule(split + 1, count, 0.5)
    page.sheet.row_dimensions[page.row].height = 5
    page.row += 1
    page.merged(1, split, head.number, plain, LINE_PT + 4)
    page.merged(split + 1, count, head.place_date, styles(size=FRAME_PT + 1, italic=True, horizontal="center",
                                                        border="none"), LINE_PT + 5)
    page.row += 2
    page.merged(1, count, head.title, styles(size=FRAME_PT + 2, bold=True, horizontal="center", border="none"),
                LINE_PT + 7)
    page.row += 1
    for line in head.subtitle:
        page.merged(1, count, line, styles(size=FRAME_PT + 1, bold=True, horizontal="center", border="none"),
                    LINE_PT + 5)
        page.row += 1
    if head.attachment:
        page.merged(1, count, head.attachment, styles(size=FRAME_PT, italic=True, horizontal="center", border="none"),
                    LINE_PT + 4)
        page.row += 1
    page.row += 1


def _closing(page: _Sheet, closing: Closing) -> None:
    """Recipients in one cell ('Nơi nhận:' in bold italics, one line each), the signature block beside it."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    styles, split, count = page.styles, page.split, page.count
    lines = recipient_lines(closing.recipients)
    recipients = CellRichText(TextBlock(InlineFont(rFont=FONT, sz=FRAME_PT, b=True, i=True), RECIPIENTS_LABEL),
                              TextBlock(InlineFont(rFont=FONT, sz=FRAME_PT - 1), "".join("\n" + clean_text(line)
                                                                                        for line in lines)))
    signer_style = styles(size=FRAME_PT + 1, bold=True, horizontal="center", border="none")
    right = [line.upper() for line in closing.signer] + [""] * 4 + [closing.name or ""]
    page.row += 1
    top = page.row
    for index, line in enumerate(right):
        if line:
            page.merged(split + 1, count, line, signer_style, LINE_PT + 4)
        else:
            page.sheet.row_dimensions[page.row].height = LINE_PT + 4
        page.row += 1
    cell = page.sheet.cell(top, 1)
    cell.value = recipients
    cell.style = styles(size=FRAME_PT - 1, border="none", vertical="top")
    page.sheet.merge_cells(start_row=top, start_column=1, end_row=top + max(len(right), len(lines) + 1) - 1,
                           end_column=split)
    page.row = top + max(len(right), len(lines) + 1)


def _table(page: _Sheet, table: Table) -> tuple[int, int]:
    """Header rows (one, or two under grouped headers) and the table rows; returns the header's first and last row."""
    sheet, styles = page.sheet, page.styles
    header = styles(bold=True, fill=FILLS["header"], horizontal="center", vertical="center")
    grouped = any(c.group for c in table.columns)
    first = page.row
    lines = 1
    for index, column in enumerate(table.columns, start=1):
        lines = max(lines, _lines_needed(column.header, column.width))
        if not grouped:
            sheet.cell(first, index, _text(column.header)).style = header
            continue
        if column.group is None:
            sheet.cell(first, index, _text(column.header)).style = header
            sheet.cell(first + 1, index).style = header
            sheet.merge_cells(start_row=first, start_column=index, end_row=first + 1, end_column=index)
        else:
            sheet.cell(first + 1, index, _text(column.header)).style = header
            if index == 1 or table.columns[index - 2].group != column.group:
                end = index
                while end < len(table.columns) and table.columns[end].group == column.group:
                    end += 1
                sheet.cell(first, index, _text(column.group)).style = header
                for other in range(index + 1, end + 1):
                    sheet.cell(first, other).style = header
                if end > index:
                    sheet.merge_cells(start_row=first, start_column=index, end_row=first, end_column=end)
    last = first + (1 if grouped else 0)
    if len(table.columns) < page.count:
        for row in range(first, last + 1):
            for extra in range(len(table.columns) + 1, page.count + 1):
                sheet.cell(row, extra).style = header
            sheet.merge_cells(start_row=row, start_column=len(table.columns), end_row=row, end_column=page.count)
    if grouped:
        sheet.row_dimensions[first].height = LINE_PT + 2
        sheet.row_dimensions[last].height = LINE_PT * max(1, lines - 1) + 2
    else:
        sheet.row_dimensions[first].height = LINE_PT * lines + 2
    top = last + 1
    for offset, row in enumerate(table.rows):
        _row(page, table, row, top + offset, top)
    page.row = top + len(table.rows)
    return first, last


def _formula(total: Total, column: int, top: int) -> str:
    from openpyxl.utils import get_column_letter
    def ref(match: re.Match) -> str:
        col = int(match.group(2)) if match.group(2) is not None else column
        return f"{get_column_letter(col + 1)}{top + int(match.group(1))}"
    return "=" + _TOKEN.sub(ref, total.formula)


def _row(page: _Sheet, table: Table, row: Row, number: int, top: int) -> None:
    sheet, styles = page.sheet, page.styles
    columns = table.columns
    bold = row.style != "normal"
    fill = FILLS.get(row.style)
    last_filled = max((i for i, v in enumerate(row.cells) if v not in (None, "", ())), default=0)
    widths = [c.width for c in columns]
    narrow = len(columns) < page.count  # a narrower table: its last column runs to the sheet's last column
    if narrow:
        widths[-1] = sum(page.widths[len(columns) - 1:])
    spanned = row.span and last_filled < len(columns) - 1
    if spanned:
        widths[last_filled] = sum(page.widths[last_filled:])
    lines = 1
    for index, column in enumerate(columns):
        value: Cell = row.cells[index] if index < len(row.cells) else None
        numeric = is_number(value)
        percent = column.kind == "percent" or (isinstance(value, Total) and value.percent)
        if isinstance(value, Total):
            cell = sheet.cell(number, index + 1, _formula(value, index, top))
            page.cached[cell.coordinate] = round(value.value / 100, 8) if percent else value.value
        elif numeric:
            cell = sheet.cell(number, index + 1, round(value / 100, 8) if percent else value)
        else:
            cell = sheet.cell(number, index + 1, _text(value))
        indent = row.indent if index == table.indent_column else 0
        number_format = (NUMBER_FORMATS["percent"] if percent else NUMBER_FORMATS.get(column.kind, "General"))
        cell.style = styles(bold=bold, fill=fill, wrap=not numeric, indent=indent,
                            horizontal="right" if numeric else ("center" if column.kind != "text" else "left"),
                            number_format=number_format if numeric else "General")
        if isinstance(value, (str, tuple)) and (not spanned or index <= last_filled):
            lines = max(lines, _lines_needed(str(cell.value), widths[index] - indent * 1.5))
    if narrow or spanned:
        for extra in range(len(columns) + 1, page.count + 1):
            sheet.cell(number, extra).style = styles(bold=bold, fill=fill)
        start = last_filled + 1 if spanned else len(columns)
        if start < page.count:
            sheet.merge_cells(start_row=number, start_column=start, end_row=number, end_column=page.count)
    sheet.row_dimensions[number].height = LINE_PT * lines + 2


def _print_setup(sheet, part: Part) -> None:
    sheet.page_setup.orientation = part.orientation
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    margins = sheet.page_margins
    margins.left, margins.right = 3.0 / _CM_PER_INCH, 1.5 / _CM_PER_INCH
    margins.top = margins.bottom = 2.0 / _CM_PER_INCH
    margins.header = margins.footer = 0.8 / _CM_PER_INCH
    footer = sheet.oddFooter
    footer.center.text, footer.center.font, footer.center.size = "Trang &P", f"{FONT},Regular", 10
    if part.check_code:
        footer.right.text, footer.right.font, footer.right.size = f"Mã kiểm tra: {part.check_code}", f"{FONT},Italic", 9
    sheet.sheet_view.showGridLines = False
