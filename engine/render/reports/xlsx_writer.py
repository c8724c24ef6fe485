"""The Excel writer: one worksheet per part, printed like the Word file.

Every string that reaches a cell goes through data.safe_cell, so evidence text such as
"=HYPERLINK(...)" is shown, never run; only the report's own totals are formulas, each written
with the engine's value cached so that readers which do not calculate see the same number.
Numbers are stored as numbers with Vietnamese formats (0,00 and 0,00%), percentages as
fractions. Print setup: A4 in the part's orientation, fit to the page width, the table's header
rows repeated, the decree's margins, page numbers and the check code in the footer. Cell texts
are kept once per workbook in its shared strings (the units' sheets repeat their criteria).
"""

from __future__ import annotations

import io
import math
import re
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from engine.render.data import safe_cell
from engine.render.reports.document import (
    Cell,
    Closing,
    Column,
    Heading,
    Letterhead,
    Paragraph,
    Part,
    Row,
    Table,
    Total,
    clean_text,
    xml_text,
)
from engine.render.reports.office import (
    FILLS,
    FIXED_STAMP,
    FONT,
    MOTTO,
    NATIONAL_NAME,
    RECIPIENTS_LABEL,
    Entries,
    recipient_lines,
    stable_archive,
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
    """One worksheet per part; totals as formulas with the engine's values cached.

    openpyxl writes the workbook around the sheets (styles, names, properties) and, once per
    page setup, the worksheet XML around a sheet's data; the sheets' rows are written here as
    SpreadsheetML, the way openpyxl would write them but for texts (in the shared strings, which
    openpyxl does not write), because its worksheet and cell objects cost far more than the text
    they carry.
    """
    from openpyxl import Workbook
    workbook = Workbook()
    used: set[str] = set()
    styles = _CellStyles(workbook)
    entries, sheets = [], []
    for number, part in enumerate(parts, start=1):
        title = sheet_name(part.name, used)
        grid = _Grid(styles)
        titles = _part(grid, part, styles)
        entries.append(_sheet_entry()(title, number, titles))
        sheets.append(grid.xml(part))
    workbook._sheets = entries
    workbook.properties.creator = "parindex"
    workbook.properties.lastModifiedBy = "parindex"
    workbook.properties.language = "vi-VN"
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.calculation.fullCalcOnLoad = True
    return stable_archive(_save(workbook, sheets, styles.shared), stamp)


@lru_cache(maxsize=1)
def _sheet_entry() -> type:
    """What openpyxl's workbook writer reads of a worksheet (name, number, print titles) and nothing else.

    The sheet's XML is written by this module, so the thousand or so attribute sets of a whole
    openpyxl Worksheet are not worth making per sheet; an entry stands in for one in the
    workbook's list of sheets, for workbook.xml, its relationships and the content types. Made on
    first use, so that importing this module does not load openpyxl.
    """
    from openpyxl.worksheet.print_settings import PrintTitles, RowRange
    from openpyxl.worksheet.worksheet import Worksheet

    class SheetEntry(Worksheet):
        title = None
        print_titles = None
        print_area = None
        sheet_state = "visible"
        auto_filter = None
        defined_names: dict = {}

        def __init__(self, title: str, number: int, titles: tuple[int, int] | None):  # noqa: D107
            self.title = title
            self._id = number
            if titles is not None:
                self.print_titles = str(PrintTitles(rows=RowRange(f"{titles[0]}:{titles[1]}"), title=title))

    return SheetEntry


_SHARED_STRINGS = "xl/sharedStrings.xml"
_SHARED_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SHARED_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _save(workbook: Workbook, sheets: list[bytes], shared: list[str]) -> list[tuple[str, bytes]]:
    """openpyxl's writer with the worksheets and the shared strings (which openpyxl does not write) written here; the
    archive's entries in openpyxl's order, the shared strings after the worksheets."""
    from types import SimpleNamespace

    from openpyxl.writer.excel import ExcelWriter

    class Writer(ExcelWriter):
        def _write_worksheets(self):
            for entry, payload in zip(self.workbook._sheets, sheets):
                self._archive.writestr(entry.path[1:], payload)
                self.manifest.append(entry)
            self._archive.writestr(_SHARED_STRINGS, f'<sst xmlns="{_MAIN}" uniqueCount="{len(shared)}">'
                                                    f'{"".join(shared)}</sst>')
            self.manifest.append(SimpleNamespace(path="/" + _SHARED_STRINGS, mime_type=_SHARED_TYPE))

    archive = Entries()
    Writer(workbook, archive).save()
    entries = []
    for name, payload in archive.items:
        if name == "xl/_rels/workbook.xml.rels":
            number = max(int(n) for n in re.findall(rb'Id="rId(\d+)"', payload)) + 1
            relation = f'<Relationship Type="{_SHARED_RELATION}" Target="sharedStrings.xml" Id="rId{number}"/>'
            payload = payload.replace(b"</Relationships>", relation.encode() + b"</Relationships>", 1)
        entries.append((name, payload))
    return entries


_CHECK_MARK = "QQPARINDEXCHECKCODEQQ"
_PLAIN = re.compile(r"[0-9A-Za-z-]+")
"""A check code written in place of _CHECK_MARK as it is (others make a frame of their own)."""


@lru_cache(maxsize=256)
def _sheet_frame(widths: tuple[float, ...], freeze: int | None, orientation: str, check_code: str | None,
                 row_break: int | None) -> tuple[str, str, str, str]:
    """The worksheet XML around a sheet's data as openpyxl writes it for one page setup, cut where the dimension, the
    rows (and merged ranges) and the check code (when given as _CHECK_MARK) go. Made once per page setup with
    openpyxl's own writer, so the frame stays what openpyxl writes."""
    from openpyxl import Workbook
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.worksheet.pagebreak import Break
    sheet = Workbook().active
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze is not None:
        sheet.freeze_panes = f"A{freeze}"
    _print_setup(sheet, orientation, check_code)
    if row_break is not None:
        sheet.row_breaks.append(Break(id=row_break))
    sheet._drawing = SpreadsheetDrawing()
    out = io.BytesIO()
    writer = WorksheetWriter(sheet, out)
    writer.write()
    xml = out.getvalue().decode("ascii")
    head, rest = xml.split('<dimension ref="A1:A1"/>')
    middle, tail = rest.split("<sheetData></sheetData>")
    before, _, after = tail.partition(_CHECK_MARK)
    return head, middle, before, after


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
    room = max(width - 1, 1)
    if "\n" not in text:
        return max(1, math.ceil(len(text) / room))
    return sum(max(1, math.ceil(len(line) / room)) for line in text.split("\n"))


class _CellStyles:
    """One named style per look, registered once per workbook: far cheaper than a font and fill per cell.

    It also keeps the workbook's cell formats as openpyxl numbers them (`index`) and the borders
    openpyxl gives the cells of a merged range (`corner`, `edge`), so the cells written here get
    the same formats as openpyxl's own cells would.
    """

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.names: dict[tuple, str] = {}
        self.arrays: dict[str, tuple[int, ...]] = {}
        self.ids: dict[tuple[int, ...], int] = {}
        self.attributes: dict[tuple[int, ...] | None, str] = {}
        self.borders: dict[tuple, int] = {}
        self.merges: dict[tuple, tuple] = {}
        self.looks = _Looks(self)
        self.strings: dict[str, str] = {}
        """Each distinct text of the workbook's cells: what a cell holds (its number in the shared strings)."""
        self.shared: list[str] = []
        """The shared strings' XML, in the order they were numbered."""

    def string(self, text: str) -> str:
        """A cell's text as its number in the workbook's shared strings, the text added on first use: the units'
        sheets repeat their criteria and notes, each then escaped and stored once."""
        content = self.strings.get(text)
        if content is None:
            content = self.strings[text] = f"<v>{len(self.shared)}</v>"
            clipped = text[:32767]
            space = ' xml:space="preserve"' if clipped != clipped.strip() else ""
            self.shared.append(f"<si><t{space}>{_escape(clipped)}</t></si>")
        return content

    def __call__(self, *, bold: bool = False, italic: bool = False, size: float = TABLE_PT, fill: str | None = None,
                 wrap: bool = True, horizontal: str = "left", vertical: str = "top", indent: int = 0,
                 number_format: str = "General", border: str = "box") -> str:
        key = (bold, italic, size, fill, wrap, horizontal, vertical, indent, number_format, border)
        name = self.names.get(key)
        if name is None:
            from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill
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
            self.arrays[name] = tuple(style.as_tuple())
        return name

    def index(self, array: tuple[int, ...]) -> int:
        """The cell format number of a style array, added to the workbook's cell formats on first use."""
        number = self.ids.get(array)
        if number is None:
            from openpyxl.styles.cell_style import StyleArray
            number = self.ids[array] = self.workbook._cell_styles.add(StyleArray(array))
        return number

    def _combine(self, key: tuple, base: int, sides: dict) -> int:
        number = self.borders.get(key)
        if number is None:
            from openpyxl.styles import Border
            collection = self.workbook._borders
            number = self.borders[key] = collection.add(collection[base] + Border(**sides))
        return number

    def corner(self, start: tuple[int, ...] | None, end: tuple[int, ...] | None) -> tuple[int, ...]:
        """The top-left cell of a merged range takes the right and bottom border of its bottom-right cell."""
        start, end = start or _NO_STYLE, end or _NO_STYLE
        other = self.workbook._borders[end[2]]
        number = self._combine(("corner", start[2], end[2]), start[2], {"right": other.right, "bottom": other.bottom})
        return start[:2] + (number,) + start[3:]

    def edge_side(self, start: tuple[int, ...] | None, name: str):
        """The side of the top-left cell's border that the range's edge on that side gets, or _SKIP for no line."""
        side = getattr(self.workbook._borders[(start or _NO_STYLE)[2]], name)
        return _SKIP if side and side.style is None else side

    def edge(self, cell: tuple[int, ...] | None, name: str, start: tuple[int, ...] | None, side) -> tuple[int, ...]:
        cell = cell or _NO_STYLE
        number = self._combine(("edge", cell[2], name, (start or _NO_STYLE)[2]), cell[2], {name: side})
        return cell[:2] + (number,) + cell[3:]


_NO_STYLE = (0,) * 9
_INFINITE = 1 << 30
_SKIP = object()
_EMPTY = ' t="n"'
_STRING = ' t="inlineStr"'
"""An empty text, and the recipients' rich text, are written in the cell (as openpyxl writes them)."""
_SHARED = ' t="s"'
_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def _escape(text: str) -> str:
    """Text as openpyxl writes it (see xml_text)."""
    return xml_text(text, "&#13;")


def _ascii(xml: str) -> str:
    """XML as openpyxl writes it into a sheet: every character beyond ASCII as a character reference. Done once per
    distinct cell (the cells are memoised), so a sheet is then encoded without the encoder's slow error path."""
    return xml if xml.isascii() else xml.encode("ascii", "xmlcharrefreplace").decode("ascii")


class _Grid:
    """The cells of one worksheet, kept as openpyxl keeps them (style array, type, content) and written as XML (texts
    as their number in the shared strings).

    Merged ranges follow openpyxl: every cell but the top-left one is emptied, and the cells on the
    range's edges take the matching side of the top-left cell's border; rows exist where a cell or a
    row height was touched (with a signature block kept with the table, every row: its page
    breaks are worked out from every row's height).

    Rows are written in order as soon as nothing can change them any more (`flush`): the rows above
    a table when its rows start, a table row when drawn. Styles are numbered in writing order, as
    openpyxl numbers them, so a written row's XML stays right for every later sheet and a table row
    seen before is written again from memory.
    """

    def __init__(self, styles: _CellStyles):
        self.styles = styles
        self.cells: dict[tuple[int, int], list] = {}
        """Cells not written yet."""
        self.heights: dict[int, float | None] = {}
        self.ranges: set[tuple[int, int, int, int]] = set()
        self.covering: dict[int, list[tuple[int, int, int, int]]] = {}
        """The merged ranges over each row."""
        self.rows: list[str] = []
        """The XML of the rows written."""
        self.written = 0
        """The last row written."""
        self.every_row = False
        """Every row up to the last one exists (set by _part when the closing is kept with the last table)."""
        self.bounds = [_INFINITE, _INFINITE, 0, 0]
        """First row, first column, last row, last column of the cells, written or not (the sheet's dimension)."""
        self.widths: tuple[float, ...] = ()
        self.freeze: int | None = None
        self.row_break: int | None = None

    def cell(self, row: int, column: int) -> list:
        cell = self.cells.get((row, column))
        if cell is None:
            cell = self.cells[(row, column)] = [None, _EMPTY, ""]
        return cell

    def put(self, row: int, column: int, value, style: str) -> None:
        """A value typed as openpyxl types it (text starting with '=' is a formula) in a named style."""
        if isinstance(value, str):
            value = value[:32767]
            if len(value) > 1 and value.startswith("="):
                content = [self.styles.arrays[style], "", f"<f>{_escape(value[1:])}</f><v></v>"]
            elif value in _ERRORS:
                content = [self.styles.arrays[style], ' t="e"', f"<v>{value}</v>"]
            else:
                content = ([self.styles.arrays[style], _SHARED, self.styles.string(value)] if value
                           else [self.styles.arrays[style], _STRING, ""])
        elif value is None:
            self.cell(row, column)[0] = self.styles.arrays[style]
            return
        else:
            content = [self.styles.arrays[style], _EMPTY, f"<v>{value:.16g}</v>" if math.isfinite(value) else "<v></v>"]
        self.cells[(row, column)] = content

    def text(self, row: int, column: int, value: str, style: str) -> None:
        """Text always stored as a string, whatever it starts with."""
        self.cells[(row, column)] = ([self.styles.arrays[style], _SHARED, self.styles.string(value)] if value
                                     else [self.styles.arrays[style], _STRING, ""])

    def rich(self, row: int, column: int, xml: str, style: str) -> None:
        """Rich text, as _rich_recipients writes it."""
        self.cells[(row, column)] = [self.styles.arrays[style], _STRING, xml]

    def total(self, row: int, column: int, formula: str, value: float, style: str) -> None:
        """A formula with the value readers show before they recalculate."""
        self.cells[(row, column)] = [self.styles.arrays[style], "",
                                     f"<f>{_escape(formula[1:])}</f><v>{float(value)!r}</v>"]

    def restyle(self, row: int, column: int, style: str) -> None:
        self.cell(row, column)[0] = self.styles.arrays[style]

    def height(self, row: int) -> float | None:
        """A row's height in points if set (reading it makes the row exist, as in openpyxl)."""
        return self.heights.setdefault(row, None)

    def set_height(self, row: int, height: float) -> None:
        self.heights[row] = float(height)

    def add_range(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        """A merged range, unless a range already there holds it (as openpyxl keeps them)."""
        covering = self.covering.get(first_row)
        if covering is not None and any(r[1] <= first_column and last_row <= r[2] and last_column <= r[3]
                                        for r in covering):
            return
        # openpyxl keeps merged ranges in a set of objects hashed as these tuples: the same order when written
        merged = (first_row, first_column, last_row, last_column)
        self.ranges.add(merged)
        for row in range(first_row, last_row + 1):
            self.covering.setdefault(row, []).append(merged)

    def merge(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        self.add_range(first_row, first_column, last_row, last_column)
        styles, cells = self.styles, self.cells
        start = self.cell(first_row, first_column)
        end = cells.get((last_row, last_column))
        key = (start[0], end is not None and end[0], last_row - first_row, last_column - first_column)
        known = styles.merges.get(key)
        if known is not None:  # the same look and shape merged before: the same borders
            start[0], others = known
            for row in range(first_row, last_row + 1):
                for column in range(first_column, last_column + 1):
                    if row != first_row or column != first_column:
                        cells[(row, column)] = [others.get((row - first_row, column - first_column)), _EMPTY, ""]
            return
        if end is not None:
            start[0] = styles.corner(start[0], end[0])
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                if row != first_row or column != first_column:
                    cells[(row, column)] = [None, _EMPTY, ""]
        for name in ("top", "left", "right", "bottom"):
            side = styles.edge_side(start[0], name)
            if side is _SKIP:
                continue
            if name == "top":
                coords = [(first_row, c) for c in range(first_column, last_column + 1)]
            elif name == "bottom":
                coords = [(last_row, c) for c in range(first_column, last_column + 1)]
            elif name == "left":
                coords = [(r, first_column) for r in range(first_row, last_row + 1)]
            else:
                coords = [(r, last_column) for r in range(first_row, last_row + 1)]
            origin = start[0]
            for coord in coords:
                cell = cells[coord]
                cell[0] = styles.edge(cell[0], name, origin, side)
        styles.merges[key] = (start[0], {(row - first_row, column - first_column): cells[(row, column)][0]
                                         for row in range(first_row, last_row + 1)
                                         for column in range(first_column, last_column + 1)
                                         if (row != first_row or column != first_column) and cells[(row, column)][0]})

    def flush(self, upto: int) -> None:
        """Write the rows before `upto` that were not written yet; their cells are final."""
        start = self.written + 1
        if upto <= start:
            return
        cells, heights, bounds, out = self.cells, self.heights, self.bounds, self.rows
        by_row: dict[int, list] = {}
        for key in sorted(key for key in cells if key[0] < upto):
            by_row.setdefault(key[0], []).append(key)
        index, attributes = self.styles.index, self.styles.attributes
        for row in range(start, upto):
            keys = by_row.get(row)
            if keys is None and row not in heights and not self.every_row:
                continue
            height = heights.get(row)
            out.append(f'<row r="{row}" ht="{height:.16g}" customHeight="1">' if height else f'<row r="{row}">')
            if keys is not None:
                if row < bounds[0]:
                    bounds[0] = row
                if row > bounds[2]:
                    bounds[2] = row
                if keys[0][1] < bounds[1]:
                    bounds[1] = keys[0][1]
                if keys[-1][1] > bounds[3]:
                    bounds[3] = keys[-1][1]
                for key in keys:
                    array, kind, content = cells.pop(key)
                    style = attributes.get(array)
                    if style is None:
                        style = attributes[array] = f' s="{index(array)}"' if array is not None and any(array) else ""
                    if not style and not content:
                        continue
                    column = key[1]
                    out.append(f'<c r="{_LETTERS[column] if column < 703 else _letter(column)}{row}"{style}{kind}>'
                               f'{content}</c>')
            out.append("</row>")
        self.written = upto - 1

    def write_row(self, number: int, xml: str, height: float, first_column: int, last_column: int) -> None:
        """A table row written before, written again (the rows above it are written)."""
        self.rows.append(xml)
        self.heights[number] = height
        self.written = number
        bounds = self.bounds
        if number < bounds[0]:
            bounds[0] = number
        if number > bounds[2]:
            bounds[2] = number
        if last_column:
            if first_column < bounds[1]:
                bounds[1] = first_column
            if last_column > bounds[3]:
                bounds[3] = last_column

    def xml(self, part: Part) -> bytes:
        """The worksheet: openpyxl's frame for the sheet's page setup around the rows and merged ranges."""
        last = max(max((row for row, _ in self.cells), default=0), max(self.heights, default=0))
        self.flush(last + 1)
        first_row, first_column, last_row, last_column = self.bounds
        if not last_row:
            dimension = "A1:A1"
        else:
            dimension = f"{_letter(first_column)}{first_row}:{_letter(last_column)}{last_row}"
        code = part.check_code
        plain = code is not None and _PLAIN.fullmatch(code) is not None
        head, middle, before, after = _sheet_frame(self.widths, self.freeze, part.orientation,
                                                   _CHECK_MARK if plain else code, self.row_break)
        out = [head, f'<dimension ref="{dimension}"/>', middle, "<sheetData>", *self.rows, "</sheetData>"]
        if self.ranges:
            out.append(f'<mergeCells count="{len(self.ranges)}">')
            for first_row, first_column, last_row, last_column in self.ranges:
                first, last = f"{_letter(first_column)}{first_row}", f"{_letter(last_column)}{last_row}"
                out.append(f'<mergeCell ref="{first if first == last else first + ":" + last}"/>')
            out.append("</mergeCells>")
        out.append(before)
        if plain:
            out += [code, after]
        return "".join(out).encode("ascii", "xmlcharrefreplace")


def _letter(column: int) -> str:
    if column < len(_LETTERS):
        return _LETTERS[column]
    from openpyxl.utils import get_column_letter
    return get_column_letter(column)


_LETTERS = [""] + [chr(65 + i) for i in range(26)] + [chr(65 + i) + chr(65 + j) for i in range(26) for j in range(26)]


class _Sheet:
    """A worksheet being filled row by row, with the column widths of its widest table."""

    def __init__(self, grid: _Grid, part: Part, styles: _CellStyles):
        self.grid, self.part, self.styles = grid, part, styles
        tables = [b for b in part.blocks if isinstance(b, Table) and "xlsx" in b.formats]
        main = max(tables, key=lambda t: len(t.columns), default=None)
        self.widths = [c.width for c in main.columns] if main else [14.0] * 8
        grid.widths = tuple(self.widths)
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

    def merged(self, first: int, last: int, value: str | CellRichText | None, style: str,
               height: float | None = None) -> None:
        """A frame text across columns first..last (1-based), always stored as text; a row height in points if given."""
        grid = self.grid
        if value:
            grid.text(self.row, first, safe_cell(clean_text(value)), style)
        else:
            grid.restyle(self.row, first, style)
        if last > first:
            grid.merge(self.row, first, self.row, last)
        if height is not None:
            grid.set_height(self.row, max(grid.height(self.row) or 0, height))

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
            self.grid.restyle(self.row, column, self.styles(border="rule", size=4))


def _part(grid: _Grid, part: Part, styles: _CellStyles) -> tuple[int, int] | None:
    """Draw a part on its sheet; returns the table header rows to print on every page, if any."""
    page = _Sheet(grid, part, styles)
    blocks = [b for b in part.blocks if "xlsx" in b.formats]
    grid.every_row = part.closing is not None and bool(blocks) and isinstance(blocks[-1], Table)
    if part.letterhead is not None:
        _letterhead(page, part.letterhead)
    header_rows: tuple[int, int] | None = None
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
        grid.freeze = header_rows[1] + 1
    if part.closing is not None and table_end is not None:
        _keep_closing_with_table(page, table_end, header_rows, part.orientation)
    return header_rows


def _column_points(width: float) -> float:
    """A column's printed width: Excel's character width (7 px per digit of the default font, plus padding) in points."""
    return (int(width * 7 + 5)) * 0.75


def _keep_closing_with_table(page: _Sheet, table_end: int, titles: tuple[int, int] | None, orientation: str) -> None:
    """A manual page break before the table's last rows when the signature block would not fit after them.

    Spreadsheets have no 'keep with next'; the sheet's pages are worked out from the row heights
    the writer set and the fit-to-width scale, with a safety margin, and the break moves the last
    rows together with the closing to a new page (under the repeated header rows).
    """
    width_pt, height_pt = (842.0, 595.0) if orientation == "landscape" else (595.0, 842.0)
    printable_width = width_pt - (3.0 + 1.5) / _CM_PER_INCH * 72
    printable_height = (height_pt - 4.0 / _CM_PER_INCH * 72) * 0.96
    scale = min(1.0, printable_width / sum(_column_points(w) for w in page.widths))
    capacity = printable_height / scale

    heights = page.grid.heights
    heights.setdefault(page.row - 1, None)  # every row exists (_Grid.every_row), up to the last one

    def height(row: int) -> float:
        return heights.get(row) or 15.0

    title_height = sum(height(r) for r in range(titles[0], titles[1] + 1)) if titles else 0.0
    keep_from = max(table_end - KEEP_ROWS + 1, (titles[1] + 1) if titles else 1)
    used, page_of = 0.0, {}
    for row in range(1, page.row):
        current = heights.get(row) or 15.0
        if used + current > capacity and used > 0:
            used = title_height if titles and row > titles[1] else 0.0
        used += current
        page_of[row] = used
    # Rows are on one page when the running height never restarted between them.
    last_closing = page.row - 1
    restarted = any(page_of[r] < page_of[r - 1] for r in range(keep_from + 1, last_closing + 1))
    if restarted:
        page.grid.row_break = keep_from - 1


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
    page.grid.set_height(page.row, 5)
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


@lru_cache(maxsize=64)
def _rich_recipients(lines: tuple[str, ...]) -> str:
    """'Nơi nhận:' in bold italics and one recipient a line, as openpyxl writes this rich text (the same lines on
    every unit's sheet: written once)."""
    from lxml import etree
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    recipients = CellRichText(TextBlock(InlineFont(rFont=FONT, sz=FRAME_PT, b=True, i=True), RECIPIENTS_LABEL),
                              TextBlock(InlineFont(rFont=FONT, sz=FRAME_PT - 1), "".join("\n" + clean_text(line)
                                                                                        for line in lines)))
    return _ascii(etree.tostring(recipients.to_tree(), encoding="unicode"))


def _closing(page: _Sheet, closing: Closing) -> None:
    """Recipients in one cell ('Nơi nhận:' in bold italics, one line each), the signature block beside it."""
    styles, split, count = page.styles, page.split, page.count
    lines = recipient_lines(closing.recipients)
    recipients = _rich_recipients(tuple(lines))
    signer_style = styles(size=FRAME_PT + 1, bold=True, horizontal="center", border="none")
    right = [line.upper() for line in closing.signer] + [""] * 4 + [closing.name or ""]
    page.row += 1
    top = page.row
    for index, line in enumerate(right):
        if line:
            page.merged(split + 1, count, line, signer_style, LINE_PT + 4)
        else:
            page.grid.set_height(page.row, LINE_PT + 4)
        page.row += 1
    page.grid.rich(top, 1, recipients, styles(size=FRAME_PT - 1, border="none", vertical="top"))
    page.grid.merge(top, 1, top + max(len(right), len(lines) + 1) - 1, split)
    page.row = top + max(len(right), len(lines) + 1)


def _table(page: _Sheet, table: Table) -> tuple[int, int]:
    """Header rows (one, or two under grouped headers) and the table rows; returns the header's first and last row."""
    grid, styles = page.grid, page.styles
    header = styles(bold=True, fill=FILLS["header"], horizontal="center", vertical="center")
    grouped = any(c.group for c in table.columns)
    first = page.row
    lines = 1
    for index, column in enumerate(table.columns, start=1):
        lines = max(lines, _lines_needed(column.header, column.width))
        if not grouped:
            grid.put(first, index, _text(column.header), header)
            continue
        if column.group is None:
            grid.put(first, index, _text(column.header), header)
            grid.restyle(first + 1, index, header)
            grid.merge(first, index, first + 1, index)
        else:
            grid.put(first + 1, index, _text(column.header), header)
            if index == 1 or table.columns[index - 2].group != column.group:
                end = index
                while end < len(table.columns) and table.columns[end].group == column.group:
                    end += 1
                grid.put(first, index, _text(column.group), header)
                for other in range(index + 1, end + 1):
                    grid.restyle(first, other, header)
                if end > index:
                    grid.merge(first, index, first, end)
    last = first + (1 if grouped else 0)
    if len(table.columns) < page.count:
        for row in range(first, last + 1):
            for extra in range(len(table.columns) + 1, page.count + 1):
                grid.restyle(row, extra, header)
            grid.merge(row, len(table.columns), row, page.count)
    if grouped:
        grid.set_height(first, LINE_PT + 2)
        grid.set_height(last, LINE_PT * max(1, lines - 1) + 2)
    else:
        grid.set_height(first, LINE_PT * lines + 2)
    top = last + 1
    looks = styles.looks
    grid.flush(top)  # the rows above are final: from here on, table rows are written as they are drawn
    columns = table.columns
    shape = (tuple((c.kind, c.width) for c in columns), table.indent_column, tuple(page.widths))
    shape_id = looks.shapes.setdefault(shape, len(looks.shapes))
    narrow = len(columns) < page.count  # a narrower table: its last column runs to the sheet's last column
    for offset, row in enumerate(table.rows):
        _row(page, table, row, top + offset, top, looks, shape_id, narrow)
    page.row = top + len(table.rows)
    return first, last


class _Looks:
    """The named style of each kind of table cell, and each distinct table cell as drawn, worked out once per
    workbook: the units' tables repeat most cells."""

    def __init__(self, styles: _CellStyles):
        self.styles = styles
        self.known: dict[tuple, str] = {}
        self.cells: dict[tuple, list] = {}
        """Each distinct table cell: style array, type, content, lines its text needs, and (once written in a row
        of its own) its XML after the cell reference."""
        self.rows: dict[tuple, tuple[str, float, int, int]] = {}
        """Each distinct table row written without merged cells: its XML, height, first and last column."""
        self.merged_rows: dict[tuple, tuple[str, float, int, int, tuple[int, int, int, int] | None]] = {}
        """Each distinct table row with merged cells: the same and its merged range."""
        self.shapes: dict[tuple, int] = {}
        """Tables' columns, indented column and sheet widths, numbered: part of a row's key."""

    def __call__(self, bold: bool, fill: str | None, numeric: bool, indent: int, kind: str, percent: bool) -> str:
        key = (bold, fill, numeric, indent, kind, percent)
        name = self.known.get(key)
        if name is None:
            number_format = (NUMBER_FORMATS["percent"] if percent else NUMBER_FORMATS.get(kind, "General"))
            name = self.known[key] = self.styles(
                bold=bold, fill=fill, wrap=not numeric, indent=indent,
                horizontal="right" if numeric else ("center" if kind != "text" else "left"),
                number_format=number_format if numeric else "General")
        return name


def _formula(total: Total, column: int, top: int) -> str:
    def ref(match: re.Match) -> str:
        col = int(match.group(2)) if match.group(2) is not None else column
        return f"{_letter(col + 1)}{top + int(match.group(1))}"
    return "=" + _TOKEN.sub(ref, total.formula)


def _entries(cells: tuple, top: int) -> tuple:
    """A row's cells as part of a memo key. A float zero keeps its sign (-0.0 equals 0.0 but prints "-0"), a total its
    numbers as memo_value keeps them and the table's first row (its formula refers to it); other cells are their own
    key (an int equal to a float prints the same)."""
    return tuple([(v.value if v.value else (v.value, math.copysign(1.0, v.value)), v.percent, v.formula, top)
                  if type(v) is Total
                  else (v, math.copysign(1.0, v)) if type(v) is float and not v else v for v in cells])


def _last_filled(cells: tuple) -> int:
    for position in range(len(cells) - 1, 0, -1):
        value = cells[position]
        if value is not None and value != "" and value != ():
            return position
    return 0


def _row(page: _Sheet, table: Table, row: Row, number: int, top: int, looks: _Looks, shape: int,
         narrow: bool) -> None:
    """One table row: written at once from memory when the same row (same cells, look, columns and place) was written
    before, else drawn cell by cell; a row with merged cells goes through the grid."""
    grid = page.grid
    cells = row.cells
    if type(cells) is not tuple:
        cells = tuple(cells)
    count = len(table.columns)
    if narrow or (row.span and _last_filled(cells) < count - 1):
        key: tuple = (shape, number, top, row.style, row.indent, row.span, _entries(cells, top))
        drawn = looks.merged_rows.get(key)
        if drawn is None:
            drawn = looks.merged_rows[key] = _merged_row(page, table, row, cells, number, top, looks, narrow)
        else:
            grid.write_row(number, *drawn[:4])
        if drawn[4] is not None:
            grid.add_range(*drawn[4])
        return
    types = set(map(type, cells))
    if Total in types or (float in types and 0.0 in cells):
        key = (shape, number, top, row.style, row.indent, None, _entries(cells, top))
    else:
        key = (shape, number, top, row.style, row.indent, cells)
    drawn = looks.rows.get(key)
    if drawn is None:
        drawn = looks.rows[key] = _written_row(table, row, cells, number, top, looks, count)
    grid.write_row(number, *drawn)


def _written_row(table: Table, row: Row, cells: tuple, number: int, top: int, looks: _Looks,
                 count: int) -> tuple[str, float, int, int]:
    """The XML and height of a table row without merged cells, its styles numbered now (in writing order)."""
    style = row.style
    bold = style != "normal"
    fill = FILLS.get(style)
    memo, styles = looks.cells, looks.styles
    index_of, attributes = styles.index, styles.attributes
    indent_column, row_indent = table.indent_column, row.indent
    entries = _entries(cells, top)
    filled = len(cells)
    out = [""]
    lines = 1
    for index, column in enumerate(table.columns):
        indent = row_indent if index == indent_column else 0
        entry = entries[index] if index < filled else None
        width = column.width
        key = (index, column.kind, style, indent, width, entry)
        drawn = memo.get(key)
        if drawn is None:
            value = cells[index] if index < filled else None
            drawn = memo[key] = [*_cell(looks, column, value, bold, fill, indent, index, top, width), None]
        written = drawn[4]
        if written is None:
            array, kind, content = drawn[0], drawn[1], drawn[2]
            attribute = attributes.get(array)
            if attribute is None:
                attribute = attributes[array] = f' s="{index_of(array)}"' if array is not None and any(array) else ""
            written = drawn[4] = f"{attribute}{kind}>{content}</c>" if attribute or content else ""
        if written:
            out.append(f'<c r="{_LETTERS[index + 1]}{number}"{written}')
        if drawn[3] > lines:
            lines = drawn[3]
    height = float(LINE_PT * lines + 2)
    out[0] = f'<row r="{number}" ht="{height:.16g}" customHeight="1">'
    out.append("</row>")
    return "".join(out), height, min(count, 1), count


def _merged_row(page: _Sheet, table: Table, row: Row, cells: tuple, number: int, top: int, looks: _Looks,
                narrow: bool) -> tuple[str, float, int, int, tuple[int, int, int, int] | None]:
    """A table row whose last cells are merged (a narrower table, or a row spanning the empty cells after its
    text), drawn into the grid (the merge changes the cells' borders) and written; returns what writes it again: its
    XML, height, first and last column, and merged range."""
    grid = page.grid
    columns = table.columns
    style = row.style
    bold = style != "normal"
    fill = FILLS.get(style)
    count = len(columns)
    last_filled = _last_filled(cells)
    spanned = row.span and last_filled < count - 1
    widths = [c.width for c in columns]
    if narrow:
        widths[-1] = sum(page.widths[count - 1:])
    if spanned:
        widths[last_filled] = sum(page.widths[last_filled:])
    lines = 1
    store, memo = grid.cells, looks.cells
    indent_column, row_indent = table.indent_column, row.indent
    entries = _entries(cells, top)
    filled = len(cells)
    for index, column in enumerate(columns):
        indent = row_indent if index == indent_column else 0
        entry = entries[index] if index < filled else None
        key = (index, column.kind, style, indent, widths[index], entry)
        drawn = memo.get(key)
        if drawn is None:
            value = cells[index] if index < filled else None
            drawn = memo[key] = [*_cell(looks, column, value, bold, fill, indent, index, top, widths[index]), None]
        store[(number, index + 1)] = [drawn[0], drawn[1], drawn[2]]
        needed = drawn[3]
        if needed > lines and (not spanned or index <= last_filled):
            lines = needed
    styles = page.styles
    for extra in range(count + 1, page.count + 1):
        grid.restyle(number, extra, styles(bold=bold, fill=fill))
    start = last_filled + 1 if spanned else count
    merged = (number, start, number, page.count) if start < page.count else None
    if merged is not None:
        grid.merge(*merged)
    height = grid.heights[number] = float(LINE_PT * lines + 2)
    written = sorted(column for row_number, column in grid.cells if row_number == number)
    before = len(grid.rows)
    grid.flush(number + 1)
    return "".join(grid.rows[before:]), height, written[0], written[-1], merged


def _cell(looks: _Looks, column: Column, value: Cell, bold: bool, fill: str | None, indent: int, index: int,
          top: int, width: float) -> tuple[tuple[int, ...], str, str, int]:
    """A table cell as the grid keeps it (style array, type, content) and the lines its text needs (0: no text)."""
    arrays = looks.styles.arrays
    if isinstance(value, Total):
        percent = column.kind == "percent" or value.percent
        look = looks(bold, fill, True, indent, column.kind, percent)
        number = round(value.value / 100, 8) if percent else value.value
        formula = _formula(value, index, top)
        return arrays[look], "", f"<f>{_escape(formula[1:])}</f><v>{float(number)!r}</v>", 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        percent = column.kind == "percent"
        look = looks(bold, fill, True, indent, column.kind, percent)
        number = round(value / 100, 8) if percent else value
        return arrays[look], _EMPTY, f"<v>{number:.16g}</v>" if math.isfinite(number) else "<v></v>", 0
    look = looks(bold, fill, False, indent, column.kind, column.kind == "percent")
    if value is None:
        return arrays[look], _EMPTY, "", 0
    text = safe_cell(clean_text("\n".join(value) if isinstance(value, tuple) else value))[:32767]
    needed = _lines_needed(text, width - indent * 1.5)
    if text in _ERRORS:
        return arrays[look], ' t="e"', f"<v>{text}</v>", needed
    if not text:
        return arrays[look], _STRING, "", needed
    return arrays[look], _SHARED, looks.styles.string(text), needed


def _print_setup(sheet, orientation: str, check_code: str | None) -> None:
    sheet.page_setup.orientation = orientation
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
    if check_code:
        footer.right.text, footer.right.font, footer.right.size = f"Mã kiểm tra: {check_code}", f"{FONT},Italic", 9
    sheet.sheet_view.showGridLines = False
