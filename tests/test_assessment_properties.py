"""Properties of applying records: bounds, sums, order independence of appended files, no unexplained change."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from assessment_kit import at, entry, write_assessment
from hypothesis import HealthCheck, given, settings, strategies as st

from engine import api
from engine.core.vnformat import round_half_up
from engine.model.assessment import time_key
from engine.score.rounds import UnitRounds, apply_record

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = at("14/02/2025", 23)


@lru_cache(maxsize=1)
def setting():
    folder = Path(tempfile.mkdtemp(prefix="parindex-props-"))
    la = api.load_assessment(write_assessment(folder))
    computed = {unit: api.computed_rounds(la, bundles) for unit, bundles in api.assessment_evidence(la).items()}
    return la, computed


WINDOWS = {"self": ("02/12/2024", 18), "appraisal_1": ("21/12/2024", 20), "explanation": ("11/01/2025", 6),
           "appraisal_2": ("18/01/2025", 13)}
MAX = {"1.1": 2, "1.2": 3, "1.3": 5, "T1": 2, "P1": 1}


@st.composite
def moments(draw, round_name):
    start, days = WINDOWS[round_name]
    return at(start, 8) + timedelta(days=draw(st.integers(0, days)), minutes=draw(st.integers(0, 600)))


POINTS = st.integers(0, 20).map(lambda quarter: quarter / 4)


@st.composite
def valid_entries(draw):
    """Entries each acceptable whatever else is recorded: in their window, within bounds, with a reason."""
    kind = draw(st.sampled_from(["self", "appraisal", "survey", "note"]))
    if kind == "self":
        return entry(at=draw(moments("self")), points=min(draw(POINTS), 2), reason=draw(st.sampled_from(["A", "B"])))
    if kind == "survey":
        name = draw(st.sampled_from(["appraisal_1", "appraisal_2"]))
        return entry(role="survey", by="Điều tra", round=name, at=draw(moments(name)), criterion="1.3",
                     points=draw(POINTS), reason="Kết quả điều tra")
    if kind == "note":
        name = draw(st.sampled_from(["self", "explanation"]))
        return entry(kind="note", round=name, at=draw(moments(name)), criterion=draw(st.sampled_from(["1.2", "1.1"])),
                     points=None, reason="Giải trình")
    name = draw(st.sampled_from(["appraisal_1", "appraisal_2"]))
    criterion = draw(st.sampled_from(["1.1", "1.2", "P1"]))
    return entry(role=draw(st.sampled_from(["appraiser", "council"])), by=draw(st.sampled_from(["B", "C"])), round=name,
                 at=draw(moments(name)), criterion=criterion, points=min(draw(POINTS), MAX[criterion]),
                 reason="Thẩm định lại", explanation_requested=draw(st.booleans()), question="Vì sao?")


@st.composite
def any_entries(draw):
    """Entries that may well be refused: any role, round, criterion, time, points, with or without a reason."""
    name = draw(st.sampled_from(list(WINDOWS)))
    points = draw(st.one_of(st.none(), st.integers(-4, 28).map(lambda q: q / 4)))
    return entry(role=draw(st.sampled_from(["unit", "appraiser", "council", "leaders", "survey", "office_admin"])),
                 round=name, at=draw(moments(name)) + timedelta(days=draw(st.sampled_from([0, 0, 0, 30]))),
                 criterion=draw(st.sampled_from(list(MAX))), points=points,
                 reason=draw(st.sampled_from([None, "Lý do"])), by="X")


def result_of(entries):
    la, computed = setting()
    return apply_record(UnitRounds(la, "don-vi-a", computed["don-vi-a"]), list(entries))


def _standings(unit):
    return [(n.id, n.self_points, n.appraised_points, n.final_points) for n in unit.nodes + unit.adjustments] + [
        (unit.self_points, unit.appraised_points, unit.final_points, unit.final_index_pct, unit.band)]


@PROPERTY
@given(st.lists(any_entries(), max_size=12))
def test_final_points_stay_within_zero_and_the_maximum(entries):
    unit, _ = result_of(entries)
    for item in unit.nodes + unit.adjustments:
        for value in (item.self_points, item.appraised_points, item.final_points):
            assert value is None or -1e-9 <= value <= item.max_points + 1e-9
        for step in item.by_round:
            assert -1e-9 <= step.points <= item.max_points + 1e-9
    assert unit.final_points >= 0


@PROPERTY
@given(st.lists(any_entries(), max_size=12))
def test_totals_are_sums(entries):
    unit, _ = result_of(entries)
    la, _ = setting()
    children = {}
    for item in unit.nodes:
        children.setdefault(item.parent, []).append(item)
    for item in unit.nodes:
        if not item.is_leaf:
            assert item.final_points == round_half_up(sum(c.final_points for c in children[item.id]), 2)
            assert item.self_points == round_half_up(sum(c.self_points for c in children[item.id]), 2)
    bonus_cap, penalty_cap = la.caps()
    bonus = min(sum(a.final_points for a in unit.adjustments if a.kind == "bonus"), bonus_cap)
    penalty = sum(a.final_points for a in unit.adjustments if a.kind == "penalty")
    areas = sum(n.final_points for n in unit.nodes if n.parent is None)
    assert unit.final_points == round_half_up(max(0.0, areas + round_half_up(bonus, 2) - round_half_up(penalty, 2)), 2)
    assert [a.final_points for a in unit.areas] == [n.final_points for n in unit.nodes if n.parent is None]


@PROPERTY
@given(st.lists(st.lists(valid_entries(), min_size=1, max_size=4), min_size=1, max_size=4), st.randoms())
def test_files_appended_in_any_order_give_one_record_order_and_one_result(files, rnd):
    la, computed = setting()
    outcomes = []
    for _ in range(2):
        order = list(files)
        rnd.shuffle(order)
        record = []
        for batch in order:
            assert api.validate_entries(la, "don-vi-a", computed["don-vi-a"], record, batch, NOW) == []
            record += sorted(batch, key=time_key)
        unit, refusals = result_of(record)
        assert refusals == []
        outcomes.append((sorted(record, key=time_key), _standings(unit)))
    assert outcomes[0] == outcomes[1]


@PROPERTY
@given(st.lists(any_entries(), max_size=12))
def test_no_entry_without_a_reason_changes_points(entries):
    with_all, _ = result_of(entries)
    reasoned = [e for e in entries if not (e.kind == "score" and e.points is not None and e.reason is None)]
    without, _ = result_of(reasoned)

    def points(unit):  # an unexplained entry may confirm points (and so mark a round as held), never change them
        return [(n.id, n.self_points, n.final_points, [s.points for s in n.by_round])
                for n in unit.nodes + unit.adjustments] + [(unit.self_points, unit.final_points)]

    assert points(with_all) == points(without)
