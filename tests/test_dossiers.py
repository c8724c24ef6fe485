"""Dossier export ingestion: statuses to metrics, period boundaries, reported rows, mappings."""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
import unicodedata
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.core.problems import InputError, Problem
from engine.load.dossiers import (
    MAX_LISTED_ROWS,
    METRIC_NAMES,
    DossierMapping,
    aggregate_dossiers,
    aggregation_to_metrics_rows,
    load_mapping,
)

ROOT = Path(__file__).resolve().parent.parent
MAPPING_PATH = ROOT / "engine" / "load" / "mappings" / "motcua_tinh.yaml"
HEADERS = ["Mã hồ sơ", "Đơn vị", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày trả kết quả", "Trạng thái",
           "Số hóa kết quả", "Nộp trực tuyến", "Thanh toán trực tuyến"]
ALIASES = {
    "UBND phường 3": "phuong-3",
    "Phường 3": "phuong-3",
    "P.3": "phuong-3",
    "UBND xã An Bình": "xa-an-binh",
    "Xã An Bình": "xa-an-binh",
}
YEAR = (date(2024, 1, 1), date(2024, 12, 31))


@pytest.fixture(scope="module")
def mapping() -> DossierMapping:
    return load_mapping(MAPPING_PATH)


def row(dossier_id: str, unit: str = "UBND phường 3", received: str = "05/03/2024", status: str = "Đúng hạn",
        resolved: str | None = None, digitized: str = "", online: str = "", payment: str = "",
        due: str = "15/03/2024") -> list[str]:
    """One export row; resolved dossiers get a resolved date unless one is given."""
    if resolved is None:
        resolved = "10/03/2024" if status in ("Sớm hạn", "Đúng hạn", "Quá hạn") else ""
    return [dossier_id, unit, received, due, resolved, status, digitized, online, payment]


def write_csv(path: Path, rows: list[list[str]], headers: list[str] = HEADERS, bom: bool = True,
              before: list[list[str]] | None = None) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows(before or [])
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]], headers: list[str] = HEADERS) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Danh sách hồ sơ"
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    book.save(path)
    return path


def read(path: Path, mapping: DossierMapping, period: tuple[date, date] = YEAR, aliases=ALIASES):
    """(aggregation, problems) of one export."""
    return aggregate_dossiers(path, mapping, period[0], period[1], aliases)


def run(path: Path, mapping: DossierMapping, period: tuple[date, date] = YEAR, aliases=ALIASES):
    """The aggregation of an export that can be read (its row problems are looked at with `read`)."""
    result, problems = read(path, mapping, period, aliases)
    assert result is not None, [p.render() for p in problems]
    return result


def unreadable(path: Path, mapping: DossierMapping, period: tuple[date, date] = YEAR, aliases=ALIASES) -> list[Problem]:
    """The errors of an export that cannot be read as the mapping says: no aggregation, errors only."""
    result, problems = read(path, mapping, period, aliases)
    assert result is None and problems and all(p.severity == "error" for p in problems)
    return problems


