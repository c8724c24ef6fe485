"""Plain outputs of a run: JSON, CSV, terminal tables, explanation trails and gap lists; atomic writes.

The engine builds text and rich renderables; only the CLI prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.core.ids import natural_key
from engine.core.vnformat import format_date, format_number
from engine.model.criteria import UNCLASSIFIED
from engine.model.results import Explanation, NodeResult, RunResult, UnitResult
from engine.render.terminal import rich_table, rich_text

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


def ranking_table(run: RunResult) -> Table:
    """Every cell and the title are Text, so '[...]' or ':name:' in a name prints as typed, never as markup or emoji."""
    table = rich_table(title=rich_text(f"{run.criteria_set.title} — xếp hạng {len(run.units)} đơn vị"), title_justify="left")
    blocks = any(u.block for u in run.units)
    columns = [("Hạng", "right")] + ([("Khối", "left")] if blocks else []) + [
        ("Đơn vị", "left"), ("Điểm", "right"), ("Tối đa", "right"), ("Chỉ số", "right"), ("Xếp loại", "left"),
        ("Lỗi dữ liệu", "right")]
    if run.previous is not None:
        columns += [("Hạng kỳ trước", "right"), ("Thay đổi hạng", "right"), ("Thay đổi chỉ số", "right")]
    for header, justify in columns:
        table.add_column(header, justify=justify)
    for unit in run.units:
        problems = rich_text(str(unit.data_problems), style="bold red") if unit.data_problems else rich_text("0")
        row = [rich_text(str(unit.rank or "-"))] + ([rich_text(unit.block or "-")] if blocks else []) + [
            rich_text(unit.name), rich_text(format_number(unit.points)), rich_text(format_number(unit.max_points)),
            rich_text("-" if unit.index_pct is None else format_number(unit.index_pct) + "%"), rich_text(band_text(unit, bool(run.bands))), problems]
        if run.previous is not None:
            row += _change_cells(unit)
        table.add_row(*row)
    return table


def band_text(unit: UnitResult, has_bands: bool) -> str:
    """The band, "không xếp loại" for an index outside every band, "-" without an index or when the set has no bands."""
    if unit.band:
        return unit.band
    return UNCLASSIFIED if unit.index_pct is not None and has_bands else "-"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "") + format_number(abs(value))


def _change_cells(unit: UnitResult) -> list[Text]:
    if unit.previous_rank is None and unit.previous_index_pct is None:
        return [rich_text("mới"), rich_text("-"), rich_text("-")]
    rank = "-" if unit.rank_change is None else _signed(unit.rank_change)
    index = "-" if unit.index_change is None else _signed(unit.index_change) + "%"
    return [rich_text(str(unit.previous_rank or "-")), rich_text(rank), rich_text(index)]


def statistics_text(run: RunResult) -> str:
    """One line per block: units, mean index, units per band; with a previous run, its mean index too."""
    lines = []
    for stats in run.statistics:
        name = stats.label or f"cấp {stats.level}"
        mean = "-" if stats.mean_index_pct is None else format_number(stats.mean_index_pct) + "%"
        line = f"{name}: {stats.units} đơn vị, chỉ số bình quân {mean}"
        if stats.previous_mean_index_pct is not None:
            line += f" (kỳ trước {format_number(stats.previous_mean_index_pct)}% với {stats.compared} đơn vị có ở cả hai kỳ)"
        counts = [f"{b.label} {b.units}" for b in stats.bands]
        if stats.bands:
            counts.append(f"{UNCLASSIFIED} {stats.unclassified}")
        if counts:
            line += "; " + ", ".join(counts)
        lines.append(line)
    return "\n".join(lines) + ("\n" if lines else "")


def explain_text(unit: UnitResult, node_id: str) -> str | None:
    """The explanation trail of one node (and its sub-nodes) for an auditor."""
    nodes = [n for n in unit.nodes if n.id == node_id or n.id.startswith(node_id + ".")]
    adjustment = next((a for a in unit.adjustments if a.id == node_id), None)
    if not nodes and adjustment is None:
        return None
    lines = [f"{unit.name} ({unit.unit_id}) — số liệu chốt ngày {format_date(unit.as_of)}", ""]
    if unit.block:
        lines[1:1] = [f"Chấm theo khối: {unit.block} (cấp {unit.level}), điểm tối đa {format_number(unit.total_max_points)}"]
    for node in nodes:
        lines += _node_lines(node)
        lines.append("")
    if adjustment is not None:
        sign = "+" if adjustment.kind == "bonus" else "−"
        lines.append(f"{adjustment.id} {adjustment.title} ({'điểm thưởng' if adjustment.kind == 'bonus' else 'điểm trừ'}): "
                     f"{sign}{format_number(adjustment.points)} điểm (tối đa {format_number(adjustment.max_points)}) "
                     f"— {adjustment.status_label}")
        lines += _explanation_lines(adjustment.explanation, "")
    return "\n".join(lines).rstrip() + "\n"


def _node_lines(node: NodeResult) -> list[str]:
    indent = "  " * node.depth
    lines = [f"{indent}{node.id} {node.title}: {format_number(node.points)}/{format_number(node.max_points)} điểm — {node.status_label}"]
    if node.explanation is None:
        return lines
    if not node.is_leaf:
        return lines + [f"{indent}  Tổng hợp: {node.explanation.branch}"]
    lines += _explanation_lines(node.explanation, indent)
    if node.remediation:
        lines.append(f"{indent}  Nhiệm vụ khắc phục: {node.remediation.task}")
    return lines


def _explanation_lines(exp: Explanation, indent: str) -> list[str]:
    """Rule, expected, observed (with the evidence cited), conclusion and data problems."""
    lines = [f"{indent}  Quy tắc: {exp.rule}", f"{indent}  Yêu cầu: {exp.expected}"]
    for obs in exp.observed:
        ref = f" [{obs.ref}]" if obs.ref and obs.ref != obs.value else ""
        lines.append(f"{indent}  Thực tế: {obs.name} = {obs.value}{ref}")
    if not exp.observed:
        lines.append(f"{indent}  Thực tế: không có minh chứng")
    lines.append(f"{indent}  Kết luận: {exp.branch}")
    for problem in exp.problems:
        lines.append(f"{indent}  Lỗi dữ liệu: {problem}")
    return lines


def lost_points(unit: UnitResult) -> list[NodeResult]:
    """Leaves that lost points, largest loss first (ties by criterion id); criteria not yet due are not among them."""
    leaves = [n for n in unit.nodes if n.is_leaf and n.remediation is not None and n.status != "not_due"]
    return sorted(leaves, key=lambda n: (-n.remediation.recoverable_points, natural_key(n.id)))


def not_due_points(unit: UnitResult) -> list[NodeResult]:
    """Leaves not yet due at the as-of date, in criterion order: no points yet, and none lost."""
    leaves = [n for n in unit.nodes if n.is_leaf and n.remediation is not None and n.status == "not_due"]
    return sorted(leaves, key=lambda n: natural_key(n.id))


def gaps_table(unit: UnitResult, words: Callable[[str], str] = str) -> Table:
    """Lost points with their reasons and tasks; `words` turns engine wording into plain words."""
    lost = sum(n.remediation.recoverable_points for n in lost_points(unit))
    table = rich_table(title=rich_text(f"{unit.name}: điểm bị mất ({format_number(lost)} điểm)"), title_justify="left",
                  show_lines=True)
    for header in ("Tiêu chí", "Mất", "Tình trạng", "Lý do", "Minh chứng còn thiếu", "Nhiệm vụ khắc phục"):
        table.add_column(header, overflow="fold")
    for node in lost_points(unit):
        table.add_row(*(rich_text(cell) for cell in _gap_cells(node, words)))
    return table


def not_due_table(unit: UnitResult, words: Callable[[str], str] = str) -> Table:
    """Criteria not yet due: shown apart from the lost points, with what must be done in time."""
    pending = sum(n.remediation.recoverable_points for n in not_due_points(unit))
    table = rich_table(title=f"{unit.name}: chưa đến hạn tại ngày chốt số liệu {format_date(unit.as_of)} "
                        f"({format_number(pending)} điểm chưa chấm, không phải điểm bị mất)",
                  title_justify="left", show_lines=True)
    for header in ("Tiêu chí", "Điểm", "Tình trạng", "Lý do", "Văn bản đến hạn", "Việc cần làm đúng hạn"):
        table.add_column(header, overflow="fold")
    for node in not_due_points(unit):
        table.add_row(*(rich_text(cell) for cell in _gap_cells(node, words)))
    return table


def _gap_cells(node: NodeResult, words: Callable[[str], str]) -> tuple[str, ...]:
    exp = node.explanation
    reason = words(exp.branch + ("; " + "; ".join(exp.problems) if exp.problems else ""))
    missing = words(", ".join(node.missing)) or "-"
    task = words(node.remediation.task) + (f" (hạn: {node.remediation.deadline})" if node.remediation.deadline else "")
    return (f"{node.id} {node.title}", format_number(node.remediation.recoverable_points), node.status_label, reason,
            missing, task)
