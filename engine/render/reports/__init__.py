"""What people read, built from a RunResult: the scoring sheet, corrective plans, the province view, the HTML report.

Each report is built once as format-neutral parts (document.py) and drawn by the XLSX, DOCX or
Markdown writer (render.py); the HTML report has its own template.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from engine.model.criteria import Band
from engine.model.results import RunResult
from engine.render.reports.assessment import assessment_parts, is_assessment, overclaim_rows, unit_gap_rows
from engine.render.reports.common import run_stamp
from engine.render.reports.document import Part
from engine.render.reports.html import html_report
from engine.render.reports.plan import Plan, PlanSection, PlanTask, plan_part, plan_rows, unit_plan, unit_plan_parts
from engine.render.reports.province import ProvinceView, criterion_losses, province_parts, province_plan, province_view
from engine.render.reports.render import to_docx, to_markdown, to_xlsx
from engine.render.reports.sheet import scoring_parts, unit_rows

ReportFormat = Literal["xlsx", "docx", "md", "html"]
PlanFormat = Literal["xlsx", "docx", "md"]

__all__ = [
    "Plan", "PlanSection", "PlanTask", "ProvinceView", "criterion_losses", "html_report", "plan_document",
    "plan_part", "plan_rows", "province_parts", "province_plan", "province_view", "render_parts",
    "report_document", "scoring_parts", "unit_plan", "unit_plan_parts", "unit_rows", "assessment_parts", "is_assessment",
    "overclaim_rows", "unit_gap_rows",
]


def render_parts(parts: list[Part], fmt: PlanFormat, run: RunResult, title: str = "") -> bytes:
    """Draw parts in one of the office formats; bytes ready for output.write_atomic."""
    if fmt == "xlsx":
        return to_xlsx(parts, run_stamp(run))
    if fmt == "docx":
        return to_docx(parts, run_stamp(run), title=title)
    if fmt == "md":
        return to_markdown(parts).encode("utf-8")
    raise ValueError(f"định dạng không hỗ trợ: {fmt}")


def report_document(run: RunResult, fmt: ReportFormat, bands: Sequence[Band] | None = None) -> bytes:
    """The scoring sheet of every unit with the summary (xlsx, docx, md), or the HTML report."""
    bands = run.bands if bands is None else bands
    if fmt == "html":
        return html_report(run, bands).encode("utf-8")
    if is_assessment(run):
        return render_parts(assessment_parts(run, bands), fmt, run,
                            title=f"Bảng điểm tự đánh giá và thẩm định — {run.criteria_set.title}")
    return render_parts(scoring_parts(run, bands), fmt, run, title=f"Bảng tự đánh giá — {run.criteria_set.title}")


def plan_document(run: RunResult, fmt: PlanFormat, province: bool = False, bands: Sequence[Band] | None = None) -> bytes:
    """Each unit's corrective plan, or (province=True) the provincial plan and the province view."""
    bands = run.bands if bands is None else bands
    parts = province_parts(run, bands) if province else unit_plan_parts(run)
    return render_parts(parts, fmt, run, title=f"Kế hoạch khắc phục — {run.criteria_set.title}")
