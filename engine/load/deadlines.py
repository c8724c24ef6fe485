"""Vietnamese deadline phrases from plan tables, read into structured deadlines.

Plan appendices write deadlines as free text ("Quý I năm 2025", "Trước ngày 16/01/2025",
"Thường xuyên", "Kế hoạch: Quý I; Báo cáo: Quý IV", "Giai đoạn 2026 - 2030", "Số liệu tính từ
ngày 15/12/2024 đến ngày 14/12/2025" ...). Timeliness rules need dates, so each phrase is read into
a `Deadline`. A phrase that does not fit a known form becomes kind "unreadable" with the reason:
the reader never guesses, the importer reports it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Literal

from engine.core.base import Frozen
from engine.core.vnformat import format_date, nfc

DeadlineKind = Literal[
    "date", "period_end", "window", "after", "milestones", "per_level", "recurring", "continuous", "cutoff",
    "conditional", "none", "unreadable",
]
Granularity = Literal["day", "part", "month", "quarter", "half", "year"]
Level = Literal["tỉnh", "sở", "huyện", "xã"]
DATED_KINDS = ("date", "period_end", "window", "milestones")
"""Kinds whose `due` is a last on-time day that a completion date can be compared with."""
MAX_PHRASE = 400
"""Characters; a deadline cell longer than this is not a deadline, and is never fed to the patterns."""
FAR_YEARS = 10
"""A year more than this far from the plan year is a typing error, not a deadline ("Quý I/2205")."""


class Deadline(Frozen):
    """A deadline read from a phrase; `text` keeps the phrase so every reading can be checked.

    `due` is the date the phrase names as the limit (the day itself, or the last day of the
    period); `inclusive` says whether that day still counts as on time ("trước ngày 16/01"
    excludes the 16th, "Quý I" includes 31/03). For milestones `due` is the latest milestone.
    A data cut-off window ("số liệu tính từ ngày … đến ngày …") is never a due date: it is kept in
    `cutoff_start`/`cutoff_end`, alone (kind "cutoff") or beside the deadline it qualifies.
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
    cutoff_start: date | None = None
    cutoff_end: date | None = None
    reason: str | None = None
    parts: tuple[Deadline, ...] = ()

    def is_met_by(self, done: date) -> bool | None:
        """Whether work done on `done` meets the deadline; None when there is no date to compare."""
        if self.due is None or self.kind not in DATED_KINDS:
            return None
        return done <= self.due if self.inclusive else done < self.due

    def last_on_time_day(self) -> date | None:
        """The last day on which finishing is on time; None when the phrase names no such day."""
        if self.due is None or self.kind not in DATED_KINDS:
            return None
        return self.due if self.inclusive else self.due - timedelta(days=1)


