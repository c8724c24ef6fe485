"""The HTML report: one self-contained page (inline CSS, inline SVG chart, no scripts, no network).

The chart's geometry is computed here; its labels, like every other text from evidence, are
written by the jinja2 template with autoescaping on.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from engine.core.vnformat import format_date
from engine.model.criteria import Band
from engine.model.results import RunResult, UnitResult
from engine.render.reports.assessment import is_assessment, overclaims
from engine.render.reports.common import area_titles, average_area_index, percent, points, run_stamp
from engine.render.reports.province import gap_text, names_text, province_view
from engine.render.reports.sheet import band_rows
from engine.render.text import lost_points

TEMPLATES = Path(__file__).resolve().parent / "templates"
UNIT_COLOR = "#2563eb"
AVERAGE_COLOR = "#9ca3af"
TOP_LOSSES = 10


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["date"] = format_date
    env.filters["num"] = points
    env.filters["pct"] = percent
    env.filters["gaps"] = gap_text
    env.filters["names"] = names_text
    return env


def _wrap(label: str, width: int = 40, lines: int = 2) -> list[str]:
    wrapped = textwrap.wrap(label, width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return wrapped


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]],
              width: int = 880) -> dict:
    """Horizontal bars (0–100%) per label, one bar per series; returns coordinates for the SVG template."""
    label_width, value_room, bar_height, gap, top = 300, 56, 14, 3, 26
    x0 = label_width + 10
    span = width - x0 - value_room
    rows = []
    y = top
    for position, label in enumerate(labels):
        lines = _wrap(label)
        height = max(len(series) * (bar_height + gap) + 10, len(lines) * 15 + 8)
        bars = []
        bar_y = y + (height - len(series) * (bar_height + gap)) / 2
        for name, color, values in series:
            value = values[position]
            length = 0.0 if value is None else max(0.0, min(value, 100.0)) / 100 * span
            bars.append({"x": x0, "y": round(bar_y, 1), "w": round(length, 1), "h": bar_height, "color": color,
                         "text": "không áp dụng" if value is None else percent(value), "name": name,
                         "text_x": round(x0 + length + 4, 1), "text_y": round(bar_y + bar_height - 3, 1)})
            bar_y += bar_height + gap
        first_line = y + height / 2 - (len(lines) - 1) * 7.5 + 4
        rows.append({"label": label, "lines": [{"text": t, "y": round(first_line + i * 15, 1)} for i, t in enumerate(lines)],
                     "bars": bars, "y": y, "height": height})
        y += height
    grid = [{"x": round(x0 + v / 100 * span, 1), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)]
    legend = []
    if len(series) > 1:
        legend_x = x0
        for name, color, _ in series:
            legend.append({"x": legend_x, "y": y + 10, "color": color, "name": name})
            legend_x += 24 + 8 * len(name) + 24
        y += 30
    return {"width": width, "height": round(y + 8), "x0": x0, "top": top, "bottom": y, "label_x": label_width,
            "rows": rows, "grid": grid, "legend": legend}


def _unit_context(unit: UnitResult, labels: list[str], area_ids: list[str], averages: dict, many: bool) -> dict:
    own = {a.id: a.index_pct for a in unit.areas}
    series = [(unit.name, UNIT_COLOR, [own.get(a) for a in area_ids])]
    if many:
        series.append(("Bình quân các đơn vị", AVERAGE_COLOR, [averages.get(a) for a in area_ids]))
    lost = lost_points(unit)
    return {"unit": unit, "chart": bar_chart(labels, series), "lost": lost,
            "lost_total": round(sum(n.remediation.recoverable_points for n in lost), 6)}


def html_report(run: RunResult, bands: Sequence[Band] = ()) -> str:
    """The whole run as one HTML page: summary, ranking, chart, weak spots, one section per unit."""
    areas = area_titles(run)
    area_ids = [a for a, _ in areas]
    labels = [f"{a}. {t}" for a, t in areas]
    averages = average_area_index(run)
    many = len(run.units) > 1
    view = province_view(run, bands)
    if many:
        overview = bar_chart(labels, [("Bình quân các đơn vị", UNIT_COLOR, [averages.get(a) for a in area_ids])])
    else:
        overview = None
    context = {
        "run": run,
        "ref": run.criteria_set,
        "as_of": run_stamp(run).strftime("%d/%m/%Y") if run.units else "-",
        "view": view,
        "top_losses": view.losses[:TOP_LOSSES],
        "band_rows": band_rows(run, bands),
        "overview": overview,
        "areas": areas,
        "units": [_unit_context(u, labels, area_ids, averages, many) for u in run.units],
        "data_problems": sum(u.data_problems for u in run.units),
        "many": many,
        "assessed": is_assessment(run),
        "overclaims": overclaims(run) if is_assessment(run) else [],
    }
    return _environment().get_template("report.html.j2").render(context)
