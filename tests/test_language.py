"""The criteria language for real provincial sets (issue 15): bands with gaps, blocks, scorers, rounding, targets.

Survey questions, relative rules, block statistics and the new case expectations have their own files
(test_survey_questions.py, test_relative.py, test_statistics.py, test_case_expectations.py).
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from conftest import CATALOG, RATIO, bundle_dict, criteria_dict, leaf, loaded_bundle, loaded_criteria, node, score
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from cli import app

from engine.core.vnformat import round_half_up, truncate
from engine.core.yamlsource import YamlDoc
from engine.kinds.tree import CriteriaSet, allowed_scorers, scorers_by_item
from engine.load.criteria import check_criteria_file
from engine.load.meaning import meaning_problems
from engine.model.criteria import BAND_CODES, Band, Rounder, RoundingStages, band_for, intervals_problems
from engine.model.results import RunResult
from engine.render.text import explain_text, ranking_table, statistics_text
from engine.score.run import score_run
from engine.score.unit import score_unit

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PASS_A = {"kind": "pass_fail", "condition": {"fact": "co_a"}}


def problems_of(data: dict) -> list:
    return meaning_problems(CriteriaSet.model_validate(data), YamlDoc("bo-chi-so.yaml", data, {}, "d"))


def codes(data: dict) -> list[tuple[str | None, str | None]]:
    return [(p.code, p.path) for p in problems_of(data)]


# ---------------------------------------------------------------- 1. bands need not cover 0–100


NATIONAL = [{"label": "Nhóm A", "min": 90, "max": 100, "max_inclusive": True}, {"label": "Nhóm B", "min": 80, "max": 90}]


def test_bands_with_a_gap_validate_and_an_index_in_the_gap_is_unclassified():
    data = criteria_dict(PASS_A, bands=NATIONAL, sibling={"id": "1.2", "title": "Khác", "max_points": 1, "rule": {
        "kind": "pass_fail", "condition": {"fact": "co_b"}}})
    assert problems_of(data) == []
    loaded = loaded_criteria(data)
    units = [loaded_bundle(bundle_dict(unit_id=f"u{i}", metrics=facts)) for i, facts in
             enumerate([{"co_a": 1, "co_b": 1}, {"co_a": 1, "co_b": 0}, {"co_a": 0, "co_b": 0}])]
    run = score_run(loaded, units, "bo-chi-so.yaml")
    assert [(u.index_pct, u.band) for u in run.units] == [(100, "Nhóm A"), (80, "Nhóm B"), (0, None)]
    [stats] = run.statistics
    assert [(b.label, b.units) for b in stats.bands] == [("Nhóm A", 1), ("Nhóm B", 1)] and stats.unclassified == 1
    assert "Nhóm A 1, Nhóm B 1, không xếp loại 1" in statistics_text(run)
    table = ranking_table(run)
    assert list(table.columns[5].cells)[-1].plain == "không xếp loại"


def test_overlapping_bands_are_still_an_error_with_their_code():
    bands = NATIONAL + [{"label": "Nhóm C", "min": 70, "max": 85}]
    assert ("criteria.band_overlap", "bands[1]") in codes(criteria_dict(PASS_A, bands=bands))
    empty = [{"label": "Rỗng", "min": 50, "max": 40}]
    assert codes(criteria_dict(PASS_A, bands=empty)) == [("criteria.band_empty", "bands[0]")]


BOUNDS = st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100), st.booleans(), st.booleans()), min_size=1,
                  max_size=5)


@PROPERTY
@given(BOUNDS, st.lists(st.floats(0, 100, allow_nan=False) | st.integers(0, 100), min_size=1, max_size=20))
def test_bands_the_checker_accepts_hold_every_index_at_most_once(bounds, indices):
    """Whatever bands an author writes, if validation finds no overlap, no index is in two bands (gaps allowed)."""
    bands = [Band(label=f"B{i}", min=lo, max=hi, min_inclusive=a, max_inclusive=b)
             for i, (lo, hi, a, b) in enumerate(bounds)]
    doc = YamlDoc("x.yaml", {}, {}, "d")
    found = intervals_problems(bands, 0, 100, doc, ("bands",), "bands", "%", BAND_CODES, allow_gaps=True)
    assert all(p.code in ("criteria.band_overlap", "criteria.band_empty") for p in found)
    if not found:
        for index in indices + [b.min for b in bands] + [b.max for b in bands]:
            assert sum(b.contains(index) for b in bands) <= 1
            assert band_for(bands, index) in [None] + [b.label for b in bands if b.contains(index)]


# ---------------------------------------------------------------- 2. blocks


def blocks_set(**changes) -> dict:
    """Area 1 for every block; area 2 for districts only; districts' maximum 10 and their own bands."""
    data = {
        "id": "khoi-thu", "title": "Bộ chỉ số hai khối", "level": "xa", "year": 2024, "max_points": 5,
        "catalog": copy.deepcopy(CATALOG),
        "blocks": {
            "xa": {"label": "Khối xã", "bands": [{"label": "Tốt", "min": 80, "max": 100, "max_inclusive": True}]},
            "huyen": {"label": "Khối huyện", "max_points": 10,
                      "bands": [{"label": "Tốt", "min": 90, "max": 100, "max_inclusive": True},
                                {"label": "Khá", "min": 50, "max": 90}]},
        },
        "items": [
            {"id": "1", "title": "Chung", "children": [{"id": "1.1", "title": "A", "max_points": 5, "rule": PASS_A}]},
            {"id": "2", "title": "Tác động", "applies_to": ["huyen"], "children": [
                {"id": "2.1", "title": "B", "max_points": 5, "rule": {"kind": "pass_fail", "condition": {"fact": "co_b"}}}]},
        ],
    }
    data.update(changes)
    return data


