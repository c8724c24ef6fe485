"""The evidence workbook: one Excel file per unit, generated from a criteria set and read back as a bundle.

Units do not write YAML; they fill a workbook whose sheets mirror the bundle (documents, metrics
and facts, plan tasks, manual scores, survey points, not-applicable declarations). The template
carries its own catalog in a hidden sheet, so the reader can check document kinds and criterion
ids without the criteria file, and report every problem by sheet, row, column and value.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal

from pydantic import ValidationError

from engine.core.problems import Problem
from engine.core.vnformat import FormatError, format_date, format_number, nfc, parse_date, parse_number
from engine.core.yamlsource import pydantic_code, pydantic_message
from engine.kinds.registry import RULE_KIND_NAMES, rule_kind
from engine.load.metric_checks import contradictions, failed_names
from engine.load.xlsxsafe import open_xlsx
from engine.model.evidence import (
    FIRST_YEAR,
    LAST_YEAR,
    Bundle,
    Document,
    LoadedBundle,
    Metric,
    NotApplicable,
    Period,
    Places,
    PlanTask,
    ScoreEntry,
    Unit,
    latest_as_of,
)

if TYPE_CHECKING:
    pass

TEMPLATE_VERSION = "2"

SHEET_GUIDE = "Hướng dẫn"
SHEET_DOCUMENTS = "Tài liệu"
SHEET_METRICS = "Số liệu"
SHEET_TASKS = "Nhiệm vụ kế hoạch"
SHEET_MANUAL = "Chấm thủ công"
SHEET_SURVEY = "Điều tra XHH"
SHEET_NA = "Không áp dụng"
SHEET_CATALOG = "Danh mục"
SHEETS = (SHEET_GUIDE, SHEET_DOCUMENTS, SHEET_METRICS, SHEET_TASKS, SHEET_MANUAL, SHEET_SURVEY, SHEET_NA)

HEADER_ROW = 2
FIRST_ROW = 3
DATA_ROWS = 300
"""Rows below the header that carry validations and formats, so units can add rows."""

YES, NO = "Có", "Không"
TASK_STATUSES = ("hoàn thành", "đang thực hiện", "chưa thực hiện")
RECURRING_WORDS = ("thường xuyên", "hằng năm", "hàng năm", "liên tục", "hằng quý", "hàng quý", "hằng tháng", "hàng tháng")
DATE_FORMAT = "dd/mm/yyyy"
NA_SEPARATOR = " — "

ColumnKind = Literal["text", "code", "date", "number", "points", "choice", "info"]


@dataclass(frozen=True)
class Column:
    """One column of a data sheet; `info` columns are filled by the template and never read."""

    key: str
    header: str
    width: int
    kind: ColumnKind = "text"


DOCUMENT_COLUMNS = (
    Column("kind", "Loại tài liệu", 44, "choice"),
    Column("number", "Số ký hiệu", 18, "code"),
    Column("issue_date", "Ngày ban hành", 15, "date"),
    Column("issuer", "Cơ quan ban hành", 26),
    Column("title", "Trích yếu", 48),
    Column("link", "Đường dẫn", 30),
    Column("sample", "Số liệu mẫu", 12, "choice"),
    Column("criteria", "Tiêu chí liên quan", 16, "info"),
    Column("deadline", "Hạn theo bộ chỉ số", 40, "info"),
)
METRIC_COLUMNS = (
    Column("name", "Mã chỉ số", 26, "code"),
    Column("label", "Nội dung", 48, "info"),
    Column("unit", "Đơn vị tính", 12, "info"),
    Column("value", "Giá trị", 14, "number"),
    Column("period", "Kỳ số liệu", 24),
    Column("source", "Nguồn số liệu", 36),
    Column("sample", "Số liệu mẫu", 12, "choice"),
    Column("note", "Ghi chú", 24),
    Column("criteria", "Tiêu chí liên quan", 16, "info"),
    Column("meaning", "Ý nghĩa", 44, "info"),
)
TASK_COLUMNS = (
    Column("id", "STT", 8, "code"),
    Column("title", "Nhiệm vụ", 56),
    Column("deadline", "Hạn hoàn thành", 18, "date"),
    Column("status", "Trạng thái", 18, "choice"),
    Column("done_date", "Ngày hoàn thành", 16, "date"),
)
MANUAL_COLUMNS = (
    Column("criterion", "Mã tiêu chí", 12, "code"),
    Column("title", "Tên tiêu chí", 44, "info"),
    Column("max", "Điểm tối đa", 12, "info"),
    Column("points", "Điểm tự chấm", 13, "points"),
    Column("by", "Người chấm", 24),
    Column("justification", "Giải trình", 44),
    Column("evidence", "Minh chứng", 40),
    Column("guidance", "Hướng dẫn chấm", 44, "info"),
)
SURVEY_COLUMNS = (
    Column("criterion", "Mã tiêu chí", 12, "code"),
    Column("title", "Tên tiêu chí", 44, "info"),
    Column("max", "Điểm tối đa", 12, "info"),
    Column("points", "Điểm điều tra (nhập từ kết quả công bố)", 18, "points"),
    Column("by", "Cơ quan công bố điểm", 26),
    Column("justification", "Căn cứ (văn bản công bố kết quả)", 44),
    Column("source", "Nguồn điều tra theo bộ chỉ số", 30, "info"),
)
NA_COLUMNS = (
    Column("criterion", "Tiêu chí không áp dụng", 56, "choice"),
    Column("justification", "Lý do (giải trình)", 56),
    Column("by", "Người khai báo", 28),
)

SHEET_COLUMNS = {
    SHEET_DOCUMENTS: DOCUMENT_COLUMNS, SHEET_METRICS: METRIC_COLUMNS, SHEET_TASKS: TASK_COLUMNS,
    SHEET_MANUAL: MANUAL_COLUMNS, SHEET_SURVEY: SURVEY_COLUMNS, SHEET_NA: NA_COLUMNS,
}

UNIT_FIELDS = (
    ("id", "Mã đơn vị", "Do Phòng Nội vụ cấp; không sửa."),
    ("name", "Tên đơn vị", "Tên đầy đủ, ví dụ: UBND Phường 1."),
    ("aliases", "Tên gọi khác (nếu có)", "Các tên khác mà báo cáo, phần mềm Một cửa dùng; cách nhau bằng dấu chấm phẩy (;)."),
    ("level", "Cấp đơn vị", "Chọn từ danh sách."),
    ("year", "Năm đánh giá", "Ví dụ: 2024."),
    ("start", "Kỳ đánh giá từ ngày", "dd/mm/yyyy"),
    ("end", "Kỳ đánh giá đến ngày", "dd/mm/yyyy"),
    ("as_of", "Ngày chốt số liệu", "Ngày số liệu trong tệp được tính đến (dd/mm/yyyy); hạn sau ngày này là \"chưa đến hạn\"."),
    ("preparer", "Người lập biểu", "Họ tên, chức vụ."),
    ("phone", "Điện thoại liên hệ", ""),
    ("notes", "Ghi chú", ""),
)
UNIT_REQUIRED = ("id", "name", "level", "year", "start", "end", "as_of")
UNIT_FIRST_ROW = 5

# Hidden catalog sheet: fixed columns, header in row 1, values from row 2.
CAT_DOC_CODE, CAT_DOC_LABEL = "A", "B"
CAT_METRIC_CODE, CAT_METRIC_LABEL, CAT_METRIC_TYPE, CAT_METRIC_UNIT = "D", "E", "F", "G"
CAT_LEAF_ID, CAT_LEAF_TITLE, CAT_LEAF_MAX, CAT_LEAF_RULE, CAT_LEAF_NA = "H", "I", "J", "K", "L"
CAT_NA_CHOICE, CAT_MANUAL, CAT_SURVEY, CAT_LEVELS, CAT_LEVEL_CODE = "N", "P", "R", "T", "U"
CAT_META_KEY, CAT_META_VALUE = "V", "W"
FACT_TYPE, NUMBER_TYPE = "có/không", "số"



# ---------------------------------------------------------------- what the set asks for


















# ---------------------------------------------------------------- template




















































# ---------------------------------------------------------------- reading a filled workbook


class _Catalog:
    """What the hidden sheet says is valid: document kinds, metric names, criteria."""

    def __init__(self, rows: list[tuple[Any, ...]]):
        def column(letter: str) -> list[str]:
            index = ord(letter) - ord("A")
            values = [_plain(row[index]) if index < len(row) else None for row in rows[1:]]
            return [v for v in values if v]

        codes, labels = column(CAT_DOC_CODE), column(CAT_DOC_LABEL)
        self.doc_codes = set(codes)
        self.doc_tokens: dict[str, str] = {}
        for code, label in zip(codes, labels):
            self.doc_tokens[_key(code)] = code
            self.doc_tokens[_key(label)] = code
        self.doc_labels = labels
        metric_codes, metric_labels, metric_types = column(CAT_METRIC_CODE), column(CAT_METRIC_LABEL), column(CAT_METRIC_TYPE)
        self.metric_types = dict(zip(metric_codes, metric_types))
        level_labels, level_codes = column(CAT_LEVELS), column(CAT_LEVEL_CODE)
        self.levels = {_key(label): code for label, code in zip(level_labels, level_codes)}
        self.levels.update({_key(code): code for code in level_codes or level_labels})
        self.metric_tokens = {_key(label): code for code, label in zip(metric_codes, metric_labels)}
        self.metric_tokens.update({_key(code): code for code in metric_codes})
        self.leaves = set(column(CAT_LEAF_ID))
        self.points_from = {leaf: rule_kind(kind).points_from if kind in RULE_KIND_NAMES else None
                            for leaf, kind in zip(column(CAT_LEAF_ID), column(CAT_LEAF_RULE))}
        ids = column(CAT_LEAF_ID)
        na_column = ord(CAT_LEAF_NA) - ord("A")
        na_values = [_plain(row[na_column]) if na_column < len(row) else None for row in rows[1:1 + len(ids)]]
        self.allow_na = {leaf for leaf, mode in zip(ids, na_values) if mode}

    @property
    def empty(self) -> bool:
        return not self.leaves


def _key(text: str) -> str:
    return " ".join(nfc(text).casefold().split())


def _plain(value: Any) -> str | None:
    """A cell as text: dates dd/mm/yyyy, whole numbers without decimals, blank as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_date(value.date())
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    text = nfc(str(value)).strip()
    return text or None


