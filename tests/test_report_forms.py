"""Aggregated one-stop reports: multi-row headers, Vietnamese counts and rates, identities named by cell."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from engine.core.problems import InputError
from engine.load.report_forms.header import is_numbering_row
from engine.load.report_forms.mapping import load_any_mapping, load_report_mapping
from engine.load.report_forms.read import read_report
from engine.load.report_forms.values import CellError, Rate, parse_count, parse_rate
from report_form_samples import (
    FIELDS,
    PORTAL_WARDS,
    SAMPLES,
    WARDS,
    Counts,
    csv_bytes,
    opencps_workbook,
    portal_rows,
    tonghop_rows,
    total,
    tt01_workbook,
)

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "engine" / "load" / "mappings"
TT01 = SAMPLES / "tt01-2020-bieu-06a-phuong-mau-2024.xlsx"
TONGHOP = SAMPLES / "tt01-2020-tong-hop-phuong-xa-2024.csv"
OPENCPS = SAMPLES / "opencps-thong-ke-2024.xlsx"
PORTAL = SAMPLES / "cong-dvc-tinh-thong-ke-2024.csv"
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])


def mapping(name: str):
    return load_report_mapping(MAPPINGS / f"{name}.yaml")


class Read:
    """A reading with its problems beside it, as tests look at both."""

    def __init__(self, reading, problems):
        self.reading, self.problems = reading, problems

    def __getattr__(self, name):
        return getattr(self.reading, name)


def read(path: Path, name: str) -> Read:
    reading, problems = read_report(path, mapping(name))
    if reading is None:
        raise InputError(problems)
    return Read(reading, problems)


def write_csv(tmp_path: Path, rows: list[list[str]], name: str = "bieu.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return path


def unit_metrics(reading) -> dict[str, dict[str, int]]:
    return {u.label: u.metrics for u in reading.units}


def expected(c: Counts, *, carried: bool = True, separate: tuple[str, ...] = ()) -> dict[str, int]:
    values = {
        "dossiers_received": c.new, "dossiers_online": c.online, "dossiers_resolved": c.resolved,
        "dossiers_resolved_on_time": c.early + c.on_time, "dossiers_resolved_late": c.late,
        "dossiers_in_progress": c.within, "dossiers_in_progress_overdue": c.overdue,
    }
    if carried:
        values["dossiers_carried_over"] = c.carried
    values.update({f"dossiers_{name}": getattr(c, {"waiting_supplement": "waiting"}.get(name, name)) for name in separate})
    return values


# ---------------------------------------------------------------- the shipped mappings read their samples


def test_samples_are_the_generator_output(tmp_path):
    """The committed files hold what tests/report_form_samples.py writes (cell for cell)."""
    assert TONGHOP.read_bytes() == csv_bytes(tonghop_rows())
    assert PORTAL.read_bytes() == csv_bytes(portal_rows())
    for path, book in ((TT01, tt01_workbook()), (OPENCPS, opencps_workbook())):
        fresh = tmp_path / path.name
        book.save(fresh)
        committed, generated = openpyxl.load_workbook(path).active, openpyxl.load_workbook(fresh).active
        assert [[c.value for c in r] for r in committed.iter_rows()] == [[c.value for c in r] for r in generated.iter_rows()]
        assert sorted(map(str, committed.merged_cells.ranges)) == sorted(map(str, generated.merged_cells.ranges))


def test_every_sample_says_it_is_a_sample():
    for path in (TONGHOP, PORTAL):
        assert "SỐ LIỆU MẪU" in path.read_text(encoding="utf-8")
    for path in (TT01, OPENCPS):
        assert any("SỐ LIỆU MẪU" in str(c.value) for row in openpyxl.load_workbook(path).active.iter_rows() for c in row)


def test_tt01_form_per_field_gives_the_total_row_of_the_unit():
    reading = read(TT01, "tt01_2020_06a")
    assert reading.problems == []
    assert (reading.header_first_row, reading.header_last_row, reading.total_row) == (7, 9, 11)
    assert (str(reading.period_start), str(reading.period_end)) == ("2023-12-15", "2024-12-14")
    [unit] = reading.units
    whole = total(FIELDS, "Tổng số")
    assert unit.metrics == expected(whole)
    assert unit.cells["dossiers_resolved_on_time"] == ["H11", "I11"]


def test_tt01_summary_variant_per_unit_with_a_stated_rate():
    reading = read(TONGHOP, "tt01_2020_tonghop")
    assert reading.problems == []
    assert reading.total_row == 13
    got = unit_metrics(reading)
    assert list(got) == [w.name for w in WARDS]
    for ward in WARDS:
        want = expected(ward) | {"dossiers_returned": ward.returned + ward.withdrawn,
                                 "dossiers_in_progress": ward.within + ward.waiting}
        assert got[ward.name] == want


def test_opencps_table_with_three_header_rows_and_a_merged_total_row():
    reading = read(OPENCPS, "opencps_thongke")
    assert reading.problems == []
    assert reading.total_row == 15
    for ward in WARDS:
        assert unit_metrics(reading)[ward.name] == expected(
            ward, separate=("returned", "withdrawn", "waiting_supplement"))


def test_portal_page_with_percent_strings_and_no_carried_over_column():
    reading = read(PORTAL, "cong_dvc_tinh_thongke")
    assert reading.problems == []
    for ward in PORTAL_WARDS:
        assert unit_metrics(reading)[ward.name] == expected(ward, carried=False)


def test_a_mapping_file_is_told_apart_by_its_layout():
    assert type(load_any_mapping(MAPPINGS / "opencps_thongke.yaml")).__name__ == "ReportMapping"
    assert type(load_any_mapping(MAPPINGS / "motcua_tinh.yaml")).__name__ == "DossierMapping"


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize("value,count", [
    ("1.952", 1952), ("12.345.678", 12345678), ("0", 0), ("", 0), ("-", 0), ("–", 0), (" 27 ", 27), (1952, 1952),
    (1952.0, 1952), ("1\u00a0952", 1952),
])
def test_counts_read_the_vietnamese_way(value, count):
    assert parse_count(value, "vi") == count


@pytest.mark.parametrize("value,words", [
    ("1.952,5", "số nguyên"), ("85%", "tỷ lệ phần trăm"), ("48,6%", "tỷ lệ phần trăm"), ("có", "không phải số"),
    ("-5", "âm"), (-5, "không âm"), (12.5, "không âm"), ("1,952", "số nguyên"), ("12a", "không phải số"), (True, "số nguyên"),
])
def test_what_is_not_a_count(value, words):
    with pytest.raises(CellError, match=words):
        parse_count(value, "vi")


def test_machine_style_counts():
    assert parse_count("1,952", "machine") == 1952
    with pytest.raises(CellError):
        parse_count("1.952,5", "machine")


@pytest.mark.parametrize("value,fmt,rate", [
    ("98,5%", None, Rate(98.5, 1)), ("98,50", None, Rate(98.5, 2)), ("100%", None, Rate(100, 0)),
    (0.985, "0.0%", Rate(98.5, 1)), (0.9852, "0.00%", Rate(98.52, 2)), (96, "General", Rate(96, 0)),
    (96.45, "General", Rate(96.45, 2)), ("", None, None), ("-", None, None),
])
def test_rates_are_read_as_written(value, fmt, rate):
    assert parse_rate(value, "vi", fmt) == rate


def test_a_rate_written_machine_style_in_a_vietnamese_table_is_not_guessed():
    with pytest.raises(CellError, match="tỷ lệ"):
        parse_rate("96.45", "vi")


@pytest.mark.parametrize("texts,numbering", [
    (["(1)", "(2)", "(3)", "(4)"], True), (["1", "2", "3", "4", "5"], True), (["A", "B", "1", "2", "3"], True),
    (["(1)", "(2)", "(3)=(4)+(5)", "(4)", "(5)"], True), (["1", "UBND Phường 1", "12", "3"], False),
    (["1", "2", "2", "3"], False), (["(1)", "(2)"], False),
])
def test_numbering_rows(texts, numbering):
    assert is_numbering_row(texts) is numbering


# ---------------------------------------------------------------- identities name the cells


def _tonghop_with(change) -> list[list[str]]:
    rows = tonghop_rows()
    change(rows)
    return rows


def _problems(reading) -> list[str]:
    return [p.render() for p in reading.problems]


def test_resolved_not_matching_its_parts_names_the_cells_and_numbers(tmp_path):
    def change(rows):
        rows[8][7] = "838"  # Phường 3, "Đúng hạn và trước hạn": 828 → 838
    reading = read(write_csv(tmp_path, _tonghop_with(change)), "tt01_2020_tonghop")
    messages = _problems(reading)
    identity = [p for p in reading.problems if p.row == 9 and "không bằng tổng các phần" in p.message]
    assert len(identity) == 1 and identity[0].code == "report.identity" and identity[0].severity == "warning"
    assert "ô G9 'Tổng số' = 831 nhưng ô H9 'Đúng hạn và trước hạn' + ô I9 'Quá hạn' = 838 + 3 = 841" in identity[0].message
    assert identity[0].column == "G, H, I"
    assert any("ô N9" in m and "100,8424%" in m for m in messages)  # the stated rate no longer fits either
    assert {p.code for p in reading.problems} == {"report.identity", "report.rate_mismatch", "report.total_mismatch"}
    assert any("cột H" in m and "dòng tổng (ô H13) ghi 2.429" in m for m in messages)
    phuong_3 = next(u for u in reading.units if u.label == "UBND Phường 3")
    assert set(phuong_3.failed) == {"dossiers_resolved", "dossiers_resolved_on_time", "dossiers_resolved_late"}
    assert "ô G9" in phuong_3.failed["dossiers_resolved"]
    assert phuong_3.metrics["dossiers_received"] == 853  # the receiving side is still usable


def test_received_not_matching_online_direct_and_carried_over(tmp_path):
    def change(rows):
        rows[6][3] = "340"  # Phường 1 online 336 → 340
    reading = read(write_csv(tmp_path, _tonghop_with(change)), "tt01_2020_tonghop")
    [problem] = [p for p in reading.problems if p.row == 7]
    assert ("tổng số hồ sơ nhận giải quyết (gồm kỳ trước chuyển qua) không bằng tổng các phần: ô C7 'Tổng số' = 662 "
            "nhưng ô F7 'Kỳ trước chuyển qua' + ô D7 'Trực tuyến' + ô E7 'Trực tiếp và bưu chính' = 21 + 340 + 305 = 666 "
            "(chênh lệch 4)") == problem.message
    assert set(next(u for u in reading.units if u.row == 7).failed) == {"dossiers_received", "dossiers_carried_over",
                                                                          "dossiers_online"}


def test_more_handled_than_received_is_a_problem(tmp_path):
    def change(rows):
        rows[10][12] = "40"  # Phường Thắng Nhì returned/withdrawn 3 → 40
    reading = read(write_csv(tmp_path, _tonghop_with(change)), "tt01_2020_tonghop")
    row = [p for p in reading.problems if p.row == 11]
    assert len(row) == 1 and row[0].message.startswith("số hồ sơ đã xử lý vượt số hồ sơ nhận giải quyết")
    assert "ô G11 'Tổng số' + ô J11 'Tổng số' + ô M11 'Trả lại/Xin rút' = 506 + 54 + 40 = 600 lớn hơn ô C11 'Tổng số' = 563" in row[0].message


def test_in_progress_not_matching_within_and_overdue(tmp_path):
    def change(rows):
        rows[7][11] = "3"  # Phường 2 in-progress overdue 0 → 3
    reading = read(write_csv(tmp_path, _tonghop_with(change)), "tt01_2020_tonghop")
    assert any(p.row == 8 and p.message.startswith("số hồ sơ đang giải quyết không bằng tổng các phần") and
               "ô J8 'Tổng số' = 13 nhưng ô K8 'Trong hạn' + ô L8 'Quá hạn' = 13 + 3 = 16" in p.message
               for p in reading.problems)


def test_stated_rate_is_compared_at_its_printed_precision(tmp_path):
    def change(rows):
        rows[6][13] = "99,54"  # 630 / 633 = 99,526...%: 99,53 and 99,52 fit two decimals, 99,54 does not
    reading = read(write_csv(tmp_path, _tonghop_with(change)), "tt01_2020_tonghop")
    [problem] = reading.problems
    assert problem.code == "report.rate_mismatch"
    assert problem.message.startswith("tỷ lệ ghi trong biểu (ô N7 'Tỷ lệ giải quyết đúng hạn (%)' = 99,54%) khác tỷ lệ "
                                      "tính lại từ số liệu")
    for fits in ("99,53", "99,52"):
        rows = tonghop_rows()
        rows[6][13] = fits
        assert read(write_csv(tmp_path, rows, f"{fits}.csv"), "tt01_2020_tonghop").problems == []


def test_opencps_rounds_its_rate_down_and_that_is_within_precision(tmp_path):
    book = opencps_workbook()
    ws = book.active
    assert ws["T9"].value == 99  # Phường 1: 630 / 633 = 99,5% printed as 99 (OpenCPS divides in whole numbers)
    ws["T9"] = 97
    path = tmp_path / "opencps.xlsx"
    book.save(path)
    [problem] = read(path, "opencps_thongke").problems
    assert (problem.row, problem.column) == (9, "T, I, J, H")
    assert "= 97%" in problem.message


def test_rows_must_add_up_to_the_total_row(tmp_path):
    def change(rows):
        rows[12][9] = "211"  # total of in-progress 224 → 211
    reading = read(write_csv(tmp_path, _tonghop_with(change)), "tt01_2020_tonghop")
    messages = _problems(reading)
    assert any("cột J 'Số hồ sơ đang giải quyết / Tổng số': tổng các dòng 7–12 là 224 nhưng dòng tổng (ô J13) ghi 211"
               in m for m in messages)
    assert all("dossiers_in_progress" not in u.failed for u in reading.units)  # the total column is not a metric
    assert all(u.failed == {} for u in reading.units)


def test_a_column_not_adding_up_fails_that_metric_for_every_unit(tmp_path):
    def change(rows):
        rows[12][8] = "12"  # total of late 11 → 12
    reading = read(write_csv(tmp_path, _tonghop_with(change)), "tt01_2020_tonghop")
    assert all(set(u.failed) == {"dossiers_resolved_late", "dossiers_resolved", "dossiers_resolved_on_time"}
               or set(u.failed) == {"dossiers_resolved_late"} for u in reading.units)
    assert all("dòng tổng (ô I13) ghi 12" in u.failed["dossiers_resolved_late"] for u in reading.units)


def test_unreadable_cells_are_named_and_only_their_metrics_fail(tmp_path):
    def change(rows):
        rows[9][4] = "1.952,5"   # Phường 8, direct
        rows[9][6] = "85%"       # Phường 8, resolved total
    reading = read(write_csv(tmp_path, _tonghop_with(change)), "tt01_2020_tonghop")
    cells = {(p.code, p.row, p.column, p.value) for p in reading.problems if p.row == 10}
    assert cells == {("report.not_a_count", 10, "E", "1.952,5"), ("report.not_a_count", 10, "G", "85%")}
    phuong_8 = next(u for u in reading.units if u.row == 10)
    assert set(phuong_8.failed) == {"dossiers_received", "dossiers_resolved"}
    assert phuong_8.metrics["dossiers_online"] == 69 and phuong_8.metrics["dossiers_resolved_on_time"] == 182


def test_duplicate_unit_rows_fail_that_unit(tmp_path):
    rows = tonghop_rows()
    rows.insert(12, list(rows[6]))
    reading = read(write_csv(tmp_path, rows), "tt01_2020_tonghop")
    duplicate = [p for p in reading.problems if p.code == "report.duplicate_unit" and "(dòng 7, dòng 13)" in p.message]
    assert len(duplicate) == 1
    phuong_1 = next(u for u in reading.units if u.label == "UBND Phường 1")
    assert set(phuong_1.failed) == set(phuong_1.metrics) and "dossiers_resolved" in phuong_1.failed  # shown, never scored


def test_formula_without_a_saved_result_is_named(tmp_path):
    book = opencps_workbook()
    book.active["C9"] = "=D9+E9"  # openpyxl saves the formula, not its result
    path = tmp_path / "congthuc.xlsx"
    book.save(path)
    reading = read(path, "opencps_thongke")
    [problem] = [p for p in reading.problems if p.row == 9 and p.column == "C"]
    assert problem.code == "report.formula_without_value" and "lưu lại" in problem.message


# ---------------------------------------------------------------- reading the header


def test_missing_column_lists_the_header_paths_found(tmp_path):
    rows = tonghop_rows()
    rows[5][8] = "Trễ hạn"
    with pytest.raises(InputError) as info:
        read(write_csv(tmp_path, rows), "tt01_2020_tonghop")
    [problem] = info.value.problems
    assert (problem.code, problem.severity) == ("report.missing_column", "error")
    assert problem.message.startswith("thiếu cột theo ánh xạ")
    assert "'Số hồ sơ đã giải quyết / Quá hạn'" in problem.message
    assert "I: 'Số hồ sơ đã giải quyết / Trễ hạn'" in problem.message
    assert problem.row == 5


def test_a_header_path_found_twice_is_ambiguous(tmp_path):
    rows = tonghop_rows()
    rows[4][9] = "Số hồ sơ đã giải quyết"
    with pytest.raises(InputError) as info:
        read(write_csv(tmp_path, rows), "tt01_2020_tonghop")
    assert any(p.code == "report.ambiguous_column" and "có ở 2 cột (G, J)" in p.message for p in info.value.problems)


def test_no_header_row(tmp_path):
    with pytest.raises(InputError) as info:
        read(write_csv(tmp_path, [["a", "b"], ["1", "2"]]), "tt01_2020_tonghop")
    assert info.value.problems[0].code == "report.no_header"


def test_csv_group_labels_written_once_or_repeated_read_alike(tmp_path):
    rows = tonghop_rows()
    rows[4] = ["STT", "Đơn vị"] + ["Số hồ sơ nhận giải quyết"] * 4 + ["Số hồ sơ đã giải quyết"] * 3 + \
              ["Số hồ sơ đang giải quyết"] * 3 + ["Trả lại/Xin rút", "Tỷ lệ giải quyết đúng hạn (%)"]
    rows[5][0], rows[5][1], rows[5][12], rows[5][13] = "STT", "Đơn vị", "Trả lại/Xin rút", "Tỷ lệ giải quyết đúng hạn (%)"
    reading = read(write_csv(tmp_path, rows), "tt01_2020_tonghop")
    assert reading.problems == [] and unit_metrics(reading) == unit_metrics(read(TONGHOP, "tt01_2020_tonghop"))


def test_headers_compare_after_nfc_case_and_spaces(tmp_path):
    import unicodedata
    rows = tonghop_rows()
    rows[4][6] = unicodedata.normalize("NFD", "SỐ HỒ SƠ  ĐÃ GIẢI QUYẾT ")
    assert read(write_csv(tmp_path, rows), "tt01_2020_tonghop").problems == []


def test_not_utf8_and_unknown_type_and_too_many_rows(tmp_path):
    path = tmp_path / "bieu.csv"
    path.write_bytes("STT,Đơn vị\n".encode("utf-16"))
    with pytest.raises(InputError, match="CSV UTF-8"):
        read(path, "tt01_2020_tonghop")
    (tmp_path / "bieu.ods").write_bytes(b"PK")
    with pytest.raises(InputError, match="chỉ nhận .csv hoặc .xlsx"):
        read(tmp_path / "bieu.ods", "tt01_2020_tonghop")
    with pytest.raises(InputError, match="không tìm thấy tệp"):
        read(tmp_path / "khong-co.csv", "tt01_2020_tonghop")
    big = tmp_path / "lon.csv"
    big.write_text("a\n" * 20_001, encoding="utf-8")
    with pytest.raises(InputError, match="hơn 20.000 dòng"):
        read(big, "tt01_2020_tonghop")
    fake = tmp_path / "gia.xlsx"
    fake.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="tệp không phải Excel .xlsx") as info:  # said precisely (docs/input-safety.md)
        read(fake, "opencps_thongke")
    assert info.value.problems[0].code == "xlsx.not_xlsx"


def test_input_files_are_only_read(tmp_path):
    path = write_csv(tmp_path, tonghop_rows())
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read(path, "tt01_2020_tonghop")
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# ---------------------------------------------------------------- mapping files


@pytest.mark.parametrize("edit,words", [
    (("received_total:", "received_totl:"), "giá trị không hợp lệ"),
    (("numerator: [resolved_on_time_or_early]", "numerator: [resolved_early]"), "dùng cột không có trong columns"),
    (('returned: ["Trả lại/Xin rút"]', 'returned: ["Số hồ sơ đã giải quyết", "Tổng số"]'), "được dùng cho cả"),
    (("header_rows: 2", "header_rows: 0"), "lớn hơn hoặc bằng 1"),
    (("rows: units", "rows: hang"), "giá trị không hợp lệ"),
])
def test_mapping_problems_name_key_and_line(tmp_path, edit, words):
    text = (MAPPINGS / "tt01_2020_tonghop.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    path = tmp_path / "m.yaml"
    path.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_report_mapping(path)
    assert any(words in p.message and p.line for p in info.value.problems), [p.render() for p in info.value.problems]


# ---------------------------------------------------------------- properties


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@st.composite
def units(draw, minimum: int = 1, maximum: int = 6) -> list[Counts]:
    size = draw(st.integers(minimum, maximum))
    found = []
    for index in range(size):
        online, direct, postal = (draw(st.integers(0, 400)) for _ in range(3))
        early, on_time, late, overdue, returned, withdrawn, waiting = (draw(st.integers(0, 150)) for _ in range(7))
        assume(early + on_time + late > 0)
        spare = draw(st.integers(0, 60))
        handled = early + on_time + late + overdue + returned + withdrawn + waiting
        carried = max(0, handled + spare - online - direct - postal)
        found.append(Counts(f"Đơn vị số {index + 1}", carried, online, direct, postal, early, on_time, late, overdue,
                            returned, withdrawn, waiting))
    return found


@PROPERTY
@given(wards=units(), data=st.data())
def test_rows_in_any_order_give_the_same_metrics(tmp_path_factory, wards, data):
    folder = tmp_path_factory.mktemp("thu-tu")
    order = data.draw(st.permutations(wards))
    first = read(write_csv(folder, tonghop_rows(wards), "a.csv"), "tt01_2020_tonghop")
    second = read(write_csv(folder, tonghop_rows(list(order)), "b.csv"), "tt01_2020_tonghop")
    assert unit_metrics(first) == unit_metrics(second)
    assert first.problems == second.problems == []


@PROPERTY
@given(wards=units())
def test_a_consistent_table_never_raises_an_identity_problem(tmp_path_factory, wards):
    folder = tmp_path_factory.mktemp("nhat-quan")
    for rows, name in ((tonghop_rows(wards), "tt01_2020_tonghop"), (portal_rows(wards), "cong_dvc_tinh_thongke")):
        reading = read(write_csv(folder, rows), name)
        assert reading.problems == [] and all(u.failed == {} for u in reading.units)


@PROPERTY
@given(wards=units(), data=st.data())
def test_raising_one_count_always_gives_a_problem_naming_that_cell(tmp_path_factory, wards, data):
    folder = tmp_path_factory.mktemp("sai-mot-o")
    rows = tonghop_rows(wards)
    row = data.draw(st.integers(6, 5 + len(wards)))
    column = data.draw(st.integers(2, 12))  # columns C..M: every count of a unit row
    delta = data.draw(st.integers(1, 50))
    rows[row][column] = _count(int(rows[row][column].replace(".", "")) + delta)
    reading = read(write_csv(folder, rows), "tt01_2020_tonghop")
    ref = f"{'ABCDEFGHIJKLMN'[column]}{row + 1}"
    named = [p for p in reading.problems if p.row == row + 1 and re.search(rf"ô {ref}\b", p.message)]
    assert named, [p.render() for p in reading.problems]
    assert any(p.row == 7 + len(wards) and p.column == ref[0] for p in reading.problems)  # and the total row
    assert next(u for u in reading.units if u.row == row + 1).failed


@PROPERTY
@given(wards=units(), data=st.data())
def test_lowering_one_count_is_caught_by_the_total_row(tmp_path_factory, wards, data):
    folder = tmp_path_factory.mktemp("giam-mot-o")
    rows = tonghop_rows(wards)
    row = data.draw(st.integers(6, 5 + len(wards)))
    column = data.draw(st.integers(2, 12))
    value = int(rows[row][column].replace(".", ""))
    assume(value > 0)
    rows[row][column] = _count(value - data.draw(st.integers(1, value)))
    reading = read(write_csv(folder, rows), "tt01_2020_tonghop")
    letter = "ABCDEFGHIJKLMN"[column]
    assert any(p.row == 7 + len(wards) and p.column == letter and "dòng tổng" in p.message for p in reading.problems)


def test_an_xlsx_that_unpacks_too_large_is_refused_before_parsing(tmp_path):
    import zipfile
    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a/>" + b" " * (30 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(InputError, match="giải nén ra quá lớn") as info:
        read(path, "opencps_thongke")
    assert info.value.problems[0].code == "report.too_large"
