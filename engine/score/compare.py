"""Two states of the same criteria compared: two rounds of an assessment, or two runs (two dates, two years).

Per unit and criterion: newly losing points (full before, not after), recovered (the reverse) and
changed (other differences), each with what caused it — the entry of a person (who, role, when,
why) or a change of the points computed from the evidence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.core.vnformat import format_number
from engine.kinds.base import EPS
from engine.model.assessment import ROLE_LABELS, ROUND_LABELS, ROUNDS
from engine.model.results import Comparison, PointChange, RunResult
from engine.score.rounds import when

_KIND_ORDER = {"lost": 0, "recovered": 1, "changed": 2}


def _id_key(node_id: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in node_id.split("."))


def _entry_words(entry: dict[str, Any]) -> str:
    at = entry["at"] if isinstance(entry["at"], datetime) else datetime.fromisoformat(entry["at"])
    text = f"{entry['by']} ({ROLE_LABELS.get(entry['role'], entry['role'])}, {ROUND_LABELS.get(entry['round'], entry['round'])}, {when(at)})"
    if entry.get("points") is not None:
        text += f" cho {format_number(entry['points'])} điểm"
    if entry.get("reason"):
        text += f": {entry['reason']}"
    return text


def _kind(before: float, after: float, max_points: float, penalty: bool = False) -> str:
    """For a penalty, points are deducted: going from none to some is losing points."""
    if penalty:
        return "lost" if before <= EPS < after else "recovered" if after <= EPS < before else "changed"
    if before >= max_points - EPS > after:
        return "lost"
    if after >= max_points - EPS > before:
        return "recovered"
    return "changed"


def _items(unit: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = {n["id"]: n for n in unit.get("nodes", []) if n.get("is_leaf")}
    items.update({a["id"]: a for a in unit.get("adjustments", [])})
    return items


def _points(item: dict[str, Any]) -> float:
    return item["final_points"] if item.get("final_points") is not None else item["points"]


def compare_runs(before: dict[str, Any], after: dict[str, Any], before_label: str, after_label: str) -> Comparison:
    """Two run results (as written by `score --format json`); final points when present, else points."""
    a_units = {u["unit_id"]: u for u in before.get("units", [])}
    b_units = {u["unit_id"]: u for u in after.get("units", [])}
    changes: list[PointChange] = []
    for unit_id in sorted(set(a_units) & set(b_units)):
        a_items, b_items = _items(a_units[unit_id]), _items(b_units[unit_id])
        for criterion in sorted(set(a_items) & set(b_items), key=_id_key):
            a, b = a_items[criterion], b_items[criterion]
            pa, pb = _points(a), _points(b)
            if abs(pa - pb) <= EPS:
                continue
            seen = {(e["round"], e["at"], e["by"]) for e in a.get("rounds", [])}
            new = [e for e in b.get("rounds", []) if (e["round"], e["at"], e["by"]) not in seen
                   and e.get("points") is not None]
            cause = None
            if new:
                cause = _entry_words(max(new, key=lambda e: (ROUNDS.index(e["round"]), e["at"])))
            elif abs(a.get("computed_points", a["points"]) - b.get("computed_points", b["points"])) > EPS:
                cause = (f"điểm tính từ minh chứng thay đổi từ {format_number(a.get('computed_points', a['points']))} "
                         f"thành {format_number(b.get('computed_points', b['points']))}")
            changes.append(PointChange(unit_id=unit_id, unit_name=b_units[unit_id]["name"], criterion=criterion,
                                  title=b["title"], kind=_kind(pa, pb, b["max_points"], b.get("kind") == "penalty"), before=pa, after=pb,
                                  max_points=b["max_points"], cause=cause))
    return Comparison(before=before_label, after=after_label, changes=_sorted(changes),
                      only_before=sorted(set(a_units) - set(b_units)), only_after=sorted(set(b_units) - set(a_units)))


def compare_rounds(run: RunResult, before: str, after: str) -> Comparison:
    """The points standing at the end of round `before` and round `after` of every unit."""
    ia, ib = ROUNDS.index(before), ROUNDS.index(after)
    changes: list[PointChange] = []
    for unit in sorted(run.units, key=lambda u: u.unit_id):
        items = [n for n in unit.nodes if n.is_leaf] + list(unit.adjustments)
        for item in sorted(items, key=lambda n: _id_key(n.id)):
            if not item.by_round:
                continue
            a, b = item.by_round[ia], item.by_round[ib]
            if abs(a.points - b.points) <= EPS:
                continue
            low, high = min(ia, ib), max(ia, ib)
            between = [e for e in item.rounds if low < ROUNDS.index(e.round) <= high and e.points is not None]
            cause = None
            if between:
                cause = _entry_words(between[-1].model_dump())
            elif abs(a.computed_points - b.computed_points) > EPS:
                cause = (f"tính lại từ minh chứng nộp lại khi giải trình: từ {format_number(a.computed_points)} "
                         f"thành {format_number(b.computed_points)}")
            changes.append(PointChange(unit_id=unit.unit_id, unit_name=unit.name, criterion=item.id, title=item.title,
                                  kind=_kind(a.points, b.points, item.max_points, getattr(item, "kind", None) == "penalty"),
                                  before=a.points, after=b.points,
                                  max_points=item.max_points, cause=cause))
    return Comparison(before=ROUND_LABELS[before], after=ROUND_LABELS[after], changes=_sorted(changes))


def _sorted(changes: list[PointChange]) -> list[PointChange]:
    return sorted(changes, key=lambda c: (c.unit_id, _KIND_ORDER[c.kind], _id_key(c.criterion)))
