"""Import the task tables of annual PAR plans ("Phụ lục kế hoạch CCHC") and their status sidecars.

Plan appendices reach us as Excel sheets, CSV exports or plain text converted from Word, where
tables arrive as tab- or pipe-separated cells, header rows repeat after page breaks and a row
may be cut in two by a page break. Every layout is first turned into records (a list of cells
with its place in the file); one walker then finds headers, area headings, task rows and
continuations, so all formats are read by the same rules.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.core.base import Frozen
from engine.core.csvsafe import csv_rows
from engine.core.limits import MAX_TABLE_BYTES, MAX_TABLE_ROWS, read_limited, row_count_problem
from engine.core.problems import InputError, Problem
from engine.core.vnformat import FormatError, format_date, nfc, parse_date
from engine.load.deadlines import Deadline, parse_deadline
from engine.load.xlsxsafe import open_xlsx

TaskStatus = Literal["hoàn thành", "đang thực hiện", "chưa thực hiện"]

COLUMN_NAMES = {
    "number": "STT",
    "task": "Nhiệm vụ",
    "deadline": "Thời gian",
    "status": "Trạng thái",
    "done_date": "Ngày hoàn thành",
}


class SourceRef(Frozen):
    """Where a row was read: line of a text file, or sheet and row of a workbook or CSV."""

    file: str
    line: int | None = None
    sheet: str | None = None
    row: int | None = None


class PlanTask(Frozen):
    """One task row of a plan appendix; status and done date come from a status sidecar."""

    number: str
    area: str | None = None
    task: str
    product: str | None = None
    lead: str | None = None
    cooperating: tuple[str, ...] = ()
    deadline: Deadline
    funding: str | None = None
    source: SourceRef
    status: TaskStatus | None = None
    done_date: date | None = None


class PlanImport(BaseModel):
    """The rows of one plan table in document order; the problems found come beside it from `import_plan_table`."""

    model_config = ConfigDict(extra="forbid")

    file: str
    plan_year: int
    rows: list[PlanTask]


@dataclass
class _Record:
    """A row of cells as found in the file, with its place."""

    cells: list[str]
    line: int | None = None
    sheet: str | None = None
    row: int | None = None

    def place(self) -> dict[str, object]:
        return {"line": self.line, "sheet": self.sheet, "row": self.row}


@dataclass
class _RawRow:
    """A task row being assembled; page-break continuations add text to its fields."""

    number: str
    area: str | None
    record: _Record
    pairs: list[tuple[int, str]]
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, text: str) -> None:
        if text:
            self.fields.setdefault(name, []).append(text)

    def text(self, name: str) -> str:
        return " ".join(self.fields.get(name, []))


_HEADER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("number", r"^(?:stt|tt|số|số tt|số thứ tự)$"),
    ("area", r"^(?:nhiệm vụ chung|lĩnh vực|nhóm nhiệm vụ)$"),
    ("lead", r"chủ trì"),
    ("cooperating", r"phối hợp"),
    ("product", r"sản phẩm|kết quả"),
    ("deadline", r"^(?:thời gian|thời hạn|tiến độ)(?!.*bắt đầu)"),
    ("funding", r"kinh phí"),
    ("task", r"nhiệm vụ|nội dung|công việc"),
)
_SECTION = re.compile(r"^[IVXL]+\s*[.)]\s*\S")
_DECLARED_COUNT = re.compile(r"\s*\((\d+)\s+nhiệm vụ\)\s*$", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?$")
_EMBEDDED_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?(?:\s*[-–—:)]\s*|\s+)(?=[^\d\s%])(.*)$")
_PLAN_YEAR = re.compile(r"(?:cải cách hành chính|cchc)(?:\s+nhà nước)?\s+năm\s+(\d{4})")
_TITLE_YEAR = re.compile(r"NĂM\s+(\d{4})")
_FOOTNOTE = re.compile(r"^\[\d+\]")


def import_plan_table(path: Path, plan_year: int | None = None,
                      sheet: str | None = None) -> tuple[PlanImport | None, list[Problem]]:
    """Read the task rows of a plan appendix (.xlsx, .csv or converted .txt); the file is only read.

    `plan_year` fills deadlines written without a year ("Hoàn thành trong Quý IV"); when not
    given it is taken from the title ("... CẢI CÁCH HÀNH CHÍNH NĂM 2025").
    A file that cannot be read as a plan table at all gives no import and its errors.
    """
    try:
        return _import(Path(path), plan_year, sheet)
    except InputError as exc:
        return None, exc.problems


def _import(path: Path, plan_year: int | None, sheet: str | None) -> tuple[PlanImport, list[Problem]]:
    file = str(path)
    records, positional = _read_records(path, sheet)
    raw_rows, preface, walk_problems, declared = _walk(records, positional, file)
    if plan_year is None:
        plan_year = _infer_plan_year(preface, file)
    rows: list[PlanTask] = []
    problems = list(walk_problems)
    for raw in raw_rows:
        task, row_problems = _finish(raw, plan_year, file)
        rows.append(task)
        problems.extend(row_problems)
    problems.extend(_check_numbers(rows, file))
    problems.extend(_check_declared(rows, declared, file))
    return PlanImport(file=file, plan_year=plan_year, rows=rows), problems


def _read_records(path: Path, sheet: str | None) -> tuple[list[_Record], bool]:
    """Records of a file, and whether their cells sit in fixed columns (Excel, CSV) or not (text)."""
    if not path.is_file():
        raise InputError([Problem(code="file.not_found", file=str(path), message="Không tìm thấy tệp")])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_records(path, sheet), True
    if suffix == ".csv":
        return _csv_records(path), True
    if suffix == ".txt":
        lines = _read_text(path).splitlines()
        if sum(1 for line in lines if line.strip() == "|") >= 3:
            return _pipe_records(lines), False
        return [_Record(cells=line.split("\t"), line=n) for n, line in enumerate(lines, start=1)], False
    raise InputError([Problem(code="plan.unsupported_format", file=str(path),
                              message="Định dạng tệp không được hỗ trợ (cần .xlsx, .csv hoặc .txt)", value=suffix)])


def _read_text(path: Path) -> str:
    """The text of a plan table, after its size and line count are checked."""
    data, problem = read_limited(path, MAX_TABLE_BYTES)
    if data is None:
        raise InputError([problem] if problem else [])
    too_many = row_count_problem(str(path), data)
    if too_many is not None:
        raise InputError([too_many])
    try:
        return nfc(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError([Problem(file=str(path), code="file.not_utf8", message="Tệp không phải văn bản UTF-8")]) from None


def _cell_text(value: object) -> str:
    """Excel values as the text a person sees: whole numbers without '.0', dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_date(value.date())
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_records(path: Path, sheet: str | None) -> list[_Record]:
    workbook, _, problems = open_xlsx(path)
    if workbook is None:
        raise InputError(problems)
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InputError([Problem(file=str(path), code="plan.no_sheet", message="Không có sheet này trong tệp",
                                      value=sheet)])
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        formulas = [p for p in problems if p.sheet == worksheet.title]
        if formulas:
            raise InputError(formulas)
        records = []
        for n, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            records.append(_Record(cells=[_cell_text(v) for v in values], sheet=worksheet.title, row=n))
            if n > MAX_TABLE_ROWS:
                raise InputError([Problem(file=str(path), sheet=worksheet.title, code="csv.too_many_rows",
                                          message=f"bảng có quá nhiều dòng (tối đa {MAX_TABLE_ROWS} dòng)")])
        return records
    except InputError:
        raise
    except Exception as error:  # damaged sheet XML inside a valid zip
        raise InputError([Problem(file=str(path), code="xlsx.damaged",
                                  message=f"Không đọc được nội dung tệp Excel: tệp bị hỏng ({type(error).__name__})")]) from None
    finally:
        workbook.close()


