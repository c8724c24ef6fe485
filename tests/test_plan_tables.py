"""Plan-table import: the three real appendices of the seeds, small Excel/CSV/text fixtures, status sidecars."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import SEEDS, require_seeds
from openpyxl import Workbook

from engine.core.problems import Problem
from engine.load.plan_tables import PlanImport, apply_status, import_plan_table

SEED_FILES = {
    "000": "000_808790debe58c567.txt",
    "002": "002_05fbc5b314aea845.txt",
    "004": "004_107105599edbbbc2.txt",
}


def imported(path: Path, plan_year: int | None = None, sheet: str | None = None) -> tuple[PlanImport, list[Problem]]:
    """(import, problems) of a table that can be read as a plan table."""
    result, problems = import_plan_table(path, plan_year=plan_year, sheet=sheet)
    assert result is not None, [p.render() for p in problems]
    return result, problems


@pytest.fixture(scope="module")
def seed_reads() -> dict[str, tuple[PlanImport, list[Problem]]]:
    require_seeds()
    return {key: imported(SEEDS / name) for key, name in SEED_FILES.items()}


@pytest.fixture(scope="module")
def seeds(seed_reads) -> dict[str, PlanImport]:
    return {key: result for key, (result, _) in seed_reads.items()}


# Seed 000 numbers its tasks 1-51; row 9 is in the table but every cell except the number is empty.
@pytest.mark.parametrize(("key", "count", "year"), [("000", 51, 2025), ("002", 48, 2020), ("004", 73, 2025)])
def test_seed_row_counts_order_and_year(seeds: dict[str, PlanImport], key: str, count: int, year: int) -> None:
    result = seeds[key]
    assert len(result.rows) == count
    assert [row.number for row in result.rows] == [str(n) for n in range(1, count + 1)]
    assert result.plan_year == year


def test_every_seed_deadline_is_classified(seeds: dict[str, PlanImport]) -> None:
    unread = [(key, row.number, row.deadline.text) for key, result in seeds.items()
              for row in result.rows if row.deadline.kind == "unreadable"]
    assert unread == []
    missing = [(key, row.number) for key, result in seeds.items()
               for row in result.rows if row.deadline.kind == "none"]
    assert missing == [("000", "9")]


def test_seed_deadline_kinds(seeds: dict[str, PlanImport]) -> None:
    kinds = {key: Counter(row.deadline.kind for row in result.rows) for key, result in seeds.items()}
    assert kinds["000"] == Counter(period_end=25, continuous=14, conditional=6, milestones=3, date=2, none=1)
    assert kinds["002"] == Counter(period_end=45, continuous=2, milestones=1)
    assert kinds["004"] == Counter(period_end=29, recurring=26, milestones=7, continuous=5, conditional=4, date=1,
                                   per_level=1)


def test_seed_problems_name_the_empty_row(seed_reads) -> None:
    problems = seed_reads["000"][1]
    assert [(p.code, p.line, p.column, p.severity) for p in problems] == [
        ("plan.empty_task", 16, "Nhiệm vụ", "error"),
        ("plan.no_deadline", 16, "Thời gian", "warning"),
    ]
    assert seed_reads["002"][1] == []
    assert seed_reads["004"][1] == []


def test_seed_000_layout(seeds: dict[str, PlanImport]) -> None:
    rows = {row.number: row for row in seeds["000"].rows}
    assert rows["1"].area == "I. Cải cách thể chế hành chính"
    assert rows["1"].lead == "Phòng Tư pháp"
    assert rows["1"].funding == "NSTP"
    assert rows["6"].area == "II. Cải cách thủ tục hành chính"
    assert rows["6"].task.startswith("Tất cả TTHC thuộc thẩm quyền")
    assert rows["6"].cooperating == ("Văn phòng HĐND và UBND", "Bộ phận tiếp nhận và trả kết quả")
    assert rows["16"].task.startswith("Giao chỉ tiêu công chức")
    assert rows["16"].area == "III. Cải cách tổ chức bộ máy hành chính nhà nước"
    assert rows["19"].deadline.due == date(2025, 12, 31)
    assert [p.label for p in rows["7"].deadline.parts] == ["kế hoạch", "Báo cáo"]
    assert rows["51"].source.line == 70


def test_seed_002_page_break_continuations(seeds: dict[str, PlanImport]) -> None:
    rows = {row.number: row for row in seeds["002"].rows}
    assert rows["5"].product is not None and rows["5"].product.endswith("nhật trên phần mềm một cửa")
    assert rows["10"].task.endswith("trên địa bàn Tỉnh.")
    assert "Sở Tài chính" in rows["10"].cooperating
    assert rows["14"].task.endswith("sau khi được Tỉnh ủy cho chủ trương thực hiện.")
    assert rows["45"].task.endswith("UBND cấp huyện.")
    assert rows["45"].area == "VIII. Các công tác chỉ đạo, điều hành khác"
    assert rows["11"].deadline.condition == "sau khi có Nghị định của Chính phủ"
    assert rows["1"].funding == "Kinh phí từ ngân sách tỉnh"


def test_seed_004_pipe_layout(seeds: dict[str, PlanImport]) -> None:
    rows = {row.number: row for row in seeds["004"].rows}
    first = rows["1"]
    assert first.area == "I. CÔNG TÁC CHỈ ĐẠO ĐIỀU HÀNH"
    assert first.task == ("Xây dựng và triển khai thực hiện Quyết định ban hành Kế hoạch CCHC năm 2025 "
                          "trên địa bàn tỉnh.")
    assert first.lead == "Cơ quan thường trực BCĐ CCHC tỉnh"
    assert first.cooperating == ("Các sở, ban, ngành tỉnh", "UBND cấp huyện, cấp xã")
    assert first.product == "Quyết định được ban hành"
    assert first.funding is None
    assert first.source.line == 647
    assert rows["6"].deadline.due == date(2025, 1, 16)
    assert rows["19"].deadline.kind == "per_level"
    assert rows["70"].area.startswith("VIII. ĐÁNH GIÁ TÁC ĐỘNG CỦA CCHC")
    assert rows["73"].deadline.kind == "milestones"
    assert len({row.area for row in seeds["004"].rows}) == 8


def test_seed_files_are_not_modified() -> None:
    require_seeds()
    paths = [SEEDS / name for name in SEED_FILES.values()]
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    for path in paths:
        imported(path)
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths] == before


HEADER = ["STT", "Nhiệm vụ", "Sản phẩm", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian thực hiện", "Kinh phí"]


def _workbook(path: Path, rows: list[list[object]], title: str = "Kế hoạch") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_import(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "plan.xlsx", [
        ["KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2025"],
        [],
        HEADER,
        ["I. Cải cách thể chế"],
        [1, "Ban hành kế hoạch", "Kế hoạch", "Sở Nội vụ", "Các sở, ban, ngành; UBND cấp huyện", "Quý I/2025", "NSĐP"],
        [2, "Rà soát văn bản", "Báo cáo", "Sở Tư pháp", None, datetime(2025, 3, 5), None],
        [2.1, "Báo cáo rà soát", "Báo cáo", "Sở Tư pháp", None, "Quý V/2025", None],
        ["II. Cải cách thủ tục hành chính"],
        ["3.", "Công khai TTHC", None, "Văn phòng UBND tỉnh", None, "Thường xuyên", None],
    ])
    result, problems = imported(path)
    assert result.plan_year == 2025
    assert [row.number for row in result.rows] == ["1", "2", "2.1", "3"]
    first, second, third, fourth = result.rows
    assert first.area == "I. Cải cách thể chế"
    assert first.cooperating == ("Các sở, ban, ngành", "UBND cấp huyện")
    assert first.deadline.due == date(2025, 3, 31)
    assert (second.deadline.kind, second.deadline.due) == ("date", date(2025, 3, 5))
    assert fourth.area == "II. Cải cách thủ tục hành chính"
    assert (first.source.sheet, first.source.row) == ("Kế hoạch", 5)
    [problem] = problems
    assert (problem.code, problem.sheet, problem.row, problem.column, problem.value) == \
        ("plan.unreadable_deadline", "Kế hoạch", 7, "Thời gian", "Quý V/2025")
    assert third.deadline.kind == "unreadable"


def test_xlsx_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    workbook = Workbook()
    workbook.active.append(["ghi chú"])
    other = workbook.create_sheet("Phụ lục")
    other.append(HEADER)
    other.append([1, "Nhiệm vụ A", None, "Sở Nội vụ", None, "Hoàn thành trong Quý IV", None])
    workbook.save(path)
    result, _ = imported(path, plan_year=2024, sheet="Phụ lục")
    assert result.rows[0].deadline.due == date(2024, 12, 31)
    missing, problems = import_plan_table(path, plan_year=2024, sheet="Không có")
    assert missing is None
    assert [(p.code, p.value) for p in problems] == [("plan.no_sheet", "Không có")]


def test_csv_import_with_problems(tmp_path: Path) -> None:
    nfd_task = unicodedata.normalize("NFD", "Tổ chức hội nghị")
    path = tmp_path / "plan.csv"
    path.write_text(
        "STT;Nội dung/ Nhiệm vụ;Cơ quan chủ trì;Thời gian hoàn thành\n"
        f"1;{nfd_task};Sở Nội vụ;Quý II/2025\n"
        "2;;Sở Nội vụ;Năm 2025\n"
        "3;Khảo sát;Sở Nội vụ;\n"
        "4;Báo cáo;Sở Nội vụ;chưa rõ\n",
        encoding="utf-8",
    )
    result, problems = imported(path, plan_year=2025)
    assert result.rows[0].task == "Tổ chức hội nghị"
    assert [(p.code, p.row, p.column, p.severity) for p in problems] == [
        ("plan.empty_task", 3, "Nhiệm vụ", "error"),
        ("plan.no_deadline", 4, "Thời gian", "warning"),
        ("plan.unreadable_deadline", 5, "Thời gian", "error"),
    ]
    assert problems[2].value == "chưa rõ"


def test_tab_text_with_repeated_header_and_page_break(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    header = "\t".join(HEADER)
    path.write_text(
        "PHỤ LỤC KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2024\n"
        f"{header}\n"
        "\tI. Cải cách thể chế\t\t\t\t\t\n"
        "1\tNhiệm vụ một được cắt\tSản phẩm\tSở Nội vụ\tSở Tư pháp\tQuý I/2024\t\n"
        "\n"
        f"{header}\n"
        "\tqua trang\t\t\t\t\t\n"
        "2\tNhiệm vụ hai\tSản phẩm\tSở Nội vụ\tSở Tư pháp\tSau khi có hướng dẫn\t\n",
        encoding="utf-8",
    )
    result, problems = imported(path)
    assert result.plan_year == 2024
    assert [row.task for row in result.rows] == ["Nhiệm vụ một được cắt qua trang", "Nhiệm vụ hai"]
    assert result.rows[1].deadline.kind == "conditional"
    assert problems == []


def test_pipe_text_with_title_glued_to_header(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(
        "PHỤ LỤC\nNHIỆM VỤ CẢI CÁCH HÀNH CHÍNH NĂM 2025\nSTT\n|\nNhiệm vụ\n|\nCơ quan chủ trì\n|\n"
        "Thời gian\nhoàn thành\n|\nI. CHỈ ĐẠO (02 nhiệm vụ)\n|\n1.\n|\nXây dựng\nkế hoạch\n|\nSở Nội vụ\n|\n"
        "Quý I/2025\n|\n2.\n|\nBáo cáo\n|\nSở Nội vụ\n|\nThường xuyên\n|\n[1]\nGhi chú cuối trang\n",
        encoding="utf-8",
    )
    result, problems = imported(path)
    assert [(row.number, row.task, row.area) for row in result.rows] == [
        ("1", "Xây dựng kế hoạch", "I. CHỈ ĐẠO"),
        ("2", "Báo cáo", "I. CHỈ ĐẠO"),
    ]
    assert result.rows[0].source.line == 14
    assert problems == []


def test_declared_area_count_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("STT,Nhiệm vụ,Thời gian\nI. CHỈ ĐẠO (03 nhiệm vụ),,\n1,A,Năm 2025\n", encoding="utf-8")
    [problem] = imported(path, plan_year=2025)[1]
    assert (problem.code, problem.severity, problem.row, problem.value) == ("plan.declared_count", "warning", 2, "I. CHỈ ĐẠO")
    assert [int(n) for n in re.findall(r"\d+", problem.message)] == [3, 1]  # announced, found


def test_duplicate_numbers_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("STT,Nhiệm vụ,Thời gian\n1,A,Năm 2025\n1,B,Năm 2025\n", encoding="utf-8")
    [problem] = imported(path, plan_year=2025)[1]
    assert (problem.code, problem.row, problem.column, problem.value) == ("plan.duplicate_number", 3, "STT", "1")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("plan.csv", "a,b,c\n1,2,3\n", "plan.no_header"),
        ("plan.docx", "STT,Nhiệm vụ,Thời gian\n", "plan.unsupported_format"),
        ("plan.csv", "STT,Nhiệm vụ,Thời gian\n1,A,Quý I\n", "plan.no_year"),
    ],
)
def test_whole_file_problems_give_no_import(tmp_path: Path, name: str, content: str, code: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result, problems = import_plan_table(path)
    assert result is None
    assert [(p.code, p.file, p.severity) for p in problems] == [(code, str(path), "error")]


@pytest.fixture()
def plan(tmp_path: Path) -> PlanImport:
    path = tmp_path / "plan.csv"
    path.write_text(
        "STT,Nhiệm vụ,Thời gian\n1,A,Quý I/2025\n2,B,Năm 2025\n3,C,Thường xuyên\n4,D,Năm 2025\n",
        encoding="utf-8",
    )
    return imported(path, plan_year=2025)[0]


def test_status_sidecar_csv(tmp_path: Path, plan: PlanImport) -> None:
    status = tmp_path / "status.csv"
    status.write_text(
        "STT,Trạng thái,Ngày hoàn thành\n"
        "1,Hoàn thành,05/03/2025\n"
        "2,đang thực hiện,\n"
        "3,chưa thực hiện,\n"
        "99,hoàn thành,01/01/2025\n"
        "4,hoàn thành,2025/31/01\n",
        encoding="utf-8",
    )
    rows, problems = apply_status(plan.rows, status)
    assert [(r.number, r.status, r.done_date) for r in rows] == [
        ("1", "hoàn thành", date(2025, 3, 5)),
        ("2", "đang thực hiện", None),
        ("3", "chưa thực hiện", None),
        ("4", None, None),
    ]
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [
        ("plan.status_unknown_task", 5, "STT", "99"), ("format.bad_date", 6, "Ngày hoàn thành", "2025/31/01")]
    assert rows[0].deadline.is_met_by(rows[0].done_date) is True
    assert plan.rows[0].status is None


def test_status_sidecar_xlsx_and_checks(tmp_path: Path, plan: PlanImport) -> None:
    status = _workbook(tmp_path / "status.xlsx", [
        ["id", "Trạng thái", "Ngày hoàn thành"],
        [1, "đã hoàn thành", datetime(2025, 4, 2)],
        [2, "xong rồi", None],
        [3, "đang thực hiện", "10/10/2025"],
        [4, "hoàn thành", None],
        [1, "hoàn thành", "01/01/2025"],
    ], title="Trạng thái")
    rows, problems = apply_status(plan.rows, status)
    assert [(r.status, r.done_date) for r in rows] == [
        ("hoàn thành", date(2025, 4, 2)), (None, None), ("đang thực hiện", None), ("hoàn thành", None),
    ]
    assert rows[0].deadline.is_met_by(date(2025, 4, 2)) is False
    assert [(p.code, p.row, p.column, p.severity) for p in problems] == [
        ("plan.unknown_status", 3, "Trạng thái", "error"),
        ("plan.done_date_ignored", 4, "Ngày hoàn thành", "warning"),
        ("plan.done_without_date", 5, "Ngày hoàn thành", "warning"),
        ("plan.status_repeated", 6, "STT", "error"),
    ]


def test_status_sidecar_without_header(tmp_path: Path, plan: PlanImport) -> None:
    status = tmp_path / "status.csv"
    status.write_text("Mã,Ghi chú\n1,x\n", encoding="utf-8")
    rows, problems = apply_status(plan.rows, status)
    assert rows == plan.rows
    assert [(p.code, p.severity) for p in problems] == [("plan.status_no_header", "error")]
