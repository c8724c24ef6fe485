"""The criteria language: a set of areas, criteria and sub-criteria, each leaf with a scoring rule.

Models are the single source of truth for the YAML format: they validate input, and the JSON
Schema shipped for editors is generated from them (`criteria_json_schema`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from string import Formatter
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from engine.core.base import Frozen
from engine.core.problems import Problem
from engine.core.vnformat import FormatError, format_date, parse_date
from engine.core.yamlsource import YamlDoc
from engine.model.names import BUILTIN_METRICS

Op = Literal[">", ">=", "<", "<=", "==", "!="]
OP_WORDS = {">": "lớn hơn", ">=": "từ", "<": "dưới", "<=": "không quá", "==": "bằng", "!=": "khác"}


class Provenance(Frozen):
    """Where a number comes from; `illustrative` marks a value that is not official."""

    decision: str | None = None
    article: str | None = None
    note: str | None = None
    illustrative: bool = False


# ---------------------------------------------------------------- deadlines


MAX_DAYS = 3660  # about ten years: any count of days beyond that is a typing mistake


class DeadlineSpec(Frozen):
    """A deadline: absolute, a day of the assessment year (with offset), or relative to the period or a document."""

    date: str | None = Field(None, description="Absolute date, dd/mm/yyyy or yyyy-mm-dd")
    day: int | None = Field(None, ge=1, le=31)
    month: int | None = Field(None, ge=1, le=12)
    year_offset: int = Field(0, ge=-10, le=10, description="Year relative to the assessment year: -1 = previous year")
    relative_to: Literal["period_start", "period_end"] | None = None
    after_document: str | None = Field(None, description="Document kind whose issue date starts the count")
    days: int = Field(0, ge=-MAX_DAYS, le=MAX_DAYS, description="Days added to `relative_to` or `after_document`")

    @model_validator(mode="after")
    def _one_form(self) -> "DeadlineSpec":
        forms = [self.date is not None, self.day is not None or self.month is not None,
                 self.relative_to is not None, self.after_document is not None]
        if sum(forms) != 1:
            raise ValueError("hạn phải có đúng một dạng: date, day+month, relative_to hoặc after_document")
        if (self.day is None) != (self.month is None):
            raise ValueError("hạn theo ngày trong năm cần cả day và month")
        if self.date is not None:
            try:
                when = parse_date(self.date)
            except FormatError as exc:
                raise ValueError(str(exc)) from None
            if not 1900 <= when.year <= 2100:
                raise ValueError(f"năm của hạn '{self.date}' phải từ 1900 đến 2100")
        if self.day is not None and self.month is not None:
            if (self.day, self.month) == (29, 2):
                raise ValueError("ngày 29/02 không có ở năm không nhuận nên không dùng làm hạn hằng năm; "
                                 "dùng 28/02 hoặc 01/03")
            try:
                date(2024, self.month, self.day)
            except ValueError:
                raise ValueError(f"ngày {self.day}/{self.month} không tồn tại") from None
        return self

    def resolve(self, year: int, period_start: date, period_end: date, document_dates: dict[str, date]) -> date | None:
        """The deadline date for one unit; None when it depends on a document that is missing."""
        if self.date is not None:
            return parse_date(self.date)
        if self.day is not None and self.month is not None:
            return date(year + self.year_offset, self.month, self.day)
        if self.relative_to is not None:
            anchor = period_start if self.relative_to == "period_start" else period_end
            return anchor + timedelta(days=self.days)
        anchor_date = document_dates.get(self.after_document or "")
        return None if anchor_date is None else anchor_date + timedelta(days=self.days)

    def describe(self, year: int | None = None, labels: dict[str, str] | None = None) -> str:
        """The deadline in Vietnamese words; `labels` name documents by their catalog label."""
        if self.date is not None:
            return f"ngày {format_date(parse_date(self.date))}"
        if self.day is not None and self.month is not None:
            if year is not None:
                return f"ngày {format_date(date(year + self.year_offset, self.month, self.day))}"
            suffix = {0: "năm đánh giá", -1: "năm trước năm đánh giá"}.get(self.year_offset, f"năm đánh giá {self.year_offset:+d}")
            return f"ngày {self.day:02d}/{self.month:02d} {suffix}"
        if self.relative_to is not None:
            anchor = "đầu kỳ đánh giá" if self.relative_to == "period_start" else "cuối kỳ đánh giá"
            if self.days == 0:
                return anchor
            return f"{abs(self.days)} ngày {'sau' if self.days > 0 else 'trước'} {anchor}"
        document = (labels or {}).get(self.after_document or "", self.after_document)
        return f"{self.days} ngày sau ngày ban hành {document}"


# ---------------------------------------------------------------- values and conditions


class ValueRef(Frozen):
    """A number the evidence supplies: a metric, a ratio of two metrics (in %), or a plan-task measure."""

    metric: str | None = None
    ratio: tuple[str, str] | None = Field(None, description="[numerator, denominator] metric names; value in %")
    plan_tasks: Literal["completed_pct", "completed_count", "overdue_count"] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "ValueRef":
        if sum(x is not None for x in (self.metric, self.ratio, self.plan_tasks)) != 1:
            raise ValueError("giá trị phải có đúng một nguồn: metric, ratio hoặc plan_tasks")
        return self

    @property
    def is_percent(self) -> bool:
        return self.ratio is not None or self.plan_tasks == "completed_pct"

    def metric_names(self) -> list[str]:
        if self.metric:
            return [self.metric]
        return list(self.ratio) if self.ratio else []

    def describe(self, labels: dict[str, str] | None = None) -> str:
        labels = labels or {}
        if self.metric:
            return labels.get(self.metric, f"chỉ số '{self.metric}'")
        if self.ratio:
            num, den = (labels.get(name, name) for name in self.ratio)
            return f"tỷ lệ {num} / {den} (%)"
        return {"completed_pct": "tỷ lệ nhiệm vụ kế hoạch hoàn thành đúng hạn (%)",
                "completed_count": "số nhiệm vụ kế hoạch hoàn thành đúng hạn",
                "overdue_count": "số nhiệm vụ kế hoạch quá hạn chưa hoàn thành"}[self.plan_tasks or "completed_pct"]


CONDITION_KEYS = ("metric", "ratio", "plan_tasks", "fact", "document", "all_of", "any_of", "not")


class CompareCondition(ValueRef):
    """A value compared with a target, e.g. {ratio: [online, received], op: ">", target: 50}."""

    op: Op
    target: float

    @model_validator(mode="before")
    @classmethod
    def _some_condition(cls, value: Any) -> Any:
        """A mapping with no key of any condition form is reported once, with the keys it has, not as a missing op."""
        if isinstance(value, dict) and not any(key in value for key in ("metric", "ratio", "plan_tasks")):
            unknown = [str(key) for key in value if key not in ("op", "target")]
            message = "điều kiện phải có một trong các khóa: " + ", ".join(CONDITION_KEYS)
            if unknown:
                message += "; khóa không nhận ra: " + ", ".join(f"'{key}'" for key in unknown)
            raise ValueError(message)
        return value


class FactCondition(Frozen):
    """A yes/no fact the unit attests in its evidence (a metric whose value is true/1)."""

    fact: str


class DocumentCondition(Frozen):
    """A document of a kind exists (optionally issued by a deadline)."""

    document: str
    deadline: DeadlineSpec | None = None


class AllOf(Frozen):
    all_of: list["Condition"] = Field(min_length=1)


class AnyOf(Frozen):
    any_of: list["Condition"] = Field(min_length=1)


class NotCondition(Frozen):
    not_: "Condition" = Field(alias="not")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _condition_tag(value: Any) -> str:
    if isinstance(value, BaseModel):
        return {AllOf: "cond_all", AnyOf: "cond_any", NotCondition: "cond_not", DocumentCondition: "cond_document",
                FactCondition: "cond_fact"}.get(type(value), "cond_compare")
    if isinstance(value, dict):
        for key, tag in (("all_of", "cond_all"), ("any_of", "cond_any"), ("not", "cond_not"),
                         ("document", "cond_document"), ("fact", "cond_fact")):
            if key in value:
                return tag
    return "cond_compare"


Condition = Annotated[
    Union[
        Annotated[AllOf, Tag("cond_all")],
        Annotated[AnyOf, Tag("cond_any")],
        Annotated[NotCondition, Tag("cond_not")],
        Annotated[DocumentCondition, Tag("cond_document")],
        Annotated[FactCondition, Tag("cond_fact")],
        Annotated[CompareCondition, Tag("cond_compare")],
    ],
    Discriminator(_condition_tag),
]


# ---------------------------------------------------------------- rules


class PassFailRule(Frozen):
    """Full points when the condition holds, else `points_fail` (default 0)."""

    kind: Literal["pass_fail"]
    condition: Condition
    points_pass: float | None = None
    points_fail: float = 0


class AllOfRule(Frozen):
    """Full points when every condition holds."""

    kind: Literal["all_of"]
    conditions: list[Condition] = Field(min_length=1)


class AnyOfRule(Frozen):
    """Full points when at least one condition holds."""

    kind: Literal["any_of"]
    conditions: list[Condition] = Field(min_length=1)


class Tier(Frozen):
    """One band of values; bounds say whether they include their end ("trên 90%" is min 90, min_inclusive false)."""

    min: float | None = None
    min_inclusive: bool = True
    max: float | None = None
    max_inclusive: bool = False
    points: float = Field(ge=0)
    label: str | None = None

    def contains(self, value: float) -> bool:
        if self.min is not None and (value < self.min or (value == self.min and not self.min_inclusive)):
            return False
        if self.max is not None and (value > self.max or (value == self.max and not self.max_inclusive)):
            return False
        return True

    def describe(self, unit: str = "") -> str:
        if self.label:
            return self.label
        if self.min is not None and self.min == self.max and self.min_inclusive and self.max_inclusive:
            return f"đúng {_num(self.min)}{unit}"
        low = None if self.min is None else f"{'từ' if self.min_inclusive else 'trên'} {_num(self.min)}{unit}"
        high = None if self.max is None else f"{'đến' if self.max_inclusive else 'dưới'} {_num(self.max)}{unit}"
        if low and high:
            return f"{low} {'đến ' if not self.max_inclusive else ''}{high}"
        return low or high or "mọi giá trị"


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


class TiersRule(Frozen):
    """Points by the tier the value falls in; tiers must cover the domain with no gap and no overlap."""

    kind: Literal["tiers"]
    value: ValueRef
    tiers: list[Tier] = Field(min_length=1)
    domain: tuple[float, float | None] | None = Field(
        None, description="[low, high] the tiers must cover; default [0, 100] for % values, [0, ∞) for counts")

    def effective_domain(self) -> tuple[float, float | None]:
        if self.domain is not None:
            return self.domain
        return (0.0, 100.0) if self.value.is_percent else (0.0, None)


class ProportionalRule(Frozen):
    """Points = ratio × max, and 0 below an optional floor."""

    kind: Literal["proportional"]
    value: ValueRef
    floor: float | None = Field(None, ge=0, le=100, description="% below which the points are 0")

    @model_validator(mode="after")
    def _percent(self) -> "ProportionalRule":
        if not self.value.is_percent:
            raise ValueError("quy tắc tỷ lệ (proportional) cần một tỷ lệ %: ratio hoặc plan_tasks: completed_pct")
        return self


class TimelinessRule(Frozen):
    """A document issued by a deadline: on time / late / missing, each with its points."""

    kind: Literal["timeliness"]
    document: str
    deadline: DeadlineSpec
    grace_days: int = Field(0, ge=0, le=MAX_DAYS, description="Days after the deadline still counted on time")
    on_time_points: float | None = Field(None, ge=0, description="Default: the criterion's max")
    late_points: float = Field(0, ge=0)
    missing_points: float = Field(0, ge=0)


class RequiredDocument(Frozen):
    kind: str
    deadline: DeadlineSpec
    label: str | None = None


class DocumentsRule(Frozen):
    """Several documents each with its own deadline: all on time → full, otherwise `points_otherwise`."""

    kind: Literal["documents"]
    documents: list[RequiredDocument] = Field(min_length=1)
    points_otherwise: float = Field(0, ge=0)


class CountRule(Frozen):
    """Points per counted item, capped at `cap` (default: the criterion's max)."""

    kind: Literal["count"]
    value: ValueRef
    points_per_item: float = Field(gt=0)
    cap: float | None = Field(None, ge=0)


class SurveyRule(Frozen):
    """Points come from the sociological survey; a self-score is rejected."""

    kind: Literal["survey"]
    source: str = "Điều tra xã hội học"


class ManualRule(Frozen):
    """A person scores with a justification and evidence; `guidance` says how."""

    kind: Literal["manual"]
    guidance: str | None = None


Rule = Annotated[
    Union[PassFailRule, AllOfRule, AnyOfRule, TiersRule, ProportionalRule, TimelinessRule, DocumentsRule,
          CountRule, SurveyRule, ManualRule],
    Field(discriminator="kind"),
]
RULE_KINDS = ("pass_fail", "all_of", "any_of", "tiers", "proportional", "timeliness", "documents", "count",
              "survey", "manual")


# ---------------------------------------------------------------- remediation


PLACEHOLDERS = {
    "unit": "tên đơn vị",
    "criterion": "mã tiêu chí",
    "title": "tên tiêu chí",
    "lost_points": "số điểm bị mất",
    "observed": "giá trị thực tế",
    "expected": "yêu cầu",
    "shortfall": "số lượng còn thiếu để đạt điểm tối đa",
    "missing": "các tài liệu còn thiếu hoặc trễ hạn",
    "year": "năm đánh giá",
    "next_year": "năm sau năm đánh giá",
}
_LOOSE_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def placeholder_problems(text: str) -> list[str]:
    """What makes a template text fail when filled: unknown names, formats, unbalanced braces.

    It is read with the same parser str.format_map uses, so a text that passes cannot fail at
    scoring time. After a brace error the parser stops, so the rest is scanned for {names} too.
    """
    unknown: list[str] = []
    formatted: list[str] = []
    brace: str | None = None
    fields: list[tuple[str, str | None, str | None]] = []
    try:
        for _, name, spec, conversion in Formatter().parse(text):
            if name is not None:
                fields.append((name, spec, conversion))
    except ValueError as exc:
        if "Single '}'" in str(exc):
            brace = "có dấu '}' không có '{' mở tương ứng (muốn viết chữ '}' thì ghi '}}')"
        else:
            brace = "có dấu '{' chưa được đóng bằng '}' (muốn viết chữ '{' thì ghi '{{')"
        seen = {name for name, _, _ in fields}
        fields += [(name, "", None) for name in _LOOSE_FIELD.findall(text) if name not in seen]
    for name, spec, conversion in fields:
        written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if name not in PLACEHOLDERS:
            unknown.append(f"'{written}'")
        elif spec or conversion:
            formatted.append(f"'{written}'")
    problems = []
    if unknown:
        problems.append(f"biến {', '.join(dict.fromkeys(unknown))} không tồn tại; dùng được: "
                        + ", ".join("{" + k + "}" for k in PLACEHOLDERS))
    if formatted:
        problems.append(f"biến {', '.join(dict.fromkeys(formatted))} không được kèm định dạng; chỉ ghi tên biến, ví dụ {{unit}}")
    if brace:
        problems.append(brace)
    return problems


def _template_text(text: str) -> str:
    problems = placeholder_problems(text)
    if problems:
        raise ValueError("; ".join(problems))
    return text


TemplateText = Annotated[str, AfterValidator(_template_text)]


class RemediationTemplate(Frozen):
    """A corrective task in the plan-appendix layout; text fields may use {placeholders}.

    Each text field is checked on its own, so every bad placeholder is reported at its field.
    """

    task: TemplateText
    product: TemplateText | None = None
    lead: TemplateText | None = None
    cooperating: list[TemplateText] = Field(default_factory=list)
    deadline: TemplateText | None = Field(None, description="Text, e.g. 'Trước ngày 31/12/{year}'")
    deadline_days: int | None = Field(None, ge=0, le=MAX_DAYS, description="Days after the evidence's as-of date")


# ---------------------------------------------------------------- tree and set


class Node(Frozen):
    """An area, criterion or sub-criterion; a leaf carries max points and a rule, a parent its children."""

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    max_points: float | None = Field(None, ge=0)
    rule: Rule | None = None
    children: list["Node"] = Field(default_factory=list)
    description: str | None = None
    provenance: Provenance | None = None
    not_applicable: Literal["exclude", "full_points"] | None = Field(
        None, description="How a not-applicable leaf counts; without it, declaring N/A is a data problem")
    applicable_if: Condition | None = None
    remediation: RemediationTemplate | None = None
    levels: dict[str, float] | None = Field(None, description="Max points per unit level when they differ")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9A-Za-z]+(\.[0-9A-Za-z]+)*", value):
            raise ValueError(f"mã '{value}' phải theo số hiệu chính thức, ví dụ 1.1.4")
        return value

    @model_validator(mode="after")
    def _leaf_or_parent(self) -> "Node":
        if self.children and self.rule is not None:
            raise ValueError(f"'{self.id}' có tiêu chí con nên không được có quy tắc chấm (rule)")
        if not self.children:
            if self.rule is None:
                raise ValueError(f"tiêu chí lá '{self.id}' phải có quy tắc chấm (rule)")
            if self.max_points is None and not self.levels:
                raise ValueError(f"tiêu chí lá '{self.id}' phải có điểm tối đa (max_points)")
        return self

    @property
    def is_leaf(self) -> bool:
        return not self.children