def _csv_records(path: Path) -> list[_Record]:
    text = _read_text(path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first.count)
    rows, problem = csv_rows(str(path), text, delimiter)
    if problem is not None:
        raise InputError([problem])
    return [_Record(cells=cells, row=n) for n, cells in rows]


def _pipe_records(lines: list[str]) -> list[_Record]:
    """Cells separated by lines holding only '|'; cell text wraps over several lines.

    Rows are not marked, so cells are grouped after the header: a number cell starts a row
    of as many cells as the header has, a Roman-numbered cell is an area heading.
    """
    cells: list[tuple[int, str]] = []
    current: list[str] = []
    first_line = 1
    for n, line in enumerate(lines, start=1):
        if line.strip() == "|":
            cells.extend(_pipe_cell(current, first_line))
            current = []
            first_line = n + 1
        else:
            if not current:
                first_line = n
            if line.strip():
                current.append(line.strip())
    cells.extend(_pipe_cell(current, first_line))
    records: list[_Record] = []
    width = 0
    i = 0
    while i < len(cells):
        line, text = cells[i]
        header_width = _header_run(cells, i)
        if header_width:
            width = header_width
            records.append(_Record(cells=[t for _, t in cells[i:i + width]], line=line))
            i += width
        elif width and _BARE_NUMBER.match(text):
            records.append(_Record(cells=[t for _, t in cells[i:i + width]], line=line))
            i += width
        else:
            if width and _FOOTNOTE.match(text):
                width = 0
            records.append(_Record(cells=[text], line=line))
            i += 1
    return records


