"""The scoring sheet (bảng tự đánh giá, chấm điểm): one part per unit and a summary part (Tổng hợp).

The columns are the ones officers use: Điểm tối đa | Điểm tự chấm | Điểm điều tra XHH | Điểm thẩm
định (vòng 1, vòng 2) | Điểm đạt được | Tài liệu kiểm chứng | Ghi chú của đơn vị | Ghi chú của
thẩm định. Appraisal columns stay blank until there is an appraisal, so an appraiser can write on
the paper. Survey points have their own column and read "chưa có kết quả" until imported; a
criterion not yet due reads "chưa đến hạn", never as lost points. `unit_rows` is the one place
that turns a UnitResult into the sheet's rows; XLSX, DOCX and Markdown all draw these rows.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import NamedTuple

from engine.core.vnformat import format_date, format_number
from engine.model.results import AdjustmentResult, NodeResult, RunResult, UnitResult
from engine.render.reports.assessment import (
    OVERCLAIM_COLUMNS,
    UNIT_GAP_COLUMNS,
    is_assessment,
    overclaim_rows,
    round_line,
    round_points,
    unit_gap_rows,
)
from engine.render.reports.common import area_titles, band_labels, percent
from engine.render.reports.context import ReportContext
from engine.render.reports.document import Cell, Column, Heading, Paragraph, Part, Row, Table, Total
from engine.render.reports.frame import (
    closing,
    letterhead,
    office_issuer,
    run_check_code,
    unit_check_code,
    unit_issuer,
)
from engine.render.reports.previous import previous_part

SHEET_TITLE = "BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
ASSESSED_TITLE = "BẢNG ĐIỂM TỰ ĐÁNH GIÁ VÀ THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
OVERCLAIM_NAME = "Tự chấm và thẩm định"
SUMMARY_TITLE = "TỔNG HỢP KẾT QUẢ TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
SUMMARY_NAME = "Tổng hợp"
APPRAISAL = "Điểm thẩm định"
NOT_DUE = "chưa đến hạn"
NO_SURVEY = "chưa có kết quả"

SHEET_COLUMNS = (
    Column(header="STT", width=8.5),
    Column(header="Lĩnh vực / Tiêu chí / Tiêu chí thành phần", width=36),
    Column(header="Điểm tối đa", width=9, kind="number"),
    Column(header="Điểm tự chấm", width=9, kind="number"),
    Column(header="Điểm điều tra XHH", width=9.5, kind="number"),
    Column(header="Vòng 1", width=8.5, kind="number", group=APPRAISAL),
    Column(header="Vòng 2", width=8.5, kind="number", group=APPRAISAL),
    Column(header="Điểm đạt được", width=11, kind="number"),
    Column(header="Tài liệu kiểm chứng", width=34),
    Column(header="Ghi chú của đơn vị", width=38),
    Column(header="Ghi chú của thẩm định", width=14),
)
MAX, SELF, SURVEY, ROUND_1, ROUND_2, FINAL = 2, 3, 4, 5, 6, 7
POINT_COLUMNS = (SELF, SURVEY, ROUND_1, ROUND_2, FINAL)
TOTAL_LABEL = "TỔNG ĐIỂM"
INDEX_LABEL = "Chỉ số CCHC (%)"


# ---------------------------------------------------------------- the assessment's points (issue 11)
#
# NodeResult, AdjustmentResult and UnitResult carry self_points, final_points, by_round and rounds
# (without an assessment record, self and final are the computed points and no round was held).
# `node_scores` and `unit_scores` are the only places the sheet reads them.


class Scores(NamedTuple):
    """The points of one row as the sheet shows them, and the notes of the unit and of the appraisers (a named tuple:
    one per criterion and unit, made three times faster than a frozen dataclass)."""

    self_points: float
    final: float
    round_1: float | None = None
    round_2: float | None = None
    unit_note: tuple[str, ...] = ()
    appraiser_note: tuple[str, ...] = ()


def node_scores(item: NodeResult | AdjustmentResult, unit: UnitResult) -> Scores:
    """Self, appraised (rounds 1 and 2, when held) and final points of a criterion, and the record's notes."""
    if not item.rounds and not item.by_round:  # no record: what follows gives no rounds and no notes
        return Scores(item.self_points, item.final_points)
    return Scores(self_points=item.self_points, final=item.final_points,
                  round_1=round_points(item, unit, "appraisal_1"), round_2=round_points(item, unit, "appraisal_2"),
                  unit_note=tuple(round_line(e) for e in item.rounds if e.role == "unit"),
                  appraiser_note=tuple(round_line(e) for e in item.rounds if e.role not in ("unit", "survey")))


