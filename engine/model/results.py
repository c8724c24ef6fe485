"""Result records: every node's points with the status, the rule in words, expected vs observed, and the evidence.

The status vocabulary follows XCCDF's idea of a small fixed set of result codes, with Vietnamese
labels for people.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, model_validator

from engine.core.base import Frozen
from engine.core.vnformat import format_date, nfc, parse_date
from engine.model.assessment import EvidenceRef
from engine.model.criteria import Band

Status = Literal["pass", "partial", "fail", "missing_evidence", "not_applicable", "not_due", "data_error"]

STATUS_LABELS: dict[str, str] = {
    "pass": "đạt",
    "partial": "đạt một phần",
    "fail": "không đạt",
    "missing_evidence": "thiếu minh chứng",
    "not_applicable": "không áp dụng",
    "not_due": "chưa đến hạn",
    "data_error": "lỗi dữ liệu",
}

STATUS_MEANINGS: dict[str, str] = {
    "pass": "đạt điểm tối đa theo quy tắc",
    "partial": "được một phần điểm (ví dụ ban hành trễ hạn, tỷ lệ ở mức giữa)",
    "fail": "không được điểm theo quy tắc",
    "missing_evidence": "không có minh chứng cần thiết; không bao giờ được tính là đạt",
    "not_applicable": "tiêu chí không áp dụng cho đơn vị (loại khỏi điểm tối đa hoặc được trọn điểm, tùy bộ chỉ số)",
    "not_due": "chưa đến hạn tại ngày chốt số liệu; chưa có điểm",
    "data_error": "số liệu mâu thuẫn hoặc không hợp lệ; 0 điểm cho đến khi sửa số liệu",
}


class Observation(Frozen):
    """One observed value and the evidence item it came from."""

    name: str
    value: str
    ref: str | None = None


FindingState = Literal["missing", "late", "not_due", "too_early"]


class Finding(Frozen):
    """One evidence item that kept a criterion from full points, as data: what it is, what was due, what was seen.

    Remediation and renderers act on these fields, never on words; `text` is the item in words.
    """

    what: Literal["document", "metric", "plan_tasks", "task", "score"]
    state: FindingState
    label: str = Field(description="What people call the item: the catalog label, or the task's title")
    name: str | None = Field(None, description="The evidence name (document kind, metric) or the task id")
    expected: date | None = Field(None, description="The deadline; for a too-early document, the day it must follow")
    observed: date | None = Field(None, description="The date seen: issue date or completion date")
    item: str | None = Field(None, description="The evidence item, as cited")
    anchor: bool = Field(False, description="A document only needed because a deadline counts from it")

    @property
    def is_gap(self) -> bool:
        """Evidence the unit must still supply or issue on time (tasks and earlier-cycle documents are not)."""
        return self.what != "task" and self.state != "too_early"

    @property
    def text(self) -> str:
        """The item as the list of missing evidence names it."""
        if self.what == "metric":
            return f"chỉ số '{self.label}' ({self.name})"
        if self.what == "plan_tasks":
            return "danh sách nhiệm vụ kế hoạch (plan_tasks)"
        if self.anchor:
            return f"văn bản '{self.label}' (mốc tính hạn)"
        if self.state == "late":
            return f"{self.label} (trễ hạn)"
        if self.state == "not_due" and self.expected is not None:
            return f"{self.label} (hạn {format_date(self.expected)})"
        return self.label


class Explanation(Frozen):
    """Why a node got its points: the rule in words, what was expected, what was seen, which branch applied.

    `says_status` and `lists_missing` record what the branch sentence already says, so a renderer
    can avoid repeating it without comparing strings.
    """

    rule: str
    expected: str
    observed: list[Observation] = Field(default_factory=list)
    branch: str
    problems: list[str] = Field(default_factory=list)
    says_status: bool = Field(False, exclude=True, description="The branch begins with the status in words")
    lists_missing: bool = Field(False, exclude=True,
                                description="The branch already holds the missing items as they are listed (', ')")


class RemediationTask(Frozen):
    """A corrective task in the plan-appendix layout."""

    criterion: str
    area: str
    task: str
    product: str | None = None
    lead: str | None = None
    cooperating: list[str] = Field(default_factory=list)
    deadline: str | None = None
    recoverable_points: float


class RoundEntry(Frozen):
    """An accepted record entry about a criterion: points given (or only a remark or note), by whom, when, why."""

    round: str
    kind: Literal["score", "note"]
    points: float | None
    by: str
    role: str
    at: datetime
    reason: str | None
    explanation_requested: bool = False
    question: str | None = None
    evidence_refs: list[EvidenceRef] = Field(default_factory=list)


class RoundPoints(Frozen):
    """One criterion in one round: computed from the evidence of that round, entered by a person, and standing."""

    round: str
    computed_points: float
    entered_points: float | None
    points: float


def _points_default(data, pairs: tuple[tuple[str, str], ...]):
    """Results built without an assessment: self, final (and computed) points are the points computed."""
    if not isinstance(data, dict):
        return data
    copied = False
    for name, source in pairs:
        if data.get(name) is None and source in data:
            if not copied:
                data, copied = dict(data), True
            data[name] = data[source]
    return data


_LEAF_DEFAULTS = (("computed_points", "points"), ("self_points", "points"), ("final_points", "points"))


class NodeResult(Frozen):
    id: str
    title: str
    depth: int
    parent: str | None
    is_leaf: bool
    rule_kind: str | None = Field(None, description="The leaf's rule kind (manual, survey, tiers...); None for a parent")
    points: float
    max_points: float
    applicable: bool
    status: Status
    status_label: str
    explanation: Explanation | None = None
    evidence_refs: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list, description="Evidence that is missing or late, in words")
    findings: list[Finding] = Field(default_factory=list, exclude=True, description="The same and more, as data")
    remediation: RemediationTask | None = None
    computed_points: float = Field(description="Points computed from the latest evidence (= points)")
    self_points: float = Field(description="Points standing after self-assessment")
    appraised_points: float | None = Field(None, description="Points standing after the latest appraisal round held")
    final_points: float = Field(description="Points standing after every round; they make the index and band")
    rounds: list[RoundEntry] = Field(default_factory=list)
    by_round: list[RoundPoints] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data):
        return _points_default(data, _LEAF_DEFAULTS)


class AreaResult(Frozen):
    id: str
    title: str
    points: float
    max_points: float
    index_pct: float | None
    final_points: float
    final_index_pct: float | None

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data):
        return _points_default(data, (("final_points", "points"), ("final_index_pct", "index_pct")))


class AdjustmentResult(Frozen):
    id: str
    title: str
    kind: Literal["bonus", "penalty"]
    rule_kind: str
    points: float
    max_points: float
    status: Status
    status_label: str
    explanation: Explanation
    computed_points: float
    self_points: float
    appraised_points: float | None = None
    final_points: float
    rounds: list[RoundEntry] = Field(default_factory=list)
    by_round: list[RoundPoints] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data):
        return _points_default(data, _LEAF_DEFAULTS)


def _absent(value) -> bool:
    """Fields a run has only with some sets or options are left out otherwise, so other runs' outputs stay as they were."""
    return value is None


