"""The kinds registry: every registered kind has every part, an unregistered kind cannot slip through, and each
kind's parts agree with what the engine does with them (validation, template, diff, scoring)."""

from __future__ import annotations

import inspect
import json
from typing import Literal

import pytest
from conftest import CATALOG, RATIO, bundle_dict, criteria_dict, leaf, loaded_bundle, loaded_criteria
from pydantic import TypeAdapter, ValidationError

from engine.core.problems import Problem
from engine.core.yamlsource import Loc, YamlDoc
from engine.kinds.base import (
    ConditionKind,
    Context,
    EvidenceUse,
    JoinedCondition,
    JoinedConditionsRule,
    Outcome,
    RuleKind,
)
from engine.kinds.conditions import CONDITION_KEYS, CONDITION_KINDS, Condition
from engine.kinds.registry import RULE_KIND_NAMES, RULE_KINDS, Rule, kind_name, rule_kind
from engine.kinds.tree import CriteriaSet, criteria_json_schema
from engine.load.meaning import meaning_problems
from engine.render.workbook import evidence_usage

# `remedies` / `fixes` are part of the contract: a kind computes its own inverse, or declares in code that it has none.
RULE_PARTS = ("evaluate", "describe", "expected", "evidence", "point_problems", "remedies")
CONDITION_PARTS = ("check", "describe", "evidence", "fixes")
DEADLINE = {"day": 31, "month": 3}

# One valid example of every rule kind; a kind registered without an example here fails the test below.
RULE_EXAMPLES = {
    "pass_fail": {"kind": "pass_fail", "condition": {"document": "ke_hoach", "deadline": DEADLINE}},
    "all_of": {"kind": "all_of", "conditions": [{"fact": "co_a"}, {"metric": "so_hop", "op": ">=", "target": 2}]},
    "any_of": {"kind": "any_of", "conditions": [{"fact": "co_a"}, {"not": {"fact": "co_b"}}]},
    "tiers": {"kind": "tiers", "value": RATIO, "tiers": [{"min": 50, "max": 100, "max_inclusive": True, "points": 4},
                                                         {"min": 0, "max": 50, "points": 0}]},
    "proportional": {"kind": "proportional", "value": RATIO},
    "timeliness": {"kind": "timeliness", "document": "ke_hoach", "deadline": DEADLINE, "late_points": 1},
    "documents": {"kind": "documents", "documents": [{"kind": "bao_cao_1", "deadline": DEADLINE},
                                                     {"kind": "bao_cao_2", "deadline": {"day": 30, "month": 6}}]},
    "count": {"kind": "count", "value": {"metric": "so_hop"}, "points_per_item": 1},
    "survey": {"kind": "survey"},
    "survey_questions": {"kind": "survey_questions", "questions": [
        {"id": "Q1", "text": "Công chức hướng dẫn đầy đủ?", "points": 2, "options": {"A": 100, "B": 50, "C": 0}},
        {"id": "Q2", "text": "Thời gian giải quyết đúng hẹn?", "points": 2, "options": {"A": 100, "B": 0}}]},
    "manual": {"kind": "manual"},
    "relative": {"kind": "relative", "value": RATIO},
}
CONDITION_EXAMPLES = {
    "cond_all": {"all_of": [{"fact": "co_a"}]},
    "cond_any": {"any_of": [{"fact": "co_a"}]},
    "cond_not": {"not": {"fact": "co_a"}},
    "cond_document": {"document": "ke_hoach"},
    "cond_fact": {"fact": "co_a"},
    "cond_compare": {"metric": "so_hop", "op": ">", "target": 1},
}
RULES = TypeAdapter(Rule)
CONDITIONS = TypeAdapter(Condition)
DOC = YamlDoc("bo-chi-so.yaml", {}, {}, "digest")


def _concrete(kind: type, part: str, base: type) -> bool:
    """The part is a method the kind (or a shared base of several kinds) defines, not the abstract declaration."""
    method = getattr(kind, part, None)
    return callable(method) and not getattr(method, "__isabstractmethod__", False) and method is not getattr(base, part)


@pytest.mark.parametrize("kind", RULE_KINDS, ids=kind_name)
def test_every_registered_rule_kind_has_every_part(kind):
    assert issubclass(kind, RuleKind) and not inspect.isabstract(kind)
    assert kind.__doc__, "the docstring is the kind's description in the JSON Schema"
    assert "kind" in kind.model_fields and kind.points_from in ("evidence", "manual", "survey")
    missing = [part for part in RULE_PARTS if not _concrete(kind, part, RuleKind)]
    assert missing == []
    assert kind_name(kind) in RULE_EXAMPLES, "add an example of the new kind to RULE_EXAMPLES"