def _shown(value: Any) -> str:
    """The value as the user typed or sees it, for messages."""
    if isinstance(value, (datetime, date)):
        return _plain(value) or ""
    return str(value)


_DATE_SHAPE = re.compile(r"^\s*\d{1,4}\s*[/\-.]\s*\d{1,2}\s*[/\-.]\s*\d{1,4}\s*$")
_EXCEL_FIRST, _EXCEL_LAST = 36526, 73415  # 01/01/2000 .. 31/12/2100 as Excel serial numbers


def _to_date(value: Any) -> date:
    """A real Excel date, an Excel serial number in a plausible range, or text dd/mm/yyyy (years 1900–2100)."""
    from openpyxl.utils.datetime import from_excel
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and _EXCEL_FIRST <= value <= _EXCEL_LAST:
            return from_excel(int(value)).date()
        raise FormatError(f"'{_shown(value)}' là số, không phải ngày; nhập theo dạng dd/mm/yyyy",
                          code="workbook.number_not_date")
    when = value.date() if isinstance(value, datetime) else value if isinstance(value, date) else parse_date(str(value))
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise FormatError(f"năm của ngày {format_date(when)} phải từ {FIRST_YEAR} đến {LAST_YEAR}",
                          code="evidence.date_year")
    return when


def _to_number(value: Any) -> float:
    if isinstance(value, bool):
        raise FormatError(f"không phải số: {value}", code="format.bad_number")
    if isinstance(value, (int, float)):
        return float(value)
    return parse_number(nfc(str(value)).strip(), "vi")


