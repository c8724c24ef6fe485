"""The plan under a budget: the knapsack is exact (equal to brute force), deterministic, and its points are the engine's."""

from __future__ import annotations

import itertools
import json
from datetime import date

from conftest import SAMPLE_CRITERIA, SAMPLE_EVIDENCE
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cli
from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.score.optimise import knapsack, plan_block, plan_unit
from engine.score.unit import score_unit
from engine.score.whatif import changed_bundle

runner = CliRunner()
ITEMS = st.lists(st.tuples(st.integers(1, 8), st.integers(0, 50)), min_size=0, max_size=9)


def _brute(weights, gains, capacity):
    """The best (points, -effort) over every subset."""
    best = (0, 0)
    for size in range(len(weights) + 1):
        for subset in itertools.combinations(range(len(weights)), size):
            weight = sum(weights[i] for i in subset)
            if weight <= capacity:
                best = max(best, (sum(gains[i] for i in subset), -weight))
    return best


@settings(max_examples=300, deadline=None)
@given(items=ITEMS, capacity=st.integers(0, 30))
def test_knapsack_equals_brute_force_on_small_cases(items, capacity):
    weights = [w for w, _ in items]
    gains = [g for _, g in items]
    most = capacity + 2
    values = [g * (most + 1) - w for w, g in items]
    chosen, best = knapsack(weights, values, most, capacity)
    assert sum(weights[i] for i in chosen) <= capacity
    points, effort = sum(gains[i] for i in chosen), sum(weights[i] for i in chosen)
    assert (points, -effort) == _brute(weights, gains, capacity)
    assert chosen == knapsack(weights, values, most, capacity)[0]  # the same inputs give the same plan
    for room in (capacity, most):
        assert best[room] == max(0, _brute(weights, gains, room)[0] * (most + 1) + _brute(weights, gains, room)[1])


def _sample():
    return load_criteria(SAMPLE_CRITERIA), load_bundles([SAMPLE_EVIDENCE])


def test_a_unit_plan_gains_what_the_engine_gives_its_changes_and_respects_the_budget():
    loaded, bundles = _sample()
    by = date(2024, 6, 30)
    for evidence in bundles:
        plan, _, baseline = plan_unit(loaded, evidence, 10, by)
        assert plan.effort_used <= 10
        changes = [c for item in plan.chosen for c in item.changes]
        after = score_unit(loaded, changed_bundle(changed_bundle(evidence, [], by), changes))
        assert plan.points_gained == round(after.points - baseline.points, 2)
        assert abs(plan.points_gained - sum(i.gain for i in plan.chosen)) < 1e-6
        assert all(item.reason for item in plan.left_out)
        assert {i.criterion for i in plan.chosen}.isdisjoint({i.criterion for i in plan.left_out})


def test_no_budget_chooses_nothing_and_a_late_cutoff_leaves_late_tasks_out():
    loaded, bundles = _sample()
    evidence = next(b for b in bundles if b.bundle.unit.id == "phuong-8")
    plan, _, _ = plan_unit(loaded, evidence, 0, date(2024, 12, 31))
    assert plan.chosen == [] and plan.points_gained == 0
    soon, _, _ = plan_unit(loaded, evidence, 100, date(2024, 3, 10))
    reasons = {i.criterion: i.reason for i in soon.left_out}
    assert "sau ngày chốt 10/03/2024" in reasons["3.5.1"]  # 30 days lead time: 30/03/2024


def test_block_actions_rank_by_mean_index_and_band_moves_deterministically():
    loaded, bundles = _sample()
    first = plan_block(loaded, bundles, 10, date(2024, 6, 30))
    second = plan_block(loaded, list(reversed(bundles)), 10, date(2024, 6, 30))
    assert first == second
    gains = [a.mean_index_gain for a in first.by_mean_index]
    assert gains == sorted(gains, reverse=True) and gains
    assert all(a.units_up_a_band > 0 for a in first.by_band_moves)


def test_cli_plan_budget_json_and_text():
    result = runner.invoke(cli.app, ["plan", "--budget", "10", "--by", "30/06/2024", "--unit", "phuong-8", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    unit = data["units"][0]
    assert unit["unit_id"] == "phuong-8" and unit["chosen"][0]["criterion"] == "3.5.1"
    assert {"points_gained", "index_gained", "marginal_gain_per_day", "left_out"} <= set(unit)
    text = runner.invoke(cli.app, ["plan", "--budget", "10", "--by", "30/06/2024", "--unit", "phuong-8"])
    assert "Thêm 1 ngày công" in text.output and "Không chọn:" in text.output
    bad = runner.invoke(cli.app, ["plan", "--budget", "-1", "--by", "31/02/2024", "--unit", "x"])
    assert bad.exit_code == 2 and "--budget" in bad.output and "không tồn tại" in bad.output