@pytest.mark.parametrize("kind", CONDITION_KINDS, ids=lambda k: k.tag)
def test_every_registered_condition_kind_has_every_part(kind):
    assert issubclass(kind, ConditionKind) and not inspect.isabstract(kind)
    assert kind.keys and kind.tag and set(kind.keys) <= set(kind.model_fields) | {"not"}
    missing = [part for part in CONDITION_PARTS if not _concrete(kind, part, ConditionKind)]
    assert missing == []
    assert kind.tag in CONDITION_EXAMPLES, "add an example of the new kind to CONDITION_EXAMPLES"


def test_the_registries_name_each_kind_once_and_every_key_is_in_the_message():
    assert len(set(RULE_KIND_NAMES)) == len(RULE_KINDS) == len(RULE_EXAMPLES)
    assert len({k.tag for k in CONDITION_KINDS}) == len(CONDITION_KINDS) == len(CONDITION_EXAMPLES)
    keys = [key for kind in CONDITION_KINDS for key in kind.keys]
    assert sorted(keys) == sorted(CONDITION_KEYS) and len(set(keys)) == len(keys)


def test_the_schema_lists_exactly_the_registered_rule_kinds():
    rule = criteria_json_schema()["$defs"]["Node"]["properties"]["rule"]["anyOf"][0]
    assert sorted(rule["discriminator"]["mapping"]) == sorted(RULE_KIND_NAMES)
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in rule["oneOf"]] == [k.__name__ for k in RULE_KINDS]


@pytest.mark.parametrize("name", RULE_KIND_NAMES)
def test_each_rule_kind_works_through_its_parts(name):
    """Every part answers for a real instance: words, evidence names, point checks, and a scored outcome."""
    rule = RULES.validate_python(RULE_EXAMPLES[name])
    assert type(rule) is rule_kind(name)
    assert rule.describe(4, {}).strip() and rule.expected(4, {}, 2024).strip()
    assert all(isinstance(use, EvidenceUse) for use in rule.evidence())
    assert rule.point_problems(4, "1.1", DOC, ("rule",)) == []
    outcome = rule.score(4, Context(loaded_bundle(bundle_dict()).bundle, {}), "1.1")
    assert isinstance(outcome, Outcome)
    assert outcome.rule == rule.describe(4, {}) and outcome.expected == rule.expected(4, {}, 2024)
    assert (outcome.points, outcome.status) in ((0, "missing_evidence"), (0, "fail")), "an empty bundle is never a pass"


@pytest.mark.parametrize("tag", list(CONDITION_EXAMPLES))
def test_each_condition_kind_works_through_its_parts(tag):
    condition = CONDITIONS.validate_python(CONDITION_EXAMPLES[tag])
    assert condition.tag == tag and condition.describe({}).strip()
    result = condition.check(Context(loaded_bundle(bundle_dict()).bundle, {}))
    assert result.value in (None, False, True) and result.text == condition.describe({})


# ---------------------------------------------------------------- nothing slips through


class SecretRule(RuleKind):
    """A kind that is written but not registered."""

    kind: Literal["secret"]

    def evaluate(self, max_points, ctx, criterion):
        return Outcome(max_points, "pass", "luôn đạt")

    def describe(self, max_points, labels):
        return "luôn đạt"

    def expected(self, max_points, labels, year=None):
        return "không có"

    def evidence(self):
        return []

    def point_problems(self, top: float, owner: str, doc: YamlDoc, loc: Loc) -> list[Problem]:
        return []

    def remedies(self, max_points, ctx, current):
        return []


def test_an_unregistered_rule_kind_is_rejected_not_scored_as_another_kind():
    with pytest.raises(ValidationError) as caught:
        CriteriaSet.model_validate(criteria_dict({"kind": "secret"}))
    assert "secret" in str(caught.value)
    with pytest.raises(KeyError, match="secret"):
        rule_kind("secret")
    assert SecretRule not in RULE_KINDS


