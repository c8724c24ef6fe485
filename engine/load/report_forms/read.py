"""Read one aggregated report into per-unit counts and metrics, with every problem named by its cell.

Rows under the header are, in order: an optional numbering row ((1) (2) ... or 1 2 3), then unit
(or field) rows, section headings (a name and no numbers, skipped), and at most one total row
(labelled "Tổng cộng", "Tổng số", ...). Footers without numbers are skipped like headings.

A per-unit table gives each unit its own row; a per-field table (rows: fields) belongs to one
unit, whose counts are the total row, or the column sums when the file has none. A count that
cannot be read, or takes part in an identity that fails, makes every metric built from it a
data problem for that unit; the other metrics of the unit stay usable.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pydantic import Field

from engine.core.base import Frozen
from engine.core.problems import InputError, Problem
from engine.core.vnformat import FormatError, format_number, parse_date
from engine.load.dossiers import text_key
from engine.load.report_forms.checks import OPTIONAL_PARTS, SUMS, Failure, Term, check_row, quantity
from engine.load.report_forms.grid import Grid, cell_ref, column_letter, read_grid
from engine.load.report_forms.header import Header, find_header, is_numbering_row, match_columns
from engine.load.report_forms.mapping import ReportMapping
from engine.load.report_forms.problems import problem
from engine.load.report_forms.values import CellError, parse_count, parse_rate

WHOLE_FILE = "toàn bộ biểu"

# Metric → the quantity it is, and whether it exists only when counted apart from resolved and in progress.
METRIC_SOURCES: dict[str, tuple[str, bool]] = {
    "dossiers_received": ("received_new", False),
    "dossiers_carried_over": ("carried_over", False),
    "dossiers_online": ("received_online", False),
    "dossiers_resolved": ("resolved_total", False),
    "dossiers_resolved_on_time": ("resolved_on_time_or_early", False),
    "dossiers_resolved_late": ("resolved_late", False),
    "dossiers_in_progress": ("in_progress_within", False),
    "dossiers_in_progress_overdue": ("in_progress_overdue", False),
    "dossiers_returned": ("returned", True),
    "dossiers_withdrawn": ("withdrawn", True),
    "dossiers_waiting_supplement": ("waiting_supplement", True),
    "results_digitized": ("results_digitized", False),
    "payments_online": ("payments_online", False),
}

_PERIOD = re.compile(r"từ ngày\s*(\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4})\s*đến ngày\s*(\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4})",
                     re.IGNORECASE)


class ReportUnit(Frozen):
    """One unit of a report: its name as written, its row, its metrics, and the metrics that failed (why).

    A failed metric keeps its value in `metrics` when its cells could be read (so it can be shown);
    it is never scored.
    """

    label: str
    row: int | None = None
    metrics: dict[str, int] = Field(default_factory=dict)
    failed: dict[str, str] = Field(default_factory=dict)
    cells: dict[str, list[str]] = Field(default_factory=dict)


class ReportReading(Frozen):
    """A report file as read with one mapping; its problems come beside it from `read_report`."""

    file: str
    system: str
    rows: str
    sheet: str | None = None
    header_first_row: int
    header_last_row: int
    total_row: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    units: list[ReportUnit]

    def provided(self) -> list[str]:
        """Metric names the layout gives (whether or not a unit's value could be used)."""
        return sorted({name for unit in self.units for name in (*unit.metrics, *unit.failed)})


class _Row:
    """One table row: label, parsed counts (as terms), the fields that could not be read, stated rates."""

    def __init__(self, number: int, label: str, first_text: str):
        self.number = number
        self.label = label
        self.first_text = first_text
        self.values: dict[str, Term] = {}
        self.bad: dict[str, Problem] = {}
        self.rates: dict = {}
        self.filled = False


def read_report(path: Path, mapping: ReportMapping) -> tuple[ReportReading | None, list[Problem]]:
    """Read a report: its units, and every problem (the errors alone, and no reading, when the file or
    its header cannot be read as the mapping says)."""
    try:
        return _read(Path(path), mapping)
    except InputError as exc:
        return None, exc.problems


def _read(path: Path, mapping: ReportMapping) -> tuple[ReportReading, list[Problem]]:
    grid = read_grid(Path(path), mapping.sheet, mapping.delimiter)
    header = find_header(grid, mapping)
    columns, header_problems = match_columns(header, mapping, grid)
    if header_problems:
        raise InputError(header_problems)
    problems: list[Problem] = []
    rows = _rows(grid, header, mapping, columns, problems)
    totals = [r for r in rows if _is_total(r, mapping)]
    data = [r for r in rows if r not in totals and r.filled]
    for row in rows:
        if row not in totals and row.filled and not row.label:
            message = "dòng có số liệu nhưng không ghi tên đơn vị hay lĩnh vực; không tính"
            problems.append(problem(code="report.no_label", file=grid.file, message=message, sheet=grid.sheet,
                                    row=row.number, column=column_letter(columns["label"])))
    data = [r for r in data if r.label]
    if len(totals) > 1:
        message = ("có nhiều dòng tổng (" + ", ".join(f"dòng {r.number}" for r in totals)
                   + "); không biết dòng nào là tổng của biểu")
        problems.append(problem(code="report.many_total_rows", file=grid.file, message=message, sheet=grid.sheet,
                                row=totals[1].number))
    total = totals[0] if len(totals) == 1 else None
    for row in rows:
        problems += list(row.bad.values())
    failures = {row.number: check_row(row.values, set(row.bad), mapping.separate, row.rates)
                for row in data + ([total] if total else [])}
    for row in data + ([total] if total else []):
        for failure in failures[row.number]:
            problems.append(problem(code="report.rate_mismatch" if failure.rate else "report.identity",
                                    file=grid.file, message=failure.message, sheet=grid.sheet, row=row.number,
                                    column=", ".join(_letters(failure.refs))))
    column_failures = _total_mismatches(grid, header, mapping, columns, data, total, problems)
    if mapping.rows == "fields":
        units = [_whole_file(grid, mapping, data, total, failures, column_failures)]
    else:
        units = _per_unit(grid, mapping, data, failures, column_failures, problems)
    start, end = _period(grid, header)
    return ReportReading(file=grid.file, system=mapping.system, rows=mapping.rows, sheet=grid.sheet,
                         header_first_row=header.first_row, header_last_row=header.last_row,
                         total_row=total.number if total else None, period_start=start,
                         period_end=end, units=units), problems


def _letters(refs: tuple[str, ...]) -> list[str]:
    letters: list[str] = []
    for ref in refs:
        letter = ref.rstrip("0123456789")
        if letter not in letters:
            letters.append(letter)
    return letters


def _rows(grid: Grid, header: Header, mapping: ReportMapping, columns: dict[str, int],
          problems: list[Problem]) -> list[_Row]:
    """Rows under the header with their counts parsed; the numbering row is skipped."""
    counts = {name: column for name, column in columns.items() if name in mapping.columns}
    rates = {name[len("rate:"):]: column for name, column in columns.items() if name.startswith("rate:")}
    label_column = columns["label"]
    number_column = columns.get("number_column")
    rows: list[_Row] = []
    start = header.last_row + 1
    if start <= len(grid.rows) and is_numbering_row([c.text for c in grid.rows[start - 1]]):
        start += 1
    for number in range(start, len(grid.rows) + 1):
        if rows and any(r.filled for r in rows) and not any(c.text for c in grid.rows[number - 1]):
            break  # the table ends at its first empty row; signatures and notes follow
        label = grid.cell(number, label_column).text
        first = grid.cell(number, number_column).text if number_column else grid.cell(number, 1).text
        row = _Row(number, label, first)
        for field, column in sorted(counts.items(), key=lambda item: item[1]):
            cell = grid.cell(number, column)
            if cell.text:
                row.filled = True
            _read_count(grid, header, mapping, row, field, column)
        for name, column in sorted(rates.items()):
            cell = grid.cell(number, column)
            ref = cell_ref(number, column)
            if cell.formula_without_value:
                row.bad[f"rate:{name}"] = _formula_problem(grid, number, column)
                continue
            try:
                stated = parse_rate(cell.value, mapping.number_style, cell.number_format)
            except CellError as exc:
                message = f"{exc} (cột '{header.path_text(column)}')"
                row.bad[f"rate:{name}"] = problem(code="report.not_a_rate", file=grid.file, message=message,
                                                  sheet=grid.sheet, row=number, column=column_letter(column),
                                                  value=cell.text)
                continue
            if stated is not None:
                row.filled = True
                row.rates[name] = (mapping.rates[name], stated, ref, header.paths.get(column, ("",))[-1])
        rows.append(row)
    return rows


def _read_count(grid: Grid, header: Header, mapping: ReportMapping, row: _Row, field: str, column: int) -> None:
    cell = grid.cell(row.number, column)
    if cell.formula_without_value:
        row.bad[field] = _formula_problem(grid, row.number, column)
        return
    try:
        value = parse_count(cell.value, mapping.number_style)
    except CellError as exc:
        message = f"{exc} (cột '{header.path_text(column)}')"
        row.bad[field] = problem(code="report.not_a_count", file=grid.file, message=message, sheet=grid.sheet,
                                 row=row.number, column=column_letter(column), value=cell.text)
        return
    row.values[field] = Term(field, header.paths.get(column, ("",))[-1], cell_ref(row.number, column), value)


def _formula_problem(grid: Grid, row: int, column: int) -> Problem:
    message = ("ô có công thức nhưng tệp không lưu kết quả tính (tệp được tạo bằng chương trình, chưa mở bằng "
               "Excel); hãy mở tệp bằng Excel hoặc LibreOffice rồi lưu lại")
    return problem(code="report.formula_without_value", file=grid.file, message=message, sheet=grid.sheet, row=row,
                   column=column_letter(column))


def _is_total(row: _Row, mapping: ReportMapping) -> bool:
    labels = {text_key(label).rstrip(":") for label in mapping.total_labels}
    return any(text_key(text).rstrip(": ") in labels for text in (row.label, row.first_text) if text)


def _total_mismatches(grid: Grid, header: Header, mapping: ReportMapping, columns: dict[str, int], data: list[_Row],
                      total: _Row | None, problems: list[Problem]) -> dict[str, str]:
    """Columns whose rows do not add up to the total row: field → the problem's sentence."""
    if total is None or not data:
        return {}
    mismatched: dict[str, str] = {}
    for field in sorted(mapping.columns, key=lambda f: columns.get(f, 0)):
        if field not in columns or field in total.bad or any(field in r.bad for r in data):
            continue
        column = columns[field]
        rows_sum = sum(r.values[field].value for r in data)
        written = total.values[field].value
        if rows_sum == written:
            continue
        numbers = sorted(r.number for r in data)
        message = (f"cột {column_letter(column)} '{header.path_text(column)}': tổng các dòng "
                   f"{numbers[0]}–{numbers[-1]} là {format_number(rows_sum, 0)} nhưng dòng tổng "
                   f"(ô {cell_ref(total.number, column)}) ghi "
                   f"{format_number(written, 0)}; chênh lệch {format_number(abs(rows_sum - written), 0)}")
        problems.append(problem(code="report.total_mismatch", file=grid.file, message=message, sheet=grid.sheet,
                                row=total.number, column=column_letter(column), value=str(written)))
        mismatched[field] = message
    return mismatched


def _metrics(values: dict[str, Term], bad: set[str], mapping: ReportMapping,
             broken: dict[str, str]) -> tuple[dict[str, int], dict[str, str], dict[str, list[str]]]:
    """Metrics from one unit's counts; a metric built from a broken field is failed with that field's reason."""
    metrics: dict[str, int] = {}
    failed: dict[str, str] = {}
    cells: dict[str, list[str]] = {}
    for metric, (field, only_separate) in METRIC_SOURCES.items():
        if only_separate and field not in mapping.separate:
            continue
        if not _derivable(field, mapping):
            continue
        terms = quantity(values, bad, field)
        fields = _fields_of(field, mapping)
        reason = next((broken[f] for f in sorted(fields) if f in broken), None)
        if terms is None and reason is None:
            reason = "ô số liệu không đọc được"
        if reason is not None:
            failed[metric] = reason
        if terms is not None:  # a readable number is kept even when it contradicts another: it is shown, not scored
            metrics[metric] = sum(t.value for t in terms)
            cells[metric] = [t.ref for t in terms]
    return metrics, failed, cells


def metrics_of(mapping: ReportMapping) -> list[str]:
    """The metric names a layout gives, whatever the numbers in a file."""
    return sorted(metric for metric, (field, only_separate) in METRIC_SOURCES.items()
                  if (not only_separate or field in mapping.separate) and _derivable(field, mapping))


def _derivable(field: str, mapping: ReportMapping) -> bool:
    """Whether the layout gives a quantity: as a column, or through columns of all its parts."""
    if field in mapping.columns:
        return True
    return any(whole == field and all(_derivable(p, mapping) for p in parts if p not in OPTIONAL_PARTS)
               for whole, parts in SUMS)


def _fields_of(field: str, mapping: ReportMapping) -> set[str]:
    """The columns a quantity is read from: itself when mapped, else its parts, recursively."""
    if field in mapping.columns:
        return {field}
    found: set[str] = set()
    for whole, parts in SUMS:
        if whole == field:
            for part in parts:
                found |= _fields_of(part, mapping)
            if found:
                return found
    return found


def _broken(problem_of: dict[str, Problem], failures: list[Failure], file: str) -> dict[str, str]:
    """Field → why it cannot be used (its cell is unreadable, or an identity it takes part in failed)."""
    broken = {field: _why(p) for field, p in problem_of.items()}
    for failure in failures:
        for field in sorted(failure.fields):
            broken.setdefault(field, failure.message)
    return broken


def _why(p: Problem) -> str:
    place = p.place()
    return f"{place}: {p.message}" + (f" (giá trị: '{p.value}')" if p.value else "")


def _whole_file(grid: Grid, mapping: ReportMapping, data: list[_Row], total: _Row | None,
                failures: dict[int, list[Failure]], column_failures: dict[str, str]) -> ReportUnit:
    if total is not None:
        values, bad, row = total.values, dict(total.bad), total.number
    else:
        values, bad, row = {}, {}, None
        for field in mapping.columns:
            broken_rows = [r for r in data if field in r.bad]
            if broken_rows:
                bad[field] = broken_rows[0].bad[field]
            elif data and all(field in r.values for r in data):
                terms = [r.values[field] for r in data]
                refs = f"{terms[0].ref}:{terms[-1].ref}" if len(terms) > 1 else terms[0].ref
                values[field] = Term(field, terms[0].label, refs, sum(t.value for t in terms))
    for r in data:
        for field, p in r.bad.items():
            bad.setdefault(field, p)
    all_failures = [f for r in data + ([total] if total else []) for f in failures[r.number]]
    broken = _broken(bad, all_failures, grid.file)
    for field, message in column_failures.items():
        broken.setdefault(field, message)
    metrics, failed, cells = _metrics(values, set(bad), mapping, broken)
    return ReportUnit(label=WHOLE_FILE, row=row, metrics=metrics, failed=failed, cells=cells)


def _per_unit(grid: Grid, mapping: ReportMapping, data: list[_Row], failures: dict[int, list[Failure]],
              column_failures: dict[str, str], problems: list[Problem]) -> list[ReportUnit]:
    by_name: dict[str, list[_Row]] = {}
    for row in data:
        by_name.setdefault(text_key(row.label), []).append(row)
    units: list[ReportUnit] = []
    for key in sorted(by_name, key=lambda k: by_name[k][0].number):
        rows = by_name[key]
        first = rows[0]
        broken = _broken(first.bad, failures[first.number], grid.file)
        for field, message in column_failures.items():
            broken.setdefault(field, message)
        if len(rows) > 1:
            message = (f"đơn vị '{first.label}' có {len(rows)} dòng (" + ", ".join(f"dòng {r.number}" for r in rows)
                       + "); không biết dòng nào đúng")
            problems.append(problem(code="report.duplicate_unit", file=grid.file, message=message, sheet=grid.sheet,
                                    row=rows[1].number, value=rows[1].label))
            broken = {field: message for field in mapping.columns}
        metrics, failed, cells = _metrics(first.values, set(first.bad), mapping, broken)
        units.append(ReportUnit(label=first.label, row=first.number, metrics=metrics, failed=failed, cells=cells))
    return units


def _period(grid: Grid, header: Header) -> tuple[date | None, date | None]:
    """The report period when a title row says "từ ngày dd/mm/yyyy đến ngày dd/mm/yyyy"."""
    for number in range(1, header.first_row):
        text = " ".join(c.text for c in grid.rows[number - 1] if c.text)
        match = _PERIOD.search(text)
        if match:
            try:
                return parse_date(match.group(1).replace(" ", "")), parse_date(match.group(2).replace(" ", ""))
            except FormatError:
                return None, None
    return None, None