class Adjustment(Frozen):
    """A bonus or penalty item: its rule yields points in [0, max_points] that are added or deducted."""

    id: str
    title: str
    kind: Literal["bonus", "penalty"]
    max_points: float = Field(gt=0)
    rule: Rule
    provenance: Provenance | None = None
    remediation: RemediationTemplate | None = None


class Band(Frozen):
    """A classification band over the index in % (e.g. Xuất sắc ≥ 90)."""

    label: str
    min: float
    min_inclusive: bool = True
    max: float | None = None
    max_inclusive: bool = False

    def contains(self, value: float) -> bool:
        return Tier(min=self.min, min_inclusive=self.min_inclusive, max=self.max,
                    max_inclusive=self.max_inclusive, points=0).contains(value)


class CatalogEntry(Frozen):
    """What an evidence name means, for people filling the evidence and for the template."""

    label: str
    unit: str | None = None
    description: str | None = None


class Catalog(Frozen):
    """The evidence names a set uses; a rule naming anything else is an error."""

    documents: dict[str, CatalogEntry] = Field(default_factory=dict)
    metrics: dict[str, CatalogEntry] = Field(default_factory=dict)
    facts: dict[str, CatalogEntry] = Field(default_factory=dict)


class CriteriaSet(Frozen):
    """A year's criteria set for one unit level."""

    id: str
    title: str
    level: str
    year: int = Field(ge=1900, le=2100)
    decision: Provenance | None = None
    max_points: float = Field(gt=0)
    survey_points: float = Field(0, ge=0)
    rounding: int = Field(2, ge=0, le=6)
    index_basis: Literal["applicable", "total"] = Field(
        "applicable", description="Index over the applicable maximum (N/A removed) or the full maximum")
    when_survey_missing: Literal["missing_evidence", "exclude"] = Field(
        "missing_evidence", description="Survey not yet run: count as missing evidence, or rescale without it")
    bonus_cap: float | None = Field(None, ge=0)
    penalty_cap: float | None = Field(None, ge=0)
    bands: list[Band] = Field(default_factory=list)
    catalog: Catalog = Field(default_factory=Catalog)
    items: list[Node] = Field(min_length=1)
    adjustments: list[Adjustment] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _file_name_id(cls, value: str) -> str:
        """The id names output files (out/<id>.json), so it must stay a plain file name."""
        if not re.fullmatch(r"\w[\w.-]*", value):
            raise ValueError(f"mã bộ chỉ số '{value}' chỉ gồm chữ, chữ số, '-', '_', '.' và không bắt đầu bằng '.'; "
                             "ví dụ xa-2024")
        return value


