"""Vietnamese input formats: dates are day-first, numbers use '.' for thousands and ',' for decimals.

Every reader of user input goes through these functions so that "05/03/2024" is never read as
May 3rd and "1.952" is never read as 1.952.
"""

from __future__ import annotations

import math

import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal

NumberStyle = Literal["vi", "machine"]

_DMY = re.compile(r"^\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00)?)?\s*$")


class FormatError(ValueError):
    """A value that cannot be read; the message is Vietnamese and names the value, `code` is its problem code."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def nfc(text: str) -> str:
    """Normalise to NFC so that composed and decomposed Vietnamese compare equal."""
    return unicodedata.normalize("NFC", text)


def parse_date(value: object) -> date:
    """Read a date written dd/mm/yyyy (or d/m/yyyy, with '-' or '.') or ISO yyyy-mm-dd.

    Month-first is never tried: a Vietnamese "05/03/2024" is the 5th of March.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise FormatError(f"không phải ngày tháng: {value!r}", code="format.bad_date")
    return _parse_date_text(value)


@lru_cache(maxsize=4096)
def _parse_date_text(value: str) -> date:
    """parse_date of a text, remembered: a province's bundles repeat the same few hundred dates."""
    text = nfc(value).strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO.match(text)
        if not match:
            raise FormatError(f"ngày '{value}' không đúng định dạng dd/mm/yyyy hoặc yyyy-mm-dd", code="format.bad_date")
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise FormatError(f"ngày '{value}' không tồn tại", code="format.no_such_date") from None


def parse_number(value: object, style: NumberStyle = "vi") -> float:
    """Read a number; with style 'vi', '1.952' is 1952 and '98,5' is 98.5.

    With style 'machine', '.' is the decimal point and ',' separates thousands.
    A trailing '%' is read as written: '95%' is 95 and '48,6%' is 48.6, the percentage a rate is
    compared in; whether a percent may stand in a field at all is for the reader of that field
    to say (see `written_as_percent`).
    """
    if isinstance(value, bool):
        raise FormatError(f"không phải số: {value!r}", code="format.bad_number")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise FormatError(f"không phải số: {value!r}", code="format.bad_number")
    text = nfc(value).strip().replace("\u00a0", "").replace(" ", "")
    if text.endswith("%"):
        text = text[:-1]
    if style == "vi":
        if _COMMA_THOUSANDS.fullmatch(text):
            decimal = f", {text.rstrip('0')} nếu là số thập phân" if text.count(",") == 1 else ""
            raise FormatError(f"số '{value}' dễ hiểu nhầm: dấu phẩy là dấu thập phân hay phân cách hàng nghìn? Ghi "
                              f"{text.replace(',', '')} hoặc {text.replace(',', '.')} nếu là số nguyên{decimal}",
                              code="format.ambiguous_number")
        if re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+(,\d+)?", text) or re.fullmatch(r"[-+]?\d+(,\d+)?", text):
            text = text.replace(".", "").replace(",", ".")
        elif not re.fullmatch(r"[-+]?\d+", text):
            raise FormatError(f"số '{value}' không đúng định dạng Việt Nam (1.952 hoặc 98,5)", code="format.bad_number")
    else:
        if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", text) or re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
            text = text.replace(",", "")
        else:
            raise FormatError(f"số '{value}' không đúng định dạng (1952 hoặc 98.5)", code="format.bad_number")
    return float(text)


def written_as_percent(value: object) -> bool:
    """Whether a value was typed as a percentage ("85%", "48,6 %")."""
    return isinstance(value, str) and nfc(value).strip().endswith("%")


_COMMA_THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2}(,\d{3})+")
"""'1,900': a count written the English way, or 1,9 with a trailing zero; never guessed, in any reader."""


@lru_cache(maxsize=4096, typed=True)
def format_date(value: date) -> str:
    """Render a date the Vietnamese way, dd/mm/yyyy (remembered: results repeat the same deadlines per unit)."""
    return value.strftime("%d/%m/%Y")


def format_number(value: float, decimals: int = 2) -> str:
    """Render a number the Vietnamese way: '.' for thousands, ',' for decimals, no trailing zeros.

    Results repeat the same few numbers thousands of times, so they are remembered; zero is not,
    since 0.0 and -0.0 are one key but print differently.
    """
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if value != value:
        return _format_number(value, decimals)
    return _format_number_cached(value, decimals)


def _format_number(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\u0001").replace(".", ",").replace("\u0001", ".")


def round_half_up(value: float, decimals: int) -> float:
    """Round as Excel's ROUND and an appraiser with a calculator do (0,125 → 0,13), not half-to-even.

    Remembered like format_number, and zero (0.0 or -0.0) is not, for the same reason.
    """
    if value == 0:
        return float(value)  # keeps the sign of -0.0, as quantize does
    if value != value:
        return _round_half_up(value, decimals)
    return _round_half_up_cached(value, decimals)


def _round_half_up(value: float, decimals: int) -> float:
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


_format_number_cached = lru_cache(maxsize=65536, typed=True)(_format_number)
_round_half_up_cached = lru_cache(maxsize=65536, typed=True)(_round_half_up)

_NOISE = Decimal(1).scaleb(-9)  # float noise (57.99999999999999 for 58) is below a billionth


def truncate(value: float, decimals: int) -> float:
    """Cut off the decimals beyond `decimals` (Excel's TRUNC: 15,3558 → 15,35), as some provinces publish.

    Float noise is removed first, so a value that is exactly 58 on paper never truncates to 57,99.
    """
    quantum = Decimal(1).scaleb(-decimals)
    clean = Decimal(repr(value)).quantize(_NOISE, rounding=ROUND_HALF_UP)
    return float(clean.quantize(quantum, rounding=ROUND_DOWN))
