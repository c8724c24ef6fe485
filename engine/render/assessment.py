"""Terminal views of an assessment: points side by side, the history of a criterion, progress, and comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.vnformat import format_number
from engine.model.assessment import ROLE_LABELS, ROUND_LABELS
from engine.model.results import Comparison, NodeResult, RoundEntry, RunResult, UnitProgress, UnitResult
from engine.render.terminal import rich_table, rich_text
from engine.render.text import explain_text
from engine.score.rounds import when

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

CHANGE_LABELS = {"lost": "Mới mất điểm", "recovered": "Gỡ lại điểm", "changed": "Thay đổi điểm"}


def _num(value: float | None) -> str:
    return "-" if value is None else format_number(value)


def assessment_table(run: RunResult, title: str) -> Table:
    """Each unit's points computed, self-scored, appraised and final, with the final index, band and state."""
    table = rich_table(title=rich_text(f"{title} — {len(run.units)} đơn vị"), title_justify="left")
    for header, justify in (("Hạng", "right"), ("Đơn vị", "left"), ("Theo minh chứng", "right"), ("Tự chấm", "right"),
                            ("Thẩm định", "right"), ("Cuối cùng", "right"), ("Tối đa", "right"), ("Chỉ số", "right"),
                            ("Xếp loại", "left"), ("Trạng thái", "left"), ("Lỗi dữ liệu", "right")):
        table.add_column(header, justify=justify)
    for unit in run.units:
        problems = rich_text(str(unit.data_problems), style="bold red") if unit.data_problems else rich_text("0")
        table.add_row(str(unit.rank or "-"), rich_text(unit.name), _num(unit.points), _num(unit.self_points),
                      _num(unit.appraised_points), _num(unit.final_points), _num(unit.max_points),
                      "-" if unit.final_index_pct is None else format_number(unit.final_index_pct) + "%",
                      rich_text(unit.band or "-"), rich_text(unit.assessment_state_label or "-"), problems)
    return table


def _entry_lines(entry: RoundEntry, indent: str) -> list[str]:
    head = f"{indent}- {ROUND_LABELS[entry.round].capitalize()}, {when(entry.at)}, {entry.by} ({ROLE_LABELS[entry.role]})"
    if entry.kind == "note":
        head += ": ghi chú, giải trình"
    elif entry.points is not None:
        head += f": {format_number(entry.points)} điểm"
    else:
        head += ": nhận xét"
    lines = [head]
    if entry.reason:
        lines.append(f"{indent}  Lý do: {entry.reason}")
    if entry.explanation_requested:
        lines.append(f"{indent}  Yêu cầu giải trình: {entry.question}")
    for ref in entry.evidence_refs:
        lines.append(f"{indent}  Tài liệu: {ref.cite()}")
    return lines


def _history(node_id: str, title: str, item) -> list[str]:
    lines = [f"Lịch sử chấm {node_id} {title}:",
             f"  Tính từ minh chứng {_num(item.computed_points)} | tự chấm {_num(item.self_points)} | "
             f"thẩm định {_num(item.appraised_points)} | cuối cùng {_num(item.final_points)}"]
    for step in item.by_round:
        entered = "" if step.entered_points is None else f", nhập {format_number(step.entered_points)}"
        lines.append(f"  {ROUND_LABELS[step.round].capitalize()}: tính từ minh chứng {format_number(step.computed_points)}"
                     f"{entered}; điểm giữ {format_number(step.points)}")
    if item.rounds:
        lines.append("  Các lần chấm, nhận xét và giải trình:")
        for entry in item.rounds:
            lines += _entry_lines(entry, "  ")
    else:
        lines.append("  Chưa có ai nhập điểm, nhận xét hay giải trình cho tiêu chí này.")
    return lines


def history_text(unit: UnitResult, node_id: str) -> str | None:
    """The explanation of a criterion followed by its whole history in the assessment."""
    text = explain_text(unit, node_id)
    if text is None:
        return None
    items: list[NodeResult] = [n for n in unit.nodes if n.is_leaf and (n.id == node_id or n.id.startswith(node_id + "."))]
    adjustment = next((a for a in unit.adjustments if a.id == node_id), None)
    lines = [text.rstrip(), ""]
    if unit.assessment_state_label:
        lines.append(f"Đợt đánh giá: {unit.assessment_state_label}; điểm cuối cùng của đơn vị {_num(unit.final_points)}, "
                     f"chỉ số {_num(unit.final_index_pct)}%, xếp loại {unit.band or 'chưa xếp loại'}")
        lines.append("")
    for item in items + ([adjustment] if adjustment is not None else []):
        lines += _history(item.id, item.title, item)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def progress_table(rows: list[UnitProgress], title: str) -> Table:
    table = rich_table(title=rich_text(f"{title} — tiến độ"), title_justify="left", show_lines=False)
    for header in ("Đơn vị", "Tự chấm", "Thẩm định vòng 1", "Giải trình", "Thẩm định vòng 2", "Trạng thái",
                   "Chờ giải trình"):
        table.add_column(header, overflow="fold")
    for row in rows:
        cells = []
        for step in row.rounds:
            style = {"late": "bold red", "done_late": "yellow", "reopened": "yellow"}.get(step.status)
            cells.append(rich_text(step.status_label, style=style or ""))
        table.add_row(rich_text(row.name), *cells, rich_text(row.state_label), str(row.open_requests or "-"))
    return table


def comparison_text(comparison: Comparison) -> str:
    """Per unit: criteria newly losing points, recovered and changed, each with its cause."""
    lines = [f"So sánh {comparison.before} với {comparison.after}: {len(comparison.changes)} thay đổi"]
    if comparison.only_before:
        lines.append("Đơn vị chỉ có ở bên thứ nhất: " + ", ".join(comparison.only_before))
    if comparison.only_after:
        lines.append("Đơn vị chỉ có ở bên thứ hai: " + ", ".join(comparison.only_after))
    unit = None
    for change in comparison.changes:
        if change.unit_id != unit:
            unit = change.unit_id
            lines += ["", f"{change.unit_name} ({change.unit_id}):"]
        lines.append(f"  {CHANGE_LABELS[change.kind]}: {change.criterion} {change.title}: từ {_num(change.before)} thành "
                     f"{_num(change.after)} điểm (tối đa {format_number(change.max_points)})")
        if change.cause:
            lines.append(f"    Do: {change.cause}")
    if not comparison.changes:
        lines.append("Không có tiêu chí nào thay đổi điểm.")
    return "\n".join(lines) + "\n"