def _to_yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = _key(str(value))
    if key in ("có", "co", "x", "yes", "true"):
        return True
    if key in ("không", "khong", "no", "false"):
        return False
    raise FormatError(f"'{_shown(value)}' phải là \"{YES}\" hoặc \"{NO}\"", code="workbook.bad_yes_no")


@dataclass
class _Row:
    """One sheet row, cells by column key, with a way to name a cell in a problem."""

    sheet: str
    number: int
    cells: dict[str, Any]
    letters: dict[str, str]
    headers: dict[str, str]

    def filled(self, keys: Iterable[str]) -> bool:
        return any(_plain(self.cells.get(k)) is not None for k in keys)


class _Reader:
    """Collects problems with file, sheet, row, column and value while converting cells."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, sheet: str | None, row: int | None, column: str | None, value: Any, message: str,
                severity: str = "error", *, code: str) -> None:
        self.problems.append(Problem(code=code, file=self.file, sheet=sheet, row=row, column=column,
                                     value=None if value is None else _shown(value), message=message, severity=severity))

    def at(self, row: _Row, key: str, message: str, severity: str = "error", *, code: str) -> None:
        self.problem(row.sheet, row.number, row.letters[key], row.cells.get(key), message, severity, code=code)

    def text(self, row: _Row, key: str, required: bool = False) -> str | None:
        value = _plain(row.cells.get(key))
        if value is None and required:
            self.at(row, key, f"thiếu '{row.headers[key]}'", code="workbook.missing_cell")
        return value

    def _parsed(self, row: _Row, key: str, required: bool, parse):
        """A cell read with `parse`; an empty or unreadable cell is reported and gives None."""
        value = row.cells.get(key)
        if _plain(value) is None:
            if required:
                self.at(row, key, f"thiếu '{row.headers[key]}'", code="workbook.missing_cell")
            return None
        try:
            return parse(value)
        except FormatError as exc:
            self.at(row, key, f"{row.headers[key]}: {exc}", code=exc.code)
            return None

    def date(self, row: _Row, key: str, required: bool = False) -> date | None:
        return self._parsed(row, key, required, _to_date)

    def number(self, row: _Row, key: str, required: bool = False) -> float | None:
        return self._parsed(row, key, required, _to_number)

    def yes_no(self, row: _Row, key: str) -> bool | None:
        value = row.cells.get(key)
        if _plain(value) is None:
            return None
        try:
            return _to_yes_no(value)
        except FormatError as exc:
            self.at(row, key, f"{row.headers[key]}: {exc}", code=exc.code)
            return None


def _sheet_rows(ws, columns: tuple[Column, ...], reader: _Reader) -> list[_Row] | None:
    """Data rows of a sheet, after checking that the header row is the template's."""
    from openpyxl.utils import get_column_letter
    rows = list(ws.iter_rows(min_row=HEADER_ROW, values_only=True))
    header = list(rows[0]) if rows else []
    ok = True
    for index, column in enumerate(columns):
        found = _plain(header[index]) if index < len(header) else None
        if found is None or _key(found) != _key(column.header):
            reader.problem(ws.title, HEADER_ROW, get_column_letter(index + 1), found,
                           f"tiêu đề cột phải là '{column.header}' (không thêm, xóa hay đổi thứ tự cột của biểu mẫu)",
                           code="workbook.bad_header")
            ok = False
    if not ok:
        return None
    letters = {c.key: get_column_letter(i + 1) for i, c in enumerate(columns)}
    headers = {c.key: c.header for c in columns}
    out = []
    for number, values in enumerate(rows[1:], start=HEADER_ROW + 1):
        cells = {c.key: (values[i] if i < len(values) else None) for i, c in enumerate(columns)}
        out.append(_Row(ws.title, number, cells, letters, headers))
    return out


