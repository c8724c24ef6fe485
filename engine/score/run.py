"""A run: every unit scored, ranked, with the set it was scored against."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from engine.core.problems import InputError, Problem
from engine.kinds.tree import LoadedCriteria, set_levels
from engine.model.evidence import LoadedBundle
from engine.model.results import CriteriaRef, RunResult, UnitResult
from engine.score.unit import score_unit


def rank_units(units: list[UnitResult]) -> list[UnitResult]:
    """Competition ranking (1, 1, 3) by index within each unit level; ties listed by unit id."""
    by_level: dict[str, list[UnitResult]] = defaultdict(list)
    for unit in units:
        by_level[unit.level].append(unit)
    ranked: list[UnitResult] = []
    for level in sorted(by_level):
        ordered = sorted(by_level[level], key=lambda u: (-(u.index_pct if u.index_pct is not None else -1), u.unit_id))
        previous, rank = None, 0
        for position, unit in enumerate(ordered, start=1):
            if unit.index_pct != previous:
                rank, previous = position, unit.index_pct
            ranked.append(unit.model_copy(update={"rank": rank if unit.index_pct is not None else None}))
    return ranked


def level_problems(loaded: LoadedCriteria, bundles: list[LoadedBundle]) -> list[Problem]:
    """Units whose level the set does not cover: scoring them would use the wrong maxima."""
    levels = set_levels(loaded.criteria)
    return [Problem(file=b.file, path="unit.level", value=b.bundle.unit.level,
                    message=f"cấp đơn vị '{b.bundle.unit.level}' không dùng được bộ chỉ số cấp {', '.join(sorted(levels))}")
            for b in bundles if b.bundle.unit.level not in levels]


def score_run(loaded: LoadedCriteria, bundles: list[LoadedBundle], file: Path | str, progress=None) -> RunResult:
    """Score every unit and rank them; `progress` (if given) is called after each unit."""
    problems = level_problems(loaded, bundles)
    if problems:
        raise InputError(problems)
    units = []
    for bundle in sorted(bundles, key=lambda b: b.bundle.unit.id):
        units.append(score_unit(loaded, bundle))
        if progress is not None:
            progress()
    criteria = loaded.criteria
    ref = CriteriaRef(id=criteria.id, title=criteria.title, level=criteria.level, year=criteria.year,
                      file=Path(file).name, hash=loaded.digest)
    return RunResult(criteria_set=ref, units=rank_units(units), bands=list(criteria.bands))


