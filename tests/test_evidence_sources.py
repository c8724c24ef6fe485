"""Bundles that point to a plan appendix table and to one-stop dossier exports instead of listing them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.load.bundles import load_bundle
from engine.load.criteria import load_criteria
from engine.score.unit import score_unit

ROOT = Path(__file__).resolve().parents[1]
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"

PLAN = """STT,Nhiệm vụ,Sản phẩm,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian thực hiện
1,Ban hành Kế hoạch CCHC năm 2024,Kế hoạch,Văn phòng,Các bộ phận,Trước ngày 31/12/2023
2,Kế hoạch tuyên truyền CCHC,Kế hoạch,Văn hóa,,Tháng 01/2024
3,Niêm yết công khai TTHC,Bảng niêm yết,Một cửa,,Hoàn thành trước ngày 15/02/2024
4,Rà soát văn bản,Báo cáo,Tư pháp,,Quý I năm 2024
5,Đối thoại với người dân,Hội nghị,Chủ tịch,,Thường xuyên
"""

STATUS = """STT,Trạng thái,Ngày hoàn thành
1,hoàn thành,27/12/2023
2,hoàn thành,31/01/2024
3,hoàn thành,14/02/2024
4,đang thực hiện,
5,đang thực hiện,
"""


def _bundle_with_plan(tmp_path: Path, plan: str, status: str | None = STATUS) -> Path:
    base = (ROOT / "evidence" / "vung-tau-2024" / "phuong-1.yaml").read_text(encoding="utf-8")
    head, _, _ = base.partition("plan_tasks:")
    (tmp_path / "plan.csv").write_text(plan, encoding="utf-8")
    sources = "sources:\n  plan_table:\n    file: plan.csv\n    year: 2024\n"
    if status is not None:
        (tmp_path / "status.csv").write_text(status, encoding="utf-8")
        sources += "    status: status.csv\n"
    path = tmp_path / "bundle.yaml"
    path.write_text(head + sources, encoding="utf-8")
    return path


def _node(unit, node_id):
    return next(n for n in unit.nodes if n.id == node_id)


def test_plan_table_tasks_score_plan_completion(tmp_path):
    path = _bundle_with_plan(tmp_path, PLAN)
    loaded, problems = load_bundle(path)
    assert loaded is not None, problems
    tasks = {t.id: t for t in loaded.bundle.plan_tasks}
    assert tasks["5"].recurring and tasks["5"].deadline is None
    # "Trước ngày 31/12/2023" is read literally: the last on-time day is 30/12/2023.
    assert tasks["1"].deadline.isoformat() == "2023-12-30"
    assert tasks["2"].deadline.isoformat() == "2024-01-31"
    unit = score_unit(load_criteria(CRITERIA), loaded)
    node = _node(unit, "1.1.4")
    # as_of 29/02/2024: tasks 1-3 due and done on time; task 4 (Quý I) is not yet due → 3/3 = 100%.
    assert node.points == 2 and node.status == "pass"
    observed = {o.name: o.value for o in node.explanation.observed}
    assert observed["nhiệm vụ đến hạn"] == "3"
    assert observed["hoàn thành đúng hạn"] == "3"


def test_late_task_lowers_completion(tmp_path):
    path = _bundle_with_plan(tmp_path, PLAN, STATUS.replace("3,hoàn thành,14/02/2024", "3,hoàn thành,20/02/2024"))
    loaded, _ = load_bundle(path)
    node = _node(score_unit(load_criteria(CRITERIA), loaded), "1.1.4")
    assert node.points == 0 and node.status == "fail"  # 2/3 = 66.67% < 70%


def test_unreadable_deadline_makes_plan_criteria_a_data_error(tmp_path):
    broken = PLAN.replace("Quý I năm 2024", "không rõ")
    path = _bundle_with_plan(tmp_path, broken)
    loaded, problems = load_bundle(path)
    assert loaded is not None
    assert any("không rõ" in (p.value or "") for p in problems)
    node = _node(score_unit(load_criteria(CRITERIA), loaded), "1.1.4")
    assert node.status == "data_error" and node.points == 0
    assert "plan.csv" in node.explanation.problems[0]


def test_missing_plan_file_is_a_data_error_not_a_fail(tmp_path):
    path = _bundle_with_plan(tmp_path, PLAN)
    (tmp_path / "plan.csv").unlink()
    loaded, _ = load_bundle(path)
    node = _node(score_unit(load_criteria(CRITERIA), loaded), "1.1.4")
    assert node.status == "data_error"


def test_sources_do_not_modify_inputs(tmp_path):
    path = _bundle_with_plan(tmp_path, PLAN)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    load_bundle(path)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    assert before == after


def test_evidence_hash_changes_with_the_referenced_table(tmp_path):
    path = _bundle_with_plan(tmp_path, PLAN)
    first = load_bundle(path)[0].digest
    (tmp_path / "status.csv").write_text(STATUS.replace("14/02/2024", "13/02/2024"), encoding="utf-8")
    assert load_bundle(path)[0].digest != first


EXPORT_HEADER = "Mã hồ sơ,Đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Ngày trả kết quả,Trạng thái,Số hóa kết quả,Nộp trực tuyến,Thanh toán trực tuyến\n"


def _export_rows() -> str:
    rows = []
    # Phường 1 (written "UBND phường 1" by the software): 10 resolved (8 on time or early, 2 late), 9 digitized, 4 online.
    for i in range(10):
        status = "Đúng hạn" if i < 6 else ("Sớm hạn" if i < 8 else "Quá hạn")
        rows.append(f"HS{i:03d},UBND phường 1,0{1 + i % 9}/02/2024,15/02/2024,1{i % 9}/02/2024,{status},"
                    f"{'Có' if i < 9 else 'Không'},{'Có' if i < 4 else 'Không'},Không")
    rows.append("HS100,UBND phường 1,20/02/2024,10/03/2024,,Đang xử lý (còn hạn),Không,Có,Không")
    rows.append("HS200,UBND phường 2,05/02/2024,15/02/2024,10/02/2024,Đúng hạn,Có,Không,Không")
    return EXPORT_HEADER + "\n".join(rows) + "\n"


def _bundle_with_export(tmp_path: Path, export: str) -> Path:
    base = (ROOT / "evidence" / "vung-tau-2024" / "phuong-1.yaml").read_text(encoding="utf-8")
    head, _, rest = base.partition("metrics:")
    _, _, tail = rest.partition("plan_tasks:")
    keep = ("- name: plan_covers_all_tasks\n  value: có\n")
    (tmp_path / "motcua.csv").write_text(export, encoding="utf-8")
    text = (head + "metrics:\n" + keep + "plan_tasks:" + tail
            + "sources:\n  dossier_exports:\n    - {file: motcua.csv, mapping: motcua_tinh}\n")
    path = tmp_path / "bundle.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_dossier_export_provides_the_units_metrics(tmp_path):
    loaded, problems = load_bundle(_bundle_with_export(tmp_path, _export_rows()))
    assert loaded is not None, problems
    metrics = {m.name: m.value for m in loaded.bundle.metrics}
    assert metrics["dossiers_resolved"] == 10
    assert metrics["dossiers_resolved_on_time"] == 8
    assert metrics["results_digitized"] == 9
    assert metrics["dossiers_received"] == 11
    assert metrics["dossiers_online"] == 5
    unit = score_unit(load_criteria(CRITERIA), loaded)
    digitized = _node(unit, "3.5.1")
    assert digitized.points == 2  # 90% is in "từ 70% đến 90%"
    assert any("motcua.csv" in ref for ref in digitized.evidence_refs)
    assert _node(unit, "3.2.1").points == 0  # 80% on time is below 90%


def test_export_missing_a_column_makes_dossier_criteria_data_errors(tmp_path):
    broken = _export_rows().replace(",Số hóa kết quả", ",Ghi chú", 1)
    loaded, problems = load_bundle(_bundle_with_export(tmp_path, broken))
    assert loaded is not None
    assert [(p.code, p.severity) for p in problems] == [("dossier.missing_columns", "warning")]
    assert "Số hóa kết quả" in problems[0].column
    unit = score_unit(load_criteria(CRITERIA), loaded)
    node = _node(unit, "3.5.1")
    assert node.status == "data_error" and node.points == 0
    assert "motcua.csv" in node.explanation.problems[0]


def test_zero_denominator_without_numerator_is_not_applicable_not_missing():
    """No audit recommendations at all: 6.3.1 allows N/A with full points even if 'done' was not filled in."""
    loaded, _ = load_bundle(ROOT / "evidence" / "vung-tau-2024" / "phuong-1.yaml")
    unit = score_unit(load_criteria(CRITERIA), loaded)
    node = _node(unit, "6.3.1")
    assert node.status == "not_applicable" and node.points == node.max_points == 2
