"""Counts of a report row that must agree, checked wherever the row gives the numbers.

received = online + direct/postal (+ carried over); resolved = early + on time + late;
in progress = within + past deadline; resolved + in progress + the categories counted apart
(returned, withdrawn, ...) never exceed what was received; a part never exceeds its whole; a
stated rate equals the rate recomputed from the counts within the precision it was printed with.
A total is compared only when the file writes it: a total the reader computed from the same
parts would agree by construction and prove nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from engine.core.vnformat import format_number
from engine.load.report_forms.mapping import FIELD_WORDS, RateColumn
from engine.load.report_forms.values import Rate


@dataclass(frozen=True)
class Term:
    """One count cell: which field it is, its header as written, its A1 reference and value."""

    field: str
    label: str
    ref: str
    value: int


@dataclass(frozen=True)
class Failure:
    """A failed identity: the Vietnamese sentence (naming cells and numbers) and the fields involved."""

    message: str
    fields: frozenset[str]
    refs: tuple[str, ...]
    rate: bool = False  # a stated rate that does not fit its counts, rather than counts that do not add up


# Parts of a whole; a part in OPTIONAL_PARTS may be absent from a layout (direct and postal in one column).
SUMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("received_new", ("received_online", "received_direct", "received_postal")),
    ("received_total", ("carried_over", "received_new")),
    ("resolved_total", ("resolved_early", "resolved_on_time", "resolved_late")),
    ("resolved_on_time_or_early", ("resolved_early", "resolved_on_time")),
    ("resolved_total", ("resolved_on_time_or_early", "resolved_late")),
    ("in_progress_total", ("in_progress_within", "in_progress_overdue")),
)
OPTIONAL_PARTS = frozenset({"received_postal"})


def quantity(values: dict[str, Term], bad: set[str], name: str) -> list[Term] | None:
    """The cells that make up a quantity: its own cell, or (when the layout has no such column) its parts."""
    if name in bad:
        return None
    if name in values:
        return [values[name]]
    for whole, parts in SUMS:
        if whole != name:
            continue
        needed = [p for p in parts if p not in OPTIONAL_PARTS or p in values or p in bad]
        terms = [quantity(values, bad, p) for p in needed]
        if all(t is not None for t in terms):
            return [term for group in terms for term in group]
    return None


def _terms_text(terms: list[Term]) -> str:
    cells = " + ".join(f"ô {t.ref} '{t.label}'" for t in terms)
    if len(terms) == 1:
        return f"{cells} = {format_number(terms[0].value, 0)}"
    numbers = " + ".join(format_number(t.value, 0) for t in terms)
    return f"{cells} = {numbers} = {format_number(sum(t.value for t in terms), 0)}"


def _failure(message: str, *groups: list[Term]) -> Failure:
    terms = [t for group in groups for t in group]
    return Failure(message, frozenset(t.field for t in terms), tuple(t.ref for t in terms))


def check_row(values: dict[str, Term], bad: set[str], separate: tuple[str, ...],
              rates: dict[str, tuple[RateColumn, Rate, str, str]]) -> list[Failure]:
    """Every identity the row's numbers allow; `bad` fields could not be read and are not checked."""
    failures: list[Failure] = []
    for whole, parts in SUMS:
        if whole not in values or whole in bad:
            continue
        whole_terms = [values[whole]]
        groups = [quantity(values, bad, p) for p in parts]
        if any(g is None and (p in values or p in bad) for g, p in zip(groups, parts)):
            continue  # a part written in the file could not be read: nothing to compare
        available = [g for g in groups if g is not None]
        if not available:
            continue
        part_terms = [t for g in available for t in g]
        total, wanted = sum(t.value for t in part_terms), whole_terms[0].value
        complete = all(g is not None or p in OPTIONAL_PARTS for g, p in zip(groups, parts))
        if complete and total != wanted:
            failures.append(_failure(
                f"{FIELD_WORDS[whole]} không bằng tổng các phần: {_terms_text(whole_terms)} nhưng "
                f"{_terms_text(part_terms)} (chênh lệch {format_number(abs(total - wanted), 0)})", whole_terms, part_terms))
        elif not complete and total > wanted:
            failures.append(_failure(
                f"phần lớn hơn tổng: {_terms_text(part_terms)} lớn hơn {FIELD_WORDS[whole]} {_terms_text(whole_terms)}",
                whole_terms, part_terms))
    failures += _handled_within_received(values, bad, separate)
    for part, whole in (("results_digitized", "resolved_total"), ("payments_online", "received_total")):
        part_terms, whole_terms = quantity(values, bad, part), quantity(values, bad, whole)
        if part_terms and whole_terms and part_terms[0].value > sum(t.value for t in whole_terms):
            failures.append(_failure(
                f"{FIELD_WORDS[part]} lớn hơn {FIELD_WORDS[whole]}: {_terms_text(part_terms)} > {_terms_text(whole_terms)}",
                part_terms, whole_terms))
    for name, (rate, stated, ref, label) in sorted(rates.items()):
        failure = _rate_failure(values, bad, rate, stated, ref, label)
        if failure is not None:
            failures.append(failure)
    return failures


def _handled_within_received(values: dict[str, Term], bad: set[str], separate: tuple[str, ...]) -> list[Failure]:
    received = quantity(values, bad, "received_total")
    handled = [quantity(values, bad, name) for name in ("resolved_total", "in_progress_total")]
    if received is None or any(h is None for h in handled):
        return []
    extra = [quantity(values, bad, name) for name in separate if name in values or name in bad]
    if any(e is None for e in extra):
        return []
    terms = [t for group in handled + extra for t in group]
    if sum(t.value for t in terms) <= sum(t.value for t in received):
        return []
    return [_failure(f"số hồ sơ đã xử lý vượt số hồ sơ nhận giải quyết: {_terms_text(terms)} lớn hơn "
                     f"{_terms_text(received)}", terms, received)]


def _rate_failure(values: dict[str, Term], bad: set[str], rate: RateColumn, stated: Rate, ref: str,
                  label: str) -> Failure | None:
    numerator = [quantity(values, bad, f) for f in rate.numerator]
    denominator = [quantity(values, bad, f) for f in rate.denominator]
    if any(g is None for g in numerator + denominator):
        return None
    num_terms = [t for g in numerator for t in g]
    den_terms = [t for g in denominator for t in g]
    den = sum(t.value for t in den_terms)
    if den == 0:
        return None
    exact = Fraction(100 * sum(t.value for t in num_terms), den)
    if abs(Fraction(str(stated.value)) - exact) < Fraction(1, 10 ** stated.decimals):
        return None
    printed = format_number(stated.value, stated.decimals) + "%"
    message = (f"tỷ lệ ghi trong biểu (ô {ref} '{label}' = {printed}) khác tỷ lệ tính lại từ số liệu: "
               f"100 × ({_terms_text(num_terms)}) / ({_terms_text(den_terms)}) = "
               f"{format_number(float(exact), stated.decimals + 2)}%, lệch quá độ chính xác "
               f"{stated.decimals} chữ số thập phân của số đã ghi")
    failure = _failure(message, num_terms, den_terms)
    return Failure(failure.message, failure.fields, (ref, *failure.refs), rate=True)
