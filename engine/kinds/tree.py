"""The criteria tree: a year's set of areas, criteria and sub-criteria, each leaf with a rule of a registered kind.

It sits in the kinds layer because a leaf's `rule` and `applicable_if` are the unions of the kinds
(engine.kinds.registry, engine.kinds.conditions). The JSON Schema shipped for editors is generated
from these models (`criteria_json_schema`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from engine.core.base import Frozen
from engine.core.problems import Problem, invalid
from engine.core.yamlsource import YamlDoc
from engine.kinds.conditions import Condition
from engine.kinds.registry import Rule
from engine.model.criteria import (
    Band,
    Block,
    Catalog,
    Provenance,
    RemediationTemplate,
    Rounder,
    RoundingMethod,
    RoundingStages,
    ScorerRole,
)
from engine.model.names import BUILTIN_METRICS


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
    applies_to: list[str] | None = Field(
        None, min_length=1, description="The unit levels (blocks) this item is scored for; absent: every level")
    scored_by: list[ScorerRole] | None = Field(
        None, min_length=1,
        description="Who may enter points for this criterion in an assessment, replacing the default "
                    "(unit self-scores manual criteria, appraisers change the rest, survey criteria come from the survey)")

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9A-Za-z]+(\.[0-9A-Za-z]+)*", value):
            raise invalid(f"mã '{value}' phải theo số hiệu chính thức, ví dụ 1.1.4", code="criteria.bad_id")
        return value

    @model_validator(mode="after")
    def _leaf_or_parent(self) -> "Node":
        if self.children and self.rule is not None:
            raise invalid(f"'{self.id}' có tiêu chí con nên không được có quy tắc chấm (rule)", code="criteria.parent_rule")
        if not self.children:
            if self.rule is None:
                raise invalid(f"tiêu chí lá '{self.id}' phải có quy tắc chấm (rule)", code="criteria.leaf_without_rule")
            if self.max_points is None and not self.levels:
                raise invalid(f"tiêu chí lá '{self.id}' phải có điểm tối đa (max_points)", code="criteria.leaf_without_max")
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
    scored_by: list[ScorerRole] | None = Field(None, min_length=1, description="As for a criterion")


class CriteriaSet(Frozen):
    """A year's criteria set for one unit level."""

    id: str
    title: str
    level: str
    year: int = Field(ge=1900, le=2100)
    decision: Provenance | None = None
    max_points: float = Field(gt=0)
    survey_points: float = Field(0, ge=0)
    rounding: int = Field(2, ge=0, le=6, description="Decimals kept for points and indices")
    rounding_method: RoundingMethod | RoundingStages = Field(
        "half_up", description="half_up (0,125 → 0,13), truncate (0,129 → 0,12) or none, for every stage or per stage "
                               "(leaf: each leaf's points, total: parents, areas and the unit, index: every index)")
    index_basis: Literal["applicable", "total"] = Field(
        "applicable", description="Index over the applicable maximum (N/A removed) or the full maximum")
    when_survey_missing: Literal["missing_evidence", "exclude"] = Field(
        "missing_evidence", description="Survey not yet run: count as missing evidence, or rescale without it")
    bonus_cap: float | None = Field(None, ge=0)
    penalty_cap: float | None = Field(None, ge=0)
    bands: list[Band] = Field(default_factory=list)
    blocks: dict[str, Block] = Field(
        default_factory=dict, description="The unit levels the set covers, each with its own maximum, survey points "
                                          "and bands; `level` must be one of them")
    scored_alone: bool = Field(
        False, description="Each unit is scored on its own (self-assessment, assessment rounds): no rule may need the "
                           "results of the other units of its block")
    catalog: Catalog = Field(default_factory=Catalog)
    items: list[Node] = Field(min_length=1)
    adjustments: list[Adjustment] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _file_name_id(cls, value: str) -> str:
        """The id names output files (out/<id>.json), so it must stay a plain file name."""
        if not re.fullmatch(r"\w[\w.-]*", value):
            raise invalid(f"mã bộ chỉ số '{value}' chỉ gồm chữ, chữ số, '-', '_', '.' và không bắt đầu bằng '.'; "
                          "ví dụ xa-2024", code="criteria.bad_set_id")
        return value


