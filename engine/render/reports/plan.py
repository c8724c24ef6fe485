"""The corrective plan in the appendix layout of the annual PAR plans (shared/seeds/000).

"PHỤ LỤC — KẾ HOẠCH KHẮC PHỤC CÁC TIÊU CHÍ CHƯA ĐẠT ĐIỂM TỐI ĐA (Kèm theo Kế hoạch số …)", columns
STT | Nhiệm vụ chung | Nhiệm vụ cụ thể | Sản phẩm | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian
hoàn thành | Kinh phí. Areas follow the set's order (I, II, … over the areas that have tasks);
within an area the tasks that recover the most points come first; task numbers run on across
areas, as in the seeds. Criteria that were not yet due at the as-of date lost nothing: their tasks
come last, under their own heading.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import Field

from engine.core.ids import natural_key
from engine.core.vnformat import format_number
from engine.model.results import RemediationTask, UnitResult
from engine.render.reports.common import area_titles, roman
from engine.render.reports.context import ReportContext
from engine.render.reports.document import Column, Frozen, Paragraph, Part, Row, Table
from engine.render.reports.frame import BLANK, Issuer, closing, letterhead, unit_check_code, unit_issuer

PLAN_TITLE = "KẾ HOẠCH KHẮC PHỤC CÁC TIÊU CHÍ CHƯA ĐẠT ĐIỂM TỐI ĐA"
APPENDIX = "PHỤ LỤC"
UPCOMING = "Các tiêu chí chưa đến hạn tại ngày chốt số liệu (chưa chấm điểm, không phải điểm bị mất)"
PLAN_COLUMNS = (
    Column(header="STT", width=6),
    Column(header="Nhiệm vụ chung", width=28),
    Column(header="Nhiệm vụ cụ thể", width=38),
    Column(header="Sản phẩm", width=24),
    Column(header="Cơ quan chủ trì", width=19),
    Column(header="Cơ quan phối hợp", width=21),
    Column(header="Thời gian hoàn thành", width=15),
    Column(header="Kinh phí", width=14),
)


class UnitGap(Frozen):
    """A unit named in a provincial task, with the points it can recover there."""

    name: str
    points: float


class PlanTask(RemediationTask):
    """A corrective task as planned: the unit's task, the criterion's title, its funding and, province-wide, its units."""

    criterion_title: str
    funding: str | None = None
    due: bool = Field(True, description="False when the criterion was not yet due at the as-of date")
    units: list[UnitGap] = Field(default_factory=list, description="Provincial plan: the units with this gap")


class PlanSection(Frozen):
    area: str
    area_title: str
    recoverable_points: float
    tasks: list[PlanTask]


class Plan(Frozen):
    """A corrective plan: whose it is, for which set, its areas in the set's order, and the tasks not yet due."""

    owner: str
    criteria_title: str
    sections: list[PlanSection]
    upcoming: list[PlanTask] = Field(default_factory=list)

    @property
    def recoverable_points(self) -> float:
        return round(sum(s.recoverable_points for s in self.sections), 6)

    @property
    def task_count(self) -> int:
        return sum(len(s.tasks) for s in self.sections) + len(self.upcoming)


def _task_order(task: PlanTask) -> tuple:
    return (-task.recoverable_points, -len(task.units), natural_key(task.criterion))


def build_sections(tasks: Iterable[PlanTask], areas: Sequence[tuple[str, str]]) -> list[PlanSection]:
    """Group tasks by area in the set's order; within an area the most recoverable task first."""
    by_area: dict[str, list[PlanTask]] = {}
    for task in tasks:
        by_area.setdefault(task.area, []).append(task)
    titles = dict(areas)
    order = [area for area, _ in areas] + sorted((a for a in by_area if a not in titles), key=natural_key)
    sections = []
    for area in order:
        items = sorted(by_area.get(area, []), key=_task_order)
        if items:
            sections.append(PlanSection(area=area, area_title=titles.get(area, area), tasks=items,
                                        recoverable_points=round(sum(t.recoverable_points for t in items), 6)))
    return sections


def funding_of(ctx: ReportContext, task: RemediationTask) -> str | None:
    """The Kinh phí text: the task's own when it is a planned task that has one, else the criterion's template."""
    return (task.funding if isinstance(task, PlanTask) else None) or ctx.funding.get(task.criterion)