def _pipe_cell(lines: list[str], first_line: int) -> list[tuple[int, str]]:
    """One cell, or two when a header label ("STT") is glued under the title without a '|'."""
    if not lines:
        return []
    if len(lines) > 1 and _header_field(lines[-1]) == "number":
        return [(first_line, " ".join(lines[:-1])), (first_line + len(lines) - 1, lines[-1])]
    return [(first_line, " ".join(lines))]


def _header_run(cells: list[tuple[int, str]], start: int) -> int:
    """Length of the run of header labels starting at `start`, 0 when it is not a header."""
    end = start
    while end < len(cells) and _header_field(cells[end][1]):
        end += 1
    return end - start if _header_fields([t for _, t in cells[start:end]]) else 0


def _norm(text: str) -> str:
    return " ".join(nfc(text).split())


def _header_field(label: str) -> str | None:
    text = _norm(label)
    if not text or len(text) > 40 or _SECTION.match(text) or re.search(r"\d", text):
        return None
    low = text.lower()
    for name, pattern in _HEADER_PATTERNS:
        if re.search(pattern, low):
            return name
    return None


def _header_fields(cells: list[str]) -> list[str | None] | None:
    """The field of each cell when the cells are a header row, else None.

    A header names at least the task and the deadline columns and no cell holds a number.
    """
    fields = [_header_field(c) for c in cells]
    named = [f for f in fields if f]
    if "task" not in named or "deadline" not in named or len(named) < 3:
        return None
    if any(_BARE_NUMBER.match(_norm(c)) for c in cells):
        return None
    return fields


def _walk(
    records: list[_Record], positional: bool, file: str
) -> tuple[list[_RawRow], list[str], list[Problem], dict[str, tuple[int, _Record]]]:
    """Find headers, area headings, task rows and continuations, in document order."""
    columns: list[str | None] | None = None
    seen_header = False
    preface: list[str] = []
    rows: list[_RawRow] = []
    problems: list[Problem] = []
    declared: dict[str, tuple[int, _Record]] = {}
    area: str | None = None
    for record in records:
        cells = [_norm(c) for c in record.cells]
        header = _header_fields(cells)
        if header is not None:
            columns, seen_header = header, True
            continue
        filled = [c for c in cells if c]
        if columns is None:
            if not seen_header and filled:
                preface.append(" ".join(filled))
            continue
        if not filled:
            continue
        if len(filled) == 1 and _SECTION.match(filled[0]):
            area = _area(filled[0], record, declared)
            continue
        splitter = _split_positional if positional else _split_text
        number, heading, pairs, cells = splitter(cells, columns)
        if heading:
            area = _area(heading, record, declared)
        if number is not None:
            raw = _RawRow(number=number, area=area, record=record, pairs=pairs)
            for index, name in pairs:
                raw.add(name, cells[index] if index < len(cells) else "")
            rows.append(raw)
        elif len(record.cells) == 1:
            columns = None
        elif rows:
            previous = rows[-1]
            for index, name in previous.pairs:
                previous.add(name, cells[index] if index < len(cells) else "")
            if positional:
                problems.append(Problem(
                    code="plan.row_joined", file=file, **record.place(), severity="warning",
                    message=f"Dòng không có số thứ tự, được ghép vào nhiệm vụ {previous.number}",
                ))
        else:
            problems.append(Problem(
                code="plan.row_skipped", file=file, **record.place(), severity="warning", value=" ".join(filled)[:80],
                message="Dòng không có số thứ tự và không thuộc nhiệm vụ nào; bỏ qua",
            ))
    if not seen_header:
        raise InputError([Problem(
            code="plan.no_header", file=file,
            message="Không tìm thấy dòng tiêu đề của bảng nhiệm vụ (cần các cột 'Nhiệm vụ' và 'Thời gian')",
        )])
    return rows, preface, problems, declared