def unit_of(level: str, **facts) -> dict:
    data = bundle_dict(unit_id=f"dv-{level}", metrics=facts)
    data["unit"]["level"] = level
    return data


def test_each_block_has_its_areas_maximum_bands_and_is_named_in_the_result():
    loaded = loaded_criteria(blocks_set())
    commune = score_unit(loaded, loaded_bundle(unit_of("xa", co_a=1, co_b=1)))
    district = score_unit(loaded, loaded_bundle(unit_of("huyen", co_a=1, co_b=0)))
    assert [a.id for a in commune.areas] == ["1"] and "2.1" not in [n.id for n in commune.nodes]
    assert (commune.total_max_points, commune.index_pct, commune.band, commune.block) == (5, 100, "Tốt", "Khối xã")
    assert [a.id for a in district.areas] == ["1", "2"]
    assert (district.total_max_points, district.index_pct, district.band, district.block) == (10, 50, "Khá", "Khối huyện")
    assert explain_text(district, "2").splitlines()[1] == "Chấm theo khối: Khối huyện (cấp huyen), điểm tối đa 10"
    assert commune.model_dump(mode="json")["block"] == "Khối xã"


def test_a_set_without_blocks_writes_no_block_field():
    result = score(PASS_A)
    assert result.block is None and "block" not in result.model_dump(mode="json")


@pytest.mark.parametrize("change, expected", [
    ({"blocks": {"xa": {"label": "Khối xã", "bands": NATIONAL}, "huyen": {"label": "Khối huyện", "max_points": 10}}},
     ("criteria.block_without_bands", "blocks.huyen")),
    ({"bands": NATIONAL}, ("criteria.bands_twice", "bands")),
    ({"level": "tinh"}, ("criteria.unknown_level", "level")),
    ({"blocks": {"xa": {"label": "Khối xã"}, "huyen": {"label": "Khối huyện", "max_points": 12}}},
     ("criteria.block_points_sum", "blocks.huyen.max_points")),
    ({"blocks": {"xa": {"label": "Khối xã", "survey_points": 2}, "huyen": {"label": "Khối huyện", "max_points": 10}}},
     ("criteria.block_survey_sum", "blocks.xa.survey_points")),
])
def test_block_mistakes_are_reported_at_their_place(change, expected):
    found = codes(blocks_set(**change))
    assert expected in found, found


