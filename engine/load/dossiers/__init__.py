"""Row-level dossier exports (hồ sơ TTHC) from one-stop (Một cửa) software, aggregated into metrics.

Every one-stop system names its columns and statuses its own way, so a YAML mapping says how one
system writes them; the code never guesses. Exports reach a million rows a year, so the reading is
vectorised: each column is factorised once and only its distinct values go through Python.
Every row that is not counted is reported (file, row as the user sees it, column, value), with
repeated problems grouped so that a million bad rows make a handful of problems, not a million.

The work is split the way it flows: mapping (what the export looks like), rows (read and
classify every row), problems (word what was not counted), counts (the metrics per unit), and
aggregate (the three in order).
"""

from engine.load.dossiers.aggregate import aggregate_dossiers
from engine.load.dossiers.counts import METRIC_NAMES, DossierAggregation, aggregation_to_metrics_rows
from engine.load.dossiers.mapping import (
    RESOLVED_STATUSES,
    STATUSES,
    CanonicalStatus,
    DossierColumns,
    DossierMapping,
    load_mapping,
    text_key,
)
from engine.load.dossiers.problems import MAX_LISTED_ROWS, MAX_LISTED_VALUES
from engine.load.dossiers.rows import bare_read

__all__ = [
    "RESOLVED_STATUSES", "STATUSES", "METRIC_NAMES", "MAX_LISTED_ROWS", "MAX_LISTED_VALUES", "CanonicalStatus",
    "DossierColumns", "DossierMapping", "DossierAggregation", "aggregate_dossiers", "aggregation_to_metrics_rows",
    "bare_read", "load_mapping", "text_key",
]