def _area(text: str, record: _Record, declared: dict[str, tuple[int, _Record]]) -> str:
    """An area heading without its "(16 nhiệm vụ)" count; the count is kept to check later."""
    match = _DECLARED_COUNT.search(text)
    if not match:
        return text
    name = text[: match.start()].strip()
    declared[name] = (int(match.group(1)), record)
    return name


def _split_text(
    cells: list[str], columns: list[str | None]
) -> tuple[str | None, str | None, list[tuple[int, str]], list[str]]:
    """Cells of a converted text row, placed by order rather than by header position.

    Converted headers do not line up with the data ("Nhiệm vụ cụ thể" spans the number and the
    task; blank header cells come and go), so the number is found first, the task follows it
    and the remaining cells take the fields named after the task in the header.
    """
    named = [f for f in columns if f]
    task_at = named.index("task")
    has_number_column = "number" in named
    after_task = [f for f in named[task_at + 1:] if f not in ("number", "area")]
    heading = None
    for i in range(min(len(cells), task_at + 2)):
        cell = cells[i]
        if not cell:
            continue
        bare = _BARE_NUMBER.match(cell)
        if bare:
            return bare.group(1), heading, _pairs(i + 1, after_task), cells
        embedded = None if has_number_column else _EMBEDDED_NUMBER.match(cell)
        if embedded:
            cells = cells[:i] + [embedded.group(2)] + cells[i + 1:]
            return embedded.group(1), heading, _pairs(i, after_task), cells
        if i == 0 and _SECTION.match(cell):
            heading = cell
            continue
        break
    return None, heading, [], cells


def _pairs(task_index: int, after_task: list[str]) -> list[tuple[int, str]]:
    return [(task_index, "task")] + [(task_index + 1 + k, name) for k, name in enumerate(after_task)]


def _split_positional(
    cells: list[str], columns: list[str | None]
) -> tuple[str | None, str | None, list[tuple[int, str]], list[str]]:
    """Cells of an Excel or CSV row, placed by the header's column positions."""
    def cell(name: str) -> str:
        index = columns.index(name) if name in columns else None
        return cells[index] if index is not None and index < len(cells) else ""

    pairs = [(i, f) for i, f in enumerate(columns) if f and f not in ("number", "area")]
    heading = cell("area") or None
    number_text = cell("number").rstrip(".")
    if "number" in columns:
        return number_text or None, heading, pairs, cells
    task_index = columns.index("task")
    embedded = _EMBEDDED_NUMBER.match(cell("task"))
    if embedded:
        cells = cells[:task_index] + [embedded.group(2)] + cells[task_index + 1:]
        return embedded.group(1), heading, pairs, cells
    return None, heading, pairs, cells


def _infer_plan_year(preface: list[str], file: str) -> int:
    """The plan year from the title before the table ("... CẢI CÁCH HÀNH CHÍNH NĂM 2025")."""
    text = " ".join(preface)
    found = _PLAN_YEAR.findall(text.lower()) or _TITLE_YEAR.findall(text)
    if not found:
        raise InputError([Problem(
            code="plan.no_year", file=file,
            message="Không xác định được năm của kế hoạch từ tiêu đề; hãy cho biết năm kế hoạch",
        )])
    return int(found[-1])