def unit_scores(unit: UnitResult) -> tuple[float, float]:
    """The unit's self-scored and final total."""
    return unit.self_points, unit.final_points


# ---------------------------------------------------------------- unit sheet


def survey_pending(node: NodeResult) -> bool:
    """A survey criterion whose results are not imported yet (missing, or left out of the maximum until they are)."""
    return node.status == "missing_evidence" or (node.status == "not_applicable" and not node.applicable)


def node_note(ctx: ReportContext, node: NodeResult, area_index: float | None = None) -> tuple[str, ...]:
    """'Ghi chú của đơn vị': the status in words, the finding, data problems, missing evidence; no engine words."""
    if not node.is_leaf:
        if node.depth == 0:
            return (node.status_label, f"Chỉ số lĩnh vực: {percent(area_index)}")
        return (node.status_label,)
    exp = node.explanation
    if ctx.is_survey(node) and survey_pending(node):
        return ("Chưa có kết quả điều tra xã hội học; điểm được nhập khi có kết quả công bố.",)
    if exp is None:
        lines = [node.status_label]
    elif exp.says_status:
        lines = [ctx.words(exp.branch)]
    else:
        lines = [f"{node.status_label}: {ctx.words(exp.branch)}"]
    if exp:
        lines += [f"Lỗi dữ liệu: {ctx.words(problem)}" for problem in exp.problems]
    if node.missing and node.status not in ("pass", "not_due") and (exp is None or not exp.lists_missing):
        lines.append(f"Minh chứng còn thiếu: {ctx.words(', '.join(node.missing))}")
    return tuple(lines)


def _leaf_cells(ctx: ReportContext, node: NodeResult, scores: Scores) -> list[Cell]:
    """Self, survey, round 1, round 2 and final cells of a leaf."""
    if ctx.is_survey(node):  # neither the unit nor the appraisers score the survey
        shown: Cell = NO_SURVEY if survey_pending(node) else scores.final
        return [None, shown, None, None, shown]
    if node.status == "not_due":
        return [NOT_DUE, None, scores.round_1, scores.round_2, NOT_DUE]
    return [scores.self_points, None, scores.round_1, scores.round_2, scores.final]


@lru_cache(maxsize=4096)
def _sum_formula(rows: tuple[int, ...]) -> str:
    """The formula summing these rows; units of a level share their rows' positions, so each is written once."""
    return "ROUND(SUM(" + ",".join(f"{{{r}}}" for r in rows) + "),2)"


def _sum(rows: tuple[int, ...], value: float) -> Total:
    return Total(value, _sum_formula(rows))


