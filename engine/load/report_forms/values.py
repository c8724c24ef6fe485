"""Count and rate cells as a person wrote them: Vietnamese digit grouping, percent signs, dashes for zero.

A count is a whole non-negative number and nothing else: "1.952" is 1952 in Vietnamese style,
"1.952,5", "85%" and "có" are not counts. A rate is read as written ("98,5%" and "98,5" are both
98.5 per cent; an Excel percentage cell holding 0.985 is 98.5 too) and keeps the number of decimals
it was printed with, so it can be compared with the recomputed rate at that precision.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from engine.core.vnformat import NumberStyle

ZERO_MARKS = frozenset({"", "-", "–", "—", "0"})

_VI_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
_MACHINE_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_FORMAT_DECIMALS = re.compile(r"0[.,](0+)")


class CellError(ValueError):
    """A cell that cannot be read as asked; the message is Vietnamese and says what was expected."""


@dataclass(frozen=True)
class Rate:
    """A percentage as printed: its value (98.5 for "98,5%") and how many decimals were printed."""

    value: float
    decimals: int


def _clean(text: str) -> str:
    return text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").strip()


def _decimal_text(text: str, style: NumberStyle) -> tuple[float, int] | None:
    """A non-negative decimal written in `style`, with its number of decimals; None if not one."""
    pattern, group, point = (_VI_NUMBER, ".", ",") if style == "vi" else (_MACHINE_NUMBER, ",", ".")
    if not pattern.fullmatch(text):
        return None
    plain = text.replace(group, "")
    decimals = len(plain.split(point, 1)[1]) if point in plain else 0
    return float(plain.replace(point, ".")), decimals


def parse_count(value: object, style: NumberStyle) -> int:
    """A whole non-negative count from a cell; blank and dashes are zero."""
    if isinstance(value, bool) or isinstance(value, (date, datetime)):
        raise CellError("ô số lượng phải là số nguyên không âm")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0 or not float(value).is_integer():
            raise CellError("số lượng hồ sơ phải là số nguyên không âm")
        return int(value)
    text = _clean(str(value if value is not None else ""))
    if text in ZERO_MARKS:
        return 0
    if text.endswith("%"):
        raise CellError("ô số lượng chứa tỷ lệ phần trăm; cột này phải ghi số hồ sơ")
    if text.startswith(("-", "+")) and _decimal_text(text[1:], style) is not None:
        raise CellError("số lượng hồ sơ không được âm")
    parsed = _decimal_text(text, style)
    if parsed is None:
        example = "1.952" if style == "vi" else "1952"
        raise CellError(f"không phải số hồ sơ (số nguyên không âm, ví dụ {example})")
    number, decimals = parsed
    if decimals and not number.is_integer():
        raise CellError("số lượng hồ sơ phải là số nguyên, không có phần thập phân")
    return int(number)


def parse_rate(value: object, style: NumberStyle, number_format: str | None = None) -> Rate | None:
    """A percentage from a cell; None for a blank or dash (no rate stated)."""
    if isinstance(value, bool) or isinstance(value, (date, datetime)):
        raise CellError("ô tỷ lệ phải là số phần trăm, ví dụ 98,5%")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise CellError("tỷ lệ phải là số không âm")
        fmt = number_format or ""
        match = _FORMAT_DECIMALS.search(fmt)
        if "%" in fmt:
            decimals = len(match.group(1)) if match else 0
            return Rate(round(value * 100, decimals + 6), decimals)
        if match:
            return Rate(float(value), len(match.group(1)))
        text = repr(float(value))
        decimals = 0 if float(value).is_integer() else len(text.split(".", 1)[1])
        return Rate(float(value), decimals)
    text = _clean(str(value if value is not None else ""))
    if text in ("", "-", "–", "—"):
        return None
    parsed = _decimal_text(text.removesuffix("%"), style)
    if parsed is None:
        example = "98,5%" if style == "vi" else "98.5%"
        raise CellError(f"không phải tỷ lệ phần trăm (ví dụ {example})")
    return Rate(*parsed)