class _Unreadable(Exception):
    """Raised inside the reader; turned into kind "unreadable" (with the reason, when known) at the top."""

    def __init__(self, reason: str | None = None):
        super().__init__(reason)
        self.reason = reason


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR_TAIL = r"(?:\s*(?:/|-|năm)?\s*(?P<{0}>\d{{4}}))?"
_TIME = re.compile(
    r"(?P<dlong>ngày\s+(?P<dl_d>\d{1,2})\s+tháng\s+(?P<dl_m>\d{1,2})(?:\s*,?\s*năm\s+(?P<dl_y>\d{4}))?)"
    r"|(?P<date>(?:ngày\s*)?(?P<d_d>\d{1,2})\s*[/.-]\s*(?P<d_m>\d{1,2})\s*[/.-]\s*(?P<d_y>\d{4})\b)"
    r"|(?P<dshort>ngày\s*(?P<ds_d>\d{1,2})\s*[/-]\s*(?P<ds_m>\d{1,2})\b(?!\s*[/.-]\s*\d))"
    r"|(?P<years>(?:giai\s+đoạn\s*|năm\s*)?(?P<y1>\d{4})\s*[-–—]\s*(?:năm\s*)?(?P<y2>\d{4})\b)"
    r"|(?P<half>(?:(?:0?6|sáu)\s+tháng|nửa)(?:\s+(?P<h_pos>đầu|cuối)(?:\s+năm)?)?" + _YEAR_TAIL.format("h_y") + ")"
    r"|(?P<quarter>quý\s*(?P<q>iv|i{1,3}|[1-4])\b" + _YEAR_TAIL.format("q_y") + ")"
    r"|(?P<month>tháng\s*(?P<m>\d{1,2})\b" + _YEAR_TAIL.format("m_y") + ")"
    r"|(?P<year>năm\s*(?P<y>\d{4})\b)"
)
_CONDITIONAL = re.compile(
    r"^(?:ngay\s+)?sau\s+khi\b|^khi\b|^theo\b(?!\s+định\s+kỳ)|^tu[ỳy]\s+theo\b|^căn\s+cứ\b|^chờ\b"
    r"|^trên\s+cơ\s+sở\b|^nếu\b|^trường\s+hợp\b|^khi\s+có\b"
)
_RECURRING = re.compile(
    r"^(?:(?:duy\s+trì|tiếp\s+tục(?:\s+thực\s+hiện)?|sau\s+đó(?:\s+thực\s+hiện)?|thực\s+hiện)\s+)?"
    r"(?:thường\s+xuyên|liên\s+tục|(?:theo\s+)?định\s+kỳ|h[ằà]ng\s+(?:ngày|tuần|tháng|quý|năm)"
    r"|mỗi\s+(?:ngày|tuần|tháng|quý|năm)"
    r"|(?:trong\s+)?(?:các|những)\s+năm\s+tiếp\s+theo)"
)
_CONTINUOUS_WORDS = ("thường xuyên", "liên tục", "năm tiếp theo")
_RELATIVE = re.compile(
    r"\b\d+\s+(?:ngày|tháng|tuần)(?:\s+làm\s+việc)?\s+(?:kể\s+từ|sau\s+khi|từ\s+khi|từ\s+ngày|sau\s+ngày)"
    r"|\bkể\s+từ\s+(?:khi|ngày\s+(?!\d))"
)
_CUTOFF = re.compile(
    r"\(?\s*(?:(?:kỳ\s+)?(?:số\s+liệu|báo\s+cáo|chốt\s+số\s+liệu)\s*:?\s*(?:được\s+)?(?:tính\s+)?|tính\s+)"
    r"từ\s+(?:ngày\s*)?(?P<c1>\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4})\s+"
    r"(?:đến|tới)\s+(?:hết\s+)?(?:ngày\s*)?(?P<c2>\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4})\s*\)?"
)
_TENTATIVE = re.compile(r"\(\s*dự\s+kiến\s*\)|\bdự\s+kiến\b")
_NUMBER_WORDS = {
    "không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "sáu": 6,
    "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9,
}
_SPELLED = re.compile(r"(?<!\d)(?P<number>\d+)\s*\((?P<words>[^()\d]*)\)")
_FREQUENCY = re.compile(r"(?:h[ằà]ng|mỗi)\s+(ngày|tuần|tháng|quý|năm)")
_WINDOW = re.compile(r"trong\s+(?:cả\s+)?năm(?:\s+(\d{4}))?")
_LEVEL_HEAD = re.compile(
    r"^(?:các\s+)?(?:sở|ban\b(?!\s+hành)|ngành|ubnd|[uủ]y\s+ban|cấp|huyện|quận|thị\s+xã|xã|phường"
    r"|thị\s+trấn|tỉnh)\b"
)
_REPORT_NAMES = re.compile(r"\b(?:báo\s+cáo|kế\s+hoạch)\s+(?:6\s+tháng|sáu\s+tháng|năm|quý|tháng)\b")
_THIS_YEAR = re.compile(r"^(?:trong|cả|trong\s+cả|hết)\s+năm$")
_TIME_WORDS = re.compile(r"\b(?:quý|tháng|ngày|năm|tuần)\b|\d")
# Words between a label and its time expression, with what they mean for the due date:
# "before" excludes the day named, "by" and "in" include it, "from"/"until" open and close a range.
_CONNECTORS = {
    "trước hoặc trong": "by", "trước hoặc vào": "by", "chậm nhất là": "by", "chậm nhất": "by",
    "không muộn hơn": "by", "không chậm hơn": "by", "hạn chót": "by",
    "trước": "before", "sau": "after", "trong cả": "in", "trong": "in", "vào": "in", "cả": "in",
    "cuối": "late", "đầu": "early", "giữa": "mid",
    "hoàn thành": "in", "kể từ": "from", "bắt đầu từ": "from", "từ": "from", "đến hết": "until", "đến": "until",
    "tới": "until",
}
_LEADING_WORDS = ("dự kiến", "hoàn thành")
_SEPARATORS = re.compile(r"\s*(?:;|\.\s|,\s|\svà\s)\s*")