def _finish(raw: _RawRow, plan_year: int, file: str) -> tuple[PlanTask, list[Problem]]:
    """Build the task from its collected text; report a missing task or an unreadable deadline."""
    place = raw.record.place()
    deadline_text = raw.text("deadline")
    deadline = parse_deadline(deadline_text, plan_year)
    task = raw.text("task")
    problems: list[Problem] = []
    if not task:
        problems.append(Problem(code="plan.empty_task", file=file, **place, column=COLUMN_NAMES["task"],
                                message=f"Nhiệm vụ {raw.number} không có nội dung"))
    if deadline.kind == "unreadable":
        problems.append(Problem(file=file, **place, column=COLUMN_NAMES["deadline"], value=deadline.text,
                                code="plan.unreadable_deadline",
                                message=f"Không đọc được thời hạn của nhiệm vụ {raw.number}"
                                        + (f": {deadline.reason}" if deadline.reason else "")))
    elif deadline.kind == "none":
        problems.append(Problem(file=file, **place, column=COLUMN_NAMES["deadline"], severity="warning",
                                code="plan.no_deadline", message=f"Nhiệm vụ {raw.number} không ghi thời hạn"))
    row = PlanTask(
        number=raw.number,
        area=raw.area,
        task=task,
        product=raw.text("product") or None,
        lead=raw.text("lead") or None,
        cooperating=_split_agencies(raw.text("cooperating")),
        deadline=deadline,
        funding=raw.text("funding") or None,
        source=SourceRef(file=file, **place),
    )
    return row, problems


def _split_agencies(text: str) -> tuple[str, ...]:
    """Agencies are separated by ';', or by ',' before a capitalised name.

    "Các sở, ban, ngành tỉnh" stays one agency; "Văn phòng UBND tỉnh, Các Sở, ban, ngành" is two.
    """
    agencies: list[str] = []
    for chunk in text.split(";"):
        start = 0
        for comma in re.finditer(r",\s*", chunk):
            following = chunk[comma.end():comma.end() + 1]
            if following.isupper():
                agencies.append(chunk[start:comma.start()])
                start = comma.end()
        agencies.append(chunk[start:])
    return tuple(a for a in (a.strip(" .,") for a in agencies) if a)


def _check_numbers(rows: list[PlanTask], file: str) -> list[Problem]:
    """Task numbers must be unique: the status sidecar refers to tasks by number."""
    first: dict[str, PlanTask] = {}
    problems: list[Problem] = []
    for row in rows:
        if row.number in first:
            problems.append(Problem(
                code="plan.duplicate_number", file=file, line=row.source.line, sheet=row.source.sheet, row=row.source.row,
                column=COLUMN_NAMES["number"], value=row.number,
                message=f"Số thứ tự {row.number} bị trùng với một nhiệm vụ phía trên",
            ))
        else:
            first[row.number] = row
    return problems


def _check_declared(rows: list[PlanTask], declared: dict[str, tuple[int, _Record]], file: str) -> list[Problem]:
    """An area heading that announces "(16 nhiệm vụ)" must head that many rows."""
    counts = Counter(row.area for row in rows)
    return [
        Problem(code="plan.declared_count", file=file, **record.place(), severity="warning", value=area,
                message=f"Mục ghi {expected} nhiệm vụ nhưng bảng có {counts[area]} nhiệm vụ")
        for area, (expected, record) in declared.items()
        if counts[area] != expected
    ]


_STATUS_WORDS: dict[str, TaskStatus] = {
    "hoàn thành": "hoàn thành",
    "đã hoàn thành": "hoàn thành",
    "đang thực hiện": "đang thực hiện",
    "đang triển khai": "đang thực hiện",
    "chưa thực hiện": "chưa thực hiện",
    "chưa triển khai": "chưa thực hiện",
}
_SIDECAR_PATTERNS: tuple[tuple[str, str], ...] = (
    ("number", r"^(?:stt|id|tt|số tt|số thứ tự|mã nhiệm vụ)$"),
    ("status", r"^(?:trạng thái|tình trạng)"),
    ("done_date", r"^ngày hoàn thành"),
)


