"""Survey criteria computed from answer counts: shares of each question's points, averaged over respondents,
summed over questions, weighted over groups; the counts come inline or from a CSV table."""

from __future__ import annotations

import random

import pytest
from conftest import bundle_dict, criteria_dict, leaf, loaded_bundle, write_yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import TypeAdapter

from engine.core.yamlsource import YamlDoc
from engine.kinds.base import Context
from engine.kinds.registry import Rule
from engine.kinds.tree import CriteriaSet
from engine.load.bundles import load_bundle
from engine.load.meaning import meaning_problems

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

QUESTIONS = [
    {"id": "C1", "text": "Hướng dẫn đầy đủ", "points": 2, "options": {"A": 100, "B": 75, "C": 50, "D": 0}},
    {"id": "C2", "text": "Trả kết quả đúng hẹn", "points": 2, "options": {"A": 100, "B": 0}},
]
GROUPS = [{"id": "dan", "label": "Người dân", "weight": 60}, {"id": "dn", "label": "Doanh nghiệp", "weight": 40}]
RULE = {"kind": "survey_questions", "questions": QUESTIONS, "groups": GROUPS}


def answers(rows: list[tuple[str | None, str, str, float]]) -> list[dict]:
    return [{"criterion": "1.1", "question": q, "option": o, "count": c} | ({"group": g} if g else {})
            for g, q, o, c in rows]


FULL = [("dan", "C1", "A", 6), ("dan", "C1", "B", 2), ("dan", "C1", "D", 2), ("dan", "C2", "A", 7), ("dan", "C2", "B", 3),
        ("dn", "C1", "A", 4), ("dn", "C2", "A", 1), ("dn", "C2", "B", 3)]


def scored(rule: dict, rows, **criteria_kwargs):
    return leaf(rule, bundle_dict(survey_answers=answers(rows)), survey_points=4, **criteria_kwargs)


def test_points_are_weighted_shares_averaged_over_respondents():
    """Citizens: C1 (6×100 + 2×75 + 2×0)/10 = 75% → 1,5; C2 7/10 → 1,4; 2,9. Businesses: C1 100% → 2; C2 1/4 → 0,5; 2,5.
    0,6 × 2,9 + 0,4 × 2,5 = 2,74."""
    result = scored(RULE, FULL)
    assert (result.points, result.status) == (2.74, "partial")
    exp = result.explanation
    assert exp.branch == "Người dân 2,9 × 60% + Doanh nghiệp 2,5 × 40% = 2,74 điểm"
    assert exp.observed[0].name == "Người dân — câu C1 (2 điểm)"
    assert exp.observed[0].value == "A 6, B 2, C 0, D 2 → 75% → 1,5 điểm"
    assert exp.observed[2].value == "10 phiếu, 2,9/4 điểm"


def test_one_group_needs_no_group_column_and_points_scale_to_the_level_maximum():
    rule = {"kind": "survey_questions", "questions": QUESTIONS}
    rows = [(None, "C1", "A", 1), (None, "C2", "B", 1)]
    assert scored(rule, rows).points == 2
    kind = TypeAdapter(Rule).validate_python(rule)
    ctx = Context(loaded_bundle(bundle_dict(survey_answers=answers(rows))).bundle, {})
    doubled = kind.score(8, ctx, "1.1")
    assert doubled.points == 4 and doubled.branch.endswith("quy đổi theo điểm tối đa 8: 4 điểm"), \
        "a level whose maximum is 8 scales the questions' 4 points"


@pytest.mark.parametrize("rows, status, problem", [
    ([("dan", "C1", "A", 1)], "missing_evidence", None),
    (FULL + [("dan", "C1", "E", 1)], "data_error", "phương án 'E' không có ở câu C1 (các phương án: A, B, C, D)"),
    (FULL + [("khach", "C1", "A", 1)], "data_error", "nhóm 'khach' không có trong tiêu chí 1.1 (các nhóm: dan, dn)"),
    (FULL + [("dan", "C9", "A", 1)], "data_error", "câu hỏi 'C9' không có trong tiêu chí 1.1"),
])
def test_missing_answers_and_unknown_names(rows, status, problem):
    result = scored(RULE, rows)
    assert (result.points, result.status) == (0, status)
    assert result.explanation.problems == ([problem] if problem else [])


def test_missing_answers_name_each_question_and_group():
    result = scored(RULE, [("dan", "C1", "A", 1)])
    assert result.missing == ["số phiếu trả lời câu C2 (Người dân), số phiếu trả lời câu C1 (Doanh nghiệp), "
                              "số phiếu trả lời câu C2 (Doanh nghiệp)"]


