"""Load a criteria YAML and check its meaning: every problem, with file, YAML path and line, in one pass."""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterator

from pydantic import ValidationError

from engine.core.problems import Problem
from engine.core.yamlsource import Loc, YamlDoc, validation_problems
from engine.model.criteria import (
    AllOf,
    AnyOf,
    Band,
    CompareCondition,
    CriteriaSet,
    DocumentCondition,
    FactCondition,
    LoadedCriteria,
    Node,
    NotCondition,
    Tier,
    TiersRule,
    leaf_max,
    node_max,
)
from engine.model.names import BUILTIN_METRICS

EPS = 1e-9




def check_plain(doc: YamlDoc, problems: list[Problem]) -> tuple[LoadedCriteria | None, list[Problem]]:
    """Validate and check a set written out in full (no `extends`)."""
    try:
        criteria = CriteriaSet.model_validate(doc.data)
    except ValidationError as exc:
        return None, problems + validation_problems(doc, exc)
    problems = problems + meaning_problems(criteria, doc)
    errors = [p for p in problems if p.severity == "error"]
    return (None if errors else LoadedCriteria(criteria, doc, [p for p in problems if p.severity != "error"])), problems


def _walk(nodes: list[Node], loc: Loc) -> Iterator[tuple[Node, Loc]]:
    for index, node in enumerate(nodes):
        node_loc = loc + (index,)
        yield node, node_loc
        yield from _walk(node.children, node_loc + ("children",))