def iter_nodes(nodes: list[Node], depth: int = 0, parent: str | None = None):
    """Pre-order walk yielding (node, depth, parent id)."""
    for node in nodes:
        yield node, depth, parent
        yield from iter_nodes(node.children, depth + 1, node.id)


def applies(node: Node, level: str) -> bool:
    """Whether an item is scored for units of a level (its own `applies_to`; the caller walks from the top)."""
    return node.applies_to is None or level in node.applies_to


def leaf_max(node: Node, level: str) -> float:
    """A leaf's max for a unit level: the per-level value when given, else max_points."""
    if node.levels and level in node.levels:
        return node.levels[level]
    return node.max_points or 0.0


def node_max(node: Node, level: str) -> float:
    """The maximum of a node for a level: a leaf's own, a parent's the sum of the children scored for that level."""
    if not applies(node, level):
        return 0.0
    if node.is_leaf:
        return leaf_max(node, level)
    return sum(node_max(child, level) for child in node.children)


def level_items(nodes: list[Node], level: str) -> list[Node]:
    """The items of a list that are scored for a level."""
    return [node for node in nodes if applies(node, level)]


def level_leaves(nodes: list[Node], level: str):
    """Every leaf scored for a level (an item not scored for it takes its subtree along)."""
    for node in level_items(nodes, level):
        if node.is_leaf:
            yield node
        else:
            yield from level_leaves(node.children, level)


def compares_units(criteria: CriteriaSet, level: str) -> bool:
    """Whether a rule gives units of `level` points by comparing the units of their block: scoring one of them
    then needs every bundle's value first."""
    return any(node.rule.needs_block for node in level_leaves(criteria.items, level))


def rounder(criteria: CriteriaSet) -> Rounder:
    return Rounder(criteria.rounding, criteria.rounding_method)


def block_of(criteria: CriteriaSet, level: str) -> Block | None:
    return criteria.blocks.get(level)


def level_max_points(criteria: CriteriaSet, level: str) -> float:
    """The maximum total of a level: its block's, else the set's."""
    block = block_of(criteria, level)
    return block.max_points if block is not None and block.max_points is not None else criteria.max_points


def level_bands(criteria: CriteriaSet, level: str) -> list[Band]:
    """The bands a unit of a level is classified by: its block's, else the set's."""
    block = block_of(criteria, level)
    return block.bands if block is not None and block.bands is not None else criteria.bands


def allowed_scorers(rule: Rule, scored_by: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Who may enter points for an item: the roles the set names, else the default of its rule kind.

    Survey criteria come from the survey; the unit self-scores manual criteria; appraisers and the
    council may change any criterion that is not a survey one; leaders only where they are named.
    """
    if scored_by:
        return tuple(scored_by)
    if rule.points_from == "survey":
        return ("survey",)
    if rule.points_from == "manual":
        return ("unit", "appraiser", "council")
    return ("appraiser", "council")


def scorers_by_item(criteria: CriteriaSet) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Every leaf and bonus/penalty id → (who may score it, whether the set named them), `scored_by` inherited downwards."""
    found: dict[str, tuple[tuple[str, ...], bool]] = {}

    def walk(nodes: list[Node], inherited: list[str] | None) -> None:
        for node in nodes:
            named = node.scored_by or inherited
            if node.is_leaf:
                found[node.id] = (allowed_scorers(node.rule, named), named is not None)
            else:
                walk(node.children, named)

    walk(criteria.items, None)
    for adj in criteria.adjustments:
        found[adj.id] = (allowed_scorers(adj.rule, adj.scored_by), adj.scored_by is not None)
    return found


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
    """The unit levels a set scores: its blocks when it declares them, else its level and every level its items name."""
    if criteria.blocks:
        return set(criteria.blocks)
    levels = {criteria.level}
    stack = list(criteria.items)
    while stack:
        node = stack.pop()
        levels.update(node.levels or {})
        levels.update(node.applies_to or ())
        stack.extend(node.children)
    return levels


