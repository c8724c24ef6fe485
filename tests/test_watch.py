"""In-year watch: warnings keep their key across runs, are raised once, repeated when worse, closed when evidence arrives."""

from __future__ import annotations

import copy
import json

from conftest import CATALOG, RATIO, bundle_dict, write_yaml
from typer.testing import CliRunner

import cli

runner = CliRunner()


def _criteria(tmp_path):
    leaves = [
        {"id": "1.1", "title": "Báo cáo quý I", "max_points": 1,
         "rule": {"kind": "documents", "documents": [{"kind": "bao_cao_1", "deadline": {"day": 14, "month": 3}}]}},
        {"id": "1.2", "title": "Kế hoạch năm", "max_points": 1,
         "rule": {"kind": "timeliness", "document": "ke_hoach", "deadline": {"day": 31, "month": 1}, "late_points": 0.5}},
        {"id": "1.3", "title": "Tỷ lệ xử lý", "max_points": 2,
         "rule": {"kind": "tiers", "value": RATIO, "tiers": [{"min": 90, "max": 100, "max_inclusive": True, "points": 2},
                                                             {"min": 0, "max": 90, "points": 0}]}},
    ]
    data = {"id": "thu-2024", "title": "Bộ chỉ số thử", "level": "xa", "year": 2024, "max_points": 4,
            "catalog": copy.deepcopy(CATALOG), "items": [{"id": "1", "title": "Lĩnh vực", "max_points": 4, "children": leaves}]}
    return write_yaml(tmp_path / "bo-chi-so.yaml", data)


def _bundle(tmp_path, name, as_of, done=95, planned=100, documents=()):
    return write_yaml(tmp_path / "minh-chung" / name, bundle_dict(
        as_of=as_of, metrics={"da_xu_ly": done, "phai_xu_ly": planned}, documents=list(documents)))


def _watch(tmp_path, as_of, *extra):
    result = runner.invoke(cli.app, ["watch", str(tmp_path / "minh-chung"), "--criteria", str(_criteria(tmp_path)),
                                     "--as-of", as_of, "--state", str(tmp_path / "trang-thai.json"), *extra])
    assert result.exit_code == 0, result.output
    return result


def _warnings(tmp_path, as_of):
    return {w["kind"]: w for w in json.loads(_watch(tmp_path, as_of, "-f", "json").output)}


def test_warnings_are_raised_once_and_repeated_only_when_worse(tmp_path):
    _bundle(tmp_path, "a.yaml", "01/03/2024")
    first = _warnings(tmp_path, "01/03/2024")
    assert first["due_soon"]["state"] == "new" and first["due_soon"]["key"] == "don-vi-a|1.1|2024-03-14|due_soon"
    assert first["overdue_document"]["criterion"] == "1.2" and first["overdue_document"]["due"] == "31/01/2024"
    assert set(first["due_soon"]) == {"key", "unit_id", "criterion", "kind", "due", "state", "message"}
    again = _warnings(tmp_path, "01/03/2024")
    assert {w["state"] for w in again.values()} == {"open"}
    notice = _watch(tmp_path, "01/03/2024", "-f", "notice").output
    assert "Không có cảnh báo mới" in notice and "Kính gửi UBND Phường A" in notice
    closer = _warnings(tmp_path, "10/03/2024")  # 4 days left: more urgent
    assert closer["due_soon"]["state"] == "worse" and closer["overdue_document"]["state"] == "open"


def test_a_warning_closes_when_the_evidence_arrives_and_a_stronger_one_replaces_a_weaker_one(tmp_path):
    _bundle(tmp_path, "a.yaml", "01/03/2024")
    _warnings(tmp_path, "01/03/2024")
    _bundle(tmp_path, "b.yaml", "12/03/2024", documents=[{"kind": "bao_cao_1", "issue_date": "11/03/2024"}])
    closed = _warnings(tmp_path, "12/03/2024")
    assert closed["due_soon"]["state"] == "closed" and closed["overdue_document"]["state"] == "open"
    notice = _watch(tmp_path, "12/03/2024", "-f", "notice").output
    assert "Đã khắc phục" not in notice  # closed once, not again
    state = json.loads((tmp_path / "trang-thai.json").read_text(encoding="utf-8"))
    assert {w["state"] for w in state["warnings"]} == {"open", "closed"}


def test_a_due_soon_warning_that_becomes_overdue_is_replaced_not_closed(tmp_path):
    _bundle(tmp_path, "a.yaml", "01/03/2024")
    _warnings(tmp_path, "01/03/2024")
    later = json.loads(_watch(tmp_path, "20/03/2024", "-f", "json").output)
    kinds = {(w["criterion"], w["kind"]): w["state"] for w in later}
    assert kinds[("1.1", "overdue_document")] == "new" and ("1.1", "due_soon") not in kinds


def test_a_rate_whose_trend_misses_the_target_warns_from_two_snapshots(tmp_path):
    _bundle(tmp_path, "q1.yaml", "31/03/2024", done=95, planned=100)
    _bundle(tmp_path, "q2.yaml", "30/06/2024", done=165, planned=200)  # the last quarter 70 of 100
    trend = _warnings(tmp_path, "30/06/2024")["trend"]
    assert trend["criterion"] == "1.3" and "dự kiến đạt" in trend["message"] and trend["state"] == "new"
    table = _watch(tmp_path, "30/06/2024")
    assert "chỉ số hiện nay 0%" in table.output


def test_the_state_file_is_never_an_input_and_a_bad_one_is_reported(tmp_path):
    evidence = _bundle(tmp_path, "a.yaml", "01/03/2024")
    before = evidence.read_bytes()
    result = runner.invoke(cli.app, ["watch", str(evidence), "--criteria", str(_criteria(tmp_path)), "--as-of", "01/03/2024",
                                     "--state", str(evidence)])
    assert result.exit_code == 2 and "tệp trạng thái trùng với một tệp đầu vào" in result.output
    assert evidence.read_bytes() == before
    (tmp_path / "trang-thai.json").write_text("{khong phai json", encoding="utf-8")
    bad = runner.invoke(cli.app, ["watch", str(evidence), "--criteria", str(_criteria(tmp_path)), "--as-of", "01/03/2024",
                                  "--state", str(tmp_path / "trang-thai.json")])
    assert bad.exit_code == 2 and "tệp trạng thái cảnh báo không hợp lệ" in bad.output


def test_the_sample_watch_finds_overdue_tasks_and_projects_the_index():
    result = runner.invoke(cli.app, ["watch", "--as-of", "10/03/2024", "-f", "json"])
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.output)
    assert any(w["kind"] == "task_overdue" and w["unit_id"] == "phuong-8" for w in warnings)
    assert len({w["key"] for w in warnings}) == len(warnings)
