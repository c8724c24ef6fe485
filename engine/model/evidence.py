"""Evidence terms: what one unit has for one period (documents, metrics, plan tasks, scores, N/A); validated at the edge."""

from __future__ import annotations

import math
import re
from datetime import date
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.core.base import Frozen
from engine.core.problems import Problem, invalid
from engine.core.vnformat import FormatError, format_date, format_number, parse_date, parse_number
from engine.model.criteria import ScorerRole

FIRST_YEAR, LAST_YEAR = 1900, 2100


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        when = parse_date(value)
    except FormatError as exc:
        raise invalid(str(exc), code=exc.code) from None
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise invalid(f"năm của ngày {format_date(when)} phải từ {FIRST_YEAR} đến {LAST_YEAR}", code="evidence.date_year")
    return when


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str) and value.strip().lower() in ("có", "co", "yes", "true", "x"):
        return 1.0
    if isinstance(value, str) and value.strip().lower() in ("không", "khong", "no", "false"):
        return 0.0
    try:
        number = parse_number(value)
    except FormatError as exc:
        raise invalid(str(exc), code=exc.code) from None
    if not math.isfinite(number):
        raise invalid(f"không phải số hữu hạn: {value} (.nan, .inf không phải số liệu)", code="evidence.not_finite")
    return number


def latest_as_of(year: int) -> date:
    """Data of a year are cut off within it or, at the latest, during the assessment the year after."""
    return date(year + 1, 12, 31)


VnDate = Annotated[date, BeforeValidator(_date)]


OptDate = Annotated[date | None, BeforeValidator(_date)]


Number = Annotated[float, BeforeValidator(_number)]


class Unit(Frozen):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    level: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


class Period(Frozen):
    """The assessment period; it ends in `year` and starts in it or (15/12-style periods) the year before."""

    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    start: VnDate
    end: VnDate

    @field_validator("start")
    @classmethod
    def _start_in_year(cls, value: date, info: ValidationInfo) -> date:
        year = info.data.get("year")
        if year is not None and value.year not in (year - 1, year):
            raise invalid(f"ngày bắt đầu kỳ {format_date(value)} không thuộc năm đánh giá period.year = {year}",
                          code="evidence.period_start_year")
        return value

    @field_validator("end")
    @classmethod
    def _end_in_year(cls, value: date, info: ValidationInfo) -> date:
        year, start = info.data.get("year"), info.data.get("start")
        if start is not None and value < start:
            return value  # reported as a whole by _ordered, which names both dates
        if year is not None and value.year != year:
            raise invalid(f"ngày kết thúc kỳ {format_date(value)} không thuộc năm đánh giá period.year = {year}",
                          code="evidence.period_end_year")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end < self.start:
            raise invalid(f"kỳ đánh giá kết thúc ({format_date(self.end)}) trước khi bắt đầu ({format_date(self.start)})",
                          code="evidence.period_order")
        return self


class Document(Frozen):
    """An issued document, cited as "Quyết định số 9137/QĐ-UBND ngày 26/12/2023"."""

    kind: str = Field(min_length=1)
    number: str | None = None
    issue_date: OptDate = None
    issuer: str | None = None
    title: str | None = None
    link: str | None = None
    sample: bool = Field(False, description="A sample value, not taken from a real document")

    def cite(self, label: str | None = None) -> str:
        """The citation; without a title the kind's catalog `label` names the document, not its code."""
        parts = [self.title or label or self.kind]
        if self.number:
            parts.append(f"số {self.number}")
        if self.issue_date:
            parts.append(f"ngày {format_date(self.issue_date)}")
        text = " ".join(parts)
        return text + (" (số liệu mẫu)" if self.sample else "")


class AlsoReported(Frozen):
    """The same indicator as another source gives it, kept beside the value that is scored."""

    value: float
    source: str
    period: str | None = None


class Metric(Frozen):
    """A named number with where it came from; booleans (có/không) are 1/0."""

    name: str = Field(min_length=1)
    value: Number
    period: str | None = None
    source: str | None = None
    as_of: OptDate = None
    sample: bool = False
    note: str | None = None
    also: list[AlsoReported] = Field(default_factory=list, description="Other sources' values of this indicator")

    def cite_source(self) -> str:
        """Where the number comes from, as an auditor would want it cited, with what other sources say."""
        text = self.source or "không ghi nguồn"
        if self.period:
            text += f", kỳ {self.period}"
        text += " (số liệu mẫu)" if self.sample else ""
        for other in self.also:
            text += f"; theo {other.source}" + (f", kỳ {other.period}" if other.period else "")
            text += f": {format_number(other.value)}"
        return text


TaskStatus = Literal["hoàn thành", "đang thực hiện", "chưa thực hiện"]


class PlanTask(Frozen):
    id: str
    title: str
    deadline: OptDate = None
    deadline_text: str | None = None
    recurring: bool = False
    status: TaskStatus = "chưa thực hiện"
    done_date: OptDate = None


class ScoreEntry(Frozen):
    """Points a person or the survey gives a criterion, with who and why; `role` is checked against the set's scorers."""

    criterion: str
    points: Number
    by: str = Field(min_length=1)
    justification: str = Field(min_length=1)
    evidence: list[str] = Field(default_factory=list)
    role: ScorerRole | None = Field(None, description="The role of who scored: unit, appraiser, council, leaders, survey")


