"""The province view over all units of a run: common weak spots, units below each band, and the
provincial corrective plan in which units with the same gap share one task that names them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from engine.core.ids import natural_key
from engine.core.vnformat import format_number
from engine.model.criteria import Band
from engine.model.results import NodeResult, RunResult, UnitResult
from engine.render.reports.common import area_titles, average_index, band_labels, percent
from engine.render.reports.context import ReportContext
from engine.render.reports.document import Column, Frozen, Heading, Part, Row, Table
from engine.render.reports.frame import closing, government_issuer, letterhead, office_issuer, run_check_code
from engine.render.reports.plan import Plan, PlanTask, UnitGap, build_sections, funding_of, plan_part
from engine.render.text import lost_points, not_due_points

PROVINCE_OWNER = "Các đơn vị trong kỳ đánh giá"
VIEW_TITLE = "TỔNG HỢP CÁC TIÊU CHÍ MẤT ĐIỂM VÀ XẾP LOẠI CÁC ĐƠN VỊ"
PLAN_NAME = "Kế hoạch khắc phục"
VIEW_NAME = "Tổng hợp tiêu chí"


class CriterionLoss(Frozen):
    """Points one criterion lost across units."""

    criterion: str
    title: str
    area: str
    area_title: str
    max_points: float
    lost_points: float
    units: list[UnitGap]

    @property
    def unit_count(self) -> int:
        return len(self.units)


class BandLine(Frozen):
    """A band: the units in it and the units that did not reach it."""

    label: str
    threshold: str | None = None
    units: list[str]
    below: list[str] = Field(default_factory=list)


class ProvinceView(Frozen):
    criteria_title: str
    unit_count: int
    average_index: float | None
    losses: list[CriterionLoss]
    bands: list[BandLine]
    unclassified: list[str] = Field(default_factory=list)


Gaps = dict[str, list[tuple[UnitResult, NodeResult]]]


def _gaps(run: RunResult, due: bool = True, ctx: ReportContext | None = None) -> Gaps:
    """Leaves that lost points (or, due=False, are not yet due), grouped by criterion, units in ranking order (each
    unit's leaves as the context worked them out, when given)."""
    groups: Gaps = {}
    for unit in run.units:
        if ctx is not None:
            nodes = ctx.gaps(unit)[0 if due else 1]
        else:
            nodes = lost_points(unit) if due else not_due_points(unit)
        for node in nodes:
            groups.setdefault(node.id, []).append((unit, node))
    return groups


def _area_titles(run: RunResult) -> dict[str, str]:
    titles: dict[str, str] = {}
    for unit in run.units:
        for area in unit.areas:
            titles.setdefault(area.id, area.title)
    return titles


def criterion_losses(run: RunResult, gaps: Gaps | None = None) -> list[CriterionLoss]:
    """Criteria losing the most points across units first (ties: more units, then criterion order); `gaps`: the
    run's _gaps when already grouped."""
    areas = _area_titles(run)
    losses = []
    for criterion, items in (_gaps(run) if gaps is None else gaps).items():
        first = items[0][1]
        area = first.remediation.area
        units = [UnitGap(name=u.name, points=n.remediation.recoverable_points) for u, n in items]
        losses.append(CriterionLoss(criterion=criterion, title=first.title, area=area, area_title=areas.get(area, area),
                                    max_points=first.max_points, units=units,
                                    lost_points=round(sum(u.points for u in units), 6)))
    losses.sort(key=lambda x: (-x.lost_points, -x.unit_count, natural_key(x.criterion)))
    return losses


def _reached(index: float, band: Band) -> bool:
    return index >= band.min if band.min_inclusive else index > band.min


def band_lines(run: RunResult, bands: Sequence[Band] = ()) -> list[BandLine]:
    """Per band (best first): units in it, and units below it; the floor band (from 0) has nobody below."""
    lines = []
    if bands:
        for band in sorted(bands, key=lambda b: -b.min):
            below = [u.name for u in run.units if u.index_pct is None or not _reached(u.index_pct, band)]
            threshold = ("từ " if band.min_inclusive else "trên ") + format_number(band.min) + "%"
            lines.append(BandLine(label=band.label, threshold=threshold, below=below if band.min > 0 else [],
                                  units=[u.name for u in run.units if u.band == band.label]))
        return lines
    labels = band_labels(run)
    for position, label in enumerate(labels):
        worse = set(labels[position + 1:])
        lines.append(BandLine(label=label, units=[u.name for u in run.units if u.band == label],
                              below=[u.name for u in run.units if u.band is None or u.band in worse]))
    return lines


def province_view(run: RunResult, bands: Sequence[Band] = (), gaps: Gaps | None = None) -> ProvinceView:
    return ProvinceView(criteria_title=run.criteria_set.title, unit_count=len(run.units),
                        average_index=average_index(run.units), losses=criterion_losses(run, gaps),
                        bands=band_lines(run, bands), unclassified=[u.name for u in run.units if u.band is None])


def _general(text: str, unit: UnitResult) -> str:
    """A unit's own wording made general: 'Bộ phận Một cửa UBND Phường 3' → 'Bộ phận Một cửa các đơn vị'."""
    text = text.replace(unit.name, "các đơn vị").strip()
    return text[:1].upper() + text[1:]


def _distinct(values) -> list[str]:
    out: list[str] = []
    for value in values:
        if value and value not in out:
            out.append(value)
    return out


def _province_task(ctx: ReportContext, criterion: str, items: list[tuple[UnitResult, NodeResult]]) -> PlanTask:
    """One task for the units with the same gap, naming each unit and its points; their leads made general."""
    first = items[0][1]
    texts = _distinct(_general(ctx.words(n.remediation.task), u) for u, n in items)
    if len(texts) == 1:
        task = texts[0]
    elif first.status == "data_error":
        task = (f"Rà soát, đối chiếu và sửa số liệu của tiêu chí {criterion} ({first.title}) tại các đơn vị có số liệu "
                "mâu thuẫn (chi tiết trong giải trình của từng đơn vị)")
    else:
        expected = ctx.words(first.explanation.expected) if first.explanation else ""
        task = (f"Chỉ đạo, đôn đốc các đơn vị khắc phục tiêu chí {criterion} ({first.title})"
                + (f"; yêu cầu: {expected}" if expected else ""))
    gaps = [UnitGap(name=u.name, points=n.remediation.recoverable_points) for u, n in items]
    return PlanTask(
        criterion=criterion, criterion_title=first.title, area=first.remediation.area, task=task,
        product="; ".join(_distinct(_general(n.remediation.product or "", u) for u, n in items)) or None,
        lead="; ".join(_distinct(_general(n.remediation.lead or u.name, u) for u, n in items)) or None,
        cooperating=_distinct(_general(c, u) for u, n in items for c in n.remediation.cooperating),
        deadline="; ".join(_distinct(n.remediation.deadline for _, n in items)) or None,
        recoverable_points=round(sum(g.points for g in gaps), 6), units=gaps,
        funding=_general(funding_of(ctx, first.remediation) or "", items[0][0]) or None,
        due=first.status != "not_due")


def province_plan(ctx: ReportContext, gaps: Gaps | None = None) -> Plan:
    """One task per criterion that lost points anywhere (units whose data must be fixed apart), naming every unit
    with that gap and its points; the criteria not yet due come last. `gaps`: the run's _gaps when already grouped."""
    run = ctx.run
    groups = []
    for criterion, all_items in (_gaps(run, ctx=ctx) if gaps is None else gaps).items():
        # Units whose gap is a data error need their data fixed, not the target chased: a task of their own.
        data_errors = [(u, n) for u, n in all_items if n.status == "data_error"]
        others = [(u, n) for u, n in all_items if n.status != "data_error"]
        groups += [(criterion, items) for items in (others, data_errors) if items]
    tasks = [_province_task(ctx, criterion, items) for criterion, items in groups]
    upcoming = [_province_task(ctx, criterion, items) for criterion, items in _gaps(run, False, ctx).items()]
    return Plan(owner=PROVINCE_OWNER, criteria_title=run.criteria_set.title,
                sections=build_sections(tasks, area_titles(run)),
                upcoming=sorted(upcoming, key=lambda t: natural_key(t.criterion)))


LOSS_COLUMNS = (
    Column(header="STT", width=6, kind="integer"),
    Column(header="Tiêu chí", width=45),
    Column(header="Lĩnh vực", width=30),
    Column(header="Điểm tối đa", width=9, kind="number"),
    Column(header="Tổng điểm bị mất", width=10, kind="number"),
    Column(header="Số đơn vị mất điểm", width=10, kind="integer"),
    Column(header="Đơn vị (điểm bị mất)", width=60),
)
BAND_LINE_COLUMNS = (
    Column(header="Mức xếp loại", width=16),
    Column(header="Ngưỡng", width=10),
    Column(header="Số đơn vị ở mức này", width=10, kind="integer"),
    Column(header="Số đơn vị chưa đạt mức", width=10, kind="integer"),
    Column(header="Đơn vị chưa đạt mức", width=80),
)


def gap_text(gaps: Sequence[UnitGap], total: int) -> str:
    """Units with their lost points; 'tất cả N đơn vị' when every unit lost the same."""
    if len(gaps) == total > 1 and len({g.points for g in gaps}) == 1:
        return f"tất cả {total} đơn vị, mỗi đơn vị {format_number(gaps[0].points)} điểm"
    return "; ".join(f"{g.name} ({format_number(g.points)})" for g in gaps)


def names_text(names: Sequence[str], total: int) -> str:
    return f"tất cả {total} đơn vị" if len(names) == total > 1 else ", ".join(names)


def loss_rows(view: ProvinceView, top: int | None = None) -> list[Row]:
    losses = view.losses if top is None else view.losses[:top]
    return [Row(cells=(number, f"{loss.criterion} {loss.title}", f"{loss.area}. {loss.area_title}", loss.max_points,
                       loss.lost_points, loss.unit_count, gap_text(loss.units, view.unit_count)))
            for number, loss in enumerate(losses, start=1)]


def band_line_rows(view: ProvinceView) -> list[Row]:
    return [Row(cells=(line.label, line.threshold or "", len(line.units), len(line.below),
                       names_text(line.below, view.unit_count)))
            for line in view.bands]


def view_part(ctx: ReportContext, view: ProvinceView) -> Part:
    issuer = office_issuer(ctx.frame)
    head = letterhead(issuer, ctx.frame, ctx.year, "BC", VIEW_TITLE,
                      subtitle=(f"Của {view.unit_count} đơn vị; chỉ số bình quân {percent(view.average_index)}",),
                      attachment=f"(Theo {view.criteria_title})")
    return Part(name=VIEW_NAME, blocks=(
        Heading(text="1. Các tiêu chí mất nhiều điểm nhất (không gồm tiêu chí chưa đến hạn)"),
        Table(columns=LOSS_COLUMNS, rows=tuple(loss_rows(view)), indent_column=None, freeze=True),
        Heading(text="2. Đơn vị chưa đạt từng mức xếp loại"),
        Table(columns=BAND_LINE_COLUMNS, rows=tuple(band_line_rows(view))),
    ), letterhead=head, closing=closing(issuer), orientation="landscape", check_code=run_check_code(ctx.run))


def province_parts(ctx: ReportContext) -> list[Part]:
    """The provincial plan first (what gets filed), then the view it was drawn from."""
    gaps = _gaps(ctx.run, ctx=ctx)  # grouped once for the plan and the view
    plan = province_plan(ctx, gaps)
    issuer = government_issuer(ctx.frame)
    return [plan_part(ctx, plan, issuer, run_check_code(ctx.run), name=PLAN_NAME),
            view_part(ctx, province_view(ctx.run, ctx.bands, gaps))]