def test_an_item_for_an_undeclared_level_or_outside_its_parent_is_an_error():
    data = blocks_set()
    data["items"][1]["children"][0]["applies_to"] = ["xa"]
    data["items"][0]["children"][0]["levels"] = {"so": 2}
    found = codes(data)
    assert ("criteria.applies_to_outside_parent", "items[1].children[0].applies_to") in found
    assert ("criteria.unknown_level", "items[0].children[0].levels.so") in found


def test_blocks_survive_tailoring_and_refine_applies_to(tmp_path):
    base = tmp_path / "khoi.yaml"
    base.write_text(yaml.safe_dump(blocks_set(), allow_unicode=True), encoding="utf-8")
    child = tmp_path / "khoi-2.yaml"
    child.write_text('extends: khoi.yaml\nid: khoi-2\nrefine:\n  "2": {applies_to: [xa, huyen]}\n', encoding="utf-8")
    _, problems = check_criteria_file(child)
    assert [p.code for p in problems] == ["criteria.block_points_sum"]
    assert problems[0].file == str(child) and "khối 'xa'" in problems[0].message


# ---------------------------------------------------------------- 3. who scores


MANUAL = {"kind": "manual"}


def manual_entry(role: str | None = None, points: float = 2) -> dict:
    entry = {"criterion": "1.1", "points": points, "by": "Người chấm", "justification": "Theo hồ sơ"}
    return entry | ({"role": role} if role else {})


def test_scored_by_lets_only_the_named_roles_score():
    council = {"scored_by": ["council"]}
    assert leaf(MANUAL, bundle_dict(manual=[manual_entry("council")]), leaf=council).points == 2
    refused = leaf(MANUAL, bundle_dict(manual=[manual_entry("unit")]), leaf=council)
    assert (refused.points, refused.status) == (0, "data_error")
    assert refused.explanation.problems == ["điểm tiêu chí 1.1 do Người chấm (đơn vị) chấm nhưng tiêu chí này do "
                                            "hội đồng thẩm định chấm"]
    assert leaf(MANUAL, bundle_dict(manual=[manual_entry()]), leaf=council).points == 2, "an entry without a role is kept"
    assert leaf(MANUAL, bundle_dict(manual=[manual_entry("council")]), leaf=council).explanation.rule.endswith(
        "; người chấm: hội đồng thẩm định")


def test_default_scorers_follow_the_rule_kind_and_a_parent_names_them_for_its_children():
    data = criteria_dict(MANUAL, sibling={"id": "1.2", "title": "Khảo sát", "max_points": 2, "rule": {"kind": "survey"}})
    data["items"][0]["scored_by"] = ["leaders"]
    data["items"][0]["children"][1]["scored_by"] = ["survey"]
    scorers = scorers_by_item(CriteriaSet.model_validate(data))
    assert scorers == {"1.1": (("leaders",), True), "1.2": (("survey",), True)}
    assert allowed_scorers(CriteriaSet.model_validate(criteria_dict(PASS_A)).items[0].children[0].rule, None) == (
        "appraiser", "council")


@pytest.mark.parametrize("rule, roles, code", [
    (MANUAL, ["survey"], "criteria.scorer_survey_role"),
    ({"kind": "survey"}, ["council"], "criteria.scorer_survey_only"),
    (PASS_A, ["unit"], "criteria.scorer_unit_on_evidence"),
])
def test_scorers_that_do_not_fit_the_rule_are_errors(rule, roles, code):
    data = criteria_dict(rule, leaf={"scored_by": roles})
    assert (code, "items[0].children[0].scored_by") in codes(data)


