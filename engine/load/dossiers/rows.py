"""Row classification: read an export as the mapping says and decide, for every row, whether it counts.

Exports reach a million rows a year, so the reading is vectorised: each column is factorised
once and only its distinct values go through Python. The result is a set of per-row masks (blank,
malformed, duplicate, unknown unit or status, unreadable date, outside the period, counted) that
the problem reporting and the counting read; nothing here words a problem for a row.
"""

from __future__ import annotations

import csv
import re
import stat
import unicodedata
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.core.limits import read_limited, xlsx_problem
from engine.core.problems import InputError, Problem, os_error_code, os_error_vi
from engine.core.vnformat import FormatError, format_date, nfc, parse_date, parse_number
from engine.load.dossiers.columnar import (
    ArrowIdColumn,
    ChunkCodes,
    RepeatGroups,
    code_dtype,
    dictionary_codes,
    is_arrow,
    spread,
)
from engine.load.dossiers.mapping import RESOLVED_STATUSES, STATUSES, STRPTIME, DossierMapping, text_key

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa


FLAG_FIELDS = ("digitized_result", "online_submission", "online_payment")

FLAG_BITS = {"digitized_result": 4, "online_submission": 2, "online_payment": 1}
"""The bit of each yes/no column in a row's flag bits (one byte per row for the three columns)."""


@dataclass
class Column:
    """One column factorised: per-row codes into its distinct values (-1 = empty cell)."""

    header: str
    codes: np.ndarray | ChunkCodes
    uniques: list[Any]
    texts: list[str]

    @classmethod
    def of(cls, header: str, series: pd.Series | pa.ChunkedArray) -> Column:
        import numpy as np
        import pandas as pd
        if is_arrow(series):
            codes, values = dictionary_codes(series)
            return cls(header, codes, values, [cell_text(v) for v in values])
        codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        values = list(uniques)
        return cls(header, codes.astype(np.int32, copy=False), values, [cell_text(v) for v in values])

    def per_row(self, per_unique: np.ndarray | list[Any], empty: Any, into: np.ndarray | None = None) -> np.ndarray:
        """Spread a per-distinct-value array to rows; empty cells get `empty`. With `into`, OR-ed into it."""
        import numpy as np
        table = np.append(np.asarray(per_unique), np.asarray([empty], dtype=np.asarray(per_unique).dtype))
        if isinstance(self.codes, ChunkCodes):
            return self.codes.spread(table, into)
        if into is None:
            return spread(table, self.codes)
        into |= spread(table, self.codes).astype(into.dtype, copy=False)
        return into

    def rows_where(self, per_unique: np.ndarray, absent: np.ndarray | None = None) -> np.ndarray:
        """Rows whose value is marked in a per-distinct-value mask, but for the `absent` rows; empty cells never are.

        No marked value costs nothing: the zeros are not even written.
        """
        import numpy as np
        if not per_unique.any():
            return np.zeros(len(self.codes), dtype=bool)
        rows = self.per_row(per_unique, False)
        if absent is not None:
            rows[absent] = False
        return rows

    def blank(self) -> np.ndarray:
        import numpy as np
        return self.per_row(np.array([not t for t in self.texts], dtype=bool), True)

    def blank_at(self, rows: np.ndarray) -> np.ndarray:
        """Whether each of the given rows is empty in this column (cheaper than `blank` for a few rows)."""
        import numpy as np
        table = np.array([not t for t in self.texts] + [True], dtype=bool)
        return table[self.codes[rows]]

    def text(self, row: int) -> str:
        code = self.codes[row]
        return self.texts[code] if code >= 0 else ""


def cell_text(value: Any) -> str:
    """A cell as the user sees it: strings NFC and trimmed, whole numbers without '.0', dates dd/mm/yyyy."""
    import numpy as np
    import pandas as pd
    if value is None:
        return ""
    if isinstance(value, str):
        return nfc(value).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime, pd.Timestamp)):
        if pd.isna(value):
            return ""
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return format_date(value.date())
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
    return str(value)


