"""Reports of an assessment: scoring sheets with the officers' columns, and self-scores against appraisal.

The scoring sheet shows, per criterion, the maximum, the unit's self-score, the appraised points of
each round, the points achieved, and the unit's and the appraisers' notes; survey criteria keep
their points in a column of their own, since units do not score them. The over-claim view lists
per criterion how many units scored themselves above the final points, by how much in total.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.core.vnformat import format_date, format_number
from engine.kinds.base import EPS
from engine.model.assessment import ROLE_LABELS
from engine.model.criteria import Band
from engine.model.results import AdjustmentResult, NodeResult, RoundEntry, RunResult, UnitResult
from engine.render.reports.common import area_titles
from engine.render.reports.document import Column, Heading, Paragraph, Part, Row, Table, TwoColumns
from engine.render.reports.sheet import BAND_COLUMNS, NATIONAL_MOTTO, band_rows
from engine.score.rounds import when

SHEET_TITLE = "BẢNG ĐIỂM TỰ ĐÁNH GIÁ VÀ THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
SUMMARY_TITLE = "TỔNG HỢP KẾT QUẢ TỰ ĐÁNH GIÁ VÀ THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"

SHEET_COLUMNS = (
    Column(header="STT", width=8),
    Column(header="Lĩnh vực / Tiêu chí / Tiêu chí thành phần", width=44),
    Column(header="Điểm tối đa", width=8, kind="number"),
    Column(header="Điểm tự chấm", width=8, kind="number"),
    Column(header="Điểm thẩm định vòng 1", width=9, kind="number"),
    Column(header="Điểm thẩm định vòng 2", width=9, kind="number"),
    Column(header="Điểm đạt được", width=8, kind="number"),
    Column(header="Điểm điều tra XHH", width=8, kind="number"),
    Column(header="Ghi chú của đơn vị", width=40),
    Column(header="Ghi chú của thẩm định", width=40),
)
OVERCLAIM_COLUMNS = (
    Column(header="Tiêu chí", width=10),
    Column(header="Tên tiêu chí", width=40),
    Column(header="Số đơn vị tự chấm cao hơn", width=10, kind="integer"),
    Column(header="Tổng điểm chênh", width=9, kind="number"),
    Column(header="Chênh bình quân", width=9, kind="number"),
    Column(header="Đơn vị", width=50),
)
UNIT_GAP_COLUMNS = (
    Column(header="Đơn vị", width=28),
    Column(header="Điểm tự chấm", width=9, kind="number"),
    Column(header="Điểm thẩm định", width=9, kind="number"),
    Column(header="Điểm đạt được", width=9, kind="number"),
    Column(header="Chênh lệch (tự chấm − đạt được)", width=11, kind="number"),
    Column(header="Tiêu chí tự chấm cao hơn", width=44),
)


def is_assessment(run: RunResult) -> bool:
    return any(u.assessment is not None for u in run.units)


def _line(entry: RoundEntry) -> str:
    text = f"{when(entry.at)} {entry.by} ({ROLE_LABELS[entry.role]})"
    if entry.points is not None:
        text += f": {format_number(entry.points)} điểm"
    if entry.reason:
        text += f"; {entry.reason}"
    if entry.explanation_requested:
        text += f"; yêu cầu giải trình: {entry.question}"
    if entry.evidence_refs:
        text += "; tài liệu: " + "; ".join(ref.cite() for ref in entry.evidence_refs)
    return text


def _notes(item: NodeResult | AdjustmentResult) -> tuple[tuple[str, ...], tuple[str, ...]]:
    unit = tuple(_line(e) for e in item.rounds if e.role == "unit")
    appraisal = tuple(_line(e) for e in item.rounds if e.role not in ("unit", "survey"))
    return unit, appraisal


def _is_survey(item) -> bool:
    return item.rule_kind == "survey"


def _round(item, unit: UnitResult, name: str) -> float | None:
    if name not in unit.appraisal_rounds or not item.by_round:
        return None
    return next(step.points for step in item.by_round if step.round == name)


def _parent_rounds(unit: UnitResult) -> dict[tuple[str, str], float]:
    """Each parent's points at the end of each appraisal round held: the sum of its leaves."""
    parents = {n.id: n.parent for n in unit.nodes}
    sums: dict[tuple[str, str], float] = {}
    for node in unit.nodes:
        if not node.is_leaf:
            continue
        for name in unit.appraisal_rounds:
            value = _round(node, unit, name) or 0.0
            parent = node.parent
            while parent is not None:
                sums[(parent, name)] = sums.get((parent, name), 0.0) + value
                parent = parents[parent]
    return {key: round(value, 6) for key, value in sums.items()}


