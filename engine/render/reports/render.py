"""The Markdown writer, and one entry for the three writers of the document model (XLSX, DOCX, Markdown).

Markdown keeps the title and the tables (with the values of the totals); the letterhead, the
signature block and the page setup belong to the office formats.
"""

from __future__ import annotations

import re

from engine.render.reports.document import Cell, Column, Heading, Paragraph, Part, Table, Total, clean_text, memo_value
from engine.render.reports.docx_writer import prepare as prepare_docx, to_docx
from engine.render.reports.office import FIXED_STAMP, cell_text
from engine.render.reports.xlsx_writer import sheet_name, to_xlsx

__all__ = ["FIXED_STAMP", "load_libraries", "md_escape", "sheet_name", "to_docx", "to_markdown", "to_xlsx"]

def load_libraries() -> None:
    """Import the office libraries the writers use, and build the package every Word file shares, now (before
    forking workers that draw: they inherit them)."""
    import docx  # noqa: F401
    import openpyxl  # noqa: F401
    prepare_docx()


_MD_SPECIAL = re.compile(r"([\\`*\[\]|])")


def md_escape(text: str) -> str:
    """Text safe inside Markdown: no table breaks, no links or emphasis, no raw HTML."""
    text = _MD_SPECIAL.sub(r"\\\1", clean_text(text))
    return text.replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(parts: list[Part]) -> str:
    lines: list[str] = []
    memo: dict = {}  # each distinct cell written once: the units' tables repeat most cells
    for part in parts:
        if part.letterhead is not None:
            head = part.letterhead
            lines += [f"## {md_escape(head.title)}", ""]
            lines += [f"**{md_escape(line)}**" for line in head.subtitle]
            if head.attachment:
                lines.append(f"*{md_escape(head.attachment)}*")
            lines.append("")
        for block in part.blocks:
            if "md" not in block.formats:
                continue
            if isinstance(block, Heading):
                lines += ["#" * (block.level + 1) + " " + md_escape(block.text).replace("\n", " "), ""]
            elif isinstance(block, Paragraph):
                text = md_escape(block.text).replace("\n", " ")
                lines += [f"*{text}*" if block.italic else text, ""]
            elif isinstance(block, Table):
                lines += _md_table(block, memo) + [""]
        if part.check_code:
            lines += [f"*Mã kiểm tra: {part.check_code}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _md_header(column: Column) -> str:
    return md_escape(f"{column.group} – {column.header}" if column.group else column.header)


def _md_table(table: Table, memo: dict) -> list[str]:
    columns = table.columns
    out = ["| " + " | ".join(_md_header(c) for c in columns) + " |",
           "|" + "|".join("---:" if c.kind != "text" else "---" for c in columns) + "|"]
    for row in table.rows:
        cells = []
        for index, column in enumerate(columns):
            value = row.cells[index] if index < len(row.cells) else None
            indent = row.indent if index == table.indent_column else 0
            kind = type(value)
            key = (column.kind, row.style, indent, kind,
                   (memo_value(value.value), memo_value(value.percent)) if kind is Total else memo_value(value))
            text = memo.get(key)
            if text is None:
                text = memo[key] = _md_cell(value, column, row.style, indent)
            cells.append(text)
        out.append("| " + " | ".join(cells) + " |")
    return out


def _md_cell(value: Cell, column: Column, style: str, indent: int) -> str:
    if isinstance(value, tuple):
        text = "<br>".join(md_escape(v) for v in value)
    else:
        text = "<br>".join(md_escape(line) for line in cell_text(value, column).split("\n"))
    if text and style != "normal":
        text = f"**{text}**"
    if text and indent:
        text = "\u2003" * indent + text
    return text
