"""Load a criteria YAML and check its meaning: every problem, with file, YAML path and line, in one pass."""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from pydantic import ValidationError

from engine.core.problems import Problem
from engine.core.yamlsource import Loc, YamlDoc, validation_problems
from engine.kinds.base import EPS, EvidenceUse
from engine.kinds.tree import Adjustment, CriteriaSet, LoadedCriteria, Node, leaf_max, node_max
from engine.model.criteria import BAND_CODES, Band, intervals_problems
from engine.model.names import BUILTIN_METRICS


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
            problems.append(doc.problem(loc + ("id",), f"mã tiêu chí '{node.id}' bị trùng ({seen[node.id]} lần)", node.id,
                                        code="criteria.duplicate_id"))
        for child_index, child in enumerate(node.children):
            if not child.id.startswith(node.id + "."):
                problems.append(doc.problem(loc + ("children", child_index, "id"),
                                            f"mã '{child.id}' phải bắt đầu bằng mã cha '{node.id}.'", child.id,
                                            code="criteria.child_id_prefix"))
        if node.children and node.max_points is not None:
            total = node_max(node, criteria.level)
            if abs(total - node.max_points) > EPS:
                problems.append(doc.problem(loc + ("max_points",),
                                            f"điểm tối đa của '{node.id}' là {node.max_points:g} nhưng tổng các tiêu chí con là {total:g}",
                                            node.max_points, code="criteria.points_sum"))
        if node.rule is not None:
            problems += _rule_problems(node, loc, criteria, doc)
        if node.levels and node.children:
            problems.append(doc.problem(loc + ("levels",), "điểm theo cấp (levels) chỉ đặt ở tiêu chí lá",
                                        code="criteria.levels_on_parent"))

    total = sum(node_max(item, criteria.level) for item in criteria.items)
    if abs(total - criteria.max_points) > EPS:
        problems.append(doc.problem(("max_points",),
                                    f"tổng điểm tối đa của bộ chỉ số là {criteria.max_points:g} nhưng tổng các lĩnh vực là {total:g}",
                                    criteria.max_points, code="criteria.set_points_sum"))
    survey_total = sum(leaf_max(node, criteria.level) for node, _ in nodes
                       if node.rule is not None and node.rule.points_from == "survey")
    if abs(survey_total - criteria.survey_points) > EPS:
        problems.append(doc.problem(("survey_points",),
                                    f"điểm điều tra xã hội học khai báo {criteria.survey_points:g} nhưng tổng các tiêu chí điều tra là {survey_total:g}",
                                    criteria.survey_points, code="criteria.survey_points_sum"))
    for index, adj in enumerate(criteria.adjustments):
        loc = ("adjustments", index)
        problems += _rule_problems(adj, loc, criteria, doc)
        if adj.rule.points_from == "survey":
            problems.append(doc.problem(loc + ("rule", "kind"), "điểm thưởng/trừ không lấy từ điều tra xã hội học",
                                        adj.rule.kind, code="criteria.survey_adjustment"))
    problems += _bands_problems(criteria.bands, doc)
    if len(levels) > 1:
        for level in levels[1:]:
            level_total = sum(node_max(item, level) for item in criteria.items)
            if abs(level_total - criteria.max_points) > EPS:
                problems.append(doc.problem(("max_points",),
                                            f"với cấp '{level}', tổng điểm tối đa các lĩnh vực là {level_total:g}, khác {criteria.max_points:g}",
                                            level, code="criteria.level_points_sum"))
    return problems


def _rule_problems(node: Node | Adjustment, loc: Loc, criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    """The rule's own point checks against the item's smallest maximum, then every evidence name it reads."""
    rule_loc = loc + ("rule",)
    maxima = {leaf_max(node, lvl) for lvl in ({criteria.level} | set(node.levels or {}))} \
        if isinstance(node, Node) else {node.max_points}
    problems = node.rule.point_problems(min(maxima), node.id, doc, rule_loc)
    problems += name_problems(node.rule.evidence(), rule_loc, criteria, doc)
    if isinstance(node, Node) and node.applicable_if is not None:
        problems += name_problems(node.applicable_if.evidence(), loc + ("applicable_if",), criteria, doc)
    return problems


def _bands_problems(bands: list[Band], doc: YamlDoc) -> list[Problem]:
    if not bands:
        return []
    return intervals_problems(bands, 0.0, 100.0, doc, ("bands",), "các mức xếp loại (bands)", "%", BAND_CODES)


def name_problems(uses: list[EvidenceUse], loc: Loc, criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    """Every evidence name a rule or condition reads must be declared in the catalog (or be a built-in metric)."""
    catalog = criteria.catalog
    known = {"document": set(catalog.documents), "metric": set(catalog.metrics) | set(BUILTIN_METRICS),
             "fact": set(catalog.facts)}
    words = {"document": ("loại tài liệu", "catalog.documents"), "metric": ("chỉ số (metric)", "catalog.metrics"),
             "fact": ("dữ kiện (fact)", "catalog.facts")}
    return [doc.problem(loc + use.loc, _unknown(words[use.what][0], use.name, words[use.what][1]), use.name,
                        code=_UNKNOWN_NAME_CODES[use.what])
            for use in uses if use.name not in known[use.what]]


_UNKNOWN_NAME_CODES = {"document": "criteria.unknown_document", "metric": "criteria.unknown_metric",
                       "fact": "criteria.unknown_fact"}


def _unknown(what: str, name: str, where: str) -> str:
    return f"{what} '{name}' không được khai báo trong {where} và không có nguồn dữ liệu nào cung cấp"
