"""The HTML report: one self-contained page (inline CSS, inline SVG charts, no scripts, no network).

Usable on a 390 px phone: tables scroll inside their own box, and each chart is drawn twice, wide
(labels beside the bars) and narrow (labels above them), CSS showing the one that fits, so its
text stays at reading size. Printed, every unit starts on a new page with a one-page summary
before its details; the page margin carries the page number and the unit's name (named pages).
Every text from evidence is escaped: by the jinja2 template (autoescaping on), or by markupsafe's
escape where a part repeated in every unit is written in Python (charts, criteria trails; a property
test holds these to the template's text); the unit names placed in CSS strings are escaped for CSS.
"""

from __future__ import annotations

import textwrap
from functools import cache, lru_cache
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from engine.core.vnformat import format_date
from engine.model.results import NodeResult, UnitResult
from engine.render.reports.assessment import is_assessment, overclaims
from engine.render.reports.common import area_titles, average_area_index, percent, points, run_stamp
from engine.render.reports.context import ReportContext
from engine.render.reports.frame import run_check_code
from engine.render.reports.province import gap_text, names_text, province_view
from engine.render.reports.sheet import band_rows, survey_pending
from engine.render.text import lost_points, not_due_points

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
UNIT_COLOR = "#2563eb"
AVERAGE_COLOR = "#9ca3af"
TOP_LOSSES = 10
WIDE, NARROW = 880, 360


def css_string(text: str) -> Markup:
    """A CSS string literal: every character other than a letter, digit or space as a hex escape (safe in <style>)."""
    return Markup('"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"')


@cache
def _environment() -> Environment:
    """The template environment, built and its templates compiled once per process."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["date"] = format_date
    env.filters["num"] = points
    env.filters["pct"] = percent
    env.filters["gaps"] = gap_text
    env.filters["names"] = names_text
    env.filters["css"] = css_string
    env.globals["svg_chart"] = svg_chart
    return env


@lru_cache(maxsize=4096)
def _wrap(label: str, width: int = 40, lines: int = 2) -> tuple[str, ...]:
    """A chart label in at most `lines` lines (every unit's chart repeats the same labels: wrapped once)."""
    wrapped = textwrap.wrap(label, width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return tuple(wrapped)


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]],
              width: int = WIDE) -> dict:
    """Horizontal bars (0–100%) per label, one bar per series; returns coordinates for the SVG template.

    Wide charts put each label left of its bars; narrow ones (under 500 units) put it above them.
    """
    narrow = width < 500
    label_width = 0 if narrow else 300
    value_room, bar_height, gap, top = 56, 14, 3, 26
    x0 = 4 if narrow else label_width + 10
    span = width - x0 - value_room
    rows = []
    y = top
    for position, label in enumerate(labels):
        lines = _wrap(label, 52 if narrow else 40)
        label_height = len(lines) * 15 + 4 if narrow else 0
        bars_height = len(series) * (bar_height + gap)
        height = label_height + bars_height + 10 if narrow else max(bars_height + 10, len(lines) * 15 + 8)
        bars = []
        bar_y = y + label_height + (5 if narrow else (height - bars_height) / 2)
        for name, color, values in series:
            value = values[position]
            length = 0.0 if value is None else max(0.0, min(value, 100.0)) / 100 * span
            bars.append({"x": x0, "y": round(bar_y, 1), "w": round(length, 1), "h": bar_height, "color": color,
                         "text": "không áp dụng" if value is None else percent(value), "name": name,
                         "text_x": round(x0 + length + 4, 1), "text_y": round(bar_y + bar_height - 3, 1)})
            bar_y += bar_height + gap
        if narrow:
            text_lines = [{"text": t, "y": round(y + 13 + i * 15, 1)} for i, t in enumerate(lines)]
        else:
            first_line = y + height / 2 - (len(lines) - 1) * 7.5 + 4
            text_lines = [{"text": t, "y": round(first_line + i * 15, 1)} for i, t in enumerate(lines)]
        rows.append({"label": label, "lines": text_lines, "bars": bars, "y": y, "height": height})
        y += height
    grid = [{"x": round(x0 + v / 100 * span, 1), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)]
    legend = []
    if len(series) > 1:
        legend_x, legend_y = x0, y + 10
        for name, color, _ in series:
            if narrow and legend:
                legend_x, legend_y = x0, legend_y + 20
            legend.append({"x": legend_x, "y": legend_y, "color": color, "name": name})
            legend_x += 24 + 8 * len(name) + 24
        y = legend_y + 20
    return {"width": width, "height": round(y + 8), "x0": x0, "top": top, "bottom": y, "label_x": label_width,
            "narrow": narrow, "rows": rows, "grid": grid, "legend": legend}


