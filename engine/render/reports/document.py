"""A small format-neutral document model: parts made of paragraphs and tables inside an official frame.

The scoring sheet, the corrective plans and the province view are built once as these blocks;
the XLSX, DOCX and Markdown writers each know how to draw a block, so no report is written three
times. A part carries its frame (letterhead, title, recipients and signature, Nghị định
30/2020/NĐ-CP) and a short check code; the writers place them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Literal, Union

from pydantic import Field

from engine.core.base import Frozen

Format = Literal["xlsx", "docx", "md"]
ALL_FORMATS: tuple[Format, ...] = ("xlsx", "docx", "md")

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 cannot hold (and DEL): C0 controls but tab and line ends, lone surrogates, U+FFFE and U+FFFF."""


def memo_value(value):
    """A cell value as part of a memo key: -0.0 equals 0.0 but prints "-0", so a float's sign is part of its key."""
    if type(value) is float:
        return value, math.copysign(1.0, value)
    return value


def xml_text(text: str, carriage_return: str = "\n") -> str:
    """Text inside an XML element as lxml and openpyxl write it: what XML cannot hold dropped (clean_text), &, < and >
    escaped, a carriage return written as `carriage_return` (Word's XML reads CR LF and CR as LF; openpyxl keeps
    a CR as &#13;)."""
    text = clean_text(text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        if carriage_return == "\n":
            text = text.replace("\r\n", "\n")
        text = text.replace("\r", carriage_return)
    return text


def clean_text(text: str) -> str:
    """Drop control characters that XML (hence XLSX and DOCX) cannot hold; keep tabs and newlines."""
    if text.isprintable():  # the usual case, checked without the pattern
        return text
    return _CONTROL.sub("", text)


@dataclass(frozen=True, slots=True)
class Total:
    """A computed cell: XLSX writes `formula` over other cells of the same table, the other writers the value.

    In the formula `{n}` is this column at table row n (0-based, header excluded) and `{n:c}` is
    row n, column c; the value is the engine's own total, so the two must agree. `percent`: a
    percentage (value in %, e.g. 79.44) in a column of points.

    A frozen dataclass, not a model: only the engine makes totals (tens of thousands per run, one per parent
    criterion, column and unit), and validating what it computed itself cost as much as drawing a document.
    """

    value: float
    formula: str
    percent: bool = False

    def __post_init__(self) -> None:
        if type(self.value) is not float:  # an int sum (0 over no items) is written as the float it stands for
            object.__setattr__(self, "value", float(self.value))


Cell = Union[Total, str, float, int, None, tuple[str, ...]]


class Column(Frozen):
    """A table column: header, width in characters (XLSX; proportions in DOCX), kind, and an optional header group."""

    header: str
    width: float = 12
    kind: Literal["text", "number", "percent", "integer"] = "text"
    group: str | None = Field(None, description="A header spanning the adjacent columns of the same group")


RowStyle = Literal["normal", "area", "section", "total"]


@dataclass(frozen=True, slots=True)
class Row:
    """A table row. `style` says how it stands out; `span` lets the last filled cell run to the row's end.

    A frozen dataclass, not a model: the engine makes every row (one per criterion and unit, one per task) from cells
    of the Cell types, and validating them cost more than drawing them; the writers only read the attributes.
    """

    cells: tuple[Cell, ...]
    style: RowStyle = "normal"
    indent: int = 0
    span: bool = False

    def __post_init__(self) -> None:
        if type(self.cells) is not tuple:
            object.__setattr__(self, "cells", tuple(self.cells))


class Heading(Frozen):
    kind: Literal["heading"] = "heading"
    text: str
    level: int = Field(2, ge=2, le=3)
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


Block = Annotated[Union[Heading, Paragraph, Table], Field(discriminator="kind")]


class Letterhead(Frozen):
    """The top of a signed document: issuer (with its parent), national motto, number, place and date, title."""

    parent: str | None = None
    body: str
    number: str
    place_date: str
    title: str
    subtitle: tuple[str, ...] = ()
    attachment: str | None = Field(None, description="'(Kèm theo ...)' line of an appendix, in italics")


class Closing(Frozen):
    """The end of a signed document: recipients on the left, the signature block on the right."""

    recipients: tuple[str, ...]
    signer: tuple[str, ...]
    name: str | None = None


class Part(Frozen):
    """One sheet of a workbook, one section (new page) of a Word file, one chapter of a Markdown file."""

    name: str
    blocks: tuple[Block, ...]
    letterhead: Letterhead | None = None
    closing: Closing | None = None
    orientation: Literal["portrait", "landscape"] = "landscape"
    check_code: str | None = Field(None, description="Short 'mã kiểm tra' tying the paper to the JSON results")
