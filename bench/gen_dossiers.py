"""Synthetic one-stop dossier exports for the ingestion benchmark and for trying mappings.

Writes a CSV in the layout of engine/load/mappings/motcua_tinh.yaml (optionally also XLSX for small
sizes) plus a JSON alias table (unit name or spelling → unit id). Seeded, so the same arguments
give the same bytes. Includes a small share of the dirt real exports have: repeated dossier ids,
rows from the previous year, unknown statuses, unknown units and variant unit spellings.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

HEADERS = [
    "STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Đơn vị", "Ngày tiếp nhận", "Ngày hẹn trả",
    "Ngày trả kết quả", "Trạng thái", "Số hóa kết quả", "Nộp trực tuyến", "Thanh toán trực tuyến",
]

STATUS_MIX = [
    ("Sớm hạn", 0.34), ("Đúng hạn", 0.40), ("Quá hạn", 0.05), ("Đang xử lý (còn hạn)", 0.10),
    ("Đang xử lý (quá hạn)", 0.03), ("Đang bổ sung", 0.04), ("Rút hồ sơ", 0.02), ("Rút không giải quyết", 0.02),
]
UNKNOWN_STATUSES = ["Chờ phê duyệt", "Đã hủy", "Đang chuyển"]
RESOLVED = {"Sớm hạn", "Đúng hạn", "Quá hạn"}

PROCEDURES = [
    "Đăng ký khai sinh", "Đăng ký kết hôn", "Chứng thực bản sao từ bản chính", "Đăng ký khai tử",
    "Cấp giấy chứng nhận quyền sử dụng đất", "Đăng ký hộ kinh doanh", "Cấp giấy phép xây dựng nhà ở riêng lẻ",
    "Xác nhận tình trạng hôn nhân", "Chứng thực chữ ký", "Đăng ký thường trú",
]
COMMUNE_NAMES = [
    "An Bình", "Tân Phú", "Hòa Lợi", "Phước Long", "Thạnh Mỹ", "Long Hưng", "Bình Đức", "Mỹ Xuyên",
    "Hưng Thạnh", "Phú Hòa", "Đông Hải", "Tây Sơn", "Quảng Điền", "Nghĩa Hành", "Đức Phổ", "Thủy Nguyên",
]
DEPARTMENTS = [
    "Sở Tư pháp", "Sở Nội vụ", "Sở Tài chính", "Sở Xây dựng", "Sở Y tế", "Sở Giáo dục và Đào tạo",
    "Sở Tài nguyên và Môi trường", "Sở Kế hoạch và Đầu tư", "Sở Công Thương", "Sở Giao thông vận tải",
    "Sở Lao động - Thương binh và Xã hội", "Sở Văn hóa, Thể thao và Du lịch",
]


def slug(text: str) -> str:
    """ASCII id from a Vietnamese name: 'UBND phường 3' → 'phuong-3'."""
    text = text.replace("UBND ", "").replace("Đ", "D").replace("đ", "d")
    ascii_text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def unit_names(count: int) -> list[str]:
    """Departments, then wards, then communes: the mix of a provincial one-stop system."""
    names = list(DEPARTMENTS[: min(len(DEPARTMENTS), count // 10)])
    ward = 1
    while len(names) < count:
        if len(names) % 3:
            names.append(f"UBND phường {ward}")
            ward += 1
        else:
            index = len(names) // 3
            suffix = f" {index // len(COMMUNE_NAMES) + 1}" if index >= len(COMMUNE_NAMES) else ""
            names.append(f"UBND xã {COMMUNE_NAMES[index % len(COMMUNE_NAMES)]}{suffix}")
    return names[:count]


def aliases_for(names: list[str]) -> dict[str, str]:
    """Official name, short and decomposed spellings → id, as a province would keep them."""
    table: dict[str, str] = {}
    for name in names:
        unit_id = slug(name)
        table[name] = unit_id
        table[name.replace("UBND ", "")] = unit_id
        if name.startswith("UBND phường "):
            table["P." + name.rsplit(" ", 1)[1]] = unit_id
    return table


def spellings(name: str) -> list[str]:
    """How clerks actually type a unit: official, without 'UBND', upper case, decomposed (NFD)."""
    variants = [name.replace("UBND ", ""), name.upper(), unicodedata.normalize("NFD", name)]
    if name.startswith("UBND phường "):
        variants.append("P." + name.rsplit(" ", 1)[1])
    return variants


def generate(rows: int, units: int, seed: int, year: int) -> tuple[pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(seed)
    names = unit_names(units)
    weights = rng.pareto(1.5, units) + 1
    unit_of_row = rng.choice(units, size=rows, p=weights / weights.sum())
    unit_text = np.array(names, dtype=object)[unit_of_row]
    variant = rng.random(rows) < 0.05
    variant_table = [spellings(n) for n in names]
    picks = rng.integers(0, 4, rows)
    for i in np.flatnonzero(variant):
        options = variant_table[unit_of_row[i]]
        unit_text[i] = options[picks[i] % len(options)]
    unknown_unit = rng.random(rows) < 0.0005
    unit_text[unknown_unit] = "UBND phường 99"

    labels = [s for s, _ in STATUS_MIX]
    probs = np.array([p for _, p in STATUS_MIX])
    status = np.array(labels, dtype=object)[rng.choice(len(labels), size=rows, p=probs / probs.sum())]
    unknown_status = rng.random(rows) < 0.001
    status[unknown_status] = np.array(UNKNOWN_STATUSES, dtype=object)[rng.integers(0, 3, unknown_status.sum())]

    first = date(year, 1, 1)
    days_in_year = (date(year + 1, 1, 1) - first).days
    received = rng.integers(0, days_in_year, rows)
    previous_year = rng.random(rows) < 0.01
    received[previous_year] -= rng.integers(1, 60, previous_year.sum())
    allowed = rng.choice([1, 3, 5, 7, 10, 15, 20], size=rows)
    due = received + allowed
    is_resolved = np.isin(status, list(RESOLVED))
    offset = np.where(status == "Sớm hạn", -rng.integers(1, 3, rows),
                      np.where(status == "Quá hạn", rng.integers(1, 15, rows), 0))
    resolved = np.where(is_resolved, np.maximum(received, due + offset), -10_000)

    span = np.arange(-400, days_in_year + 400)
    texts = np.array([(first + timedelta(days=int(d))).strftime("%d/%m/%Y") for d in span], dtype=object)

    def day_text(days: np.ndarray) -> np.ndarray:
        out = np.full(len(days), "", dtype=object)
        ok = days > -10_000
        out[ok] = texts[days[ok] + 400]
        return out

    online = rng.random(rows) < 0.45
    paid_online = online & (rng.random(rows) < 0.5)
    digitized = is_resolved & (rng.random(rows) < 0.8)
    digitized |= ~is_resolved & (rng.random(rows) < 0.002)
    unit_code = np.array([f"{i:03d}" for i in range(units)], dtype=object)[unit_of_row]
    ids = [f"000.{u}.H56-{year % 100:02d}{i:07d}" for u, i in zip(unit_code, range(rows))]

    frame = pd.DataFrame({
        "STT": np.arange(1, rows + 1),
        "Mã hồ sơ": ids,
        "Tên thủ tục hành chính": np.array(PROCEDURES, dtype=object)[rng.integers(0, len(PROCEDURES), rows)],
        "Đơn vị": unit_text,
        "Ngày tiếp nhận": day_text(received),
        "Ngày hẹn trả": day_text(due),
        "Ngày trả kết quả": day_text(resolved),
        "Trạng thái": status,
        "Số hóa kết quả": np.where(digitized, "Có", ""),
        "Nộp trực tuyến": np.where(online, "Có", "Không"),
        "Thanh toán trực tuyến": np.where(paid_online, "x", ""),
    })
    repeats = rng.choice(rows, size=max(1, rows // 500), replace=False)
    frame = pd.concat([frame, frame.iloc[repeats]], ignore_index=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    frame["STT"] = np.arange(1, len(frame) + 1)
    return frame[HEADERS], aliases_for(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--xlsx", action="store_true", help="also write XLSX (only up to 100,000 rows)")
    parser.add_argument("--out", type=Path, default=None,
                        help="CSV path (default bench/data/dossiers_<rows>x<units>.csv)")
    args = parser.parse_args()
    out = args.out or DATA / f"dossiers_{args.rows}x{args.units}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    frame, aliases = generate(args.rows, args.units, args.seed, args.year)
    frame.to_csv(out, index=False, encoding="utf-8-sig")
    alias_path = out.with_suffix(".units.json")
    alias_path.write_text(json.dumps(aliases, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{out} ({len(frame):,} rows), {alias_path}")
    if args.xlsx:
        if args.rows > 100_000:
            parser.error("--xlsx is for at most 100,000 rows")
        xlsx = out.with_suffix(".xlsx")
        frame.to_excel(xlsx, index=False, sheet_name="Danh sách hồ sơ")
        print(xlsx)


if __name__ == "__main__":
    main()
