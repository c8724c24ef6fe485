"""What-if re-scores through the normal engine; every remedy a rule kind names delivers at least what it promises."""

from __future__ import annotations

import json
from datetime import date, timedelta

from conftest import (
    RATIO,
    SAMPLE_CRITERIA,
    SAMPLE_EVIDENCE,
    bundle_dict,
    criteria_dict,
    loaded_bundle,
    loaded_criteria,
    node,
    write_yaml,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cli
from engine.kinds.base import EPS
from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.model.changes import AddDocument, SetMetric
from engine.score.run import score_run
from engine.score.unit import score_unit
from engine.score.whatif import changed_bundle, suggestions, what_if

runner = CliRunner()


def _sample():
    loaded = load_criteria(SAMPLE_CRITERIA)
    bundles = load_bundles([SAMPLE_EVIDENCE])
    return loaded, bundles, score_run(loaded, bundles, SAMPLE_CRITERIA)


def test_whatif_with_no_change_reproduces_the_score_of_every_sample_unit():
    loaded, bundles, run = _sample()
    for evidence in bundles:
        result = what_if(loaded, run.units, evidence, [])
        assert result.after == result.before
        assert result.changes == []


def test_whatif_changes_points_index_band_and_rank_through_the_engine():
    loaded, bundles, run = _sample()
    evidence = next(b for b in bundles if b.bundle.unit.id == "phuong-8")
    result = what_if(loaded, run.units, evidence, [SetMetric(metric="results_digitized", add=23)])
    leaf = next(c for c in result.changes if c.id == "3.5.1")
    assert (leaf.points_before, leaf.points_after, leaf.status_after) == (0, 2, "partial")  # 131/182 = 71,98%
    assert result.after.points == round(result.before.points + 2, 2)
    assert result.after.rank < result.before.rank
    rescored = score_unit(loaded, changed_bundle(evidence, [SetMetric(metric="results_digitized", value=131)]))
    assert rescored.points == result.after.points and rescored.index_pct == result.after.index_pct
    assert evidence.bundle.metrics == load_bundles([SAMPLE_EVIDENCE / "phuong-8.yaml"])[0].bundle.metrics  # input untouched


def test_every_suggestion_on_the_sample_gives_at_least_its_points_through_the_engine():
    loaded, bundles, run = _sample()
    checked = 0
    for evidence in bundles:
        result = run.unit(evidence.bundle.unit.id)
        for suggestion in suggestions(loaded, evidence, result):
            after = score_unit(loaded, changed_bundle(evidence, suggestion.changes))
            assert node(after, suggestion.criterion).points >= suggestion.points_after - EPS, suggestion.text
            assert "→" not in suggestion.text and suggestion.text[0].isupper()
            checked += 1
    assert checked > 100


def test_the_issue_examples_read_as_vietnamese_sentences():
    loaded, bundles, run = _sample()
    evidence = next(b for b in bundles if b.bundle.unit.id == "phuong-8")
    texts = [s.text for s in suggestions(loaded, evidence, run.unit("phuong-8"))]
    assert ("Số hồ sơ đã số hóa kết quả giải quyết tăng thêm 20, từ 108 lên 128 (tỷ lệ trên số hồ sơ TTHC đã giải quyết "
            "đạt 70,33%): tiêu chí 3.5.1 tăng từ 0 lên 2 điểm") in texts
    assert ("Ban hành kế hoạch kiểm tra công tác CCHC trước ngày 31/03/2024: tiêu chí 1.3.1 tăng từ 0 lên 1 điểm; "
            "sau ngày 31/03/2024 chỉ còn 0,5 điểm") in texts


# ---------------------------------------------------------------- property: the promise holds for generated rules

BOUNDS = st.lists(st.integers(1, 99), min_size=1, max_size=4, unique=True).map(sorted)


@st.composite
def tier_rules(draw):
    cuts = draw(BOUNDS)
    edges = [0] + cuts + [100]
    points = sorted(draw(st.lists(st.sampled_from([0, 0.5, 1, 2, 3, 4]), min_size=len(edges) - 1,
                                  max_size=len(edges) - 1)))
    if draw(st.booleans()):
        points = points[::-1]  # lower is better: a remedy must lower the value
    inclusive = draw(st.booleans())
    tiers = []
    for index, (low, high) in enumerate(zip(edges, edges[1:])):
        last = index == len(edges) - 2
        tiers.append({"min": low, "min_inclusive": not inclusive or index == 0, "max": high,
                      "max_inclusive": inclusive or last, "points": points[index]})
    return {"kind": "tiers", "value": RATIO, "tiers": tiers}


COUNTS = st.tuples(st.integers(0, 60), st.integers(1, 60)).map(lambda p: (min(p), max(p)))
DAY = st.dates(date(2024, 1, 1), date(2024, 12, 31))


def _promise_holds(rule: dict, bundle: dict, max_points: float = 4) -> None:
    loaded = loaded_criteria(criteria_dict(rule, max_points=max_points))
    evidence = loaded_bundle(bundle)
    result = score_unit(loaded, evidence)
    for suggestion in suggestions(loaded, evidence, result):
        assert suggestion.points_after > node(result).points
        after = score_unit(loaded, changed_bundle(evidence, suggestion.changes))
        assert node(after).points >= suggestion.points_after - EPS, (rule, bundle, suggestion)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=tier_rules(), counts=COUNTS)
