"""Results are data: late, missing, not-yet-due and too-early items are structured findings; renderers and
remediation act on fields and flags, never on words; dates travel as dates; ids sort naturally everywhere."""

from __future__ import annotations

import copy
import io
import json
from datetime import date

from conftest import CATALOG, RATIO, bundle_dict, criteria_dict, leaf, loaded_bundle, loaded_criteria, score
from hypothesis import given, strategies as st
from rich.console import Console

from engine.api import gaps
from engine.core.ids import natural_key
from engine.model.results import Explanation, Finding, NodeResult, RunResult
from engine.render.data import to_json
from engine.render.reports import plan_document, report_document
from engine.render.reports.common import run_stamp
from engine.render.reports import report_context
from engine.render.reports.sheet import node_note
from engine.render.text import explain_text, lost_points
from engine.score.run import score_run

PLAN_ON_TIME = {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 12, "year_offset": -1},
                "late_points": 0.5}
REPORTS = {"kind": "documents", "documents": [
    {"kind": "bao_cao_1", "deadline": {"day": 31, "month": 3}},
    {"kind": "bao_cao_2", "deadline": {"day": 30, "month": 6}},
    {"kind": "bao_cao_3", "deadline": {"day": 30, "month": 9}}]}
TASKS = {"kind": "tiers", "value": {"plan_tasks": "completed_pct"}, "tiers": [
    {"min": 90, "max": 100, "max_inclusive": True, "points": 2}, {"min": 0, "max": 90, "points": 0}]}


def plan(issue_date, as_of="31/12/2024"):
    return bundle_dict(documents=[{"kind": "ke_hoach", "issue_date": issue_date}] if issue_date else [], as_of=as_of)


def test_a_late_document_is_a_late_finding_with_its_dates_and_citation():
    result = leaf(PLAN_ON_TIME, plan("05/01/2024"), max_points=1)
    assert result.findings == [Finding(what="document", state="late", name="ke_hoach", label="Kế hoạch CCHC năm",
                                       expected=date(2023, 12, 31), observed=date(2024, 1, 5),
                                       item="Kế hoạch CCHC năm số 1/KH-UBND ngày 05/01/2024")]
    assert result.missing == ["Kế hoạch CCHC năm (trễ hạn)"]  # the words, made from the finding


def test_a_document_not_yet_due_is_a_finding_with_its_deadline():
    result = leaf(PLAN_ON_TIME | {"deadline": {"date": "31/03/2024"}}, plan(None, as_of="29/02/2024"), max_points=1)
    assert [(f.state, f.expected) for f in result.findings] == [("not_due", date(2024, 3, 31))]
    assert result.missing == ["Kế hoạch CCHC năm"]  # the branch gives the deadline already


def test_documents_findings_say_which_is_missing_late_and_pending():
    documents = [{"kind": "bao_cao_2", "issue_date": "05/07/2024"}]
    result = leaf(REPORTS, bundle_dict(documents=documents, as_of="31/12/2024"), max_points=1)
    assert [(f.name, f.state) for f in result.findings] == [("bao_cao_1", "missing"), ("bao_cao_3", "missing"),
                                                            ("bao_cao_2", "late")]
    pending = leaf(REPORTS, bundle_dict(documents=[{"kind": "bao_cao_1", "issue_date": "20/03/2024"}],
                                        as_of="31/05/2024"), max_points=1)
    assert [(f.name, f.state, f.expected) for f in pending.findings] == [("bao_cao_2", "not_due", date(2024, 6, 30)),
                                                                        ("bao_cao_3", "not_due", date(2024, 9, 30))]
    assert pending.missing == ["Báo cáo 6 tháng (hạn 30/06/2024)", "Báo cáo quý III (hạn 30/09/2024)"]


def test_a_document_of_an_earlier_cycle_is_a_too_early_finding_not_missing_evidence_words():
    result = leaf(PLAN_ON_TIME, plan("15/11/2022"), max_points=1)
    assert [(f.state, f.observed) for f in result.findings] == [("too_early", date(2022, 11, 15)), ("missing", None)]
    assert result.missing == ["Kế hoạch CCHC năm"]


def test_late_and_overdue_plan_tasks_are_findings():
    tasks = [{"id": "1", "title": "Rà soát TTHC", "deadline": "31/01/2024", "status": "hoàn thành", "done_date": "20/01/2024"},
             {"id": "2", "title": "Số hóa hồ sơ", "deadline": "31/01/2024", "status": "hoàn thành", "done_date": "10/02/2024"},
             {"id": "3", "title": "Tập huấn", "deadline": "31/01/2024", "status": "đang thực hiện"}]
    result = leaf(TASKS, bundle_dict(as_of="29/02/2024", plan_tasks=tasks), max_points=2)
    assert [(f.what, f.name, f.state, f.expected, f.observed) for f in result.findings] == [
        ("task", "2", "late", date(2024, 1, 31), date(2024, 2, 10)),
        ("task", "3", "missing", date(2024, 1, 31), None)]
    assert result.missing == []  # tasks are findings about the plan, not evidence to supply


def test_a_ratio_missing_both_numbers_is_one_need_with_two_findings():
    result = leaf({"kind": "proportional", "value": RATIO}, bundle_dict(), max_points=2)
    assert [f.name for f in result.findings] == ["da_xu_ly", "phai_xu_ly"]
    assert result.missing == ["chỉ số 'Số việc đã xử lý' (da_xu_ly), chỉ số 'Số việc phải xử lý' (phai_xu_ly)"]


