"""Reports as evidence: a bundle's unit gets its row's counts; contradictions and disagreeing sources are data problems."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from engine.load.bundles import load_bundle
from engine.load.criteria import load_criteria
from engine.load.metric_checks import contradictions
from engine.load.workbook import load_workbook_bundle
from engine.model.evidence import Metric
from engine.render.workbook import build_template
from engine.score.unit import score_unit
from report_form_samples import SAMPLES, opencps_workbook

ROOT = Path(__file__).resolve().parents[1]
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
WARD = ROOT / "evidence" / "vung-tau-2024" / "phuong-1.yaml"
DOSSIER_METRICS = ("dossiers_", "results_digitized", "payments_online")
OPENCPS = "opencps-thong-ke-2024.xlsx"
PORTAL = "cong-dvc-tinh-thong-ke-2024.csv"
TT01 = "tt01-2020-bieu-06a-phuong-mau-2024.xlsx"


@pytest.fixture(scope="module")
def criteria():
    return load_criteria(CRITERIA)


def bundle_file(tmp_path: Path, sources: dict | None = None, metrics: list[dict] | None = None,
                keep_dossier_metrics: bool = False, files: tuple[str, ...] = ()) -> Path:
    """Phường 1's bundle with its dossier metrics replaced by `metrics` and `sources` (files copied beside it)."""
    data = yaml.safe_load(WARD.read_text(encoding="utf-8"))
    data["metrics"] = [m for m in data["metrics"] if keep_dossier_metrics or not m["name"].startswith(DOSSIER_METRICS)]
    data["metrics"] += metrics or []
    if sources is not None:
        data["sources"] = sources
    for name in files:
        shutil.copy(SAMPLES / name, tmp_path / name)
    path = tmp_path / "phuong-1.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def scored(criteria, path: Path):
    loaded, problems = load_bundle(path)
    assert loaded is not None, [p.render() for p in problems]
    unit = score_unit(criteria, loaded)
    return loaded, {n.id: n for n in unit.nodes}, unit


def export(name: str, mapping: str) -> dict:
    return {"file": name, "mapping": mapping}


def test_the_units_row_of_an_opencps_report_scores_its_criteria(tmp_path, criteria):
    path = bundle_file(tmp_path, {"dossier_exports": [export(OPENCPS, "opencps_thongke")]}, files=(OPENCPS,))
    loaded, nodes, unit = scored(criteria, path)
    metrics = {m.name: m for m in loaded.bundle.metrics}
    assert metrics["dossiers_resolved"].value == 633 and metrics["dossiers_resolved_on_time"].value == 630
    assert metrics["dossiers_resolved_on_time"].source.endswith("dòng 9 'UBND Phường 1', ô I9 + J9")
    assert loaded.failed == {} and loaded.warnings == []
    on_time = nodes["3.2.1"]
    assert (on_time.status, on_time.points) == ("partial", 3)  # 630 / 633 = 99,5%: "từ 95% đến dưới 100%"
    assert any("opencps-thong-ke-2024.xlsx" in (o.ref or "") for o in on_time.explanation.observed)
    assert nodes["3.5.1"].status == "missing_evidence"  # the report has no digitisation column: never a pass


def test_a_per_field_report_belongs_to_the_bundle_unit(tmp_path, criteria):
    path = bundle_file(tmp_path, {"dossier_exports": [export(TT01, "tt01_2020_06a")]}, files=(TT01,))
    loaded, nodes, _ = scored(criteria, path)
    metrics = {m.name: m.value for m in loaded.bundle.metrics if m.name.startswith("dossiers_")}
    assert metrics["dossiers_resolved"] == 601 and metrics["dossiers_online"] == 336
    assert {m.period for m in loaded.bundle.metrics if m.name.startswith("dossiers_")} == {"15/12/2023–14/12/2024"}
    assert nodes["7.1.1"].status in ("pass", "partial", "fail")


def test_broken_identity_makes_the_criteria_using_it_data_errors_naming_the_cells(tmp_path, criteria):
    book = opencps_workbook()
    book.active["J9"] = 488  # Phường 1 on time 478 → 488: 152 + 488 + 3 is no longer the 633 resolved
    book.save(tmp_path / OPENCPS)
    path = bundle_file(tmp_path, {"dossier_exports": [export(OPENCPS, "opencps_thongke")]})
    loaded, nodes, unit = scored(criteria, path)
    on_time = nodes["3.2.1"]
    assert (on_time.status, on_time.points) == ("data_error", 0)
    [problem] = on_time.explanation.problems
    assert "ô H9 'Tổng số' = 633 nhưng ô I9 'Trước hạn' + ô J9 'Đúng hạn' + ô K9 'Quá hạn' = 152 + 488 + 3 = 643" in problem
    assert {o.value for o in on_time.explanation.observed} >= {"640", "633"}  # both numbers shown, neither scored
    assert nodes["7.1.1"].status != "data_error"  # the receiving side of the same row is consistent
    assert any(w.code == "report.identity" and w.row == 9 and "ô J9" in w.message for w in loaded.warnings)
    assert unit.data_problems >= 2