def parse_deadline(text: str, plan_year: int) -> Deadline:
    """Read a Vietnamese deadline phrase; `plan_year` fills in phrases without a year ("Quý IV")."""
    phrase = _clean(text)
    if not phrase:
        return Deadline(text=phrase, kind="none")
    if len(phrase) > MAX_PHRASE:
        return Deadline(text=phrase[:MAX_PHRASE] + "…", kind="unreadable",
                        reason=f"cụm từ dài {len(phrase)} ký tự, quá dài cho một thời hạn (tối đa {MAX_PHRASE})")
    try:
        deadline = _read_phrase(phrase, plan_year)
    except _Unreadable as exc:
        return Deadline(text=phrase, kind="unreadable", reason=exc.reason)
    far = _far_year(deadline, plan_year)
    if far is not None:
        return Deadline(text=phrase, kind="unreadable",
                        reason=f"năm {far} cách năm kế hoạch {plan_year} hơn {FAR_YEARS} năm; kiểm tra lại năm")
    return deadline


def _far_year(deadline: Deadline, plan_year: int) -> int | None:
    """A year in the reading that is too far from the plan year to be meant."""
    days = [deadline.due, deadline.start, deadline.cutoff_start, deadline.cutoff_end]
    for part in deadline.parts:
        days += [part.due, part.start, part.cutoff_start, part.cutoff_end]
    for day in days:
        if day is not None and abs(day.year - plan_year) > FAR_YEARS:
            return day.year
    return None


def _clean(text: str) -> str:
    """NFC, one space between words, no trailing dots or separators."""
    return " ".join(nfc(text).split()).rstrip(" .;,").strip()


_SPELLING = (
    (re.compile(r"\bqu[íi](?=\s|$|\d|/|[ivx]\b)", re.IGNORECASE), "quý"),  # "quí", "qui"
    (re.compile(r"\bqúy\b", re.IGNORECASE), "quý"),                       # tone mark on the wrong vowel
    (re.compile(r"(?<=[0-9a-zà-ỹ])(?=(?:năm|ngày|tháng|quý|trước|sau)\b)", re.IGNORECASE), " "),  # "Quý IVnăm"
    (re.compile(r"\b(năm|ngày|tháng|quý|trước|sau)(?=\d)", re.IGNORECASE), r"\1 "),                 # "Tháng12/2025"
    (re.compile(r"\s*[–—]\s*"), " - "),
)


def _normalise(phrase: str) -> str:
    """Spelling and spacing variants made regular, and a number spelled out after it ("15 (mười lăm)") checked
    against the digits and dropped; a spelled number that disagrees with the digits is unreadable."""
    text = phrase
    for pattern, replacement in _SPELLING:
        text = pattern.sub(replacement, text)

    def spelled(match: re.Match[str]) -> str:
        value = _words_to_number(match.group("words"))
        if value is None:
            return match.group(0)
        if value != int(match.group("number")):
            raise _Unreadable(f"số {match.group('number')} và số viết bằng chữ ({match.group('words').strip()}) khác nhau")
        return match.group("number")

    return " ".join(_SPELLED.sub(spelled, text).split())


def _words_to_number(words: str) -> int | None:
    """A Vietnamese number written in words (0–999), or None when the words are not a number."""
    tokens = nfc(words).lower().split()
    if not tokens:
        return None
    total, current = 0, 0
    for index, token in enumerate(tokens):
        if token == "mười":
            current += 10
        elif token == "mươi":
            current = (current or 1) * 10
        elif token == "trăm":
            total += (current or 1) * 100
            current = 0
        elif token in ("linh", "lẻ"):
            continue
        elif token in _NUMBER_WORDS:
            if token in ("mốt", "lăm", "tư") and index == 0:
                return None
            current += _NUMBER_WORDS[token]
        else:
            return None
    return total + current


def _read_phrase(phrase: str, plan_year: int) -> Deadline:
    """Cut-off windows and tentative marks are taken out first; the rest is read as a deadline."""
    work = _normalise(phrase)
    cutoff = None
    found = _CUTOFF.search(work.lower())
    if found:
        try:
            first = _parse_dmy(found.group("c1"))
            last = _parse_dmy(found.group("c2"))
        except ValueError:
            raise _Unreadable("ngày của kỳ số liệu không tồn tại") from None
        if last < first:
            raise _Unreadable("kỳ số liệu kết thúc trước khi bắt đầu")
        cutoff = (first, last)
        work = (work[:found.start()] + " " + work[found.end():]).strip()
        work = re.sub(r"^[\s,;.:()]+|[\s,;.:(]+$", "", work)
    tentative = False
    if _TENTATIVE.search(work.lower()):
        tentative = True
        low = work.lower()
        for match in reversed(list(_TENTATIVE.finditer(low))):
            work = work[:match.start()] + " " + work[match.end():]
        work = _clean(re.sub(r"^[\s,;.:]+", "", " ".join(work.split())))
    if not work:
        if cutoff is None:
            raise _Unreadable
        return Deadline(text=phrase, kind="cutoff", cutoff_start=cutoff[0], cutoff_end=cutoff[1], tentative=tentative)
    deadline = _read(work, plan_year)
    update: dict[str, object] = {"text": phrase}
    if tentative:
        update["tentative"] = True
    if cutoff is not None:
        update["cutoff_start"], update["cutoff_end"] = cutoff
    return deadline.model_copy(update=update)


