"""Row-level dossier exports (hồ sơ TTHC) from one-stop (Một cửa) software, aggregated into metrics.

Every one-stop system names its columns and statuses its own way, so a YAML mapping says how one
system writes them; the code never guesses. Exports reach a million rows a year, so the reading is
vectorised: each column is factorised once and only its distinct values go through Python.
Every row that is not counted is reported (file, row as the user sees it, column, value), with
repeated problems grouped so that a million bad rows make a handful of problems, not a million.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator

from engine.core.base import Frozen
from engine.core.problems import InputError, Problem, invalid, os_error_code, os_error_vi
from engine.core.vnformat import FormatError, NumberStyle, format_date, format_number, nfc, parse_date, parse_number
from engine.core.yamlsource import load_yaml, pydantic_code, pydantic_message

CanonicalStatus = Literal[
    "early", "on_time", "late", "in_progress", "in_progress_overdue", "waiting_supplement", "withdrawn"
]
STATUSES: tuple[str, ...] = (
    "early", "on_time", "late", "in_progress", "in_progress_overdue", "waiting_supplement", "withdrawn"
)
RESOLVED_STATUSES: tuple[str, ...] = ("early", "on_time", "late")

METRIC_NAMES: tuple[str, ...] = (
    "dossiers_received",
    "dossiers_resolved",
    "dossiers_resolved_on_time",
    "dossiers_resolved_late",
    "dossiers_in_progress",
    "dossiers_in_progress_overdue",
    "dossiers_waiting_supplement",
    "dossiers_withdrawn",
    "results_digitized",
    "dossiers_online",
    "payments_online",
)

DateFormat = Literal["dd/mm/yyyy", "dd-mm-yyyy", "dd.mm.yyyy", "yyyy-mm-dd"]
_STRPTIME = {"dd/mm/yyyy": "%d/%m/%Y", "dd-mm-yyyy": "%d-%m-%Y", "dd.mm.yyyy": "%d.%m.%Y", "yyyy-mm-dd": "%Y-%m-%d"}

MAX_LISTED_ROWS = 20
MAX_LISTED_VALUES = 20

_FLAG_FIELDS = ("digitized_result", "online_submission", "online_payment")


def text_key(value: str) -> str:
    """The form in which names are compared: NFC, case-folded, whitespace collapsed; never fuzzy."""
    return nfc(" ".join(nfc(value).casefold().split()))


class DossierColumns(Frozen):
    """Column headers of one export, as the software writes them (compared by `text_key`)."""

    dossier_id: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    received_date: str = Field(min_length=1)
    resolved_date: str = Field(min_length=1)
    due_date: str | None = Field(default=None, min_length=1)
    status: str = Field(min_length=1)
    digitized_result: str = Field(min_length=1)
    online_submission: str = Field(min_length=1)
    online_payment: str = Field(min_length=1)

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return nfc(value).strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _distinct(self) -> DossierColumns:
        seen: dict[str, str] = {}
        for field, header in self.items():
            other = seen.setdefault(text_key(header), field)
            if other != field:
                raise invalid(f"cột '{header}' được dùng cho cả '{other}' và '{field}'", code="dossier.column_reused")
        return self

    def items(self) -> list[tuple[str, str]]:
        """(field, header) pairs of the mapped columns, in a fixed order."""
        return [(name, value) for name, value in self.model_dump().items() if value is not None]


def _as_text(value: Any) -> Any:
    """YAML reads TRUE as a bool and 1 as an int; a mapping means the text the software writes."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return nfc(value).strip()
    return value