def iter_nodes(nodes: list[Node], depth: int = 0, parent: str | None = None):
    """Pre-order walk yielding (node, depth, parent id)."""
    for node in nodes:
        yield node, depth, parent
        yield from iter_nodes(node.children, depth + 1, node.id)


def leaf_max(node: Node, level: str) -> float:
    """A leaf's max for a unit level: the per-level value when given, else max_points."""
    if node.levels and level in node.levels:
        return node.levels[level]
    return node.max_points or 0.0


def node_max(node: Node, level: str) -> float:
    """The maximum of a node: a leaf's own, a parent's the sum of its children."""
    if node.is_leaf:
        return leaf_max(node, level)
    return sum(node_max(child, level) for child in node.children)


def criteria_json_schema() -> dict[str, Any]:
    """The JSON Schema of the criteria format, generated from the models for editors."""
    schema = CriteriaSet.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "parindex criteria set"
    return schema


class LoadedCriteria:
    """A validated set with the document it came from (for line numbers and the content hash)."""

    def __init__(self, criteria: CriteriaSet, doc: YamlDoc, warnings: list[Problem]):
        self.criteria = criteria
        self.doc = doc
        self.warnings = warnings

    @property
    def digest(self) -> str:
        return self.doc.digest


def catalog_labels(criteria: CriteriaSet) -> dict[str, str]:
    """Vietnamese labels of every evidence name, for explanations."""
    labels = {name: label for name, (label, _) in BUILTIN_METRICS.items()}
    for group in (criteria.catalog.documents, criteria.catalog.metrics, criteria.catalog.facts):
        labels.update({name: entry.label for name, entry in group.items()})
    return labels


def set_levels(criteria: CriteriaSet) -> set[str]:
    levels = {criteria.level}
    stack = list(criteria.items)
    while stack:
        node = stack.pop()
        levels.update(node.levels or {})
        stack.extend(node.children)
    return levels