def meaning_problems(criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    """The checks a schema cannot express: ids, sums, tiers, bands, evidence names."""
    problems: list[Problem] = []
    nodes = list(_walk(criteria.items, ("items",)))
    levels = sorted({criteria.level} | {lvl for node, _ in nodes for lvl in (node.levels or {})})

    seen: Counter[str] = Counter(node.id for node, _ in nodes)
    seen.update(adj.id for adj in criteria.adjustments)
    for node, loc in nodes:
        if seen[node.id] > 1:
            problems.append(doc.problem(loc + ("id",), f"mã tiêu chí '{node.id}' bị trùng ({seen[node.id]} lần)", node.id))
        for child_index, child in enumerate(node.children):
            if not child.id.startswith(node.id + "."):
                problems.append(doc.problem(loc + ("children", child_index, "id"),
                                            f"mã '{child.id}' phải bắt đầu bằng mã cha '{node.id}.'", child.id))
        if node.children and node.max_points is not None:
            total = node_max(node, criteria.level)
            if abs(total - node.max_points) > EPS:
                problems.append(doc.problem(loc + ("max_points",),
                                            f"điểm tối đa của '{node.id}' là {node.max_points:g} nhưng tổng các tiêu chí con là {total:g}",
                                            node.max_points))
        if node.rule is not None:
            problems += _rule_problems(node, loc, criteria, doc)
        if node.levels and node.children:
            problems.append(doc.problem(loc + ("levels",), "điểm theo cấp (levels) chỉ đặt ở tiêu chí lá"))

    total = sum(node_max(item, criteria.level) for item in criteria.items)
    if abs(total - criteria.max_points) > EPS:
        problems.append(doc.problem(("max_points",),
                                    f"tổng điểm tối đa của bộ chỉ số là {criteria.max_points:g} nhưng tổng các lĩnh vực là {total:g}",
                                    criteria.max_points))
    survey_total = sum(leaf_max(node, criteria.level) for node, _ in nodes if node.rule is not None and node.rule.kind == "survey")
    if abs(survey_total - criteria.survey_points) > EPS:
        problems.append(doc.problem(("survey_points",),
                                    f"điểm điều tra xã hội học khai báo {criteria.survey_points:g} nhưng tổng các tiêu chí điều tra là {survey_total:g}",
                                    criteria.survey_points))
    for index, adj in enumerate(criteria.adjustments):
        loc = ("adjustments", index)
        problems += _rule_problems(adj, loc, criteria, doc)
        if adj.rule.kind == "survey":
            problems.append(doc.problem(loc + ("rule", "kind"), "điểm thưởng/trừ không lấy từ điều tra xã hội học", "survey"))
    problems += _bands_problems(criteria.bands, doc)
    if len(levels) > 1:
        for level in levels[1:]:
            level_total = sum(node_max(item, level) for item in criteria.items)
            if abs(level_total - criteria.max_points) > EPS:
                problems.append(doc.problem(("max_points",),
                                            f"với cấp '{level}', tổng điểm tối đa các lĩnh vực là {level_total:g}, khác {criteria.max_points:g}",
                                            level))
    return problems


def _rule_problems(node, loc: Loc, criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    rule = node.rule
    rule_loc = loc + ("rule",)
    maxima = {leaf_max(node, lvl) for lvl in ({criteria.level} | set(getattr(node, "levels", None) or {}))} \
        if isinstance(node, Node) else {node.max_points}
    top = min(maxima)
    problems: list[Problem] = []

    def too_high(field: str, value: float | None) -> None:
        if value is not None and value > top + EPS:
            problems.append(doc.problem(rule_loc + (field,), f"số điểm {value:g} vượt điểm tối đa {top:g} của '{node.id}'", value))

    kind = rule.kind
    if kind == "pass_fail":
        too_high("points_pass", rule.points_pass)
        too_high("points_fail", rule.points_fail)
    elif kind == "timeliness":
        too_high("on_time_points", rule.on_time_points)
        too_high("late_points", rule.late_points)
        too_high("missing_points", rule.missing_points)
        on_time = top if rule.on_time_points is None else rule.on_time_points
        if rule.late_points > on_time + EPS:
            problems.append(doc.problem(rule_loc + ("late_points",), f"số điểm khi trễ hạn ({rule.late_points:g}) lớn hơn "
                                        f"số điểm khi đúng hạn ({on_time:g}) của '{node.id}'", rule.late_points))
        if rule.missing_points > rule.late_points + EPS:
            problems.append(doc.problem(rule_loc + ("missing_points",), f"số điểm khi không ban hành ({rule.missing_points:g}) "
                                        f"lớn hơn số điểm khi trễ hạn ({rule.late_points:g}) của '{node.id}'", rule.missing_points))
    elif kind == "documents":
        too_high("points_otherwise", rule.points_otherwise)
    elif kind == "count":
        too_high("cap", rule.cap)
    elif kind == "tiers":
        for index, tier in enumerate(rule.tiers):
            if tier.points > top + EPS:
                problems.append(doc.problem(rule_loc + ("tiers", index, "points"),
                                            f"số điểm {tier.points:g} vượt điểm tối đa {top:g} của '{node.id}'", tier.points))
        problems += tier_coverage_problems(rule, doc, rule_loc)
    problems += _name_problems(rule, rule_loc, criteria, doc)
    if isinstance(node, Node) and node.applicable_if is not None:
        problems += _condition_names(node.applicable_if, loc + ("applicable_if",), criteria, doc)
    return problems


def _intervals_problems(items: list[Tier] | list[Band], low: float, high: float | None, doc: YamlDoc, loc: Loc,
                        what: str, unit: str) -> list[Problem]:
    """Intervals must not overlap and must leave no gap over [low, high].

    Walking the intervals by their start, each is compared with the furthest end reached so far
    (not just the previous interval's end), so a wide interval that contains a narrower one is an
    overlap and never a false gap.
    """
    problems: list[Problem] = []
    inf = float("inf")

    def start_key(item):
        return (-inf if item.min is None else item.min, 0 if item.min_inclusive else 1)

    def is_empty(item) -> bool:
        return item.min is not None and item.max is not None and (
            item.min > item.max or (item.min == item.max and not (item.min_inclusive and item.max_inclusive)))

    order = sorted(range(len(items)), key=lambda i: start_key(items[i]))
    for index in order:
        item = items[index]
        if is_empty(item):
            problems.append(doc.problem(loc + (index,), f"{what} rỗng: cận dưới {item.min:g} không nhỏ hơn cận trên {item.max:g}"))
    live = [i for i in order if not is_empty(items[i])]
    if not live:
        return problems
    first = items[live[0]]
    if first.min is not None and (first.min > low or (first.min == low and not first.min_inclusive)):
        gap = (f"giá trị {low:g}{unit} (không mức nào chứa nó)" if first.min == low
               else f"khoảng từ {low:g}{unit} đến {first.min:g}{unit}")
        problems.append(doc.problem(loc + (live[0],), f"{what} để hở {gap}"))
    reach: tuple[float, bool] | None = None  # furthest end so far and whether it is included
    reach_index = live[0]
    for index in live:
        item = items[index]
        if reach is not None:
            end, end_inclusive = reach
            if end == inf:
                problems.append(doc.problem(loc + (index,), f"{what} chồng lấn: khoảng trước không có giới hạn trên"))
            elif item.min is None or item.min < end or (item.min == end and item.min_inclusive and end_inclusive):
                if item.min is not None and item.min == end:
                    text = f"chồng lấn tại {end:g}{unit}"
                else:
                    lower = "-∞" if item.min is None else f"{item.min:g}{unit}"
                    upper = end if item.max is None else min(end, item.max)
                    text = f"chồng lấn trong khoảng từ {lower} đến {upper:g}{unit}"
                problems.append(doc.problem(loc + (index,), f"{what} {text}", item.min if item.min is not None else "không có"))
            elif item.min > end:
                problems.append(doc.problem(loc + (index,), f"{what} để hở khoảng giữa {end:g}{unit} và {item.min:g}{unit}",
                                            item.min))
            elif item.min == end and not item.min_inclusive and not end_inclusive:
                problems.append(doc.problem(loc + (index,), f"{what} để hở giá trị {item.min:g}{unit} (không mức nào chứa nó)",
                                            item.min))
        item_end = (inf, True) if item.max is None else (item.max, item.max_inclusive)
        if reach is None or item_end > reach:
            reach, reach_index = item_end, index
    end, end_inclusive = reach
    if high is None:
        if end != inf:
            problems.append(doc.problem(loc + (reach_index,), f"{what} để hở các giá trị từ {end:g}{unit} trở lên"))
    elif end < high or (end == high and not end_inclusive):
        gap = (f"giá trị {high:g}{unit} (không mức nào chứa nó)" if end == high
               else f"khoảng từ {end:g}{unit} đến {high:g}{unit}")
        problems.append(doc.problem(loc + (reach_index,), f"{what} để hở {gap}"))
    return problems


def tier_coverage_problems(rule: TiersRule, doc: YamlDoc, rule_loc: Loc) -> list[Problem]:
    low, high = rule.effective_domain()
    unit = "%" if rule.value.is_percent else ""
    problems = _intervals_problems(rule.tiers, low, high, doc, rule_loc + ("tiers",), "các mức (tiers)", unit)
    for index, tier in enumerate(rule.tiers):
        problems += _label_problems(tier, doc, rule_loc + ("tiers", index))
    return problems


_LABEL_START = re.compile(r"^\s*(trên|từ)\s+(\d+(?:[.,]\d+)?)")
_LABEL_END = re.compile(r"(đến dưới|dưới|đến)\s+(\d+(?:[.,]\d+)?)\s*%?\s*$")


def _label_problems(tier: Tier, doc: YamlDoc, loc: Loc) -> list[Problem]:
    """A label copied from the official text ("trên 90%") must say what the bounds do, or explanations mislead."""
    if not tier.label:
        return []
    problems = []
    start = _LABEL_START.match(tier.label)
    if start:
        number = float(start.group(2).replace(",", "."))
        strict = start.group(1) == "trên"
        if tier.min != number or tier.min_inclusive == strict:
            problems.append(doc.problem(loc + ("label",), f"nhãn '{tier.label}' không khớp cận dưới: cần min: {number:g}, "
                                                          f"min_inclusive: {'false' if strict else 'true'}", tier.label))
    end = _LABEL_END.search(tier.label)
    if end:
        number = float(end.group(2).replace(",", "."))
        inclusive = end.group(1) == "đến"
        if tier.max != number or tier.max_inclusive != inclusive:
            problems.append(doc.problem(loc + ("label",), f"nhãn '{tier.label}' không khớp cận trên: cần max: {number:g}, "
                                                          f"max_inclusive: {'true' if inclusive else 'false'}", tier.label))
    return problems


def _bands_problems(bands: list[Band], doc: YamlDoc) -> list[Problem]:
    if not bands:
        return []
    return _intervals_problems(bands, 0.0, 100.0, doc, ("bands",), "các mức xếp loại (bands)", "%")


def _name_problems(rule, rule_loc: Loc, criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    problems: list[Problem] = []
    if hasattr(rule, "value"):
        problems += _value_names(rule.value, rule_loc + ("value",), criteria, doc)
    if rule.kind == "timeliness":
        problems += _document_name(rule.document, rule_loc + ("document",), criteria, doc)
        if rule.deadline.after_document:
            problems += _document_name(rule.deadline.after_document, rule_loc + ("deadline", "after_document"), criteria, doc)
    if rule.kind == "documents":
        for index, required in enumerate(rule.documents):
            problems += _document_name(required.kind, rule_loc + ("documents", index, "kind"), criteria, doc)
    if rule.kind == "pass_fail":
        problems += _condition_names(rule.condition, rule_loc + ("condition",), criteria, doc)
    if rule.kind in ("all_of", "any_of"):
        for index, condition in enumerate(rule.conditions):
            problems += _condition_names(condition, rule_loc + ("conditions", index), criteria, doc)
    return problems


def _value_names(value, loc: Loc, criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    problems = []
    known = set(criteria.catalog.metrics) | set(BUILTIN_METRICS)
    if value.metric and value.metric not in known:
        problems.append(doc.problem(loc + ("metric",), _unknown("chỉ số (metric)", value.metric, "catalog.metrics"), value.metric))
    for index, name in enumerate(value.ratio or ()):
        if name not in known:
            problems.append(doc.problem(loc + ("ratio", index), _unknown("chỉ số (metric)", name, "catalog.metrics"), name))
    return problems


def _document_name(kind: str, loc: Loc, criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    if kind in criteria.catalog.documents:
        return []
    return [doc.problem(loc, _unknown("loại tài liệu", kind, "catalog.documents"), kind)]


def _condition_names(condition, loc: Loc, criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    if isinstance(condition, AllOf):
        return [p for i, c in enumerate(condition.all_of) for p in _condition_names(c, loc + ("all_of", i), criteria, doc)]
    if isinstance(condition, AnyOf):
        return [p for i, c in enumerate(condition.any_of) for p in _condition_names(c, loc + ("any_of", i), criteria, doc)]
    if isinstance(condition, NotCondition):
        return _condition_names(condition.not_, loc + ("not",), criteria, doc)
    if isinstance(condition, DocumentCondition):
        return _document_name(condition.document, loc + ("document",), criteria, doc)
    if isinstance(condition, FactCondition):
        if condition.fact in criteria.catalog.facts:
            return []
        return [doc.problem(loc + ("fact",), _unknown("dữ kiện (fact)", condition.fact, "catalog.facts"), condition.fact)]
    if isinstance(condition, CompareCondition):
        return _value_names(condition, loc, criteria, doc)
    return []


def _unknown(what: str, name: str, where: str) -> str:
    return f"{what} '{name}' không được khai báo trong {where} và không có nguồn dữ liệu nào cung cấp"