def load_workbook_bundle(path: Path) -> tuple[LoadedBundle | None, list[Problem]]:
    """Read a filled workbook into a bundle; every problem in one pass; the file is only read."""
    path = Path(path)
    file = str(path)
    if path.name.startswith("~$"):
        return None, [Problem(code="workbook.lock_file", file=file, severity="warning",
                              message="tệp khóa tạm của Excel (tệp đang mở), bỏ qua")]
    wb, data, problems = open_xlsx(path, "tệp")
    if wb is None:
        return None, problems
    digest = hashlib.sha256(data).hexdigest()
    try:
        loaded, read_problems = _read(wb, file, digest)
    except Exception as exc:  # a sheet openpyxl cannot walk (damaged XML inside a valid zip)
        return None, problems + [Problem(file=file, code="xlsx.damaged",
                                         message=f"không đọc được nội dung tệp Excel: tệp bị hỏng ({type(exc).__name__})")]
    finally:
        wb.close()
    if problems:
        return None, problems + read_problems
    return loaded, read_problems


def _read(wb, file: str, digest: str) -> tuple[LoadedBundle | None, list[Problem]]:
    from openpyxl.utils import get_column_letter
    reader = _Reader(file)
    missing = [name for name in SHEETS + (SHEET_CATALOG,) if name not in wb.sheetnames]
    for name in missing:
        reader.problem(name, None, None, None,
                       "thiếu sheet này; hãy dùng biểu mẫu tạo bằng lệnh 'parindex template' và không đổi tên sheet",
                       code="workbook.missing_sheet")
    if missing:
        return None, reader.problems
    catalog = _Catalog(list(wb[SHEET_CATALOG].iter_rows(values_only=True)))
    if catalog.empty:
        reader.problem(SHEET_CATALOG, None, None, None, "sheet ẩn 'Danh mục' bị xóa nội dung; hãy tạo lại biểu mẫu",
                       code="workbook.catalog_cleared")
        return None, reader.problems
    unit, period, as_of, notes, year_row = _read_unit(wb[SHEET_GUIDE], reader, catalog)
    documents, doc_rows = _read_documents(wb[SHEET_DOCUMENTS], reader, catalog)
    metrics, metric_rows, metric_raws = _read_metrics(wb[SHEET_METRICS], reader, catalog)
    tasks, task_rows = _read_tasks(wb[SHEET_TASKS], reader)
    manual = _read_scores(wb[SHEET_MANUAL], MANUAL_COLUMNS, reader, catalog, "manual")
    survey = _read_scores(wb[SHEET_SURVEY], SURVEY_COLUMNS, reader, catalog, "survey")
    not_applicable = _read_na(wb[SHEET_NA], reader, catalog)
    if any(p.severity == "error" for p in reader.problems) or unit is None or period is None or as_of is None:
        return None, reader.problems
    try:
        bundle = Bundle(unit=unit, period=period, as_of=as_of, documents=documents, metrics=metrics,
                        plan_tasks=tasks, survey=survey, manual=manual, not_applicable=not_applicable, notes=notes)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            reader.problem(None, None, None, None, f"bộ minh chứng không hợp lệ: {pydantic_message(err)}",
                           code=pydantic_code(err))
        return None, reader.problems
    before = len(reader.problems)
    _consistency(bundle, reader, doc_rows, metric_rows, task_rows)
    found = contradictions(bundle.metrics)
    value_column = get_column_letter([c.key for c in METRIC_COLUMNS].index("value") + 1)
    for item in found:
        row = next(r for m, r in zip(bundle.metrics, metric_rows) if m.name == item.names[0])
        reader.problem(SHEET_METRICS, row, value_column, None, item.message, "warning", code="evidence.metric_contradiction")
    warnings = reader.problems[before:]
    value_column = get_column_letter([c.key for c in METRIC_COLUMNS].index("value") + 1)
    places: dict[tuple[str, int], dict[str, Any]] = {
        ("metrics", index): {"file": file, "sheet": SHEET_METRICS, "row": row, "column": value_column, "written": raw}
        for index, (row, raw) in enumerate(zip(metric_rows, metric_raws))}
    places[("period", 0)] = {"file": file, "sheet": SHEET_GUIDE, "row": year_row, "column": "B", "written": period.year}
    return LoadedBundle(bundle, file, digest, warnings, failed_names(found), places=Places(places)), reader.problems