def _parse_dmy(text: str) -> date:
    day, month, year = (int(part) for part in re.split(r"\s*/\s*", text.strip()))
    return date(year, month, day)


def _read(phrase: str, plan_year: int) -> Deadline:
    """Try the forms from the most to the least specific; the first that fits wins."""
    per_level = _read_per_level(phrase, plan_year)
    if per_level is not None:
        return per_level
    whole = _read_whole(phrase, plan_year)
    if whole is not None:
        return whole
    low = phrase.lower()
    if _THIS_YEAR.match(low):
        return Deadline(text=phrase, kind="period_end", start=date(plan_year, 1, 1), due=date(plan_year, 12, 31),
                        granularity="year")
    if _RELATIVE.search(low):
        return Deadline(text=phrase, kind="conditional", condition=phrase,
                        reason="thời hạn tính từ một sự kiện, không phải một ngày cố định")
    alternative = re.search(r"\bhoặc\b(?!\s+(?:trong|vào)\b)", low)
    if alternative:
        if _TIME.search(low[:alternative.start()]) and _TIME.search(low[alternative.end():]):
            raise _Unreadable("hai thời hạn thay thế nhau ('hoặc'); ghi một thời hạn")
        return Deadline(text=phrase, kind="conditional", condition=phrase,
                        reason="thời hạn có điều kiện thay thế ('hoặc')")
    condition = None
    paren = re.fullmatch(r"(.*\S)\s*\(([^()]*)\)", phrase)
    if paren:
        phrase_core, condition = paren.group(1), paren.group(2).strip() or None
    else:
        phrase_core = phrase
    if "(" in phrase_core or ")" in phrase_core:
        raise _Unreadable("có ngoặc đơn giữa cụm thời hạn")
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
    continuous = any(word in lead_text for word in _CONTINUOUS_WORDS)
    if continuous:
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
        text=phrase, kind="continuous" if continuous else "recurring", frequency=frequency, start=start, due=due,
        condition=condition
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


_YEAR_GROUP = {"dlong": "dl_y", "date": "d_y", "half": "h_y", "quarter": "q_y", "month": "m_y", "year": "y",
               "years": "y1"}


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
            if match.group("h_pos") is None and match.group(0).startswith("nửa"):
                raise _Unreadable("'nửa' không nói nửa đầu hay nửa cuối năm")
            return date(year, 1, 1), date(year, 6, 30), "half"
        if kind == "years":
            first, last = int(match.group("y1")), int(match.group("y2"))
            if last <= first:
                raise _Unreadable(f"giai đoạn {first} - {last} không hợp lệ (năm cuối phải sau năm đầu)")
            return date(first, 1, 1), date(last, 12, 31), "year"
        return date(year, 1, 1), date(year, 12, 31), "year"
    except ValueError:
        raise _Unreadable("ngày không tồn tại") from None


