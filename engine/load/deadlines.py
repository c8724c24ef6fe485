"""Vietnamese deadline phrases from plan tables, read into structured deadlines.

Plan appendices write deadlines as free text ("Quý I năm 2025", "Trước ngày 16/01/2025",
"Thường xuyên", "Kế hoạch: Quý I; Báo cáo: Quý IV" ...). Timeliness rules need dates, so each
phrase is read into a `Deadline`. A phrase that does not fit a known form becomes kind
"unreadable": the reader never guesses, the importer reports it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Literal

from engine.core.base import Frozen
from engine.core.vnformat import format_date, nfc

DeadlineKind = Literal[
    "date", "period_end", "milestones", "per_level", "recurring", "conditional", "none", "unreadable"
]
Granularity = Literal["day", "month", "quarter", "half", "year"]
Level = Literal["tỉnh", "sở", "huyện", "xã"]


class Deadline(Frozen):
    """A deadline read from a phrase; `text` keeps the phrase so every reading can be checked.

    `due` is the date the phrase names as the limit (the day itself, or the last day of the
    period); `inclusive` says whether that day still counts as on time ("trước ngày 16/01"
    excludes the 16th, "Quý I" includes 31/03). For milestones `due` is the latest milestone.
    """

    text: str
    kind: DeadlineKind
    due: date | None = None
    inclusive: bool = True
    start: date | None = None
    granularity: Granularity | None = None
    label: str | None = None
    levels: tuple[Level, ...] = ()
    frequency: str | None = None
    condition: str | None = None
    tentative: bool = False
    parts: tuple[Deadline, ...] = ()

    def is_met_by(self, done: date) -> bool | None:
        """Whether work done on `done` meets the deadline; None when there is no date to compare."""
        if self.due is None or self.kind not in ("date", "period_end", "milestones"):
            return None
        return done <= self.due if self.inclusive else done < self.due


class _Unreadable(Exception):
    """Raised inside the reader; turned into kind "unreadable" at the top."""


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR_TAIL = r"(?:\s*(?:/|-|năm)?\s*(?P<{0}>\d{{4}}))?"
_TIME = re.compile(
    r"(?P<dlong>ngày\s+(?P<dl_d>\d{1,2})\s+tháng\s+(?P<dl_m>\d{1,2})(?:\s*,?\s*năm\s+(?P<dl_y>\d{4}))?)"
    r"|(?P<date>(?:ngày\s*)?(?P<d_d>\d{1,2})\s*[/.-]\s*(?P<d_m>\d{1,2})\s*[/.-]\s*(?P<d_y>\d{4})\b)"
    r"|(?P<dshort>ngày\s*(?P<ds_d>\d{1,2})\s*[/-]\s*(?P<ds_m>\d{1,2})\b(?!\s*[/.-]\s*\d))"
    r"|(?P<half>(?:0?6|sáu)\s+tháng(?:\s+(?P<h_pos>đầu|cuối)(?:\s+năm)?)?" + _YEAR_TAIL.format("h_y") + ")"
    r"|(?P<quarter>quý\s*(?P<q>iv|i{1,3}|[1-4])\b" + _YEAR_TAIL.format("q_y") + ")"
    r"|(?P<month>tháng\s*(?P<m>\d{1,2})\b" + _YEAR_TAIL.format("m_y") + ")"
    r"|(?P<year>năm\s*(?P<y>\d{4})\b)"
)
_CONDITIONAL = re.compile(
    r"^(?:ngay\s+)?sau\s+khi\b|^khi\b|^theo\b(?!\s+định\s+kỳ)|^tu[ỳy]\s+theo\b|^căn\s+cứ\b|^chờ\b"
    r"|^trên\s+cơ\s+sở\b"
)
_RECURRING = re.compile(
    r"^(?:thường\s+xuyên|liên\s+tục|(?:theo\s+)?định\s+kỳ|h[ằà]ng\s+(?:ngày|tuần|tháng|quý|năm)"
    r"|mỗi\s+(?:ngày|tuần|tháng|quý|năm))"
)
_FREQUENCY = re.compile(r"(?:h[ằà]ng|mỗi)\s+(ngày|tuần|tháng|quý|năm)")
_WINDOW = re.compile(r"trong\s+(?:cả\s+)?năm(?:\s+(\d{4}))?")
_LEVEL_HEAD = re.compile(
    r"^(?:các\s+)?(?:sở|ban\b(?!\s+hành)|ngành|ubnd|[uủ]y\s+ban|cấp|huyện|quận|thị\s+xã|xã|phường"
    r"|thị\s+trấn|tỉnh)\b"
)
_TIME_WORDS = re.compile(r"\b(?:quý|tháng|ngày|năm|tuần)\b|\d")
# Words between a label and its time expression, with what they mean for the due date:
# "before" excludes the day named, "by" and "in" include it, "from"/"until" open and close a range.
_CONNECTORS = {
    "trước hoặc trong": "by", "trước hoặc vào": "by", "chậm nhất là": "by", "chậm nhất": "by",
    "trước": "before", "trong cả": "in", "trong": "in", "vào": "in", "cuối": "in",
    "hoàn thành": "in", "từ": "from", "đến": "until",
}
_LEADING_WORDS = ("dự kiến", "hoàn thành")
_SEPARATORS = re.compile(r"\s*(?:;|\.\s|,\s|\svà\s)\s*")


def parse_deadline(text: str, plan_year: int) -> Deadline:
    """Read a Vietnamese deadline phrase; `plan_year` fills in phrases without a year ("Quý IV")."""
    phrase = _clean(text)
    if not phrase:
        return Deadline(text=phrase, kind="none")
    try:
        return _read(phrase, plan_year)
    except _Unreadable:
        return Deadline(text=phrase, kind="unreadable")


def _clean(text: str) -> str:
    """NFC, one space between words, no trailing dots or separators."""
    return " ".join(nfc(text).split()).rstrip(" .;,").strip()


def _read(phrase: str, plan_year: int) -> Deadline:
    """Try the forms from the most to the least specific; the first that fits wins."""
    per_level = _read_per_level(phrase, plan_year)
    if per_level is not None:
        return per_level
    whole = _read_whole(phrase, plan_year)
    if whole is not None:
        return whole
    condition = None
    paren = re.fullmatch(r"(.*\S)\s*\(([^()]*)\)", phrase)
    if paren:
        phrase_core, condition = paren.group(1), paren.group(2).strip() or None
    else:
        phrase_core = phrase
    return _read_timeline(phrase, phrase_core, plan_year, condition)


def _read_whole(phrase: str, plan_year: int) -> Deadline | None:
    """Phrases whose first words decide the kind: recurring ("Thường xuyên") or conditional ("Sau khi ...")."""
    low = phrase.lower()
    if _RECURRING.match(low):
        return _read_recurring(phrase, plan_year)
    if _CONDITIONAL.match(low):
        return Deadline(text=phrase, kind="conditional", condition=phrase)
    return None


def _read_recurring(phrase: str, plan_year: int) -> Deadline:
    """Frequency from the first words, an optional window ("trong năm 2025", "từ Quý I") and basis."""
    low = phrase.lower()
    lead = _RECURRING.match(low)
    assert lead is not None
    lead_text = lead.group(0)
    freq_match = _FREQUENCY.search(low)
    if lead_text.startswith(("thường", "liên")):
        frequency = "thường xuyên"
    elif freq_match:
        frequency = f"hằng {freq_match.group(1)}"
    else:
        frequency = "định kỳ"
    start = due = None
    window = _WINDOW.search(low)
    if window:
        year = int(window.group(1)) if window.group(1) else plan_year
        start, due = date(year, 1, 1), date(year, 12, 31)
    since = re.search(r"\btừ\s+", low)
    if since:
        found = _TIME.match(low, since.end())
        if not found:
            raise _Unreadable
        start = _resolve(found, _explicit_year(found) or plan_year)[0]
    rest = phrase[lead.end():]
    leftover = _WINDOW.sub("", _FREQUENCY.sub("", rest.lower()))
    condition = rest.strip(" ,;.") if leftover.strip(" ,;.") else None
    return Deadline(
        text=phrase, kind="recurring", frequency=frequency, start=start, due=due, condition=condition
    )


def _read_per_level(phrase: str, plan_year: int) -> Deadline | None:
    """"Sở, huyện: trước ngày 01/3/2025; cấp xã: theo yêu cầu ..." — one sub-deadline per unit level."""
    segments = [s.strip() for s in phrase.split(";") if s.strip()]
    parts = []
    for segment in segments:
        head, colon, tail = segment.partition(":")
        if not colon or not tail.strip() or not _LEVEL_HEAD.match(head.strip().lower()):
            return None
        levels = _levels(head)
        if not levels:
            return None
        sub = _read(_clean(tail), plan_year)
        parts.append(sub.model_copy(update={"levels": levels, "label": head.strip()}))
    if not parts:
        return None
    return Deadline(text=phrase, kind="per_level", parts=tuple(parts))


def _levels(head: str) -> tuple[Level, ...]:
    """Unit levels named in a label; empty when the label does not name levels."""
    found: list[Level] = []
    for piece in re.split(r",|\bvà\b", head.lower()):
        level: Level | None = None
        if re.search(r"\bsở\b|\bban\b(?!\s+hành)|\bngành\b", piece):
            level = "sở"
        elif re.search(r"thị\s+xã|\bhuyện\b|\bquận\b", piece):
            level = "huyện"
        elif re.search(r"\bxã\b|\bphường\b|thị\s+trấn", piece):
            level = "xã"
        elif re.search(r"\btỉnh\b", piece):
            level = "tỉnh"
        if level and level not in found:
            found.append(level)
    return tuple(found)


_YEAR_GROUP = {"dlong": "dl_y", "date": "d_y", "half": "h_y", "quarter": "q_y", "month": "m_y", "year": "y"}


def _explicit_year(match: re.Match[str]) -> int | None:
    """The year written in the expression, if any ("Quý IV" has none)."""
    group = _YEAR_GROUP.get(match.lastgroup or "")
    value = match.group(group) if group else None
    return int(value) if value else None


def _resolve(match: re.Match[str], year: int) -> tuple[date, date, Granularity]:
    """First and last day of the time expression, with `year` where the phrase names none."""
    kind = match.lastgroup
    try:
        if kind in ("dlong", "date", "dshort"):
            prefix = {"dlong": "dl", "date": "d", "dshort": "ds"}[kind]
            day = date(year, int(match.group(f"{prefix}_m")), int(match.group(f"{prefix}_d")))
            return day, day, "day"
        if kind == "month":
            month = int(match.group("m"))
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), "month"
        if kind == "quarter":
            quarter = _ROMAN[match.group("q")]
            first = date(year, 3 * quarter - 2, 1)
            last_month = 3 * quarter
            return first, date(year, last_month, calendar.monthrange(year, last_month)[1]), "quarter"
        if kind == "half":
            if match.group("h_pos") == "cuối":
                return date(year, 7, 1), date(year, 12, 31), "half"
            return date(year, 1, 1), date(year, 6, 30), "half"
        return date(year, 1, 1), date(year, 12, 31), "year"
    except ValueError:
        raise _Unreadable from None


def _read_timeline(phrase: str, core: str, plan_year: int, condition: str | None) -> Deadline:
    """One or more time expressions, each with an optional label: a date, a period or milestones."""
    low = core.lower()
    if len(low) != len(core):
        raise _Unreadable
    matches = list(_TIME.finditer(low))
    if not matches:
        raise _Unreadable
    years = _fill_years([_explicit_year(m) for m in matches], plan_year)
    parts: list[Deadline] = []
    meanings: list[set[str]] = []
    position = 0
    for match, year in zip(matches, years):
        free, label, meaning, tentative = _split_prefix(core[position:match.start()], plan_year)
        parts.extend(free)
        first, last, granularity = _resolve(match, year)
        common = {
            "text": _clean(core[position:match.end()].lstrip(" ,;.:")),
            "label": label,
            "tentative": tentative,
        }
        dated_kind = "date" if granularity == "day" else "period_end"
        if "from" in meaning:
            part = Deadline(kind="recurring", frequency="thường xuyên", start=first, **common)
        elif "before" in meaning:
            part = Deadline(kind=dated_kind, due=first, inclusive=False, granularity=granularity, **common)
        else:
            part = Deadline(kind=dated_kind, due=last, start=None if granularity == "day" else first,
                            granularity=granularity, **common)
        parts.append(part)
        meanings.append(meaning)
        position = match.end()
    trailing = re.sub(r"^[\s,;.:]*(?:và\s+)?", "", core[position:])
    if trailing:
        extra = _read_whole(_clean(trailing), plan_year)
        if extra is None:
            raise _Unreadable
        if extra.kind == "conditional" and condition is None:
            condition = extra.condition
        else:
            parts.append(extra)
    if len(parts) == 2 and len(meanings) == 2 and "from" in meanings[0] and "until" in meanings[1]:
        return parts[1].model_copy(
            update={"text": phrase, "kind": "period_end", "start": parts[0].start, "condition": condition}
        )
    if len(parts) == 1:
        return parts[0].model_copy(update={"text": phrase, "condition": condition})
    dated = [p for p in parts if p.due is not None and p.kind in ("date", "period_end")]
    latest = max(dated, key=lambda p: (p.due, p.inclusive)) if dated else None
    return Deadline(
        text=phrase, kind="milestones", parts=tuple(parts), condition=condition,
        due=latest.due if latest else None, inclusive=latest.inclusive if latest else True,
    )


def _fill_years(years: list[int | None], plan_year: int) -> list[int]:
    """A missing year comes from the next expression that has one ("Quý II, Quý IV/2025"), then the previous."""
    filled: list[int | None] = list(years)
    following: int | None = None
    for i in range(len(filled) - 1, -1, -1):
        if filled[i] is None:
            filled[i] = following
        else:
            following = filled[i]
    previous: int | None = None
    for i, value in enumerate(filled):
        if value is None:
            filled[i] = previous
        else:
            previous = value
    return [value if value is not None else plan_year for value in filled]


def _split_prefix(prefix: str, plan_year: int) -> tuple[list[Deadline], str | None, set[str], bool]:
    """Split the words before a time expression into free parts, a label and connector meanings.

    "Kế hoạch: " gives the label "Kế hoạch"; "Hoàn thành trước " gives the meaning "before";
    "Thường xuyên; Báo cáo " gives a recurring part and the label "Báo cáo".
    """
    text = re.sub(r"^[\s,;.:]*(?:và\s+)?", "", prefix)
    free: list[Deadline] = []
    for separator in _SEPARATORS.finditer(text):
        whole = _read_whole(_clean(text[: separator.start()]), plan_year)
        if whole is None:
            break
        free.append(whole)
        text = text[separator.end():]
    label = text.strip().rstrip(":").strip()
    meaning: set[str] = set()
    tentative = False
    changed = True
    while changed and label:
        changed = False
        low = label.lower()
        for word, sense in _CONNECTORS.items():
            if low == word or low.endswith(" " + word):
                meaning.add(sense)
                label = label[: len(label) - len(word)].rstrip(" :")
                changed = True
                break
        low = label.lower()
        for word in _LEADING_WORDS:
            if low == word or low.startswith(word + " "):
                tentative = tentative or word == "dự kiến"
                label = label[len(word):].lstrip(" :")
                changed = True
                break
    if label and (_TIME_WORDS.search(label.lower()) or len(label.split()) > 8):
        raise _Unreadable
    return free, label or None, meaning, tentative


def vietnamese_label(deadline: Deadline) -> str:
    """A short Vietnamese description, e.g. "trước hoặc trong ngày 31/03/2025" or "thường xuyên"."""
    kind = deadline.kind
    if kind == "none":
        text = "không ghi thời hạn"
    elif kind == "unreadable":
        text = f"không đọc được thời hạn “{deadline.text}”"
    elif kind in ("date", "period_end"):
        assert deadline.due is not None
        if deadline.start is not None and deadline.start != _period_start(deadline):
            text = f"từ {format_date(deadline.start)} đến {format_date(deadline.due)}"
        else:
            lead = "trước hoặc trong ngày " if deadline.inclusive else "trước ngày "
            text = lead + format_date(deadline.due)
    elif kind == "recurring":
        text = deadline.frequency or "định kỳ"
        start, due = deadline.start, deadline.due
        if start and due and start == date(due.year, 1, 1) and due == date(due.year, 12, 31):
            text += f" trong năm {due.year}"
        elif start:
            text += f" từ {format_date(start)}"
    elif kind == "conditional":
        text = _lower_first(deadline.condition or deadline.text)
    elif kind == "per_level":
        text = "; ".join(f"{', '.join(p.levels)}: {vietnamese_label(p)}" for p in deadline.parts)
    else:
        text = "; ".join(vietnamese_label(p) for p in deadline.parts)
    if deadline.tentative:
        text = "dự kiến " + text
    if deadline.condition and kind != "conditional":
        text += f" ({_lower_first(deadline.condition)})"
    if deadline.label and not deadline.levels and kind in ("date", "period_end", "recurring"):
        text = f"{deadline.label}: {text}"
    return text


def _period_start(deadline: Deadline) -> date | None:
    """First day of the period ending on `due`, to tell "Quý I" from a "từ ... đến" range."""
    due = deadline.due
    assert due is not None
    months_back = {"month": 0, "quarter": 2, "half": 5, "year": 11}.get(deadline.granularity or "")
    if months_back is None:
        return deadline.start
    return date(due.year, due.month - months_back, 1)


def _lower_first(text: str) -> str:
    """Lower-case the first letter of a phrase used inside a sentence, but not of an acronym ("UBND")."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


Deadline.model_rebuild()