@dataclass
class Table:
    """The mapped columns of an export: a pandas frame (tolerant read, Excel) or an Arrow table (strict read)."""

    frame: pd.DataFrame | pa.Table
    headers: dict[str, str]
    first_row: int
    sheet: str | None
    extra: pd.Series | None = None
    skipped: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        self.rows = len(self.frame)

    def arrow(self) -> bool:
        import pyarrow as pa
        return isinstance(self.frame, pa.Table)

    def column(self, field: str) -> pd.Series | pa.ChunkedArray:
        return self.frame.column(field) if self.arrow() else self.frame[field]

    def fields(self) -> list[str]:
        return list(self.frame.column_names if self.arrow() else self.frame.columns)

    def take(self, field: str) -> pd.Series | pa.ChunkedArray:
        """One column; an Arrow column leaves the table, so its buffers are freed once it is coded."""
        if not self.arrow():
            return self.frame[field]
        column = self.frame.column(field)
        self.frame = self.frame.drop_columns([field])
        return column

    def release(self) -> None:
        """Drop the cells once they are coded, keeping the row count."""
        self.frame = self.frame.schema.empty_table() if self.arrow() else self.frame.iloc[:0, :0]

    def row_numbers(self) -> np.ndarray | RowNumbers:
        """Row of each frame row as the user sees it; rows the parser skipped are not in the frame."""
        import numpy as np
        if not self.skipped:
            return RowNumbers(self.first_row)
        count = self.rows + len(self.skipped)
        numbers = np.arange(self.first_row, self.first_row + count, dtype=np.int64)
        if self.skipped:
            numbers = numbers[~np.isin(numbers, np.array(self.skipped, dtype=np.int64))]
        return numbers


class RowNumbers:
    """Row numbers of consecutive data rows, worked out for the rows asked about instead of held for every row."""

    def __init__(self, first: int):
        self.first = first

    def __getitem__(self, key: Any) -> Any:
        import numpy as np
        if isinstance(key, np.ndarray) and key.dtype == bool:
            key = np.flatnonzero(key)
        return key + self.first


MAX_EXPORT_BYTES = 1024 * 1024 * 1024
"""A year of a province's one-stop dossiers (about five million rows) is some 700 MB; a larger file is not read."""


def _guard(path: Path) -> None:
    """Size, and for Excel the format and unpacked size, checked before pandas or openpyxl parse the export."""
    if path.suffix.casefold() in (".xlsx", ".xlsm"):
        data, problem = read_limited(path, MAX_EXPORT_BYTES, "tệp hồ sơ TTHC")
        problem = problem or (xlsx_problem(str(path), data) if data is not None else None)
    else:
        try:
            info = path.stat()
        except OSError:
            return  # reported by the reader with its reason
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):  # a pipe or a device never ends
            raise InputError([Problem(file=str(path), code="file.not_regular",
                                      message="tệp hồ sơ TTHC không phải tệp thông thường (thiết bị, ống dẫn hoặc socket); "
                                              "không đọc")])
        problem = None if size <= MAX_EXPORT_BYTES else Problem(
            file=str(path), code="file.too_large", value=f"{size / 1024 / 1024:.0f} MB",
            message=f"tệp hồ sơ TTHC quá lớn (tối đa {MAX_EXPORT_BYTES // 1024 // 1024} MB); tách theo kỳ")
    if problem is not None:
        raise InputError([problem])