def _read_unit(ws, reader: _Reader, catalog: _Catalog
               ) -> tuple[Unit | None, Period | None, date | None, str | None, int | None]:
    labels = {_key(label): key for key, label, _ in UNIT_FIELDS}
    found: dict[str, tuple[int, Any]] = {}
    for number, values in enumerate(ws.iter_rows(min_row=1, max_col=2, values_only=True), start=1):
        label = _plain(values[0]) if values else None
        if label is None:
            continue
        key = labels.get(_key(label.rstrip("*").strip()))
        if key is not None and key not in found:
            found[key] = (number, values[1] if len(values) > 1 else None)
    sheet = ws.title
    out: dict[str, Any] = {}
    for key, label, _ in UNIT_FIELDS:
        if key not in found:
            if key in UNIT_REQUIRED:
                reader.problem(sheet, None, "A", None, f"thiếu dòng '{label}' trong phần Thông tin đơn vị",
                               code="workbook.missing_unit_row")
            continue
        number, value = found[key]
        if _plain(value) is None:
            if key in UNIT_REQUIRED:
                reader.problem(sheet, number, "B", None, f"thiếu thông tin đơn vị: '{label}'",
                               code="workbook.missing_unit_value")
            continue
        try:
            if key in ("start", "end", "as_of"):
                out[key] = _to_date(value)
            elif key == "year":
                year = _to_number(value)
                if not year.is_integer() or not 2000 <= year <= 2100:
                    raise FormatError(f"năm '{_shown(value)}' phải là số 4 chữ số, ví dụ 2024", code="workbook.bad_year")
                out[key] = int(year)
            elif key == "level":
                code = catalog.levels.get(_key(_plain(value) or ""))
                if code is None:
                    raise FormatError("cấp đơn vị phải chọn từ danh sách thả xuống", code="workbook.unknown_level")
                out[key] = code
            else:
                out[key] = _plain(value)
        except FormatError as exc:
            reader.problem(sheet, number, "B", value, f"{label}: {exc}", code=exc.code)
    if "start" in out and "end" in out and out["end"] < out["start"]:
        reader.problem(sheet, found["end"][0], "B", found["end"][1],
                       f"kỳ đánh giá kết thúc trước khi bắt đầu ({format_date(out['start'])})",
                       code="evidence.period_order")
        return None, None, None, None, None
    if any(key not in out for key in UNIT_REQUIRED):
        return None, None, None, None, None
    aliases = [nfc(a).strip() for a in re.split(r"[;\n]", out.get("aliases") or "") if a.strip()]
    unit = Unit(id=out["id"], name=out["name"], level=out["level"], aliases=aliases)
    labels = {key: label for key, label, _ in UNIT_FIELDS}
    try:
        period = Period(year=out["year"], start=out["start"], end=out["end"])
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            key = str(err["loc"][0]) if err["loc"] and err["loc"][0] in found else "year"
            reader.problem(sheet, found[key][0], "B", found[key][1], f"{labels[key]}: {pydantic_message(err)}",
                           code=pydantic_code(err))
        return None, None, None, None, None
    if out["as_of"] < period.start:
        reader.problem(sheet, found["as_of"][0], "B", found["as_of"][1],
                       f"{labels['as_of']}: ngày chốt số liệu {format_date(out['as_of'])} trước ngày bắt đầu kỳ đánh giá "
                       f"{format_date(period.start)}", code="evidence.as_of_before_period")
        return None, None, None, None, None
    if out["as_of"] > latest_as_of(period.year):
        reader.problem(sheet, found["as_of"][0], "B", found["as_of"][1],
                       f"{labels['as_of']}: ngày chốt số liệu {format_date(out['as_of'])} quá xa sau kỳ đánh giá năm "
                       f"{period.year} (muộn nhất {format_date(latest_as_of(period.year))})", code="evidence.as_of_too_late")
        return None, None, None, None, None
    note_parts = [f"Người lập biểu: {out['preparer']}" if out.get("preparer") else None,
                  f"Điện thoại: {out['phone']}" if out.get("phone") else None, out.get("notes")]
    notes = "; ".join(p for p in note_parts if p) or None
    return unit, period, out["as_of"], notes, found["year"][0]


