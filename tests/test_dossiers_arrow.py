"""The Arrow read of an export gives exactly what the tolerant read gives: counts, problems, their order and rows.

Ingestion reads a CSV export with Arrow first and falls back to pandas' C parser when Arrow will
not read the file strictly. Every file here is ingested both ways and the results compared whole.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import engine.load.dossiers.counts as counts_module
import engine.load.dossiers.rows as rows_module
from engine.load.dossiers import (
    METRIC_NAMES,
    RESOLVED_STATUSES,
    STATUSES as STATUS_NAMES,
    aggregate_dossiers,
    bare_read,
    columnar,
    load_mapping,
)
from engine.load.dossiers.columnar import dictionary_codes, spread, text_hashes
from engine.load.dossiers.counts import count_metrics
from engine.load.dossiers.rows import FLAG_BITS
from tests.test_dossiers import ALIASES, HEADERS, MAPPING_PATH, YEAR

MAPPING = load_mapping(MAPPING_PATH)


def both_ways(path: Path, aliases=ALIASES) -> tuple[tuple, tuple, bool]:
    """(result read as ingestion reads it, result read by the tolerant parser only, whether Arrow read it)."""
    fast = rows_module.strict_read(path, rows_module._csv_plan(path, MAPPING)) is not None
    first = aggregate_dossiers(path, MAPPING, YEAR[0], YEAR[1], aliases)
    original = rows_module._csv_plan
    rows_module._csv_plan = lambda p, m: rows_module.CsvPlan(None, *list(vars(original(p, m)).values())[1:])
    try:
        second = aggregate_dossiers(path, MAPPING, YEAR[0], YEAR[1], aliases)
    finally:
        rows_module._csv_plan = original
    return first, second, fast


def dump(result) -> tuple:
    aggregation, problems = result
    return (aggregation.model_dump() if aggregation else None, [p.model_dump() for p in problems])


IDS = ["H1", "H2", " H1", "H1 ", "h1", "Hồ-1", unicodedata.normalize("NFD", "Hồ-1"), "", "  ", "\tH2", "H1\x1f",
       "000.072.H56-240336520", "000.072.H56-240336520 ", "0123456789abcdefX", "0123456789abcdefY", "a,b", 'q"r',
       "line\nbreak", "\u00a0H2", "H2\u3000"]
UNITS = ["UBND phường 3", "P.3", " Xã An Bình ", "XÃ AN BÌNH", unicodedata.normalize("NFD", "Phường 3"), "Phường 99",
         "", "a,b"]
STATUSES = ["Đúng hạn", "Sớm hạn", "quá hạn", "Đang xử lý (còn hạn)", "Chờ phê duyệt", "", " Rút hồ sơ"]
DATES = ["05/03/2024", "5/3/2024", "31/12/2023", "01/01/2025", "2024-03-05", "30/02/2024", "", "05/03/2024 08:30",
         "hôm qua"]
FLAGS = ["Có", "x", "", "Không", "0", "1", "2", "không rõ", "TRUE"]


def cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


row_strategy = st.one_of(
    st.tuples(st.sampled_from(IDS), st.sampled_from(UNITS), st.sampled_from(DATES), st.sampled_from(DATES),
              st.sampled_from(DATES), st.sampled_from(STATUSES), st.sampled_from(FLAGS), st.sampled_from(FLAGS),
              st.sampled_from(FLAGS)).map(lambda cells: ",".join(cell(c) for c in cells)),
    st.sampled_from(["", ",,,,,,,,", "H9,P.3,05/03/2024,,,Đúng hạn,,,,extra", "H9,P.3,05/03/2024",
                     "H9,Phường 3, thừa,05/03/2024,,10/03/2024,Đúng hạn,,,x", '"unterminated,P.3',
                     'H8,"P.3"x,05/03/2024,,10/03/2024,Đúng hạn,,,', "   "]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row_strategy, min_size=0, max_size=30), st.sampled_from(["\n", "\r\n"]), st.booleans(),
       st.booleans())
def test_arrow_and_tolerant_reads_agree(lines, newline, bom, final_newline):
    text = newline.join([",".join(HEADERS)] + lines) + (newline if final_newline else "")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hoso.csv"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        first, second, _ = both_ways(path)
    assert dump(first) == dump(second)


def test_a_clean_export_is_read_by_arrow_and_dirty_rows_are_reported_alike(tmp_path):
    lines = [",".join(HEADERS)]
    for i in range(300):
        dossier = IDS[i % len(IDS)] if i % 7 == 0 else f"000.{i % 5:03d}.H56-24{i:07d}"
        cells = [dossier, UNITS[i % len(UNITS)], DATES[i % len(DATES)], "", DATES[(i * 3) % len(DATES)],
                 STATUSES[i % len(STATUSES)], FLAGS[i % len(FLAGS)], FLAGS[(i + 1) % len(FLAGS)], ""]
        lines.append(",".join(cell(c) for c in cells))
    path = tmp_path / "hoso.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    first, second, fast = both_ways(path)
    assert fast, "a clean export is read by Arrow"
    assert dump(first) == dump(second)
    codes = {p.code for p in first[1]}
    assert {"dossier.duplicate_id", "dossier.missing_id", "dossier.unknown_unit", "dossier.unknown_status",
            "dossier.before_period", "dossier.after_period", "dossier.unreadable_date"} <= codes


@pytest.mark.parametrize("period_date", ["received", "resolved"])
def test_an_export_arrow_reads_in_many_chunks_gives_the_tolerant_results(monkeypatch, tmp_path, period_date):
    """Each chunk has its own dictionary: codes, spreads and reported values must not depend on the chunking."""
    lines = [",".join(HEADERS)]
    for i in range(400):
        dossier = IDS[i % len(IDS)] if i % 7 == 0 else f"000.{i % 5:03d}.H56-24{i % 150:07d}"
        cells = [dossier, UNITS[(i * 5) % len(UNITS)], DATES[i % len(DATES)], DATES[(i * 7) % len(DATES)],
                 DATES[(i * 3) % len(DATES)] if i % 4 else "", STATUSES[(i * 11) % len(STATUSES)],
                 FLAGS[i % len(FLAGS)], FLAGS[(i + 1) % len(FLAGS)], FLAGS[(i * 2) % len(FLAGS)]]
        lines.append(",".join(cell(c) for c in cells))
    path = tmp_path / "hoso.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    mapping = MAPPING.model_copy(update={"period_date": period_date})
    original = rows_module._arrow_options

    def small_blocks(*args):
        options = original(*args)
        options["read_options"].block_size = 1024
        return options

    monkeypatch.setattr(rows_module, "_arrow_options", small_blocks)
    table = rows_module.strict_read(path, rows_module._csv_plan(path, mapping))
    assert table is not None and table.column("unit").num_chunks > 10
    chunked = aggregate_dossiers(path, mapping, YEAR[0], YEAR[1], ALIASES)
    monkeypatch.setattr(rows_module, "strict_read", lambda *args: None)
    tolerant = aggregate_dossiers(path, mapping, YEAR[0], YEAR[1], ALIASES)
    assert dump(chunked) == dump(tolerant)
    assert {"dossier.duplicate_id", "dossier.unknown_unit", "dossier.unknown_status",
            "dossier.unknown_flag"} <= {p.code for p in chunked[1]}


def test_a_row_with_cells_beyond_the_header_sends_the_file_to_the_tolerant_read(tmp_path):
    path = tmp_path / "hoso.csv"
    path.write_text(",".join(HEADERS) + "\nH1,P.3,05/03/2024,,10/03/2024,Đúng hạn,,,,thừa\n", encoding="utf-8")
    first, second, fast = both_ways(path)
    assert not fast and dump(first) == dump(second) and first[0].rows_malformed == 1


def test_the_strict_read_takes_only_the_mapped_columns_as_text(tmp_path):
    path = tmp_path / "hoso.csv"
    path.write_text(",".join(["STT"] + HEADERS + ["Ghi chú"]) + "\n1,007,P.3,05/03/2024,,,Đúng hạn,,,,\n",
                    encoding="utf-8")
    table = bare_read(path, MAPPING)
    assert isinstance(table, pa.Table) and table.num_rows == 1
    assert table.column_names[:2] == ["dossier_id", "unit"] and table.column("dossier_id").to_pylist() == ["007"]
    assert table.schema.field("dossier_id").type == pa.large_string()
    assert all(pa.types.is_dictionary(table.schema.field(name).type) for name in table.column_names[1:])
    assert table.column("due_date").to_pylist() == [""] and table.column("unit").null_count == 0


def test_the_bare_read_of_a_file_arrow_refuses_is_the_tolerant_read(tmp_path):
    path = tmp_path / "hoso.csv"
    path.write_text(",".join(HEADERS) + "\nH1,P.3,05/03/2024,,10/03/2024,Đúng hạn,,,,thừa\n", encoding="utf-8")
    frame = bare_read(path, MAPPING)
    assert not isinstance(frame, pa.Table) and len(frame) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8"), max_size=40), max_size=30))
def test_equal_texts_hash_alike_and_lengths_are_bytes(texts):
    hashes, length, _ = text_hashes(pa.array(texts, type=pa.large_string()))
    assert length.tolist() == [len(t.encode()) for t in texts]
    again, _, _ = text_hashes(pa.array(list(reversed(texts)), type=pa.string()))
    assert hashes.tolist() == list(reversed(again.tolist()))


def test_texts_differing_in_one_byte_hash_apart():
    base = "000.072.H56-240336520-abcdefghijklmnop"
    variants = [base] + [base[:i] + chr(ord(base[i]) + 1) + base[i + 1:] for i in range(len(base))]
    hashes, _, _ = text_hashes(pa.array(variants + [base[:-1], base + "\x00"], type=pa.large_string()))
    assert len(np.unique(hashes)) == len(variants) + 2


@pytest.mark.parametrize("offset", [0, 3])
def test_hashes_of_a_slice_match_the_whole(offset):
    texts = ["a", "bb", "ccc", "dddddddddd", "", "e"]
    whole, _, _ = text_hashes(pa.array(texts))
    part, _, _ = text_hashes(pa.array(texts).slice(offset))
    assert part.tolist() == whole.tolist()[offset:]


@settings(max_examples=100, deadline=None)
@given(st.integers(8, 40).flatmap(lambda n: st.lists(st.text(st.characters(min_codepoint=33, max_codepoint=126),
                                                             min_size=n, max_size=n), min_size=1, max_size=20)))
def test_texts_of_one_length_hash_as_among_other_lengths(texts):
    alike, _, _ = text_hashes(pa.array(texts, type=pa.large_string()))
    mixed, _, _ = text_hashes(pa.array(texts + ["x"], type=pa.large_string()))
    assert alike.tolist() == mixed.tolist()[:-1]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.lists(st.text(st.sampled_from("ab \t\x1f"), min_size=n, max_size=n),
                                                     min_size=1, max_size=20)), st.booleans())
def test_an_edge_space_is_seen_in_texts_of_one_length_and_of_many(texts, mixed):
    texts = texts + (["odd length  "] if mixed else [])
    _, _, edge = text_hashes(pa.array(texts, type=pa.large_string()))
    assert edge.tolist() == [bool(t) and t != t.strip() for t in texts]


def chunked_dictionary(chunks: list[list[str]]) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(chunk, type=pa.string()).dictionary_encode() for chunk in chunks],
                            type=pa.dictionary(pa.int32(), pa.string()))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", "P.3", "Phường 3", "x", "Đúng hạn", " y "]), max_size=12), max_size=6),
       st.randoms(use_true_random=False))
def test_dictionary_chunks_get_one_code_per_value(chunks, random):
    codes, values = dictionary_codes(chunked_dictionary(chunks))
    cells = [cell for chunk in chunks for cell in chunk]
    assert [values[code] for code in codes.tolist()] == cells
    assert len(set(values)) == len(values) and codes.dtype == np.int16 and len(codes) == len(cells)
    rows = [random.randrange(len(cells)) for _ in range(len(cells))]  # any rows, in any order, repeated
    assert [values[code] for code in codes[np.array(rows, dtype=np.int64)].tolist()] == [cells[r] for r in rows]
    assert [values[codes[row]] for row in range(len(cells))] == cells
    lengths = np.array([len(v) for v in values], dtype=np.int64)
    assert codes.spread(lengths).tolist() == [len(c) for c in cells]


def test_many_distinct_values_get_wide_codes_and_every_row_is_spread():
    cells = [f"v{i}" for i in range(40_000)] + ["v7"] * 40_000
    codes, values = dictionary_codes(chunked_dictionary([cells[:50_000], cells[50_000:]]))
    assert codes.dtype == np.int32 and [values[c] for c in codes.tolist()] == cells
    lengths = np.array([len(v) for v in values], dtype=np.int64)
    assert codes.spread(lengths).tolist() == [len(c) for c in cells]
    assert spread(lengths, np.array(codes.tolist(), dtype=np.int32)).tolist() == [len(c) for c in cells]


def test_repeated_ids_are_confirmed_as_text_whatever_their_hashes(monkeypatch, tmp_path):
    """Every hash alike (the worst case of collisions): repeats are still exactly the equal ids."""
    lines = [",".join(HEADERS)] + [f"{dossier},P.3,05/03/2024,,10/03/2024,Đúng hạn,,,"
                                   for dossier in ["A1", "B2", "A1", " B2", "C3", "a1", "C3", "C3", "Hồ-1",
                                                   unicodedata.normalize("NFD", "Hồ-1")]]
    path = tmp_path / "hoso.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    honest = dump(aggregate_dossiers(path, MAPPING, YEAR[0], YEAR[1], ALIASES))
    original = columnar.text_hashes

    def colliding(array):
        hashes, length, edge = original(array)
        return np.zeros_like(hashes), length, edge

    monkeypatch.setattr(columnar, "text_hashes", colliding)
    first, second, fast = both_ways(path)
    assert fast and dump(first) == dump(second) == honest
    repeats = [p for p in first[1] if p.code == "dossier.duplicate_id"]
    assert [(p.row, p.value) for p in repeats] == [(4, "A1"), (5, "B2"), (8, "C3"), (11, "Hồ-1")]


def naive_counts(unit_ids, unit_idx, status_idx, used, flags):
    result = {}
    for row in np.flatnonzero(used).tolist():
        metrics = result.setdefault(unit_ids[unit_idx[row]], dict.fromkeys(METRIC_NAMES, 0))
        status = STATUS_NAMES[status_idx[row]]
        resolved = status in RESOLVED_STATUSES
        metrics["dossiers_received"] += 1
        metrics["dossiers_resolved"] += resolved
        metrics["dossiers_resolved_on_time"] += status in ("early", "on_time")
        metrics["dossiers_resolved_late"] += status == "late"
        for name in ("in_progress", "in_progress_overdue", "waiting_supplement", "withdrawn"):
            metrics[f"dossiers_{name}"] += status == name
        metrics["results_digitized"] += resolved and bool(flags["digitized_result"][row])
        metrics["dossiers_online"] += bool(flags["online_submission"][row])
        metrics["payments_online"] += bool(flags["online_payment"][row])
    return {unit: result[unit] for unit in unit_ids if unit in result}


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6).flatmap(lambda units: st.lists(
           st.tuples(st.integers(-1, units - 1), st.integers(-1, len(STATUS_NAMES) - 1), st.booleans(),
                     st.booleans(), st.booleans(), st.booleans()), max_size=60).map(lambda rows: (units, rows))),
       st.sampled_from(["blocks", "table", "sorted"]))
def test_counts_per_unit_are_the_rows_counted_one_by_one(case, way):
    units, rows = case
    unit_ids = [f"u{i}" for i in range(units)]
    columns = list(zip(*rows)) if rows else [()] * 6
    unit_idx = np.array(columns[0], dtype=np.int16)
    status_idx = np.array(columns[1], dtype=np.int8)
    used = np.array(columns[2], dtype=bool) & (unit_idx >= 0) & (status_idx >= 0)
    flags = {field: np.array(columns[3 + i], dtype=bool)
             for i, field in enumerate(("digitized_result", "online_submission", "online_payment"))}
    flag_bits = sum(flags[field].astype(np.uint8) * np.uint8(bit) for field, bit in FLAG_BITS.items())
    limits = {"blocks": (1 << 16, 1 << 22), "table": (0, 1 << 22), "sorted": (0, 0)}[way]
    saved = counts_module.BLOCK_BINS, counts_module.BINCOUNT_BINS
    counts_module.BLOCK_BINS, counts_module.BINCOUNT_BINS = limits
    try:
        counted = count_metrics(unit_ids, unit_idx, status_idx, used, np.asarray(flag_bits, dtype=np.uint8))
    finally:
        counts_module.BLOCK_BINS, counts_module.BINCOUNT_BINS = saved
    assert counted == naive_counts(unit_ids, unit_idx, status_idx, used, flags)