def read_table(path: Path, mapping: DossierMapping) -> Table:
    """Read the export after checking its size (and, for Excel, its format) and that every mapped column is there."""
    import pandas as pd
    file = str(path)
    _guard(path)
    suffix = path.suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, mapping)
    if suffix not in (".csv", ".txt"):
        raise InputError([Problem(code="dossier.unsupported_format", file=file, value=path.suffix,
                                  message=f"không đọc được loại tệp '{path.suffix}'; chỉ nhận .csv hoặc .xlsx")])
    plan = _csv_plan(path, mapping)
    strict = strict_read(path, plan)
    if strict is not None:
        return Table(strict, plan.headers, mapping.header_row + 1, None)
    arguments, wanted, headers = plan.tolerant, plan.wanted, plan.headers
    skipped: list[int] = []
    try:
        try:
            frame = pd.read_csv(path, **arguments)
        except pd.errors.ParserError as exc:
            if not _TOO_MANY_FIELDS.search(str(exc)):
                raise
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                frame = pd.read_csv(path, **arguments, on_bad_lines="warn")
            skipped = sorted({int(line) for warning in caught if issubclass(warning.category, pd.errors.ParserWarning)
                              for line in _SKIPPED_LINE.findall(str(warning.message))})
    except UnicodeDecodeError as exc:
        raise InputError([_not_utf8(file, exc)]) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError([Problem(code="dossier.bad_csv", file=file, message=f"tệp CSV không đọc được: {exc}")]) from None
    extra = frame[_EXTRA]
    frame = frame[list(wanted)]
    frame.columns = list(wanted.values())
    return Table(frame, headers, mapping.header_row + 1, None, extra, tuple(skipped))


_EXTRA = "__extra__"


_SKIPPED_LINE = re.compile(r"Skipping line (\d+):")


_TOO_MANY_FIELDS = re.compile(r"Expected \d+ fields in line \d+, saw \d+")


def strict_read(path: Path, plan: CsvPlan) -> pa.Table | None:
    """The Arrow read of a CSV export (see _arrow_options), or None when Arrow will not read the file strictly."""
    import pyarrow.csv as arrow_csv
    if plan.fast is None:
        return None
    try:
        return arrow_csv.read_csv(path, **plan.fast)
    except Exception:  # noqa: BLE001 - any file Arrow will not read strictly is read by the tolerant parser
        return None


def bare_read(path: Path, mapping: DossierMapping) -> pa.Table | pd.DataFrame:
    """The read ingestion starts with, and nothing after it: the floor a benchmark compares ingestion with."""
    import pandas as pd
    plan = _csv_plan(Path(path), mapping)
    strict = strict_read(Path(path), plan)
    return strict if strict is not None else pd.read_csv(path, **plan.tolerant)


@dataclass
class CsvPlan:
    """How to read one CSV export: strictly with Arrow first (`fast`), else with the tolerant C parser."""

    fast: dict[str, Any] | None
    tolerant: dict[str, Any]
    wanted: dict[str, str]
    headers: dict[str, str]


def _arrow_options(mapping: DossierMapping, header: list[str], ordered: list[tuple[str, int]]) -> dict[str, Any]:
    """pyarrow.csv.read_csv options for the strict read: only the mapped columns, as text, nothing inferred.

    Arrow reads every cell as text (no null values, no type guessing) and fails on any row whose
    cells do not match the header's count, on text that is not UTF-8 and on a newline inside
    quotes that it cannot place; such a file is then read by the tolerant parser, which places
    and reports the odd rows. A blank line stays a row (of empty cells) so row numbers match
    the file. The dossier id, nearly all distinct, is read as plain text; every other column has
    few distinct values (units, days, statuses, yes/no) and is read dictionary-encoded, so each
    cell is a small code from the start.
    """
    import pyarrow as pa
    import pyarrow.csv as arrow_csv
    names = [f"c{i}" for i in range(len(header))]
    for field, position in ordered:
        names[position] = field
    types = {field: pa.large_string() if field == "dossier_id" else pa.dictionary(pa.int32(), pa.string())
             for field, _ in ordered}
    return dict(
        read_options=arrow_csv.ReadOptions(skip_rows=mapping.header_row, column_names=names, encoding="utf8"),
        parse_options=arrow_csv.ParseOptions(delimiter=mapping.delimiter, ignore_empty_lines=False),
        convert_options=arrow_csv.ConvertOptions(
            include_columns=[field for field, _ in ordered], column_types=types, null_values=[],
            strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=True),
    )


