"""Load a criteria YAML and check its meaning: every problem, with file, YAML path and line, in one pass."""

from __future__ import annotations

from collections import Counter
from typing import Iterator

from pydantic import ValidationError

from engine.core.problems import Problem
from engine.core.yamlsource import Loc, YamlDoc, validation_problems
from engine.kinds.base import EPS, EvidenceUse
from engine.kinds.tree import (
    Adjustment,
    CriteriaSet,
    LoadedCriteria,
    Node,
    applies,
    leaf_max,
    level_leaves,
    node_max,
    set_levels,
)
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
    """The checks a schema cannot express: ids, sums, tiers, bands, blocks, scorers, evidence names."""
    problems: list[Problem] = []
    nodes = list(_walk(criteria.items, ("items",)))
    levels = _ordered_levels(criteria)

    seen: Counter[str] = Counter(node.id for node, _ in nodes)
    seen.update(adj.id for adj in criteria.adjustments)
    with_templates = any(node.remediation is not None for node, _ in nodes)
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
            level = next((lvl for lvl in levels if applies(node, lvl)), criteria.level)
            total = node_max(node, level)
            if abs(total - node.max_points) > EPS:
                problems.append(doc.problem(loc + ("max_points",),
                                            f"điểm tối đa của '{node.id}' là {node.max_points:g} nhưng tổng các tiêu chí con là {total:g}",
                                            node.max_points, code="criteria.points_sum"))
        if node.rule is not None:
            problems += _rule_problems(node, loc, criteria, doc)
            problems += remediation_problems(node, loc, doc, expected=with_templates)
        if node.levels and node.children:
            problems.append(doc.problem(loc + ("levels",), "điểm theo cấp (levels) chỉ đặt ở tiêu chí lá",
                                        code="criteria.levels_on_parent"))

    if criteria.blocks:
        problems += _blocks_problems(criteria, doc, nodes)
    else:
        problems += _level_sums(criteria, doc, nodes, levels)
    problems += _applies_to_problems(criteria, doc, nodes)
    problems += _scorer_problems(criteria, doc)
    for index, adj in enumerate(criteria.adjustments):
        loc = ("adjustments", index)
        problems += _rule_problems(adj, loc, criteria, doc)
        if adj.rule.points_from == "survey":
            problems.append(doc.problem(loc + ("rule", "kind"), "điểm thưởng/trừ không lấy từ điều tra xã hội học",
                                        adj.rule.kind, code="criteria.survey_adjustment"))
        if adj.rule.needs_block:
            problems.append(doc.problem(loc + ("rule", "kind"), "điểm thưởng/trừ không chấm theo đơn vị cao nhất khối "
                                                                "(quy tắc so sánh chỉ dùng cho tiêu chí)",
                                        adj.rule.kind, code="criteria.relative_adjustment"))
    problems += _bands_problems(criteria.bands, doc, ("bands",))
    return problems


def _ordered_levels(criteria: CriteriaSet) -> list[str]:
    """The set's levels, its own level first."""
    return [criteria.level] + sorted(set_levels(criteria) - {criteria.level})


def _level_sums(criteria: CriteriaSet, doc: YamlDoc, nodes: list[tuple[Node, Loc]], levels: list[str]) -> list[Problem]:
    """Without blocks: the areas add up to the set's maximum for every level, the survey leaves to its survey points."""
    problems: list[Problem] = []
    total = sum(node_max(item, criteria.level) for item in criteria.items)
    if abs(total - criteria.max_points) > EPS:
        problems.append(doc.problem(("max_points",),
                                    f"tổng điểm tối đa của bộ chỉ số là {criteria.max_points:g} nhưng tổng các lĩnh vực là {total:g}",
                                    criteria.max_points, code="criteria.set_points_sum"))
    survey_total = sum(leaf_max(node, criteria.level) for node in level_leaves(criteria.items, criteria.level)
                       if node.rule.points_from == "survey")
    if abs(survey_total - criteria.survey_points) > EPS:
        problems.append(doc.problem(("survey_points",),
                                    f"điểm điều tra xã hội học khai báo {criteria.survey_points:g} nhưng tổng các tiêu chí điều tra là {survey_total:g}",
                                    criteria.survey_points, code="criteria.survey_points_sum"))
    for level in levels[1:]:
        level_total = sum(node_max(item, level) for item in criteria.items)
        if abs(level_total - criteria.max_points) > EPS:
            problems.append(doc.problem(("max_points",),
                                        f"với cấp '{level}', tổng điểm tối đa các lĩnh vực là {level_total:g}, khác {criteria.max_points:g}",
                                        level, code="criteria.level_points_sum"))
    return problems


