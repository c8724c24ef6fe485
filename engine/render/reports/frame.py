"""The frame of every signed report (Nghị định 30/2020/NĐ-CP), from the frame settings and their documented defaults.

Three issuers: a unit (its scoring sheet and corrective plan), the office that collects the
results (summary, province view) and the government above the units (the common corrective
plan). A setting given for one unit (by id) wins over one given for all units, which wins over
the default; see docs/reports.md for the defaults.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from engine.core.vnformat import parse_date
from engine.model.frame import FrameSettings, IssuerSettings, Signer
from engine.model.results import RunResult, UnitResult
from engine.render.reports.document import Closing, Letterhead

BLANK = "……"
UNIT_SIGNER = ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
OFFICE_SIGNER = ("TRƯỞNG PHÒNG",)
GOVERNMENT_SIGNER = ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
UNIT_RECIPIENTS = ("Phòng Nội vụ (để thẩm định)", "Lưu: VT")
OFFICE_RECIPIENTS = ("Lãnh đạo Ủy ban nhân dân (để báo cáo)", "Các đơn vị được đánh giá", "Lưu: VT, NV")
GOVERNMENT_RECIPIENTS = ("Các đơn vị được đánh giá (để thực hiện)", "Phòng Nội vụ (để theo dõi)", "Lưu: VT")

_UBND = re.compile(r"^\s*(ubnd|ủy ban nhân dân|uỷ ban nhân dân)\s+", re.IGNORECASE)
_LEVEL_WORD = re.compile(r"^(phường|xã|thị trấn|thành phố|thị xã|quận|huyện|tỉnh)\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Issuer:
    """An issuer with every text resolved."""

    parent: str | None
    body: str
    short_name: str
    symbol: str
    place: str
    signer: tuple[str, ...]
    name: str | None
    recipients: tuple[str, ...]


def issuing_body(name: str) -> str:
    """'UBND Phường 1' → 'ỦY BAN NHÂN DÂN PHƯỜNG 1': the issuer line is written in full, in capitals."""
    match = _UBND.match(name)
    rest = name[match.end():] if match else name
    return ("ỦY BAN NHÂN DÂN " if match else "") + rest.strip().upper()


def place_name(name: str) -> str:
    """The place of a unit's documents: 'UBND xã Long Sơn' → 'Long Sơn'; a numbered ward keeps its word ('Phường 1')."""
    match = _UBND.match(name)
    rest = (name[match.end():] if match else name).strip()
    level = _LEVEL_WORD.match(rest)
    if level and not level.group(2)[:1].isdigit():
        return level.group(2).strip()
    return rest[:1].upper() + rest[1:]


_LEVEL_WORDS = ("thành phố", "thị xã", "thị trấn", "phường", "xã", "quận", "huyện", "tỉnh")


def sentence_name(body: str) -> str:
    """'ỦY BAN NHÂN DÂN THÀNH PHỐ VŨNG TÀU' → 'UBND thành phố Vũng Tàu': an issuer named inside a sentence."""
    text = body.strip()
    head = ""
    if text.upper().startswith("ỦY BAN NHÂN DÂN"):
        head, text = "UBND ", text[len("ỦY BAN NHÂN DÂN"):].strip()
    if not text.isupper():
        return head + text
    lowered = text.lower()
    for word in _LEVEL_WORDS:
        if lowered.startswith(word + " "):
            rest = text[len(word):].strip()
            return head + word + " " + " ".join(w[:1] + w[1:].lower() for w in rest.split())
    words = lowered.split()
    return head + " ".join([words[0].capitalize()] + words[1:]) if words else head.strip()


def _merge(base: Issuer, settings: IssuerSettings | None) -> Issuer:
    if settings is None:
        return base
    signer: Signer | None = settings.signer
    body = settings.body or base.body
    return Issuer(
        parent=settings.parent if settings.parent is not None else base.parent,
        body=body,
        short_name=settings.short_name or (sentence_name(body) if settings.body else base.short_name),
        symbol=settings.symbol or base.symbol,
        place=settings.place or base.place,
        signer=tuple(signer.lines) if signer else base.signer,
        name=(signer.name if signer else None) or base.name,
        recipients=tuple(settings.recipients) if settings.recipients is not None else base.recipients,
    )


def unit_issuer(settings: FrameSettings, unit: UnitResult) -> Issuer:
    base = Issuer(parent=None, body=issuing_body(unit.name), short_name=unit.name, symbol="UBND", place=place_name(unit.name),
                  signer=UNIT_SIGNER, name=None, recipients=UNIT_RECIPIENTS)
    return _merge(_merge(base, settings.units), settings.unit.get(unit.unit_id))


def office_issuer(settings: FrameSettings) -> Issuer:
    base = Issuer(parent=f"ỦY BAN NHÂN DÂN {BLANK}", body="PHÒNG NỘI VỤ", short_name="Phòng Nội vụ", symbol="PNV",
                  place=settings.government.place or BLANK, signer=OFFICE_SIGNER, name=None,
                  recipients=OFFICE_RECIPIENTS)
    return _merge(base, settings.office)


def government_issuer(settings: FrameSettings) -> Issuer:
    base = Issuer(parent=None, body=f"ỦY BAN NHÂN DÂN {BLANK}", short_name=f"UBND {BLANK}", symbol="UBND",
                  place=settings.office.place or BLANK, signer=GOVERNMENT_SIGNER, name=None,
                  recipients=GOVERNMENT_RECIPIENTS)
    return _merge(base, settings.government)


def date_line(place: str, settings: FrameSettings, year: int) -> str:
    """'Phường 1, ngày 05 tháng 01 năm 2025': day below 10 and months 1, 2 with a leading zero (NĐ 30, Phụ lục I)."""
    if settings.date is None:
        return f"{place}, ngày {BLANK} tháng {BLANK} năm {settings.year or year}"
    when: date = parse_date(settings.date)
    month = f"{when.month:02d}" if when.month < 3 else str(when.month)
    return f"{place}, ngày {when.day:02d} tháng {month} năm {when.year}"


def letterhead(issuer: Issuer, settings: FrameSettings, year: int, kind: str, title: str,
               subtitle: Sequence[str] = (), attachment: str | None = None) -> Letterhead:
    """The top of a document of one kind (BC báo cáo, KH kế hoạch)."""
    return Letterhead(parent=issuer.parent, body=issuer.body, number=f"Số: {BLANK}/{kind}-{issuer.symbol}",
                      place_date=date_line(issuer.place, settings, year), title=title, subtitle=tuple(subtitle),
                      attachment=attachment)


def closing(issuer: Issuer) -> Closing:
    return Closing(recipients=issuer.recipients, signer=issuer.signer, name=issuer.name)


def unit_check_code(run: RunResult, unit: UnitResult) -> str:
    """Four characters of the set's hash and four of the unit's evidence hash: both are in the JSON results."""
    return f"{run.criteria_set.hash[:4]}-{unit.evidence_hash[:4]}".upper()


def run_check_code(run: RunResult) -> str:
    """Four characters of the set's hash and four of the hash of every unit's evidence hash in ranking order."""
    joined = hashlib.sha256("".join(u.evidence_hash for u in run.units).encode()).hexdigest()
    return f"{run.criteria_set.hash[:4]}-{joined[:4]}".upper()
