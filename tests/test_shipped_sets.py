"""Every shipped criteria set validates clean, carries provenance and test cases, and its cases pass and cover it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from engine.authoring.cases import TestReport, format_report, run_suite
from engine.load.criteria import check_criteria_file, load_criteria
from engine.kinds.tree import iter_nodes, leaf_max, node_max
from engine.model.evidence import Bundle, LoadedBundle
from engine.score.unit import score_unit

CRITERIA = Path(__file__).resolve().parent.parent / "criteria"
SETS = sorted(p for p in CRITERIA.glob("*.yaml"))
CASE_FILES = sorted((CRITERIA / "cases").glob("*.cases.yaml"))


def test_the_shipped_sets_and_case_files_are_found():
    assert {p.name for p in SETS} >= {"xa-2024.yaml", "camau-2013-linhvuc1.yaml", "tinh-qd876.yaml",
                                      "tinh-qd876-bands-2022.yaml", "so-2025.yaml"}
    assert {p.name for p in CASE_FILES} == {p.stem + ".cases.yaml" for p in SETS}


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_set_validates_clean(path):
    loaded, problems = check_criteria_file(path)
    assert problems == [], "\n".join(p.render() for p in problems)
    assert loaded.criteria.id == path.stem, "the file is named after the set id, so its cases are found by convention"


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_every_number_has_provenance(path):
    criteria = load_criteria(path).criteria
    missing = [node.id for node, _, _ in iter_nodes(criteria.items) if node.is_leaf and node.provenance is None]
    missing += [adj.id for adj in criteria.adjustments if adj.provenance is None]
    assert missing == []
    assert criteria.decision is not None


def test_validate_command_accepts_every_shipped_set():
    result = CliRunner().invoke(app, ["validate", *map(str, SETS)])
    assert result.exit_code == 0, result.output
    assert f"Hợp lệ: {len(SETS)} bộ chỉ số." in result.output


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_shipped_cases_pass_and_cover_every_boundary_and_status(path):
    suite, problems = run_suite(path)
    assert problems == [], "\n".join(p.render() for p in problems)
    assert suite.cases, "a case file with no cases"
    report = format_report(TestReport(suites=[suite]), show_coverage=True)
    assert not suite.failed, report
    assert suite.coverage_gaps == [], report


def test_a_broken_expectation_in_a_shipped_case_file_would_fail(tmp_path):
    """The parametrised test above can fail: a copy with one wrong number is reported."""
    source = (CRITERIA / "cases" / "camau-2013-linhvuc1.cases.yaml").read_text(encoding="utf-8")
    broken = source.replace('"1.1.4": {points: 1, status: partial}', '"1.1.4": {points: 2, status: partial}', 1)
    assert broken != source
    copy = tmp_path / "camau.cases.yaml"
    copy.write_text(f"criteria: {CRITERIA / 'camau-2013-linhvuc1.yaml'}\n" + broken, encoding="utf-8")
    suite, problems = run_suite(copy)
    assert problems == []
    [failed] = suite.failed
    assert failed.name == "1.1.4 đúng 90% → 1 điểm (2 điểm cần trên 90%)"


# ---------------------------------------------------------------- Cà Mau 2013, area 1 (the one fully known fragment)


def camau_score(done: float, total: float):
    loaded = load_criteria(CRITERIA / "camau-2013-linhvuc1.yaml")
    bundle = Bundle.model_validate({
        "unit": {"id": "so-a", "name": "Sở A", "level": "so"},
        "period": {"year": 2013, "start": "01/01/2013", "end": "31/12/2013"},
        "as_of": "31/12/2013",
        "metrics": [{"name": "ke_hoach_nhiem_vu_hoan_thanh", "value": done}, {"name": "ke_hoach_nhiem_vu", "value": total}],
    })
    result = score_unit(loaded, LoadedBundle(bundle, "mem", "", []))
    return next(n for n in result.nodes if n.id == "1.1.4")


@pytest.mark.parametrize("done,points", [(900, 1), (901, 2), (700, 1), (699, 0), (1000, 2), (0, 0)])
def test_camau_1_1_4_boundaries_follow_the_text(done, points):
    assert camau_score(done, 1000).points == points


def test_camau_structure_is_exactly_the_known_fragment():
    criteria = load_criteria(CRITERIA / "camau-2013-linhvuc1.yaml").criteria
    nodes = {node.id: node for node, _, _ in iter_nodes(criteria.items)}
    assert set(nodes) == {"1", "1.1", "1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.2", "1.2.1", "1.2.2", "1.3"}
    assert {i: node_max(nodes[i], "so") for i in ("1.1", "1.2", "1.3")} == {"1.1": 5, "1.2": 2, "1.3": 3}
    assert [leaf_max(nodes[f"1.1.{i}"], "so") for i in range(1, 5)] == [1, 1, 1, 2]
    assert criteria.max_points == 10 and nodes["1"].max_points is None, "the unknown half of area 1 is not invented"
    assert nodes["1.3"].rule.kind == "manual" and nodes["1.3"].provenance.illustrative
    assert (nodes["1.1.1"].rule.on_time_points, nodes["1.1.1"].rule.late_points, nodes["1.1.1"].rule.missing_points) == (1, 0.5, 0)
    assert nodes["1.2.1"].rule.kind == "documents" and len(nodes["1.2.1"].rule.documents) == 4


def test_province_set_follows_qd_876():
    criteria = load_criteria(CRITERIA / "tinh-qd876.yaml").criteria
    assert len(criteria.items) == 8 and criteria.max_points == 100
    survey = sum(leaf_max(n, "tinh") for n, _, _ in iter_nodes(criteria.items) if n.rule and n.rule.kind == "survey")
    assert (survey, criteria.survey_points, criteria.max_points - survey) == (32, 32, 68)
    a, b = criteria.bands[0], criteria.bands[1]
    assert (a.label, a.min, a.min_inclusive) == ("Nhóm A", 90, True)
    assert (b.label, b.min, b.max, b.max_inclusive) == ("Nhóm B", 80, 90, False)
    variant = load_criteria(CRITERIA / "tinh-qd876-bands-2022.yaml").criteria
    c = variant.bands[2]
    assert (c.label, c.min, c.max, c.max_inclusive) == ("Nhóm C", 70, 80, False)


def test_readme_lists_every_set():
    readme = (CRITERIA / "README.md").read_text(encoding="utf-8")
    for path in SETS:
        assert path.name in readme


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_every_criterion_has_a_complete_corrective_task_template_with_its_source(path):
    """The plan appendix needs every column: product, a real lead, partners, a deadline; and where the task comes from."""
    criteria = load_criteria(path).criteria
    for node, _, _ in iter_nodes(criteria.items):
        if not node.is_leaf:
            continue
        template = node.remediation
        assert template is not None, node.id
        assert template.product and template.lead and template.cooperating and template.funding, node.id
        assert template.deadline or template.deadline_days is not None, node.id
        assert template.lead.strip() != "{unit}", node.id
        assert template.provenance is not None, node.id