def test_a_unit_missing_from_the_report_is_missing_evidence(tmp_path, criteria):
    path = bundle_file(tmp_path, {"dossier_exports": [export(OPENCPS, "opencps_thongke")]}, files=(OPENCPS,))
    text = path.read_text(encoding="utf-8").replace("name: UBND Phường 1", "name: UBND Phường 99")
    text = text.replace("- UBND phường 1\n", "").replace("- Phường 1\n", "")
    path.write_text(text, encoding="utf-8")
    loaded, nodes, _ = scored(criteria, path)
    assert [w.code for w in loaded.warnings] == ["sources.no_report_row"]
    assert nodes["3.2.1"].status == "missing_evidence"


def test_a_report_that_cannot_be_read_fails_only_the_metrics_its_layout_gives(tmp_path, criteria):
    (tmp_path / PORTAL).write_text("không phải biểu\n", encoding="utf-8")
    path = bundle_file(tmp_path, {"dossier_exports": [export(PORTAL, "cong_dvc_tinh_thongke")]},
                       metrics=[{"name": "results_digitized", "value": 600, "source": "Báo cáo quý"}])
    loaded, nodes, _ = scored(criteria, path)
    assert "dossiers_resolved" in loaded.failed and "results_digitized" not in loaded.failed
    assert nodes["3.2.1"].status == "data_error"
    assert "không tìm thấy dòng tiêu đề" in nodes["3.2.1"].explanation.problems[0]


# ---------------------------------------------------------------- one indicator, two sources


def two_sources(tmp_path: Path, tolerance=None) -> Path:
    sources = {"dossier_exports": [export(OPENCPS, "opencps_thongke"), export(PORTAL, "cong_dvc_tinh_thongke")]}
    if tolerance is not None:
        sources["tolerance"] = tolerance
    return bundle_file(tmp_path, sources, files=(OPENCPS, PORTAL))


def test_two_sources_within_the_tolerance_are_both_kept_and_shown(tmp_path, criteria):
    loaded, nodes, _ = scored(criteria, two_sources(tmp_path, "1%"))
    resolved = next(m for m in loaded.bundle.metrics if m.name == "dossiers_resolved")
    assert resolved.value == 633 and [a.value for a in resolved.also] == [631]  # the first source listed is scored
    on_time = nodes["3.2.1"]
    assert (on_time.status, on_time.points) == ("partial", 3)
    refs = " ".join(o.ref or "" for o in on_time.explanation.observed)
    assert "opencps-thong-ke-2024.xlsx" in refs and "cong-dvc-tinh-thong-ke-2024.csv" in refs and ": 631" in refs
    # In-progress counts differ far beyond 1% (the portal has no carried-over dossiers): a data problem, named.
    assert "dossiers_in_progress" in loaded.failed
    assert any(w.code == "sources.disagree" and w.message.startswith("Số hồ sơ đang giải quyết (còn hạn): các nguồn cho số "
                                                                      "khác nhau") for w in loaded.warnings)


def test_two_sources_beyond_the_tolerance_are_a_data_problem_naming_both(tmp_path, criteria):
    _, nodes, _ = scored(criteria, two_sources(tmp_path, 1))  # at most one dossier apart
    on_time = nodes["3.2.1"]
    assert on_time.status == "data_error"
    [problem] = on_time.explanation.problems
    assert "các nguồn cho số khác nhau" in problem and ": 630;" in problem and ": 628)" in problem
    assert "vượt mức cho phép 1 hồ sơ" in problem


def test_without_a_declared_tolerance_sources_must_agree(tmp_path, criteria):
    _, nodes, _ = scored(criteria, two_sources(tmp_path))
    assert nodes["3.2.1"].status == "data_error"
    assert "không khai báo mức chênh lệch cho phép" in nodes["3.2.1"].explanation.problems[0]
    assert nodes["7.1.1"].status != "data_error"  # received and online agree exactly: 641 and 336 in both