def _part_of(first: date, last: date, granularity: Granularity, part: str) -> tuple[date, date, Granularity]:
    """The early, middle or late part of a month (days 1–10, 11–20, 21–end), a quarter (its first, second or third
    month) or a year (quý I or quý IV); "giữa năm" names no settled span and is unreadable."""
    if granularity == "month":
        spans = {"early": (1, 10), "mid": (11, 20), "late": (21, last.day)}
        low, high = spans[part]
        return first.replace(day=low), first.replace(day=high), "part"
    if granularity == "quarter":
        month = first.month + {"early": 0, "mid": 1, "late": 2}[part]
        return (date(first.year, month, 1), date(first.year, month, calendar.monthrange(first.year, month)[1]),
                "part")
    if granularity == "year" and first.year == last.year:
        if part == "early":
            return date(first.year, 1, 1), date(first.year, 3, 31), "part"
        if part == "late":
            return date(first.year, 10, 1), date(first.year, 12, 31), "part"
    raise _Unreadable("'đầu', 'giữa' hay 'cuối' của khoảng thời gian này không có mốc rõ ràng")


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
        for part_of in ("early", "mid", "late"):
            if part_of in meaning:
                first, last, granularity = _part_of(first, last, granularity, part_of)
        common = {
            "text": _clean(core[position:match.end()].lstrip(" ,;.:")),
            "label": label,
            "tentative": tentative,
        }
        dated_kind = "date" if granularity == "day" else "period_end"
        if match.lastgroup == "years" and not meaning & {"before", "after", "from", "until"}:
            part = Deadline(kind="window", due=last, start=first, granularity="year", **common)
        elif "after" in meaning:
            if meaning & {"before", "by", "from", "until"}:
                raise _Unreadable("vừa 'trước' vừa 'sau' một mốc")
            part = Deadline(kind="after", start=last + timedelta(days=1), granularity=granularity, **common)
        elif "from" in meaning:
            part = Deadline(kind="continuous", frequency="thường xuyên", start=first, **common)
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
        if parts[1].due is None or parts[0].start is None or parts[1].due < parts[0].start:
            raise _Unreadable("khoảng thời gian kết thúc trước khi bắt đầu")
        return parts[1].model_copy(
            update={"text": phrase, "kind": "window", "start": parts[0].start, "condition": condition,
                    "label": parts[0].label or parts[1].label}
        )
    if len(parts) == 1:
        return parts[0].model_copy(update={"text": phrase, "condition": condition})
    dated = [p for p in parts if p.due is not None and p.kind in ("date", "period_end", "window")]
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
    named = _REPORT_NAMES.sub("", label.lower())  # "Báo cáo năm", "Kế hoạch quý" name a document, not a time
    if label and (_TIME_WORDS.search(named) or len(label.split()) > 8):
        raise _Unreadable
    return free, label or None, meaning, tentative


def vietnamese_label(deadline: Deadline) -> str:
    """A short Vietnamese description, e.g. "trước hoặc trong ngày 31/03/2025" or "thường xuyên"."""
    kind = deadline.kind
    if kind == "none":
        text = "không ghi thời hạn"
    elif kind == "unreadable":
        text = f"không đọc được thời hạn “{deadline.text}”"
        if deadline.reason:
            text += f" ({deadline.reason})"
    elif kind in ("date", "period_end", "window"):
        assert deadline.due is not None
        if deadline.start is not None and (kind == "window" or deadline.start != _period_start(deadline)):
            text = f"từ {format_date(deadline.start)} đến {format_date(deadline.due)}"
        else:
            lead = "trước hoặc trong ngày " if deadline.inclusive else "trước ngày "
            text = lead + format_date(deadline.due)
    elif kind == "after":
        assert deadline.start is not None
        text = f"sau ngày {format_date(deadline.start - timedelta(days=1))}"
    elif kind in ("recurring", "continuous"):
        text = deadline.frequency or ("thường xuyên" if kind == "continuous" else "định kỳ")
        start, due = deadline.start, deadline.due
        if start and due and start == date(due.year, 1, 1) and due == date(due.year, 12, 31):
            text += f" trong năm {due.year}"
        elif start:
            text += f" từ {format_date(start)}"
    elif kind == "cutoff":
        text = "kỳ số liệu, không phải thời hạn"
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
    if deadline.cutoff_start is not None and deadline.cutoff_end is not None:
        text += f" (số liệu tính từ {format_date(deadline.cutoff_start)} đến {format_date(deadline.cutoff_end)})"
    if deadline.label and not deadline.levels and kind in ("date", "period_end", "window", "after", "recurring",
                                                            "continuous"):
        text = f"{deadline.label}: {text}"
    return text


def _period_start(deadline: Deadline) -> date | None:
    """First day of the period ending on `due`, to tell "Quý I" from a "từ ... đến" range."""
    due = deadline.due
    assert due is not None
    months_back = {"month": 0, "quarter": 2, "half": 5, "year": 11}.get(deadline.granularity or "")
    if deadline.granularity == "year" and deadline.start is not None and deadline.start.year != due.year:
        return None  # a range of years
    if months_back is None:
        return deadline.start
    return date(due.year, due.month - months_back, 1)


def _lower_first(text: str) -> str:
    """Lower-case the first letter of a phrase used inside a sentence, but not of an acronym ("UBND")."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


Deadline.model_rebuild()
