"""Checks that need both the criteria set and the evidence: the year they are for, and how each metric is written.

A bundle of another year scored against this year's set, a count typed as "85%" or "1.952,5", or
"có" in a count field would each give a score that looks fine and is wrong; they are input errors
naming the file, the place and the value as typed.
"""

from __future__ import annotations

from typing import Any

from engine.core.problems import Problem
from engine.core.vnformat import nfc, written_as_percent
from engine.kinds.tree import CriteriaSet
from engine.model.evidence import LoadedBundle
from engine.model.names import BUILTIN_METRICS

YES_NO_WORDS = ("có", "co", "yes", "true", "x", "không", "khong", "no", "false")


def evidence_problems(criteria: CriteriaSet, bundles: list[LoadedBundle]) -> list[Problem]:
    """Every disagreement between the set and the bundles, all bundles in one pass."""
    problems: list[Problem] = []
    for loaded in bundles:
        problems += _year_problems(criteria, loaded)
        problems += _metric_problems(criteria, loaded)
    return problems


def _place(loaded: LoadedBundle, key: tuple[str, int]) -> tuple[dict[str, Any], Any]:
    place = dict(loaded.places.get(key) or {"file": loaded.file})
    written = place.pop("written", None)
    return place, written


def _year_problems(criteria: CriteriaSet, loaded: LoadedBundle) -> list[Problem]:
    year = loaded.bundle.period.year
    if year == criteria.year:
        return []
    place, _ = _place(loaded, ("period", 0))
    return [Problem(**place, value=str(year), code="bundle.year_mismatch",
                    message=f"bộ minh chứng của năm {year} nhưng bộ chỉ số '{criteria.id}' dùng cho năm {criteria.year}; "
                            "chấm bằng bộ chỉ số cùng năm")]


def _scale(criteria: CriteriaSet, name: str) -> str | None:
    entry = criteria.catalog.metrics.get(name)
    if entry is not None:
        return entry.value_scale()
    if name in BUILTIN_METRICS:
        return "count"
    return None  # a fact (yes/no) or a name the set does not use


def _is_yes_no(written: Any) -> bool:
    if isinstance(written, bool):
        return True
    return isinstance(written, str) and " ".join(nfc(written).casefold().split()) in YES_NO_WORDS


def _metric_problems(criteria: CriteriaSet, loaded: LoadedBundle) -> list[Problem]:
    problems: list[Problem] = []
    for index, metric in enumerate(loaded.bundle.metrics):
        if ("metrics", index) not in loaded.places:
            continue  # computed by parindex (dossier exports), not typed
        scale = _scale(criteria, metric.name)
        if scale is None:
            continue
        written = loaded.places.written(("metrics", index))
        label = f"chỉ số '{metric.name}'"
        if _is_yes_no(written):
            code, message = "metric.yes_no_in_number", f"{label} là số liệu, không phải có/không; ghi con số"
        elif scale == "count" and written_as_percent(written):
            code, message = ("metric.percent_in_count",
                             f"{label} là số đếm, không ghi dạng phần trăm; ghi số lượng (số nguyên)")
        elif scale == "amount" and written_as_percent(written):
            code, message = ("metric.percent_in_amount",
                             f"{label} là một lượng (không phải tỷ lệ); không ghi dạng phần trăm")
        elif scale == "count" and not float(metric.value).is_integer():
            code, message = ("metric.count_not_whole",
                             f"{label} là số đếm nên phải là số nguyên; số có phần thập phân "
                             "(dấu phẩy là dấu thập phân, dấu chấm phân cách hàng nghìn)")
        else:
            continue
        place, _ = _place(loaded, ("metrics", index))
        problems.append(Problem(**place, value=str(written) if written is not None else None, code=code, message=message))
    return problems
