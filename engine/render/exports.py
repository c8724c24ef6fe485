"""How a dossier export or report was read (parindex inspect export): a terminal table, or JSON.

Every text from the file goes into rich Text objects, never markup, so a unit name written as
"[bold]" or ":warning:" prints literally.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from engine.core.problems import Problem
from engine.core.vnformat import format_date, format_number
from engine.load.export_inspection import ExportInspection
from engine.model.names import BUILTIN_METRICS
from engine.render.terminal import rich_table, rich_text

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

LAYOUT_WORDS = {"rows": "mỗi dòng một hồ sơ", "units": "mỗi dòng một đơn vị", "fields": "mỗi dòng một lĩnh vực"}


def _label(name: str) -> str:
    return BUILTIN_METRICS.get(name, (name,))[0]


def inspection_json(inspection: ExportInspection, problems: list[Problem]) -> str:
    """Metrics per unit and every problem with its code, place and value."""
    data = {
        "file": inspection.file,
        "mapping": inspection.mapping,
        "system": inspection.system,
        "layout": inspection.layout,
        "period_start": inspection.period_start.isoformat() if inspection.period_start else None,
        "period_end": inspection.period_end.isoformat() if inspection.period_end else None,
        "units": [u.model_dump(mode="json") for u in inspection.units],
        "problems": [{**p.model_dump(mode="json"), "place": p.place()} for p in problems],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def inspection_table(inspection: ExportInspection) -> Table:
    """One line per unit and metric: value, or why the metric is a data problem."""
    period = ""
    if inspection.period_start and inspection.period_end:
        period = f", kỳ {format_date(inspection.period_start)}–{format_date(inspection.period_end)}"
    title = rich_text(f"{inspection.file} — {inspection.system} ({LAYOUT_WORDS[inspection.layout]}{period})")
    table = rich_table(title=title, title_justify="left", show_lines=False)
    for header, justify in (("Đơn vị", "left"), ("Dòng", "right"), ("Chỉ số", "left"), ("Giá trị", "right"),
                            ("Lỗi dữ liệu", "left")):
        table.add_column(header, justify=justify, overflow="fold")
    for unit in inspection.units:
        names = sorted(set(unit.metrics) | set(unit.data_problems), key=lambda n: list(BUILTIN_METRICS).index(n)
                       if n in BUILTIN_METRICS else len(BUILTIN_METRICS))
        for index, name in enumerate(names):
            value = format_number(unit.metrics[name], 0) if name in unit.metrics else "-"
            why = unit.data_problems.get(name, "")
            table.add_row(rich_text(unit.unit if index == 0 else ""), rich_text(str(unit.row or "") if index == 0 else ""),
                          rich_text(_label(name)), rich_text(value), rich_text(why, style="red" if why else ""))
    return table


def inspection_problem_lines(problems: list[Problem]) -> list[str]:
    """Each problem as one line: its place, message and value (printed literally by the caller)."""
    return [problem.render() for problem in problems]


def inspection_summary(inspection: ExportInspection, problems: list[Problem]) -> str:
    failing = sum(len(u.data_problems) for u in inspection.units)
    return (f"{len(inspection.units)} đơn vị, {len(problems)} vấn đề trong tệp, "
            f"{failing} chỉ số là lỗi dữ liệu" + ("" if problems or failing else "; tệp đọc được trọn vẹn"))
