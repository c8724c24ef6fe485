"""Counting: the metrics per unit from the rows that passed every check, and the aggregation record."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from engine.core.base import Frozen
from engine.load.dossiers.columnar import BLOCK
from engine.load.dossiers.mapping import RESOLVED_STATUSES, STATUSES

if TYPE_CHECKING:
    import numpy as np


METRIC_NAMES: tuple[str, ...] = (
    "dossiers_received",
    "dossiers_resolved",
    "dossiers_resolved_on_time",
    "dossiers_resolved_late",
    "dossiers_in_progress",
    "dossiers_in_progress_overdue",
    "dossiers_waiting_supplement",
    "dossiers_withdrawn",
    "results_digitized",
    "dossiers_online",
    "payments_online",
)


class DossierAggregation(Frozen):
    """Metrics per unit from one export and how many rows were not counted, per reason.

    A row may fail more than one check (e.g. a duplicate outside the period), so the excluded
    counts may overlap; rows_used counts the rows that passed every check. The problems naming
    those rows come beside it from `aggregate_dossiers`.
    """

    file: str
    system: str
    period_start: date
    period_end: date
    period_date: Literal["received", "resolved"]
    metrics: dict[str, dict[str, int]]
    rows_read: int
    rows_used: int
    rows_blank: int = 0
    rows_outside_period: int = 0
    rows_duplicate: int = 0
    rows_unknown_status: int = 0
    rows_unknown_unit: int = 0
    rows_unreadable_date: int = 0
    rows_missing_id: int = 0
    rows_malformed: int = 0


BLOCK_BINS = 1 << 16
"""Up to this many (unit, status, flags) combinations are counted block by block into one small table."""

BINCOUNT_BINS = 1 << 22
"""Up to this many combinations are counted into a table over all rows at once; beyond it, by sorting."""


def count_metrics(
    unit_ids: list[str],
    unit_idx: np.ndarray,
    status_idx: np.ndarray,
    used: np.ndarray,
    flag_bits: np.ndarray,
) -> dict[str, dict[str, int]]:
    """Counts per unit; only units with at least one counted dossier appear.

    Each counted row gets one key (unit, status and its three yes/no flags, `flag_bits`: 4 digitized
    result, 2 submitted online, 1 paid online) and the keys are counted in one pass; every metric
    is then a sum over the few distinct keys.
    """
    import numpy as np
    units, k = len(unit_ids), len(STATUSES)
    bins = units * k * 8
    wide = np.int64 if bins >= 2**31 else np.int32

    def keys(rows: slice) -> np.ndarray:
        key = unit_idx[rows].astype(wide)
        key *= k
        key += status_idx[rows]
        key <<= 3
        key |= flag_bits[rows]
        return key[used[rows]]

    if bins <= BLOCK_BINS:
        counts = np.zeros(bins, dtype=np.int64)
        for at in range(0, len(used), 4 * BLOCK):
            counts += np.bincount(keys(slice(at, at + 4 * BLOCK)), minlength=bins)
        values = np.flatnonzero(counts)
        counts = counts[values]
    elif bins <= max(BINCOUNT_BINS, 2 * len(used)):
        counts = np.bincount(keys(slice(None)), minlength=bins)
        values = np.flatnonzero(counts)
        counts = counts[values]
    else:
        values, counts = np.unique(keys(slice(None)), return_counts=True)
    unit, status = np.divmod(values >> 3, k)
    digitized, online, payment = (values & 4) > 0, (values & 2) > 0, (values & 1) > 0
    resolved = np.isin(status, [STATUSES.index(name) for name in RESOLVED_STATUSES])

    def per_unit(mask: np.ndarray) -> np.ndarray:
        totals = np.zeros(units, dtype=np.int64)
        np.add.at(totals, unit[mask], counts[mask])
        return totals

    by_status = np.zeros((units, k), dtype=np.int64)
    np.add.at(by_status, (unit, status), counts)
    digitized_results = per_unit(resolved & digitized)
    online_dossiers = per_unit(online)
    payments = per_unit(payment)
    s = {name: by_status[:, i] for i, name in enumerate(STATUSES)}
    result: dict[str, dict[str, int]] = {}
    for i, unit_id in enumerate(unit_ids):
        received = int(by_status[i].sum())
        if not received:
            continue
        on_time = int(s["early"][i] + s["on_time"][i])
        late = int(s["late"][i])
        values_of_unit = (
            received, on_time + late, on_time, late,
            int(s["in_progress"][i]), int(s["in_progress_overdue"][i]),
            int(s["waiting_supplement"][i]), int(s["withdrawn"][i]),
            int(digitized_results[i]), int(online_dossiers[i]), int(payments[i]),
        )
        result[unit_id] = dict(zip(METRIC_NAMES, values_of_unit))
    return result


def aggregation_to_metrics_rows(aggregation: DossierAggregation) -> dict[str, list[dict[str, Any]]]:
    """Per unit, metric records {name, value, period_start, period_end, source} for the evidence layer."""
    source = f"{Path(aggregation.file).name} ({aggregation.system})"
    return {
        unit_id: [
            {"name": name, "value": value, "period_start": aggregation.period_start,
             "period_end": aggregation.period_end, "source": source}
            for name, value in metrics.items()
        ]
        for unit_id, metrics in aggregation.metrics.items()
    }