def unit_plan(ctx: ReportContext, unit: UnitResult) -> Plan:
    """The unit's plan: one task per leaf that lost points (or is not yet due), from its remediation."""
    tasks = []
    lost, upcoming = ctx.gaps(unit)
    for node in lost + upcoming:
        rem = node.remediation
        tasks.append(PlanTask(criterion=node.id, criterion_title=node.title, area=rem.area, task=ctx.words(rem.task),
                              product=rem.product, lead=rem.lead, cooperating=list(rem.cooperating),
                              deadline=rem.deadline, recoverable_points=rem.recoverable_points,
                              funding=funding_of(ctx, rem), due=node.status != "not_due"))
    return Plan(owner=unit.name, criteria_title=ctx.run.criteria_set.title,
                sections=build_sections([t for t in tasks if t.due], area_titles(ctx.run)),
                upcoming=sorted((t for t in tasks if not t.due), key=lambda t: natural_key(t.criterion)))


def general_task(task: PlanTask) -> str:
    """The 'Nhiệm vụ chung' cell: the criterion and what is at stake."""
    title = f"tiêu chí {task.criterion} “{task.criterion_title}”"
    points = format_number(task.recoverable_points)
    if not task.due:
        return f"Thực hiện đúng hạn {title} ({points} điểm chưa chấm)"
    where = f" tại {len(task.units)} đơn vị" if task.units else ""
    return f"Khắc phục {title} (có thể khôi phục {points} điểm{where})"


def specific_task(task: PlanTask) -> tuple[str, ...]:
    """The 'Nhiệm vụ cụ thể' cell: the task, and in the provincial plan the units with their points."""
    lines = [task.task]
    if task.units:
        lines.append(f"Đơn vị thực hiện ({len(task.units)}): "
                     + "; ".join(f"{u.name} ({format_number(u.points)} điểm)" for u in task.units))
    return tuple(lines)


def _task_row(number: int, task: PlanTask) -> Row:
    return Row((str(number), general_task(task), specific_task(task), task.product or "", task.lead or "",
                "; ".join(task.cooperating), task.deadline or "", task.funding or ""))


def plan_rows(plan: Plan) -> list[Row]:
    """Area rows 'I. <area>' and numbered task rows, then the tasks not yet due; the one place a Plan becomes rows."""
    rows: list[Row] = []
    number = 0
    for index, section in enumerate(plan.sections, start=1):
        rows.append(Row((f"{roman(index)}. {section.area_title}",), "section", span=True))
        for task in section.tasks:
            number += 1
            rows.append(_task_row(number, task))
    if plan.upcoming:
        rows.append(Row((UPCOMING,), "section", span=True))
        for task in plan.upcoming:
            number += 1
            rows.append(_task_row(number, task))
    return rows


def plan_part(ctx: ReportContext, plan: Plan, issuer: Issuer, check_code: str | None, name: str | None = None) -> Part:
    year = ctx.run.criteria_set.year
    head = letterhead(issuer, ctx.frame, ctx.year, "KH", APPENDIX,
                      subtitle=(PLAN_TITLE, f"CỦA BỘ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {year}"),
                      attachment=f"(Kèm theo Kế hoạch số {BLANK}/KH-{issuer.symbol} ngày {BLANK} tháng {BLANK} "
                                 f"năm {ctx.year} của {issuer.short_name})")
    blocks: list = []
    if plan.task_count:
        summary = (f"{plan.task_count} nhiệm vụ; có thể khôi phục tổng cộng "
                   f"{format_number(plan.recoverable_points)} điểm")
        if plan.upcoming:
            upcoming = round(sum(t.recoverable_points for t in plan.upcoming), 6)
            summary += f"; {len(plan.upcoming)} tiêu chí chưa đến hạn ({format_number(upcoming)} điểm chưa chấm)"
        blocks.append(Paragraph(text=summary + ".", italic=True))
        blocks.append(Table(columns=PLAN_COLUMNS, rows=tuple(plan_rows(plan)), freeze=True))
    else:
        blocks.append(Paragraph(text="Không có tiêu chí nào bị mất điểm: không cần kế hoạch khắc phục.", italic=True))
    return Part(name=name or plan.owner, blocks=tuple(blocks), letterhead=head, closing=closing(issuer),
                orientation="landscape", check_code=check_code)


def unit_plan_parts(ctx: ReportContext) -> list[Part]:
    """One plan per unit, in ranking order."""
    return [plan_part(ctx, unit_plan(ctx, unit), unit_issuer(ctx.frame, unit), unit_check_code(ctx.run, unit))
            for unit in ctx.run.units]
