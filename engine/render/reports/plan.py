"""The corrective plan "Kế hoạch khắc phục các tiêu chí chưa đạt điểm tối đa" in the plan-appendix layout.

Columns as in the annual PAR plan appendix: STT | Nhiệm vụ | Sản phẩm | Cơ quan chủ trì | Cơ quan
phối hợp | Thời gian hoàn thành, with section rows "I. <area>" numbered in Roman numerals. Areas
are ordered by the points they can recover, tasks within an area likewise; task numbers run on
across sections, as in the seeds.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from engine.core.ids import natural_key
from engine.core.vnformat import format_number
from engine.model.results import RemediationTask, RunResult, UnitResult
from engine.render.reports.common import roman
from engine.render.reports.document import Column, Frozen, Heading, Paragraph, Part, Row, Table
from engine.render.text import lost_points

PLAN_TITLE = "KẾ HOẠCH KHẮC PHỤC CÁC TIÊU CHÍ CHƯA ĐẠT ĐIỂM TỐI ĐA"
PLAN_COLUMNS = (
    Column(header="STT", width=6),
    Column(header="Nhiệm vụ", width=60),
    Column(header="Sản phẩm", width=30),
    Column(header="Cơ quan chủ trì", width=24),
    Column(header="Cơ quan phối hợp", width=24),
    Column(header="Thời gian hoàn thành", width=18),
)


class UnitGap(Frozen):
    """A unit named in a provincial task, with the points it can recover there."""

    name: str
    points: float


class PlanTask(RemediationTask):
    """A corrective task as planned: the unit's task plus the criterion's title and, province-wide, its units."""

    criterion_title: str
    units: list[UnitGap] = Field(default_factory=list, description="Provincial plan: the units with this gap")


class PlanSection(Frozen):
    area: str
    area_title: str
    recoverable_points: float
    tasks: list[PlanTask]


class Plan(Frozen):
    """A corrective plan: whose it is, for which set, and its sections in order."""

    owner: str
    criteria_title: str
    sections: list[PlanSection]

    @property
    def recoverable_points(self) -> float:
        return round(sum(s.recoverable_points for s in self.sections), 6)

    @property
    def task_count(self) -> int:
        return sum(len(s.tasks) for s in self.sections)


def build_sections(tasks: Iterable[PlanTask], area_titles: dict[str, str]) -> list[PlanSection]:
    """Group tasks by area; most recoverable area first, most recoverable task first (ties: more units, criterion order)."""
    by_area: dict[str, list[PlanTask]] = {}
    for task in tasks:
        by_area.setdefault(task.area, []).append(task)
    sections = []
    for area, items in by_area.items():
        items.sort(key=lambda t: (-t.recoverable_points, -len(t.units), natural_key(t.criterion)))
        sections.append(PlanSection(area=area, area_title=area_titles.get(area, area), tasks=items,
                                    recoverable_points=round(sum(t.recoverable_points for t in items), 6)))
    sections.sort(key=lambda s: (-s.recoverable_points, natural_key(s.area)))
    return sections


def unit_plan(unit: UnitResult, criteria_title: str) -> Plan:
    """The unit's plan: one task per leaf that lost points, from its remediation."""
    titles = {n.id: n.title for n in unit.nodes}
    tasks = [PlanTask(criterion=n.id, criterion_title=n.title, area=n.remediation.area, task=n.remediation.task,
                      product=n.remediation.product, lead=n.remediation.lead, cooperating=list(n.remediation.cooperating),
                      deadline=n.remediation.deadline, recoverable_points=n.remediation.recoverable_points)
             for n in lost_points(unit)]
    return Plan(owner=unit.name, criteria_title=criteria_title, sections=build_sections(tasks, titles))


def task_cell(task: PlanTask) -> tuple[str, ...]:
    """The 'Nhiệm vụ' cell: the task, the units it names (provincial plan), the criterion and its points."""
    lines = [task.task]
    if task.units:
        lines.append(f"Đơn vị thực hiện ({len(task.units)}): "
                     + "; ".join(f"{u.name} ({format_number(u.points)} điểm)" for u in task.units))
    lines.append(f"(Tiêu chí {task.criterion} – {task.criterion_title}: có thể khôi phục "
                 f"{format_number(task.recoverable_points)} điểm)")
    return tuple(lines)


def plan_rows(plan: Plan) -> list[Row]:
    """Section rows 'I. <area>' and numbered task rows; the one place a Plan becomes table rows."""
    rows: list[Row] = []
    number = 0
    for index, section in enumerate(plan.sections, start=1):
        rows.append(Row(cells=(f"{roman(index)}. {section.area_title} (có thể khôi phục "
                               f"{format_number(section.recoverable_points)} điểm)",), style="section", span=True))
        for task in section.tasks:
            number += 1
            rows.append(Row(cells=(str(number), task_cell(task), task.product or "", task.lead or "",
                                   "; ".join(task.cooperating), task.deadline or "")))
    return rows


def plan_part(plan: Plan, name: str | None = None) -> Part:
    blocks = [
        Heading(text=PLAN_TITLE, center=True, formats=("xlsx", "docx")),
        Heading(text=f"{plan.owner}: kế hoạch khắc phục các tiêu chí chưa đạt điểm tối đa", level=2, formats=("md",)),
        Paragraph(text=f"{plan.owner} — {plan.criteria_title}", center=True),
    ]
    if plan.sections:
        blocks.append(Paragraph(text=f"{plan.task_count} nhiệm vụ; có thể khôi phục tổng cộng "
                                     f"{format_number(plan.recoverable_points)} điểm.", italic=True))
        blocks.append(Table(columns=PLAN_COLUMNS, rows=tuple(plan_rows(plan)), freeze=True))
    else:
        blocks.append(Paragraph(text="Không có tiêu chí nào bị mất điểm: không cần kế hoạch khắc phục.", italic=True))
    return Part(name=name or plan.owner, blocks=tuple(blocks))


def unit_plan_parts(run: RunResult) -> list[Part]:
    """One plan per unit, in ranking order."""
    return [plan_part(unit_plan(unit, run.criteria_set.title)) for unit in run.units]
