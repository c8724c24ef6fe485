"""Small pieces every report shares: the run's stamp, Roman numerals, band order, averages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from engine.core.vnformat import format_number
from engine.model.criteria import Band
from engine.model.results import RunResult, UnitResult
from engine.render.reports.office import FIXED_STAMP

_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def roman(number: int) -> str:
    """1 → I, 4 → IV, 9 → IX: section numbers of the plan appendix."""
    text = ""
    for value, letters in _ROMAN:
        while number >= value:
            text += letters
            number -= value
    return text


def run_stamp(run: RunResult) -> datetime:
    """The latest as-of date of the run: a date that belongs to the data, so files do not change between runs."""
    if not run.units:
        return FIXED_STAMP
    latest = max(unit.as_of for unit in run.units)
    return datetime(latest.year, latest.month, latest.day)


def points(value: float | None) -> str:
    return "-" if value is None else format_number(value)


def percent(value: float | None) -> str:
    return "-" if value is None else format_number(value) + "%"


def band_labels(run: RunResult, bands: Sequence[Band] = ()) -> list[str]:
    """Band labels best first: from the set's bands when given, else as they appear in the ranked run."""
    if bands:
        return [b.label for b in sorted(bands, key=lambda b: -b.min)]
    labels: list[str] = []
    for unit in run.units:
        if unit.band is not None and unit.band not in labels:
            labels.append(unit.band)
    return labels


def area_titles(run: RunResult) -> list[tuple[str, str]]:
    """(id, title) of the areas in set order, taken from the first unit that has them."""
    for unit in run.units:
        if unit.areas:
            return [(a.id, a.title) for a in unit.areas]
    return []


def average_area_index(run: RunResult) -> dict[str, float | None]:
    """Mean component index per area over the units where the area applies."""
    sums: dict[str, list[float]] = {}
    for unit in run.units:
        for area in unit.areas:
            sums.setdefault(area.id, [])
            if area.index_pct is not None:
                sums[area.id].append(area.index_pct)
    return {area: (round(sum(values) / len(values), 2) if values else None) for area, values in sums.items()}


def average_index(units: Sequence[UnitResult]) -> float | None:
    values = [u.index_pct for u in units if u.index_pct is not None]
    return round(sum(values) / len(values), 2) if values else None