def unit_rows(ctx: ReportContext, unit: UnitResult, peers: int | None = None) -> list[Row]:
    """Every node (bold area rows, indented by depth; parents as sums of their children), the bonus and penalty
    items, then the totals (as sums that equal the engine's), the index, the band and the rank."""
    area_index = {a.id: a.index_pct for a in unit.areas}
    position = {node.id: index for index, node in enumerate(unit.nodes)}
    children: dict[str, list[int]] = {}
    for node in unit.nodes:
        if node.parent is not None:
            children.setdefault(node.parent, []).append(position[node.id])
    scores = [node_scores(node, unit) for node in unit.nodes]
    appraised = any(s.round_1 is not None or s.round_2 is not None for s in scores)
    columns = [c for c in POINT_COLUMNS if appraised or c not in (ROUND_1, ROUND_2)]
    cells: list[list[Cell]] = []
    for node, score in zip(unit.nodes, scores):
        points = _leaf_cells(ctx, node, score) if node.is_leaf else [None] * 5
        cells.append([node.id, node.title, node.max_points] + points)
    for index in reversed(range(len(unit.nodes))):  # children before parents: a parent sums its children's cells
        node = unit.nodes[index]
        if node.is_leaf:
            continue
        kids = tuple(children.get(node.id, ()))
        formula = _sum_formula(kids)
        row = cells[index]
        row[MAX] = Total(node.max_points, formula)
        below = [cells[k] for k in kids]
        for column in columns:
            values = [cells_below[column] for cells_below in below]
            for value in values:
                if value is not None:
                    break
            else:
                continue  # nothing of this kind below (no survey criterion, nothing self-scored): left blank
            # the final points are the engine's (the record may change a parent's); the others sum the cells below
            row[column] = Total(scores[index].final if column == FINAL else round(
                sum([value if type(value) is float else _numeric(value) for value in values]), 6), formula)
    rows = []
    words = ctx.words
    for index, node in enumerate(unit.nodes):
        score = scores[index]
        refs = tuple([words(r) for r in node.evidence_refs]) if node.is_leaf and node.evidence_refs else ()
        notes = node_note(ctx, node, area_index.get(node.id))
        if score.unit_note:
            notes += score.unit_note
        rows.append(Row(tuple(cells[index]) + (refs, notes, score.appraiser_note),
                        "area" if node.depth == 0 else "normal", node.depth))
    areas = tuple(position[a.id] for a in unit.areas)
    return rows + _total_rows(ctx, unit, areas, cells, columns, peers, len(rows))


def _numeric(value: Cell) -> float:
    kind = type(value)  # the usual cells first, by their exact type
    if kind is float:
        return value  # type: ignore[return-value]
    if kind is Total:
        return value.value  # type: ignore[union-attr]
    if value is None or kind is str or kind is tuple:
        return 0.0
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _points_row(label: str, maximum: float | None, values: dict[int, Cell], notes: tuple[str, ...] = (),
                style: str = "total", number: str = "", refs: tuple[str, ...] = (), indent: int = 0) -> Row:
    cells = [number, label, maximum] + [values.get(c) for c in range(SELF, FINAL + 1)]
    return Row(tuple(cells) + (refs, notes, ()), style, indent)


