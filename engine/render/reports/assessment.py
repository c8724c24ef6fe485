"""What an assessment adds to the reports: the record's entries in words, points per appraisal round, over-claims.

The scoring sheet (sheet.py) reads the self, appraised and final points and the notes through
`round_points` and `round_line`; the over-claim view lists per criterion how many units scored
themselves above the final points, by how much in total, and per unit the gap between its
self-score and its final points.
"""

from __future__ import annotations

from engine.core.vnformat import format_number
from engine.kinds.base import EPS
from engine.model.assessment import ROLE_LABELS
from engine.model.results import AdjustmentResult, NodeResult, RoundEntry, RunResult, UnitResult
from engine.render.reports.document import Column, Row
from engine.score.rounds import when

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


def round_line(entry: RoundEntry) -> str:
    """A record entry in words: when, who (role), the points, the reason, the question asked, the documents."""
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


def round_points(item: NodeResult | AdjustmentResult, unit: UnitResult, name: str) -> float | None:
    """The points standing at the end of an appraisal round the unit went through; None when it did not."""
    if name not in unit.appraisal_rounds or not item.by_round:
        return None
    return next((step.points for step in item.by_round if step.round == name), None)


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
