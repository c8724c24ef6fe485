"""Rules relative to the best unit of the block: the run reads every unit's value first, each unit is then scored
against its block; a unit scored alone is missing evidence, never full points."""

from __future__ import annotations

import pytest
from conftest import RATIO, bundle_dict, criteria_dict, loaded_bundle, loaded_criteria, node, write_yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from engine import api
from engine.core.yamlsource import YamlDoc
from engine.kinds.tree import CriteriaSet
from engine.load.meaning import meaning_problems
from engine.render.text import explain_text
from engine.score.run import block_peers, score_run
from engine.score.unit import score_unit

PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BEST = {"kind": "relative", "value": RATIO}
RANK = {"kind": "relative", "value": RATIO, "method": "rank", "shares": [100, 75, 50]}


def unit(unit_id: str, done: float | None, total: float = 100, level: str = "xa", **keys):
    metrics = {} if done is None else {"da_xu_ly": done, "phai_xu_ly": total}
    data = bundle_dict(unit_id=unit_id, name=f"UBND {unit_id}", metrics=metrics, **keys)
    data["unit"]["level"] = level
    return loaded_bundle(data)


def run_of(rule: dict, units, **criteria_kwargs):
    loaded = loaded_criteria(criteria_dict(rule, **criteria_kwargs))
    return {u.unit_id: node(u) for u in score_run(loaded, list(units), "bo-chi-so.yaml").units}


def test_points_are_the_share_of_the_best_unit_and_the_explanation_names_it():
    results = run_of(BEST, [unit("a", 80), unit("b", 60), unit("c", 20)])
    assert {k: (r.points, r.status) for k, r in results.items()} == {"a": (4, "pass"), "b": (3, "partial"), "c": (1, "partial")}
    exp = results["b"].explanation
    assert exp.branch == "60% / 80% (cao nhất khối: UBND a) × 4 điểm = 3 điểm"
    assert ("giá trị cao nhất khối", "80%", "UBND a") in [(o.name, o.value, o.ref) for o in exp.observed]
    assert exp.rule == "Điểm = tỷ lệ Số việc đã xử lý / Số việc phải xử lý (%) / giá trị cao nhất trong khối × 4 điểm"


def test_units_without_a_value_or_not_applicable_are_left_out_of_the_block():
    na = {"not_applicable": "exclude"}
    declared = [{"criterion": "1.1", "justification": "Không phát sinh", "by": "UBND"}]
    results = run_of(BEST, [unit("a", 50), unit("b", 40), unit("c", None), unit("d", 90, not_applicable=declared)], leaf=na)
    assert results["a"].points == 4 and results["b"].points == 3.2
    assert results["c"].status == "missing_evidence" and results["d"].status == "not_applicable"


def test_a_unit_alone_in_its_block_is_missing_evidence_never_full_points():
    results = run_of(BEST, [unit("a", 80), unit("b", 60, level="huyen")], leaf={"levels": {"xa": 4, "huyen": 4}})
    for result in results.values():
        assert (result.points, result.status) == (0, "missing_evidence")
        assert "khối chỉ có 1 đơn vị có số liệu" in result.explanation.branch
    loaded = loaded_criteria(criteria_dict(BEST))
    alone = node(score_unit(loaded, unit("a", 80)))
    assert (alone.points, alone.status) == (0, "missing_evidence") and "chấm riêng lẻ" in alone.explanation.branch


def test_nobody_above_zero_gets_nothing():
    results = run_of(BEST, [unit("a", 0), unit("b", 0)])
    assert {r.points for r in results.values()} == {0} and results["a"].status == "fail"


def test_rank_shares_with_ties_sharing_the_better_rank():
    results = run_of(RANK, [unit("a", 90), unit("b", 90), unit("c", 70), unit("d", 10)])
    assert {k: r.points for k, r in results.items()} == {"a": 4, "b": 4, "c": 2, "d": 0}
    assert results["c"].explanation.branch == "hạng 3 trong khối → 50% × 4 điểm = 2 điểm"


