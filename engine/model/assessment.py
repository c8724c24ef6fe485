"""The assessment (đợt đánh giá): a year's criteria set applied to a block of units, in rounds with deadlines.

An assessment names the set, the units, the schedule of its rounds, the year's bonus and penalty
caps and who may score what. A unit's record is a list of entries (who, role, when, why, points,
evidence references); the engine computes the points from the evidence and the entries confirm
or change them. These are the terms; the rules that accept or refuse an entry live in
engine.score.rounds, so the files workflow and the web application enforce the same ones.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, field_validator, model_validator

from engine.core.base import Frozen
from engine.core.problems import Problem, invalid
from engine.core.vnformat import format_date
from engine.model.criteria import ScorerRole
from engine.model.evidence import Number, VnDate

VN_TIME = timezone(timedelta(hours=7))
"""Vietnam has one time zone and no daylight saving; deadlines are days in this zone."""

Role = Literal["unit", "appraiser", "council", "leaders", "survey", "office_admin"]
ROLES: tuple[str, ...] = ("unit", "appraiser", "council", "leaders", "survey", "office_admin")
ROLE_LABELS: dict[str, str] = {
    "unit": "đơn vị",
    "appraiser": "thẩm định viên",
    "council": "hội đồng thẩm định",
    "leaders": "lãnh đạo tỉnh",
    "survey": "điều tra xã hội học",
    "office_admin": "cán bộ Nội vụ",
}
APPRAISER_ROLES = ("appraiser", "council", "leaders")

RoundName = Literal["self", "appraisal_1", "explanation", "appraisal_2"]
ROUNDS: tuple[str, ...] = ("self", "appraisal_1", "explanation", "appraisal_2")
ROUND_LABELS: dict[str, str] = {
    "self": "tự chấm",
    "appraisal_1": "thẩm định vòng 1",
    "explanation": "giải trình",
    "appraisal_2": "thẩm định vòng 2",
}
APPRAISAL_ROUNDS = ("appraisal_1", "appraisal_2")

EntryKind = Literal["score", "note", "submit", "unlock", "finalise"]
"""score: points (or only a remark / explanation request) for a criterion; note: the unit's note or explanation
with evidence, no points; submit: an actor completed a round; unlock: the office reopens a closed round for the
unit; finalise: the result is final and locked."""

STATES: dict[str, str] = {
    "not_started": "chưa tự chấm",
    "self_in_progress": "đang tự chấm",
    "submitted": "đã nộp tự chấm",
    "appraised_1": "đã thẩm định vòng 1",
    "explained": "đã giải trình",
    "appraised_2": "đã thẩm định vòng 2",
    "finalised": "đã chốt kết quả",
}

_SAFE_ID = re.compile(r"\w[\w.-]*")


def _safe_id(value: str) -> str:
    """Ids name files (records/<unit>.jsonl, out/<id>...), so they stay plain file names."""
    if not _SAFE_ID.fullmatch(value):
        raise invalid(f"mã '{value}' chỉ gồm chữ, chữ số, '-', '_', '.' và không bắt đầu bằng '.'",
                      code="assessment.bad_id")
    return value


SafeId = Annotated[str, AfterValidator(_safe_id)]


class Window(Frozen):
    start: VnDate
    end: VnDate

    @model_validator(mode="after")
    def _ordered(self) -> "Window":
        if self.end < self.start:
            raise invalid(f"thời gian kết thúc {format_date(self.end)} trước thời gian bắt đầu {format_date(self.start)}",
                          code="assessment.schedule_order")
        return self


class Schedule(Frozen):
    """The last day of each round (inclusive, Vietnam time); the self-assessment also has a first day."""

    self_assessment: Window
    appraisal_1: VnDate
    explanation: VnDate
    appraisal_2: VnDate
    publication: VnDate

    @model_validator(mode="after")
    def _in_order(self) -> "Schedule":
        steps = [("hạn tự chấm", self.self_assessment.end), ("hạn thẩm định vòng 1", self.appraisal_1),
                 ("hạn giải trình", self.explanation), ("hạn thẩm định vòng 2", self.appraisal_2),
                 ("ngày công bố", self.publication)]
        for (name_a, day_a), (name_b, day_b) in zip(steps, steps[1:]):
            if day_b < day_a:
                raise invalid(f"{name_b} ({format_date(day_b)}) trước {name_a} ({format_date(day_a)})",
                              code="assessment.schedule_order")
        return self

    def deadline(self, round_name: str) -> date:
        return self.self_assessment.end if round_name == "self" else getattr(self, round_name)


class Caps(Frozen):
    """The year's caps on bonus and penalty points; a missing cap falls back to the criteria set's."""

    bonus: float | None = Field(None, ge=0)
    penalty: float | None = Field(None, ge=0)


class ScorerRule(Frozen):
    """Who may enter points for some criteria, replacing the default (e.g. the leaders' assessment)."""

    criteria: list[str] = Field(min_length=1)
    roles: list[ScorerRole] = Field(min_length=1)
    note: str | None = None


class RoundEvidence(Frozen):
    """Evidence files or folders (relative to the assessment file) as they stood at each round."""

    self: str = Field(min_length=1, description="The evidence the unit submitted for self-assessment")
    explanation: str | None = Field(None, description="Evidence re-submitted with explanations (only units that did)")


class Assessment(Frozen):
    """One year's assessment of a block of units against one criteria set."""

    id: SafeId
    title: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    criteria: str = Field(min_length=1, description="The criteria set file, relative to this file")
    criteria_hash: str | None = Field(None, description="sha256 of the criteria file this assessment was set up with")
    units: list[SafeId] = Field(min_length=1)
    evidence: RoundEvidence
    records: str = Field(min_length=1, description="Folder of unit records (<unit>.jsonl), relative to this file")
    schedule: Schedule
    caps: Caps = Field(default_factory=Caps)
    scorers: list[ScorerRule] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("units")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        seen = [unit for i, unit in enumerate(value) if unit in value[:i]]
        if seen:
            raise invalid("mã đơn vị bị lặp lại: " + ", ".join(dict.fromkeys(seen)), code="assessment.duplicate_unit")
        return value

    @field_validator("criteria_hash")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9a-f]{64}", value):
            raise invalid("mã băm bộ chỉ số phải gồm 64 ký tự 0-9, a-f", code="assessment.bad_hash")
        return value


