"""Plain outputs of a run: JSON, CSV, terminal tables, explanation trails and gap lists; atomic writes.

The engine builds text and rich renderables; only the CLI prints them.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from engine.core.ids import natural_key
from engine.core.vnformat import format_date, format_number
from engine.model.results import Explanation, NodeResult, RunResult, UnitResult


def ranking_table(run: RunResult) -> Table:
    """Every cell and the title are Text, so '[...]' or ':name:' in a name prints as typed, never as markup or emoji."""
    table = Table(title=Text(f"{run.criteria_set.title} — xếp hạng {len(run.units)} đơn vị"), title_justify="left")
    for header, justify in (("Hạng", "right"), ("Đơn vị", "left"), ("Điểm", "right"), ("Tối đa", "right"),
                            ("Chỉ số", "right"), ("Xếp loại", "left"), ("Lỗi dữ liệu", "right")):
        table.add_column(header, justify=justify)
    for unit in run.units:
        problems = Text(str(unit.data_problems), style="bold red") if unit.data_problems else Text("0")
        table.add_row(Text(str(unit.rank or "-")), Text(unit.name), Text(format_number(unit.points)),
                      Text(format_number(unit.max_points)),
                      Text("-" if unit.index_pct is None else format_number(unit.index_pct) + "%"),
                      Text(unit.band or "-"), problems)
    return table


def explain_text(unit: UnitResult, node_id: str) -> str | None:
    """The explanation trail of one node (and its sub-nodes) for an auditor."""
    nodes = [n for n in unit.nodes if n.id == node_id or n.id.startswith(node_id + ".")]
    adjustment = next((a for a in unit.adjustments if a.id == node_id), None)
    if not nodes and adjustment is None:
        return None
    lines = [f"{unit.name} ({unit.unit_id}) — số liệu chốt ngày {format_date(unit.as_of)}", ""]
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
    """Leaves that lost points, largest loss first (ties by criterion id)."""
    leaves = [n for n in unit.nodes if n.is_leaf and n.remediation is not None]
    return sorted(leaves, key=lambda n: (-n.remediation.recoverable_points, natural_key(n.id)))


def gaps_table(unit: UnitResult) -> Table:
    lost = sum(n.remediation.recoverable_points for n in lost_points(unit))
    table = Table(title=Text(f"{unit.name}: điểm bị mất ({format_number(lost)} điểm)"), title_justify="left",
                  show_lines=True)
    for header in ("Tiêu chí", "Mất", "Tình trạng", "Lý do", "Minh chứng còn thiếu", "Nhiệm vụ khắc phục"):
        table.add_column(header, overflow="fold")
    for node in lost_points(unit):
        exp = node.explanation
        reason = exp.branch + ("; " + "; ".join(exp.problems) if exp.problems else "")
        missing = ", ".join(node.missing) or "-"
        task = node.remediation.task + (f" (hạn: {node.remediation.deadline})" if node.remediation.deadline else "")
        table.add_row(*(Text(cell) for cell in (f"{node.id} {node.title}", format_number(node.remediation.recoverable_points),
                                                node.status_label, reason, missing, task)))
    return table
