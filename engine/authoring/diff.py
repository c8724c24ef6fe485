"""What changed between two criteria sets: items added, removed and changed, and the effect on each area's maximum.

Provinces re-issue their sets every year; appraisers and units need to see, in words, which
thresholds, deadlines and points moved before they score against the new set. Items are matched
by id (the official numbering).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from engine.core.base import Frozen
from engine.core.vnformat import format_number
from engine.kinds.base import RuleKind
from engine.kinds.tree import Adjustment, LoadedCriteria, Node, applies, catalog_labels, node_max
from engine.load.tailoring import resolved_hash
from engine.model.criteria import Band, Block


class FieldChange(Frozen):
    field: str
    label: str
    old: str | None
    new: str | None


class ItemChange(Frozen):
    id: str
    title: str
    kind: Literal["added", "removed", "changed"]
    depth: int
    area: str | None
    old_max: float | None = None
    new_max: float | None = None
    changes: list[FieldChange] = Field(default_factory=list)


class AreaEffect(Frozen):
    id: str
    title: str
    old_max: float | None
    new_max: float | None
    delta: float


class SetRef(Frozen):
    id: str
    title: str
    file: str
    hash: str


class CriteriaDiff(Frozen):
    old: SetRef
    new: SetRef
    set_changes: list[FieldChange] = Field(default_factory=list)
    added: list[ItemChange] = Field(default_factory=list)
    removed: list[ItemChange] = Field(default_factory=list)
    changed: list[ItemChange] = Field(default_factory=list)
    areas: list[AreaEffect] = Field(default_factory=list)
    old_total: float
    new_total: float

    @property
    def empty(self) -> bool:
        return not (self.set_changes or self.added or self.removed or self.changed)


SET_FIELDS = (
    ("id", "mã bộ chỉ số"), ("title", "tên bộ chỉ số"), ("level", "cấp đơn vị"), ("year", "năm"),
    ("max_points", "tổng điểm tối đa"), ("survey_points", "điểm điều tra xã hội học"), ("rounding", "làm tròn"),
    ("index_basis", "cách tính chỉ số"), ("when_survey_missing", "khi chưa có điều tra"),
    ("bonus_cap", "trần điểm thưởng"), ("penalty_cap", "trần điểm trừ"), ("rounding_method", "cách làm tròn"),
    ("scored_alone", "chấm từng đơn vị riêng lẻ"),
)


def _flat(nodes: list[Node], level: str, area: str | None = None, depth: int = 0, parent: str | None = None):
    """id → (node, depth, area id, parent id, max) in pre-order."""
    found: dict[str, tuple[Node, int, str | None, str | None, float]] = {}
    for node in nodes:
        top = area or node.id
        own = level if applies(node, level) else (node.applies_to or [level])[0]  # a block's own item: its block's max
        found[node.id] = (node, depth, top, parent, node_max(node, own))
        found.update(_flat(node.children, own, top, depth + 1, node.id))
    return found


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value) or "không có"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def _block_text(block: Block | None) -> str | None:
    if block is None:
        return None
    parts = [block.label]
    if block.max_points is not None:
        parts.append(f"tối đa {format_number(block.max_points)} điểm")
    if block.survey_points is not None:
        parts.append(f"điều tra {format_number(block.survey_points)} điểm")
    if block.bands is not None:
        parts.append(f"xếp loại: {_bands(block.bands)}")
    return "; ".join(parts)


def _bands(bands: list[Band]) -> str:
    parts = []
    for band in bands:
        low = f"{'từ' if band.min_inclusive else 'trên'} {format_number(band.min)}%"
        high = "" if band.max is None else f" {'đến' if band.max_inclusive else 'dưới'} {format_number(band.max)}%"
        parts.append(f"{band.label} ({low}{high})")
    return "; ".join(parts) or "không có"


def _rule_changes(old: RuleKind | None, new: RuleKind | None, old_max: float, new_max: float,
                  old_labels: dict[str, str], new_labels: dict[str, str]) -> list[FieldChange]:
    """A changed kind, then each part the kind shows on its own (tiers, deadlines), then the rest in words."""
    if old is None or new is None:
        if old is new:
            return []
        return [FieldChange(field="rule.kind", label="loại quy tắc",
                            old=old.kind if old else "(tiêu chí cha)", new=new.kind if new else "(tiêu chí cha)")]
    if old.kind != new.kind:
        return [FieldChange(field="rule.kind", label="loại quy tắc", old=old.kind, new=new.kind),
                FieldChange(field="rule", label="quy tắc", old=old.describe(old_max, old_labels),
                            new=new.describe(new_max, new_labels))]
    changes = [FieldChange(field=before.field, label=before.label, old=before.text, new=after.text)
               for before, after in zip(old.diff_aspects(old_labels), new.diff_aspects(new_labels))
               if before.value != after.value]
    if old.diff_rest() != new.diff_rest():
        changes.append(FieldChange(field="rule", label="quy tắc", old=old.describe(old_max, old_labels),
                                   new=new.describe(new_max, new_labels)))
    return changes


def _node_changes(old: Node | Adjustment, new: Node | Adjustment, old_max: float, new_max: float,
                  old_parent: str | None, new_parent: str | None, old_labels, new_labels) -> list[FieldChange]:
    changes: list[FieldChange] = []
    if old.title != new.title:
        changes.append(FieldChange(field="title", label="tên", old=old.title, new=new.title))
    if abs(old_max - new_max) > 1e-9:
        changes.append(FieldChange(field="max_points", label="điểm tối đa", old=format_number(old_max), new=format_number(new_max)))
    if old_parent != new_parent:
        changes.append(FieldChange(field="parent", label="thuộc tiêu chí", old=old_parent, new=new_parent))
    changes += _rule_changes(old.rule, new.rule, old_max, new_max, old_labels, new_labels)
    fields = [("not_applicable", "khi không áp dụng"), ("applicable_if", "điều kiện áp dụng"), ("levels", "điểm theo cấp"),
              ("kind", "loại điểm thưởng/trừ"), ("provenance", "nguồn (provenance)"), ("remediation", "mẫu nhiệm vụ khắc phục"),
              ("description", "mô tả"), ("applies_to", "áp dụng cho cấp"), ("scored_by", "người chấm")]
    for field, label in fields:
        old_value, new_value = getattr(old, field, None), getattr(new, field, None)
        if isinstance(old_value, BaseModel) and isinstance(new_value, BaseModel) and type(old_value) is type(new_value):
            old_dump, new_dump = old_value.model_dump(mode="json"), new_value.model_dump(mode="json")
            for key in old_dump:
                if old_dump[key] != new_dump[key]:
                    changes.append(FieldChange(field=f"{field}.{key}", label=f"{label} — {key}",
                                               old=_text(old_dump[key]), new=_text(new_dump[key])))
        elif _text(old_value) != _text(new_value):
            changes.append(FieldChange(field=field, label=label, old=_text(old_value), new=_text(new_value)))
    return changes


def diff_criteria(old: LoadedCriteria, new: LoadedCriteria, old_file: str, new_file: str) -> CriteriaDiff:
    """Compare two loaded sets (each already resolved, validated)."""
    a, b = old.criteria, new.criteria
    old_labels, new_labels = catalog_labels(a), catalog_labels(b)
    set_changes = []
    for field, label in SET_FIELDS:
        if getattr(a, field) != getattr(b, field):
            set_changes.append(FieldChange(field=field, label=label, old=_text(getattr(a, field)), new=_text(getattr(b, field))))
    if _bands(a.bands) != _bands(b.bands):
        set_changes.append(FieldChange(field="bands", label="xếp loại", old=_bands(a.bands), new=_bands(b.bands)))
    for level in sorted(set(a.blocks) | set(b.blocks)):
        old_block, new_block = a.blocks.get(level), b.blocks.get(level)
        if _text(old_block) != _text(new_block):
            set_changes.append(FieldChange(field=f"blocks.{level}", label=f"khối {level}", old=_block_text(old_block),
                                           new=_block_text(new_block)))

    old_nodes, new_nodes = _flat(a.items, a.level), _flat(b.items, b.level)
    for adj in a.adjustments:
        old_nodes[adj.id] = (adj, 0, None, None, adj.max_points)
    for adj in b.adjustments:
        new_nodes[adj.id] = (adj, 0, None, None, adj.max_points)
    added = [ItemChange(id=i, title=n.title, kind="added", depth=d, area=area, new_max=m)
             for i, (n, d, area, _, m) in new_nodes.items() if i not in old_nodes]
    removed = [ItemChange(id=i, title=n.title, kind="removed", depth=d, area=area, old_max=m)
               for i, (n, d, area, _, m) in old_nodes.items() if i not in new_nodes]
    changed = []
    for node_id, (new_node, depth, area, new_parent, new_max) in new_nodes.items():
        if node_id not in old_nodes:
            continue
        old_node, _, _, old_parent, old_max = old_nodes[node_id]
        changes = _node_changes(old_node, new_node, old_max, new_max, old_parent, new_parent, old_labels, new_labels)
        if changes:
            changed.append(ItemChange(id=node_id, title=new_node.title, kind="changed", depth=depth, area=area,
                                      old_max=old_max, new_max=new_max, changes=changes))

    old_areas = {n.id: n for n in a.items}
    new_areas = {n.id: n for n in b.items}
    areas = []
    for area_id in list(old_areas) + [i for i in new_areas if i not in old_areas]:
        old_max = node_max(old_areas[area_id], a.level) if area_id in old_areas else None
        new_max = node_max(new_areas[area_id], b.level) if area_id in new_areas else None
        title = (new_areas.get(area_id) or old_areas[area_id]).title
        areas.append(AreaEffect(id=area_id, title=title, old_max=old_max, new_max=new_max,
                                delta=(new_max or 0.0) - (old_max or 0.0)))
    return CriteriaDiff(
        old=SetRef(id=a.id, title=a.title, file=old_file, hash=resolved_hash(a)),
        new=SetRef(id=b.id, title=b.title, file=new_file, hash=resolved_hash(b)),
        set_changes=set_changes, added=added, removed=removed, changed=changed, areas=areas,
        old_total=sum(node_max(n, a.level) for n in a.items), new_total=sum(node_max(n, b.level) for n in b.items))


def _max(value: float | None) -> str:
    return "—" if value is None else format_number(value)


def _signed(value: float) -> str:
    if abs(value) < 1e-9:
        return "0"
    return ("+" if value > 0 else "−") + format_number(abs(value))


def diff_text(diff: CriteriaDiff) -> str:
    """The comparison in Vietnamese, for a person deciding what to re-check."""
    lines = [f"So sánh bộ chỉ số: {diff.old.id} ({diff.old.file}) → {diff.new.id} ({diff.new.file})"]
    if diff.empty:
        lines.append("Không có thay đổi.")
    if diff.set_changes:
        lines.append("Thay đổi của bộ chỉ số:")
        lines += [f"  ~ {c.label}: {c.old or 'không có'} → {c.new or 'không có'}" for c in diff.set_changes]
    for title, items, mark, which in (("Thêm mới", diff.added, "+", "new_max"), ("Bỏ", diff.removed, "-", "old_max")):
        if items:
            lines.append(f"{title} ({len(items)}):")
            top = min(item.depth for item in items)
            for item in items:
                lines.append(f"  {'  ' * (item.depth - top)}{mark} {item.id} {item.title} ({_max(getattr(item, which))} điểm)")
    if diff.changed:
        lines.append(f"Thay đổi ({len(diff.changed)}):")
        for item in diff.changed:
            lines.append(f"  ~ {item.id} {item.title}")
            for change in item.changes:
                lines.append(f"      {change.label}: {change.old or 'không có'} → {change.new or 'không có'}")
    lines.append("Ảnh hưởng đến điểm tối đa từng lĩnh vực:")
    for area in diff.areas:
        lines.append(f"  {area.id}. {area.title}: {_max(area.old_max)} → {_max(area.new_max)} ({_signed(area.delta)})")
    lines.append(f"  Tổng: {_max(diff.old_total)} → {_max(diff.new_total)} ({_signed(diff.new_total - diff.old_total)})")
    return "\n".join(lines) + "\n"


def diff_json(diff: CriteriaDiff) -> str:
    return json.dumps(diff.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
