"""Block statistics of a run (mean index, units per band) and the changes of rank and index since a previous run."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_CRITERIA, SAMPLE_EVIDENCE
from rich.console import Console
from typer.testing import CliRunner

import cli
from cli import app
from engine import api
from engine.core.problems import InputError
from engine.core.vnformat import round_half_up

KHOI = ROOT / "criteria" / "khoi-2024.yaml"
CITY = ROOT / "evidence" / "thanh-pho-vung-tau"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "console", Console(width=400, soft_wrap=False))
    monkeypatch.setattr(cli, "err_console", Console(width=400, stderr=True))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_statistics_of_the_sample_agree_with_its_units(sample_run):
    [stats] = sample_run.statistics
    indices = [u.index_pct for u in sample_run.units]
    assert (stats.level, stats.label, stats.units, stats.indexed) == ("xa", None, 17, 17)
    assert stats.mean_index_pct == round_half_up(sum(indices) / len(indices), 2)
    assert sum(b.units for b in stats.bands) + stats.unclassified == 17
    for band in stats.bands:
        assert band.units == sum(1 for u in sample_run.units if u.band == band.label)
    assert [b.label for b in stats.bands] == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]
    assert "compared" not in sample_run.model_dump(mode="json")["statistics"][0]


def test_one_statistics_entry_per_block_in_the_order_the_set_declares():
    result = api.score_files(KHOI, [SAMPLE_EVIDENCE, CITY])
    assert [(s.level, s.label, s.units) for s in result.statistics] == [
        ("xa", "Khối xã, phường", 17), ("huyen", "Khối huyện, thị xã, thành phố", 1)]
    city = result.unit("tp-vung-tau")
    assert (city.block, city.total_max_points, [a.id for a in city.areas][-1]) == ("Khối huyện, thị xã, thành phố", 110, "9")
    assert city.rank == 1 and result.unit("phuong-1").block == "Khối xã, phường"
    text = api.statistics(result)
    assert text.splitlines()[1].startswith("Khối huyện, thị xã, thành phố: 1 đơn vị, chỉ số bình quân ")


def previous_file(tmp_path: Path, changes: dict[str, dict]) -> Path:
    """The sample's own JSON with some units' rank and index changed, as a previous run."""
    data = json.loads(api.as_json(api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE])))
    data["criteria_set"]["year"] = 2023
    for unit in data["units"]:
        unit.update(changes.get(unit["unit_id"], {}))
    data["units"] = [u for u in data["units"] if u["unit_id"] != "xa-long-son"]
    path = tmp_path / "xa-2023.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_previous_run_gives_each_unit_its_change_of_rank_and_index(tmp_path):
    previous = previous_file(tmp_path, {"phuong-1": {"rank": 5, "index_pct": 60.5, "final_index_pct": 60.5}})
    result = api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], previous=previous)
    unit = result.unit("phuong-1")
    assert unit.previous_rank == 5 and unit.rank_change == 5 - unit.rank
    assert unit.index_change == round_half_up(unit.index_pct - 60.5, 2)
    same = result.unit("phuong-2")
    assert (same.rank_change, same.index_change) == (0, 0)
    new = result.unit("xa-long-son")
    assert (new.previous_rank, new.rank_change) == (None, None)
    assert "previous_rank" not in json.loads(api.as_json(result))["units"][
        [u.unit_id for u in result.units].index("xa-long-son")]
    [stats] = result.statistics
    assert stats.compared == 16 and stats.previous_mean_index_pct is not None
    assert result.previous.criteria_set == "xa-2024" and result.previous.year == 2023


def test_score_and_report_accept_previous_on_the_command_line(run, tmp_path):
    previous = previous_file(tmp_path, {"phuong-1": {"rank": 5, "index_pct": 60.5, "final_index_pct": 60.5}})
    table = run("score", SAMPLE_EVIDENCE, "--previous", previous)
    assert table.exit_code == 1, table.output
    assert "Hạng kỳ trước" in table.output and "mới" in table.output
    assert "với 16 đơn vị có ở cả hai kỳ" in table.output
    out = tmp_path / "kq.csv"
    assert run("score", SAMPLE_EVIDENCE, "--format", "csv", "--previous", previous, "--output", out).exit_code == 1
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    row = next(r for r in rows if r["Mã đơn vị"] == "phuong-1")
    assert row["Hạng kỳ trước"] == "5" and row["Thay đổi hạng"] == str(5 - int(row["Hạng"]))
    report = run("report", SAMPLE_EVIDENCE, "--format", "md", "--previous", previous, "--output", tmp_path / "r.md")
    assert report.exit_code == 1, report.output
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## SO SÁNH KẾT QUẢ VỚI KỲ TRƯỚC" in text and "*(Kỳ trước: năm 2023)*" in text
    assert any("| UBND xã Long Sơn (mới) |" in line for line in text.splitlines())


@pytest.mark.parametrize("content, code, words", [
    ("{không phải json", "previous.not_json", "không phải JSON hợp lệ"),
    ('{"units": []}', "previous.not_a_run", "không phải kết quả chấm điểm của parindex"),
])
def test_a_bad_previous_file_is_an_input_error_naming_it(tmp_path, content, code, words):
    path = tmp_path / "cu.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], previous=path)
    assert {p.code for p in caught.value.problems} == {code}
    assert all(p.file == str(path) and words in p.message for p in caught.value.problems)


def test_a_missing_previous_file_exits_2_with_every_other_problem(run, tmp_path):
    result = run("score", SAMPLE_EVIDENCE, "--previous", tmp_path / "khong-co.json")
    assert result.exit_code == 2
    assert "không đọc được kết quả kỳ trước" in result.output
