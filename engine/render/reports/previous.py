"""The comparison with a previous run (`--previous`): each unit's rank and index then and now, each block's mean."""

from __future__ import annotations

from engine.core.vnformat import format_number
from engine.render.reports.context import ReportContext
from engine.render.reports.document import Column, Paragraph, Part, Row, Table
from engine.render.reports.frame import closing, letterhead, office_issuer, run_check_code

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


def previous_part(ctx: ReportContext) -> Part | None:
    """A part listing every unit's change since the previous run (issued by the office); None when not compared."""
    run = ctx.run
    if run.previous is None:
        return None
    rows = tuple(Row(cells=(u.rank, u.name + ("" if u.previous_rank or u.previous_index_pct is not None else " (mới)"),
                            u.index_pct, u.previous_rank, u.rank_change, u.previous_index_pct, u.index_change))
                 for u in run.units)
    means = [f"{s.label or 'cấp ' + s.level}: bình quân {format_number(s.mean_index_pct or 0)}% "
             f"(kỳ trước {format_number(s.previous_mean_index_pct or 0)}%, {s.compared} đơn vị có ở cả hai kỳ)"
             for s in run.statistics if s.mean_index_pct is not None and s.previous_mean_index_pct is not None]
    ref = run.previous
    issuer = office_issuer(ctx.frame)
    head = letterhead(issuer, ctx.frame, ctx.year, "BC", "SO SÁNH KẾT QUẢ VỚI KỲ TRƯỚC",
                      subtitle=(f"Của {len(run.units)} đơn vị",), attachment=f"(Kỳ trước: năm {ref.year})")
    return Part(name=PREVIOUS_NAME, blocks=(
        Paragraph(text="Thay đổi hạng: số bậc tăng (+) hoặc giảm (−) so với kỳ trước; thay đổi chỉ số tính bằng điểm "
                       "phần trăm.", italic=True),
    ) + tuple(Paragraph(text=line) for line in means) + (Table(columns=COLUMNS, rows=rows, freeze=True),),
        letterhead=head, closing=closing(issuer), orientation="landscape", check_code=run_check_code(run))
