"""Problem reporting: every row of an export that is not counted, named by file, row, column and value.

Repeated problems are grouped so that a million bad rows make a handful of problems, not a
million: at most MAX_LISTED_VALUES values, each with its first MAX_LISTED_ROWS rows.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from engine.core.problems import Problem
from engine.core.vnformat import format_date, format_number
from engine.load.dossiers.columnar import RepeatGroups
from engine.load.dossiers.mapping import DossierMapping
from engine.load.dossiers.rows import (
    FLAG_FIELDS,
    PERIOD_AFTER,
    PERIOD_BEFORE,
    PERIOD_MISSING,
    Column,
    IdColumn,
    RowClasses,
    RowNumbers,
)

if TYPE_CHECKING:
    import numpy as np


MAX_LISTED_ROWS = 20


MAX_LISTED_VALUES = 20


def rows_text(rows: np.ndarray, total: int) -> str:
    listed = ", ".join(str(int(r)) for r in rows[:MAX_LISTED_ROWS])
    more = total - min(total, MAX_LISTED_ROWS)
    return f"dòng {listed}" + (f" và {format_number(more, 0)} dòng khác" if more else "")


def count_text(n: int) -> str:
    return format_number(n, 0)


class Reporter:
    """Builds grouped problems for one file: at most MAX_LISTED_VALUES values × MAX_LISTED_ROWS rows each."""

    def __init__(self, file: str, sheet: str | None, row_numbers: np.ndarray | RowNumbers):
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
            self.add(f"{message}: {count_text(len(rows))} dòng ({rows_text(rows, len(rows))})", int(rows[0]), code=code)

    def rows_of(self, mask: np.ndarray, message: str, column: str | None, values: Column | None = None, *,
                code: str) -> None:
        """One problem for all rows in `mask`: message + count + first rows; value of the first row."""
        import numpy as np
        index = np.flatnonzero(mask)
        if not len(index):
            return
        first = int(index[0])
        value = values.text(first) if values is not None else None
        self.add(f"{message}: {count_text(len(index))} dòng ({rows_text(self.rows[index], len(index))})",
                 int(self.rows[first]), column, value, code=code)

    def by_value(self, mask: np.ndarray, column: Column | IdColumn, message: Any, rest: str,
                 group: RepeatGroups | None = None, *, code: str) -> None:
        """One problem per distinct value (first MAX_LISTED_VALUES by first row), then one for the rest.

        `message(text, count, rows_text, first_index)` words the problem for one value, `rest` names
        the kind of problem for the summary of the other values; `group` overrides the column codes
        as the grouping key (e.g. normalised dossier ids).
        """
        import numpy as np
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
            self.add(message(text, int(counts[k]), rows_text(self.rows[rows], len(rows)), first),
                     int(self.rows[first]), column.header, text, code=code)
        if len(order) > MAX_LISTED_VALUES:
            others = order[MAX_LISTED_VALUES:]
            rows = index[np.isin(codes, distinct[others])]
            examples = ", ".join(f"'{column.text(int(index[first_pos[k]]))}'" for k in others[:5])
            self.add(f"còn {count_text(len(others))} giá trị khác cùng lỗi ({rest}), ví dụ {examples}: "
                     f"{count_text(len(rows))} dòng ({rows_text(self.rows[rows], len(rows))})",
                     int(self.rows[rows[0]]), column.header, code=code)


def report_rows(rows: RowClasses, mapping: DossierMapping, file: str, period_start: date,
                period_end: date) -> list[Problem]:
    """The problems of every row that was not counted, or was counted with a value not understood."""
    import numpy as np
    table, columns, ids, row_numbers = rows.table, rows.columns, rows.ids, rows.row_numbers
    malformed, missing_id, duplicate, id_group = rows.malformed, rows.missing_id, rows.duplicate, rows.id_group
    unknown_unit, unknown_status, flag_unknown = rows.unknown_unit, rows.unknown_status, rows.flag_unknown
    period_field, fallback, digitized_unresolved = rows.period_field, rows.fallback, rows.digitized_unresolved
    unit_column, status_column = columns["unit"], columns["status"]
    report = Reporter(file, table.sheet, row_numbers)
    period_text = f"{format_date(period_start)}–{format_date(period_end)}"
    system = mapping.system
    report.numbers(np.union1d(row_numbers[malformed], np.array(table.skipped, dtype=np.int64)),
                   "dòng có nhiều ô hơn dòng tiêu đề, thường do dấu phẩy trong nội dung không nằm trong ngoặc kép; "
                   "các ô bị lệch cột nên dòng không được tính", code="dossier.extra_cells")
    report.rows_of(missing_id, "thiếu mã hồ sơ, không được tính", ids.header, code="dossier.missing_id")

    def first_of(code: int) -> int:
        return int(row_numbers[int(id_group.first[code])])

    report.by_value(
        duplicate, ids,
        lambda text, n, rows, first: (f"mã hồ sơ '{text}' lặp lại (lần đầu ở dòng {first_of(id_group[first])}); "
                                      f"không tính {count_text(n)} dòng lặp ({rows})"),
        "mã hồ sơ lặp lại; chỉ tính lần đầu", group=id_group, code="dossier.duplicate_id",
    )
    report.by_value(
        unknown_unit, unit_column,
        lambda text, n, rows, first: (f"đơn vị '{text}' không có trong bảng bí danh đơn vị; "
                                      f"không tính {count_text(n)} dòng ({rows})" if text
                                      else f"thiếu đơn vị; không tính {count_text(n)} dòng ({rows})"),
        "đơn vị không có trong bảng bí danh đơn vị; không tính", code="dossier.unknown_unit",
    )
    report.by_value(
        unknown_status, status_column,
        lambda text, n, rows, first: (f"trạng thái '{text}' không có trong ánh xạ của '{system}'; "
                                      f"không tính {count_text(n)} dòng ({rows})" if text
                                      else f"thiếu trạng thái; không tính {count_text(n)} dòng ({rows})"),
        f"trạng thái không có trong ánh xạ của '{system}'; không tính", code="dossier.unknown_status",
    )
    unreadable: list[tuple[np.ndarray, str, bool]] = []
    for field, bad in rows.unreadable.items():
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
                f"{c} {count_text(n)} dòng ({rows})"),
            f"ngày không đọc được; {consequence.rstrip(',')}",
            code="dossier.unreadable_date" if excluded else "dossier.unreadable_date_counted",
        )
    period_missing = rows.period_rows(PERIOD_MISSING)
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
    report.rows_of(rows.period_rows(PERIOD_BEFORE), f"{label} trước kỳ {period_text}, không được tính",
                   period_column.header, period_column, code="dossier.before_period")
    report.rows_of(rows.period_rows(PERIOD_AFTER), f"{label} sau kỳ {period_text}, không được tính",
                   period_column.header, period_column, code="dossier.after_period")
    accepted = (f"có: {', '.join(mapping.truthy)}; không: {', '.join(mapping.falsy)}, để trống "
                f"hoặc số 0 (kiểu số {mapping.number_style})")
    for field in FLAG_FIELDS:
        report.by_value(
            flag_unknown[field], columns[field],
            lambda text, n, rows, first: (f"giá trị '{text}' không nhận ra ({accepted}); "
                                          f"coi là không ở {count_text(n)} dòng ({rows})"),
            "giá trị không nhận ra; coi là không", code="dossier.unknown_flag",
        )
    report.rows_of(digitized_unresolved,
                   "hồ sơ chưa giải quyết xong nhưng được đánh dấu số hóa kết quả; không tính vào results_digitized",
                   columns["digitized_result"].header, columns["digitized_result"], code="dossier.digitized_unresolved")
    return report.problems
