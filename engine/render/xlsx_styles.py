"""Cell styles shared by the workbooks parindex writes, built on first use so that start-up does not load openpyxl."""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace


@cache
def styles() -> SimpleNamespace:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    grey = Side(style="thin", color="A6A6A6")
    black = Side(style="thin", color="000000")
    return SimpleNamespace(
        border=Border(left=grey, right=grey, top=grey, bottom=grey),
        header_fill=PatternFill("solid", fgColor="1F4E78"),
        header_font=Font(bold=True, color="FFFFFF"),
        info_fill=PatternFill("solid", fgColor="EDEDED"),
        warn_fill=PatternFill("solid", fgColor="FCE4D6"),
        title_font=Font(bold=True, size=13, color="1F4E78"),
        wrap=Alignment(wrap_text=True, vertical="top"),
        locked=Protection(locked=True),
        unlocked=Protection(locked=False),
        thin_black=black,
        black_border=Border(left=black, right=black, top=black, bottom=black),
        rule=Border(bottom=Side(style="thin", color="000000")),
    )
