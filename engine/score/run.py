"""A run: every unit scored, ranked, with the set it was scored against."""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from engine.core.problems import InputError, Problem
from engine.kinds.tree import LoadedCriteria, set_levels
from engine.model.evidence import LoadedBundle
from engine.model.results import CriteriaRef, RunResult, UnitResult
from engine.score.unit import score_unit


def rank_units(units: list[UnitResult]) -> list[UnitResult]:
    """Competition ranking (1, 1, 3) by the final index within each unit level; ties listed by unit id."""
    by_level: dict[str, list[UnitResult]] = defaultdict(list)
    for unit in units:
        by_level[unit.level].append(unit)
    ranked: list[UnitResult] = []
    for level in sorted(by_level):
        ordered = sorted(by_level[level],
                         key=lambda u: (-(u.final_index_pct if u.final_index_pct is not None else -1), u.unit_id))
        previous, rank = None, 0
        for position, unit in enumerate(ordered, start=1):
            if unit.final_index_pct != previous:
                rank, previous = position, unit.final_index_pct
            ranked.append(unit.model_copy(update={"rank": rank if unit.final_index_pct is not None else None}))
    return ranked


def level_problems(loaded: LoadedCriteria, bundles: list[LoadedBundle]) -> list[Problem]:
    """Units whose level the set does not cover: scoring them would use the wrong maxima."""
    levels = set_levels(loaded.criteria)
    return [Problem(code="evidence.unit_level", file=b.file, path="unit.level", value=b.bundle.unit.level,
                    message=f"cấp đơn vị '{b.bundle.unit.level}' không dùng được bộ chỉ số cấp {', '.join(sorted(levels))}")
            for b in bundles if b.bundle.unit.level not in levels]


# Below this many units a pool costs more (starting workers, sending results back) than it saves.
POOL_MIN_UNITS = 100
_WORKER_CRITERIA: LoadedCriteria | None = None


def default_jobs(units: int) -> int:
    """Worker processes for a run: one per core, only when there are enough units to share."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, units // (POOL_MIN_UNITS // 2))) if units >= POOL_MIN_UNITS else 1


def _init_worker(loaded: LoadedCriteria) -> None:
    global _WORKER_CRITERIA
    _WORKER_CRITERIA = loaded


def _score_in_worker(bundle: LoadedBundle) -> UnitResult:
    assert _WORKER_CRITERIA is not None
    return score_unit(_WORKER_CRITERIA, bundle)


def score_units(loaded: LoadedCriteria, bundles: list[LoadedBundle], progress=None, jobs: int | None = None
                ) -> list[UnitResult]:
    """Each unit scored on its own, in unit-id order; with jobs > 1 in a process pool, giving the same results."""
    ordered = sorted(bundles, key=lambda b: b.bundle.unit.id)
    jobs = default_jobs(len(ordered)) if jobs is None else max(1, jobs)
    if jobs == 1 or len(ordered) < 2:
        units = []
        for bundle in ordered:
            units.append(score_unit(loaded, bundle))
            if progress is not None:
                progress()
        return units
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    chunk = max(1, len(ordered) // (jobs * 8))
    units = []
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(loaded,)) as pool:
        for unit in pool.map(_score_in_worker, ordered, chunksize=chunk):
            units.append(unit)
            if progress is not None:
                progress()
    return units


def score_run(loaded: LoadedCriteria, bundles: list[LoadedBundle], file: Path | str, progress=None,
              jobs: int | None = None) -> RunResult:
    """Score every unit and rank them; `progress` (if given) is called after each unit; `jobs` None chooses."""
    problems = level_problems(loaded, bundles)
    if problems:
        raise InputError(problems)
    units = score_units(loaded, bundles, progress, jobs)
    criteria = loaded.criteria
    ref = CriteriaRef(id=criteria.id, title=criteria.title, level=criteria.level, year=criteria.year,
                      file=Path(file).name, hash=loaded.digest)
    return RunResult(criteria_set=ref, units=rank_units(units), bands=list(criteria.bands))


