"""The terms of the criteria language that every rule kind shares: deadlines, values, tiers, bands, the catalog.

The rule and condition kinds (engine.kinds) and the criteria tree built from them
(engine.kinds.tree) use these; the JSON Schema shipped for editors is generated from all of them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from string import Formatter
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from engine.core.base import Frozen
from engine.core.problems import Problem, invalid
from engine.core.vnformat import FormatError, format_date, parse_date, round_half_up, truncate
from engine.core.yamlsource import Loc, YamlDoc

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
            raise invalid("hạn phải có đúng một dạng: date, day+month, relative_to hoặc after_document",
                          code="criteria.deadline_form")
        if (self.day is None) != (self.month is None):
            raise invalid("hạn theo ngày trong năm cần cả day và month", code="criteria.deadline_day_month")
        if self.date is not None:
            try:
                when = parse_date(self.date)
            except FormatError as exc:
                raise invalid(str(exc), code=exc.code) from None
            if not 1900 <= when.year <= 2100:
                raise invalid(f"năm của hạn '{self.date}' phải từ 1900 đến 2100", code="criteria.deadline_year")
        if self.day is not None and self.month is not None:
            if (self.day, self.month) == (29, 2):
                raise invalid("ngày 29/02 không có ở năm không nhuận nên không dùng làm hạn hằng năm; "
                              "dùng 28/02 hoặc 01/03", code="criteria.deadline_leap_day")
            try:
                date(2024, self.month, self.day)
            except ValueError:
                raise invalid(f"ngày {self.day}/{self.month} không tồn tại", code="format.no_such_date") from None
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
            raise invalid("giá trị phải có đúng một nguồn: metric, ratio hoặc plan_tasks", code="criteria.value_source")
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
        raise invalid("; ".join(problems), code="criteria.placeholder")
    return text


TemplateText = Annotated[str, AfterValidator(_template_text)]


class Effort(Frozen):
    """What a corrective task costs and how long until its result shows in the evidence (for the plan under a budget)."""

    person_days: float = Field(gt=0, le=MAX_DAYS, description="Work in person-days (ngày công); planned in half-days")
    lead_days: int = Field(0, ge=0, le=MAX_DAYS, description="Days from the as-of date until the result is in the evidence")
    provenance: Provenance | None = Field(None, description="Where the estimate comes from; illustrative when not official")


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
    effort: Effort | None = None
    funding: TemplateText | None = Field(None, description="Kinh phí column of the plan, e.g. 'Dự toán chi thường xuyên'")
    provenance: Provenance | None = Field(None, description="Where the task comes from; illustrative when not official")


# ---------------------------------------------------------------- bands and catalog


UNCLASSIFIED = "không xếp loại"
"""What an index outside every band is called: band tables need not cover 0–100."""


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


def band_for(bands: list[Band], index: float | None) -> str | None:
    """The label of the band holding the index (an index above 100 after bonus points counts as 100); None outside all."""
    if index is None:
        return None
    return next((b.label for b in bands if b.contains(min(index, 100.0))), None)


# ---------------------------------------------------------------- who scores


ScorerRole = Literal["unit", "appraiser", "council", "leaders", "survey"]
"""People (or the survey import) who may enter points for a criterion in an assessment."""

SCORER_LABELS: dict[str, str] = {
    "unit": "đơn vị",
    "appraiser": "thẩm định viên",
    "council": "hội đồng thẩm định",
    "leaders": "lãnh đạo tỉnh",
    "survey": "điều tra xã hội học",
}


def scorer_words(roles: list[str] | tuple[str, ...]) -> str:
    return ", ".join(SCORER_LABELS[role] for role in roles)


# ---------------------------------------------------------------- rounding


RoundingMethod = Literal["half_up", "truncate", "none"]


class RoundingStages(Frozen):
    """How each stage is rounded: each leaf's points, the totals (parents, areas, the unit), the indices."""

    leaf: RoundingMethod = "half_up"
    total: RoundingMethod = "half_up"
    index: RoundingMethod = "half_up"


class Rounder:
    """Rounds the points of a leaf, a total or an index as the set says, to its number of decimals."""

    def __init__(self, decimals: int, method: RoundingMethod | RoundingStages = "half_up"):
        self.decimals = decimals
        self.stages = method if isinstance(method, RoundingStages) else RoundingStages(leaf=method, total=method,
                                                                                        index=method)

    def _apply(self, value: float, method: RoundingMethod) -> float:
        if method == "half_up":
            return round_half_up(value, self.decimals)
        if method == "truncate":
            return truncate(value, self.decimals)
        return value

    def leaf(self, value: float) -> float:
        return self._apply(value, self.stages.leaf)

    def total(self, value: float) -> float:
        return self._apply(value, self.stages.total)

    def index(self, value: float) -> float:
        return self._apply(value, self.stages.index)


# ---------------------------------------------------------------- blocks