ResultDate = Annotated[date, BeforeValidator(parse_date), PlainSerializer(format_date, return_type=str, when_used="json")]


class UnitResult(Frozen):
    unit_id: str
    name: str
    level: str
    evidence_file: str
    evidence_hash: str
    as_of: ResultDate
    points: float
    max_points: float
    total_max_points: float
    index_pct: float | None
    band: str | None
    rank: int | None = None
    bonus: float = 0
    penalty: float = 0
    data_problems: int = 0
    areas: list[AreaResult]
    nodes: list[NodeResult]
    adjustments: list[AdjustmentResult] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    self_points: float = Field(description="Total after self-assessment")
    appraised_points: float | None = Field(None, description="Total after the latest appraisal round held")
    final_points: float = Field(description="Total after every round; makes the final index, band and rank")
    final_index_pct: float | None
    assessment: str | None = Field(None, description="The assessment whose record was applied")
    assessment_state: str | None = Field(None, description="Furthest step reached: not_started … finalised")
    assessment_state_label: str | None = None
    open_requests: int = Field(0, description="Explanation requests not yet answered")
    appraisal_rounds: list[str] = Field(default_factory=list, description="Appraisal rounds in which an appraiser acted")

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data):
        return _points_default(data, (("self_points", "points"), ("final_points", "points"),
                                      ("final_index_pct", "index_pct")))
    block: str | None = Field(None, exclude_if=_absent, description="The block the unit was scored in, when the set has blocks")
    previous_rank: int | None = Field(None, exclude_if=_absent, description="Rank in the previous run compared with")
    rank_change: int | None = Field(None, exclude_if=_absent, description="Places gained since the previous run (+ up, − down)")
    previous_index_pct: float | None = Field(None, exclude_if=_absent)
    index_change: float | None = Field(None, exclude_if=_absent, description="Index minus the previous run's, in points of %")


