"""What the office writers share: cell text, fills, fonts, the official texts of the frame, reproducible archives."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from engine.core.vnformat import format_number
from engine.render.reports.document import Cell, Column, Total, clean_text

FILLS = {"header": "D9D9D9", "area": "DDEBF7", "section": "E2EFDA", "total": "F2F2F2"}
FIXED_STAMP = datetime(1980, 1, 1)
FONT = "Times New Roman"
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RECIPIENTS_LABEL = "Nơi nhận:"
COMPRESS_LEVEL = 1
"""zlib level of the report archives: about twice as fast as the default 6 over the tens of megabytes of XML a
province's documents hold, for archives about a third larger; the documents inside are the same."""


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


class Entries:
    """An Office archive being written by openpyxl or python-docx, kept as (name, content) in writing order.

    It stands in for the zip file those libraries would write: the entries are compressed once,
    by stable_archive, instead of being compressed, read back and compressed again.
    """

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def writestr(self, name: str, data: bytes | str) -> None:
        self.items.append((name, data.encode("utf-8") if isinstance(data, str) else data))

    def namelist(self) -> list[str]:
        return [name for name, _ in self.items]

    def write(self, pack_uri, blob: bytes) -> None:
        """python-docx's physical package writer interface."""
        self.writestr(pack_uri.membername, blob)

    def close(self) -> None:
        pass


def stable_archive(entries: list[tuple[str, bytes]], stamp: datetime,
                   rewrite: Mapping[str, Callable[[bytes], bytes | Iterable[bytes]]] | None = None,
                   store_below: int = 0) -> bytes:
    """An Office archive of these entries with fixed entry times and document dates: same input, same bytes.

    `rewrite` gives, per entry, a function that completes its content (the DOCX writer puts the
    body it wrote itself into python-docx's document part); it may give the content as pieces,
    compressed as they come (the same bytes as their join, without holding the join). Entries
    shorter than `store_below` bytes are stored uncompressed.
    """
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, payload in entries:
            if name == "docProps/core.xml":
                text = payload.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    text = re.sub(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{iso}\g<2>", text)
                payload = text.encode("utf-8")
            if rewrite and name in rewrite:
                payload = rewrite[name](payload)
            entry = zipfile.ZipInfo(name, date_time=(max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            if not isinstance(payload, bytes):
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry._compresslevel = COMPRESS_LEVEL  # what writestr sets from its compresslevel
                with target.open(entry, "w") as stream:
                    for piece in payload:
                        stream.write(piece)
                continue
            entry.compress_type = zipfile.ZIP_DEFLATED if len(payload) >= store_below else zipfile.ZIP_STORED
            target.writestr(entry, payload, compresslevel=COMPRESS_LEVEL)
    return out.getvalue()
