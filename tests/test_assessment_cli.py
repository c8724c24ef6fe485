"""The sample assessment end to end through the documented commands, and the refusals a person sees."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import ROOT
from rich.console import Console
from typer.testing import CliRunner

import cli
from cli import app

SAMPLE = ROOT / "evidence" / "vung-tau-2024-assessment"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "console", Console(width=400, soft_wrap=False))
    monkeypatch.setattr(cli, "err_console", Console(width=400, stderr=True))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def copy(tmp_path):
    """The sample assessment copied with its evidence and the criteria set, paths kept relative."""
    (tmp_path / "criteria").mkdir()
    shutil.copy(ROOT / "criteria" / "xa-2024.yaml", tmp_path / "criteria")
    shutil.copytree(ROOT / "evidence" / "vung-tau-2024", tmp_path / "evidence" / "vung-tau-2024")
    shutil.copytree(SAMPLE, tmp_path / "evidence" / "vung-tau-2024-assessment")
    return tmp_path / "evidence" / "vung-tau-2024-assessment" / "danh-gia-2024.yaml"


def test_score_shows_self_appraised_and_final_points(run):
    result = run("score", "--assessment", SAMPLE / "danh-gia-2024.yaml")
    assert result.exit_code == 1  # phường 3, 5, 9 keep their data errors by design
    header = next(line for line in result.output.splitlines() if "Hạng" in line)
    for column in ("Theo minh chứng", "Tự chấm", "Thẩm định", "Cuối cùng", "Chỉ số", "Xếp loại", "Trạng thái"):
        assert column in header
    row = next(line for line in result.output.splitlines() if "UBND Phường 4 " in line)
    assert "42,8" in row and "41,3" in row and "đã chốt kết quả" in row
    data = json.loads((ROOT / "tests" / "golden" / "files" / "assessment.json").read_text(encoding="utf-8"))
    ward = next(u for u in data["units"] if u["unit_id"] == "phuong-4")
    leaf = next(n for n in ward["nodes"] if n["id"] == "7.3.1")
    assert (leaf["computed_points"], leaf["self_points"], leaf["appraised_points"], leaf["final_points"]) == (3, 3, 1.5, 1.5)
    assert leaf["rounds"][0]["reason"] == "Chưa có phương án bảo đảm an toàn thông tin cấp độ 2"


def test_an_assessment_brings_its_own_evidence(run):
    result = run("score", "extra.yaml", "--assessment", SAMPLE / "danh-gia-2024.yaml")
    assert result.exit_code == 2
    assert "đợt đánh giá đã chỉ rõ bộ chỉ số và minh chứng; không ghi thêm minh chứng" in result.output


def test_a_tampered_record_line_stops_scoring_with_its_line(run, copy):
    record = copy.parent / "ho-so" / "phuong-4.jsonl"
    lines = record.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if '"points":1.5' in line)
    lines[number - 1] = lines[number - 1].replace('"points":1.5', '"points":3.0')
    record.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("score", "--assessment", copy)
    assert result.exit_code == 2
    assert (f"ho-so/phuong-4.jsonl [dòng {number}]: dòng này đã bị sửa sau khi ghi (mã kiểm tra không khớp nội dung)"
            in result.output)


def test_a_removed_record_line_is_found(run, copy):
    record = copy.parent / "ho-so" / "phuong-7.jsonl"
    lines = record.read_text(encoding="utf-8").splitlines()
    record.write_text("\n".join(lines[:2] + lines[3:]) + "\n", encoding="utf-8")
    result = run("progress", copy)
    assert result.exit_code == 2 and "phuong-7.jsonl [dòng 3]: dòng này không nối tiếp dòng trước" in result.output


def test_progress_names_late_rounds(run):
    result = run("progress", SAMPLE / "danh-gia-2024.yaml", "--now", "20/01/2025 12:00")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "UBND Phường 7 " in line)
    assert "quá hạn (17/01/2025)" in row
    assert "xong muộn 22/12/2024 (được mở lại)" in result.output
    assert run("progress", SAMPLE / "danh-gia-2024.yaml", "--now", "hôm qua").exit_code == 2


def test_explain_with_an_assessment_shows_the_history(run):
    result = run("explain", "phuong-1", "1.5.1", "--assessment", SAMPLE / "danh-gia-2024.yaml")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Lịch sử chấm 1.5.1" in text
    assert "Yêu cầu giải trình: Gửi văn bản công nhận mô hình của cấp có thẩm quyền" in text
    assert "Tài liệu: Quyết định công nhận mô hình số 512/QĐ-UBND, Điều 1" in text
    assert text.index("Thẩm định vòng 1, 06/01/2025 14:00") < text.index("Thẩm định vòng 2, 22/01/2025 14:00")


def test_diff_between_rounds_and_between_runs(run, tmp_path):
    result = run("diff", "vong-1", "vong-2", "--assessment", SAMPLE / "danh-gia-2024.yaml")
    assert result.exit_code == 0, result.output
    assert "Gỡ lại điểm: 4.1.1 Thực hiện đúng quy định về tổ chức bộ máy: từ 0 thành 3 điểm" in result.output
    assert "Do: tính lại từ minh chứng nộp lại khi giải trình" in result.output
    assert run("diff", "vong-1", "vong-9", "--assessment", SAMPLE / "danh-gia-2024.yaml").exit_code == 2
    (tmp_path / "a.json").write_text("{}", encoding="utf-8")
    result = run("diff", "a.json", ROOT / "tests" / "golden" / "files" / "assessment.json")
    assert result.exit_code == 2 and "tệp không phải kết quả chấm điểm dạng JSON" in result.output
    result = run("diff", ROOT / "tests" / "golden" / "files" / "score.json",
                 ROOT / "tests" / "golden" / "files" / "assessment.json", "--format", "json")
    changes = json.loads(result.stdout)["changes"]
    first = next(c for c in changes if c["unit_id"] == "phuong-1")
    assert first["criterion"] == "1.5.1" and first["kind"] == "recovered" and "Hội đồng" in first["cause"]


def test_record_refuses_a_workbook_after_the_deadline_with_the_documented_message(run, copy, tmp_path):
    result = run("appraise", copy, "--round", "vong-2", "--unit", "phuong-7", "--output", "bang")
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    path = next((tmp_path / "bang").iterdir())
    wb = load_workbook(path)
    wb["Hướng dẫn"]["B9"], wb["Hướng dẫn"]["B10"] = "Nguyễn Thị Hạnh", "Thẩm định viên"
    ws = wb["Thẩm định"]
    row = next(r[0].row for r in ws.iter_rows(min_row=3) if r[0].value == "3.4.1")
    ws[f"I{row}"], ws[f"J{row}"] = 2, "Đã niêm yết đủ"
    wb.save(tmp_path / "filled.xlsx")
    result = run("record", copy, tmp_path / "filled.xlsx", "--now", "03/02/2025 09:00")
    assert result.exit_code == 2
    assert ("sheet 'Thẩm định', dòng " + str(row) + ", cột I]: thẩm định vòng 2 đã hết hạn ngày 31/01/2025"
            in result.output)


def test_the_scoring_sheet_has_the_officers_columns_and_the_overclaim_view(run, tmp_path):
    result = run("report", "--assessment", SAMPLE / "danh-gia-2024.yaml", "--format", "md", "--output", "bang.md")
    assert result.exit_code == 1, result.output
    text = (tmp_path / "bang.md").read_text(encoding="utf-8")
    assert ("| STT | Lĩnh vực / Tiêu chí / Tiêu chí thành phần | Điểm tối đa | Điểm tự chấm | Điểm điều tra XHH | "
            "Điểm thẩm định – Vòng 1 | Điểm thẩm định – Vòng 2 | Điểm đạt được | Tài liệu kiểm chứng | Ghi chú của đơn vị | "
            "Ghi chú của thẩm định |") in text
    assert "| 7.3.1 | Hạ tầng mạng và an toàn thông tin đáp ứng yêu cầu | 1 | 1,5 | 1,5 | UBND Phường 4: 1,5 |" in text
    ward4 = text[text.index("**UBND Phường 4**"):]
    line = next(row for row in ward4.splitlines() if row.startswith("| 7.3.1 |"))
    assert "| 3 | 3 |  | 1,5 | 1,5 | 1,5 |" in line and "Chưa có phương án bảo đảm an toàn thông tin cấp độ 2" in line
    survey = next(row for row in ward4.splitlines() if row.startswith("| 8.1.1 |"))
    cells = survey.split("|")
    assert [cells[4], cells[6], cells[7]] == ["  ", "  ", "  "]  # the unit and the appraisers do not score the survey
    result = run("report", "--assessment", SAMPLE / "danh-gia-2024.yaml", "--format", "xlsx", "--output", "bang.xlsx")
    from openpyxl import load_workbook

    assert load_workbook(tmp_path / "bang.xlsx").sheetnames[:2] == ["Tổng hợp", "Tự chấm và thẩm định"]


def test_record_refuses_a_score_typed_as_a_formula_without_a_saved_result(run, copy, tmp_path):
    """A formula whose result was never computed has no value to record: the cell is named, nothing is written."""
    result = run("appraise", copy, "--round", "vong-2", "--unit", "phuong-7", "--output", "bang")
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    path = next((tmp_path / "bang").iterdir())
    wb = load_workbook(path)
    wb["Hướng dẫn"]["B9"], wb["Hướng dẫn"]["B10"] = "Nguyễn Thị Hạnh", "Thẩm định viên"
    ws = wb["Thẩm định"]
    row = next(r[0].row for r in ws.iter_rows(min_row=3) if r[0].value == "3.4.1")
    ws[f"I{row}"] = "=1/0"
    wb.save(tmp_path / "filled.xlsx")
    result = run("record", copy, tmp_path / "filled.xlsx", "--now", "30/01/2025 09:00")
    assert result.exit_code == 2, result.output
    assert f"sheet 'Thẩm định', dòng {row}, cột I" in result.output and "công thức" in result.output