def _document_kind(text: str, catalog: _Catalog) -> str | None:
    code = catalog.doc_tokens.get(_key(text))
    if code is not None:
        return code
    match = re.fullmatch(r"(.*)\(\s*([^()]+?)\s*\)\s*", text)
    if match and match.group(2) in catalog.doc_codes:
        return match.group(2)
    return None


def _read_documents(ws, reader: _Reader, catalog: _Catalog) -> tuple[list[Document], list[int]]:
    rows = _sheet_rows(ws, DOCUMENT_COLUMNS, reader)
    documents, numbers = [], []
    for row in rows or []:
        if not row.filled(("number", "issue_date", "issuer", "title", "link")):
            continue
        before = len(reader.problems)
        kind_text = reader.text(row, "kind", required=True)
        kind = None
        if kind_text is not None:
            kind = _document_kind(kind_text, catalog)
            if kind is None:
                reader.at(row, "kind", "loại tài liệu không có trong danh mục của bộ chỉ số; chọn từ danh sách thả xuống",
                          code="workbook.unknown_document")
        fields = {"number": reader.text(row, "number"), "issue_date": reader.date(row, "issue_date"),
                  "issuer": reader.text(row, "issuer"), "title": reader.text(row, "title"),
                  "link": reader.text(row, "link"), "sample": bool(reader.yes_no(row, "sample"))}
        if len(reader.problems) == before and kind is not None:
            documents.append(Document(kind=kind, **fields))
            numbers.append(row.number)
    return documents, numbers


