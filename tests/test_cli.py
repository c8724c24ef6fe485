"""The CLI end to end on the bundled sample and on small hand-made inputs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from conftest import SAMPLE_CRITERIA, SAMPLE_EVIDENCE
from rich.console import Console
from typer.testing import CliRunner

import cli
from cli import app
from engine import api
from engine.core.problems import InputError
from engine.kinds.tree import criteria_json_schema

WARDS = ["UBND Phường 1", "UBND Phường 2", "UBND Phường 3", "UBND Phường 4", "UBND Phường 5", "UBND Phường 7",
         "UBND Phường 8", "UBND Phường 9", "UBND Phường 10", "UBND Phường 11", "UBND Phường 12", "UBND Phường Thắng Nhất",
         "UBND Phường Thắng Nhì", "UBND Phường Thắng Tam", "UBND Phường Nguyễn An Ninh", "UBND Phường Rạch Dừa",
         "UBND xã Long Sơn"]


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Invoke the CLI from an empty working folder, with consoles wide enough not to wrap."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "console", Console(width=400, soft_wrap=False))
    monkeypatch.setattr(cli, "err_console", Console(width=400, stderr=True))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def ward_copy(tmp_path: Path, name: str, unit_id: str = "phuong-moi") -> Path:
    text = (SAMPLE_EVIDENCE / "phuong-1.yaml").read_text(encoding="utf-8")
    text = text.replace("  id: phuong-1\n", f"  id: {unit_id}\n", 1).replace("  name: UBND Phường 1\n", f"  name: '{name}'\n", 1)
    path = tmp_path / "in" / f"{unit_id}.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def digest_tree(*paths: Path) -> dict[str, str]:
    files = [p for path in paths for p in ([path] if path.is_file() else sorted(path.rglob("*")))]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def test_score_without_arguments_ranks_the_17_wards(run, tmp_path):
    result = run("score")
    assert result.exit_code == 1  # data problems in Phường 3, 5 and 9
    lines = result.output.splitlines()
    for ward in WARDS:
        assert any(f"│ {ward} " in line for line in lines), ward
    first_row = next(line for line in lines if "UBND" in line)
    assert "│    1 │ UBND Phường 1 " in first_row and "79,44%" in first_row and "Khá" in first_row
    assert "Kết quả chi tiết (JSON): out/xa-2024.json" in result.output
    assert "Có 9 lỗi dữ liệu ở 3 đơn vị" in result.output  # digitized above resolved: two criteria and a warning each
    written = json.loads((tmp_path / "out" / "xa-2024.json").read_text(encoding="utf-8"))
    flagged = sorted(u["unit_id"] for u in written["units"] if u["data_problems"])
    assert flagged == ["phuong-3", "phuong-5", "phuong-9"]


def test_score_json_parses(run):
    result = run("score", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["criteria_set"]["id"] == "xa-2024"
    assert len(data["units"]) == 17
    assert [u["rank"] for u in data["units"]][:3] == [1, 2, 3]
    assert data["units"][0]["unit_id"] == "phuong-1"


def test_score_json_is_deterministic(run):
    first = run("score", "--format", "json").stdout
    assert run("score", "--format", "json").stdout == first


def test_score_output_writes_the_file(run, tmp_path):
    target = tmp_path / "ket-qua" / "run.json"
    result = run("score", "--format", "json", "--output", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"Đã ghi {target}" in result.output
    assert json.loads(target.read_text(encoding="utf-8"))["units"][0]["name"] == "UBND Phường 1"
    assert [p.name for p in target.parent.iterdir()] == ["run.json"]  # no temporary file left behind


def test_score_table_output_option_sets_the_json_path(run, tmp_path):
    result = run("score", "--output", tmp_path / "kq.json")
    assert f"Kết quả chi tiết (JSON): {tmp_path / 'kq.json'}" in result.output
    assert not (tmp_path / "out").exists()


def test_score_csv_neutralises_formula_cells(run, tmp_path):
    bundle = ward_copy(tmp_path, '=HYPERLINK("http://x.vn","bấm")')
    result = run("score", bundle, "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:4] == ["Hạng", "Mã đơn vị", "Tên đơn vị", "Cấp"]
    assert rows[1][2] == "'=HYPERLINK(\"http://x.vn\",\"bấm\")"
    assert rows[1][1] == "phuong-moi"
    assert len(rows) == 2


@pytest.mark.parametrize("name", ["+1", "-1+2", "@SUM(A1)"])
def test_score_csv_neutralises_other_formula_starts(run, tmp_path, name):
    result = run("score", ward_copy(tmp_path, name), "--format", "csv")
    assert list(csv.reader(io.StringIO(result.stdout)))[1][2] == "'" + name


def test_score_single_clean_unit_exits_0(run):
    result = run("score", SAMPLE_EVIDENCE / "phuong-1.yaml")
    assert result.exit_code == 0
    assert "UBND Phường 1" in result.output and "lỗi dữ liệu ở" not in result.output


def test_explain_shows_the_data_problem_and_both_numbers(run):
    result = run("explain", "phuong-3", "3.5.1")
    assert result.exit_code == 1
    out = result.output
    assert "3.5.1 Tỷ lệ hồ sơ đã giải quyết được số hóa kết quả: 0/4 điểm — lỗi dữ liệu" in out
    assert "Thực tế: Số hồ sơ đã số hóa kết quả giải quyết (results_digitized) = 857" in out
    assert "Thực tế: Số hồ sơ TTHC đã giải quyết (dossiers_resolved) = 834" in out
    assert "Lỗi dữ liệu: số liệu hồ sơ mâu thuẫn: số hồ sơ số hóa kết quả không thể nhiều hơn số hồ sơ đã giải" in out


def test_explain_an_area(run):
    result = run("explain", "phuong-8", "3")
    assert "3 Cải cách thủ tục hành chính:" in result.output
    assert "3.5.1 Tỷ lệ hồ sơ đã giải quyết được số hóa kết quả: 0/4 điểm — không đạt" in result.output
    assert "Nhiệm vụ khắc phục: Số hóa 74 kết quả" in result.output


def test_gaps_lists_the_digitization_task(run):
    result = run("gaps", "phuong-8")
    assert result.exit_code == 0  # Phường 8 itself has no data problem (Phường 3, 5, 9 do)
    row = next(line for line in result.output.splitlines() if "3.5.1" in line)
    assert "không đạt" in row
    assert "Số hóa 74 kết quả giải quyết TTHC còn lại" in row
    assert "30/03/2024" in result.output  # the task's deadline (as_of + 30 days), in the wrapped task cell
    assert "UBND Phường 8: điểm bị mất" in result.output


def test_gaps_of_a_unit_with_a_data_problem_exits_1(run):
    result = run("gaps", "phuong-3")
    assert result.exit_code == 1
    assert "lỗi dữ liệu" in result.output


def test_unknown_unit_exits_2(run, sample_run):
    for command in (["explain", "phuong-99", "3.5.1"], ["gaps", "phuong-99"]):
        result = run(*command)
        assert result.exit_code == 2
        assert "(1 lỗi)" in result.output and "  - (tham số): " in result.output and "(giá trị: 'phuong-99')" in result.output
    for call in (lambda: api.explain(sample_run, "phuong-99", "3.5.1"), lambda: api.gaps(sample_run, "phuong-99"),
                 lambda: api.score_files(SAMPLE_CRITERIA, [SAMPLE_EVIDENCE], only="phuong-99")):
        with pytest.raises(InputError) as caught:
            call()
        assert [(p.code, p.value) for p in caught.value.problems] == [("args.unknown_unit", "phuong-99")]


def test_unknown_criterion_exits_2(run, sample_run):
    result = run("explain", "phuong-3", "9.9")
    assert result.exit_code == 2
    assert "xa-2024.yaml: " in result.output and "(giá trị: '9.9')" in result.output
    with pytest.raises(InputError) as caught:
        api.explain(sample_run, "phuong-3", "9.9")
    assert [(p.code, p.value) for p in caught.value.problems] == [("args.unknown_criterion", "9.9")]


def test_invalid_criteria_exits_2_with_file_and_line(run, tmp_path):
    bad = tmp_path / "bo-chi-so.yaml"
    bad.write_text(SAMPLE_CRITERIA.read_text(encoding="utf-8").replace("survey_points: 25", "survey_points: 30"),
                   encoding="utf-8")
    result = run("score", "--criteria", bad)
    assert result.exit_code == 2
    assert "Dữ liệu đầu vào không hợp lệ (1 lỗi):" in result.output
    line = next(i for i, text in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if text.startswith("survey_points"))
    assert f"  - {bad} [survey_points, dòng {line}]: " in result.output
    result = run("score", "--criteria", bad, "--format", "json")
    assert result.exit_code == 2
    assert [(p["code"], p["file"], p["path"], p["line"]) for p in json.loads(result.stdout)["problems"]] == [
        ("criteria.survey_points_sum", str(bad), "survey_points", line)]


def test_invalid_criteria_json_problems(run, tmp_path):
    bad = tmp_path / "bo-chi-so.yaml"
    bad.write_text("id: x\ntitle: [\n", encoding="utf-8")
    result = run("score", "--criteria", bad, "--format", "json")
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    assert [(p["code"], p["file"], p["line"]) for p in problems] == [("yaml.syntax", str(bad), 3)]


def test_invalid_evidence_exits_2_with_every_problem(run, tmp_path):
    first = ward_copy(tmp_path, "UBND A", "a")
    first.write_text(first.read_text(encoding="utf-8").replace("as_of: 29/02/2024", "as_of: 31/02/2024"), encoding="utf-8")
    second = ward_copy(tmp_path, "UBND B", "b")
    second.write_text(second.read_text(encoding="utf-8").replace("  level: xa\n", "  level: xa\n  mau: do\n"), encoding="utf-8")
    result = run("score", tmp_path / "in")
    assert result.exit_code == 2
    assert "Dữ liệu đầu vào không hợp lệ (2 lỗi):" in result.output
    assert f"  - {first} [as_of, dòng " in result.output and f"  - {second} [unit.mau, dòng 6]: " in result.output
    result = run("score", tmp_path / "in", "--format", "json")
    assert result.exit_code == 2
    assert [(p["code"], p["file"], p["path"]) for p in json.loads(result.stdout)["problems"]] == [
        ("format.no_such_date", str(first), "as_of"), ("schema.extra_forbidden", str(second), "unit.mau")]


def test_inputs_unchanged_after_runs(run, tmp_path):
    bundle = ward_copy(tmp_path, "UBND A")
    before = digest_tree(SAMPLE_CRITERIA, SAMPLE_EVIDENCE, bundle)
    run("score")
    run("score", bundle, "--format", "csv", "--output", tmp_path / "kq.csv")
    run("explain", "phuong-3", "3.5.1")
    run("gaps")
    assert digest_tree(SAMPLE_CRITERIA, SAMPLE_EVIDENCE, bundle) == before


def test_schema_command(run, tmp_path):
    target = tmp_path / "schema.json"
    assert run("schema", "-o", target).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == criteria_json_schema()
    assert json.loads(run("schema").stdout) == criteria_json_schema()