def test_a_parents_scorers_are_checked_against_its_leaves_and_reported_once_at_the_parent():
    data = criteria_dict(PASS_A, sibling={"id": "1.2", "title": "Khác", "max_points": 1, "rule": PASS_A})
    data["items"][0]["scored_by"] = ["unit"]
    assert codes(data) == [("criteria.scorer_unit_on_evidence", "items[0].scored_by")]


# ---------------------------------------------------------------- 4. rounding


TWO_THIRDS = bundle_dict(metrics={"da_xu_ly": 2, "phai_xu_ly": 3})


@pytest.mark.parametrize("method, points, index", [
    ("half_up", 0.67, 67.0),
    ("truncate", 0.66, 66.0),
    ({"leaf": "none", "total": "none", "index": "truncate"}, 2 / 3, 66.66),
    ({"leaf": "half_up", "total": "half_up", "index": "truncate"}, 0.67, 67.0),
])
def test_rounding_method_and_stage(method, points, index):
    result = score({"kind": "proportional", "value": RATIO}, TWO_THIRDS, max_points=1, rounding_method=method)
    assert (node(result).points, result.index_pct) == (pytest.approx(points, abs=1e-12), index)


def test_a_published_share_reproduces_only_with_truncation():
    """Seed 003 (Vũng Tàu city, Q1/2024): 41 of 267 procedures 'chiếm 15,35%'; half-up would give 15,36%."""
    published = bundle_dict(metrics={"da_xu_ly": 41, "phai_xu_ly": 267})
    rule = {"kind": "proportional", "value": RATIO}
    exact = {"leaf": "none", "total": "none"}
    truncated = score(rule, published, max_points=12, rounding_method=exact | {"index": "truncate"})
    rounded = score(rule, published, max_points=12, rounding_method=exact | {"index": "half_up"})
    assert (truncated.index_pct, rounded.index_pct) == (15.35, 15.36)


def test_an_unknown_rounding_method_is_a_schema_error():
    with pytest.raises(Exception, match="rounding_method"):
        CriteriaSet.model_validate(criteria_dict(PASS_A, rounding_method="ceiling"))


@PROPERTY
@given(st.floats(0, 1e6, allow_nan=False), st.integers(0, 4))
def test_truncation_never_exceeds_half_up_and_is_within_one_step(value, decimals):
    cut, rounded = truncate(value, decimals), round_half_up(value, decimals)
    step = 10 ** -decimals
    assert cut <= rounded + 1e-9
    assert -1e-9 <= value - cut < step + 1e-6
    assert abs(round(cut / step) * step - cut) < 1e-6


def test_the_rounder_applies_each_stage_its_own_method():
    rnd = Rounder(1, RoundingStages(leaf="truncate", total="none", index="half_up"))
    assert (rnd.leaf(1.29), rnd.total(1.29), rnd.index(1.25)) == (1.2, 1.29, 1.3)
    assert Rounder(2, "truncate").index(57.99999999999999) == 58.0, "float noise never truncates a whole value down"


# ---------------------------------------------------------------- 6. target then proportional


TARGET = {"kind": "proportional", "value": RATIO, "target": 80}


@pytest.mark.parametrize("done, points, status", [(80, 4, "pass"), (95, 4, "pass"), (79, 3.95, "partial"),
                                                  (40, 2, "partial"), (0, 0, "fail")])
def test_target_gives_full_points_from_the_target_and_a_share_below(done, points, status):
    result = leaf(TARGET, bundle_dict(metrics={"da_xu_ly": done, "phai_xu_ly": 100}))
    assert (result.points, result.status) == (points, status)


def test_target_with_a_floor_and_on_a_plain_metric():
    floor = leaf(TARGET | {"floor": 50}, bundle_dict(metrics={"da_xu_ly": 49, "phai_xu_ly": 100}))
    assert (floor.points, floor.status) == (0, "fail")
    count = leaf({"kind": "proportional", "value": {"metric": "so_hop"}, "target": 8}, bundle_dict(metrics={"so_hop": 6}))
    assert count.points == 3 and count.explanation.branch == "6 / chỉ tiêu 8 × 4 điểm = 3 điểm"
    assert count.explanation.expected == "từ 8 trở lên để đạt 4 điểm"