def test_remediation_reads_the_state_not_the_words():
    """A catalog label that happens to end in '(trễ hạn)' is still a missing document, not a late one."""
    catalog = copy.deepcopy(CATALOG)
    catalog["documents"]["ke_hoach"]["label"] = "Báo cáo khắc phục (trễ hạn)"
    missing = score(PLAN_ON_TIME, plan(None), max_points=1, catalog=catalog).nodes[-1]
    assert missing.remediation.task.startswith("Bổ sung minh chứng cho tiêu chí 1.1")
    late = score(PLAN_ON_TIME, plan("05/01/2024"), max_points=1, catalog=catalog).nodes[-1]
    assert late.remediation.task.endswith("các văn bản của tiêu chí 1.1 (Tiêu chí thử): Báo cáo khắc phục (trễ hạn)")


def _node(status: str, label: str, branch: str, missing: list[str], **flags) -> NodeResult:
    return NodeResult(id="1.1", title="Tiêu chí", depth=1, parent="1", is_leaf=True, points=0, max_points=1,
                      applicable=True, status=status, status_label=label, missing=missing,
                      explanation=Explanation(rule="r", expected="e", branch=branch, **flags))


def test_the_sheet_note_follows_the_explanation_flags_not_string_comparison(sample_run):
    ctx = report_context(sample_run)
    says = _node("missing_evidence", "thiếu minh chứng", "thiếu minh chứng: X", ["X"], says_status=True,
                 lists_missing=True)
    assert node_note(ctx, says) == ("thiếu minh chứng: X",)
    # The same words without the flags: the note states the status and lists the missing item itself.
    plain = _node("missing_evidence", "thiếu minh chứng", "thiếu minh chứng: X", ["X"])
    assert node_note(ctx, plain) == ("thiếu minh chứng: thiếu minh chứng: X", "Minh chứng còn thiếu: X")


def test_the_flags_hold_on_every_leaf_of_the_sample(sample_run):
    """The flags say what the words say: a status-led branch, and missing items already in the branch."""
    for unit in sample_run.units:
        for n in (n for n in unit.nodes if n.is_leaf):
            assert n.explanation.says_status == n.explanation.branch.startswith(n.status_label), n.id
            if n.explanation.lists_missing:
                assert ", ".join(n.missing) in n.explanation.branch, n.id


def test_the_as_of_date_travels_as_a_date(sample_run):
    unit = sample_run.units[0]
    assert isinstance(unit.as_of, date)
    assert json.loads(to_json(sample_run))["units"][0]["as_of"] == unit.as_of.strftime("%d/%m/%Y")
    assert run_stamp(sample_run).date() == max(u.as_of for u in sample_run.units)
    assert explain_text(unit, unit.areas[0].id).startswith(f"{unit.name} ({unit.unit_id}) — số liệu chốt ngày "
                                                           f"{unit.as_of.strftime('%d/%m/%Y')}")


# ---------------------------------------------------------------- one id order everywhere


def _mixed_ids_run() -> RunResult:
    """Leaves 1.a, 1.10 and 1.2 that lose the same points, listed out of order."""
    leaves = [{"id": leaf_id, "title": f"Tiêu chí {leaf_id}", "max_points": 1, "rule": {"kind": "manual"}}
              for leaf_id in ("1.a", "1.10", "1.2")]
    data = criteria_dict({"kind": "manual"}, bands=[{"label": "Tốt", "min": 0, "max": 100, "max_inclusive": True}])
    data["items"] = [{"id": "1", "title": "Lĩnh vực", "max_points": 3, "children": leaves}]
    data["max_points"] = 3
    return score_run(loaded_criteria(data), [loaded_bundle(bundle_dict())], "bo-chi-so.yaml")


def test_mixed_ids_losing_equal_points_sort_naturally_in_gaps_plan_and_html():
    run = _mixed_ids_run()
    assert [n.id for n in lost_points(run.units[0])] == ["1.2", "1.10", "1.a"]
    (_, table, _), = gaps(run)
    console = Console(file=io.StringIO(), width=200)
    console.print(table)
    text = console.file.getvalue()
    assert text.index("1.2 Tiêu chí") < text.index("1.10 Tiêu chí") < text.index("1.a Tiêu chí")
    for province in (False, True):
        markdown = plan_document(run, "md", province=province).decode("utf-8")
        assert markdown.index("tiêu chí 1.2 “") < markdown.index("tiêu chí 1.10 “") < markdown.index("tiêu chí 1.a “")
    html = report_document(run, "html").decode("utf-8")
    assert html.index("1.2 Tiêu chí") < html.index("1.10 Tiêu chí") < html.index("1.a Tiêu chí")


def test_natural_key_orders_numbers_as_numbers():
    assert sorted(["1.a", "10", "1.10", "2a", "1.2", "2", "1.2.1", "1.b"], key=natural_key) == \
        ["1.2", "1.2.1", "1.10", "1.a", "1.b", "2", "2a", "10"]


@given(st.lists(st.text(alphabet="0123456789ab.²", max_size=8), max_size=12))
def test_natural_key_sorts_any_ids_without_error_and_independent_of_input_order(ids):
    ordered = sorted(ids, key=natural_key)
    assert sorted(reversed(ids), key=natural_key) == ordered
