"""`parindex inspect export`: how a dossier export or report is read, before scoring with it."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import cli
from cli import app
from report_form_samples import SAMPLES, csv_bytes, tonghop_rows

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {
    "tt01-2020-bieu-06a-phuong-mau-2024.xlsx": "tt01_2020_06a",
    "tt01-2020-tong-hop-phuong-xa-2024.csv": "tt01_2020_tonghop",
    "opencps-thong-ke-2024.xlsx": "opencps_thongke",
    "cong-dvc-tinh-thong-ke-2024.csv": "cong_dvc_tinh_thongke",
}


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "console", Console(width=400, soft_wrap=False))
    monkeypatch.setattr(cli, "err_console", Console(width=400, stderr=True))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("name,mapping", sorted(SHIPPED.items()))
def test_each_shipped_mapping_reads_its_sample_cleanly(run, name, mapping):
    result = run("inspect", "export", SAMPLES / name, "--mapping", mapping, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["problems"] == [] and data["units"]
    assert all(u["metrics"]["dossiers_resolved"] > 0 and u["data_problems"] == {} for u in data["units"])


def test_json_gives_metrics_per_unit_and_problems_with_place_and_value(run, tmp_path):
    rows = tonghop_rows()
    rows[8][7] = "838"
    rows[9][6] = "85%"
    path = tmp_path / "bieu.csv"
    path.write_bytes(csv_bytes(rows))
    result = run("inspect", "export", path, "--mapping", "tt01_2020_tonghop", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["layout"] == "units" and data["mapping"] == "tt01_2020_tonghop"
    assert data["period_start"] == "2023-12-15"
    units = {u["unit"]: u for u in data["units"]}
    assert units["UBND Phường 1"]["metrics"]["dossiers_resolved"] == 633 and units["UBND Phường 1"]["row"] == 7
    assert "dossiers_resolved" in units["UBND Phường 3"]["data_problems"]
    cell = next(p for p in data["problems"] if p["value"] == "85%")
    assert (cell["code"], cell["row"], cell["column"], cell["place"]) == ("report.not_a_count", 10, "G", "dòng 10, cột G")
    assert any(p["row"] == 9 and "ô H9" in p["message"] for p in data["problems"])


def test_table_output_prints_user_text_literally(run, tmp_path):
    rows = tonghop_rows()
    rows[6][1] = "[bold red]UBND Phường 1[/] :warning:"
    path = tmp_path / "bieu.csv"
    path.write_bytes(csv_bytes(rows))
    result = run("inspect", "export", path, "--mapping", "tt01_2020_tonghop")
    assert result.exit_code == 0, result.output
    assert "[bold red]UBND Phường 1[/] :warning:" in result.output
    assert "Số hồ sơ TTHC đã giải quyết" in result.output and "6 đơn vị, 0 vấn đề" in result.output


def test_a_row_level_export_is_counted_over_the_year(run, tmp_path):
    header = ("Mã hồ sơ,Đơn vị,Ngày tiếp nhận,Ngày hẹn trả,Ngày trả kết quả,Trạng thái,Số hóa kết quả,Nộp trực tuyến,"
              "Thanh toán trực tuyến\n")
    body = ("HS1,UBND Phường 1,05/03/2024,15/03/2024,10/03/2024,Đúng hạn,Có,Có,Không\n"
            "HS2,UBND Phường 1,05/03/2023,15/03/2023,10/03/2023,Đúng hạn,Có,Có,Không\n")
    path = tmp_path / "hoso.csv"
    path.write_text(header + body, encoding="utf-8")
    result = run("inspect", "export", path, "--mapping", "motcua_tinh", "--year", "2024", "--format", "json")
    data = json.loads(result.output)
    assert data["layout"] == "rows" and data["units"][0]["metrics"]["dossiers_resolved"] == 1
    assert result.exit_code == 1 and "trước kỳ" in data["problems"][0]["message"]


def test_a_mapping_file_by_path(run, tmp_path):
    mapping = tmp_path / "cua-toi.yaml"
    shutil.copy(ROOT / "engine" / "load" / "mappings" / "opencps_thongke.yaml", mapping)
    result = run("inspect", "export", SAMPLES / "opencps-thong-ke-2024.xlsx", "--mapping", mapping)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args,words", [
    (["--mapping", "khong_co"], "không có ánh xạ này; các ánh xạ có sẵn: cong_dvc_tinh_thongke, motcua_tinh"),
    (["--mapping", "opencps_thongke"], "thiếu cột theo ánh xạ"),
])
def test_unreadable_inputs_exit_2_with_a_vietnamese_message(run, args, words):
    result = run("inspect", "export", SAMPLES / "tt01-2020-tong-hop-phuong-xa-2024.csv", *args)
    assert result.exit_code == 2
    assert words in result.output


def test_inspecting_never_changes_the_inputs(run):
    before = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in SAMPLES.iterdir()}
    for name, mapping in SHIPPED.items():
        run("inspect", "export", SAMPLES / name, "--mapping", mapping)
        run("inspect", "export", SAMPLES / name, "--mapping", mapping, "--format", "json")
    after = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in SAMPLES.iterdir()}
    assert before == after