def test_no_survey_at_all_follows_when_survey_missing_and_a_self_score_is_refused():
    excluded = leaf(RULE, bundle_dict(), survey_points=4, when_survey_missing="exclude")
    assert (excluded.status, excluded.applicable) == ("not_applicable", False)
    self_scored = leaf(RULE, bundle_dict(survey_answers=answers(FULL), manual=[
        {"criterion": "1.1", "points": 4, "by": "UBND", "justification": "Tự chấm"}]), survey_points=4)
    assert self_scored.status == "data_error"
    imported = leaf(RULE, bundle_dict(survey=[{"criterion": "1.1", "points": 4, "by": "Sở", "justification": "SIPAS"}]),
                    survey_points=4)
    assert imported.status == "data_error" and "không nhập sẵn điểm điều tra" in imported.explanation.problems[0]


def problems_of(rule: dict) -> list[tuple[str | None, str | None, str]]:
    data = criteria_dict(rule, survey_points=4)
    return [(p.code, p.path, p.message) for p in meaning_problems(CriteriaSet.model_validate(data),
                                                                  YamlDoc("x.yaml", data, {}, "d"))]


def test_weights_above_100_percent_are_errors():
    over = RULE | {"questions": [QUESTIONS[0] | {"options": {"A": 120, "B": 0}}, QUESTIONS[1]],
                   "groups": [GROUPS[0], GROUPS[1] | {"weight": 50}]}
    assert problems_of(over) == [
        ("criteria.survey_option_share", "items[0].children[0].rule.questions[0].options.A",
         "phương án A của câu C1 được 120% điểm của câu hỏi, vượt 100%"),
        ("criteria.survey_group_weights", "items[0].children[0].rule.groups",
         "trọng số các nhóm cộng lại 110%, vượt 100%"),
    ]


def test_question_points_must_add_up_and_ids_be_unique():
    rule = RULE | {"questions": [QUESTIONS[0], QUESTIONS[0] | {"points": 1}]}
    assert [c for c, _, _ in problems_of(rule)] == ["criteria.survey_duplicate_id", "criteria.survey_question_points"]
    no_full = RULE | {"questions": [QUESTIONS[0] | {"options": {"A": 90, "B": 0}}, QUESTIONS[1]]}
    [(code, _, _)] = problems_of(no_full)
    assert code == "criteria.survey_no_full_option"


def test_answer_counts_from_a_csv_table(tmp_path):
    table = tmp_path / "phieu.csv"
    table.write_text("criterion,group,question,option,count,source\n"
                     + "".join(f"1.1,{g},{q},{o},{c},Phiếu tháng 2\n" for g, q, o, c in FULL), encoding="utf-8")
    path = write_yaml(tmp_path / "dv.yaml", bundle_dict(tables={"survey_answers": "phieu.csv"}))
    loaded, problems = load_bundle(path)
    assert problems == [] and len(loaded.bundle.survey_answers) == len(FULL)
    assert loaded.bundle.survey_answers[0].source == "Phiếu tháng 2"


def test_a_count_that_is_not_a_whole_number_is_reported_at_its_cell(tmp_path):
    table = tmp_path / "phieu.csv"
    table.write_text("criterion,group,question,option,count\n1.1,dan,C1,A,2\n1.1,dan,C1,B,\"2,5\"\n1.1,dan,C2,A,-1\n",
                     encoding="utf-8")
    path = write_yaml(tmp_path / "dv.yaml", bundle_dict(tables={"survey_answers": "phieu.csv"}))
    loaded, problems = load_bundle(path)
    assert loaded is None
    assert [(p.row, p.column, p.message) for p in problems] == [
        (3, "count", "số phiếu phải là số nguyên không âm, không phải 2,5"),
        (4, "count", "số phiếu phải là số nguyên không âm, không phải -1"),
    ]


ROWS = st.lists(st.tuples(st.sampled_from(["dan", "dn"]), st.sampled_from(["C1", "C2"]), st.sampled_from("ABCD"),
                          st.integers(0, 40)), min_size=1, max_size=20)


@PROPERTY
@given(ROWS, st.randoms(use_true_random=False))
def test_points_stay_within_bounds_and_do_not_depend_on_row_order_or_splitting(rows, rnd: random.Random):
    rows = [(g, q, o if q == "C1" or o in "AB" else "A", c) for g, q, o, c in rows]
    first = scored(RULE, rows)
    assert 0 <= first.points <= 4
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    split = [part for g, q, o, c in shuffled for part in ((g, q, o, c // 2), (g, q, o, c - c // 2))]
    again = scored(RULE, split)
    assert (again.points, again.status) == (first.points, first.status)
    if first.status in ("pass", "partial", "fail"):
        everyone_best = [(g, q, "A", 1) for g in ("dan", "dn") for q in ("C1", "C2")]
        assert scored(RULE, everyone_best).points == 4 >= first.points