class EvidenceRef(Frozen):
    """A document cited for a point: its name, number and the page or section."""

    document: str = Field(min_length=1)
    number: str | None = None
    page: str | None = Field(None, description="Page or section, e.g. 'trang 3' or 'mục II.2'")

    def cite(self) -> str:
        text = self.document
        if self.number:
            text += f" số {self.number}"
        if self.page:
            text += f", {self.page}"
        return text


def _local(value: datetime) -> datetime:
    return value.astimezone(VN_TIME)


class Entry(Frozen):
    """One line of a unit's record. Which entries are accepted is decided by engine.score.rounds."""

    assessment: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    round: RoundName
    kind: EntryKind = "score"
    criterion: str | None = None
    points: Number | None = None
    by: str = Field(min_length=1)
    role: Role
    at: Annotated[AwareDatetime, AfterValidator(_local)]
    reason: str | None = None
    evidence_refs: list[EvidenceRef] = Field(default_factory=list)
    explanation_requested: bool = False
    question: str | None = None
    until: VnDate | None = Field(None, description="Last day of an unlocked round (unlock entries)")
    source: str | None = Field(None, description="What the entry was read from, e.g. the sha256 of a workbook")

    @field_validator("reason", "question", "criterion")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value

    @property
    def local_day(self) -> date:
        return self.at.astimezone(VN_TIME).date()


ENTRY_FIELD_LABELS: dict[str, str] = {
    "assessment": "đợt đánh giá", "unit": "đơn vị", "round": "vòng", "kind": "loại mục", "criterion": "tiêu chí",
    "points": "điểm", "by": "người ghi", "role": "vai trò", "at": "thời điểm", "reason": "lý do",
    "evidence_refs": "tài liệu dẫn chứng", "document": "tên tài liệu", "number": "số", "page": "trang hoặc mục",
    "explanation_requested": "yêu cầu giải trình", "question": "nội dung yêu cầu giải trình",
    "until": "hạn mở lại", "source": "nguồn",
}
KIND_ORDER = {"unlock": 0, "score": 1, "note": 2, "submit": 3, "finalise": 4}


def canonical(data) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): the bytes that are hashed and written."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _tie(entry: Entry) -> tuple:
    return (KIND_ORDER[entry.kind], entry.criterion or "", entry.role, entry.by,
            canonical(entry.model_dump(mode="json", exclude_none=True)))


def time_key(entry: Entry) -> tuple:
    """Record order: by time, then a total order on the content, so any order of appending gives one order."""
    return (entry.at.astimezone(timezone.utc), ROUNDS.index(entry.round)) + _tie(entry)


def phase_key(entry: Entry) -> tuple:
    """Scoring order: round by round, by time within a round (a late entry reopened by an unlock stays in its round)."""
    return (ROUNDS.index(entry.round), entry.at.astimezone(timezone.utc)) + _tie(entry)


class Place(Frozen):
    """Where a proposed entry came from (a record line, a workbook cell), so that its refusal names the place."""

    file: str
    line: int | None = None
    path: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def problem(self, message: str, value: str | None = None, *, code: str) -> Problem:
        return Problem(code=code, message=message, value=value, **self.model_dump())