def test_tier_remedies_reach_the_tier_they_promise(rule, counts):
    done, planned = counts
    _promise_holds(rule, bundle_dict(metrics={"da_xu_ly": done, "phai_xu_ly": planned}))


@settings(max_examples=100, deadline=None)
@given(counts=COUNTS, floor=st.one_of(st.none(), st.integers(1, 99)))
def test_proportional_remedies_reach_the_floor_and_full_points(counts, floor):
    done, planned = counts
    rule = {"kind": "proportional", "value": RATIO, **({"floor": floor} if floor else {})}
    _promise_holds(rule, bundle_dict(metrics={"da_xu_ly": done, "phai_xu_ly": planned}))


@settings(max_examples=100, deadline=None)
@given(value=st.integers(0, 20), per_item=st.sampled_from([0.25, 0.5, 1, 1.5]), cap=st.one_of(st.none(), st.integers(1, 4)))
def test_count_remedies_add_items_up_to_the_cap(value, per_item, cap):
    rule = {"kind": "count", "value": {"metric": "so_hop"}, "points_per_item": per_item, **({"cap": cap} if cap else {})}
    _promise_holds(rule, bundle_dict(metrics={"so_hop": value}))


@settings(max_examples=100, deadline=None)
@given(as_of=DAY, deadline=DAY, issued=st.one_of(st.none(), DAY), grace=st.integers(0, 10))
def test_timeliness_remedies_promise_on_time_points_only_before_the_deadline(as_of, deadline, issued, grace):
    rule = {"kind": "timeliness", "document": "ke_hoach", "grace_days": grace, "late_points": 1,
            "deadline": {"date": deadline.strftime("%d/%m/%Y")}}
    documents = [{"kind": "ke_hoach", "issue_date": issued.strftime("%d/%m/%Y")}] if issued and issued <= as_of else []
    _promise_holds(rule, bundle_dict(as_of=as_of.strftime("%d/%m/%Y"), documents=documents), max_points=2)
    loaded = loaded_criteria(criteria_dict(rule, max_points=2))
    evidence = loaded_bundle(bundle_dict(as_of=as_of.strftime("%d/%m/%Y"), documents=documents))
    for suggestion in suggestions(loaded, evidence, score_unit(loaded, evidence)):
        if suggestion.points_after == 2:
            assert as_of <= deadline + timedelta(days=grace) and suggestion.late_points == 1


@settings(max_examples=60, deadline=None)
@given(as_of=DAY, dues=st.lists(DAY, min_size=1, max_size=3), have=st.lists(st.booleans(), min_size=3, max_size=3))
def test_documents_remedies_issue_what_is_not_due_yet(as_of, dues, have):
    kinds = ["bao_cao_1", "bao_cao_2", "bao_cao_3"]
    rule = {"kind": "documents", "documents": [{"kind": k, "deadline": {"date": d.strftime("%d/%m/%Y")}}
                                               for k, d in zip(kinds, dues)]}
    documents = [{"kind": k, "issue_date": min(d, as_of).strftime("%d/%m/%Y")} for k, d, h in zip(kinds, dues, have) if h]
    _promise_holds(rule, bundle_dict(as_of=as_of.strftime("%d/%m/%Y"), documents=documents), max_points=1)


