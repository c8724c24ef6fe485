"""The comparison with a previous run (`--previous`): each unit's rank and index then and now, each block's mean."""

from __future__ import annotations

from engine.core.vnformat import format_number
from engine.model.results import RunResult
from engine.render.reports.document import Column, Heading, Paragraph, Part, Row, Table

PREVIOUS_NAME = "So sánh kỳ trước"

COLUMNS = (
    Column(header="Hạng", width=6, kind="integer"),
    Column(header="Tên đơn vị", width=28),
    Column(header="Chỉ số (%)", width=9, kind="percent"),
    Column(header="Hạng kỳ trước", width=8, kind="integer"),
    Column(header="Thay đổi hạng", width=8, kind="integer"),
    Column(header="Chỉ số kỳ trước (%)", width=10, kind="percent"),
    Column(header="Thay đổi chỉ số", width=9, kind="number"),
)


def previous_part(run: RunResult) -> Part | None:
    """A part listing every unit's change since the previous run; None when the run was not compared."""
    if run.previous is None:
        return None
    rows = tuple(Row(cells=(u.rank, u.name + ("" if u.previous_rank or u.previous_index_pct is not None else " (mới)"),
                            u.index_pct, u.previous_rank, u.rank_change, u.previous_index_pct, u.index_change))
                 for u in run.units)
    means = [f"{s.label or 'cấp ' + s.level}: bình quân {format_number(s.mean_index_pct or 0)}% "
             f"(kỳ trước {format_number(s.previous_mean_index_pct or 0)}%, {s.compared} đơn vị có ở cả hai kỳ)"
             for s in run.statistics if s.mean_index_pct is not None and s.previous_mean_index_pct is not None]
    ref = run.previous
    return Part(name=PREVIOUS_NAME, blocks=(
        Heading(text=f"So sánh với kỳ trước ({ref.criteria_set}, năm {ref.year})", center=True),
        Paragraph(text="Thay đổi hạng: số bậc tăng (+) hoặc giảm (−) so với kỳ trước; thay đổi chỉ số tính bằng điểm "
                       "phần trăm.", italic=True),
        Table(columns=COLUMNS, rows=rows, freeze=True),
    ) + tuple(Paragraph(text=line) for line in means))