def _csv_plan(path: Path, mapping: DossierMapping) -> CsvPlan:
    """read_csv arguments (strict and tolerant), read column → field, and each field's header as written.

    The strict Arrow read (see _arrow_arguments) is tried first when the rows up to the header
    hold no line break inside quotes (Arrow counts skipped rows by lines) and the first data row
    has as many cells as the header (Arrow takes the count of cells from it). For the tolerant read,
    columns get positional names plus one spare column. With index_col=False pandas neither turns
    the first column into an index nor drops a row with one cell more than the header (an
    unquoted comma in a name): such a row lands, shifted, with the spare column filled, and is
    reported instead of counted. (If its last cell is empty the spare stays empty; its shifted
    date and status cells then fail their own checks.) Rows with two or more cells too many make
    the fast read fail; the file is then read again with those rows skipped and reported. All
    columns are read (pandas mishandles usecols together with names and ragged rows), all as
    plain Python strings: the parser is fastest so, and categories cost more there than
    factorising afterwards.
    """
    file = str(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header: list[str] | None = None
            strict = True
            reader = csv.reader(handle, delimiter=mapping.delimiter)
            for index, row in enumerate(reader):
                strict = strict and not any("\n" in cell or "\r" in cell for cell in row)
                if index == mapping.header_row - 1:
                    header = row
                    first = next(reader, None)
                    strict = strict and first is not None and len(first) == len(header)
                    break
    except OSError as exc:
        raise InputError([Problem(code=os_error_code(exc), file=file,
                                  message=f"không đọc được tệp: {os_error_vi(exc)}")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([_not_utf8(file, exc)]) from None
    except csv.Error as exc:
        raise InputError([Problem(code="dossier.bad_csv", file=file, message=f"tệp CSV không hợp lệ: {exc}")]) from None
    if header is None:
        raise InputError([Problem(code="dossier.no_header", file=file, row=mapping.header_row,
                                  message=f"tệp không có dòng tiêu đề ở dòng {mapping.header_row}")])
    positions = _match_headers(file, header, mapping, None)
    names = [f"c{i}" for i in range(len(header))] + [_EXTRA]
    wanted = {names[position]: field for field, position in sorted(positions.items(), key=lambda item: item[1])}
    arguments: dict[str, Any] = dict(
        sep=mapping.delimiter, header=None, names=names, skiprows=mapping.header_row, index_col=False, dtype=object,
        keep_default_na=False, na_filter=False, skip_blank_lines=False, encoding="utf-8-sig", engine="c",
    )
    headers = {field: nfc(header[position]).strip() for field, position in positions.items()}
    ordered = sorted(positions.items(), key=lambda item: item[1])
    fast = _arrow_options(mapping, header, ordered) if strict else None
    return CsvPlan(fast, arguments, wanted, headers)


def _read_xlsx(path: Path, mapping: DossierMapping) -> Table:
    """Read the mapped columns of one sheet as cells (dates stay dates, numbers stay numbers)."""
    import pandas as pd
    file = str(path)
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            sheet = mapping.sheet if mapping.sheet is not None else book.sheet_names[0]
            if sheet not in book.sheet_names:
                raise InputError([Problem(code="dossier.no_sheet", file=file, sheet=sheet,
                                          message=f"không có sheet '{sheet}'; các sheet có: "
                                                  + ", ".join(f"'{s}'" for s in book.sheet_names))])
            top = pd.read_excel(book, sheet_name=sheet, header=None, nrows=mapping.header_row, dtype=object)
            if len(top) < mapping.header_row:
                raise InputError([Problem(code="dossier.no_header", file=file, sheet=sheet, row=mapping.header_row,
                                          message=f"sheet không có dòng tiêu đề ở dòng {mapping.header_row}")])
            header = [cell_text(v) for v in top.iloc[mapping.header_row - 1].tolist()]
            positions = _match_headers(file, header, mapping, sheet)
            ordered = sorted(positions.items(), key=lambda item: item[1])
            frame = pd.read_excel(book, sheet_name=sheet, header=mapping.header_row - 1,
                                  usecols=[p for _, p in ordered], dtype=object)
    except InputError:
        raise
    except OSError as exc:
        raise InputError([Problem(code=os_error_code(exc), file=file,
                                  message=f"không đọc được tệp Excel: {os_error_vi(exc)}")]) from None
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise InputError([Problem(code="file.bad_excel", file=file, message=f"không đọc được tệp Excel: {exc}")]) from None
    frame.columns = [field for field, _ in ordered]
    return Table(frame, {field: header[pos] for field, pos in ordered}, mapping.header_row + 1, sheet)


def _not_utf8(file: str, exc: UnicodeDecodeError) -> Problem:
    """Excel's plain 'CSV' is Windows-1258 on Vietnamese Windows; say which save option to use."""
    return Problem(code="file.not_utf8", file=file, message=f"tệp không phải UTF-8 (byte {exc.start}); hãy lưu lại dưới dạng 'CSV UTF-8'")


def _match_headers(file: str, header: list[str], mapping: DossierMapping, sheet: str | None) -> dict[str, int]:
    """Field → column position; every mapped column missing or doubled is an error naming what was found."""
    found: dict[str, list[int]] = {}
    for position, name in enumerate(header):
        found.setdefault(text_key(str(name)), []).append(position)
    positions: dict[str, int] = {}
    missing: list[str] = []
    doubled: list[str] = []
    for field, name in mapping.columns.items():
        hits = found.get(text_key(name), [])
        if not hits:
            missing.append(name)
        elif len(hits) > 1:
            doubled.append(name)
        else:
            positions[field] = hits[0]
    problems = []
    present = ", ".join(f"'{nfc(str(h)).strip()}'" for h in header if str(h).strip()) or "(không có)"
    if missing:
        problems.append(Problem(
            code="dossier.missing_columns", file=file, sheet=sheet, row=mapping.header_row, column=", ".join(missing),
            message=f"thiếu cột bắt buộc theo ánh xạ '{mapping.system}': "
                    + ", ".join(f"'{m}'" for m in missing)
                    + f"; các cột có trong tệp: {present}" + _delimiter_hint(header, mapping.delimiter),
        ))
    for name in doubled:
        problems.append(Problem(code="dossier.repeated_column", file=file, sheet=sheet, row=mapping.header_row,
                                column=name,
                                message=f"cột '{name}' xuất hiện nhiều lần ở dòng tiêu đề; không biết dùng cột nào"))
    if problems:
        raise InputError(problems)
    return positions


def _delimiter_hint(header: list[str], delimiter: str) -> str:
    """A header read as one cell usually means the file uses another separator (';' or tab)."""
    if len(header) != 1:
        return ""
    for other, name in ((";", "dấu chấm phẩy ';'"), ("\t", "dấu tab"), (",", "dấu phẩy ','"), ("|", "dấu '|'")):
        if other != delimiter and other in header[0]:
            return f" (tệp có vẻ phân cách bằng {name}; hãy đặt delimiter trong ánh xạ)"
    return ""


def alias_index(unit_aliases: dict[str, str] | None) -> dict[str, str] | None:
    """Compared alias → unit id; unit ids are their own aliases. Two ids for one alias is an error."""
    if unit_aliases is None:
        return None
    index: dict[str, str] = {}
    problems: list[Problem] = []
    pairs = [(unit_id, unit_id) for unit_id in sorted(set(unit_aliases.values()))] + sorted(unit_aliases.items())
    for alias, unit_id in pairs:
        key = text_key(alias)
        previous = index.setdefault(key, unit_id)
        if previous != unit_id:
            problems.append(Problem(code="dossier.alias_conflict", file="bảng bí danh đơn vị", value=alias,
                                    message=f"bí danh '{alias}' chỉ tới hai đơn vị: '{previous}' và '{unit_id}'"))
    if problems:
        raise InputError(problems)
    return index


_TRAILING_TIME = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2})?$")


def parse_dates(column: Column, date_format: str) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct value: the day (datetime64[D], NaT when empty or unreadable) and whether it is unreadable.

    Distinct values go through pandas with the mapping's day-first format first, then through
    vnformat.parse_date (which also reads d/m/yyyy and ISO); month-first is never tried.
    """
    import numpy as np
    import pandas as pd
    count = len(column.uniques)
    days = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    bad = np.zeros(count, dtype=bool)
    strings: list[int] = []
    for i, value in enumerate(column.uniques):
        if isinstance(value, (datetime, pd.Timestamp)):
            days[i] = np.datetime64(value.date(), "D")
        elif isinstance(value, date):
            days[i] = np.datetime64(value, "D")
        elif column.texts[i]:
            if isinstance(value, str):
                strings.append(i)
            else:
                bad[i] = True
    pending = np.array(strings, dtype=np.int64)
    base = STRPTIME[date_format]
    for fmt in (base, base + " %H:%M:%S", base + " %H:%M"):
        if not len(pending):
            break
        parsed = pd.to_datetime(pd.Index([column.texts[i] for i in pending], dtype=object), format=fmt, errors="coerce")
        ok = ~parsed.isna()
        days[pending[ok]] = parsed[ok].to_numpy().astype("datetime64[D]")
        pending = pending[~ok]
    for i in pending:
        text = column.texts[i]
        try:
            days[i] = np.datetime64(parse_date(_TRAILING_TIME.sub("", text)), "D")
        except FormatError:
            bad[i] = True
    return days, bad


def flag_values(column: Column, mapping: DossierMapping) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct value: flag set, and value not understood (neither a yes nor a no nor a number)."""
    import numpy as np
    yes = {text_key(v) for v in mapping.truthy}
    no = {text_key(v) for v in mapping.falsy}
    truth = np.zeros(len(column.uniques), dtype=bool)
    unknown = np.zeros(len(column.uniques), dtype=bool)
    for i, text in enumerate(column.texts):
        key = text_key(text)
        if key in yes:
            truth[i] = True
        elif key in no or not key:
            continue
        else:
            value = column.uniques[i]
            try:
                number = parse_number(value if isinstance(value, (int, float)) else text, mapping.number_style)
            except FormatError:
                unknown[i] = True
            else:
                truth[i] = number != 0
    return truth, unknown


@dataclass
class IdColumn:
    """The dossier id column: nearly every value is distinct, so it is normalised per row, not factorised."""

    header: str
    texts: np.ndarray

    @classmethod
    def of(cls, header: str, series: pd.Series | pa.ChunkedArray) -> IdColumn | ArrowIdColumn:
        import numpy as np
        import pandas as pd
        if is_arrow(series):
            return ArrowIdColumn(header, series)
        values = series.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=False) == "string":
            normalize = unicodedata.normalize
            texts = [normalize("NFC", v).strip() for v in values]
        else:
            texts = [cell_text(v) for v in values]
        return cls(header, np.array(texts, dtype=object))

    def text(self, row: int) -> str:
        return self.texts[row]

    def empty_rows(self) -> np.ndarray:
        import numpy as np
        return np.flatnonzero(self.texts == "")

    def duplicates(self, valid: np.ndarray) -> tuple[np.ndarray, RepeatGroups]:
        """Among the `valid` rows: repeat of an earlier row's id per row, and the groups of rows sharing an id."""
        import numpy as np
        import pandas as pd
        rows = np.flatnonzero(valid)
        repeat = np.zeros(len(self.texts), dtype=bool)
        ids = pd.Series(self.texts[rows], dtype=object)
        repeat[rows] = ids.duplicated(keep="first").to_numpy()
        involved = rows[ids.isin(set(self.texts[repeat])).to_numpy()] if repeat.any() else rows[:0]
        codes = pd.factorize(self.texts[involved])[0].astype(np.int32)
        return repeat, RepeatGroups(involved, codes, involved[np.unique(codes, return_index=True)[1]])