def unit_rows(unit: UnitResult) -> list[Row]:
    rows = []
    parent_rounds = _parent_rounds(unit)
    for node in unit.nodes:
        if node.is_leaf:
            unit_note, appraisal_note = _notes(node)
            survey = node.is_leaf and _is_survey(node)
            rows.append(Row(cells=(node.id, node.title, node.max_points,
                                   None if survey else node.self_points,
                                   None if survey else _round(node, unit, "appraisal_1"),
                                   None if survey else _round(node, unit, "appraisal_2"),
                                   node.final_points, node.final_points if survey else None, unit_note, appraisal_note),
                            indent=node.depth))
        else:
            rows.append(Row(cells=(node.id, node.title, node.max_points, node.self_points,
                                   parent_rounds.get((node.id, "appraisal_1")), parent_rounds.get((node.id, "appraisal_2")),
                                   node.final_points, None, (), ()),
                            style="area" if node.depth == 0 else "normal", indent=node.depth))
    for adj in unit.adjustments:
        unit_note, appraisal_note = _notes(adj)
        sign = 1 if adj.kind == "bonus" else -1
        label = "Điểm thưởng" if adj.kind == "bonus" else "Điểm trừ"
        rows.append(Row(cells=(adj.id, f"{label}: {adj.title}", adj.max_points, sign * adj.self_points,
                               None if _round(adj, unit, "appraisal_1") is None else sign * _round(adj, unit, "appraisal_1"),
                               None if _round(adj, unit, "appraisal_2") is None else sign * _round(adj, unit, "appraisal_2"),
                               sign * adj.final_points, None, unit_note, appraisal_note), indent=1))
    appraised = "" if unit.appraised_points is None else format_number(unit.appraised_points)
    rows += [
        Row(cells=("", "TỔNG ĐIỂM", unit.max_points, unit.self_points, None, None, unit.final_points, None, (),
                   (f"Điểm sau thẩm định: {appraised}",) if appraised else ()), style="total"),
        Row(cells=("", "Chỉ số CCHC (%)", None, None, None, None, unit.final_index_pct, None, (), ()), style="total"),
        Row(cells=("", "Xếp loại", None, None, None, None, unit.band or "chưa xếp loại", None, (), ()), style="total"),
        Row(cells=("", "Xếp hạng", None, None, None, None, unit.rank if unit.rank is not None else "chưa xếp hạng", None,
                   (), ()), style="total"),
    ]
    return rows


def overclaims(run: RunResult) -> list[tuple[str, str, list[tuple[str, float]]]]:
    """Per criterion (set order): the units whose self-score is above the final points, and by how much."""
    found: dict[str, tuple[str, list[tuple[str, float]]]] = {}
    order: list[str] = []
    for unit in run.units:
        for item in [n for n in unit.nodes if n.is_leaf] + list(unit.adjustments):
            if item.id not in found:
                found[item.id] = (item.title, [])
                order.append(item.id)
            gap = item.self_points - item.final_points
            if getattr(item, "kind", "bonus") == "penalty":
                gap = -gap  # a penalty self-reported lower than the final one is the over-claim
            if gap > EPS:
                found[item.id][1].append((unit.name, round(gap, 6)))
    return [(criterion, found[criterion][0], found[criterion][1]) for criterion in order if found[criterion][1]]


def overclaim_rows(run: RunResult) -> list[Row]:
    rows = []
    for criterion, title, units in sorted(overclaims(run), key=lambda c: (-len(c[2]), -sum(g for _, g in c[2]), c[0])):
        total = round(sum(g for _, g in units), 6)
        rows.append(Row(cells=(criterion, title, len(units), total, round(total / len(units), 2),
                               tuple(f"{name}: {format_number(gap)}" for name, gap in units))))
    return rows


def unit_gap_rows(run: RunResult) -> list[Row]:
    rows = []
    for unit in sorted(run.units, key=lambda u: (-(u.self_points - u.final_points), u.unit_id)):
        over = tuple(f"{n.id} ({format_number(n.self_points - n.final_points)})" for n in unit.nodes
                     if n.is_leaf and n.self_points - n.final_points > EPS)
        rows.append(Row(cells=(unit.name, unit.self_points, unit.appraised_points, unit.final_points,
                               round(unit.self_points - unit.final_points, 6), over)))
    return rows