@pytest.mark.parametrize("rule, message", [
    ({"kind": "proportional", "value": {"metric": "so_hop"}}, "hoặc một mức chỉ tiêu target"),
    (TARGET | {"target": 120}, "chỉ tiêu 120% vượt 100%"),
    (TARGET | {"floor": 90}, "ngưỡng tối thiểu (floor) 90 lớn hơn chỉ tiêu (target) 80"),
])
def test_target_mistakes_are_rejected(rule, message):
    with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
        CriteriaSet.model_validate(criteria_dict(rule))


@PROPERTY
@given(st.integers(0, 100), st.integers(0, 100), st.integers(1, 100))
def test_target_points_stay_within_bounds_and_never_drop_as_the_value_rises(low, high, target):
    low, high = sorted((low, high))
    rule = {"kind": "proportional", "value": RATIO, "target": target}
    points = [leaf(rule, bundle_dict(metrics={"da_xu_ly": done, "phai_xu_ly": 100})).points for done in (low, high)]
    assert 0 <= points[0] <= points[1] <= 4
    assert (points[1] == 4) == (high >= target)


def test_run_result_keeps_its_shape_without_new_options():
    """Fields only some runs have are left out of the JSON of the others (no nulls added to existing outputs)."""
    fields = RunResult.model_fields
    assert {"statistics", "previous"} <= set(fields)


# ---------------------------------------------------------------- acceptance: what parindex validate catches


ACCEPTANCE_SET = """\
id: bo-loi
title: Bộ chỉ số có lỗi
level: xa
year: 2024
max_points: 10
survey_points: 4
scored_alone: true
blocks:
  xa:
    label: Khối xã
    bands:
      - {label: Tốt, min: 80, max: 100, max_inclusive: true}
      - {label: Khá, min: 70, max: 85}
  huyen:
    label: Khối huyện
catalog:
  metrics:
    da_xu_ly: {label: Số việc đã xử lý}
    phai_xu_ly: {label: Số việc phải xử lý}
items:
  - id: "1"
    title: Lĩnh vực
    children:
      - id: "1.1"
        title: So với đơn vị cao nhất khối
        max_points: 6
        rule: {kind: relative, value: {ratio: [da_xu_ly, phai_xu_ly]}}
      - id: "1.2"
        title: Hài lòng
        max_points: 4
        rule:
          kind: survey_questions
          groups:
            - {id: dan, label: Người dân, weight: 70}
            - {id: dn, label: Doanh nghiệp, weight: 40}
          questions:
            - {id: C1, text: Hài lòng không, points: 4, options: {A: 100, B: 50}}
"""


def test_validate_catches_the_new_mistakes_with_file_and_line(tmp_path):
    path = tmp_path / "bo-loi.yaml"
    path.write_text(ACCEPTANCE_SET, encoding="utf-8")
    lines = ACCEPTANCE_SET.splitlines()

    def line_of(needle: str) -> int:
        return next(i for i, text in enumerate(lines, start=1) if needle in text)

    result = CliRunner().invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 2
    found = {(p["code"], p["line"]) for p in json.loads(result.output)["problems"]}
    assert found == {
        ("criteria.band_overlap", line_of("{label: Tốt")),
        ("criteria.block_without_bands", line_of("  huyen:")),
        ("criteria.survey_group_weights", line_of("groups:")),
        ("criteria.relative_scored_alone", line_of("kind: relative")),
    }
    text = CliRunner().invoke(app, ["validate", str(path)]).output
    assert f"bo-loi.yaml [items[0].children[1].rule.groups, dòng {line_of('groups:')}]: trọng số các nhóm cộng lại " \
           "110%, vượt 100%" in text
