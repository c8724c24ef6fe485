"""Properties over generated evidence: bounds, sums, monotonicity, exactly-one-tier, order independence."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import CATALOG, RATIO, SAMPLE_CRITERIA, SAMPLE_EVIDENCE, criteria_dict, loaded_criteria
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from engine.core.vnformat import round_half_up
from engine.core.yamlsource import YamlDoc
from engine.kinds.base import Context
from engine.kinds.tiers import TiersRule
from engine.kinds.tree import catalog_labels, iter_nodes
from engine.load.bundles import load_bundle
from engine.load.criteria import load_criteria
from engine.model.evidence import Bundle, LoadedBundle
from engine.score.leaf import evaluate_leaf
from engine.score.unit import score_unit

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- generated evidence

DAYS = st.dates(min_value=date(2023, 6, 1), max_value=date(2025, 3, 31))
VALUES = st.one_of(st.integers(-3, 250), st.floats(0, 250, allow_nan=False), st.sampled_from([0, 1]))
DOC_KINDS = list(CATALOG["documents"])
METRIC_NAMES = ["da_xu_ly", "phai_xu_ly", "so_hop", "co_a", "co_b", "co_c"]


@st.composite
def bundles(draw, criterion: str = "1.1"):
    metrics = [{"name": name, "value": draw(VALUES)} for name in METRIC_NAMES if draw(st.booleans())]
    documents = [{"kind": kind, "issue_date": draw(DAYS), "number": f"{i}/VB"}
                 for i, kind in enumerate(DOC_KINDS) if draw(st.booleans())]
    scores = st.lists(st.builds(lambda p: {"criterion": criterion, "points": p, "by": "A", "justification": "B"},
                                st.floats(-2, 30, allow_nan=False)), max_size=2)
    tasks = [{"id": str(i), "title": f"Việc {i}", "deadline": draw(DAYS),
              "status": draw(st.sampled_from(["hoàn thành", "đang thực hiện", "chưa thực hiện"])),
              "done_date": draw(st.one_of(st.none(), DAYS))} for i in range(draw(st.integers(0, 5)))]
    na = [{"criterion": criterion, "justification": "Không giao", "by": "A"}] if draw(st.integers(0, 9)) == 0 else []
    return Bundle.model_validate({
        "unit": {"id": "u", "name": "UBND U", "level": "xa"},
        "period": {"year": 2024, "start": date(2024, 1, 1), "end": date(2024, 12, 31)},
        "as_of": draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 1, 31))),
        "metrics": metrics, "documents": documents, "plan_tasks": tasks,
        "survey": draw(scores), "manual": draw(scores), "not_applicable": na,
    })


RULES = [
    {"kind": "pass_fail", "condition": {"all_of": [{"fact": "co_a"}, {"not": {"fact": "co_b"}}]}, "points_fail": 1},
    {"kind": "all_of", "conditions": [{"fact": "co_a"}, {"metric": "so_hop", "op": ">=", "target": 2}]},
    {"kind": "any_of", "conditions": [{"fact": "co_c"}, {"document": "ke_hoach", "deadline": {"day": 31, "month": 3}}]},
    {"kind": "tiers", "value": RATIO, "tiers": [
        {"min": 90, "min_inclusive": False, "max": 100, "max_inclusive": True, "points": 4},
        {"min": 70, "max": 90, "max_inclusive": True, "points": 2}, {"min": 0, "max": 70, "points": 0}]},
    {"kind": "tiers", "value": {"plan_tasks": "completed_pct"}, "tiers": [
        {"min": 50, "max": 100, "max_inclusive": True, "points": 4}, {"min": 0, "max": 50, "points": 1}]},
    {"kind": "proportional", "value": RATIO, "floor": 50},
    {"kind": "proportional", "value": {"plan_tasks": "completed_pct"}},
    {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 12, "year_offset": -1},
     "late_points": 2, "missing_points": 1, "grace_days": 3},
    {"kind": "timeliness", "document": "ke_hoach", "deadline": {"after_document": "quyet_dinh", "days": 10}, "late_points": 1},
    {"kind": "documents", "points_otherwise": 1, "documents": [
        {"kind": "bao_cao_1", "deadline": {"day": 14, "month": 3}}, {"kind": "bao_cao_2", "deadline": {"relative_to": "period_end"}}]},
    {"kind": "count", "value": {"metric": "so_hop"}, "points_per_item": 1.5},
    {"kind": "count", "value": {"plan_tasks": "completed_count"}, "points_per_item": 1, "cap": 3},
    {"kind": "survey"},
    {"kind": "manual"},
]
NA_MODES = [None, "exclude", "full_points"]


@PROPERTY
@given(rule=st.sampled_from(RULES), mode=st.sampled_from(NA_MODES), bundle=bundles())
def test_points_within_zero_and_max_for_every_rule_kind(rule, mode, bundle):
    leaf = {"not_applicable": mode} if mode else {}
    if mode and rule["kind"] == "tiers":
        leaf["applicable_if"] = {"metric": "so_hop", "op": ">", "target": 0}
    loaded = loaded_criteria(criteria_dict(rule, max_points=4, leaf=leaf))
    node = loaded.criteria.items[0].children[0]
    outcome = evaluate_leaf(node, Context(bundle, catalog_labels(loaded.criteria)), 4)
    assert 0 <= outcome.points <= 4
    if outcome.status in ("missing_evidence", "data_error", "not_due"):
        # never a pass: only the points a rule itself grants for a missing item (missing_points, points_otherwise)
        assert outcome.points <= (1 if rule["kind"] in ("timeliness", "documents") and outcome.status == "missing_evidence"
                                  else 0)
    if outcome.status == "pass":
        assert outcome.points == 4


# ---------------------------------------------------------------- sums on the real set


SAMPLE = load_criteria(SAMPLE_CRITERIA)
SAMPLE_NAMES = sorted({name for entry in (SAMPLE.criteria.catalog.metrics, SAMPLE.criteria.catalog.facts) for name in entry}
                      | {"dossiers_received", "dossiers_resolved", "dossiers_resolved_on_time", "results_digitized",
                         "dossiers_online", "payments_online"})
SAMPLE_LEAVES = [n.id for n, _, _ in iter_nodes(SAMPLE.criteria.items) if n.is_leaf]


@st.composite
def sample_bundles(draw):
    metrics = [{"name": name, "value": draw(VALUES)} for name in SAMPLE_NAMES if draw(st.integers(0, 4))]
    documents = [{"kind": kind, "issue_date": draw(DAYS), "number": f"{i}/VB"}
                 for i, kind in enumerate(SAMPLE.criteria.catalog.documents) if draw(st.booleans())]
    entry = st.builds(lambda c, p: {"criterion": c, "points": p, "by": "A", "justification": "B"},
                      st.sampled_from(SAMPLE_LEAVES), st.floats(0, 16, allow_nan=False))
    na = st.builds(lambda c: {"criterion": c, "justification": "Không giao", "by": "A"}, st.sampled_from(SAMPLE_LEAVES))
    return Bundle.model_validate({
        "unit": {"id": "u", "name": "UBND U", "level": "xa"},
        "period": {"year": 2024, "start": "01/01/2024", "end": "31/12/2024"},
        "as_of": draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 1, 31))),
        "metrics": metrics, "documents": documents,
        "survey": draw(st.lists(entry, max_size=3)), "manual": draw(st.lists(entry, max_size=3)),
        "not_applicable": draw(st.lists(na, max_size=3)),
    })


@PROPERTY
@given(bundle=sample_bundles())
def test_totals_are_sums_of_their_parts(bundle):
    unit = score_unit(SAMPLE, LoadedBundle(bundle, "u.yaml", "h", []))
    applicable_max: dict[str, float] = {}
    for node in reversed(unit.nodes):  # children before parents
        children = [n for n in unit.nodes if n.parent == node.id]
        assert 0 <= node.points <= node.max_points + 1e-9
        if children:
            assert abs(node.points - sum(c.points for c in children)) < 1e-6
            assert abs(node.max_points - sum(c.max_points for c in children)) < 1e-6
            applicable_max[node.id] = sum(applicable_max[c.id] for c in children)
        else:
            applicable_max[node.id] = node.max_points if node.applicable else 0.0
    areas = [n for n in unit.nodes if n.depth == 0]
    assert abs(unit.max_points - sum(applicable_max[a.id] for a in areas)) < 1e-6
    assert [a.max_points for a in unit.areas] == [round_half_up(applicable_max[a.id], 2) for a in areas]
    assert abs(unit.points - max(0.0, round_half_up(sum(a.points for a in areas) + unit.bonus - unit.penalty, 2))) < 1e-6
    if unit.max_points > 0:
        assert unit.index_pct == round_half_up(unit.points / unit.max_points * 100, 2)
    # Every data problem is either a leaf or an adjustment in "lỗi dữ liệu", or a warning listed on the unit.
    assert unit.data_problems == sum(1 for n in unit.nodes if n.is_leaf and n.status == "data_error") + \
        sum(1 for a in unit.adjustments if a.status == "data_error") + len(unit.warnings)


# ---------------------------------------------------------------- monotonicity


@st.composite
def tier_sets(draw, increasing: bool = False):
    """Valid tiers over [0, 100] by construction: sorted cut points, each shared bound owned by exactly one side."""
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=0, max_size=4)))
    bounds = [0, *cuts, 100]
    owner_left = [draw(st.booleans()) for _ in cuts]  # True: the cut belongs to the lower tier
    points = sorted(draw(st.lists(st.sampled_from([0, 0.5, 1, 2, 3, 4]), min_size=len(bounds) - 1,
                                  max_size=len(bounds) - 1)))
    if not increasing:
        points = draw(st.permutations(points))
    tiers = []
    for i in range(len(bounds) - 1):
        tiers.append({"min": bounds[i], "min_inclusive": True if i == 0 else not owner_left[i - 1],
                      "max": bounds[i + 1], "max_inclusive": True if i == len(bounds) - 2 else owner_left[i],
                      "points": points[i]})
    return draw(st.permutations(tiers))


def ratio_points(rule: dict, numerator: int, denominator: int) -> float:
    loaded = loaded_criteria(criteria_dict(rule, max_points=4))
    bundle = Bundle.model_validate({
        "unit": {"id": "u", "name": "U", "level": "xa"}, "period": {"year": 2024, "start": "01/01/2024", "end": "31/12/2024"},
        "as_of": "31/12/2024", "metrics": [{"name": "da_xu_ly", "value": numerator}, {"name": "phai_xu_ly", "value": denominator}]})
    outcome = loaded.criteria.items[0].children[0].rule.score(4, Context(bundle, {}), "1.1")
    assert outcome.status not in ("data_error", "missing_evidence")
    return outcome.points


@PROPERTY
@given(tiers=tier_sets(increasing=True), denominator=st.integers(1, 400), data=st.data())
def test_higher_ratio_never_lowers_tier_points(tiers, denominator, data):
    low = data.draw(st.integers(0, denominator))
    high = data.draw(st.integers(low, denominator))
    rule = {"kind": "tiers", "value": RATIO, "tiers": tiers}
    assert ratio_points(rule, low, denominator) <= ratio_points(rule, high, denominator)


@PROPERTY
@given(floor=st.one_of(st.none(), st.integers(0, 100)), denominator=st.integers(1, 400), data=st.data())
def test_higher_ratio_never_lowers_proportional_points(floor, denominator, data):
    low = data.draw(st.integers(0, denominator))
    high = data.draw(st.integers(low, denominator))
    rule = {"kind": "proportional", "value": RATIO, **({} if floor is None else {"floor": floor})}
    low_points, high_points = ratio_points(rule, low, denominator), ratio_points(rule, high, denominator)
    assert low_points <= high_points
    assert (low_points == 0) if floor is not None and low * 100 < floor * denominator else \
        abs(low_points - 4 * low / denominator) < 1e-9


@PROPERTY
@given(deadline=st.sampled_from([{"day": 31, "month": 12, "year_offset": -1}, {"date": "15/03/2024"},
                                 {"relative_to": "period_start", "days": 45}, {"after_document": "quyet_dinh", "days": 7}]),
       grace=st.integers(0, 5), late=st.sampled_from([0, 0.5, 1]), on_time=st.sampled_from([1, 2]),
       as_of=st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)), data=st.data())
def test_earlier_issue_date_never_lowers_timeliness_points(deadline, grace, late, on_time, as_of, data):
    rule = {"kind": "timeliness", "document": "ke_hoach", "deadline": deadline, "grace_days": grace,
            "on_time_points": on_time, "late_points": late}
    loaded = loaded_criteria(criteria_dict(rule, max_points=2))
    earlier = data.draw(DAYS)
    later = data.draw(st.dates(min_value=earlier, max_value=date(2025, 3, 31)))

    def points(issued: date) -> float:
        bundle = Bundle.model_validate({
            "unit": {"id": "u", "name": "U", "level": "xa"},
            "period": {"year": 2024, "start": "01/01/2024", "end": "31/12/2024"}, "as_of": as_of,
            "documents": [{"kind": "ke_hoach", "issue_date": issued}, {"kind": "quyet_dinh", "issue_date": "01/01/2024"}]})
        return loaded.criteria.items[0].children[0].rule.score(2, Context(bundle, {}), "1.1").points

    assert points(earlier) >= points(later)


# ---------------------------------------------------------------- exactly one tier


DOC = YamlDoc("x.yaml", {}, {}, "")


@st.composite
def any_tiers(draw):
    """Tier sets that may overlap or leave gaps: cut points and inclusiveness drawn freely."""
    count = draw(st.integers(1, 4))
    tiers = []
    for _ in range(count):
        low = draw(st.one_of(st.none(), st.sampled_from([0, 10, 50, 70, 90, 100])))
        high = draw(st.one_of(st.none(), st.sampled_from([0, 10, 50, 70, 90, 100])))
        tiers.append({"min": low, "min_inclusive": draw(st.booleans()), "max": high, "max_inclusive": draw(st.booleans()),
                      "points": 0})
    return tiers


def probe_values(tiers) -> list[float]:
    """Every cut point, just either side of it, and a point inside each stretch between cuts."""
    cuts = sorted({0.0, 100.0} | {float(t[k]) for t in tiers for k in ("min", "max") if t[k] is not None})
    inside = [(a + b) / 2 for a, b in zip(cuts, cuts[1:])] + [cuts[0] - 1, cuts[-1] + 1]
    return sorted({v for c in cuts for v in (c - 1e-6, c, c + 1e-6)} | set(inside))


@settings(max_examples=300, deadline=None)
@given(tiers=st.one_of(any_tiers(), tier_sets()))
def test_exactly_one_tier_matches_any_value_of_a_validated_set(tiers):
    rule = TiersRule.model_validate({"kind": "tiers", "value": RATIO, "tiers": tiers})
    problems = rule.coverage_problems(DOC, ("rule",))
    matches = {v: sum(t.contains(v) for t in rule.tiers) for v in probe_values(tiers)}
    coverage = [p for p in problems if p.code != "criteria.tier_empty"]  # an empty tier is a problem of its own
    if not problems:
        assert all(count == 1 for v, count in matches.items() if 0 <= v <= 100), matches
    if coverage:
        # no false alarm: a reported set really has a value (in the domain, or an overlap outside it) with 0 or 2+ tiers
        assert any(count != 1 for v, count in matches.items() if 0 <= v <= 100 or count > 1), \
            [p.message for p in coverage]


@PROPERTY
@given(tiers=tier_sets())
def test_tier_sets_built_without_gaps_or_overlaps_validate(tiers):
    rule = TiersRule.model_validate({"kind": "tiers", "value": RATIO, "tiers": tiers})
    assert rule.coverage_problems(DOC, ("rule",)) == []


# ---------------------------------------------------------------- order independence


WARD, _ = load_bundle(SAMPLE_EVIDENCE / "phuong-8.yaml")


@PROPERTY
@given(data=st.data())
def test_results_do_not_depend_on_the_order_of_evidence_items(data):
    bundle = WARD.bundle
    extra_metric = bundle.metrics[0].model_copy(update={"value": bundle.metrics[0].value + 7})  # a duplicate: data error
    extra_doc = bundle.documents[0].model_copy(update={"issue_date": bundle.documents[0].issue_date - timedelta(days=3),
                                                       "number": "999/KH-UBND"})
    base = bundle.model_copy(update={"metrics": [*bundle.metrics, extra_metric], "documents": [*bundle.documents, extra_doc]})
    shuffled = base.model_copy(update={
        "metrics": data.draw(st.permutations(base.metrics)),
        "documents": data.draw(st.permutations(base.documents)),
        "plan_tasks": data.draw(st.permutations(base.plan_tasks)),
    })
    assume(shuffled != base)
    first = score_unit(SAMPLE, LoadedBundle(base, "phuong-8.yaml", "h", []))
    second = score_unit(SAMPLE, LoadedBundle(shuffled, "phuong-8.yaml", "h", []))
    assert second.model_dump_json() == first.model_dump_json()