def summary_part(run: RunResult, bands: Sequence[Band]) -> Part:
    ref = run.criteria_set
    columns = (Column(header="Hạng", width=6, kind="integer"), Column(header="Tên đơn vị", width=28),
               Column(header="Điểm theo minh chứng", width=9, kind="number"),
               Column(header="Điểm tự chấm", width=9, kind="number"),
               Column(header="Điểm thẩm định", width=9, kind="number"),
               Column(header="Điểm đạt được", width=9, kind="number"),
               Column(header="Điểm tối đa", width=9, kind="number"),
               Column(header="Chỉ số (%)", width=9, kind="percent"),
               Column(header="Xếp loại", width=12), Column(header="Trạng thái", width=18)) + tuple(
        Column(header=f"{area_id}. {title} (%)", width=13, kind="percent") for area_id, title in area_titles(run))
    rows = []
    for unit in run.units:
        per_area = {a.id: a.final_index_pct for a in unit.areas}
        rows.append(Row(cells=(unit.rank, unit.name, unit.points, unit.self_points, unit.appraised_points,
                               unit.final_points, unit.max_points, unit.final_index_pct, unit.band or "",
                               unit.assessment_state_label or "") + tuple(per_area.get(a) for a, _ in area_titles(run))))
    return Part(name="Tổng hợp", blocks=(
        Heading(text=SUMMARY_TITLE, center=True),
        Paragraph(text=f"{ref.title} — {len(run.units)} đơn vị", center=True),
        Paragraph(text=f"Bộ chỉ số: {ref.file} (mã {ref.hash[:12]})", italic=True),
        Table(columns=columns, rows=tuple(rows), indent_column=None, freeze=True),
        Heading(text="Số đơn vị theo xếp loại", level=2),
        Table(columns=BAND_COLUMNS, rows=tuple(band_rows(run, bands))),
    ))


def overclaim_part(run: RunResult) -> Part:
    rows = overclaim_rows(run)
    blocks = [Heading(text="TỰ CHẤM SO VỚI KẾT QUẢ THẨM ĐỊNH", center=True),
              Paragraph(text="Tiêu chí đơn vị tự chấm cao hơn điểm đạt được sau thẩm định: số đơn vị, tổng điểm chênh"
                             " và chênh bình quân mỗi đơn vị.", italic=True)]
    if rows:
        blocks.append(Table(columns=OVERCLAIM_COLUMNS, rows=tuple(rows)))
    else:
        blocks.append(Paragraph(text="Không có tiêu chí nào được tự chấm cao hơn điểm đạt được."))
    blocks += [Heading(text="Theo đơn vị", level=2), Table(columns=UNIT_GAP_COLUMNS, rows=tuple(unit_gap_rows(run)))]
    return Part(name="Tự chấm và thẩm định", blocks=tuple(blocks))


def unit_part(run: RunResult, unit: UnitResult) -> Part:
    ref = run.criteria_set
    blocks = [
        TwoColumns(left=(unit.name.upper(),), right=NATIONAL_MOTTO),
        Heading(text=SHEET_TITLE, center=True, formats=("xlsx", "docx")),
        Heading(text=f"{unit.name}: bảng điểm tự đánh giá và thẩm định", level=2, formats=("md",)),
        Paragraph(text=f"Đơn vị: {unit.name} ({unit.unit_id}) — {ref.title}; {unit.assessment_state_label}", center=True),
        Paragraph(text=f"Số liệu chốt ngày {format_date(unit.as_of)}; minh chứng: {unit.evidence_file}; "
                       f"bộ chỉ số: {ref.file} (mã {ref.hash[:12]})", italic=True),
        Table(columns=SHEET_COLUMNS, rows=tuple(unit_rows(unit)), indent_column=1, freeze=True),
    ]
    blocks += [Paragraph(text=f"Cảnh báo: {warning}", italic=True) for warning in unit.warnings]
    blocks.append(TwoColumns(left=("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"),
                             right=("THỦ TRƯỞNG ĐƠN VỊ", "(Ký tên, đóng dấu)")))
    return Part(name=unit.name, blocks=tuple(blocks))


def assessment_parts(run: RunResult, bands: Sequence[Band] = ()) -> list[Part]:
    """The summary, the self-versus-appraised view, then one scoring sheet per unit in ranking order."""
    return [summary_part(run, bands), overclaim_part(run)] + [unit_part(run, unit) for unit in run.units]