def _total_rows(ctx: ReportContext, unit: UnitResult, areas: tuple[int, ...], cells: list[list[Cell]],
                columns: list[int], peers: int | None, start: int) -> list[Row]:
    """Sum of the areas, bonus and penalty items and their capped totals, TỔNG ĐIỂM, index, band, rank."""
    area_points = round(sum(a.final_points for a in unit.areas), 6)
    excluded = round(unit.total_max_points - unit.max_points, 6)
    max_note = (f"Điểm tối đa áp dụng; {format_number(excluded)} điểm không áp dụng được loại khỏi điểm tối đa "
                f"(tổng theo bộ chỉ số: {format_number(unit.total_max_points)})",) if excluded > 0 else ()
    sums = {c: _sum(areas, area_points if c == FINAL else round(sum(_numeric(cells[a][c]) for a in areas), 6))
            for c in columns if any(cells[a][c] is not None for a in areas)}
    rows = [_points_row("Cộng điểm các lĩnh vực", unit.max_points, sums, max_note)]
    for adj in unit.adjustments:
        bonus = adj.kind == "bonus"
        refs = tuple(sorted({ctx.words(o.ref) for o in adj.explanation.observed if o.ref}))
        if adj.points:
            effect = f"{'được cộng' if bonus else 'bị trừ'} {format_number(adj.points)} điểm"
        else:
            effect = "không được cộng điểm" if bonus else "không bị trừ điểm"
        score = node_scores(adj, unit)
        rows.append(_points_row(f"{'Điểm thưởng' if bonus else 'Điểm trừ'}: {adj.title}", adj.max_points,
                                {SELF: _signed(score.self_points, bonus), FINAL: _signed(score.final, bonus)},
                                (f"{effect}: {ctx.words(adj.explanation.branch)}",) + score.unit_note,
                                style="normal", number=adj.id, refs=refs, indent=1))
    self_total, final_total = unit_scores(unit)
    self_area = _numeric(sums.get(SELF))
    added = ""
    if unit.adjustments:
        bonus_row, penalty_row = start + len(rows), start + len(rows) + 1
        self_bonus, self_penalty = _capped(unit, "self_points", self_area, self_total)
        final_bonus, final_penalty = _capped(unit, "final_points", area_points, final_total)
        rows.append(_points_row("Điểm thưởng được cộng (sau giới hạn)", None, {SELF: self_bonus, FINAL: final_bonus}))
        rows.append(_points_row("Điểm trừ (sau giới hạn)", None, {SELF: _signed(self_penalty, False),
                                                                   FINAL: _signed(final_penalty, False)}))
        added = f"+{{{bonus_row}}}+{{{penalty_row}}}"
    formula = f"ROUND(MAX(0,{{{start}}}{added}),2)"
    total_row = start + len(rows)
    totals = {SELF: Total(self_total, formula), FINAL: Total(final_total, formula)}
    rows.append(_points_row(TOTAL_LABEL, unit.max_points, totals))
    index: Cell = "-"
    if unit.final_index_pct is not None:
        index = Total(unit.final_index_pct, _index_formula(unit, total_row), percent=True)
    rank = str(unit.rank) if unit.rank is not None else "chưa xếp hạng"
    rows += [
        _points_row(INDEX_LABEL, None, {FINAL: index}),
        _points_row("Xếp loại", None, {FINAL: unit.band or "chưa xếp loại"}),
        _points_row("Xếp hạng", None, {FINAL: rank}, (f"trong {peers} đơn vị cùng cấp",) if peers else ()),
    ]
    return rows


def _signed(points: float, bonus: bool) -> float:
    """A penalty shown as a negative number; no '-0'."""
    return points if bonus or not points else 0.0 - points


def _capped(unit: UnitResult, field: str, areas: float, total: float) -> tuple[float, float]:
    """The bonus and penalty that count after the caps, for the self or the final points.

    The caps are those the engine applied to the computed points (a cap shows where the computed sum
    exceeds the unit's bonus or penalty); the pair always adds up to the engine's total.
    """
    if unit.assessment is None:
        return unit.bonus, unit.penalty
    computed_bonus = sum(a.points for a in unit.adjustments if a.kind == "bonus")
    computed_penalty = sum(a.points for a in unit.adjustments if a.kind == "penalty")
    bonus = sum(getattr(a, field) for a in unit.adjustments if a.kind == "bonus")
    penalty = sum(getattr(a, field) for a in unit.adjustments if a.kind == "penalty")
    if computed_bonus > unit.bonus + 1e-9:
        bonus = min(bonus, unit.bonus)
    if computed_penalty > unit.penalty + 1e-9:
        penalty = min(penalty, unit.penalty)
    if total > 0 and abs(areas + bonus - penalty - total) > 0.005:
        bonus = round(total - areas + penalty, 6)
    return round(bonus, 6), round(penalty, 6)


def _index_formula(unit: UnitResult, total_row: int) -> str:
    """Points over the applicable maximum (the TỔNG ĐIỂM row's maximum), or over the set's full maximum."""
    applicable = unit.max_points > 0 and abs(unit.final_points / unit.max_points * 100
                                             - (unit.final_index_pct or 0)) < 0.006
    denominator = f"{{{total_row}:{MAX}}}" if applicable else repr(float(unit.total_max_points))
    return f"ROUND({{{total_row}:{FINAL}}}/{denominator},4)"