class DossierMapping(Frozen):
    """How one one-stop system writes its dossier export; loaded from YAML with `load_mapping`."""

    system: str = Field(min_length=1)
    columns: DossierColumns
    statuses: dict[str, CanonicalStatus] = Field(min_length=1)
    truthy: tuple[str, ...] = ("Có", "x", "1", "TRUE")
    falsy: tuple[str, ...] = ("Không", "0", "FALSE")
    date_format: DateFormat = "dd/mm/yyyy"
    number_style: NumberStyle = "vi"
    period_date: Literal["received", "resolved"] = "received"
    header_row: int = Field(default=1, ge=1)
    sheet: str | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)

    @field_validator("statuses", mode="before")
    @classmethod
    def _status_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_as_text(k): v for k, v in value.items()}
        return value

    @field_validator("truthy", "falsy", mode="before")
    @classmethod
    def _flag_values(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(_as_text(v) for v in value)
        return value

    @field_validator("system", "sheet", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return nfc(value).strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> DossierMapping:
        seen: dict[str, tuple[str, str]] = {}
        for label, status in self.statuses.items():
            key = text_key(label)
            if not key:
                raise invalid("nhãn trạng thái không được để trống", code="dossier.empty_status_label")
            previous = seen.setdefault(key, (label, status))
            if previous[1] != status:
                raise invalid(
                    f"trạng thái '{label}' và '{previous[0]}' trùng nhau khi so sánh nhưng ánh xạ khác nhau",
                    code="dossier.status_conflict",
                )
        both = {text_key(v) for v in self.truthy} & {text_key(v) for v in self.falsy}
        if both:
            raise invalid(f"giá trị vừa là có vừa là không: {', '.join(sorted(both))}", code="dossier.flag_conflict")
        return self

    def status_index(self) -> dict[str, int]:
        """Compared label → position in STATUSES."""
        return {text_key(label): STATUSES.index(status) for label, status in self.statuses.items()}


class DossierAggregation(Frozen):
    """Metrics per unit from one export and how many rows were not counted, per reason.

    A row may fail more than one check (e.g. a duplicate outside the period), so the excluded
    counts may overlap; rows_used counts the rows that passed every check. The problems naming
    those rows come beside it from `aggregate_dossiers`.
    """

    file: str
    system: str
    period_start: date
    period_end: date
    period_date: Literal["received", "resolved"]
    metrics: dict[str, dict[str, int]]
    rows_read: int
    rows_used: int
    rows_blank: int = 0
    rows_outside_period: int = 0
    rows_duplicate: int = 0
    rows_unknown_status: int = 0
    rows_unknown_unit: int = 0
    rows_unreadable_date: int = 0
    rows_missing_id: int = 0
    rows_malformed: int = 0


_PYDANTIC_MESSAGES = {
    "missing": "thiếu khóa bắt buộc",
    "extra_forbidden": "khóa không được phép",
    "string_type": "phải là chuỗi ký tự",
    "string_too_short": "không được để trống",
    "string_too_long": "quá dài",
    "too_short": "không được để trống",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "dict_type": "phải là một bảng khóa–giá trị",
    "model_type": "phải là một bảng khóa–giá trị",
    "tuple_type": "phải là danh sách",
    "literal_error": "giá trị không hợp lệ; chấp nhận: {expected}",
}


def load_mapping(path: Path) -> DossierMapping:
    """Read a mapping YAML; raise InputError with every problem, each naming the file, key and line."""
    path = Path(path)
    file = str(path)
    doc, problems = load_yaml(path)
    errors = [p for p in problems if p.severity == "error"]
    if doc is None or errors:
        raise InputError(errors or problems)
    data = doc.data
    if not isinstance(data, dict):
        raise InputError([doc.problem((), "tệp ánh xạ phải là một bảng khóa–giá trị", code="dossier.mapping_not_mapping")])
    try:
        return DossierMapping.model_validate(data)
    except ValidationError as exc:
        raise InputError([_mapping_problem(file, data, err, doc.line) for err in exc.errors(include_url=False)]) from None


def _mapping_problem(file: str, data: Any, err: dict[str, Any], line_of=None) -> Problem:
    loc = [part for part in err["loc"] if part not in ("[key]",)]
    key = ".".join(str(part) for part in loc) or None
    ctx = {key: (", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value)
           for key, value in (err.get("ctx") or {}).items()}
    template = _PYDANTIC_MESSAGES.get(err["type"])
    if template is None:
        message = pydantic_message(err)
    else:
        try:
            message = template.format(**ctx)
        except (KeyError, IndexError):
            message = template
        if err["type"] == "literal_error":
            message = message.replace(" or ", " hoặc ")
    value = None if err["type"] == "missing" else _value_at(data, loc)
    line = line_of(tuple(loc)) if line_of is not None else None
    return Problem(code=pydantic_code(err), file=file, path=key, line=line, message=message, value=value)


def _value_at(data: Any, loc: list[Any]) -> str | None:
    """The scalar the user wrote at a key path, to show next to the problem."""
    node = data
    for part in loc:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return None if node is None or isinstance(node, (dict, list)) else str(node)


@dataclass
class _Column:
    """One column factorised: per-row codes into its distinct values (-1 = empty cell)."""

    header: str
    codes: np.ndarray
    uniques: list[Any]
    texts: list[str]

    @classmethod
    def of(cls, header: str, series: pd.Series) -> _Column:
        codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        values = list(uniques)
        return cls(header, codes.astype(np.int64, copy=False), values, [_cell_text(v) for v in values])

    def per_row(self, per_unique: np.ndarray | list[Any], empty: Any) -> np.ndarray:
        """Spread a per-distinct-value array to rows; empty cells get `empty`."""
        table = np.append(np.asarray(per_unique), np.asarray([empty], dtype=np.asarray(per_unique).dtype))
        return table[self.codes]

    def blank(self) -> np.ndarray:
        return self.per_row(np.array([not t for t in self.texts], dtype=bool), True)

    def text(self, row: int) -> str:
        code = self.codes[row]
        return self.texts[code] if code >= 0 else ""


def _cell_text(value: Any) -> str:
    """A cell as the user sees it: strings NFC and trimmed, whole numbers without '.0', dates dd/mm/yyyy."""
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
class _Table:
    frame: pd.DataFrame
    headers: dict[str, str]
    first_row: int
    sheet: str | None
    extra: pd.Series | None = None
    skipped: tuple[int, ...] = ()

    def row_numbers(self) -> np.ndarray:
        """Row of each frame row as the user sees it; rows the parser skipped are not in the frame."""
        count = len(self.frame) + len(self.skipped)
        numbers = np.arange(self.first_row, self.first_row + count, dtype=np.int64)
        if self.skipped:
            numbers = numbers[~np.isin(numbers, np.array(self.skipped, dtype=np.int64))]
        return numbers


def _read_table(path: Path, mapping: DossierMapping) -> _Table:
    """Read the export after checking that every mapped column is there."""
    file = str(path)
    suffix = path.suffix.casefold()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, mapping)
    if suffix not in (".csv", ".txt"):
        raise InputError([Problem(code="dossier.unsupported_format", file=file, value=path.suffix,
                                  message=f"không đọc được loại tệp '{path.suffix}'; chỉ nhận .csv hoặc .xlsx")])
    arguments, wanted, headers = _csv_plan(path, mapping)
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
    return _Table(frame, headers, mapping.header_row + 1, None, extra, tuple(skipped))


_EXTRA = "__extra__"
_SKIPPED_LINE = re.compile(r"Skipping line (\d+):")
_TOO_MANY_FIELDS = re.compile(r"Expected \d+ fields in line \d+, saw \d+")


def csv_read_arguments(path: Path, mapping: DossierMapping) -> dict[str, Any]:
    """The pandas.read_csv arguments ingestion uses for this file, so a benchmark can read it bare alike."""
    return _csv_plan(Path(path), mapping)[0]


def _csv_plan(path: Path, mapping: DossierMapping) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """read_csv arguments, read column → field, and each field's header as written.

    Columns get positional names plus one spare column. With index_col=False pandas neither turns
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
            for index, row in enumerate(csv.reader(handle, delimiter=mapping.delimiter)):
                if index == mapping.header_row - 1:
                    header = row
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
    return arguments, wanted, headers


def _read_xlsx(path: Path, mapping: DossierMapping) -> _Table:
    """Read the mapped columns of one sheet as cells (dates stay dates, numbers stay numbers)."""
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
            header = [_cell_text(v) for v in top.iloc[mapping.header_row - 1].tolist()]
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
    return _Table(frame, {field: header[pos] for field, pos in ordered}, mapping.header_row + 1, sheet)


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


def _alias_index(unit_aliases: dict[str, str] | None) -> dict[str, str] | None:
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


def _parse_dates(column: _Column, date_format: str) -> tuple[np.ndarray, np.ndarray]:
    """Days per row (datetime64[D], NaT when empty or unreadable) and the per-row 'unreadable' mask.

    Distinct values go through pandas with the mapping's day-first format first, then through
    vnformat.parse_date (which also reads d/m/yyyy and ISO); month-first is never tried.
    """
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
    base = _STRPTIME[date_format]
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
    return column.per_row(days, np.datetime64("NaT")), column.per_row(bad, False)


def _flag_values(column: _Column, mapping: DossierMapping) -> tuple[np.ndarray, np.ndarray]:
    """Per row: flag set, and value not understood (neither a yes nor a no nor a number)."""
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
    return column.per_row(truth, False), column.per_row(unknown, False)


def _rows_text(rows: np.ndarray, total: int) -> str:
    listed = ", ".join(str(int(r)) for r in rows[:MAX_LISTED_ROWS])
    more = total - min(total, MAX_LISTED_ROWS)
    return f"dòng {listed}" + (f" và {format_number(more, 0)} dòng khác" if more else "")


def _count(n: int) -> str:
    return format_number(n, 0)


class _Reporter:
    """Builds grouped problems for one file: at most MAX_LISTED_VALUES values × MAX_LISTED_ROWS rows each."""

    def __init__(self, file: str, sheet: str | None, row_numbers: np.ndarray):
        self.file = file
        self.sheet = sheet
        self.rows = row_numbers
        self.problems: list[Problem] = []

    def add(self, message: str, row: int | None = None, column: str | None = None, value: str | None = None, *,
            code: str) -> None:
        self.problems.append(Problem(code=code, file=self.file, sheet=self.sheet, row=row, column=column, value=value,
                                     message=message, severity="warning"))

    def numbers(self, rows: np.ndarray, message: str, *, code: str) -> None:
        """One problem for rows given by their numbers (rows the parser could not place in columns)."""
        if len(rows):
            self.add(f"{message}: {_count(len(rows))} dòng ({_rows_text(rows, len(rows))})", int(rows[0]), code=code)

    def rows_of(self, mask: np.ndarray, message: str, column: str | None, values: _Column | None = None, *,
                code: str) -> None:
        """One problem for all rows in `mask`: message + count + first rows; value of the first row."""
        index = np.flatnonzero(mask)
        if not len(index):
            return
        first = int(index[0])
        value = values.text(first) if values is not None else None
        self.add(f"{message}: {_count(len(index))} dòng ({_rows_text(self.rows[index], len(index))})",
                 int(self.rows[first]), column, value, code=code)

    def by_value(self, mask: np.ndarray, column: _Column | _IdColumn, message: Any, rest: str,
                 group: np.ndarray | None = None, *, code: str) -> None:
        """One problem per distinct value (first MAX_LISTED_VALUES by first row), then one for the rest.

        `message(text, count, rows_text, first_index)` words the problem for one value, `rest` names
        the kind of problem for the summary of the other values; `group` overrides the column codes
        as the grouping key (e.g. normalised dossier ids).
        """
        index = np.flatnonzero(mask)
        if not len(index):
            return
        codes = (column.codes if group is None else group)[index]
        distinct, first_pos, counts = np.unique(codes, return_index=True, return_counts=True)
        order = np.argsort(first_pos, kind="stable")
        for k in order[:MAX_LISTED_VALUES]:
            rows = index[codes == distinct[k]]
            first = int(rows[0])
            text = column.text(first)
            self.add(message(text, int(counts[k]), _rows_text(self.rows[rows], len(rows)), first),
                     int(self.rows[first]), column.header, text, code=code)
        if len(order) > MAX_LISTED_VALUES:
            others = order[MAX_LISTED_VALUES:]
            rows = index[np.isin(codes, distinct[others])]
            examples = ", ".join(f"'{column.text(int(index[first_pos[k]]))}'" for k in others[:5])
            self.add(f"còn {_count(len(others))} giá trị khác cùng lỗi ({rest}), ví dụ {examples}: "
                     f"{_count(len(rows))} dòng ({_rows_text(self.rows[rows], len(rows))})",
                     int(self.rows[rows[0]]), column.header, code=code)


def aggregate_dossiers(
    path: Path,
    mapping: DossierMapping,
    period_start: date,
    period_end: date,
    unit_aliases: dict[str, str] | None = None,
) -> tuple[DossierAggregation | None, list[Problem]]:
    """Count one export's dossiers per unit for the period [period_start, period_end] (both included).

    Rows that cannot be counted are reported as warnings and left out; a file that cannot be read
    as this mapping describes (missing columns, not UTF-8, ...) gives no aggregation and its errors.
    Without `unit_aliases` the unit column is taken as the unit id (NFC, whitespace collapsed).
    """
    try:
        return _aggregate(Path(path), mapping, period_start, period_end, unit_aliases)
    except InputError as exc:
        return None, exc.problems


def _aggregate(path: Path, mapping: DossierMapping, period_start: date, period_end: date,
               unit_aliases: dict[str, str] | None) -> tuple[DossierAggregation, list[Problem]]:
    file = str(path)
    if period_start > period_end:
        raise InputError([Problem(code="dossier.bad_period", file=file, message=f"kỳ không hợp lệ: ngày bắt đầu {format_date(period_start)} "
                                                    f"sau ngày kết thúc {format_date(period_end)}")])
    aliases = _alias_index(unit_aliases)
    table = _read_table(path, mapping)
    frame = table.frame
    columns = {field: _Column.of(table.headers[field], frame[field])
               for field in frame.columns if field != "dossier_id"}
    ids = _IdColumn.of(table.headers["dossier_id"], frame["dossier_id"])
    total = len(frame)
    row_numbers = table.row_numbers()
    report = _Reporter(file, table.sheet, row_numbers)

    blank = ids.texts == ""
    for column in columns.values():
        blank &= column.blank()
    malformed = np.zeros(total, dtype=bool)
    if table.extra is not None:
        values = table.extra.to_numpy(dtype=object)
        spare = values == ""
        filled = np.flatnonzero(~spare)
        spare[filled] = [not _cell_text(v) for v in values[filled]]
        malformed = ~blank & ~spare
        blank &= spare
    rows_read = int((~blank).sum()) + len(table.skipped)
    present = ~blank & ~malformed
    missing_id, duplicate, id_group = ids.duplicates(present)

    unit_column = columns["unit"]
    if aliases is None:
        unit_of_unique = [" ".join(t.split()) or None for t in unit_column.texts]
    else:
        unit_of_unique = [aliases.get(text_key(t)) for t in unit_column.texts]
    unit_ids = sorted({u for u in unit_of_unique if u is not None})
    unit_position = {u: i for i, u in enumerate(unit_ids)}
    unit_idx = unit_column.per_row(np.array([unit_position.get(u, -1) if u else -1 for u in unit_of_unique],
                                            dtype=np.int64), -1)
    unknown_unit = present & (unit_idx < 0)

    status_column = columns["status"]
    labels = mapping.status_index()
    status_idx = status_column.per_row(np.array([labels.get(text_key(t), -1) for t in status_column.texts],
                                                dtype=np.int64), -1)
    unknown_status = present & (status_idx < 0)
    resolved = np.isin(status_idx, [STATUSES.index(status) for status in RESOLVED_STATUSES])

    dates: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for field in ("received_date", "resolved_date", "due_date"):
        if field in columns:
            dates[field] = _parse_dates(columns[field], mapping.date_format)
    fallback = np.zeros(total, dtype=bool)
    if mapping.period_date == "received":
        period_field = "received_date"
        period_day, period_bad = dates["received_date"]
        period_missing = present & columns["received_date"].blank()
    else:
        period_field = "resolved_date"
        resolved_day, resolved_bad = dates["resolved_date"]
        resolved_blank = columns["resolved_date"].blank()
        fallback = resolved_blank & ~resolved
        period_day = np.where(fallback, dates["received_date"][0], resolved_day)
        period_bad = np.where(fallback, dates["received_date"][1], resolved_bad)
        period_missing = present & np.where(fallback, columns["received_date"].blank(), resolved_blank)
    period_bad = present & period_bad
    start, end = np.datetime64(period_start, "D"), np.datetime64(period_end, "D")
    readable = present & ~period_bad & ~period_missing
    before = readable & (period_day < start)
    after = readable & (period_day > end)

    used = present & ~missing_id & ~duplicate & ~unknown_unit & ~unknown_status & ~period_bad & ~period_missing \
        & ~before & ~after

    flags = {field: _flag_values(columns[field], mapping) for field in _FLAG_FIELDS}
    digitized_unresolved = used & flags["digitized_result"][0] & ~resolved

    period_text = f"{format_date(period_start)}–{format_date(period_end)}"
    system = mapping.system
    report.numbers(np.union1d(row_numbers[malformed], np.array(table.skipped, dtype=np.int64)),
                   "dòng có nhiều ô hơn dòng tiêu đề, thường do dấu phẩy trong nội dung không nằm trong ngoặc kép; "
                   "các ô bị lệch cột nên dòng không được tính", code="dossier.extra_cells")
    report.rows_of(missing_id, "thiếu mã hồ sơ, không được tính", ids.header, code="dossier.missing_id")

    def first_of(code: int) -> int:
        return int(row_numbers[np.flatnonzero(id_group == code)[0]])

    report.by_value(
        duplicate, ids,
        lambda text, n, rows, first: (f"mã hồ sơ '{text}' lặp lại (lần đầu ở dòng {first_of(id_group[first])}); "
                                      f"không tính {_count(n)} dòng lặp ({rows})"),
        "mã hồ sơ lặp lại; chỉ tính lần đầu", group=id_group, code="dossier.duplicate_id",
    )
    report.by_value(
        unknown_unit, unit_column,
        lambda text, n, rows, first: (f"đơn vị '{text}' không có trong bảng bí danh đơn vị; "
                                      f"không tính {_count(n)} dòng ({rows})" if text
                                      else f"thiếu đơn vị; không tính {_count(n)} dòng ({rows})"),
        "đơn vị không có trong bảng bí danh đơn vị; không tính", code="dossier.unknown_unit",
    )
    report.by_value(
        unknown_status, status_column,
        lambda text, n, rows, first: (f"trạng thái '{text}' không có trong ánh xạ của '{system}'; "
                                      f"không tính {_count(n)} dòng ({rows})" if text
                                      else f"thiếu trạng thái; không tính {_count(n)} dòng ({rows})"),
        f"trạng thái không có trong ánh xạ của '{system}'; không tính", code="dossier.unknown_status",
    )
    unreadable: list[tuple[np.ndarray, str, bool]] = []
    for field, (_, bad) in dates.items():
        bad = present & bad
        if field == period_field:
            unreadable.append((bad, field, True))
        elif field == "received_date" and mapping.period_date == "resolved":
            unreadable.append((bad & fallback, field, True))
            unreadable.append((bad & ~fallback, field, False))
        else:
            unreadable.append((bad, field, False))
    for bad, field, excluded in unreadable:
        consequence = "không tính" if excluded else "dòng vẫn được tính,"
        report.by_value(
            bad, columns[field],
            lambda text, n, rows, first, c=consequence: (
                f"ngày '{text}' không đọc được (định dạng {mapping.date_format}, ngày trước tháng); "
                f"{c} {_count(n)} dòng ({rows})"),
            f"ngày không đọc được; {consequence.rstrip(',')}",
            code="dossier.unreadable_date" if excluded else "dossier.unreadable_date_counted",
        )
    if mapping.period_date == "received":
        report.rows_of(period_missing, "thiếu ngày tiếp nhận, không được tính", columns["received_date"].header,
                       code="dossier.missing_date")
    else:
        report.rows_of(period_missing & ~fallback, "hồ sơ đã giải quyết nhưng thiếu ngày trả kết quả, không được tính",
                       columns["resolved_date"].header, code="dossier.missing_date")
        report.rows_of(period_missing & fallback,
                       "hồ sơ chưa có ngày trả kết quả và thiếu ngày tiếp nhận, không được tính",
                       columns["received_date"].header, code="dossier.missing_date")
    period_column = columns[period_field]
    label = "ngày tiếp nhận" if period_field == "received_date" else "ngày trả kết quả"
    report.rows_of(before, f"{label} trước kỳ {period_text}, không được tính", period_column.header, period_column,
                   code="dossier.before_period")
    report.rows_of(after, f"{label} sau kỳ {period_text}, không được tính", period_column.header, period_column,
                   code="dossier.after_period")
    accepted = (f"có: {', '.join(mapping.truthy)}; không: {', '.join(mapping.falsy)}, để trống "
                f"hoặc số 0 (kiểu số {mapping.number_style})")
    for field in _FLAG_FIELDS:
        report.by_value(
            present & flags[field][1], columns[field],
            lambda text, n, rows, first: (f"giá trị '{text}' không nhận ra ({accepted}); "
                                          f"coi là không ở {_count(n)} dòng ({rows})"),
            "giá trị không nhận ra; coi là không", code="dossier.unknown_flag",
        )
    report.rows_of(digitized_unresolved,
                   "hồ sơ chưa giải quyết xong nhưng được đánh dấu số hóa kết quả; không tính vào results_digitized",
                   columns["digitized_result"].header, columns["digitized_result"], code="dossier.digitized_unresolved")

    metrics = _count_metrics(unit_ids, unit_idx, status_idx, used, resolved, flags)
    aggregation = DossierAggregation(
        file=file,
        system=system,
        period_start=period_start,
        period_end=period_end,
        period_date=mapping.period_date,
        metrics=metrics,
        rows_read=rows_read,
        rows_malformed=int(malformed.sum()) + len(table.skipped),
        rows_used=int(used.sum()),
        rows_blank=int(blank.sum()),
        rows_outside_period=int(before.sum() + after.sum()),
        rows_duplicate=int(duplicate.sum()),
        rows_unknown_status=int(unknown_status.sum()),
        rows_unknown_unit=int(unknown_unit.sum()),
        rows_unreadable_date=int((period_bad | period_missing).sum()),
        rows_missing_id=int(missing_id.sum()),
    )
    return aggregation, report.problems


@dataclass
class _IdColumn:
    """The dossier id column: nearly every value is distinct, so it is normalised per row, not factorised."""

    header: str
    texts: np.ndarray

    @classmethod
    def of(cls, header: str, series: pd.Series) -> _IdColumn:
        values = series.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=False) == "string":
            normalize = unicodedata.normalize
            texts = [normalize("NFC", v).strip() for v in values]
        else:
            texts = [_cell_text(v) for v in values]
        return cls(header, np.array(texts, dtype=object))

    def text(self, row: int) -> str:
        return self.texts[row]

    def duplicates(self, present: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: id missing, repeat of an earlier row's id, and a group code per repeated id."""
        missing = present & (self.texts == "")
        rows = np.flatnonzero(present & ~missing)
        repeat = np.zeros(len(self.texts), dtype=bool)
        ids = pd.Series(self.texts[rows], dtype=object)
        repeat[rows] = ids.duplicated(keep="first").to_numpy()
        group = np.full(len(self.texts), -1, dtype=np.int64)
        if repeat.any():
            involved = rows[ids.isin(set(self.texts[repeat])).to_numpy()]
            group[involved] = pd.factorize(self.texts[involved])[0]
        return missing, repeat, group


def _count_metrics(
    unit_ids: list[str],
    unit_idx: np.ndarray,
    status_idx: np.ndarray,
    used: np.ndarray,
    resolved: np.ndarray,
    flags: dict[str, tuple[np.ndarray, np.ndarray]],
) -> dict[str, dict[str, int]]:
    """Counts per unit with bincount; only units with at least one counted dossier appear."""
    units = len(unit_ids)
    k = len(STATUSES)
    by_status = np.bincount(unit_idx[used] * k + status_idx[used], minlength=units * k).reshape(units, k)

    def per_unit(mask: np.ndarray) -> np.ndarray:
        return np.bincount(unit_idx[used & mask], minlength=units)

    digitized = per_unit(resolved & flags["digitized_result"][0])
    online = per_unit(flags["online_submission"][0])
    payments = per_unit(flags["online_payment"][0])
    s = {name: by_status[:, i] for i, name in enumerate(STATUSES)}
    result: dict[str, dict[str, int]] = {}
    for i, unit_id in enumerate(unit_ids):
        received = int(by_status[i].sum())
        if not received:
            continue
        on_time = int(s["early"][i] + s["on_time"][i])
        late = int(s["late"][i])
        values = (
            received, on_time + late, on_time, late,
            int(s["in_progress"][i]), int(s["in_progress_overdue"][i]),
            int(s["waiting_supplement"][i]), int(s["withdrawn"][i]),
            int(digitized[i]), int(online[i]), int(payments[i]),
        )
        result[unit_id] = dict(zip(METRIC_NAMES, values))
    return result


def aggregation_to_metrics_rows(aggregation: DossierAggregation) -> dict[str, list[dict[str, Any]]]:
    """Per unit, metric records {name, value, period_start, period_end, source} for the evidence layer."""
    source = f"{Path(aggregation.file).name} ({aggregation.system})"
    return {
        unit_id: [
            {"name": name, "value": value, "period_start": aggregation.period_start,
             "period_end": aggregation.period_end, "source": source}
            for name, value in metrics.items()
        ]
        for unit_id, metrics in aggregation.metrics.items()
    }