class BandCount(Frozen):
    label: str
    units: int


class BlockStatistics(Frozen):
    """One block of a run (the units of one level): how many, their mean index, how many in each band."""

    level: str
    label: str | None = Field(None, description="The block's name when the set declares blocks")
    units: int
    indexed: int = Field(description="Units with an index (the mean is over these)")
    mean_index_pct: float | None
    bands: list[BandCount] = Field(default_factory=list, description="Units per band, best band first")
    unclassified: int = Field(0, description="Units with an index outside every band (không xếp loại)")
    compared: int | None = Field(None, exclude_if=_absent, description="Units also in the previous run")
    previous_mean_index_pct: float | None = Field(None, exclude_if=_absent)


class PreviousRef(Frozen):
    """The earlier run the changes of rank and index are measured against."""

    file: str
    criteria_set: str
    year: int


class CriteriaRef(Frozen):
    id: str
    title: str
    level: str
    year: int
    file: str
    hash: str


class RunResult(Frozen):
    """A whole run: the set it used (with its content hash) and every unit, ranked."""

    criteria_set: CriteriaRef
    units: list[UnitResult]
    status_labels: dict[str, str] = Field(default_factory=lambda: dict(STATUS_LABELS))
    bands: list[Band] = Field(default_factory=list, exclude=True, description="the set's bands, for renderers")
    inputs: tuple[str, ...] = Field((), exclude=True,
                                    description="every file and folder read for the run, so no output overwrites one")
    statistics: list[BlockStatistics] = Field(default_factory=list, description="Per block: mean index, units per band")
    previous: PreviousRef | None = Field(None, exclude_if=_absent, description="The run compared with (--previous)")

    def unit(self, unit_id: str) -> UnitResult | None:
        """The unit with this id; an id typed decomposed (NFD) or with spaces around it still matches."""
        unit_id = nfc(unit_id).strip()
        return next((u for u in self.units if u.unit_id == unit_id), None)


class RoundProgress(Frozen):
    """Where one round stands for one unit: done (when), still open, late, reopened, or not needed."""

    round: str
    deadline: str
    done_at: datetime | None = None
    status: Literal["done", "done_late", "open", "late", "reopened", "not_needed"]
    status_label: str
    reopened_until: str | None = None


class UnitProgress(Frozen):
    unit_id: str
    name: str
    state: str
    state_label: str
    rounds: list[RoundProgress]
    open_requests: int = 0
    finalised_at: datetime | None = None


class PointChange(Frozen):
    """A criterion whose points differ between two rounds or two runs, and what caused it."""

    unit_id: str
    unit_name: str
    criterion: str
    title: str
    kind: Literal["lost", "recovered", "changed"]
    before: float | None
    after: float | None
    max_points: float
    cause: str | None = None


class Comparison(Frozen):
    before: str
    after: str
    changes: list[PointChange] = Field(default_factory=list)
    only_before: list[str] = Field(default_factory=list, description="Units only in the first")
    only_after: list[str] = Field(default_factory=list, description="Units only in the second")
