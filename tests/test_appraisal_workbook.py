"""The appraisal and explanation workbooks: written locked and reproducible, read back into the record with every
problem at its cell, and refused when they belong to another unit, assessment or criteria set."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from assessment_kit import SET, at, entry, write_assessment
from openpyxl import load_workbook
from typer.testing import CliRunner

import cli
from engine import api
from engine.core.problems import InputError
from engine.load.appraisal import parse_refs

NOW = at("08/01/2025", 16)


@pytest.fixture()
def folder(tmp_path):
    path = write_assessment(tmp_path)
    la = api.load_assessment(path)
    api.append_entries(la, "don-vi-a", [entry(), entry(kind="submit", criterion=None, points=None, reason=None,
                                                       at=at("11/12/2024"))], at("12/12/2024"))
    return path


def books(path: Path, round_word: str = "vong-1", unit: str = "don-vi-a") -> bytes:
    return dict(api.round_workbooks(path, round_word, unit))[f"thu-2024-{round_word}-{unit}.xlsx"]


def fill(data: bytes, target: Path, guide: dict[int, object], rows: dict[str, dict[str, object]]) -> Path:
    """Fill the workbook as a person would: guide cells by row, data cells by criterion and column letter."""
    wb = load_workbook(io.BytesIO(data))
    for row, value in guide.items():
        wb["Hướng dẫn"].cell(row=row, column=2, value=value)
    ws = wb["Giải trình"] if "Giải trình" in wb.sheetnames else wb["Thẩm định"]
    for row in ws.iter_rows(min_row=3):
        cells = rows.get(row[0].value)
        for letter, value in (cells or {}).items():
            ws[f"{letter}{row[0].row}"] = value
    wb.save(target)
    return target


APPRAISER = {9: "Trần Thị B", 10: "Thẩm định viên", 11: "Có"}


def test_the_workbook_is_reproducible_locked_and_carries_its_identity(folder):
    data = books(folder)
    assert data == books(folder)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Thẩm định"]
    assert ws.protection.sheet
    headers = [c.value for c in ws[2]]
    assert headers[:3] == ["Mã tiêu chí", "Tên tiêu chí", "Điểm tối đa"] and headers[8] == "Điểm thẩm định"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=3)}
    assert list(rows) == ["1.1", "1.2", "1.3", "T1", "P1"]
    assert rows["1.1"][0].protection.locked and not rows["1.1"][8].protection.locked
    assert [c.value for c in rows["1.1"][2:6]] == [2, 0, 2, 2]  # max, computed, self-scored, standing
    assert "Có sáng kiến X" in rows["1.1"][6].value
    assert {str(v.sqref) for v in ws.data_validations.dataValidation} >= {"I3", "K3:K7"}
    meta = wb["Thông tin"]
    la = api.load_assessment(folder)
    assert meta.sheet_state == "hidden"
    assert [meta.cell(row=r, column=2).value for r in range(2, 7)] == ["don-vi-a", "thu-2024", la.criteria.digest,
                                                                       "appraisal_1", "1"]


def test_a_filled_workbook_joins_the_record(folder, tmp_path):
    filled = fill(books(folder), tmp_path / "tham-dinh.xlsx", APPRAISER, {
        "1.2": {"I": 1.5, "J": "Chỉ đạt một phần", "K": "Có", "L": "Gửi biên bản kiểm tra",
                "M": "Biên bản kiểm tra, số 3/BB, trang 2; Báo cáo quý I"},
    })
    assert api.record_workbooks(folder, [filled], NOW) == [("don-vi-a", 2)]
    la, run = api.score_assessment_files(folder)
    leaf = next(n for n in run.unit("don-vi-a").nodes if n.id == "1.2")
    assert (leaf.appraised_points, leaf.final_points) == (1.5, 1.5)
    step = leaf.rounds[0]
    assert (step.by, step.role, step.reason, step.question) == ("Trần Thị B", "appraiser", "Chỉ đạt một phần",
                                                                "Gửi biên bản kiểm tra")
    assert [r.cite() for r in step.evidence_refs] == ["Biên bản kiểm tra số 3/BB, trang 2", "Báo cáo quý I"]
    assert run.unit("don-vi-a").assessment_state == "appraised_1"
    with pytest.raises(InputError) as err:
        api.record_workbooks(folder, [filled], NOW)
    assert [p.code for p in err.value.problems] == ["appraisal.already_recorded"]


def test_every_problem_of_a_workbook_is_reported_at_its_cell_and_nothing_is_written(folder, tmp_path):
    record = api.load_assessment(folder).record_path("don-vi-a")
    before = record.read_bytes()
    filled = fill(books(folder), tmp_path / "tham-dinh.xlsx", APPRAISER, {
        "1.1": {"I": 3, "J": "Quá tốt"},
        "1.2": {"I": 1},
        "1.3": {"I": 4, "J": "Theo khảo sát"},
        "T1": {"I": "hai điểm"},
        "P1": {"K": "Có"},
    })
    with pytest.raises(InputError) as err:
        api.record_workbooks(folder, [filled], NOW)
    found = sorted((p.row, p.column, p.code) for p in err.value.problems)
    assert found == [(3, "I", "assessment.above_max"), (4, "J", "assessment.reason_required"),
                     (5, "I", "assessment.survey_only"), (6, "I", "format.bad_number"),
                     (7, "L", "assessment.question_required")]
    assert all(p.sheet == "Thẩm định" and p.file.endswith("tham-dinh.xlsx") for p in err.value.problems)
    assert record.read_bytes() == before


def test_a_workbook_of_another_unit_is_refused(folder, tmp_path):
    filled = fill(books(folder), tmp_path / "tham-dinh.xlsx", APPRAISER, {"1.2": {"I": 2, "J": "Thiếu"}})
    with pytest.raises(InputError) as err:
        api.record_workbooks(folder, [filled], NOW, unit="don-vi-b")
    assert [(p.code, p.message) for p in err.value.problems] == [
        ("appraisal.other_unit", "bảng này của đơn vị 'don-vi-a', không phải của đơn vị 'don-vi-b'")]


def test_a_workbook_made_from_another_criteria_set_is_refused(folder, tmp_path):
    data = books(folder)
    changed = json.loads(json.dumps(SET))
    changed["title"] = "Bộ chỉ số thử, sửa đổi"
    write_assessment(folder.parent, criteria=changed)
    filled = fill(data, tmp_path / "tham-dinh.xlsx", APPRAISER, {})
    with pytest.raises(InputError) as err:
        api.record_workbooks(folder, [filled], NOW)
    assert [p.code for p in err.value.problems] == ["appraisal.criteria_changed"]


def test_the_explanation_workbook_answers_the_requests(folder, tmp_path):
    appraised = fill(books(folder), tmp_path / "tham-dinh.xlsx", APPRAISER,
                     {"1.2": {"I": 1, "J": "Thiếu biên bản", "K": "Có", "L": "Gửi biên bản"}})
    api.record_workbooks(folder, [appraised], NOW)
    data = books(folder, "giai-trinh")
    ws = load_workbook(io.BytesIO(data))["Giải trình"]
    row = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "1.2")
    assert row[7].value == "Gửi biên bản" and row[0].fill.fgColor.rgb.endswith("FCE4D6")
    answered = fill(data, tmp_path / "giai-trinh.xlsx", {9: "Nguyễn Văn A", 11: "Có"},
                    {"1.2": {"I": "Đã có biên bản", "J": "Biên bản kiểm tra, số 7/BB"}})
    api.record_workbooks(folder, [answered], at("15/01/2025"))
    _, run = api.score_assessment_files(folder)
    unit = run.unit("don-vi-a")
    assert unit.open_requests == 0 and unit.assessment_state == "explained"
    note = next(n for n in unit.nodes if n.id == "1.2").rounds[-1]
    assert (note.kind, note.role, note.reason) == ("note", "unit", "Đã có biên bản")


def test_the_cli_writes_and_records_workbooks(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli.app, ["appraise", str(folder), "--round", "vong-1", "--output", "bang"])
    assert result.exit_code == 0, result.output
    made = sorted(p.name for p in (tmp_path / "bang").iterdir())
    assert made == ["thu-2024-vong-1-don-vi-a.xlsx", "thu-2024-vong-1-don-vi-b.xlsx"]
    filled = fill((tmp_path / "bang" / made[1]).read_bytes(), tmp_path / "b.xlsx", APPRAISER,
                  {"1.2": {"I": 2, "J": "Kiểm tra thực tế có điều kiện A"}})
    result = runner.invoke(cli.app, ["record", str(folder), str(filled), "--now", "08/01/2025 16:00"])
    assert result.exit_code == 0, result.output
    assert "don-vi-b: đã ghi 2 mục vào hồ sơ" in result.output
    result = runner.invoke(cli.app, ["record", str(folder), str(filled), "--now", "08/01/2025 16:00"])
    assert result.exit_code == 2 and "bảng này đã được ghi vào hồ sơ lúc 08/01/2025 16:00" in result.output


def test_references_are_read_from_one_cell():
    refs = parse_refs("Quyết định số 45/QĐ-UBND, Điều 1; Báo cáo quý I, trang 3; Biên bản")
    assert [(r.document, r.number, r.page) for r in refs] == [
        ("Quyết định", "45/QĐ-UBND", "Điều 1"), ("Báo cáo quý I", None, "trang 3"), ("Biên bản", None, None)]


def test_appraise_never_overwrites_a_filled_workbook(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["appraise", str(folder), "--unit", "don-vi-a", "--output", "bang"]
    assert runner.invoke(cli.app, args).exit_code == 0
    assert runner.invoke(cli.app, args).exit_code == 0  # the same workbook again: nothing lost
    target = tmp_path / "bang" / "thu-2024-vong-1-don-vi-a.xlsx"
    fill(target.read_bytes(), target, APPRAISER, {"1.2": {"I": 2, "J": "Thiếu"}})
    filled = target.read_bytes()
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2 and "không ghi đè" in result.output
    assert target.read_bytes() == filled


def test_the_api_compares_rounds_of_a_run_and_names_a_workbooks_columns(folder, tmp_path):
    """What a web application that keeps records in a database calls: the same comparison as from the files."""
    filled = fill(books(folder), tmp_path / "tham-dinh.xlsx", APPRAISER, {"1.2": {"I": 1, "J": "Thiếu biên bản"}})
    api.record_workbooks(folder, [filled], NOW)
    _, run = api.score_assessment_files(folder)
    assert api.compare_run_rounds(run, "self", "appraisal_1") == api.compare_rounds_of(folder, "tu-cham", "vong-1")
    assert [(c.criterion, c.before, c.after) for c in api.compare_run_rounds(run, "self", "appraisal_2").changes] == [
        ("1.2", 3.0, 1.0)]  # computed from the evidence after self-assessment, then appraised
    with pytest.raises(InputError) as err:
        api.compare_run_rounds(run, "self", "vong-2")
    assert [(p.code, p.value) for p in err.value.problems] == [("args.unknown_round", "vong-2")]
    letters = api.workbook_columns(filled.read_bytes(), "tham-dinh.xlsx")
    assert (letters["points"], letters["remark"], letters["question"]) == ("I", "J", "L")
    assert api.workbook_columns(b"not a workbook", "x.xlsx") is None