@dataclass
class RowClasses:
    """Every row of one export classified; each mask has one entry per data row of the table.

    The period date of a row read fine falls in one of the PERIOD_* classes; `period_class` holds
    that class per row for the rows that are present (blank and malformed rows are PERIOD_NONE).
    `flag_bits` holds the three yes/no columns of a row as bits (FLAG_BITS); `flag_unknown` the rows
    whose yes/no value was not understood, per column.
    """

    table: Table
    columns: dict[str, Column]
    ids: IdColumn | ArrowIdColumn
    row_numbers: np.ndarray | RowNumbers
    blank: np.ndarray
    malformed: np.ndarray
    missing_id: np.ndarray
    duplicate: np.ndarray
    id_group: RepeatGroups
    unit_ids: list[str]
    unit_idx: np.ndarray
    unknown_unit: np.ndarray
    status_idx: np.ndarray
    unknown_status: np.ndarray
    unreadable: dict[str, np.ndarray]
    period_field: str
    fallback: np.ndarray
    period_class: np.ndarray
    used: np.ndarray
    flag_bits: np.ndarray
    flag_unknown: dict[str, np.ndarray]
    digitized_unresolved: np.ndarray
    rows_read: int

    def period_rows(self, period_class: int) -> np.ndarray:
        return self.period_class == period_class


