"""What people read, built from a RunResult: the scoring sheet, corrective plans, the province view, the HTML report.

Each report is built once as format-neutral parts (document.py) inside the official frame
(frame.py) and drawn by the XLSX, DOCX or Markdown writer; the HTML report has its own template.
The criteria set (labels, survey criteria, funding of the remediation templates) and the frame
settings are optional: without them the documented defaults apply.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

from engine.kinds.tree import CriteriaSet
from engine.model.criteria import Band
from engine.model.frame import FrameSettings
from engine.model.results import RunResult
from engine.render.reports.assessment import is_assessment, overclaim_rows, unit_gap_rows
from engine.render.reports.common import run_stamp
from engine.render.reports.context import ReportContext, report_context
from engine.render.reports.document import Part
from engine.render.reports.html import html_report
from engine.render.reports.plan import Plan, PlanSection, PlanTask, plan_part, plan_rows, unit_plan, unit_plan_parts
from engine.render.reports.province import ProvinceView, criterion_losses, province_parts, province_plan, province_view
from engine.render.reports.render import to_docx, to_markdown, to_xlsx
from engine.render.reports.sheet import scoring_parts, unit_rows
from engine.render.reports.words import engine_words, plain_words

ReportFormat = Literal["xlsx", "docx", "md", "html"]
PlanFormat = Literal["xlsx", "docx", "md"]

__all__ = [
    "Plan", "PlanSection", "PlanTask", "ProvinceView", "ReportContext", "criterion_losses", "engine_words",
    "all_documents", "html_report", "is_assessment", "overclaim_rows", "plain_words", "plan_document", "plan_part", "plan_rows",
    "province_parts", "province_plan", "province_view", "render_parts", "report_context", "report_document",
    "scoring_parts", "unit_gap_rows", "unit_plan", "unit_plan_parts", "unit_rows",
]


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a document is drawn.

    Drawing allocates many short-lived objects beside a large run; each full collection would
    walk every object of the run again. Collection resumes (if it was on) when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def render_parts(parts: list[Part], fmt: PlanFormat, run: RunResult, title: str = "") -> bytes:
    """Draw parts in one of the office formats; bytes ready for data.write_atomic."""
    with collector_paused():
        if fmt == "xlsx":
            return to_xlsx(parts, run_stamp(run))
        if fmt == "docx":
            return to_docx(parts, run_stamp(run), title=title)
        if fmt == "md":
            return to_markdown(parts).encode("utf-8")
    raise ValueError(f"định dạng không hỗ trợ: {fmt}")


def _sheet_title(run: RunResult) -> str:
    title = "Bảng điểm tự đánh giá và thẩm định" if is_assessment(run) else "Bảng tự đánh giá"
    return f"{title} — {run.criteria_set.title}"


def _plan_title(run: RunResult) -> str:
    return f"Kế hoạch khắc phục — {run.criteria_set.title}"


def report_document(run: RunResult, fmt: ReportFormat, bands: Sequence[Band] | None = None,
                    criteria: CriteriaSet | None = None, frame: FrameSettings | None = None) -> bytes:
    """The scoring sheet of every unit with the summary (xlsx, docx, md), or the HTML report."""
    ctx = report_context(run, bands, criteria, frame)
    if fmt == "html":
        with collector_paused():
            return html_report(ctx).encode("utf-8")
    return render_parts(scoring_parts(ctx), fmt, run, title=_sheet_title(run))


def plan_document(run: RunResult, fmt: PlanFormat, province: bool = False, bands: Sequence[Band] | None = None,
                  criteria: CriteriaSet | None = None, frame: FrameSettings | None = None) -> bytes:
    """Each unit's corrective plan, or (province=True) the provincial plan and the province view."""
    ctx = report_context(run, bands, criteria, frame)
    parts = province_parts(ctx) if province else unit_plan_parts(ctx)
    return render_parts(parts, fmt, run, title=_plan_title(run))


DocumentKind = Literal["report", "plan", "province"]


def all_documents(run: RunResult, bands: Sequence[Band] | None = None, criteria: CriteriaSet | None = None,
                  frame: FrameSettings | None = None) -> dict[tuple[DocumentKind, ReportFormat], bytes]:
    """The scoring sheet (and the HTML report), the units' plans and the provincial plan in every format.

    The same bytes as report_document and plan_document give one by one, from one context, each
    document's parts built once and drawn in the three office formats.
    """
    ctx = report_context(run, bands, criteria, frame)
    with collector_paused():
        documents: dict[tuple[DocumentKind, ReportFormat], bytes] = {("report", "html"): html_report(ctx).encode("utf-8")}
        kinds: list[tuple[DocumentKind, list[Part], str]] = [
            ("report", scoring_parts(ctx), _sheet_title(run)), ("plan", unit_plan_parts(ctx), _plan_title(run)),
            ("province", province_parts(ctx), _plan_title(run))]
        for kind, parts, title in kinds:
            for fmt in ("xlsx", "docx", "md"):
                documents[(kind, fmt)] = render_parts(parts, fmt, run, title=title)
    return documents