def test_a_kind_missing_a_part_cannot_be_created():
    class Forgetful(RuleKind):
        kind: Literal["forgetful"]

        def evaluate(self, max_points, ctx, criterion):
            return Outcome(0, "fail", "")

    with pytest.raises(TypeError, match="abstract"):
        Forgetful(kind="forgetful")

    class Vague(ConditionKind):
        keys = ("vague",)
        tag = "cond_vague"
        vague: str

    with pytest.raises(TypeError, match="abstract"):
        Vague(vague="x")

    class NoInverse(SecretRule):
        """Every part but the remedies: a new kind must compute them or declare it has none."""

        kind: Literal["no_inverse"]
        remedies = RuleKind.remedies

    with pytest.raises(TypeError, match="abstract"):
        NoInverse(kind="no_inverse")


def test_a_mapping_with_no_condition_key_is_reported_with_its_keys():
    with pytest.raises(ValidationError) as caught:
        CONDITIONS.validate_python({"fakt": "co_a"})
    assert ("điều kiện phải có một trong các khóa: metric, ratio, plan_tasks, fact, document, all_of, any_of, not; "
            "khóa không nhận ra: 'fakt'") in str(caught.value)


def test_shared_bases_are_not_kinds():
    assert JoinedCondition not in CONDITION_KINDS and JoinedConditionsRule not in RULE_KINDS
    assert inspect.isabstract(RuleKind) and inspect.isabstract(ConditionKind)


# ---------------------------------------------------------------- one list of names for validation, template and diff


def test_evidence_names_drive_validation_and_the_template_alike():
    """A document named only as a deadline anchor inside a `documents` rule is checked and put in the template."""
    rule = {"kind": "documents", "documents": [{"kind": "bao_cao_1", "deadline": {"after_document": "quyet_dinh",
                                                                                     "days": 30}}]}
    usage = evidence_usage(loaded_criteria(criteria_dict(rule)).criteria)
    assert usage.documents == {"bao_cao_1": ["1.1"], "quyet_dinh": ["1.1"]}
    assert usage.deadlines["bao_cao_1"] == ["30 ngày sau ngày ban hành quyet_dinh (1.1)"]
    data = criteria_dict(rule)
    data["catalog"] = {**CATALOG, "documents": {k: v for k, v in CATALOG["documents"].items() if k != "quyet_dinh"}}
    problems = meaning_problems(CriteriaSet.model_validate(data), YamlDoc("bo-chi-so.yaml", data, {}, "d"))
    assert [(p.path, p.value) for p in problems if not p.code.startswith("criteria.remediation")] == [
        ("items[0].children[0].rule.documents[0].deadline.after_document", "quyet_dinh")]


def test_evidence_paths_point_into_nested_conditions():
    rule = RULES.validate_python({"kind": "pass_fail", "condition": {"all_of": [
        {"fact": "co_a"}, {"not": {"ratio": ["da_xu_ly", "phai_xu_ly"], "op": ">", "target": 1}}]}})
    assert [(u.what, u.name, u.loc) for u in rule.evidence()] == [
        ("fact", "co_a", ("condition", "all_of", 0, "fact")),
        ("metric", "da_xu_ly", ("condition", "all_of", 1, "not", "ratio", 0)),
        ("metric", "phai_xu_ly", ("condition", "all_of", 1, "not", "ratio", 1)),
    ]


def test_diff_aspects_cover_what_the_rest_leaves_out():
    for name in ("tiers", "timeliness", "documents"):
        rule = RULES.validate_python(RULE_EXAMPLES[name])
        aspects = rule.diff_aspects({})
        assert aspects and all(a.field.startswith("rule.") for a in aspects)
        assert json.dumps(rule.diff_rest(), sort_keys=True) != json.dumps(rule.model_dump(mode="json"), sort_keys=True)


def test_a_penalty_pass_fail_reads_as_a_deduction():
    rule = RULES.validate_python({"kind": "pass_fail", "condition": {"fact": "co_a"}, "points_pass": 1})
    assert rule.describe_penalty(2, {"co_a": "Điều kiện A"}) == "Bị trừ 1 điểm khi Điều kiện A"
    manual = RULES.validate_python({"kind": "manual"})
    assert manual.describe_penalty(2, {}) == "Điểm trừ (tối đa 2 điểm): " + manual.describe(2, {})


def test_survey_exclusion_lives_in_the_survey_kind():
    result = leaf({"kind": "survey"}, when_survey_missing="exclude")
    assert (result.status, result.applicable) == ("not_applicable", False)
    assert leaf({"kind": "survey"}).status == "missing_evidence"
