"""Text of what-if, the plan under a budget and the in-year watch, for the terminal and for pasting into a message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.ids import natural_key
from engine.core.vnformat import format_date, format_number
from engine.model.planning import BudgetPlan, EarlyWarning, WatchResult, WhatIf
from engine.model.results import STATUS_LABELS
from engine.render.terminal import escape, rich_table

if TYPE_CHECKING:
    from rich.table import Table


def _index(value: float | None) -> str:
    return "-" if value is None else format_number(value) + "%"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + format_number(value)


def whatif_text(result: WhatIf) -> str:
    before, after = result.before, result.after
    lines = [f"{after.name} ({after.unit_id}): tính thử với {len(result.applied)} thay đổi minh chứng", ""]
    for words in result.applied_words:
        lines.append(f"  - {words}")
    if result.applied:
        lines.append("")
    lines.append(f"Điểm: {format_number(before.points)} thành {format_number(after.points)} "
                 f"({_signed(round(after.points - before.points, 6))} điểm)")
    lines.append(f"Chỉ số: {_index(before.index_pct)} thành {_index(after.index_pct)}")
    lines.append(f"Xếp loại: {before.band or '-'}" + ("" if before.band == after.band else f" thành {after.band or '-'}"))
    lines.append(f"Xếp hạng: {before.rank or '-'}" + ("" if before.rank == after.rank else f" thành {after.rank or '-'}"))
    leaves = [c for c in result.changes if c.is_leaf]
    lines += ["", "Thay đổi theo tiêu chí:" if leaves else "Không tiêu chí nào thay đổi điểm."]
    for change in leaves:
        status = STATUS_LABELS[change.status_after]
        if change.status_before != change.status_after:
            status = f"{STATUS_LABELS[change.status_before]} thành {status}"
        lines.append(f"  {change.id} {change.title}: {format_number(change.points_before)} thành "
                     f"{format_number(change.points_after)} điểm ({_signed(change.delta)}), {status}")
        if change.explanation is not None:
            lines.append(f"    Kết luận: {change.explanation.branch}")
    if result.suggestions:
        lines += ["", "Thay đổi nhỏ nhất để lấy lại điểm còn mất:"]
        lines += [f"  - {s.text}" for s in result.suggestions]
    return "\n".join(lines) + "\n"


def plan_text(plan: BudgetPlan) -> str:
    until = f"ngày {format_date(plan.by)}" if plan.by else "cuối kỳ đánh giá"
    lines = [f"Kế hoạch khắc phục tối ưu: {format_number(plan.budget_days)} ngày công mỗi đơn vị, tính đến {until}", ""]
    for unit in plan.units:
        lines.append(f"{unit.name} ({unit.unit_id}), số liệu chốt ngày {format_date(unit.as_of)}, "
                     f"tính đến ngày {format_date(unit.by)}")
        lines.append(f"  Nếu không làm gì: {format_number(unit.points_at_cutoff)} điểm, chỉ số {_index(unit.index_at_cutoff)}")
        lines.append(f"  Theo kế hoạch: thêm {format_number(unit.points_gained)} điểm, chỉ số {_index(unit.index_after)}"
                     + (f" (thêm {format_number(unit.index_gained)} điểm phần trăm)" if unit.index_gained else "")
                     + f"; dùng {format_number(unit.effort_used)}/{format_number(unit.budget_days)} ngày công")
        lines.append(f"  Thêm 1 ngày công: thêm {format_number(unit.marginal_gain_per_day)} điểm")
        if unit.chosen:
            lines.append("  Nhiệm vụ được chọn:")
            for item in unit.chosen:
                lines.append(f"    - {item.criterion}: {item.text} ({format_number(item.effort_days or 0)} ngày công, "
                             f"có kết quả ngày {format_date(item.ready) if item.ready else '-'}; thêm {format_number(item.gain)} điểm)")
        if unit.left_out:
            lines.append("  Không chọn:")
            for item in unit.left_out:
                lines.append(f"    - {item.criterion} {item.title}: {item.reason}")
        lines.append("")
    if plan.by_mean_index:
        lines.append("Hành động chung toàn khối nâng chỉ số bình quân nhiều nhất:")
        lines += [f"  - {a.criterion} {a.title}: {a.units} đơn vị, chỉ số bình quân thêm {format_number(a.mean_index_gain)} "
                  f"điểm phần trăm, {a.units_up_a_band} đơn vị lên xếp loại" for a in plan.by_mean_index]
    if plan.by_band_moves:
        lines.append("Hành động chung giúp nhiều đơn vị lên xếp loại nhất:")
        lines += [f"  - {a.criterion} {a.title}: {a.units_up_a_band} đơn vị lên xếp loại" for a in plan.by_band_moves]
    return "\n".join(lines).rstrip() + "\n"


_STATE_WORDS = {"new": "mới", "open": "đang theo dõi", "worse": "nặng hơn", "closed": "đã khắc phục"}


def watch_table(result: WatchResult) -> Table:
    table = rich_table(title=f"Cảnh báo sớm ngày {format_date(result.as_of)} (đến hạn trong {result.within_days} ngày)",
                  title_justify="left", show_lines=True)
    for header in ("Đơn vị", "Tiêu chí", "Tình trạng", "Hạn", "Nội dung"):
        table.add_column(header, overflow="fold")
    for w in result.warnings:
        table.add_row(escape(w.unit_id), escape(w.criterion), _STATE_WORDS[w.state], format_date(w.due) if w.due else "-",
                      escape(w.message))
    return table


def with_notices(result: WatchResult) -> WatchResult:
    """Each unit's outlook with its notice written."""
    units = []
    for unit in result.units:
        mine = [w for w in result.warnings if w.unit_id == unit.unit_id]
        texts = (_index(unit.index_now), _index(unit.index_if_nothing_changes), _index(unit.index_if_all_filed))
        units.append(unit.model_copy(update={"notice": notice_text(unit.name, mine, format_date(result.as_of), texts)}))
    return result.model_copy(update={"units": units})


def notice_text(name: str, warnings: list[EarlyWarning], as_of_text: str, outlook: tuple[str, str, str]) -> str:
    """A short notice for one unit, ready to paste into an email or a message; only what is new, worse or closed."""
    now, unchanged, filed = outlook
    raised = sorted((w for w in warnings if w.state in ("new", "worse")), key=lambda w: (w.due or w.key, natural_key(w.criterion)))
    closed = [w for w in warnings if w.state == "closed"]
    lines = [f"Kính gửi {name},", "",
             f"Theo số liệu tự đánh giá CCHC đến ngày {as_of_text}:"]
    if raised:
        lines += [f"- {w.message}" for w in raised]
    else:
        lines.append("- Không có cảnh báo mới.")
    if closed:
        lines.append("Đã khắc phục:")
        lines += [f"- {w.message}" for w in closed]
    lines += ["", f"Chỉ số hiện nay: {now}; đến ngày chốt nếu không có thay đổi: {unchanged}; "
                  f"nếu nộp đúng hạn mọi việc đến hạn: {filed}.", ""]
    return "\n".join(lines)