def svg_chart(chart: dict, title: str, css: str) -> Markup:
    """One chart (from bar_chart) as inline SVG, every text escaped; written here rather than in the template
    because a province's report draws two per unit and the template's loops cost several times more."""
    top, bottom = chart["top"], chart["bottom"]
    label = escape(title)
    out = [f'<svg class="chart {escape(css)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart["width"]} '
           f'{chart["height"]}" width="{chart["width"]}" role="img" aria-label="{label}">\n  <title>{label}</title>\n']
    for line in chart["grid"]:
        out.append(f'  <line x1="{line["x"]}" y1="{top - 6}" x2="{line["x"]}" y2="{bottom}" stroke="#e5e7eb" '
                   f'stroke-width="1"/>\n  <text x="{line["x"]}" y="{top - 10}" text-anchor="middle" font-size="11" '
                   f'fill="#6b7280">{escape(line["label"])}</text>\n')
    x, anchor = (chart["x0"], "start") if chart["narrow"] else (chart["label_x"], "end")
    for row in chart["rows"]:
        out.append(f'  <g>\n    <title>{escape(row["label"])}</title>\n')
        for line in row["lines"]:
            out.append(f'    <text x="{x}" y="{line["y"]}" text-anchor="{anchor}" font-size="12" fill="#1f2937">'
                       f'{escape(line["text"])}</text>\n')
        for bar in row["bars"]:
            text = escape(bar["text"])
            out.append(f'    <rect x="{bar["x"]}" y="{bar["y"]}" width="{bar["w"]}" height="{bar["h"]}" '
                       f'fill="{escape(bar["color"])}" rx="2"><title>{escape(bar["name"])}: {text}</title></rect>\n'
                       f'    <text x="{bar["text_x"]}" y="{bar["text_y"]}" font-size="11" fill="#374151">{text}</text>\n')
        out.append("  </g>\n")
    for item in chart["legend"]:
        out.append(f'  <rect x="{item["x"]}" y="{item["y"]}" width="14" height="14" fill="{escape(item["color"])}" '
                   f'rx="2"/>\n  <text x="{item["x"] + 20}" y="{item["y"] + 12}" font-size="12" fill="#1f2937">'
                   f'{escape(item["name"])}</text>\n')
    out.append("</svg>\n")
    return Markup("".join(out))


def charts(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]]) -> dict:
    return {"wide": bar_chart(labels, series, WIDE), "narrow": bar_chart(labels, series, NARROW)}


def _observation(ctx: ReportContext, name: str, value: str, ref: str | None) -> dict:
    return {"name": ctx.words(name), "value": ctx.words(value),
            "ref": ctx.words(ref) if ref and ref != value else None}


def _item(ctx: ReportContext, node: NodeResult) -> dict:
    """A lost or not-yet-due criterion in plain words, with its corrective task."""
    exp = node.explanation
    rem = node.remediation
    return {
        "id": node.id, "title": node.title, "status": node.status, "status_label": node.status_label,
        "max_points": node.max_points, "points": rem.recoverable_points,
        "rule": ctx.words(exp.rule), "expected": ctx.words(exp.expected), "branch": ctx.words(exp.branch),
        "observed": [_observation(ctx, o.name, o.value, o.ref) for o in exp.observed],
        "problems": [ctx.words(p) for p in exp.problems], "missing": [ctx.words(m) for m in node.missing],
        "task": ctx.words(rem.task), "product": rem.product, "lead": rem.lead, "cooperating": rem.cooperating,
        "deadline": rem.deadline,
    }