class SurveyAnswer(Frozen):
    """How many respondents of a group chose one answer option of one survey question (a row of the count table)."""

    criterion: str = Field(min_length=1)
    question: str = Field(min_length=1)
    option: str = Field(min_length=1)
    count: Number
    group: str | None = Field(None, description="The respondent group; empty when the criterion has a single group")
    source: str | None = None

    @field_validator("count")
    @classmethod
    def _whole(cls, value: float) -> float:
        if value < 0 or value != int(value):
            raise invalid(f"số phiếu phải là số nguyên không âm, không phải {format_number(value)}",
                          code="evidence.survey_count")
        return value


class NotApplicable(Frozen):
    criterion: str
    justification: str = Field(min_length=1)
    by: str = Field(min_length=1)


class Tables(Frozen):
    """CSV files (relative to the bundle) holding long lists."""

    documents: str | None = None
    metrics: str | None = None
    plan_tasks: str | None = None
    survey_answers: str | None = Field(None, description="CSV with criterion, group, question, option, count")


class PlanTableSource(Frozen):
    file: str
    status: str | None = Field(None, description="CSV/XLSX with STT, Trạng thái, Ngày hoàn thành")
    sheet: str | None = None
    year: int | None = None


class DossierSource(Frozen):
    file: str
    mapping: str = Field("motcua_tinh", description="A shipped mapping name or a path to a mapping YAML")


_TOLERANCE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(%?)\s*$")


class Tolerance(Frozen):
    """How far two sources of one indicator may differ: a count of dossiers, or a percentage of the larger value."""

    count: float | None = None
    percent: float | None = None

    def allows(self, a: float, b: float) -> bool:
        gap = abs(a - b)
        if self.percent is not None:
            return gap <= self.percent * max(abs(a), abs(b)) / 100 + 1e-9
        return gap <= (self.count or 0) + 1e-9

    def words(self) -> str:
        if self.percent is not None:
            return f"{format_number(self.percent)}% của giá trị lớn hơn"
        return f"{format_number(self.count or 0)} hồ sơ"


def _tolerance(value: Any) -> Any:
    """`5` (dossiers) or `"2%"` / `"2,5%"` (of the larger value)."""
    if value is None or isinstance(value, (dict, Tolerance)):
        return value
    words = "mức chênh lệch cho phép phải là số hồ sơ (ví dụ 5) hoặc phần trăm (ví dụ \"2%\")"
    if isinstance(value, bool):
        raise invalid(words, code="evidence.bad_tolerance")
    if isinstance(value, (int, float)):
        if value < 0:
            raise invalid("mức chênh lệch cho phép không được âm", code="evidence.bad_tolerance")
        return Tolerance(count=float(value))
    match = _TOLERANCE.match(str(value))
    if not match:
        raise invalid(words, code="evidence.bad_tolerance")
    number = float(match.group(1).replace(",", "."))
    return Tolerance(percent=number) if match.group(2) else Tolerance(count=number)


class Sources(Frozen):
    plan_table: PlanTableSource | None = None
    dossier_exports: list[DossierSource] = Field(default_factory=list)
    tolerance: Annotated[Tolerance | None, BeforeValidator(_tolerance)] = Field(
        None, description="How far two sources of one indicator may differ before it is a data problem (default: none)")


class Bundle(Frozen):
    unit: Unit
    period: Period
    as_of: VnDate
    documents: list[Document] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    plan_tasks: list[PlanTask] = Field(default_factory=list)
    survey: list[ScoreEntry] = Field(default_factory=list)
    survey_answers: list[SurveyAnswer] = Field(default_factory=list)
    manual: list[ScoreEntry] = Field(default_factory=list)
    not_applicable: list[NotApplicable] = Field(default_factory=list)
    tables: Tables | None = None
    sources: Sources | None = None
    notes: str | None = None

    @field_validator("as_of")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        period = info.data.get("period")
        if period is not None and value < period.start:
            raise invalid(f"ngày chốt số liệu {format_date(value)} trước ngày bắt đầu kỳ đánh giá "
                          f"{format_date(period.start)} (period.start)", code="evidence.as_of_before_period")
        if period is not None and value > latest_as_of(period.year):
            raise invalid(f"ngày chốt số liệu {format_date(value)} quá xa sau kỳ đánh giá năm {period.year} "
                          f"(muộn nhất {format_date(latest_as_of(period.year))})", code="evidence.as_of_too_late")
        return value


class Places(Mapping):
    """(list, index) → where that item was written, as Problem fields, with the value as typed under "written".

    An entry may hold a YAML path under "loc" instead of a line: the line is looked up only when the
    place is asked for, since mapping a file's lines costs more than reading it.
    """

    def __init__(self, entries: dict[tuple[str, int], dict[str, Any]], line_of: Callable[[tuple], int | None] | None = None):
        self._entries = entries
        self._line_of = line_of

    def __getitem__(self, key: tuple[str, int]) -> dict[str, Any]:
        place = dict(self._entries[key])
        loc = place.pop("loc", None)
        if loc is not None and self._line_of is not None:
            place["line"] = self._line_of(loc)
        return place

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def written(self, key: tuple[str, int]) -> Any:
        """The value as the user typed it, without looking up where."""
        return self._entries[key].get("written")


class LoadedBundle:
    """A validated bundle with its source file, content hash and the warnings found while reading."""

    def __init__(self, bundle: Bundle, file: str, digest: str, warnings: list[Problem],
                 failed: dict[str, str] | None = None, inputs: list[str] | None = None,
                 places: Places | None = None):
        self.bundle = bundle
        self.file = file
        self.digest = digest
        self.warnings = warnings
        self.failed = failed or {}
        self.inputs = inputs if inputs is not None else [file]
        """Every file read for this bundle (the bundle, its tables and sources), so no output may overwrite one."""
        self.places = places if places is not None else Places({})
        """(list, index) → the place of that item as Problem fields (file, path, line, sheet, row, column)."""
