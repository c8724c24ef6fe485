"""Writers of the document model: XLSX (openpyxl), DOCX (python-docx) and Markdown.

Every string that reaches a spreadsheet cell goes through output.safe_cell, so evidence text such
as "=HYPERLINK(...)" is shown, never run. Office files are zip archives stamped with the time of
writing; the archive is rewritten with a fixed stamp so the same run gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from engine.core.vnformat import format_number
from engine.render.data import safe_cell
from engine.render.reports.document import Cell, Column, Heading, Paragraph, Part, Row, Table, TwoColumns, clean_text

FILLS = {"header": "D9D9D9", "area": "DDEBF7", "section": "E2EFDA", "total": "F2F2F2"}
FIXED_STAMP = datetime(1980, 1, 1)


# ---------------------------------------------------------------- shared helpers


def cell_text(value: Cell, column: Column, joiner: str = "\n") -> str:
    """A cell as text for Word and Markdown: Vietnamese numbers, lines joined."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return joiner.join(clean_text(v) for v in value)
    if isinstance(value, str):
        return clean_text(value)
    if column.kind == "percent":
        return format_number(value) + "%"
    return format_number(value)


def stable_zip(data: bytes, stamp: datetime) -> bytes:
    """Rewrite an Office archive with fixed entry times and fixed document dates: same input, same bytes."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            payload = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = payload.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    text = re.sub(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{iso}\g<2>", text)
                payload = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=(max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, payload)
    return out.getvalue()


# ---------------------------------------------------------------- XLSX


_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_NUMBER_FORMATS = {"number": "General", "percent": "0.00", "integer": "0"}


def to_xlsx(parts: list[Part], stamp: datetime = FIXED_STAMP) -> bytes:
    """One worksheet per part."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    styles = _CellStyles(workbook)
    for part in parts:
        sheet = workbook.create_sheet(sheet_name(part.name, used))
        _xlsx_part(sheet, part, styles)
    workbook.properties.creator = "parindex"
    workbook.properties.lastModifiedBy = "parindex"
    workbook.properties.created = stamp
    buffer = io.BytesIO()
    workbook.save(buffer)
    return stable_zip(buffer.getvalue(), stamp)


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


def _xlsx_value(value: Cell):
    if isinstance(value, tuple):
        value = "\n".join(value)
    if isinstance(value, str):
        return safe_cell(clean_text(value))
    return value


def _lines_needed(text: str, width: float) -> int:
    return sum(max(1, math.ceil(len(line) * 1.15 / max(width, 1))) for line in text.split("\n"))


def _xlsx_part(sheet, part: Part, styles: _CellStyles) -> None:
    blocks = [b for b in part.blocks if "xlsx" in b.formats]
    tables = [b for b in blocks if isinstance(b, Table)]
    widths: dict[int, float] = {}
    for table in tables:
        for index, column in enumerate(table.columns):
            widths[index] = max(widths.get(index, 0), column.width)
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    row = 1
    frozen = False
    for block in blocks:
        if isinstance(block, Heading):
            cell = sheet.cell(row, 1, _xlsx_value(block.text))
            cell.font = Font(bold=True, size={1: 14, 2: 12, 3: 11}[block.level])
            row += 1
        elif isinstance(block, Paragraph):
            cell = sheet.cell(row, 1, _xlsx_value(block.text))
            cell.font = Font(italic=block.italic)
            row += 1
        elif isinstance(block, TwoColumns):
            last = max(len(widths), 2)
            for offset, lines in enumerate((block.left, block.right)):
                cell = sheet.cell(row, 1 if offset == 0 else last, _xlsx_value("\n".join(lines)))
                cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="top")
                cell.font = Font(bold=True)
            sheet.row_dimensions[row].height = 15 * max(len(block.left), len(block.right))
            row += 1
        elif isinstance(block, Table):
            if row > 1:
                row += 1
            _xlsx_table(sheet, block, row, styles)
            if block.freeze and not frozen:
                sheet.freeze_panes = sheet.cell(row + 1, 1)
                sheet.print_title_rows = f"{row}:{row}"
                frozen = True
            row += len(block.rows) + 2
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


