"""A small format-neutral document model: parts made of headings, paragraphs and tables.

The scoring sheet, the corrective plans and the province view are built once as these blocks;
the XLSX, DOCX and Markdown writers (render.py) each know how to draw a block, so no report is
written three times.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import Field

from engine.core.base import Frozen

Format = Literal["xlsx", "docx", "md"]
ALL_FORMATS: tuple[Format, ...] = ("xlsx", "docx", "md")

Cell = Union[str, float, int, None, tuple[str, ...]]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Drop control characters that XML (hence XLSX and DOCX) cannot hold; keep tabs and newlines."""
    return _CONTROL.sub("", text)


class Column(Frozen):
    """A table column: its header, a width in characters (XLSX) that also sets proportions in DOCX, its kind."""

    header: str
    width: float = 12
    kind: Literal["text", "number", "percent", "integer"] = "text"


class Row(Frozen):
    """A table row. `style` says how it stands out; `span` lets the last filled cell run to the row's end."""

    cells: tuple[Cell, ...]
    style: Literal["normal", "area", "section", "total"] = "normal"
    indent: int = 0
    span: bool = False


class Heading(Frozen):
    kind: Literal["heading"] = "heading"
    text: str
    level: int = Field(1, ge=1, le=3)
    center: bool = False
    formats: tuple[Format, ...] = ALL_FORMATS


class Paragraph(Frozen):
    kind: Literal["paragraph"] = "paragraph"
    text: str
    italic: bool = False
    center: bool = False
    formats: tuple[Format, ...] = ALL_FORMATS


class Table(Frozen):
    kind: Literal["table"] = "table"
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    indent_column: int | None = Field(None, description="Column whose text is indented by Row.indent")
    freeze: bool = Field(False, description="Keep the header row in view (XLSX) and repeat it on each page")
    formats: tuple[Format, ...] = ALL_FORMATS


class TwoColumns(Frozen):
    """Letterhead or signature block: two columns of centred lines (the first line of each in bold)."""

    kind: Literal["two_columns"] = "two_columns"
    left: tuple[str, ...]
    right: tuple[str, ...]
    formats: tuple[Format, ...] = ("docx",)


Block = Annotated[Union[Heading, Paragraph, Table, TwoColumns], Field(discriminator="kind")]


class Part(Frozen):
    """One sheet of a workbook, one chapter (new page) of a Word file, one section of a Markdown file."""

    name: str
    blocks: tuple[Block, ...]
