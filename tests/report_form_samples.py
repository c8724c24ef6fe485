"""The sample aggregated reports in evidence/mau-bao-cao-mot-cua/, written from one table of numbers.

Run `python tests/report_form_samples.py` to write them again. The numbers are made up (marked as
samples in every file) and consistent: every identity of docs/dossier-exports.md holds, so a test
can break exactly one number and expect exactly the problems that number causes.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "evidence" / "mau-bao-cao-mot-cua"
MARK = "SỐ LIỆU MẪU: tệp ví dụ của parindex, không phải báo cáo thật"


@dataclass(frozen=True)
class Counts:
    """One unit's (or field's) counts for a period; everything else is derived so the identities hold."""

    name: str
    carried: int
    online: int
    direct: int
    postal: int
    early: int
    on_time: int
    late: int
    overdue: int
    returned: int = 0
    withdrawn: int = 0
    waiting: int = 0

    @property
    def new(self) -> int:
        return self.online + self.direct + self.postal

    @property
    def received(self) -> int:
        return self.carried + self.new

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def within(self) -> int:
        return self.received - self.resolved - self.overdue - self.returned - self.withdrawn - self.waiting

    @property
    def in_progress(self) -> int:
        return self.within + self.overdue


WARDS = [
    Counts("UBND Phường 1", 21, 336, 301, 4, 152, 478, 3, 2, 2, 1, 3),
    Counts("UBND Phường 2", 9, 150, 98, 1, 61, 181, 2, 0, 1, 0, 1),
    Counts("UBND Phường 3", 30, 501, 330, 22, 210, 618, 3, 4, 3, 2, 5),
    Counts("UBND Phường 8", 6, 69, 160, 3, 44, 138, 0, 1, 0, 0, 2),
    Counts("UBND Phường Thắng Nhì", 17, 227, 312, 7, 120, 384, 2, 3, 2, 1, 2),
    Counts("UBND Xã Long Sơn", 4, 14, 52, 2, 9, 34, 1, 0, 0, 0, 1),
]

FIELDS = [
    Counts("Hộ tịch", 6, 150, 96, 0, 71, 160, 1, 0),
    Counts("Chứng thực", 0, 40, 118, 0, 52, 104, 0, 0),
    Counts("Đất đai", 9, 12, 30, 4, 5, 31, 2, 1),
    Counts("Xây dựng", 3, 8, 14, 0, 2, 16, 0, 1),
    Counts("Lao động, thương binh và xã hội", 2, 61, 20, 0, 12, 65, 0, 0),
    Counts("Bảo trợ xã hội", 1, 45, 12, 0, 8, 45, 0, 0),
    Counts("Văn hóa, thể thao và du lịch", 0, 20, 11, 0, 2, 25, 0, 0),
]


def total(rows: list[Counts], name: str) -> Counts:
    fields = ("carried", "online", "direct", "postal", "early", "on_time", "late", "overdue", "returned", "withdrawn",
              "waiting")
    return Counts(name, *(sum(getattr(r, f) for r in rows) for f in fields))


def vi(n: int) -> str:
    """1952 → '1.952'."""
    return f"{n:,}".replace(",", ".")


def vi_pct(numerator: int, denominator: int, decimals: int = 2) -> str:
    value = round(100 * numerator / denominator, decimals) if denominator else 0
    return f"{value:.{decimals}f}".replace(".", ",")


# ---------------------------------------------------------------- TT 01/2020, Biểu II.06a (per field, XLSX)

TT01_HEADER = [
    # (row, first col, last col, last row, text) — rows relative to the first header row
    (0, 1, 1, 2, "STT"),
    (0, 2, 2, 2, "Lĩnh vực, công việc giải quyết theo cấp"),
    (0, 3, 6, 0, "Số hồ sơ nhận giải quyết"),
    (0, 7, 13, 0, "Kết quả giải quyết"),
    (1, 3, 3, 2, "Tổng số"),
    (1, 4, 4, 2, "Số kỳ trước chuyển qua"),
    (1, 5, 6, 1, "Số mới tiếp nhận"),
    (1, 7, 10, 1, "Số hồ sơ đã giải quyết"),
    (1, 11, 13, 1, "Số hồ sơ đang giải quyết"),
    (2, 5, 5, 2, "Trực tuyến"),
    (2, 6, 6, 2, "Trực tiếp, dịch vụ bưu chính"),
    (2, 7, 7, 2, "Tổng số"),
    (2, 8, 8, 2, "Trả trước hạn"),
    (2, 9, 9, 2, "Trả đúng thời hạn"),
    (2, 10, 10, 2, "Trả quá hạn"),
    (2, 11, 11, 2, "Tổng số"),
    (2, 12, 12, 2, "Trong hạn"),
    (2, 13, 13, 2, "Quá hạn"),
]


def tt01_values(c: Counts) -> list[int]:
    return [c.received, c.carried, c.online, c.direct + c.postal, c.resolved, c.early, c.on_time, c.late,
            c.in_progress, c.within, c.overdue]


def tt01_workbook(fields: list[Counts] = FIELDS) -> Workbook:
    book = Workbook()
    ws = book.active
    ws.title = "Biểu II.06a"
    ws["A1"] = "Biểu số II.06a/VPCP/KSTT"
    ws["J1"] = "Đơn vị báo cáo: UBND Phường Mẫu"
    ws["J2"] = "Đơn vị nhận báo cáo: UBND thành phố"
    ws["A3"] = ("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT "
                "THỦ TỤC HÀNH CHÍNH")
    ws.merge_cells("A3:M3")
    ws["A4"] = "Kỳ báo cáo: Năm 2024 (Từ ngày 15/12/2023 đến ngày 14/12/2024)"
    ws.merge_cells("A4:M4")
    ws["A5"] = MARK
    ws["K6"] = "Đơn vị tính: Số hồ sơ TTHC"
    first = 7
    for offset, col, last_col, last_offset, text in TT01_HEADER:
        row = first + offset
        ws.cell(row, col, text).font = Font(bold=True)
        ws.cell(row, col).alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        if last_col != col or last_offset != offset:
            ws.merge_cells(start_row=row, start_column=col, end_row=first + last_offset, end_column=last_col)
    for col in range(1, 14):
        ws.cell(first + 3, col, f"({col})")
    all_fields = total(fields, "Tổng số")
    ws.cell(first + 4, 2, "Tổng số").font = Font(bold=True)
    for col, value in enumerate(tt01_values(all_fields), start=3):
        ws.cell(first + 4, col, value).font = Font(bold=True)
    for index, field in enumerate(fields, start=1):
        row = first + 4 + index
        ws.cell(row, 1, index)
        ws.cell(row, 2, field.name)
        for col, value in enumerate(tt01_values(field), start=3):
            ws.cell(row, col, value)
    footer = first + 4 + len(fields) + 2
    ws.cell(footer, 2, "Người lập biểu")
    ws.cell(footer, 10, "CHỦ TỊCH")
    ws.column_dimensions["B"].width = 40
    _fixed_times(book)
    return book


# ---------------------------------------------------------------- TT 01/2020 summary variant (per unit, CSV)

def tonghop_rows(wards: list[Counts] = WARDS) -> list[list[str]]:
    head = [
        ["BẢNG TỔNG HỢP TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH CỦA UBND CÁC PHƯỜNG, XÃ"],
        ["Kỳ báo cáo: Năm 2024, từ ngày 15/12/2023 đến ngày 14/12/2024"],
        [MARK],
        [],
        ["STT", "Đơn vị", "Số hồ sơ nhận giải quyết", "", "", "", "Số hồ sơ đã giải quyết", "", "",
         "Số hồ sơ đang giải quyết", "", "", "Trả lại/Xin rút", "Tỷ lệ giải quyết đúng hạn (%)"],
        ["", "", "Tổng số", "Trực tuyến", "Trực tiếp và bưu chính", "Kỳ trước chuyển qua", "Tổng số",
         "Đúng hạn và trước hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn", "", ""],
    ]

    def line(number: str, w: Counts) -> list[str]:
        return [number, w.name, vi(w.received), vi(w.online), vi(w.direct + w.postal), vi(w.carried), vi(w.resolved),
                vi(w.early + w.on_time), vi(w.late), vi(w.in_progress + w.waiting), vi(w.within + w.waiting),
                vi(w.overdue), vi(w.returned + w.withdrawn), vi_pct(w.early + w.on_time, w.resolved)]

    body = [line(str(i), w) for i, w in enumerate(wards, start=1)]
    return head + body + [line("", total(wards, "Tổng cộng"))]


# ---------------------------------------------------------------- OpenCPS statistics table (per unit, XLSX)

OPENCPS_HEADER = [
    (0, 1, 1, 2, "STT"), (0, 2, 2, 2, "Đơn vị"), (0, 3, 7, 0, "Nhận giải quyết"),
    (0, 8, 14, 0, "Kết quả nhận giải quyết"), (0, 15, 17, 0, "Đang giải quyết"),
    (0, 18, 18, 2, "Tạm dừng bổ sung điều kiện"), (0, 19, 19, 2, "Rút không giải quyết"),
    (0, 20, 20, 2, "Tỉ lệ sớm và đúng hạn"),
    (1, 3, 3, 2, "Tổng số"), (1, 4, 4, 2, "Tồn trước"), (1, 5, 7, 1, "Nhận trong kì"),
    (1, 8, 8, 2, "Tổng số"), (1, 9, 11, 1, "Tình hình thực hiện"), (1, 12, 12, 2, "Từ chối giải quyết"),
    (1, 13, 14, 1, "Trả kết quả"), (1, 15, 15, 2, "Tổng số"), (1, 16, 16, 2, "Còn hạn"), (1, 17, 17, 2, "Quá hạn"),
    (2, 5, 5, 2, "Tổng số"), (2, 6, 6, 2, "Một cửa"), (2, 7, 7, 2, "Trực tuyến"), (2, 9, 9, 2, "Trước hạn"),
    (2, 10, 10, 2, "Đúng hạn"), (2, 11, 11, 2, "Quá hạn"), (2, 13, 13, 2, "Đã trả"), (2, 14, 14, 2, "Chưa trả"),
]


def opencps_values(w: Counts) -> list[int]:
    delivered = w.resolved - w.resolved // 20
    rate = (w.early + w.on_time) * 100 // w.resolved if w.resolved else 0  # OpenCPS divides in whole numbers
    return [w.received, w.carried, w.new, w.direct + w.postal, w.online, w.resolved, w.early, w.on_time, w.late,
            w.returned, delivered, w.resolved - delivered, w.in_progress, w.within, w.overdue, w.waiting, w.withdrawn,
            rate]


def opencps_workbook(wards: list[Counts] = WARDS) -> Workbook:
    book = Workbook()
    ws = book.active
    ws.title = "Thống kê"
    ws["A1"] = "BÁO CÁO TỔNG HỢP TÌNH HÌNH GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    ws.merge_cells("A1:T1")
    ws["A2"] = "Năm 2024"
    ws.merge_cells("A2:T2")
    ws["A3"] = MARK
    first = 5
    for offset, col, last_col, last_offset, text in OPENCPS_HEADER:
        row = first + offset
        ws.cell(row, col, text).font = Font(bold=True)
        if last_col != col or last_offset != offset:
            ws.merge_cells(start_row=row, start_column=col, end_row=first + last_offset, end_column=last_col)
    for col in range(1, 21):
        ws.cell(first + 3, col, f"({col})")
    for index, ward in enumerate(wards, start=1):
        row = first + 3 + index
        ws.cell(row, 1, index)
        ws.cell(row, 2, ward.name)
        for col, value in enumerate(opencps_values(ward), start=3):
            ws.cell(row, col, value)
    row = first + 4 + len(wards)
    ws.cell(row, 1, "Tổng số").font = Font(bold=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
    everyone = total(wards, "Tổng số")
    for col, value in enumerate(opencps_values(everyone), start=3):
        ws.cell(row, col, value)
    _fixed_times(book)
    return book


# ---------------------------------------------------------------- provincial service portal statistics page (CSV)

PORTAL_WARDS = [
    # The portal counts what reached it: a few dossiers synchronised late differ from the one-stop software.
    Counts("UBND Phường 1", 0, 336, 301, 4, 152, 476, 3, 2),
    Counts("UBND Phường 2", 0, 150, 98, 1, 61, 181, 2, 0),
    Counts("UBND Phường 3", 0, 501, 330, 22, 210, 611, 3, 4),
    Counts("UBND Phường 8", 0, 69, 160, 3, 44, 138, 0, 1),
    Counts("UBND Phường Thắng Nhì", 0, 227, 312, 7, 120, 384, 2, 3),
    Counts("UBND Xã Long Sơn", 0, 14, 52, 2, 9, 34, 1, 0),
]


def portal_rows(wards: list[Counts] = PORTAL_WARDS) -> list[list[str]]:
    head = [
        ["Cổng Dịch vụ công tỉnh - Thống kê tình hình giải quyết hồ sơ theo đơn vị"],
        ["Từ ngày 01/01/2024 đến ngày 31/12/2024"],
        [MARK],
        ["STT", "Đơn vị", "Tiếp nhận", "", "", "", "Đã xử lý", "", "", "", "Đang xử lý", "", "",
         "Tỷ lệ đúng hạn", "Tỷ lệ trực tuyến"],
        ["", "", "Tổng số", "Trực tuyến", "Trực tiếp", "Qua bưu chính công ích", "Tổng số", "Trước hạn", "Đúng hạn",
         "Trễ hạn", "Tổng số", "Trong hạn", "Quá hạn", "", ""],
    ]

    def line(number: str, w: Counts) -> list[str]:
        return [number, w.name, vi(w.new), vi(w.online), vi(w.direct), vi(w.postal), vi(w.resolved), vi(w.early),
                vi(w.on_time), vi(w.late), vi(w.in_progress), vi(w.within), vi(w.overdue),
                vi_pct(w.early + w.on_time, w.resolved) + "%", vi_pct(w.online, w.new) + "%"]

    return head + [line(str(i), w) for i, w in enumerate(wards, start=1)] + [line("", total(wards, "Tổng cộng"))]


def _fixed_times(book: Workbook) -> None:
    book.properties.created = book.properties.modified = datetime(2025, 1, 15, 8, 0, 0)
    book.properties.creator = "parindex (số liệu mẫu)"


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_all(folder: Path = SAMPLES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "tt01-2020-bieu-06a-phuong-mau-2024.xlsx", folder / "tt01-2020-tong-hop-phuong-xa-2024.csv",
             folder / "opencps-thong-ke-2024.xlsx", folder / "cong-dvc-tinh-thong-ke-2024.csv"]
    tt01_workbook().save(paths[0])
    paths[1].write_bytes(csv_bytes(tonghop_rows()))
    opencps_workbook().save(paths[2])
    paths[3].write_bytes(csv_bytes(portal_rows()))
    return paths


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLES):
        print(written)