class _CellStyles:
    """One named style per look, registered once per workbook: far cheaper than a font and fill per cell."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.names: dict[tuple, str] = {}

    def __call__(self, *, bold: bool = False, fill: str | None = None, wrap: bool = True, horizontal: str = "left",
                 vertical: str = "top", indent: int = 0, number_format: str = "General") -> str:
        key = (bold, fill, wrap, horizontal, vertical, indent, number_format)
        name = self.names.get(key)
        if name is None:
            name = f"parindex {len(self.names) + 1}"
            style = NamedStyle(name=name, font=Font(bold=bold), border=_BORDER, number_format=number_format,
                               alignment=Alignment(wrap_text=wrap, horizontal=horizontal, vertical=vertical, indent=indent))
            if fill:
                style.fill = PatternFill("solid", fgColor=fill)
            self.workbook.add_named_style(style)
            self.names[key] = name
        return name


def _xlsx_table(sheet, table: Table, top: int, styles: _CellStyles) -> None:
    header_lines = 1
    header_style = styles(bold=True, fill=FILLS["header"], horizontal="center", vertical="center")
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(top, index, _xlsx_value(column.header))
        cell.style = header_style
        header_lines = max(header_lines, _lines_needed(column.header, column.width))
    sheet.row_dimensions[top].height = 15 * header_lines
    for offset, row in enumerate(table.rows, start=1):
        _xlsx_row(sheet, table, row, top + offset, styles)


def _xlsx_row(sheet, table: Table, row: Row, number: int, styles: _CellStyles) -> None:
    columns = table.columns
    bold = row.style != "normal"
    fill = FILLS.get(row.style)
    last_filled = max((i for i, v in enumerate(row.cells) if v not in (None, "", ())), default=0)
    lines = 1
    for index, column in enumerate(columns):
        value = row.cells[index] if index < len(row.cells) else None
        cell = sheet.cell(number, index + 1, _xlsx_value(value))
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        indent = row.indent if index == table.indent_column else 0
        cell.style = styles(bold=bold, fill=fill, wrap=not numeric, indent=indent,
                            horizontal="right" if numeric else ("center" if column.kind != "text" else "left"),
                            number_format=_NUMBER_FORMATS.get(column.kind, "General") if numeric else "General")
        if isinstance(cell.value, str) and not (row.span and index == last_filled):
            lines = max(lines, _lines_needed(cell.value, column.width - indent * 1.5))
    if row.span and last_filled < len(columns) - 1:
        sheet.merge_cells(start_row=number, start_column=last_filled + 1, end_row=number, end_column=len(columns))
        text = sheet.cell(number, last_filled + 1).value
        if isinstance(text, str):
            lines = max(lines, _lines_needed(text, sum(c.width for c in columns[last_filled:])))
    if lines > 1:
        sheet.row_dimensions[number].height = 15 * lines


# ---------------------------------------------------------------- DOCX


_PAGE_WIDTH_CM = 29.7 - 2 * 1.8


def to_docx(parts: list[Part], stamp: datetime = FIXED_STAMP, title: str = "") -> bytes:
    """One chapter per part, each starting on a new page; A4 landscape so the wide tables fit."""
    document = Document()
    _docx_styles(document)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    section.top_margin = section.bottom_margin = Cm(1.5)
    props = document.core_properties
    props.author = props.last_modified_by = "parindex"
    props.title = clean_text(title)
    props.created = props.modified = stamp
    props.revision = 1
    for number, part in enumerate(parts):
        if number:
            document.add_page_break()
        for block in part.blocks:
            if "docx" not in block.formats:
                continue
            if isinstance(block, Heading):
                paragraph = document.add_heading(clean_text(block.text), level=block.level)
                if block.center:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif isinstance(block, Paragraph):
                paragraph = document.add_paragraph()
                run = paragraph.add_run(clean_text(block.text))
                run.italic = block.italic
                if block.center:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif isinstance(block, TwoColumns):
                _docx_two_columns(document, block)
            elif isinstance(block, Table):
                _docx_table(document, block)
    buffer = io.BytesIO()
    document.save(buffer)
    return stable_zip(buffer.getvalue(), stamp)


TABLE_STYLE = "Bang"


def _docx_styles(document) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    for name, size in (("Normal", 12), ("Heading 1", 14), ("Heading 2", 13), ("Heading 3", 12)):
        style = document.styles[name]
        style.font.name = "Times New Roman"
        style.font.size = Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Times New Roman")
        if name.startswith("Heading"):
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.font.bold = True
    document.styles["Normal"].paragraph_format.space_after = Pt(3)
    table_text = document.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = document.styles["Normal"]
    table_text.font.size = Pt(10.5)
    table_text.paragraph_format.space_after = Pt(0)


def _docx_cell_xml(text: str, width: int, *, bold: bool = False, align: str | None = None, indent: int = 0,
                   fill: str | None = None, span: int = 1) -> str:
    """One table cell as WordprocessingML; tables are written as XML because python-docx's cell API is slow."""
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if fill:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
    para = f'<w:pStyle w:val="{TABLE_STYLE}"/>'
    if indent:
        para += f'<w:ind w:left="{int(Cm(0.35 * indent).twips)}"/>'
    if align:
        para += f'<w:jc w:val="{align}"/>'
    run = ""
    if text:
        pieces = "<w:br/>".join(f'<w:t xml:space="preserve">{xml_escape(line)}</w:t>' for line in text.split("\n"))
        run = "<w:r>" + ("<w:rPr><w:b/></w:rPr>" if bold else "") + pieces + "</w:r>"
    return f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:pPr>{para}</w:pPr>{run}</w:p></w:tc>"


