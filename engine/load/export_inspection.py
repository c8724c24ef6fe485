"""How a dossier export or report is read with a mapping, before anyone scores with it.

An officer gives a file and a mapping (a shipped name or a YAML file) and sees the metrics per
unit as the engine will use them, the metrics that are data problems and why, and every problem
with its place and value. Row-level exports are counted over a year, or over all their rows.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field

from engine.core.base import Frozen
from engine.core.problems import InputError, Problem
from engine.load.dossiers import aggregate_dossiers
from engine.load.report_forms.mapping import ReportMapping, load_any_mapping, mapping_file, shipped_mappings
from engine.load.report_forms.read import read_report

EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


class InspectedUnit(Frozen):
    """One unit (or the whole table of a per-field report) as read."""

    unit: str
    row: int | None = None
    metrics: dict[str, int] = Field(default_factory=dict)
    data_problems: dict[str, str] = Field(default_factory=dict)


class ExportInspection(Frozen):
    """What a file gives with a mapping; the problems found on the way come beside it."""

    file: str
    mapping: str
    system: str
    layout: Literal["rows", "units", "fields"]
    period_start: date | None = None
    period_end: date | None = None
    units: list[InspectedUnit]


def _mapping(name_or_file: str) -> Path:
    """The mapping file; an unknown shipped name is an argument problem listing the names there are."""
    path = mapping_file(name_or_file)
    if not name_or_file.endswith((".yaml", ".yml")) and not path.is_file():
        raise InputError([Problem(code="args.unknown_mapping", file="(tham số)", path="--mapping", value=name_or_file,
                                  message="không có ánh xạ này; các ánh xạ có sẵn: " + ", ".join(shipped_mappings())
                                          + ", hoặc đường dẫn tới tệp ánh xạ .yaml")])
    return path


def inspect_export(file: Path, mapping: str, year: int | None = None) -> tuple[ExportInspection | None, list[Problem]]:
    """Read `file` with `mapping`: what it gives and every problem; no inspection when it cannot be read at all."""
    try:
        path = _mapping(mapping)
        loaded = load_any_mapping(path)
    except InputError as exc:
        return None, exc.problems
    if isinstance(loaded, ReportMapping):
        reading, problems = read_report(Path(file), loaded)
        if reading is None:
            return None, problems
        units = [InspectedUnit(unit=u.label, row=u.row, metrics=u.metrics, data_problems=u.failed)
                 for u in reading.units]
        return ExportInspection(file=reading.file, mapping=mapping, system=reading.system, layout=reading.rows,
                                period_start=reading.period_start, period_end=reading.period_end,
                                units=units), problems
    start, end = (date(year, 1, 1), date(year, 12, 31)) if year is not None else (EARLIEST, LATEST)
    aggregation, problems = aggregate_dossiers(Path(file), loaded, start, end)
    if aggregation is None:
        return None, problems
    units = [InspectedUnit(unit=unit, metrics=metrics) for unit, metrics in sorted(aggregation.metrics.items())]
    return ExportInspection(file=aggregation.file, mapping=mapping, system=aggregation.system, layout="rows",
                            period_start=start if year is not None else None,
                            period_end=end if year is not None else None, units=units), problems