def unit_part(ctx: ReportContext, unit: UnitResult, peers: int | None = None) -> Part:
    """The unit's sheet; `peers` (the units of its level, counted here when not given) for its rank's note."""
    run = ctx.run
    if peers is None:
        peers = sum(1 for u in run.units if u.level == unit.level)
    ref = run.criteria_set
    issuer = unit_issuer(ctx.frame, unit)
    title = ASSESSED_TITLE if unit.assessment is not None else SHEET_TITLE
    head = letterhead(issuer, ctx.frame, ctx.year, "BC", f"{title} NĂM {ref.year}",
                      subtitle=(f"{unit.name}",),
                      attachment=f"(Theo {ref.title}; số liệu tính đến ngày {format_date(unit.as_of)})")
    blocks: list = [Paragraph(text=f"Cảnh báo dữ liệu: {ctx.words(warning)}", italic=True) for warning in unit.warnings]
    blocks.append(Table(columns=SHEET_COLUMNS, rows=tuple(unit_rows(ctx, unit, peers)), indent_column=1, freeze=True))
    return Part(name=unit.name, blocks=tuple(blocks), letterhead=head, closing=closing(issuer),
                orientation="landscape", check_code=unit_check_code(run, unit))


# ---------------------------------------------------------------- summary


def ranking_columns(run: RunResult) -> tuple[Column, ...]:
    """Rank, unit, the final points (with, for an assessment, the computed, self and appraised points beside them)."""
    group = "Chỉ số thành phần theo lĩnh vực (%)"
    assessed = (Column(header="Điểm theo minh chứng", width=9.5, kind="number"),
                Column(header="Điểm tự chấm", width=9.5, kind="number"),
                Column(header="Điểm thẩm định", width=9.5, kind="number")) if is_assessment(run) else ()
    state = (Column(header="Trạng thái", width=14),) if is_assessment(run) else ()
    return (
        (Column(header="Hạng", width=7, kind="integer"), Column(header="Đơn vị", width=26)) + assessed + (
            Column(header="Điểm đạt được", width=9.5, kind="number"),
            Column(header="Điểm tối đa áp dụng", width=9.5, kind="number"),
            Column(header="Chỉ số CCHC (%)", width=10, kind="percent"),
            Column(header="Xếp loại", width=13)) + state + (
            Column(header="Lỗi dữ liệu", width=7, kind="integer"),)
        + tuple(Column(header=area_id, width=9.5, kind="percent", group=group) for area_id, _ in area_titles(run)))


def ranking_rows(run: RunResult) -> list[Row]:
    """One row per unit in ranking order with the index per area, then the average row (as formulas)."""
    areas = [area_id for area_id, _ in area_titles(run)]
    assessed = is_assessment(run)
    rows = []
    for unit in run.units:
        per_area = {a.id: a.final_index_pct for a in unit.areas}
        extra = (unit.points, unit.self_points, unit.appraised_points) if assessed else ()
        state = (unit.assessment_state_label or "",) if assessed else ()
        rows.append(Row(cells=(unit.rank, unit.name) + extra + (unit.final_points, unit.max_points,
                                                                unit.final_index_pct, unit.band or "") + state
                    + (unit.data_problems,) + tuple(per_area.get(a) for a in areas)))
    averages = {area: _mean([a.final_index_pct for u in run.units for a in u.areas if a.id == area]) for area in areas}
    last = len(run.units) - 1

    def average(value: float | None) -> Cell:
        if value is None or last < 0:
            return None
        return Total(value=value, formula=f"ROUND(AVERAGE({{0}}:{{{last}}}),4)")

    blank = (None,) * (3 if assessed else 0)
    rows.append(Row(cells=(None, "Bình quân") + blank + (None, None, average(_mean([u.final_index_pct for u in run.units])),
                                                        "") + (("",) if assessed else ()) + (None,)
                    + tuple(average(averages.get(a)) for a in areas), style="total"))
    return rows