CONDITION = st.one_of(
    st.builds(lambda f: {"fact": f}, st.sampled_from(["co_a", "co_b"])),
    st.builds(lambda op, t: {"metric": "so_hop", "op": op, "target": t}, st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
              st.integers(0, 5)),
    st.builds(lambda op, t: {"ratio": ["da_xu_ly", "phai_xu_ly"], "op": op, "target": t}, st.sampled_from([">", ">=", "<="]),
              st.integers(0, 100)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["pass_fail", "all_of", "any_of", "not"]), parts=st.lists(CONDITION, min_size=1, max_size=2),
       facts=st.tuples(st.booleans(), st.booleans()), so_hop=st.integers(0, 6), counts=COUNTS)
def test_condition_remedies_make_the_conditions_hold(kind, parts, facts, so_hop, counts):
    if kind == "pass_fail":
        rule = {"kind": "pass_fail", "condition": parts[0]}
    elif kind == "not":
        rule = {"kind": "pass_fail", "condition": {"not": {"any_of": parts}}}
    else:
        rule = {"kind": kind, "conditions": parts}
    metrics = {"co_a": int(facts[0]), "co_b": int(facts[1]), "so_hop": so_hop, "da_xu_ly": counts[0], "phai_xu_ly": counts[1]}
    _promise_holds(rule, bundle_dict(metrics=metrics))


# ---------------------------------------------------------------- command line


def test_cli_whatif_json_has_before_after_and_changes(tmp_path):
    changes = write_yaml(tmp_path / "thay-doi.yaml", {"changes": [{"metric": "results_digitized", "value": 182},
                                                                   {"document": "ke_hoach_kiem_tra", "issued": "20/02/2024"}]})
    result = runner.invoke(cli.app, ["whatif", "phuong-8", "--changes", str(changes), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"before", "after", "changes", "applied", "suggestions"}
    assert data["after"]["points"] == data["before"]["points"] + 5
    assert [c["id"] for c in data["changes"] if c["is_leaf"]] == ["1.3.1", "3.5.1"]
    assert set(data["after"]) == set(json.loads(runner.invoke(cli.app, ["score", str(SAMPLE_EVIDENCE), "-f", "json"]
                                                              ).output)["units"][0])


def test_cli_whatif_text_and_no_change():
    result = runner.invoke(cli.app, ["whatif", "phuong-8", "-m", "results_digitized+=23"])
    assert result.exit_code == 0, result.output
    # 60,96% passes Phường 9 too (59,23%: its on-time rate is not scored while digitized exceeds resolved)
    assert "Chỉ số: 58,29% thành 60,96%" in result.output and "Xếp hạng: 15 thành 12" in result.output
    same = runner.invoke(cli.app, ["whatif", "phuong-8", "-f", "json"])
    data = json.loads(same.output)
    assert data["before"] == data["after"] and data["changes"] == []


def test_cli_whatif_reports_every_bad_change_at_once(tmp_path):
    bad = tmp_path / "thay-doi.yaml"
    bad.write_text("changes:\n  - {metrik: x}\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["whatif", "phuong-8", "-m", "khong-dung", "-d", "ke_hoach_kiem_tra=31/02/2024",
                                     "--changes", str(bad), "--task", "99"])
    assert result.exit_code == 2
    assert "cần dạng results_digitized=131" in result.output and "ngày '31/02/2024' không tồn tại" in result.output
    assert "changes[0]" in result.output and "dòng 2" in result.output
    unknown = runner.invoke(cli.app, ["whatif", "phuong-8", "--task", "99"])
    assert unknown.exit_code == 2 and "không có nhiệm vụ kế hoạch số '99'" in unknown.output


def test_whatif_checks_counts_against_each_other_again_after_the_change():
    """Phường 3 reports more digitized results than resolved dossiers: fixing the count clears the data error,
    changing both into another contradiction keeps it, never turning a contradiction into points."""
    loaded, bundles, run = _sample()
    evidence = next(b for b in bundles if b.bundle.unit.id == "phuong-3")
    fixed = what_if(loaded, run.units, evidence, [SetMetric(metric="results_digitized", value=800)])
    statuses = {c.id: c.status_after for c in fixed.changes}
    assert statuses["3.5.1"] != "data_error" and statuses["3.2.1"] != "data_error"
    still = what_if(loaded, run.units, evidence, [SetMetric(metric="results_digitized", value=900),
                                                  SetMetric(metric="dossiers_resolved", value=834)])
    nodes = {n.id: n for n in still.after.nodes}
    assert nodes["3.5.1"].status == "data_error" and nodes["3.2.1"].status == "data_error"
    assert still.after.points == still.before.points
