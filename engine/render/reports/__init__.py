"""What people read, built from a RunResult: the scoring sheet, corrective plans, the province view, the HTML report.

Each report is built once as format-neutral parts (document.py) inside the official frame
(frame.py) and drawn by the XLSX, DOCX or Markdown writer; the HTML report has its own template.
The criteria set (labels, survey criteria, funding of the remediation templates) and the frame
settings are optional: without them the documented defaults apply.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

from engine.core import parallel
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
from engine.render.reports.render import load_libraries, to_docx, to_markdown, to_xlsx
from engine.render.reports.sheet import scoring_parts, unit_rows
from engine.render.reports.words import engine_words, plain_words

ReportFormat = Literal["xlsx", "docx", "md", "html"]
PlanFormat = Literal["xlsx", "docx", "md"]

__all__ = [
    "Plan", "PlanSection", "PlanTask", "ProvinceView", "ReportContext", "criterion_losses", "engine_words",
    "all_documents", "collector_paused", "html_report", "is_assessment", "overclaim_rows", "plain_words", "plan_document", "plan_part", "plan_rows",
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
Document = tuple[DocumentKind, ReportFormat]

POOL_UNITS = 20
"""From this many units, and with more than one core, all_documents draws the documents in worker processes."""
MAX_WORKERS = 4
DRAWING_ORDER: tuple[Document, ...] = (
    ("report", "xlsx"), ("report", "docx"), ("report", "html"), ("plan", "xlsx"), ("plan", "docx"), ("report", "md"),
    ("province", "docx"), ("province", "xlsx"), ("plan", "md"), ("province", "md"))
"""Every document of a run, in the order all_documents returns them."""
HTML: Document = ("report", "html")
MAIN_LANE: tuple[Document, ...] = (("report", "docx"), ("report", "md"))
"""What the main process draws (after building the scoring sheet's parts and running `meanwhile`)."""
EARLY_LANES: tuple[tuple[Document, ...], ...] = (
    (HTML, ("province", "docx"), ("province", "xlsx"), ("province", "md")),
    (("plan", "xlsx"), ("plan", "docx"), ("plan", "md")))
"""Lanes of workers forked as soon as the context is built: each builds the parts it needs itself."""
LATE_LANES: tuple[tuple[Document, ...], ...] = ((("report", "xlsx"),),)
"""Lanes of workers forked once the main process has built the scoring sheet's parts (they inherit them). Measured on
200 units: the main lane (the sheet's parts, the ranking files, the sheet in Word and Markdown) takes about as long as
the early lanes, and the late lane, starting later, a little less (so that two cores stay busy to the end)."""

_PARTS: dict[DocumentKind, Callable[[ReportContext], list[Part]]] = {
    "report": scoring_parts, "plan": unit_plan_parts, "province": province_parts}

_drawing: tuple[ReportContext, dict[DocumentKind, list[Part]], dict[DocumentKind, str]] | None = None


def default_workers(units: int) -> int:
    """Processes for all_documents: one below POOL_UNITS units; else what the shared rule gives a large job (a worker
    per core, none where pools are turned off), at most MAX_WORKERS."""
    if units < POOL_UNITS or "fork" not in multiprocessing.get_all_start_methods():
        return 1  # a worker must inherit the built documents (fork), not receive them
    return max(1, min(parallel.default_workers(parallel.POOL_MIN_ITEMS), MAX_WORKERS))


def _start_drawing(ctx: ReportContext, parts: dict[DocumentKind, list[Part]], titles: dict[DocumentKind, str]) -> None:
    global _drawing
    _drawing = (ctx, parts, titles)


def _draw(document: Document) -> bytes:
    """One document from the context set by _start_drawing (inherited by a forked worker); a kind's parts are built
    the first time one of its documents is drawn in this process."""
    assert _drawing is not None
    ctx, parts, titles = _drawing
    kind, fmt = document
    if fmt == "html":
        with collector_paused():
            return html_report(ctx).encode("utf-8")
    if kind not in parts:
        with collector_paused():
            parts[kind] = _PARTS[kind](ctx)
    return render_parts(parts[kind], fmt, ctx.run, title=titles[kind])


def _draw_lane(lane: tuple[Document, ...]) -> dict[Document, bytes]:
    return {document: _draw(document) for document in lane}


def lanes(workers: int) -> tuple[list[tuple[Document, ...]], list[tuple[Document, ...]]]:
    """The early and late worker lanes for `workers` processes besides the main one (2 at least): lanes beyond them
    are merged into the last early or late lane, so every document is drawn once."""
    early, late = list(EARLY_LANES), list(LATE_LANES)
    if workers < 4:
        late = [tuple(d for lane in late for d in lane)]
    if workers < 3:
        early = [tuple(d for lane in early for d in lane)]
    return early, late


def all_documents(run: RunResult, bands: Sequence[Band] | None = None, criteria: CriteriaSet | None = None,
                  frame: FrameSettings | None = None, workers: int | None = None,
                  meanwhile: Callable[[], None] | None = None) -> dict[Document, bytes]:
    """The scoring sheet (and the HTML report), the units' plans and the provincial plan in every format.

    The same bytes as report_document and plan_document give one by one, from one context, each
    kind's parts built once and drawn in the three office formats. With workers > 1 (None:
    default_workers) documents are drawn in forked processes in lanes, giving the same bytes:
    workers forked at once draw the HTML report, the plans and the province's documents (building
    their own parts) while the main process builds the scoring sheet's parts and runs `meanwhile`
    (other outputs of the same run); a worker forked then draws the sheet's workbook while the main
    process draws it in Word and Markdown. Without workers `meanwhile` runs first.
    """
    ctx = report_context(run, bands, criteria, frame)
    workers = default_workers(len(run.units)) if workers is None else max(1, workers)
    titles: dict[DocumentKind, str] = {"report": _sheet_title(run), "plan": _plan_title(run),
                                       "province": _plan_title(run)}
    try:
        if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
            _start_drawing(ctx, {}, titles)
            if meanwhile is not None:
                meanwhile()
            return {document: _draw(document) for document in DRAWING_ORDER}
        early, late = lanes(workers)
        parts: dict[DocumentKind, list[Part]] = {}
        _start_drawing(ctx, parts, titles)
        with parallel.pool(len(early)) as first:
            started = [first.submit(_draw_lane, lane) for lane in early]  # forked now: they load what they draw with
            load_libraries()  # while they start: the late workers inherit the office libraries
            with collector_paused():
                parts["report"] = scoring_parts(ctx)
            if meanwhile is not None:
                meanwhile()
            with parallel.pool(len(late)) as second:
                following = [second.submit(_draw_lane, lane) for lane in late]  # forked with the sheet's parts
                drawn = _draw_lane(MAIN_LANE)
                for future in following + started:
                    drawn |= future.result()
        return {document: drawn[document] for document in DRAWING_ORDER}
    finally:
        _stop_drawing()


def _stop_drawing() -> None:
    global _drawing
    _drawing = None
