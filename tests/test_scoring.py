"""Scoring a unit and a run: sums at every node, index, bands, ranking, deterministic JSON, corrective tasks."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import (
    SAMPLE_CRITERIA,
    SAMPLE_EVIDENCE,
    bundle_dict,
    criteria_dict,
    loaded_bundle,
    loaded_criteria,
    node,
    score,
)

from engine.core.problems import InputError
from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.render.data import to_json
from engine.render.text import lost_points, not_due_points
from engine.score.run import score_run
from engine.score.unit import score_unit

SAMPLE_BANDS = [
    {"label": "Xuất sắc", "min": 90, "max": 100, "max_inclusive": True},
    {"label": "Tốt", "min": 80, "max": 90},
    {"label": "Khá", "min": 70, "max": 80},
    {"label": "Trung bình", "min": 50, "max": 70},
    {"label": "Yếu", "min": 0, "max": 50},
]


def manual(points: float, unit_id: str = "don-vi-a", **keys) -> dict:
    entry = {"criterion": "1.1", "points": points, "by": "Hội đồng", "justification": "Theo hồ sơ"}
    return bundle_dict(unit_id=unit_id, manual=[entry], **keys)


# ---------------------------------------------------------------- sums, index


def test_every_parent_is_the_sum_of_its_children(sample_run):
    for unit in sample_run.units:
        by_id = {n.id: n for n in unit.nodes}
        for parent in (n for n in unit.nodes if not n.is_leaf):
            children = [n for n in unit.nodes if n.parent == parent.id]
            assert children, parent.id
            assert parent.points == pytest.approx(sum(c.points for c in children), abs=1e-9), (unit.unit_id, parent.id)
            assert parent.max_points == pytest.approx(sum(c.max_points for c in children)), (unit.unit_id, parent.id)
            assert parent.applicable == any(c.applicable for c in children)
        for child in unit.nodes:
            if child.parent is not None:
                assert by_id[child.parent].depth == child.depth - 1
            assert 0 <= child.points <= child.max_points


def test_unit_totals_and_index(sample_run):
    for unit in sample_run.units:
        areas = [n for n in unit.nodes if n.depth == 0]
        assert [a.id for a in unit.areas] == [a.id for a in areas] == ["1", "2", "3", "4", "5", "6", "7", "8"]
        assert unit.points == pytest.approx(max(0.0, sum(a.points for a in unit.areas) + unit.bonus - unit.penalty))
        assert unit.max_points == pytest.approx(sum(a.max_points for a in unit.areas))
        assert unit.total_max_points == 100
        assert unit.index_pct == round(unit.points / unit.max_points * 100, 2)
        for area in unit.areas:
            expected = None if area.max_points == 0 else round(area.points / area.max_points * 100, 2)
            assert area.index_pct == expected
            assert area.points == next(n.points for n in areas if n.id == area.id)


def test_sample_values_phuong_1(sample_run):
    """The survey has not run (when_survey_missing: exclude): index over the 75 self-assessed points."""
    unit = sample_run.unit("phuong-1")
    assert (unit.points, unit.max_points, unit.index_pct, unit.band, unit.rank) == (59.58, 75, 79.44, "Khá", 1)
    assert [(n.status, n.applicable) for n in unit.nodes if n.id in ("8.1.1", "8.2.1")] == [("not_applicable", False)] * 2
    area_1 = unit.areas[0]
    assert (area_1.points, area_1.max_points, area_1.index_pct) == (8, 13, 61.54)


def test_missing_plan_scores_zero_and_is_penalised_in_the_sample(sample_run):
    unit = sample_run.unit("xa-long-son")
    assert (node(unit, "1.1.1").points, node(unit, "1.1.1").status) == (0, "missing_evidence")
    assert unit.penalty == 1
    assert unit.points == pytest.approx(sum(a.points for a in unit.areas) - 1)


def test_index_basis_total_uses_the_set_maximum():
    sibling = {"id": "1.2", "title": "Khác", "max_points": 6, "not_applicable": "exclude",
               "rule": {"kind": "pass_fail", "condition": {"fact": "co_a"}}}
    declared = [{"criterion": "1.2", "justification": "Không giao", "by": "A"}]
    applicable = score({"kind": "manual"}, manual(2, not_applicable=declared), max_points=4, sibling=sibling)
    total = score({"kind": "manual"}, manual(2, not_applicable=declared), max_points=4, sibling=sibling, index_basis="total")
    assert (applicable.max_points, applicable.index_pct) == (4, 50)
    assert (total.max_points, total.index_pct) == (4, 20)


# ---------------------------------------------------------------- bands


@pytest.mark.parametrize("points, band", [
    (100, "Xuất sắc"), (90, "Xuất sắc"), (89.99, "Tốt"), (80, "Tốt"), (79.99, "Khá"), (70, "Khá"), (50, "Trung bình"),
    (49.99, "Yếu"), (0, "Yếu"),
])
def test_band_boundaries(points, band):
    unit = score({"kind": "manual"}, manual(points), max_points=100, bands=SAMPLE_BANDS)
    assert (unit.index_pct, unit.band) == (points, band)


def test_index_above_100_with_bonus_keeps_the_top_band():
    bonus = {"id": "T1", "title": "Thưởng", "kind": "bonus", "max_points": 2,
             "rule": {"kind": "pass_fail", "condition": {"fact": "co_a"}}}
    unit = score({"kind": "manual"}, manual(100, metrics={"co_a": 1}), max_points=100, bands=SAMPLE_BANDS,
                 adjustments=[bonus])
    assert (unit.points, unit.index_pct, unit.band) == (102, 102, "Xuất sắc")


def test_no_bands_no_label():
    assert score({"kind": "manual"}, manual(3), max_points=4).band is None


# ---------------------------------------------------------------- ranking


def run_of(scores: dict[str, tuple[float, str]]):
    """Units with manual points and level; the set has a per-level maximum so both levels are valid."""
    data = criteria_dict({"kind": "manual"}, max_points=10, leaf={"levels": {"huyen": 10}})
    bundles = []
    for unit_id, (points, level) in scores.items():
        bundle = manual(points, unit_id=unit_id)
        bundle["unit"]["level"] = level
        bundles.append(loaded_bundle(bundle, f"{unit_id}.yaml"))
    return score_run(loaded_criteria(data), bundles, "bo-chi-so.yaml")


def test_competition_ranking_with_ties_within_a_level():
    run = run_of({"d": (5, "xa"), "b": (8, "xa"), "a": (8, "xa"), "c": (6, "xa"), "h2": (1, "huyen"), "h1": (9, "huyen")})
    ranks = [(u.level, u.unit_id, u.rank) for u in run.units]
    assert ranks == [("huyen", "h1", 1), ("huyen", "h2", 2),
                     ("xa", "a", 1), ("xa", "b", 1), ("xa", "c", 3), ("xa", "d", 4)]


def test_unit_without_index_is_not_ranked():
    data = criteria_dict({"kind": "manual"}, max_points=10, leaf={"not_applicable": "exclude"})
    declared = bundle_dict(unit_id="khong", not_applicable=[{"criterion": "1.1", "justification": "x", "by": "y"}])
    run = score_run(loaded_criteria(data), [loaded_bundle(manual(4, unit_id="co")), loaded_bundle(declared)], "x.yaml")
    assert [(u.unit_id, u.index_pct, u.rank) for u in run.units] == [("co", 40, 1), ("khong", None, None)]


def test_unknown_level_is_an_input_error():
    bundle = manual(4)
    bundle["unit"]["level"] = "tinh"
    with pytest.raises(InputError) as info:
        score_run(loaded_criteria(criteria_dict({"kind": "manual"})), [loaded_bundle(bundle)], "x.yaml")
    problem = info.value.problems[0]
    assert (problem.code, problem.path, problem.value) == ("evidence.unit_level", "unit.level", "tinh")


def test_per_level_maximum():
    data = criteria_dict({"kind": "manual"}, max_points=10, leaf={"levels": {"huyen": 10}})
    bundle = manual(4)
    bundle["unit"]["level"] = "huyen"
    unit = score_unit(loaded_criteria(data), loaded_bundle(bundle))
    assert (unit.max_points, unit.index_pct) == (10, 40)


# ---------------------------------------------------------------- JSON


def test_json_is_byte_identical_across_runs(sample_run):
    again = score_run(load_criteria(SAMPLE_CRITERIA), load_bundles([SAMPLE_EVIDENCE]), SAMPLE_CRITERIA)
    assert to_json(again).encode() == to_json(sample_run).encode()


def test_json_carries_the_hashes(sample_run):
    data = json.loads(to_json(sample_run))
    assert data["criteria_set"]["id"] == "xa-2024"
    assert data["criteria_set"]["hash"] == hashlib.sha256(SAMPLE_CRITERIA.read_bytes()).hexdigest()
    assert data["criteria_set"]["file"] == "xa-2024.yaml"
    hashes = [u["evidence_hash"] for u in data["units"]]
    assert len(set(hashes)) == 17 and all(len(h) == 64 for h in hashes)


def test_evidence_hash_follows_the_content(tmp_path):
    from engine.load.bundles import load_bundle

    first = (SAMPLE_EVIDENCE / "phuong-1.yaml").read_text(encoding="utf-8")
    path = tmp_path / "phuong-1.yaml"
    path.write_text(first, encoding="utf-8")
    same = load_bundle(path)[0].digest
    path.write_text(first.replace("value: 0\n", "value: 1\n", 1), encoding="utf-8")
    assert load_bundle(path)[0].digest != same
    path.write_text(first, encoding="utf-8")
    assert load_bundle(path)[0].digest == same


def test_json_shape(sample_run):
    data = json.loads(to_json(sample_run))
    assert {"id", "hash"} <= set(data["criteria_set"])
    for unit in data["units"]:
        assert {"unit_id", "name", "points", "max_points", "index_pct", "band", "rank", "nodes"} <= set(unit)
        for item in unit["nodes"]:
            assert {"id", "title", "points", "max_points", "status", "status_label", "explanation", "evidence_refs",
                    "remediation"} <= set(item)
            assert {"rule", "expected", "observed", "branch", "problems"} <= set(item["explanation"])
    assert data["status_labels"]["missing_evidence"] == "thiếu minh chứng"
    assert "Phường" in to_json(sample_run)  # UTF-8 text, not \\u escapes


# ---------------------------------------------------------------- corrective tasks


def test_phuong_8_digitization_shortfall(sample_run):
    """182 resolved, 108 digitized → 74 still to digitize."""
    result = node(sample_run.unit("phuong-8"), "3.5.1")
    assert (result.points, result.status) == (0, "fail")
    task = result.remediation
    assert task.task == ("Số hóa 74 kết quả giải quyết TTHC còn lại (Số hồ sơ đã số hóa kết quả giải quyết "
                         "(results_digitized): 108; Số hồ sơ TTHC đã giải quyết (dossiers_resolved): 182; tỷ lệ = Số hồ sơ đã số hóa "
                         "kết quả giải quyết / Số hồ sơ TTHC đã giải quyết: 59,34%) "
                         "để đạt chỉ tiêu 100%")
    assert (task.lead, task.cooperating, task.deadline) == ("Bộ phận Một cửa UBND Phường 8",
                                                            ["Công chức chuyên môn giải quyết TTHC"], "Trước ngày 30/03/2024")
    assert (task.criterion, task.area, task.recoverable_points) == ("3.5.1", "3", 4)


def test_remediation_year_and_unit_placeholders():
    template = {"task": "Ban hành Kế hoạch năm {next_year} của {unit} trước 31/12/{year}; mất {lost_points} điểm ở {criterion}",
                "lead": "Văn phòng {unit}", "deadline": "Trước ngày 31/12/{year}", "product": "{title}"}
    rule = {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 1}, "late_points": 0.5}
    bundle = bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": "05/02/2024"}])
    task = node(score(rule, bundle, max_points=1, leaf={"remediation": template})).remediation
    assert task.task == "Ban hành Kế hoạch năm 2025 của UBND Phường A trước 31/12/2024; mất 0,5 điểm ở 1.1"
    assert (task.lead, task.deadline, task.product) == ("Văn phòng UBND Phường A", "Trước ngày 31/12/2024", "Tiêu chí thử")


def test_remediation_default_tasks():
    missing = node(score({"kind": "pass_fail", "condition": {"fact": "co_a"}}, bundle_dict(), max_points=1)).remediation
    assert missing.task == "Bổ sung minh chứng cho tiêu chí 1.1 (Tiêu chí thử): chỉ số 'Điều kiện A' (co_a)"
    assert missing.lead == "UBND Phường A"
    failed = node(score({"kind": "pass_fail", "condition": {"fact": "co_a"}}, bundle_dict(metrics={"co_a": 0}),
                        max_points=1)).remediation
    assert failed.task == "Khắc phục tiêu chí 1.1 (Tiêu chí thử) để đạt yêu cầu: Điều kiện A"


def test_full_points_have_no_task_and_lost_points_are_sorted(sample_run):
    unit = sample_run.unit("phuong-8")
    assert all(n.remediation is None for n in unit.nodes if n.is_leaf and n.points == n.max_points)
    losses = [n.remediation.recoverable_points for n in lost_points(unit)]
    assert losses == sorted(losses, reverse=True)
    pending = [n.remediation.recoverable_points for n in not_due_points(unit)]
    assert all(n.status == "not_due" for n in not_due_points(unit))
    assert not any(n.status == "not_due" for n in lost_points(unit))
    assert sum(losses) + sum(pending) == pytest.approx(unit.max_points - sum(a.points for a in unit.areas))
    assert lost_points(unit)[0].id == "3.5.1"


def test_scoring_never_changes_the_inputs(tmp_path):
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in [SAMPLE_CRITERIA, *sorted(SAMPLE_EVIDENCE.iterdir())]}
    score_run(load_criteria(SAMPLE_CRITERIA), load_bundles([SAMPLE_EVIDENCE]), SAMPLE_CRITERIA)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in before} == before


def test_city_bundle_scores_with_the_district_tailoring():
    """The city's own documents named in seed 003 (9137/QĐ-UBND ngày 26/12/2023; 3604/3604 digitized)."""
    from pathlib import Path

    from engine.load.criteria import load_criteria
    from engine.load.evidence import load_bundles
    from engine.score.run import score_run

    root = Path(__file__).resolve().parents[1]
    loaded = load_criteria(root / "criteria" / "huyen-2024.yaml")
    run = score_run(loaded, load_bundles([root / "evidence" / "thanh-pho-vung-tau"]), "huyen-2024.yaml")
    unit = run.unit("tp-vung-tau")
    nodes = {n.id: n for n in unit.nodes}
    assert nodes["1.1.1"].status == "pass"
    assert any("9137/QĐ-UBND" in ref and "26/12/2023" in ref for ref in nodes["1.1.1"].evidence_refs)
    assert (nodes["3.5.1"].points, nodes["3.5.1"].status) == (4, "pass")
    assert nodes["3.2.1"].status == "missing_evidence"  # the on-time figures are for another period
    assert unit.data_problems == 0