def test_block_peers_reads_each_block_separately():
    loaded = loaded_criteria(criteria_dict(BEST, leaf={"levels": {"xa": 4, "huyen": 4}}))
    peers = block_peers(loaded, [unit("a", 80), unit("b", 60, level="huyen"), unit("c", 40)])
    assert {level: [(p.unit_id, p.value) for p in by["1.1"]] for level, by in peers.items()} == {
        "xa": [("a", 80), ("c", 40)], "huyen": [("b", 60)]}


def codes(data: dict) -> list[tuple[str | None, str | None]]:
    return [(p.code, p.path) for p in meaning_problems(CriteriaSet.model_validate(data), YamlDoc("x", data, {}, "d"))]


def test_a_relative_rule_in_a_set_scored_one_unit_at_a_time_is_an_error():
    assert codes(criteria_dict(BEST, scored_alone=True)) == [("criteria.relative_scored_alone",
                                                              "items[0].children[0].rule.kind")]
    data = criteria_dict({"kind": "pass_fail", "condition": {"fact": "co_a"}})
    data["adjustments"] = [{"id": "T1", "title": "Thưởng", "kind": "bonus", "max_points": 1, "rule": BEST}]
    assert ("criteria.relative_adjustment", "adjustments[0].rule.kind") in codes(data)


@pytest.mark.parametrize("shares, code", [([100, 120], "criteria.relative_share"), ([50, 75], "criteria.relative_share_order")])
def test_rank_shares_within_100_and_never_rising(shares, code):
    assert codes(criteria_dict(RANK | {"shares": shares})) == [(code, "items[0].children[0].rule.shares[1]")]


def test_rank_needs_shares_and_shares_need_rank():
    with pytest.raises(Exception, match="cần shares"):
        CriteriaSet.model_validate(criteria_dict({"kind": "relative", "value": RATIO, "method": "rank"}))
    with pytest.raises(Exception, match="shares chỉ dùng với method: rank"):
        CriteriaSet.model_validate(criteria_dict(BEST | {"shares": [100]}))


def test_explain_of_a_relative_criterion_names_the_best_unit_and_its_value():
    loaded = loaded_criteria(criteria_dict(BEST))
    run = score_run(loaded, [unit("a", 75), unit("b", 50)], "bo-chi-so.yaml")
    text = explain_text(run.unit("b"), "1.1")
    assert "Thực tế: giá trị cao nhất khối = 75% [UBND a]" in text
    assert "Kết luận: 50% / 75% (cao nhất khối: UBND a) × 4 điểm = 2,67 điểm" in text


@PROPERTY
@given(st.lists(st.integers(0, 100), min_size=2, max_size=6))
def test_points_within_bounds_and_the_best_unit_gets_the_maximum(values):
    results = run_of(BEST, [unit(f"u{i}", v) for i, v in enumerate(values)])
    best = max(values)
    for i, value in enumerate(values):
        result = results[f"u{i}"]
        assert 0 <= result.points <= 4
        if best > 0 and value == best:
            assert result.points == 4
        assert (result.points == 0) == (value == 0 or best == 0) or result.points <= 0.005
    order = sorted(range(len(values)), key=lambda i: values[i])
    points = [results[f"u{i}"].points for i in order]
    assert points == sorted(points), "a higher value never scores less"


def test_one_unit_scored_from_a_folder_is_still_compared_with_its_block(tmp_path):
    """explain and gaps score only the unit shown; its relative criterion still sees the others' values."""
    criteria = write_yaml(tmp_path / "bo-chi-so.yaml", criteria_dict(BEST))
    for unit_id, done in (("a", 80), ("b", 60)):
        write_yaml(tmp_path / "minh-chung" / f"{unit_id}.yaml",
                   bundle_dict(unit_id=unit_id, name=f"UBND {unit_id}", metrics={"da_xu_ly": done, "phai_xu_ly": 100}))
    alone = api.score_files(criteria, [tmp_path / "minh-chung"], only="b")
    assert [u.unit_id for u in alone.units] == ["b"]
    assert (node(alone.units[0]).points, node(alone.units[0]).status) == (3, "partial")