def _mean(values: list[float | None]) -> float | None:
    """The average the reports use: over the values present, rounded to 2 decimals."""
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None


def band_rows(run: RunResult, bands=()) -> list[Row]:
    """Units per band, best band first, with their names; units without a band last."""
    rows = []
    for label in band_labels(run, bands):
        names = tuple(u.name for u in run.units if u.band == label)
        rows.append(Row(cells=(label, len(names), names)))
    unclassified = tuple(u.name for u in run.units if u.band is None)
    if unclassified:
        rows.append(Row(cells=("Chưa xếp loại", len(unclassified), unclassified)))
    return rows


BAND_COLUMNS = (Column(header="Xếp loại", width=16), Column(header="Số đơn vị", width=9, kind="integer"),
                Column(header="Đơn vị", width=60))


def summary_part(ctx: ReportContext) -> Part:
    run = ctx.run
    ref = run.criteria_set
    issuer = office_issuer(ctx.frame)
    head = letterhead(issuer, ctx.frame, ctx.year, "BC", f"{SUMMARY_TITLE} NĂM {ref.year}",
                      subtitle=(f"Của {len(run.units)} đơn vị",), attachment=f"(Theo {ref.title})")
    legend = "; ".join(f"{area_id}. {title}" for area_id, title in area_titles(run))
    return Part(name=SUMMARY_NAME, blocks=(
        Table(columns=ranking_columns(run), rows=tuple(ranking_rows(run)), freeze=True),
        Paragraph(text=f"Lĩnh vực: {legend}.", italic=True),
        Paragraph(text="Số đơn vị theo xếp loại:"),
        Table(columns=BAND_COLUMNS, rows=tuple(band_rows(run, ctx.bands))),
    ), letterhead=head, closing=closing(issuer), orientation="landscape", check_code=run_check_code(run))


def overclaim_part(ctx: ReportContext) -> Part:
    """Self-scores against the final points: per criterion, and per unit (issued by the office)."""
    run = ctx.run
    issuer = office_issuer(ctx.frame)
    head = letterhead(issuer, ctx.frame, ctx.year, "BC", "TỰ CHẤM SO VỚI KẾT QUẢ THẨM ĐỊNH",
                      subtitle=(f"Của {len(run.units)} đơn vị",), attachment=f"(Theo {run.criteria_set.title})")
    rows = overclaim_rows(run)
    blocks: list = [Paragraph(text="Tiêu chí đơn vị tự chấm cao hơn điểm đạt được sau thẩm định: số đơn vị, tổng điểm "
                                   "chênh và chênh bình quân mỗi đơn vị.", italic=True)]
    if rows:
        blocks.append(Table(columns=OVERCLAIM_COLUMNS, rows=tuple(rows)))
    else:
        blocks.append(Paragraph(text="Không có tiêu chí nào được tự chấm cao hơn điểm đạt được."))
    blocks += [Heading(text="Theo đơn vị"), Table(columns=UNIT_GAP_COLUMNS, rows=tuple(unit_gap_rows(run)))]
    return Part(name=OVERCLAIM_NAME, blocks=tuple(blocks), letterhead=head, closing=closing(issuer),
                orientation="landscape", check_code=run_check_code(run))


def scoring_parts(ctx: ReportContext) -> list[Part]:
    """The workbook of a run: the summary (then, for an assessment, self-scores against appraisal), then one part
    per unit in ranking order."""
    extra = [overclaim_part(ctx)] if is_assessment(ctx.run) else []
    compared = previous_part(ctx)
    extra += [compared] if compared else []
    levels = Counter(u.level for u in ctx.run.units)
    return [summary_part(ctx)] + extra + [unit_part(ctx, unit, levels[unit.level]) for unit in ctx.run.units]
