"""Evidence bundles: day-first dates, Vietnamese numbers, CSV tables, and every input problem named in one pass."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLE_EVIDENCE

from engine.core.problems import InputError
from engine.load.bundles import load_bundle
from engine.load.evidence import load_bundles

GOOD = """\
unit: {id: phuong-a, name: UBND Phường A, level: xa}
period: {year: 2024, start: 01/01/2024, end: 31/12/2024}
as_of: 29/02/2024
documents:
  - kind: ke_hoach_cchc
    number: 114/KH-UBND
    issue_date: 05/03/2023
    title: Kế hoạch CCHC năm 2024
metrics:
  - {name: dossiers_resolved, value: "1.952", source: Phần mềm Một cửa}
  - {name: feedback_handled_pct, value: "98,5"}
  - {name: plan_funded, value: có}
plan_tasks:
  - {id: "1", title: Ban hành kế hoạch, deadline: 31/12/2023, status: hoàn thành, done_date: 20/12/2023}
"""


def write(tmp_path: Path, text: str, name: str = "phuong-a.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str):
    path = write(tmp_path, text)
    loaded, problems = load_bundle(path)
    return path, loaded, problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def edit(old: str, new: str, text: str = GOOD) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def errors(problems):
    return [(p.path, p.line, p.code, p.value) for p in problems if p.severity == "error"]


def test_good_bundle_reads_day_first_dates_and_vietnamese_numbers(tmp_path):
    path, loaded, problems = load(tmp_path, GOOD)
    assert problems == []
    bundle = loaded.bundle
    assert bundle.as_of == date(2024, 2, 29)
    assert bundle.documents[0].issue_date == date(2023, 3, 5)  # "05/03/2023" is the 5th of March
    assert [m.value for m in bundle.metrics] == [1952, 98.5, 1]
    assert loaded.file == str(path)
    assert len(loaded.digest) == 64


def test_month_first_is_never_tried(tmp_path):
    text = edit("issue_date: 05/03/2023", "issue_date: 2023-03-05")
    assert load(tmp_path, text)[1].bundle.documents[0].issue_date == date(2023, 3, 5)
    text = edit("issue_date: 05/03/2023", "issue_date: 12/25/2023")
    path, loaded, problems = load(tmp_path, text)
    assert errors(problems) == [("documents[0].issue_date", line_of(text, "12/25/2023"), "format.no_such_date", "12/25/2023")]


@pytest.mark.parametrize("bad, code, message", [
    ("31/02/2024", "format.no_such_date", "ngày '31/02/2024' không tồn tại"),
    ("30/02/2024", "format.no_such_date", "ngày '30/02/2024' không tồn tại"),
    ("hôm qua", "format.bad_date", "ngày 'hôm qua' không đúng định dạng dd/mm/yyyy hoặc yyyy-mm-dd"),
])
def test_bad_date_named_with_path_line_and_value(tmp_path, bad, code, message):
    """The line a person reads: file, place, the reason in Vietnamese and the value as written."""
    text = edit("as_of: 29/02/2024", f"as_of: {bad}")
    path, loaded, problems = load(tmp_path, text)
    assert loaded is None
    assert errors(problems) == [("as_of", 3, code, bad)]
    assert problems[0].render() == f"{path} [as_of, dòng 3]: {message} (giá trị: '{bad}')"


def test_unknown_key(tmp_path):
    text = edit("    title: Kế hoạch CCHC năm 2024\n", "    title: Kế hoạch CCHC năm 2024\n    so_trang: 12\n")
    path, loaded, problems = load(tmp_path, text)
    assert errors(problems) == [("documents[0].so_trang", line_of(text, "so_trang"), "schema.extra_forbidden", "12")]


def test_missing_unit(tmp_path):
    text = edit("unit: {id: phuong-a, name: UBND Phường A, level: xa}\n", "")
    path, loaded, problems = load(tmp_path, text)
    assert errors(problems) == [("unit", 1, "schema.missing", None)]


def test_missing_unit_fields(tmp_path):
    text = edit("unit: {id: phuong-a, name: UBND Phường A, level: xa}", "unit: {id: phuong-a}")
    path, loaded, problems = load(tmp_path, text)
    assert errors(problems) == [("unit.name", 1, "schema.missing", None), ("unit.level", 1, "schema.missing", None)]


def test_bad_number_and_missing_value(tmp_path):
    text = edit('value: "98,5"', "value: chín mươi")
    text = edit("{name: plan_funded, value: có}", "{name: plan_funded}", text)
    path, loaded, problems = load(tmp_path, text)
    assert errors(problems) == [
        ("metrics[1].value", 11, "format.bad_number", "chín mươi"),
        ("metrics[2].value", 12, "schema.missing", None),
    ]


def test_period_end_before_start(tmp_path):
    text = edit("end: 31/12/2024", "end: 31/12/2023")
    path, loaded, problems = load(tmp_path, text)
    assert errors(problems) == [("period", 2, "evidence.period_order", None)]


def test_plan_task_status_in_vietnamese(tmp_path):
    text = edit("status: hoàn thành", "status: xong")
    path, loaded, problems = load(tmp_path, text)
    assert errors(problems) == [("plan_tasks[0].status", 14, "schema.choice", "xong")]


def test_decomposed_vietnamese_is_normalised(tmp_path):
    text = edit("status: hoàn thành", "status: " + unicodedata.normalize("NFD", "hoàn thành"))
    path, loaded, problems = load(tmp_path, text)
    assert problems == [] and loaded.bundle.plan_tasks[0].status == "hoàn thành"


def test_several_problems_in_one_pass(tmp_path):
    text = edit("as_of: 29/02/2024", "as_of: 31/02/2024")
    text = edit("number: 114/KH-UBND", "so: 114/KH-UBND", text)
    text = edit('value: "1.952"', "value: nhiều", text)
    path, loaded, problems = load(tmp_path, text)
    assert {(p.path, p.code) for p in problems} == {("as_of", "format.no_such_date"),
                                                    ("documents[0].so", "schema.extra_forbidden"),
                                                    ("metrics[0].value", "format.bad_number")}
    assert all(p.file == str(path) and p.line for p in problems)


def test_not_a_mapping(tmp_path):
    path, loaded, problems = load(tmp_path, "- a\n")
    assert errors(problems) == [(None, 1, "bundle.not_mapping", None)]


def test_bad_yaml(tmp_path):
    path, loaded, problems = load(tmp_path, edit("as_of: 29/02/2024", "as_of: [29/02/2024"))
    assert loaded is None and [(p.code, p.line) for p in problems] == [("yaml.unclosed_list", 4)]


# ---------------------------------------------------------------- consistency warnings


def test_plan_task_warnings(tmp_path):
    text = edit("status: hoàn thành, done_date: 20/12/2023", "status: hoàn thành")
    text += '  - {id: "2", title: Việc hai, deadline: 31/03/2024, status: hoàn thành, done_date: 15/03/2024}\n'
    path, loaded, problems = load(tmp_path, text)
    assert loaded is not None
    assert [(p.severity, p.path, p.code) for p in problems] == [
        ("warning", "plan_tasks[0].done_date", "evidence.task_without_date"),
        ("warning", "plan_tasks[1].done_date", "evidence.task_after_as_of"),
    ]
    assert loaded.warnings == problems


# ---------------------------------------------------------------- CSV tables


WITH_TABLES = GOOD + "tables: {metrics: chi-so.csv, documents: van-ban.csv, plan_tasks: nhiem-vu.csv}\n"


def with_csv(tmp_path, metrics="name,value,source\n", documents="kind,number,issue_date,title\n",
             tasks="id,title,deadline,status,done_date\n"):
    (tmp_path / "chi-so.csv").write_text(metrics, encoding="utf-8")
    (tmp_path / "van-ban.csv").write_text(documents, encoding="utf-8")
    (tmp_path / "nhiem-vu.csv").write_text(tasks, encoding="utf-8")
    return load(tmp_path, WITH_TABLES)


def test_csv_rows_join_the_bundle(tmp_path):
    path, loaded, problems = with_csv(
        tmp_path,
        metrics='name,value,source\ndossiers_received,"2.040",Một cửa\nresults_digitized,857,Báo cáo quý I\n',
        documents="kind,number,issue_date,title\nbao_cao_quy_1,5/BC-UBND,05/02/2024,Báo cáo quý I\n",
        tasks="id,title,deadline,status,done_date\n2,Báo cáo quý I,14/03/2024,chưa thực hiện,\n")
    assert problems == []
    bundle = loaded.bundle
    assert [(m.name, m.value) for m in bundle.metrics][-2:] == [("dossiers_received", 2040), ("results_digitized", 857)]
    assert bundle.documents[-1].issue_date == date(2024, 2, 5)
    assert bundle.plan_tasks[-1].deadline == date(2024, 3, 14) and bundle.plan_tasks[-1].done_date is None


def test_csv_changes_change_the_evidence_hash(tmp_path):
    _, first, _ = with_csv(tmp_path, metrics="name,value\nx,1\n")
    _, second, _ = with_csv(tmp_path, metrics="name,value\nx,2\n")
    assert first.digest != second.digest


def test_csv_bad_rows_name_file_row_column_and_value(tmp_path):
    path, loaded, problems = with_csv(
        tmp_path,
        metrics="name,value,source\ndossiers_received,12,Một cửa\nresults_digitized,nhiều,Một cửa\n,3,Một cửa\n",
        documents="kind,number,issue_date,title\nbao_cao_quy_1,5/BC-UBND,31/02/2024,Báo cáo\n",
        tasks="id,title,deadline,status,done_date,ghi_chu\n1,Việc,31/03/2024,xong,,\n2,Việc hai,31/03/2024,hoàn thành,01/02/2024,thêm\n")
    assert loaded is None
    found = [(Path(p.file).name, p.row, p.column, p.value, p.code) for p in problems]
    assert found == [
        ("van-ban.csv", 2, "issue_date", "31/02/2024", "format.no_such_date"),
        ("chi-so.csv", 3, "value", "nhiều", "format.bad_number"),
        ("chi-so.csv", 4, "name", None, "schema.missing"),
        ("nhiem-vu.csv", 2, "status", "xong", "schema.choice"),
        ("nhiem-vu.csv", 3, "ghi_chu", "thêm", "schema.extra_forbidden"),
    ]
    assert problems[1].render().startswith(f"{tmp_path / 'chi-so.csv'} [dòng 3, cột value]: ")


def test_csv_rows_with_impossible_data_are_warned_at_their_row(tmp_path):
    path, loaded, problems = with_csv(
        tmp_path, metrics="name,value\nx,1\nso_am,-4\n",
        documents="kind,number,issue_date,title\nbao_cao_quy_1,5/BC-UBND,05/03/2024,Báo cáo quý I\n")
    assert loaded is not None
    assert [(Path(p.file).name, p.row, p.column, p.value, p.code, p.severity) for p in problems] == [
        ("van-ban.csv", 2, "issue_date", "05/03/2024", "evidence.document_after_as_of", "warning"),
        ("chi-so.csv", 3, "value", "-4.0", "evidence.negative_metric", "warning"),
    ]


def test_csv_problems_and_yaml_problems_in_one_pass(tmp_path):
    (tmp_path / "chi-so.csv").write_text("name,value\nx,abc\n", encoding="utf-8")
    text = edit("as_of: 29/02/2024", "as_of: 31/02/2024", GOOD + "tables: {metrics: chi-so.csv}\n")
    path, loaded, problems = load(tmp_path, text)
    assert {(Path(p.file).name, p.path, p.row) for p in problems} == {("chi-so.csv", None, 2), ("phuong-a.yaml", "as_of", None)}


def test_csv_file_missing(tmp_path):
    path, loaded, problems = load(tmp_path, GOOD + "tables: {metrics: khong-co.csv}\n")
    assert loaded is None
    assert [(p.code, p.path, p.value) for p in problems] == [("file.not_found", "tables.metrics", "khong-co.csv")]


# ---------------------------------------------------------------- many bundles


def test_sample_folder_loads_17_wards_without_problems():
    bundles = load_bundles([SAMPLE_EVIDENCE])
    assert len(bundles) == 17
    assert len({b.bundle.unit.id for b in bundles}) == 17
    # Phường 3, 5 and 9 report more digitized results than resolved dossiers (the real seed figures): one warning each.
    warned = {b.bundle.unit.id: [w.message for w in b.warnings] for b in bundles if b.warnings}
    assert sorted(warned) == ["phuong-3", "phuong-5", "phuong-9"]
    assert all(len(m) == 1 and "số hồ sơ số hóa kết quả không thể nhiều hơn" in m[0] for m in warned.values())


def test_duplicate_unit_ids_and_bad_files_reported_together(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    write(tmp_path, edit("as_of: 29/02/2024", "as_of: 31/02/2024"), "c.yaml")
    with pytest.raises(InputError) as info:
        load_bundles([tmp_path, tmp_path / "khong-co"])
    found = [(Path(p.file).name, p.path, p.code) for p in info.value.problems]
    assert found == [
        ("khong-co", None, "file.not_found"),
        ("c.yaml", "as_of", "format.no_such_date"),
        ("b.yaml", "unit.id", "bundle.duplicate_unit"),
    ]
    assert str(tmp_path / "a.yaml") in info.value.problems[2].message


def test_empty_folder_and_unsupported_file(tmp_path):
    (tmp_path / "trong").mkdir()
    other = write(tmp_path, "x", "ghi-chu.txt")
    with pytest.raises(InputError) as info:
        load_bundles([tmp_path / "trong", other])
    assert [(p.code, p.file) for p in info.value.problems] == [
        ("evidence.empty_folder", str(tmp_path / "trong")), ("evidence.unsupported_format", str(other))]


def test_registered_loader_is_used_for_its_suffix(tmp_path, monkeypatch):
    import engine.load.evidence as evidence

    good = write(tmp_path, GOOD, "phuong-a.yaml")
    calls = []

    def fake_loader(path):
        calls.append(path.name)
        return load_bundle(good)

    monkeypatch.setitem(evidence.LOADERS, ".xyz", fake_loader)
    other = write(tmp_path, "", "phuong-b.xyz")
    bundles = load_bundles([other])
    assert calls == ["phuong-b.xyz"] and bundles[0].bundle.unit.id == "phuong-a"


def test_a_count_written_the_english_way_is_refused_in_yaml_as_in_the_workbook(tmp_path):
    """'1,900' is never read as 1,9 (nor guessed to be 1900): the same rule and code as the workbook reader."""
    data = yaml.safe_load((SAMPLE_EVIDENCE / "phuong-1.yaml").read_text(encoding="utf-8"))
    data["metrics"][0]["value"] = "1,900"
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    bundle, problems = load_bundle(path)
    assert bundle is None
    assert [(p.code, p.path, p.value) for p in problems] == [("format.ambiguous_number", "metrics[0].value", "1,900")]
    data["metrics"][0]["value"] = "1.900"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    bundle, problems = load_bundle(path)
    assert [p for p in problems if p.severity == "error"] == [] and bundle.bundle.metrics[0].value == 1900