def coded(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def numbers(problem: Problem) -> list[int]:
    """The numbers a grouped problem gives (counts and listed rows), in order."""
    return [int(n.replace(".", "")) for n in re.findall(r"\d[\d.]*", problem.message)]


def test_shipped_mapping_loads(mapping):
    assert mapping.columns.dossier_id == "Mã hồ sơ"
    assert mapping.statuses["Sớm hạn"] == "early"
    assert mapping.statuses["Rút không giải quyết"] == "withdrawn"
    assert mapping.period_date == "received"
    with pytest.raises(Exception):
        mapping.system = "khác"


def test_every_status_goes_to_its_metric(tmp_path, mapping):
    labels = ["Sớm hạn", "Đúng hạn", "Quá hạn", "Đang xử lý (còn hạn)", "Đang xử lý (quá hạn)",
              "Đang bổ sung", "Rút hồ sơ", "Rút không giải quyết", "Trễ hạn", "Trước hạn"]
    rows = [row(f"H{i}", status=label, digitized="Có", online="x" if i % 2 else "Không", payment="1" if i < 3 else "")
            for i, label in enumerate(labels)]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    assert result.metrics == {"phuong-3": {
        "dossiers_received": 10,
        "dossiers_resolved": 5,
        "dossiers_resolved_on_time": 3,
        "dossiers_resolved_late": 2,
        "dossiers_in_progress": 1,
        "dossiers_in_progress_overdue": 1,
        "dossiers_waiting_supplement": 1,
        "dossiers_withdrawn": 2,
        "results_digitized": 5,
        "dossiers_online": 5,
        "payments_online": 3,
    }}
    assert list(result.metrics["phuong-3"]) == list(METRIC_NAMES)
    assert result.rows_read == result.rows_used == 10
    [digitized] = coded(problems, "dossier.digitized_unresolved")
    assert (digitized.severity, digitized.column, digitized.value) == ("warning", "Số hóa kết quả", "Có")
    assert (digitized.row, numbers(digitized)) == (5, [5, 5, 6, 7, 8, 9])


def test_early_and_on_time_both_count_as_on_time(tmp_path, mapping):
    rows = [row("A", status="Sớm hạn"), row("B", status="Đúng hạn"), row("C", status="Quá hạn")]
    metrics = run(write_csv(tmp_path / "hoso.csv", rows), mapping).metrics["phuong-3"]
    assert metrics["dossiers_resolved_on_time"] == 2
    assert metrics["dossiers_resolved_late"] == 1
    assert metrics["dossiers_resolved"] == 3


def test_xlsx_with_real_dates_and_numeric_flags(tmp_path, mapping):
    rows = [
        ["A1", "UBND phường 3", datetime(2024, 3, 5), datetime(2024, 3, 15), datetime(2024, 3, 10), "Sớm hạn", 1, 1, 0],
        [1002, "Xã An Bình", "05/03/2024", None, None, "Đang bổ sung", None, 0, None],
        ["A3", "P.3", datetime(2023, 12, 31), None, None, "Đúng hạn", "Có", "Có", "Có"],
    ]
    result, problems = read(write_xlsx(tmp_path / "hoso.xlsx", rows), mapping)
    assert result.metrics["phuong-3"]["dossiers_resolved_on_time"] == 1
    assert result.metrics["phuong-3"]["results_digitized"] == 1
    assert result.metrics["phuong-3"]["dossiers_online"] == 1
    assert result.metrics["phuong-3"]["payments_online"] == 0
    assert result.metrics["xa-an-binh"]["dossiers_waiting_supplement"] == 1
    [outside] = coded(problems, "dossier.before_period")
    assert (outside.sheet, outside.row, outside.column) == ("Danh sách hồ sơ", 4, "Ngày tiếp nhận")
    assert outside.value == "31/12/2023"


def test_csv_and_xlsx_agree(tmp_path, mapping):
    rows = [row("A", status="Sớm hạn", digitized="Có"), row("B", unit="P.3", status="Quá hạn", online="x"),
            row("C", unit="Xã An Bình", status="Đang xử lý (quá hạn)"), row("B", status="Đúng hạn"),
            row("D", status="Chờ duyệt"), row("E", received="01/01/2025")]
    from_csv, csv_problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    from_xlsx, xlsx_problems = read(write_xlsx(tmp_path / "hoso.xlsx", rows), mapping)
    assert from_csv.metrics == from_xlsx.metrics
    assert [p.code for p in csv_problems] == ["dossier.duplicate_id", "dossier.unknown_status", "dossier.after_period"]
    assert [(p.code, p.row, p.column, p.value, p.message) for p in csv_problems] == \
        [(p.code, p.row, p.column, p.value, p.message) for p in xlsx_problems]


def test_period_boundaries_included_and_neighbours_reported(tmp_path, mapping):
    rows = [row("A", received="01/01/2024"), row("B", received="31/12/2024"),
            row("C", received="31/12/2023"), row("D", received="01/01/2025")]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    assert result.metrics["phuong-3"]["dossiers_received"] == 2
    assert result.rows_outside_period == 2
    [before] = coded(problems, "dossier.before_period")
    [after] = coded(problems, "dossier.after_period")
    assert (before.row, before.column, before.value, before.severity) == (4, "Ngày tiếp nhận", "31/12/2023", "warning")
    assert (after.row, after.value) == (5, "01/01/2025")
    assert "01/01/2024–31/12/2024" in before.message
    assert before.file == str(tmp_path / "hoso.csv")


def test_dates_are_day_first(tmp_path, mapping):
    rows = [row("A", received="05/03/2024"), row("B", received="5/3/2024"), row("C", received="2024-03-05")]
    path = write_csv(tmp_path / "hoso.csv", rows)
    march = run(path, mapping, (date(2024, 3, 1), date(2024, 3, 31)))
    assert march.metrics["phuong-3"]["dossiers_received"] == 3
    may = run(path, mapping, (date(2024, 5, 1), date(2024, 5, 31)))
    assert may.metrics == {}
    assert may.rows_outside_period == 3


def test_trailing_time_is_ignored_and_bad_dates_reported(tmp_path, mapping):
    rows = [row("A", received="05/03/2024 08:30"), row("B", received="31/02/2024"), row("C", received=""),
            row("D", received="03/05/2024", due="không rõ")]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    assert result.metrics["phuong-3"]["dossiers_received"] == 2
    assert result.rows_unreadable_date == 2
    [bad] = coded(problems, "dossier.unreadable_date")
    assert (bad.row, bad.column, bad.value) == (3, "Ngày tiếp nhận", "31/02/2024")
    [missing] = coded(problems, "dossier.missing_date")
    assert (missing.row, missing.column) == (4, "Ngày tiếp nhận")
    [due] = coded(problems, "dossier.unreadable_date_counted")
    assert (due.row, due.column, due.value) == (5, "Ngày hẹn trả", "không rõ")


def test_duplicates_reported_and_counted_once(tmp_path, mapping):
    rows = [row("H-001"), row("H-002"), row("H-001", status="Quá hạn"), row(" H-001 ")]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    assert result.metrics["phuong-3"]["dossiers_received"] == 2
    assert result.metrics["phuong-3"]["dossiers_resolved_late"] == 0
    assert result.rows_duplicate == 2
    [problem] = coded(problems, "dossier.duplicate_id")
    assert (problem.row, problem.column, problem.value) == (4, "Mã hồ sơ", "H-001")
    assert problem.message == "mã hồ sơ 'H-001' lặp lại (lần đầu ở dòng 2); không tính 2 dòng lặp (dòng 4, 5)"


def test_unknown_status_reported_with_row_and_value(tmp_path, mapping):
    rows = [row("A"), row("B", status="Chờ phê duyệt"), row("C", status="Chờ phê duyệt"), row("D", status="")]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    assert result.rows_unknown_status == 3
    assert result.metrics["phuong-3"]["dossiers_received"] == 1
    assert [(p.code, p.row, p.column, p.value, p.severity) for p in problems] == [
        ("dossier.unknown_status", 3, "Trạng thái", "Chờ phê duyệt", "warning"),
        ("dossier.unknown_status", 5, "Trạng thái", "", "warning")]
    assert numbers(problems[0])[-3:] == [2, 3, 4]
    assert all(unicodedata.is_normalized("NFC", p.message) for p in problems)


def test_unknown_unit_reported(tmp_path, mapping):
    rows = [row("A"), row("B", unit="Phường 99"), row("C", unit="")]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    assert result.rows_unknown_unit == 2
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [
        ("dossier.unknown_unit", 3, "Đơn vị", "Phường 99"), ("dossier.unknown_unit", 4, "Đơn vị", "")]


def test_alias_matching_nfc_case_and_whitespace(tmp_path, mapping):
    nfd = unicodedata.normalize("NFD", "UBND phường 3")
    assert nfd != "UBND phường 3"
    rows = [row("A", unit=nfd), row("B", unit="P.3"), row("C", unit="  ubnd   PHƯỜNG 3 "), row("D", unit="Phường 3"),
            row("E", unit="phuong-3"), row("F", unit="unbd phường 3"), row("G", unit="P3")]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    assert result.metrics["phuong-3"]["dossiers_received"] == 5
    assert result.rows_unknown_unit == 2
    assert {p.value for p in coded(problems, "dossier.unknown_unit")} == {"unbd phường 3", "P3"}


def test_alias_table_with_nfd_keys(tmp_path, mapping):
    aliases = {unicodedata.normalize("NFD", "Phường 3"): "phuong-3"}
    result = run(write_csv(tmp_path / "hoso.csv", [row("A", unit="Phường 3")]), mapping, aliases=aliases)
    assert result.metrics["phuong-3"]["dossiers_received"] == 1


def test_conflicting_aliases_rejected(tmp_path, mapping):
    path = write_csv(tmp_path / "hoso.csv", [row("A")])
    [problem] = unreadable(path, mapping, aliases={"Phường 3": "phuong-3", "PHƯỜNG  3": "phuong-03"})
    assert (problem.code, problem.value) == ("dossier.alias_conflict", "Phường 3")


def test_without_aliases_unit_column_is_the_id(tmp_path, mapping):
    rows = [row("A", unit="phuong-3"), row("B", unit="xa-an-binh")]
    result, problems = aggregate_dossiers(write_csv(tmp_path / "hoso.csv", rows), mapping, *YEAR)
    assert problems == []
    assert sorted(result.metrics) == ["phuong-3", "xa-an-binh"]


def test_number_style_for_flags(tmp_path, mapping):
    rows = [row("A", online="1,0"), row("B", online="1.0"), row("C", online="0,0"), row("D", online="có lẽ")]
    path = write_csv(tmp_path / "hoso.csv", rows)
    vi, vi_problems = read(path, mapping)
    assert vi.metrics["phuong-3"]["dossiers_online"] == 1
    assert {p.value for p in coded(vi_problems, "dossier.unknown_flag")} == {"1.0", "có lẽ"}
    machine, machine_problems = read(path, mapping.model_copy(update={"number_style": "machine"}))
    assert machine.metrics["phuong-3"]["dossiers_online"] == 1
    assert {p.value for p in coded(machine_problems, "dossier.unknown_flag")} == {"1,0", "0,0", "có lẽ"}


def test_missing_columns_error_names_file_columns_and_found(tmp_path, mapping):
    headers = [h for h in HEADERS if h not in ("Trạng thái", "Ngày tiếp nhận")]
    path = write_csv(tmp_path / "hoso.csv", [["A", "P.3", "", "", "", "", ""]], headers=headers)
    [problem] = unreadable(path, mapping)
    assert (problem.code, problem.file, problem.row, problem.column) == \
        ("dossier.missing_columns", str(path), 1, "Ngày tiếp nhận, Trạng thái")
    assert problem.message == (
        "thiếu cột bắt buộc theo ánh xạ 'Hệ thống thông tin giải quyết TTHC tỉnh (Một cửa điện tử)': "
        "'Ngày tiếp nhận', 'Trạng thái'; "
        "các cột có trong tệp: 'Mã hồ sơ', 'Đơn vị', 'Ngày hẹn trả', 'Ngày trả kết quả', 'Số hóa kết quả', "
        "'Nộp trực tuyến', 'Thanh toán trực tuyến'")


def test_missing_columns_in_xlsx(tmp_path, mapping):
    path = write_xlsx(tmp_path / "hoso.xlsx", [["A"]], headers=["Mã hồ sơ"])
    [problem] = unreadable(path, mapping)
    assert (problem.code, problem.sheet, problem.row) == ("dossier.missing_columns", "Danh sách hồ sơ", 1)
    assert problem.column.startswith("Đơn vị, ")


def test_headers_compared_after_normalisation(tmp_path, mapping):
    headers = [unicodedata.normalize("NFD", h).upper() + " " for h in HEADERS]
    result = run(write_csv(tmp_path / "hoso.csv", [row("A")], headers=headers), mapping)
    assert result.metrics["phuong-3"]["dossiers_received"] == 1


def test_title_rows_above_header_keep_row_numbers(tmp_path, mapping):
    path = write_csv(tmp_path / "hoso.csv", [row("A"), row("B", status="?")],
                     before=[["DANH SÁCH HỒ SƠ"], ["Từ ngày 01/01/2024 đến ngày 31/12/2024"]])
    result, problems = read(path, mapping.model_copy(update={"header_row": 3}))
    assert result.metrics["phuong-3"]["dossiers_received"] == 1
    assert [(p.code, p.row, p.value) for p in problems] == [("dossier.unknown_status", 5, "?")]


def test_csv_without_bom_and_not_utf8(tmp_path, mapping):
    path = write_csv(tmp_path / "hoso.csv", [row("A")], bom=False)
    assert run(path, mapping).rows_used == 1
    latin = tmp_path / "cu.csv"
    latin.write_bytes(",".join(HEADERS).encode("utf-8") + b"\nA,Ph\xb0\xeang 3\n")
    [problem] = unreadable(latin, mapping)
    assert (problem.code, problem.file) == ("file.not_utf8", str(latin))


def test_unreadable_inputs_are_errors(tmp_path, mapping):
    old = tmp_path / "hoso.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    [problem] = unreadable(old, mapping)
    assert (problem.code, problem.value) == ("dossier.unsupported_format", ".xls")
    path = write_csv(tmp_path / "hoso.csv", [row("A")])
    [problem] = unreadable(path, mapping, (date(2024, 12, 31), date(2024, 1, 1)))
    assert problem.code == "dossier.bad_period"
    semicolons = tmp_path / "champhay.csv"
    semicolons.write_text(";".join(HEADERS) + "\n" + ";".join(row("A")) + "\n", encoding="utf-8-sig")
    [problem] = unreadable(semicolons, mapping)
    assert problem.code == "dossier.missing_columns"
    assert "';'" in problem.message  # the hint names the separator the file seems to use
    assert run(semicolons, mapping.model_copy(update={"delimiter": ";"})).rows_used == 1


def test_blank_rows_are_skipped_without_shifting_row_numbers(tmp_path, mapping):
    path = tmp_path / "hoso.csv"
    write_csv(path, [row("A"), ["", "", "", "", "", "", "", "", ""], row("B", status="?")])
    result, problems = read(path, mapping)
    assert result.rows_blank == 1 and result.rows_read == 2
    assert [(p.code, p.row, p.value) for p in problems] == [("dossier.unknown_status", 4, "?")]


def test_input_files_not_modified(tmp_path, mapping):
    rows = [row("A"), row("A"), row("B", status="?"), row("C", received="01/01/2023")]
    for path in (write_csv(tmp_path / "hoso.csv", rows), write_xlsx(tmp_path / "hoso.xlsx", rows)):
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        stat = path.stat()
        run(path, mapping)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before
        assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hoso.csv", "hoso.xlsx"]


def test_many_bad_rows_make_few_problems(tmp_path, mapping):
    rows = [row(f"A{i}", status=f"Lạ {i % 30}") for i in range(600)]
    rows += [row(f"B{i}", received="01/01/2025") for i in range(100)]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping)
    unknown = coded(problems, "dossier.unknown_status")
    assert len(unknown) == 21
    summary = numbers(unknown[-1])
    assert summary[0] == 10 and summary[-1] == 180 and 200 in summary  # 10 more values, 200 rows, 180 not listed
    [after] = coded(problems, "dossier.after_period")
    assert numbers(after)[-1] == 80 and 100 in numbers(after)
    counted = numbers(after)
    listed = counted[counted.index(100) + 1:-1]  # the rows listed between the count and "và 80 dòng khác"
    assert len(listed) == MAX_LISTED_ROWS and listed[0] == 602
    assert result.rows_unknown_status == 600 and result.rows_outside_period == 100


