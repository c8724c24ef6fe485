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
from engine.model.criteria import Band, Catalog, Provenance, RemediationTemplate, ScorerRole
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
            raise invalid(f"mã bộ chỉ số '{value}' chỉ gồm chữ, chữ số, '-', '_', '.' và không bắt đầu bằng '.'; "
                          "ví dụ xa-2024", code="criteria.bad_set_id")
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


