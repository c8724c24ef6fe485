"""How a plan table or a deadline phrase is read, shown before scoring: a terminal table or JSON.

The JSON `kind` is a documented vocabulary (docs/plan-tables.md), stable for other programs:
due_date, window, after, recurring, continuous, cutoff_window, conditional, milestones, per_level,
none, unreadable. `last_on_time_day` is the last day on which finishing counts as on time, or null.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from engine.core.problems import Problem
from engine.core.vnformat import format_date
from engine.load.deadlines import Deadline, vietnamese_label
from engine.load.plan_tables import PlanImport
from engine.render.terminal import rich_table, rich_text

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

KINDS: dict[str, str] = {
    "date": "due_date", "period_end": "due_date", "window": "window", "after": "after", "recurring": "recurring",
    "continuous": "continuous", "cutoff": "cutoff_window", "conditional": "conditional", "milestones": "milestones",
    "per_level": "per_level", "none": "none", "unreadable": "unreadable",
}
KIND_LABELS: dict[str, str] = {
    "due_date": "hạn hoàn thành", "window": "khoảng thời gian", "after": "sau một mốc", "recurring": "định kỳ",
    "continuous": "thường xuyên", "cutoff_window": "kỳ số liệu (không phải hạn)", "conditional": "có điều kiện",
    "milestones": "nhiều mốc", "per_level": "theo cấp đơn vị", "none": "không ghi thời hạn",
    "unreadable": "không đọc được",
}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _span(deadline: Deadline) -> tuple[date | None, date | None]:
    if deadline.kind == "cutoff":
        return deadline.cutoff_start, deadline.cutoff_end
    if deadline.kind in ("date", "period_end", "window"):
        return deadline.start, deadline.due
    if deadline.kind in ("recurring", "continuous", "after"):
        return deadline.start, deadline.due
    return None, None


def deadline_record(deadline: Deadline) -> dict[str, Any]:
    """One deadline as read, in the documented JSON shape (parts for milestones and per-level deadlines)."""
    start, end = _span(deadline)
    record: dict[str, Any] = {
        "text": deadline.text,
        "kind": KINDS[deadline.kind],
        "last_on_time_day": _iso(deadline.last_on_time_day()),
        "start": _iso(start),
        "end": _iso(end),
        "tentative": deadline.tentative,
        "label": vietnamese_label(deadline),
        "granularity": deadline.granularity,
        "what": deadline.label if not deadline.levels else None,
        "levels": list(deadline.levels),
        "frequency": deadline.frequency,
        "condition": deadline.condition,
        "cutoff_start": _iso(deadline.cutoff_start),
        "cutoff_end": _iso(deadline.cutoff_end),
        "reason": deadline.reason,
    }
    if deadline.parts:
        record["parts"] = [deadline_record(part) for part in deadline.parts]
    return record


def problem_record(problem: Problem) -> dict[str, Any]:
    """A problem with its code, its place in words and the value, for JSON readers."""
    record = problem.model_dump(mode="json")
    record["place"] = problem.place() or None
    return record


def deadline_problems(deadline: Deadline, year: int) -> list[Problem]:
    """The problem an officer must fix in a phrase: unread (with the reason) or empty."""
    if deadline.kind == "unreadable":
        return [Problem(file="(cụm từ thời hạn)", value=deadline.text, code="plan.unreadable_deadline",
                        message="không đọc được thời hạn" + (f": {deadline.reason}" if deadline.reason else "")
                                + f" (năm kế hoạch {year})")]
    if deadline.kind == "none":
        return [Problem(file="(cụm từ thời hạn)", value="", code="plan.no_deadline", severity="warning",
                        message="cụm từ thời hạn để trống")]
    return []


def deadline_json(deadline: Deadline, year: int) -> str:
    return json.dumps({"plan_year": year, "deadline": deadline_record(deadline),
                       "problems": [problem_record(p) for p in deadline_problems(deadline, year)]},
                      ensure_ascii=False, indent=2) + "\n"


def plan_json(imported: PlanImport, problems: list[Problem]) -> str:
    tasks = [{
        "number": row.number,
        "area": row.area,
        "task": row.task,
        "place": {"file": row.source.file, "line": row.source.line, "sheet": row.source.sheet, "row": row.source.row},
        "deadline": deadline_record(row.deadline),
    } for row in imported.rows]
    return json.dumps({"file": imported.file, "plan_year": imported.plan_year, "tasks": tasks,
                       "problems": [problem_record(p) for p in problems]},
                      ensure_ascii=False, indent=2) + "\n"


def _last_day(deadline: Deadline) -> str:
    day = deadline.last_on_time_day()
    return format_date(day) if day is not None else "-"


def deadline_table(deadline: Deadline, year: int) -> Table:
    """The reading of one phrase; every cell is Text, so the phrase prints as typed."""
    table = rich_table(title=rich_text(f"Cách đọc thời hạn (năm kế hoạch {year})"), title_justify="left", show_header=False)
    table.add_column("Mục")
    table.add_column("Giá trị", overflow="fold")
    record = deadline_record(deadline)
    rows = [("Cụm từ", deadline.text), ("Loại", KIND_LABELS[record["kind"]] + f" ({record['kind']})"),
            ("Hạn cuối (còn đúng hạn)", _last_day(deadline)),
            ("Từ ngày", format_date(date.fromisoformat(record["start"])) if record["start"] else "-"),
            ("Đến ngày", format_date(date.fromisoformat(record["end"])) if record["end"] else "-"),
            ("Dự kiến", "có" if deadline.tentative else "không"), ("Cách hiểu", record["label"])]
    for name, value in rows:
        table.add_row(rich_text(name), rich_text(value))
    return table


def plan_table(imported: PlanImport) -> Table:
    """One row per task: number, task, the deadline as written, its kind, the last on-time day and the reading."""
    table = rich_table(title=rich_text(f"{imported.file}: {len(imported.rows)} nhiệm vụ, năm kế hoạch {imported.plan_year}"),
                  title_justify="left", show_lines=False)
    for header in ("STT", "Nhiệm vụ", "Thời hạn ghi trong bảng", "Loại", "Hạn cuối", "Cách hiểu"):
        table.add_column(header, overflow="fold")
    for row in imported.rows:
        task = row.task if len(row.task) <= 60 else row.task[:59] + "…"
        kind = KINDS[row.deadline.kind]
        table.add_row(*(rich_text(cell) for cell in (row.number, task, row.deadline.text or "-", KIND_LABELS[kind],
                                                _last_day(row.deadline), vietnamese_label(row.deadline))))
    return table
