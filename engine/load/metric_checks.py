"""Dossier metrics of one bundle that must agree, whoever wrote them (by hand, a workbook, an export).

More resolved than received, more on time than resolved, on time and late not adding up to
resolved, more digitized results than resolved dossiers, more online submissions than dossiers
received: each is a data problem on every metric involved, so every criterion using one of them
becomes "lỗi dữ liệu" and shows the numbers, instead of being scored.

The dossier categories are disjoint (see engine.model.names), so resolved, in progress, waiting,
withdrawn and returned together never exceed received plus carried over.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.vnformat import format_number
from engine.model.evidence import Metric
from engine.model.names import BUILTIN_METRICS

HANDLED = ("dossiers_resolved", "dossiers_in_progress", "dossiers_in_progress_overdue", "dossiers_waiting_supplement",
           "dossiers_withdrawn", "dossiers_returned")


@dataclass(frozen=True)
class Rule:
    """sum(parts) == sum(whole) ("equal") or sum(parts) <= sum(whole) ("at_most").

    The first name of `whole` is required, the others count when present; parts count when present.
    An "equal" rule with a part missing is checked as "at_most": a part never exceeds its whole.
    """

    relation: str
    whole: tuple[str, ...]
    parts: tuple[str, ...]
    words: str


RULES: tuple[Rule, ...] = (
    Rule("equal", ("dossiers_resolved",), ("dossiers_resolved_on_time", "dossiers_resolved_late"),
         "số hồ sơ đã giải quyết phải bằng số đúng hạn (kể cả trước hạn) cộng số quá hạn"),
    Rule("at_most", ("dossiers_resolved",), ("results_digitized",),
         "số hồ sơ số hóa kết quả không thể nhiều hơn số hồ sơ đã giải quyết"),
    Rule("at_most", ("dossiers_received",), ("dossiers_online",),
         "số hồ sơ nộp trực tuyến không thể nhiều hơn số hồ sơ tiếp nhận"),
    Rule("at_most", ("dossiers_received", "dossiers_carried_over"), ("payments_online",),
         "số hồ sơ thanh toán trực tuyến không thể nhiều hơn số hồ sơ tiếp nhận (cộng kỳ trước chuyển qua)"),
    Rule("at_most", ("dossiers_received", "dossiers_carried_over"), HANDLED,
         "số hồ sơ đã giải quyết, đang giải quyết, chờ bổ sung, rút và trả lại không thể nhiều hơn số hồ sơ "
         "tiếp nhận (cộng kỳ trước chuyển qua)"),
)


@dataclass(frozen=True)
class Contradiction:
    """A rule the bundle's numbers break: the sentence (with numbers and sources) and the names involved."""

    message: str
    names: tuple[str, ...]


def _label(name: str) -> str:
    return BUILTIN_METRICS.get(name, (name,))[0]


def _terms(metrics: list[Metric]) -> str:
    listed = " + ".join(f"{_label(m.name)} {format_number(m.value)} ({m.source or 'không ghi nguồn'})" for m in metrics)
    return listed + (f" = {format_number(sum(m.value for m in metrics))}" if len(metrics) > 1 else "")


def contradictions(metrics: list[Metric], skip: set[str] | frozenset[str] = frozenset()) -> list[Contradiction]:
    """Rules broken by the metrics; names declared more than once or in `skip` (already failed) are not used."""
    counts: dict[str, int] = {}
    for metric in metrics:
        counts[metric.name] = counts.get(metric.name, 0) + 1
    single = {m.name: m for m in metrics if counts[m.name] == 1 and m.name not in skip}
    found: list[Contradiction] = []
    for rule in RULES:
        if rule.whole[0] not in single or any(n in skip or counts.get(n, 0) > 1 for n in rule.whole + rule.parts):
            continue
        whole = [single[n] for n in rule.whole if n in single]
        parts = [single[n] for n in rule.parts if n in single]
        if not parts:
            continue
        total, limit = sum(m.value for m in parts), sum(m.value for m in whole)
        complete = len(parts) == len(rule.parts)
        broken = abs(total - limit) > 1e-9 if rule.relation == "equal" and complete else total > limit + 1e-9
        if broken:
            relation = "khác" if rule.relation == "equal" and complete else "lớn hơn"
            found.append(Contradiction(
                f"số liệu hồ sơ mâu thuẫn: {rule.words}; {_terms(parts)} {relation} {_terms(whole)}",
                tuple(m.name for m in whole + parts)))
    return found


def failed_names(found: list[Contradiction]) -> dict[str, str]:
    """Each metric involved → the first contradiction it takes part in, as the reason its criteria are not scored."""
    failed: dict[str, str] = {}
    for item in found:
        for name in item.names:
            failed.setdefault(name, item.message + "; không chấm tiêu chí dựa trên các số liệu này cho đến khi sửa")
    return failed
