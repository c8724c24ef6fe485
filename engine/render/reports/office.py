"""What the office writers share: cell text, fills, fonts, the official texts of the frame, reproducible archives."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime

from engine.core.vnformat import format_number
from engine.render.reports.document import Cell, Column, Total, clean_text

FILLS = {"header": "D9D9D9", "area": "DDEBF7", "section": "E2EFDA", "total": "F2F2F2"}
FIXED_STAMP = datetime(1980, 1, 1)
FONT = "Times New Roman"
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RECIPIENTS_LABEL = "Nơi nhận:"


def cell_text(value: Cell, column: Column, joiner: str = "\n") -> str:
    """A cell as text for Word and Markdown: Vietnamese numbers, lines joined."""
    if isinstance(value, Total):
        if value.percent:
            return format_number(value.value) + "%"
        value = value.value
    if value is None:
        return ""
    if isinstance(value, tuple):
        return joiner.join(clean_text(v) for v in value)
    if isinstance(value, str):
        return clean_text(value)
    if column.kind == "percent":
        return format_number(value) + "%"
    return format_number(value)


def is_number(value: Cell) -> bool:
    return isinstance(value, Total) or (isinstance(value, (int, float)) and not isinstance(value, bool))


def recipient_lines(recipients: tuple[str, ...]) -> list[str]:
    """'- Như trên;' … '- Lưu: VT.': each recipient on a line starting with a dash, the last ending with a full stop."""
    lines = []
    for index, text in enumerate(recipients):
        text = text.strip().rstrip(";.")
        lines.append(f"- {text}{'.' if index == len(recipients) - 1 else ';'}")
    return lines


def stable_zip(data: bytes, stamp: datetime, cached: Mapping[str, Mapping[str, float]] | None = None) -> bytes:
    """Rewrite an Office archive with fixed entry times and document dates: same input, same bytes.

    `cached` gives, per worksheet part, the value each formula cell should show before any
    recalculation (openpyxl writes formulas without one), so readers that do not calculate see the totals.
    """
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
            if cached and info.filename in cached:
                values = cached[info.filename]
                payload = re.sub(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>(.*?)</f><v></v></c>',
                                 lambda m: _with_value(m, values), payload)
            entry = zipfile.ZipInfo(info.filename, date_time=(max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, payload)
    return out.getvalue()


def _with_value(match: re.Match, values: Mapping[str, float]) -> bytes:
    value = values.get(match.group(1).decode())
    if value is None:
        return match.group(0)
    return b'<c r="%s"%s><f>%s</f><v>%s</v></c>' % (match.group(1), match.group(2), match.group(3),
                                                     repr(float(value)).encode())