class Block(Frozen):
    """One unit level of a set that covers several (a block: sở, huyện, xã): its own maximum, survey points and bands."""

    label: str = Field(min_length=1, description="The block's name, e.g. Khối sở, ban, ngành")
    max_points: float | None = Field(None, gt=0, description="The block's maximum total; default the set's max_points")
    survey_points: float | None = Field(None, ge=0, description="The block's survey points; default the set's")
    bands: list[Band] | None = Field(None, description="The block's bands; without them the set's bands apply")


class CatalogEntry(Frozen):
    """What an evidence name means, for people filling the evidence and for the template."""

    label: str
    unit: str | None = None
    description: str | None = None
    scale: Literal["count", "percent", "amount"] | None = Field(
        None, description="How the value is written: count (whole, non-negative), percent (95 or 95%), amount "
                          "(any number); default: percent when unit is '%', else count")

    def value_scale(self) -> str:
        """The declared scale, or the default read from the unit."""
        if self.scale is not None:
            return self.scale
        return "percent" if (self.unit or "").strip() == "%" else "count"


class Catalog(Frozen):
    """The evidence names a set uses; a rule naming anything else is an error."""

    documents: dict[str, CatalogEntry] = Field(default_factory=dict)
    metrics: dict[str, CatalogEntry] = Field(default_factory=dict)
    facts: dict[str, CatalogEntry] = Field(default_factory=dict)


TIER_CODES = {"empty": "criteria.tier_empty", "gap": "criteria.tier_gap", "overlap": "criteria.tier_overlap"}
BAND_CODES = {"empty": "criteria.band_empty", "overlap": "criteria.band_overlap"}  # bands may leave gaps


def intervals_problems(items: list[Tier] | list[Band], low: float, high: float | None, doc: YamlDoc, loc: Loc,
                       what: str, unit: str, codes: dict[str, str], *, allow_gaps: bool = False) -> list[Problem]:
    """Intervals must not overlap and, unless `allow_gaps`, must leave no gap over [low, high].

    Walking the intervals by their start, each is compared with the furthest end reached so far
    (not just the previous interval's end), so a wide interval that contains a narrower one is an
    overlap and never a false gap. `codes` names the problem code of an empty interval, a gap and
    an overlap (TIER_CODES, BAND_CODES).
    """
    problems: list[Problem] = []
    inf = float("inf")

    def add(kind: str, at: int, message: str, value=None) -> None:
        if kind == "gap" and allow_gaps:
            return
        problems.append(doc.problem(loc + (at,), f"{what} {message}", value, code=codes[kind]))

    def start_key(item):
        return (-inf if item.min is None else item.min, 0 if item.min_inclusive else 1)

    def is_empty(item) -> bool:
        return item.min is not None and item.max is not None and (
            item.min > item.max or (item.min == item.max and not (item.min_inclusive and item.max_inclusive)))

    order = sorted(range(len(items)), key=lambda i: start_key(items[i]))
    for index in order:
        item = items[index]
        if is_empty(item):
            add("empty", index, f"rỗng: cận dưới {item.min:g} không nhỏ hơn cận trên {item.max:g}")
    live = [i for i in order if not is_empty(items[i])]
    if not live:
        return problems
    first = items[live[0]]
    if first.min is not None and (first.min > low or (first.min == low and not first.min_inclusive)):
        gap = (f"giá trị {low:g}{unit} (không mức nào chứa nó)" if first.min == low
               else f"khoảng từ {low:g}{unit} đến {first.min:g}{unit}")
        add("gap", live[0], f"để hở {gap}")
    reach: tuple[float, bool] | None = None  # furthest end so far and whether it is included
    reach_index = live[0]
    for index in live:
        item = items[index]
        if reach is not None:
            end, end_inclusive = reach
            if end == inf:
                add("overlap", index, "chồng lấn: khoảng trước không có giới hạn trên")
            elif item.min is None or item.min < end or (item.min == end and item.min_inclusive and end_inclusive):
                if item.min is not None and item.min == end:
                    text = f"chồng lấn tại {end:g}{unit}"
                else:
                    lower = "-∞" if item.min is None else f"{item.min:g}{unit}"
                    upper = end if item.max is None else min(end, item.max)
                    text = f"chồng lấn trong khoảng từ {lower} đến {upper:g}{unit}"
                add("overlap", index, text, item.min if item.min is not None else "không có")
            elif item.min > end:
                add("gap", index, f"để hở khoảng giữa {end:g}{unit} và {item.min:g}{unit}", item.min)
            elif item.min == end and not item.min_inclusive and not end_inclusive:
                add("gap", index, f"để hở giá trị {item.min:g}{unit} (không mức nào chứa nó)", item.min)
        item_end = (inf, True) if item.max is None else (item.max, item.max_inclusive)
        if reach is None or item_end > reach:
            reach, reach_index = item_end, index
    end, end_inclusive = reach
    if high is None:
        if end != inf:
            add("gap", reach_index, f"để hở các giá trị từ {end:g}{unit} trở lên")
    elif end < high or (end == high and not end_inclusive):
        gap = (f"giá trị {high:g}{unit} (không mức nào chứa nó)" if end == high
               else f"khoảng từ {end:g}{unit} đến {high:g}{unit}")
        add("gap", reach_index, f"để hở {gap}")
    return problems