PERIOD_IN, PERIOD_BAD, PERIOD_MISSING, PERIOD_BEFORE, PERIOD_AFTER, PERIOD_NONE = range(6)


def period_classes(column: Column, days: np.ndarray, bad: np.ndarray, start: date, end: date) -> np.ndarray:
    """Per distinct value of a date column: its PERIOD_* class (empty, unreadable, before, after or in the period)."""
    import numpy as np
    classes = np.full(len(days), PERIOD_IN, dtype=np.int8)
    readable = ~bad & ~np.isnat(days)
    classes[readable & (days < np.datetime64(start, "D"))] = PERIOD_BEFORE
    classes[readable & (days > np.datetime64(end, "D"))] = PERIOD_AFTER
    classes[bad] = PERIOD_BAD
    classes[np.array([not t for t in column.texts], dtype=bool)] = PERIOD_MISSING
    return classes


def classify_rows(path: Path, mapping: DossierMapping, period_start: date, period_end: date,
                  aliases: dict[str, str] | None) -> RowClasses:
    """Read the export and classify its rows for the period; `aliases` is an alias index (see alias_index).

    Every column but the id is worked out per distinct value and spread to the rows by its codes.
    A strict read has no malformed rows and a blank row has no id, so the rows that take part in
    the id repeats are known from the id column alone: it is hashed, and its repeats sought, on a
    second thread (hashing and sorting whole arrays run outside the interpreter lock) while the
    other columns are coded and spread. Rows that are few (blank, without an id) are kept as row
    numbers rather than as masks over every row: each fresh array costs the system its pages.
    """
    import numpy as np
    import pyarrow as pa
    table = read_table(path, mapping)
    total = table.rows
    row_numbers = table.row_numbers()
    fields = [field for field in table.fields() if field != "dossier_id"]
    with ThreadPoolExecutor(max_workers=1) as pool:
        id_job = None
        if table.extra is None and table.arrow():
            id_job = pool.submit(ArrowIdColumn, table.headers["dossier_id"], table.take("dossier_id"))
            repeats = pool.submit(lambda: id_job.result().duplicates())
        else:
            ids = IdColumn.of(table.headers["dossier_id"], table.take("dossier_id"))
        columns = {field: Column.of(table.headers[field], table.take(field)) for field in fields}
        table.release()
        if table.arrow():
            pa.default_memory_pool().release_unused()  # the parser's freed buffers back to the system for numpy

        unit_column = columns["unit"]
        if aliases is None:
            unit_of_unique = [" ".join(t.split()) or None for t in unit_column.texts]
        else:
            unit_of_unique = [aliases.get(text_key(t)) for t in unit_column.texts]
        unit_ids = sorted({u for u in unit_of_unique if u is not None})
        unit_position = {u: i for i, u in enumerate(unit_ids)}
        unit_table = np.array([unit_position.get(u, -1) if u else -1 for u in unit_of_unique],
                              dtype=code_dtype(len(unit_ids)))
        status_column = columns["status"]
        labels = mapping.status_index()
        status_table = np.array([labels.get(text_key(t), -1) for t in status_column.texts], dtype=np.int8)
        resolved_codes = [STATUSES.index(status) for status in RESOLVED_STATUSES]
        date_tables = {field: parse_dates(columns[field], mapping.date_format)
                       for field in ("received_date", "resolved_date", "due_date") if field in columns}
        flag_tables = {field: flag_values(columns[field], mapping) for field in FLAG_FIELDS}

        unit_idx = unit_column.per_row(unit_table, -1)
        status_idx = status_column.per_row(status_table, -1)
        low, high = min(resolved_codes), max(resolved_codes)
        if high - low + 1 == len(resolved_codes):  # the resolved statuses are consecutive codes: two comparisons
            resolved = status_idx >= low
            resolved &= status_idx <= high
        else:
            resolved = status_column.per_row(np.isin(status_table, resolved_codes), False)
        fallback = np.zeros(total, dtype=bool)
        if mapping.period_date == "received":
            period_field = "received_date"
            received = period_classes(columns["received_date"], *date_tables["received_date"], period_start, period_end)
            period_class = columns["received_date"].per_row(received, PERIOD_MISSING)
        else:
            period_field = "resolved_date"
            resolved_column = columns["resolved_date"]
            fallback = resolved_column.blank() & ~resolved
            by_resolved = period_classes(resolved_column, *date_tables["resolved_date"], period_start, period_end)
            by_received = period_classes(columns["received_date"], *date_tables["received_date"], period_start,
                                         period_end)
            period_class = np.where(fallback, columns["received_date"].per_row(by_received, PERIOD_MISSING),
                                    resolved_column.per_row(by_resolved, PERIOD_MISSING))
        flag_bits = np.zeros(total, dtype=np.uint8)
        for field, (truth, _) in flag_tables.items():
            if truth.any():
                columns[field].per_row(truth.astype(np.uint8) * np.uint8(FLAG_BITS[field]), 0, into=flag_bits)

        if id_job is not None:
            ids = id_job.result()
        empty_id = ids.empty_rows()
        maybe_blank = empty_id
        for column in columns.values():
            maybe_blank = maybe_blank[column.blank_at(maybe_blank)]
        blank = np.zeros(total, dtype=bool)
        blank[maybe_blank] = True
        malformed = np.zeros(total, dtype=bool)
        if table.extra is not None:
            values = table.extra.to_numpy(dtype=object)
            spare = values == ""
            filled = np.flatnonzero(~spare)
            spare[filled] = [not cell_text(v) for v in values[filled]]
            malformed = ~blank & ~spare
            blank &= spare
            absent = np.flatnonzero(blank | malformed)
        else:
            absent = maybe_blank
        missing_id = np.zeros(total, dtype=bool)
        missing_id[empty_id[~blank[empty_id] & ~malformed[empty_id]]] = True
        if id_job is None:
            valid = ~missing_id
            valid[absent] = False
            repeats = pool.submit(ids.duplicates, valid)
            del valid
        del empty_id

        unknown_unit = unit_idx < 0
        unknown_unit[absent] = False
        unknown_status = status_idx < 0
        unknown_status[absent] = False
        period_class[absent] = PERIOD_NONE
        unreadable = {field: columns[field].rows_where(bad, absent) for field, (_, bad) in date_tables.items()}
        flag_unknown = {field: columns[field].rows_where(unknown, absent) for field, (_, unknown) in flag_tables.items()}
        duplicate, id_group = repeats.result()
    used = period_class == PERIOD_IN
    for excluded in (missing_id, duplicate, unknown_unit, unknown_status):
        np.greater(used, excluded, out=used)  # used and not excluded, in place
    digitized_unresolved = (flag_bits & np.uint8(FLAG_BITS["digitized_result"])).astype(bool)
    digitized_unresolved &= used
    np.greater(digitized_unresolved, resolved, out=digitized_unresolved)  # and not resolved
    del resolved
    return RowClasses(
        table=table,
        columns=columns,
        ids=ids,
        row_numbers=row_numbers,
        blank=blank,
        malformed=malformed,
        missing_id=missing_id,
        duplicate=duplicate,
        id_group=id_group,
        unit_ids=unit_ids,
        unit_idx=unit_idx,
        unknown_unit=unknown_unit,
        status_idx=status_idx,
        unknown_status=unknown_status,
        unreadable=unreadable,
        period_field=period_field,
        fallback=fallback,
        period_class=period_class,
        used=used,
        flag_bits=flag_bits,
        flag_unknown=flag_unknown,
        digitized_unresolved=digitized_unresolved,
        rows_read=total - int(np.count_nonzero(blank)) + len(table.skipped),
    )