def _read_metrics(ws, reader: _Reader, catalog: _Catalog) -> tuple[list[Metric], list[int], list[Any]]:
    rows = _sheet_rows(ws, METRIC_COLUMNS, reader)
    metrics, numbers, raws = [], [], []
    for row in rows or []:
        if not row.filled(("value", "period", "source", "note")):
            continue
        before = len(reader.problems)
        name_text = _plain(row.cells.get("name")) or _plain(row.cells.get("label"))
        name = catalog.metric_tokens.get(_key(name_text)) if name_text else None
        if name_text is None:
            reader.at(row, "name", f"thiếu '{row.headers['name']}'", code="workbook.missing_cell")
        elif name is None:
            reader.at(row, "name", "chỉ số không có trong danh mục của bộ chỉ số", code="workbook.unknown_metric")
        raw = row.cells.get("value")
        value: float | None = None
        if _plain(raw) is None:
            reader.at(row, "value", f"thiếu '{row.headers['value']}'", code="workbook.missing_cell")
        elif name is not None and catalog.metric_types.get(name) == FACT_TYPE:
            answer = reader.yes_no(row, "value")
            value = None if answer is None else float(answer)
        else:
            value = reader.number(row, "value")
        fields = {"period": reader.text(row, "period"), "source": reader.text(row, "source"),
                  "note": reader.text(row, "note"), "sample": bool(reader.yes_no(row, "sample"))}
        if len(reader.problems) == before and name is not None and value is not None:
            metrics.append(Metric(name=name, value=value, **fields))
            numbers.append(row.number)
            raws.append(raw)
    return metrics, numbers, raws


def _read_tasks(ws, reader: _Reader) -> tuple[list[PlanTask], list[int]]:
    rows = _sheet_rows(ws, TASK_COLUMNS, reader)
    tasks, numbers = [], []
    statuses = {_key(s): s for s in TASK_STATUSES}
    for row in rows or []:
        if not row.filled(("id", "title", "deadline", "status", "done_date")):
            continue
        before = len(reader.problems)
        title = reader.text(row, "title", required=True)
        deadline, deadline_text, recurring = _task_deadline(row, reader)
        status_text = reader.text(row, "status")
        status = "chưa thực hiện"
        if status_text is not None:
            status = statuses.get(_key(status_text))
            if status is None:
                reader.at(row, "status", "trạng thái phải là một trong: " + ", ".join(TASK_STATUSES),
                          code="workbook.unknown_status")
        done_date = reader.date(row, "done_date")
        if len(reader.problems) == before:
            tasks.append(PlanTask(id=reader.text(row, "id") or str(len(tasks) + 1), title=title, deadline=deadline,
                                  deadline_text=deadline_text, recurring=recurring, status=status, done_date=done_date))
            numbers.append(row.number)
    return tasks, numbers


def _task_deadline(row: _Row, reader: _Reader) -> tuple[date | None, str | None, bool]:
    """A date; a recurring phrase ("Thường xuyên"); or other text kept as written (not counted)."""
    value = row.cells.get("deadline")
    text = _plain(value)
    if text is None:
        return None, None, False
    if isinstance(value, (datetime, date, int, float)) or _DATE_SHAPE.match(text):
        try:
            return _to_date(value), None, False
        except FormatError as exc:
            reader.at(row, "deadline", f"{row.headers['deadline']}: {exc}", code=exc.code)
            return None, None, False
    recurring = any(word in _key(text) for word in RECURRING_WORDS)
    return None, text, recurring


def _criterion_id(value: Any) -> str | None:
    text = _plain(value)
    if text is None:
        return None
    head = text.split(NA_SEPARATOR.strip(), 1)[0].strip()
    return head.split()[0] if head else None


