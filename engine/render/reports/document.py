"""A small format-neutral document model: parts made of paragraphs and tables inside an official frame.

The scoring sheet, the corrective plans and the province view are built once as these blocks;
the XLSX, DOCX and Markdown writers each know how to draw a block, so no report is written three
times. A part carries its frame (letterhead, title, recipients and signature, Nghị định
30/2020/NĐ-CP) and a short check code; the writers place them.
"""

from __future__ import annotations

import math
import re
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


_setattr = object.__setattr__


def trusted(cls, values: dict):
    """An instance of a render model from values the engine built with the right types, every field given in
    declaration order: no validation, and none of model_construct's per-field work.

    The engine builds tens of thousands of cells and rows per run (a Total per parent criterion and column, a Row per
    criterion and unit); validating what it built itself cost as much as drawing a document. The instance is what
    validation would give (same class, same attributes, equal, hashable, picklable); only its fields set lists
    every field.
    """
    instance = object.__new__(cls)
    _setattr(instance, "__dict__", values)
    _setattr(instance, "__pydantic_fields_set__", set(values))
    _setattr(instance, "__pydantic_extra__", None)
    _setattr(instance, "__pydantic_private__", None)
    return instance


def clean_text(text: str) -> str:
    """Drop control characters that XML (hence XLSX and DOCX) cannot hold; keep tabs and newlines."""
    if text.isprintable():  # the usual case, checked without the pattern
        return text
    return _CONTROL.sub("", text)


class Total(Frozen):
    """A computed cell: XLSX writes `formula` over other cells of the same table, the other writers the value.

    In the formula `{n}` is this column at table row n (0-based, header excluded) and `{n:c}` is
    row n, column c; the value is the engine's own total, so the two must agree.
    """

    value: float
    formula: str
    percent: bool = Field(False, description="A percentage (value in %, e.g. 79.44) in a column of points")

    @classmethod
    def of(cls, value: float, formula: str, percent: bool = False) -> Total:
        """A total the engine computed (a float) over its own formula, made without validation."""
        if type(value) is not float:
            value = float(value)  # as validation would turn an int sum (0 over no items) into a float
        return trusted(cls, {"value": value, "formula": formula, "percent": percent})


Cell = Union[Total, str, float, int, None, tuple[str, ...]]


class Column(Frozen):
    """A table column: header, width in characters (XLSX; proportions in DOCX), kind, and an optional header group."""

    header: str
    width: float = 12
    kind: Literal["text", "number", "percent", "integer"] = "text"
    group: str | None = Field(None, description="A header spanning the adjacent columns of the same group")


class Row(Frozen):
    """A table row. `style` says how it stands out; `span` lets the last filled cell run to the row's end."""

    cells: tuple[Cell, ...]
    style: Literal["normal", "area", "section", "total"] = "normal"
    indent: int = 0
    span: bool = False

    @classmethod
    def built(cls, cells: tuple[Cell, ...], style: Literal["normal", "area", "section", "total"] = "normal",
              indent: int = 0, span: bool = False) -> Row:
        """A row of cells the engine built with the right types, made without validation (one per criterion
        and unit, one per task)."""
        assert type(cells) is tuple
        return trusted(cls, {"cells": cells, "style": style, "indent": indent, "span": span})


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