def _blocks_problems(criteria: CriteriaSet, doc: YamlDoc, nodes: list[tuple[Node, Loc]]) -> list[Problem]:
    """With blocks: every level named is a block; each block's areas, survey leaves and bands add up on their own."""
    problems: list[Problem] = []
    blocks = criteria.blocks
    if criteria.level not in blocks:
        problems.append(doc.problem(("level",), f"cấp '{criteria.level}' không có trong các khối (blocks): "
                                                + ", ".join(blocks), criteria.level, code="criteria.unknown_level"))
    for node, loc in nodes:
        for key, named in (("levels", list(node.levels or {})), ("applies_to", node.applies_to or [])):
            for name in named:
                if name not in blocks:
                    where = loc + (key, name) if key == "levels" else loc + (key, named.index(name))
                    problems.append(doc.problem(where, f"cấp '{name}' không có trong các khối (blocks) của bộ chỉ số: "
                                                       + ", ".join(blocks), name, code="criteria.unknown_level"))
    per_level_bands = [level for level, block in blocks.items() if block.bands is not None]
    if per_level_bands and criteria.bands:
        problems.append(doc.problem(("bands",), "bộ chỉ số có xếp loại riêng từng khối (blocks.<cấp>.bands) thì không ghi "
                                                "thêm bands chung; chuyển các mức này vào từng khối",
                                    code="criteria.bands_twice"))
    for level, block in blocks.items():
        loc = ("blocks", level)
        expected = block.max_points if block.max_points is not None else criteria.max_points
        total = sum(node_max(item, level) for item in criteria.items)
        if abs(total - expected) > EPS:
            where = loc + ("max_points",) if block.max_points is not None else ("max_points",)
            problems.append(doc.problem(where, f"khối '{level}' ({block.label}): tổng điểm tối đa các lĩnh vực áp dụng là "
                                               f"{total:g}, khác {expected:g}", expected, code="criteria.block_points_sum"))
        expected_survey = block.survey_points if block.survey_points is not None else criteria.survey_points
        survey = sum(leaf_max(node, level) for node in level_leaves(criteria.items, level) if node.rule.points_from == "survey")
        if abs(survey - expected_survey) > EPS:
            where = loc + ("survey_points",) if block.survey_points is not None else ("survey_points",)
            problems.append(doc.problem(where, f"khối '{level}' ({block.label}): điểm điều tra xã hội học khai báo "
                                               f"{expected_survey:g} nhưng tổng các tiêu chí điều tra áp dụng là {survey:g}",
                                        expected_survey, code="criteria.block_survey_sum"))
        if per_level_bands and block.bands is None:
            problems.append(doc.problem(loc, f"khối '{level}' ({block.label}) chưa có xếp loại (bands) trong khi các khối "
                                             f"{', '.join(per_level_bands)} có xếp loại riêng", level,
                                        code="criteria.block_without_bands"))
        if block.bands:
            problems += _bands_problems(block.bands, doc, loc + ("bands",))
    return problems


def _applies_to_problems(criteria: CriteriaSet, doc: YamlDoc, nodes: list[tuple[Node, Loc]]) -> list[Problem]:
    """An item is scored only where its parent is, and every item is scored for at least one level."""
    problems: list[Problem] = []
    levels = set_levels(criteria)

    def walk(items: list[Node], loc: Loc, allowed: set[str]) -> None:
        for index, node in enumerate(items):
            node_loc = loc + (index,)
            own = set(node.applies_to) if node.applies_to is not None else allowed
            outside = sorted(own - allowed) if node.applies_to is not None else []
            if outside:
                problems.append(doc.problem(node_loc + ("applies_to",), f"'{node.id}' áp dụng cho cấp {', '.join(outside)} "
                                                                        f"nhưng mục cha của nó thì không",
                                            ", ".join(outside), code="criteria.applies_to_outside_parent"))
            walk(node.children, node_loc + ("children",), own & allowed)

    walk(criteria.items, ("items",), levels)
    return problems