def test_a_value_written_by_hand_is_a_second_source(tmp_path, criteria):
    hand = {"name": "dossiers_resolved", "value": 633, "source": "Cổng Dịch vụ công quốc gia"}
    path = bundle_file(tmp_path, {"dossier_exports": [export(OPENCPS, "opencps_thongke")]}, metrics=[hand],
                       files=(OPENCPS,))
    loaded, nodes, _ = scored(criteria, path)
    [resolved] = [m for m in loaded.bundle.metrics if m.name == "dossiers_resolved"]
    assert [(a.value, a.source) for a in resolved.also] == [(633, "Cổng Dịch vụ công quốc gia")]
    assert nodes["3.2.1"].status == "partial"
    path = bundle_file(tmp_path, {"dossier_exports": [export(OPENCPS, "opencps_thongke")]},
                       metrics=[hand | {"value": 700}])
    _, nodes, _ = scored(criteria, path)
    assert nodes["3.2.1"].status == "data_error" and "Cổng Dịch vụ công quốc gia: 700" in \
        nodes["3.2.1"].explanation.problems[0]


@pytest.mark.parametrize("tolerance,words", [("-1", "phải là số hồ sơ"), ("hai phần trăm", "phải là số hồ sơ"),
                                             (True, "phải là số hồ sơ")])
def test_a_tolerance_that_is_not_a_count_or_percentage_is_an_input_error(tmp_path, tolerance, words):
    loaded, problems = load_bundle(two_sources(tmp_path, tolerance))
    assert loaded is None and any(p.code == "evidence.bad_tolerance" and words in p.message
                                  and p.path == "sources.tolerance" for p in problems)


# ---------------------------------------------------------------- numbers written by hand must agree too


@pytest.mark.parametrize("changes,failed,words", [
    ({"dossiers_received": 600}, {"dossiers_received", "dossiers_resolved"}, "không thể nhiều hơn số hồ sơ tiếp nhận"),
    ({"dossiers_resolved_on_time": 650}, {"dossiers_resolved", "dossiers_resolved_on_time"}, "phải bằng số đúng hạn"),
    ({"dossiers_online": 700}, {"dossiers_received", "dossiers_online"}, "nộp trực tuyến không thể nhiều hơn"),
])
def test_contradicting_numbers_written_by_hand(tmp_path, criteria, changes, failed, words):
    data = yaml.safe_load(WARD.read_text(encoding="utf-8"))
    for metric in data["metrics"]:
        metric["value"] = changes.get(metric["name"], metric["value"])
    path = tmp_path / "phuong-1.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded, nodes, unit = scored(criteria, path)
    assert set(loaded.failed) == failed
    [warning] = loaded.warnings
    assert warning.code == "evidence.metric_contradiction" and words in warning.message and warning.line is not None and warning.path.startswith("metrics[")
    users = {"dossiers_resolved": ("3.2.1", "3.5.1"), "dossiers_received": ("7.1.1", "7.1.2"),
             "dossiers_resolved_on_time": ("3.2.1",), "dossiers_online": ("7.1.1",)}
    for name in failed:
        for criterion in users[name]:
            assert nodes[criterion].status == "data_error", (name, criterion)


def test_on_time_and_late_not_adding_up_to_resolved():
    metrics = [Metric(name="dossiers_resolved", value=100, source="A"), Metric(name="dossiers_resolved_on_time", value=90),
               Metric(name="dossiers_resolved_late", value=5)]
    [found] = contradictions(metrics)
    assert "95" in found.message and "khác" in found.message
    assert contradictions(metrics[:2]) == []  # 90 of 100 on time, late not given: parts within the whole
    assert contradictions([*metrics[:2], Metric(name="dossiers_resolved_late", value=10)]) == []


def test_carried_over_dossiers_count_on_the_received_side():
    metrics = [Metric(name="dossiers_received", value=100), Metric(name="dossiers_resolved", value=110)]
    assert len(contradictions(metrics)) == 1
    assert contradictions([*metrics, Metric(name="dossiers_carried_over", value=15)]) == []


def test_a_filled_workbook_with_contradicting_numbers(tmp_path, criteria):
    from test_workbook import fill_complete, set_metric  # the workbook tests' own filling helpers

    path = tmp_path / "mau.xlsx"
    path.write_bytes(build_template(criteria.criteria, "phuong-thu", name="UBND Phường Thử", criteria_digest=criteria.digest))
    wb = openpyxl.load_workbook(path)
    fill_complete(wb)
    row = set_metric(wb, "dossiers_resolved_on_time", "2.100")
    wb.save(path)
    loaded, problems = load_workbook_bundle(path)
    assert loaded is not None, [p.render() for p in problems]
    assert set(loaded.failed) == {"dossiers_resolved", "dossiers_resolved_on_time"}
    assert any(p.code == "evidence.metric_contradiction" and p.row and p.column == "D" for p in loaded.warnings)
    node = {n.id: n for n in score_unit(criteria, loaded).nodes}["3.2.1"]
    assert node.status == "data_error"
    assert row