def _docx_table(document, table: Table) -> None:
    columns = table.columns
    total = sum(c.width for c in columns)
    widths = [Cm(_PAGE_WIDTH_CM * c.width / total) for c in columns]
    twips = [int(w.twips) for w in widths]
    grid = document.add_table(rows=0, cols=len(columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for grid_column, width in zip(grid.columns, widths):
        grid_column.width = width
    rows = ['<w:tr %s><w:trPr>%s</w:trPr>%s</w:tr>' % (
        nsdecls("w"), "<w:tblHeader/>" if table.freeze else "",
        "".join(_docx_cell_xml(clean_text(c.header), w, bold=True, align="center", fill=FILLS["header"])
                for c, w in zip(columns, twips)))]
    for row in table.rows:
        values = list(row.cells) + [None] * (len(columns) - len(row.cells))
        last_filled = max((i for i, v in enumerate(values) if v not in (None, "", ())), default=0)
        span_from = last_filled if row.span and last_filled < len(columns) - 1 else None
        cells = []
        for index, value in enumerate(values):
            if span_from is not None and index > span_from:
                break
            column = columns[index]
            numeric = isinstance(value, (int, float))
            align = "right" if numeric else ("center" if column.kind != "text" else None)
            span = len(columns) - index if index == span_from else 1
            cells.append(_docx_cell_xml(cell_text(value, column), sum(twips[index:index + span]),
                                        bold=row.style != "normal", align=align, fill=FILLS.get(row.style),
                                        indent=row.indent if index == table.indent_column else 0, span=span))
        rows.append(f'<w:tr {nsdecls("w")}>' + "".join(cells) + "</w:tr>")
    for xml in rows:
        grid._tbl.append(parse_xml(xml))
    document.add_paragraph()


def _docx_two_columns(document, block: TwoColumns) -> None:
    grid = document.add_table(rows=1, cols=2)
    grid.autofit = False
    for cell, lines in zip(grid.rows[0].cells, (block.left, block.right)):
        cell.width = Cm(_PAGE_WIDTH_CM / 2)
        for number, line in enumerate(lines):
            paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.space_after = Pt(0)
            run = paragraph.add_run(clean_text(line))
            run.bold = number == 0
            run.italic = line.startswith("(")
    document.add_paragraph()


# ---------------------------------------------------------------- Markdown


_MD_SPECIAL = re.compile(r"([\\`*\[\]|])")


def md_escape(text: str) -> str:
    """Text safe inside Markdown: no table breaks, no links or emphasis, no raw HTML."""
    text = _MD_SPECIAL.sub(r"\\\1", clean_text(text))
    return text.replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(parts: list[Part]) -> str:
    lines: list[str] = []
    for part in parts:
        for block in part.blocks:
            if "md" not in block.formats:
                continue
            if isinstance(block, Heading):
                lines += ["#" * block.level + " " + md_escape(block.text).replace("\n", " "), ""]
            elif isinstance(block, Paragraph):
                text = md_escape(block.text).replace("\n", " ")
                lines += [f"*{text}*" if block.italic else text, ""]
            elif isinstance(block, Table):
                lines += _md_table(block) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _md_table(table: Table) -> list[str]:
    columns = table.columns
    out = ["| " + " | ".join(md_escape(c.header) for c in columns) + " |",
           "|" + "|".join("---:" if c.kind != "text" else "---" for c in columns) + "|"]
    for row in table.rows:
        cells = []
        for index, column in enumerate(columns):
            value = row.cells[index] if index < len(row.cells) else None
            if isinstance(value, tuple):
                text = "<br>".join(md_escape(v) for v in value)
            else:
                text = "<br>".join(md_escape(line) for line in cell_text(value, column).split("\n"))
            if text and row.style != "normal":
                text = f"**{text}**"
            if text and index == table.indent_column and row.indent:
                text = "\u2003" * row.indent + text
            cells.append(text)
        out.append("| " + " | ".join(cells) + " |")
    return out