def _lost_html(i: dict) -> str:
    """A lost criterion's trail, as the template once wrote it; in Python because a province's report has thousands
    (every text escaped)."""
    if i["observed"]:
        observed = "<ul>" + "".join(
            f'<li>{escape(o["name"])}: {escape(o["value"])}'
            + (f' <span class="muted">({escape(o["ref"])})</span>' if o["ref"] else "") + "</li>"
            for o in i["observed"]) + "</ul>"
    else:
        observed = "không có minh chứng"
    status = escape(i["status"])
    return (f'  <div class="lost st-border-{status}">\n'
            f'    <h5>{escape(i["id"])} {escape(i["title"])} — mất {escape(points(i["points"]))} / '
            f'{escape(points(i["max_points"]))} điểm <span class="badge st-{status}">{escape(i["status_label"])}</span>'
            f'</h5>\n    <dl class="trail">\n'
            f'      <dt>Quy tắc</dt><dd>{escape(i["rule"])}</dd>\n'
            f'      <dt>Yêu cầu</dt><dd>{escape(i["expected"])}</dd>\n'
            f'      <dt>Thực tế</dt><dd>{observed}</dd>\n'
            f'      <dt>Kết luận</dt><dd>{escape(i["branch"])}</dd>\n'
            + "".join(f'<dt>Lỗi dữ liệu</dt><dd class="problem">{escape(p)}</dd>' for p in i["problems"])
            + (f'<dt>Minh chứng còn thiếu</dt><dd>{"; ".join(escape(m) for m in i["missing"])}</dd>'
               if i["missing"] else "")
            + f'      <dt>Nhiệm vụ khắc phục</dt><dd>{escape(i["task"])}'
            + (f'<br><span class="muted">Sản phẩm:</span> {escape(i["product"])}' if i["product"] else "")
            + (f'<br><span class="muted">Chủ trì:</span> {escape(i["lead"])}' if i["lead"] else "")
            + (f'; <span class="muted">phối hợp:</span> {", ".join(escape(c) for c in i["cooperating"])}'
               if i["cooperating"] else "")
            + (f'<br><span class="muted">Thời gian:</span> {escape(i["deadline"])}' if i["deadline"] else "")
            + "</dd>\n    </dl>\n  </div>\n")


def _due_html(i: dict) -> str:
    """A criterion not yet due, as the template once wrote it (see _lost_html)."""
    return (f'  <div class="lost st-border-not_due">\n'
            f'    <h5>{escape(i["id"])} {escape(i["title"])} — {escape(points(i["points"]))} điểm chưa chấm '
            f'<span class="badge st-not_due">{escape(i["status_label"])}</span></h5>\n    <dl class="trail">\n'
            f'      <dt>Yêu cầu</dt><dd>{escape(i["expected"])}</dd>\n'
            f'      <dt>Hiện trạng</dt><dd>{escape(i["branch"])}</dd>\n'
            f'      <dt>Việc cần làm đúng hạn</dt><dd>{escape(i["task"])}'
            + (f'<br><span class="muted">Chủ trì:</span> {escape(i["lead"])}' if i["lead"] else "")
            + (f'<br><span class="muted">Thời gian:</span> {escape(i["deadline"])}' if i["deadline"] else "")
            + "</dd>\n    </dl>\n  </div>\n")


def _unit_context(ctx: ReportContext, unit: UnitResult, number: int, labels: list[str], area_ids: list[str],
                  averages: dict, many: bool) -> dict:
    own = {a.id: a.index_pct for a in unit.areas}
    series = [(unit.name, UNIT_COLOR, [own.get(a) for a in area_ids])]
    if many:
        series.append(("Bình quân các đơn vị", AVERAGE_COLOR, [averages.get(a) for a in area_ids]))
    lost = [_item(ctx, n) for n in lost_points(unit)]
    due = [_item(ctx, n) for n in not_due_points(unit)]
    survey = [n for n in unit.nodes if n.is_leaf and ctx.is_survey(n) and survey_pending(n)]
    return {"unit": unit, "number": number, "chart": charts(labels, series), "lost": lost, "not_due": due,
            "lost_html": Markup("".join(_lost_html(i) for i in lost)), "due_html": Markup("".join(_due_html(i) for i in due)),
            "survey_pending": survey, "warnings": [ctx.words(w) for w in unit.warnings],
            "lost_total": round(sum(i["points"] for i in lost), 6), "due_total": round(sum(i["points"] for i in due), 6)}


def html_report(ctx: ReportContext) -> str:
    """The whole run as one HTML page: summary, ranking, chart, weak spots, then each unit (summary page, details)."""
    run, bands = ctx.run, ctx.bands
    areas = area_titles(run)
    area_ids = [a for a, _ in areas]
    labels = [f"{a}. {t}" for a, t in areas]
    averages = average_area_index(run)
    many = len(run.units) > 1
    view = province_view(run, bands)
    overview = charts(labels, [("Bình quân các đơn vị", UNIT_COLOR, [averages.get(a) for a in area_ids])]) if many else None
    context = {
        "run": run,
        "ref": run.criteria_set,
        "as_of": run_stamp(run).strftime("%d/%m/%Y") if run.units else "-",
        "view": view,
        "top_losses": view.losses[:TOP_LOSSES],
        "band_rows": band_rows(run, bands),
        "overview": overview,
        "areas": areas,
        "units": [_unit_context(ctx, u, n, labels, area_ids, averages, many) for n, u in enumerate(run.units, start=1)],
        "data_problems": sum(u.data_problems for u in run.units),
        "many": many,
        "check_code": run_check_code(run) if run.units else "",
        "assessed": is_assessment(run),
        "overclaims": overclaims(run) if is_assessment(run) else [],
    }
    return _environment().get_template("report.html.j2").render(context)