def apply_status(rows: Sequence[PlanTask], status_path: Path) -> tuple[list[PlanTask], list[Problem]]:
    """Add status and done date from a sidecar (.csv or .xlsx: STT, Trạng thái, Ngày hoàn thành).

    Rows not named in the sidecar keep no status. An unknown STT, status or date is reported,
    never guessed; a done date on a task that is not finished is dropped with a warning.
    """
    status_path = Path(status_path)
    file = str(status_path)
    if status_path.suffix.lower() not in (".csv", ".xlsx"):
        return list(rows), [Problem(code="plan.status_format", file=file, message="Tệp trạng thái phải là .csv hoặc .xlsx",
                                    value=status_path.suffix)]
    try:
        records, _ = _read_records(status_path, None)
    except InputError as error:
        return list(rows), error.problems
    columns: dict[str, int] = {}
    body: list[_Record] = []
    for i, record in enumerate(records):
        found = _sidecar_columns(record.cells)
        if "number" in found and "status" in found:
            columns, body = found, records[i + 1:]
            break
    if not columns:
        return list(rows), [Problem(code="plan.status_no_header", file=file,
                                    message="Không tìm thấy dòng tiêu đề có các cột 'STT' và 'Trạng thái'")]
    by_number = {row.number: row for row in rows}
    updates: dict[str, dict[str, object]] = {}
    problems: list[Problem] = []
    for record in body:
        update = _status_update(record, columns, by_number, updates, file, problems)
        if update is not None:
            number, values = update
            updates[number] = values
    result = [row.model_copy(update=updates[row.number]) if row.number in updates else row for row in rows]
    return result, problems


def _sidecar_columns(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        low = _norm(cell).lower()
        for name, pattern in _SIDECAR_PATTERNS:
            if name not in found and re.search(pattern, low):
                found[name] = index
    return found


def _status_update(
    record: _Record,
    columns: dict[str, int],
    by_number: dict[str, PlanTask],
    done: dict[str, dict[str, object]],
    file: str,
    problems: list[Problem],
) -> tuple[str, dict[str, object]] | None:
    """The status and done date of one sidecar row, or None when the row is empty or wrong."""
    def cell(name: str) -> str:
        index = columns.get(name)
        return _norm(record.cells[index]) if index is not None and index < len(record.cells) else ""

    place = record.place()
    number = cell("number").rstrip(".")
    status_text, date_text = cell("status"), cell("done_date")
    if not (number or status_text or date_text):
        return None
    if number not in by_number:
        problems.append(Problem(code="plan.status_unknown_task", file=file, **place, column=COLUMN_NAMES["number"],
                                value=number, message=f"Không có nhiệm vụ số {number} trong kế hoạch"))
        return None
    if number in done:
        problems.append(Problem(code="plan.status_repeated", file=file, **place, column=COLUMN_NAMES["number"],
                                value=number, message=f"Nhiệm vụ {number} có nhiều dòng trạng thái; chỉ lấy dòng đầu"))
        return None
    status = _STATUS_WORDS.get(status_text.lower())
    if status is None:
        problems.append(Problem(
            code="plan.unknown_status", file=file, **place, column=COLUMN_NAMES["status"], value=status_text,
            message="Trạng thái phải là 'hoàn thành', 'đang thực hiện' hoặc 'chưa thực hiện'",
        ))
        return None
    done_date: date | None = None
    if date_text:
        try:
            done_date = parse_date(date_text)
        except FormatError as error:
            problems.append(Problem(code=error.code, file=file, **place, column=COLUMN_NAMES["done_date"],
                                    value=date_text, message=str(error)))
            return None
    if done_date is not None and status != "hoàn thành":
        problems.append(Problem(
            code="plan.done_date_ignored", file=file, **place, column=COLUMN_NAMES["done_date"], value=date_text,
            severity="warning",
            message=f"Nhiệm vụ {number} chưa hoàn thành nên ngày hoàn thành bị bỏ qua",
        ))
        done_date = None
    if done_date is None and status == "hoàn thành":
        problems.append(Problem(
            code="plan.done_without_date", file=file, **place, column=COLUMN_NAMES["done_date"], severity="warning",
            message=f"Nhiệm vụ {number} hoàn thành nhưng không ghi ngày hoàn thành; không xét được đúng hạn",
        ))
    return number, {"status": status, "done_date": done_date}