def test_period_by_resolved_date(tmp_path, mapping):
    rows = [row("A", received="28/12/2023", resolved="03/01/2024", status="Đúng hạn"),
            row("B", received="20/12/2024", resolved="02/01/2025", status="Đúng hạn"),
            row("C", received="10/06/2024", resolved="", status="Đang xử lý (còn hạn)"),
            row("D", received="10/06/2024", resolved="", status="Quá hạn")]
    result, problems = read(write_csv(tmp_path / "hoso.csv", rows), mapping.model_copy(update={"period_date": "resolved"}))
    metrics = result.metrics["phuong-3"]
    assert (metrics["dossiers_resolved"], metrics["dossiers_in_progress"]) == (1, 1)
    assert [(p.code, p.row, p.column) for p in problems] == [
        ("dossier.missing_date", 5, "Ngày trả kết quả"), ("dossier.after_period", 3, "Ngày trả kết quả")]


def test_metrics_rows_for_evidence(tmp_path, mapping):
    result = run(write_csv(tmp_path / "hoso.csv", [row("A"), row("B", unit="Xã An Bình")]), mapping)
    records = aggregation_to_metrics_rows(result)
    assert sorted(records) == ["phuong-3", "xa-an-binh"]
    first = records["phuong-3"][0]
    assert first == {"name": "dossiers_received", "value": 1, "period_start": date(2024, 1, 1),
                     "period_end": date(2024, 12, 31), "source": f"hoso.csv ({mapping.system})"}
    assert [r["name"] for r in records["phuong-3"]] == list(METRIC_NAMES)