def _scorer_problems(criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    """`scored_by` must fit the rule: survey criteria only from the survey, the survey only for them, the unit never for
    a criterion computed from the evidence (it adds evidence instead). A problem is reported where `scored_by` was written."""
    problems: list[Problem] = []
    reported: set[tuple[Loc, str]] = set()

    def check(rule, roles: list[str], where: Loc, item: str) -> None:
        found = []
        if rule.points_from == "survey" and set(roles) != {"survey"}:
            found.append(("criteria.scorer_survey_only", f"tiêu chí {item} lấy điểm từ điều tra xã hội học; chỉ ghi được "
                                                         "scored_by: [survey]"))
        if rule.points_from != "survey" and "survey" in roles:
            found.append(("criteria.scorer_survey_role", f"tiêu chí {item} không phải tiêu chí điều tra xã hội học; "
                                                         "không giao cho điều tra xã hội học chấm"))
        if rule.points_from == "evidence" and "unit" in roles:
            found.append(("criteria.scorer_unit_on_evidence", f"tiêu chí {item} được tính từ minh chứng; đơn vị không tự "
                                                              "nhập điểm mà bổ sung minh chứng"))
        for code, message in found:
            if (where, code) not in reported:
                reported.add((where, code))
                problems.append(doc.problem(where, message, ", ".join(roles), code=code))

    def walk(items: list[Node], loc: Loc, inherited: tuple[list[str], Loc] | None) -> None:
        for index, node in enumerate(items):
            node_loc = loc + (index,)
            named = (node.scored_by, node_loc + ("scored_by",)) if node.scored_by else inherited
            if node.is_leaf and named is not None:
                check(node.rule, named[0], named[1], node.id)
            walk(node.children, node_loc + ("children",), named)

    walk(criteria.items, ("items",), None)
    for index, adj in enumerate(criteria.adjustments):
        if adj.scored_by:
            check(adj.rule, adj.scored_by, ("adjustments", index, "scored_by"), adj.id)
    return problems


REMEDIATION_FIELDS = {"product": "sản phẩm", "lead": "cơ quan chủ trì", "cooperating": "cơ quan phối hợp",
                      "deadline": "thời gian hoàn thành"}


def remediation_problems(node: Node, loc: Loc, doc: YamlDoc, expected: bool = True) -> list[Problem]:
    """Warnings for a leaf whose corrective task would reach the plan incomplete (the plan appendix needs every column).

    A leaf without a template is reported when the set writes templates for other criteria
    (`expected`): a set without any template gets the default tasks and no warning per criterion.
    """
    template = node.remediation
    if template is None:
        if not expected:
            return []
        return [doc.problem(loc + ("id",), f"tiêu chí '{node.id}' chưa có mẫu nhiệm vụ khắc phục (remediation): kế hoạch "
                                           "khắc phục sẽ thiếu sản phẩm, cơ quan chủ trì, phối hợp và thời hạn",
                            node.id, severity="warning", code="criteria.remediation_missing")]
    missing = [words for field, words in REMEDIATION_FIELDS.items()
               if not getattr(template, field) and not (field == "deadline" and template.deadline_days is not None)]
    problems = []
    if missing:
        problems.append(doc.problem(loc + ("remediation",), f"mẫu nhiệm vụ khắc phục của '{node.id}' còn thiếu: "
                                    + ", ".join(missing), severity="warning", code="criteria.remediation_incomplete"))
    if template.lead is not None and template.lead.strip() == "{unit}":
        problems.append(doc.problem(loc + ("remediation", "lead"), "cơ quan chủ trì phải là bộ phận hoặc công chức thực "
                                    "hiện (ví dụ 'Văn phòng - Thống kê {unit}'), không phải chính đơn vị",
                                    template.lead, severity="warning", code="criteria.remediation_lead_is_unit"))
    return problems


def _rule_problems(node: Node | Adjustment, loc: Loc, criteria: CriteriaSet, doc: YamlDoc) -> list[Problem]:
    """The rule's own point checks against the item's smallest maximum, then every evidence name it reads."""
    rule_loc = loc + ("rule",)
    if isinstance(node, Node):
        levels = set(node.applies_to) if node.applies_to else {criteria.level} | set(node.levels or {})
        maxima = {leaf_max(node, lvl) for lvl in levels}
    else:
        maxima = {node.max_points}
    problems = node.rule.point_problems(min(maxima), node.id, doc, rule_loc)
    if isinstance(node, Node) and node.rule.needs_block and criteria.scored_alone:
        problems.append(doc.problem(rule_loc + ("kind",), f"tiêu chí {node.id} chấm so với đơn vị cao nhất khối nhưng bộ chỉ "
                                                          "số chấm từng đơn vị riêng lẻ (scored_alone: true); quy tắc so "
                                                          "sánh cần kết quả của cả khối", node.rule.kind,
                                    code="criteria.relative_scored_alone"))
    problems += name_problems(node.rule.evidence(), rule_loc, criteria, doc)
    if isinstance(node, Node) and node.applicable_if is not None:
        problems += name_problems(node.applicable_if.evidence(), loc + ("applicable_if",), criteria, doc)
    return problems


def _bands_problems(bands: list[Band], doc: YamlDoc, loc: Loc) -> list[Problem]:
    """Bands must not overlap; a gap is allowed (an index in it is "không xếp loại")."""
    if not bands:
        return []
    return intervals_problems(bands, 0.0, 100.0, doc, loc, "các mức xếp loại (bands)", "%", BAND_CODES, allow_gaps=True)


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
