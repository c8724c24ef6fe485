"""Problem codes of aggregated report reading, with when each is raised (listed in docs/problems.md)."""

from __future__ import annotations

from engine.core.problems import Problem

REPORT_CODES: dict[str, str] = {
    "report.mapping_invalid": "the aggregated mapping YAML breaks its schema (unknown key, bad header path, ...)",
    "report.unreadable": "the table file cannot be opened or decoded (not UTF-8, damaged workbook, unknown type)",
    "report.too_large": "the file, its unpacked size or its row count is beyond the reader's limits",
    "report.no_sheet": "the sheet named in the mapping is not in the workbook",
    "report.no_header": "the header row (the label column's header) is not found",
    "report.missing_column": "a mapped column's header path is not in the file",
    "report.ambiguous_column": "a mapped header path matches more than one column",
    "report.formula_without_value": "a workbook cell holds a formula whose result was never saved",
    "report.not_a_count": "a count cell is not a whole non-negative number",
    "report.not_a_rate": "a rate cell is not a number or percentage",
    "report.no_label": "a row has numbers but no unit or field name",
    "report.duplicate_unit": "two rows name the same unit",
    "report.many_total_rows": "more than one row is labelled as the total",
    "report.identity": "counts of one row that must agree do not (parts and whole, received and handled)",
    "report.total_mismatch": "the rows of a column do not add up to the total row",
    "report.rate_mismatch": "a stated rate differs from the rate recomputed from the counts beyond its printed precision",
}


# Numbers of a readable table that cannot be used: data problems (warnings); the others stop the reading.
DATA_CODES = frozenset({"report.formula_without_value", "report.not_a_count", "report.not_a_rate", "report.no_label",
                        "report.duplicate_unit", "report.many_total_rows", "report.identity", "report.total_mismatch",
                        "report.rate_mismatch"})


def problem(*, code: str, file: str, message: str, **place) -> Problem:
    """A problem with its code (one of REPORT_CODES); data problems are warnings, the rest errors."""
    assert code in REPORT_CODES, code
    return Problem(code=code, file=file, message=message, severity="warning" if code in DATA_CODES else "error", **place)