def _read_scores(ws, columns: tuple[Column, ...], reader: _Reader, catalog: _Catalog, what: str) -> list[ScoreEntry]:
    rows = _sheet_rows(ws, columns, reader)
    entries = []
    for row in rows or []:
        if not row.filled(("points", "by", "justification") + (("evidence",) if what == "manual" else ())):
            continue
        before = len(reader.problems)
        criterion = _criterion_id(row.cells.get("criterion"))
        if criterion is None:
            reader.at(row, "criterion", f"thiếu '{row.headers['criterion']}'", code="workbook.missing_cell")
        elif criterion not in catalog.leaves:
            reader.at(row, "criterion", "tiêu chí không có trong bộ chỉ số", code="workbook.unknown_criterion")
        elif what == "manual" and catalog.points_from.get(criterion) == "survey":
            reader.at(row, "criterion", "tiêu chí lấy điểm điều tra xã hội học; đơn vị không được tự chấm "
                                        f"(nhập điểm công bố ở sheet '{SHEET_SURVEY}')",
                      code="workbook.survey_self_scored")
        elif what == "manual" and catalog.points_from.get(criterion) != "manual":
            reader.at(row, "criterion", "tiêu chí được chấm tự động từ minh chứng, không chấm thủ công",
                      code="workbook.not_manual")
        elif what == "survey" and catalog.points_from.get(criterion) != "survey":
            reader.at(row, "criterion", "tiêu chí không phải tiêu chí điều tra xã hội học",
                      code="workbook.not_survey")
        points = reader.number(row, "points", required=True)
        by = reader.text(row, "by", required=True)
        justification = reader.text(row, "justification", required=True)
        evidence = []
        if what == "manual":
            evidence = [nfc(e).strip() for e in re.split(r"[;\n]", reader.text(row, "evidence") or "") if e.strip()]
        if len(reader.problems) == before:
            entries.append(ScoreEntry(criterion=criterion, points=points, by=by, justification=justification,
                                      evidence=evidence))
    return entries


def _read_na(ws, reader: _Reader, catalog: _Catalog) -> list[NotApplicable]:
    rows = _sheet_rows(ws, NA_COLUMNS, reader)
    entries = []
    for row in rows or []:
        if not row.filled(("criterion", "justification", "by")):
            continue
        before = len(reader.problems)
        criterion = _criterion_id(row.cells.get("criterion"))
        if criterion is None:
            reader.at(row, "criterion", f"thiếu '{row.headers['criterion']}'", code="workbook.missing_cell")
        elif criterion not in catalog.leaves:
            reader.at(row, "criterion", "tiêu chí không có trong bộ chỉ số", code="workbook.unknown_criterion")
        elif criterion not in catalog.allow_na:
            reader.at(row, "criterion", "bộ chỉ số không cho phép khai báo tiêu chí này không áp dụng",
                      code="workbook.na_not_allowed")
        justification = reader.text(row, "justification", required=True)
        by = reader.text(row, "by", required=True)
        if len(reader.problems) == before:
            entries.append(NotApplicable(criterion=criterion, justification=justification, by=by))
    return entries


def _consistency(bundle: Bundle, reader: _Reader, doc_rows: list[int], metric_rows: list[int], task_rows: list[int]) -> None:
    """Facts that are not input errors but that scoring reports as data problems (as for YAML bundles)."""
    from openpyxl.utils import get_column_letter
    as_of = format_date(bundle.as_of)
    letter = {c.key: get_column_letter(i + 1) for i, c in enumerate(DOCUMENT_COLUMNS)}
    for document, row in zip(bundle.documents, doc_rows):
        if document.issue_date and document.issue_date > bundle.as_of:
            reader.problem(SHEET_DOCUMENTS, row, letter["issue_date"], document.issue_date,
                           f"ngày ban hành sau ngày chốt số liệu {as_of}", "warning",
                           code="evidence.document_after_as_of")
    letter = {c.key: get_column_letter(i + 1) for i, c in enumerate(METRIC_COLUMNS)}
    first: dict[str, int] = {}
    for metric, row in zip(bundle.metrics, metric_rows):
        if metric.value < 0:
            reader.problem(SHEET_METRICS, row, letter["value"], format_number(metric.value),
                           f"chỉ số '{metric.name}' âm", "warning", code="evidence.negative_metric")
        if metric.name in first:
            reader.problem(SHEET_METRICS, row, letter["name"], metric.name,
                           f"chỉ số '{metric.name}' khai báo hai lần (lần đầu ở dòng {first[metric.name]})", "warning",
                           code="evidence.duplicate_metric")
        first.setdefault(metric.name, row)
    letter = {c.key: get_column_letter(i + 1) for i, c in enumerate(TASK_COLUMNS)}
    for task, row in zip(bundle.plan_tasks, task_rows):
        if task.status == "hoàn thành" and task.done_date is None:
            reader.problem(SHEET_TASKS, row, letter["done_date"], None,
                           f"nhiệm vụ '{task.id}' hoàn thành nhưng thiếu ngày hoàn thành", "warning",
                           code="evidence.task_without_date")
        if task.done_date and task.done_date > bundle.as_of:
            reader.problem(SHEET_TASKS, row, letter["done_date"], task.done_date,
                           f"ngày hoàn thành sau ngày chốt số liệu {as_of}", "warning",
                           code="evidence.task_after_as_of")