def test_rows_with_too_many_cells_reported_not_counted(tmp_path, mapping):
    path = tmp_path / "hoso.csv"
    lines = [",".join(HEADERS),
             "A,Sở Văn hóa, Thể thao,05/03/2024,,10/03/2024,Đúng hạn,,,x",
             ",".join(row("B")),
             ",".join(row("C")) + ",thừa,thừa",
             '"D","Phường\n3",05/03/2024,,10/03/2024,Đúng hạn,,,',
             ",".join(row("E", status="?"))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, problems = read(path, mapping)
    assert result.metrics["phuong-3"]["dossiers_received"] == 2
    assert result.rows_malformed == 2 and result.rows_read == 5
    [problem] = coded(problems, "dossier.extra_cells")
    assert problem.row == 2 and numbers(problem)[-3:] == [2, 2, 4]
    assert [(p.row, p.value) for p in coded(problems, "dossier.unknown_status")] == [(6, "?")]


def test_the_tolerant_read_takes_text_without_guessing_an_index(tmp_path, mapping):
    from engine.load.dossiers.rows import _csv_plan

    path = write_csv(tmp_path / "hoso.csv", [row("A") + ["thừa"]], headers=HEADERS + ["Ghi chú"])
    assert _csv_plan(path, mapping).fast is not None
    arguments = _csv_plan(path, mapping).tolerant
    assert arguments["dtype"] is object and arguments["index_col"] is False
    assert len(arguments["names"]) == len(HEADERS) + 2 and arguments["encoding"] == "utf-8-sig"


def test_mapping_errors_name_file_and_key(tmp_path):
    text = MAPPING_PATH.read_text(encoding="utf-8")
    bad = text.replace('"Quá hạn": late', '"Quá hạn": tre').replace("header_row: 1", "header_row: 1\nsheets: 2")
    bad = bad.replace('date_format: "dd/mm/yyyy"', 'date_format: "mm/dd/yyyy"')
    path = tmp_path / "sai.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    problems = {p.path: p for p in caught.value.problems}
    assert {path: p.code for path, p in problems.items()} == {
        "statuses.Quá hạn": "schema.choice", "sheets": "schema.extra_forbidden", "date_format": "schema.choice"}
    assert all(p.file == str(path) for p in problems.values())
    assert (problems["statuses.Quá hạn"].value, problems["date_format"].value) == ("tre", "mm/dd/yyyy")


def test_mapping_missing_column_key_and_yaml_scalars(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("system: X\ncolumns: {dossier_id: A}\nstatuses: {1: early, Đúng hạn: on_time}\n"
                    "truthy: [TRUE, 1, x]\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    assert {(p.path, p.code) for p in caught.value.problems} >= {("columns.unit", "schema.missing"),
                                                                 ("columns.status", "schema.missing")}
    path.write_text("system: X\ncolumns: {dossier_id: A, unit: B, received_date: C, resolved_date: D, status: E,"
                    " digitized_result: F, online_submission: G, online_payment: H}\n"
                    "statuses: {1: early, Đúng hạn: on_time}\ntruthy: [TRUE, 1, x]\n", encoding="utf-8")
    loaded = load_mapping(path)
    assert loaded.statuses["1"] == "early" and loaded.truthy == ("TRUE", "1", "x")


STATUS_LABELS = ["Sớm hạn", "Đúng hạn", "Quá hạn", "Đang xử lý (còn hạn)", "Đang xử lý (quá hạn)", "Đang bổ sung",
                 "Rút hồ sơ", "Chờ phê duyệt"]
UNITS = ["UBND phường 3", "P.3", "Xã An Bình", "Phường 99"]

rows_strategy = st.lists(
    st.tuples(st.sampled_from(UNITS), st.sampled_from(STATUS_LABELS), st.integers(-3, 368),
              st.booleans(), st.booleans(), st.booleans()),
    min_size=1, max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy, st.randoms(use_true_random=False), st.booleans())
def test_metrics_do_not_depend_on_row_order(spec, random, repeat_one):
    mapping = load_mapping(MAPPING_PATH)
    rows = []
    for i, (unit, status, day, digitized, online, payment) in enumerate(spec):
        received = date.fromordinal(date(2024, 1, 1).toordinal() + day).strftime("%d/%m/%Y")
        rows.append(row(f"H{i:04d}", unit=unit, status=status, received=received, digitized="Có" if digitized else "",
                        online="x" if online else "Không", payment="1" if payment else "0"))
    if repeat_one:
        rows.append(list(rows[0]))
    shuffled = list(rows)
    random.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as folder:
        first = run(write_csv(Path(folder) / "a.csv", rows), mapping)
        second = run(write_csv(Path(folder) / "b.csv", shuffled), mapping)
    assert first.metrics == second.metrics
    counts = ("rows_read", "rows_used", "rows_outside_period", "rows_duplicate", "rows_unknown_status",
              "rows_unknown_unit")
    assert [getattr(first, c) for c in counts] == [getattr(second, c) for c in counts]
    for metrics in first.metrics.values():
        assert metrics["dossiers_resolved_on_time"] + metrics["dossiers_resolved_late"] == metrics["dossiers_resolved"]
        assert metrics["dossiers_received"] == sum(metrics[name] for name in (
            "dossiers_resolved", "dossiers_in_progress", "dossiers_in_progress_overdue",
            "dossiers_waiting_supplement", "dossiers_withdrawn"))
        assert metrics["results_digitized"] <= metrics["dossiers_resolved"]
    assert sum(m["dossiers_received"] for m in first.metrics.values()) == first.rows_used


def test_api_ingestion_is_strict_and_gives_the_row_warnings_beside(tmp_path):
    from engine import api

    path = write_csv(tmp_path / "hoso.csv", [row("A"), row("B", status="?")])
    aggregation, warnings = api.ingest_dossiers(path, "motcua_tinh", *YEAR, ALIASES)
    assert aggregation.rows_used == 1 and [(p.code, p.row) for p in warnings] == [("dossier.unknown_status", 3)]
    old = tmp_path / "hoso.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError) as caught:
        api.ingest_dossiers(old, "motcua_tinh", *YEAR)
    assert [p.code for p in caught.value.problems] == ["dossier.unsupported_format"]


def test_an_export_that_is_a_pipe_is_refused_not_waited_on(tmp_path):
    import os
    import subprocess
    import sys

    fifo = tmp_path / "motcua.csv"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-c", "import cli; cli.app()", "inspect", "export", str(fifo), "-m", "motcua_tinh"],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 2
    assert "không phải tệp thông thường" in done.stderr


def test_a_bundle_whose_export_is_a_pipe_is_scored_without_waiting_on_it(tmp_path):
    """The bundle's hash leaves the pipe out and the export's metrics fail with the reader's problem."""
    import os
    import subprocess
    import sys

    import yaml

    root = Path(__file__).resolve().parents[1]
    data = yaml.safe_load((root / "evidence" / "vung-tau-2024" / "phuong-1.yaml").read_text(encoding="utf-8"))
    data["sources"] = {"dossier_exports": [{"file": "motcua.csv", "mapping": "motcua_tinh"}]}
    (tmp_path / "phuong-1.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    os.mkfifo(tmp_path / "motcua.csv")
    done = subprocess.run([sys.executable, "-c", "import cli; cli.app()", "score", str(tmp_path / "phuong-1.yaml"),
                           "-f", "json"], capture_output=True, text=True, timeout=60, cwd=root)
    assert done.returncode in (1, 2), done.stderr
    assert "không phải tệp thông thường" in done.stdout + done.stderr
