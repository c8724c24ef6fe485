"""One export aggregated: classify the rows, report the ones not counted, count the rest per unit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from engine.core.problems import InputError, Problem
from engine.core.vnformat import format_date
from engine.load.dossiers.counts import DossierAggregation, count_metrics
from engine.load.dossiers.mapping import DossierMapping
from engine.load.dossiers.problems import report_rows
from engine.load.dossiers.rows import (
    PERIOD_AFTER,
    PERIOD_BAD,
    PERIOD_BEFORE,
    PERIOD_MISSING,
    alias_index,
    classify_rows,
)


def aggregate_dossiers(
    path: Path,
    mapping: DossierMapping,
    period_start: date,
    period_end: date,
    unit_aliases: dict[str, str] | None = None,
) -> tuple[DossierAggregation | None, list[Problem]]:
    """Count one export's dossiers per unit for the period [period_start, period_end] (both included).

    Rows that cannot be counted are reported as warnings and left out; a file that cannot be read
    as this mapping describes (missing columns, not UTF-8, ...) gives no aggregation and its errors.
    Without `unit_aliases` the unit column is taken as the unit id (NFC, whitespace collapsed).
    """
    try:
        return _aggregate(Path(path), mapping, period_start, period_end, unit_aliases)
    except InputError as exc:
        return None, exc.problems


def _aggregate(path: Path, mapping: DossierMapping, period_start: date, period_end: date,
               unit_aliases: dict[str, str] | None) -> tuple[DossierAggregation, list[Problem]]:
    import numpy as np
    file = str(path)
    if period_start > period_end:
        message = f"kỳ không hợp lệ: ngày bắt đầu {format_date(period_start)} sau ngày kết thúc {format_date(period_end)}"
        raise InputError([Problem(code="dossier.bad_period", file=file, message=message)])
    rows = classify_rows(path, mapping, period_start, period_end, alias_index(unit_aliases))
    with ThreadPoolExecutor(max_workers=1) as pool:  # counting (whole arrays, outside the GIL) beside the wording
        counted = pool.submit(count_metrics, rows.unit_ids, rows.unit_idx, rows.status_idx, rows.used, rows.flag_bits)
        problems = report_rows(rows, mapping, file, period_start, period_end)
        metrics = counted.result()
    period = {kind: int(np.count_nonzero(rows.period_class == kind))
              for kind in (PERIOD_BEFORE, PERIOD_AFTER, PERIOD_BAD, PERIOD_MISSING)}
    aggregation = DossierAggregation(
        file=file,
        system=mapping.system,
        period_start=period_start,
        period_end=period_end,
        period_date=mapping.period_date,
        metrics=metrics,
        rows_read=rows.rows_read,
        rows_malformed=int(np.count_nonzero(rows.malformed)) + len(rows.table.skipped),
        rows_used=int(np.count_nonzero(rows.used)),
        rows_blank=int(np.count_nonzero(rows.blank)),
        rows_outside_period=period[PERIOD_BEFORE] + period[PERIOD_AFTER],
        rows_duplicate=int(np.count_nonzero(rows.duplicate)),
        rows_unknown_status=int(np.count_nonzero(rows.unknown_status)),
        rows_unknown_unit=int(np.count_nonzero(rows.unknown_unit)),
        rows_unreadable_date=period[PERIOD_BAD] + period[PERIOD_MISSING],
        rows_missing_id=int(np.count_nonzero(rows.missing_id)),
    )
    return aggregation, problems
