"""A run: every unit scored, ranked, with the set it was scored against and each block's statistics.

Rules that compare the units of a block (RuleKind.needs_block) get the values of every unit of
the block first (`block_peers`); everything else about a unit stays a pure function of the set and
its bundle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from engine.core.parallel import chunk_size, default_workers, pool
from engine.core.problems import InputError, Problem
from engine.kinds.base import Context, DataProblem, MissingEvidence, Peer, ZeroDenominator
from engine.kinds.tree import (
    LoadedCriteria,
    Node,
    block_of,
    catalog_labels,
    leaf_max,
    level_bands,
    level_leaves,
    rounder,
    set_levels,
)
from engine.load.previous import PreviousRun
from engine.model.criteria import Band
from engine.model.evidence import LoadedBundle
from engine.model.results import BandCount, BlockStatistics, CriteriaRef, PreviousRef, RunResult, UnitResult
from engine.score.leaf import applicability
from engine.score.unit import score_unit


class UnitKey(NamedTuple):
    """What ranking and block statistics read of a unit, so a run written unit by unit can drop the rest."""

    unit_id: str
    level: str
    final_index_pct: float | None
    band: str | None
    data_problems: int

    @classmethod
    def of(cls, unit: UnitResult) -> "UnitKey":
        return cls(unit.unit_id, unit.level, unit.final_index_pct, unit.band, unit.data_problems)


def rank_order(units: Sequence[UnitResult | UnitKey]) -> list[tuple[int, int | None]]:
    """Competition ranking (1, 1, 3) by the final index within each unit level, levels in order, ties by unit id:
    (position in `units`, rank) in the order the run lists them."""
    by_level: dict[str, list[int]] = defaultdict(list)
    for position, unit in enumerate(units):
        by_level[unit.level].append(position)
    order: list[tuple[int, int | None]] = []
    for level in sorted(by_level):
        ordered = sorted(by_level[level], key=lambda i: (-(units[i].final_index_pct if units[i].final_index_pct is not None
                                                          else -1), units[i].unit_id))
        previous, rank = None, 0
        for place, index in enumerate(ordered, start=1):
            value = units[index].final_index_pct
            if value != previous:
                rank, previous = place, value
            order.append((index, rank if value is not None else None))
    return order


def rank_units(units: list[UnitResult]) -> list[UnitResult]:
    """The units in rank order, each with its rank (see rank_order)."""
    return [units[index].model_copy(update={"rank": rank}) for index, rank in rank_order(units)]


def level_problems(loaded: LoadedCriteria, bundles: list[LoadedBundle]) -> list[Problem]:
    """Units whose level the set does not cover: scoring them would use the wrong maxima."""
    levels = set_levels(loaded.criteria)
    return [Problem(code="evidence.unit_level", file=b.file, path="unit.level", value=b.bundle.unit.level,
                    message=f"cấp đơn vị '{b.bundle.unit.level}' không dùng được bộ chỉ số cấp {', '.join(sorted(levels))}")
            for b in bundles if b.bundle.unit.level not in levels]


def default_jobs(units: int, light: bool = False) -> int:
    """A worker per core when units come back light (see iter_units' `finish`) and there are enough of them; else
    serial: sending a unit's whole result back from a worker costs about as much as scoring it."""
    return default_workers(units) if light else 1


_WORKER_CRITERIA: LoadedCriteria | None = None
_WORKER_FINISH: Callable[[UnitResult], Any] | None = None


def _init_worker(loaded: LoadedCriteria, finish: Callable[[UnitResult], Any] | None) -> None:
    global _WORKER_CRITERIA, _WORKER_FINISH
    _WORKER_CRITERIA = loaded
    _WORKER_FINISH = finish


def _score_in_worker(job: tuple[LoadedBundle, dict[str, list[Peer]]]) -> Any:
    assert _WORKER_CRITERIA is not None
    bundle, peers = job
    unit = score_unit(_WORKER_CRITERIA, bundle, peers)
    return unit if _WORKER_FINISH is None else _WORKER_FINISH(unit)


def iter_units(loaded: LoadedCriteria, bundles: list[LoadedBundle], progress=None, jobs: int | None = None,
               block: list[LoadedBundle] | None = None, finish: Callable[[UnitResult], Any] | None = None) -> Iterator[Any]:
    """Each unit scored on its own (with its block's values for rules that compare units), in unit-id order; with
    jobs > 1 in a process pool, giving the same results. `block` are the units the comparisons are made among
    (default: those scored), so scoring one unit of a folder still compares it with the others.

    With `finish` (a module-level function, so a worker can run it) each unit is yielded as finish(unit),
    computed where the unit was scored: a worker then sends back what the caller keeps (say, the unit's
    JSON), not the unit's objects, whose pickling costs about as much as scoring them.
    """
    ordered = sorted(bundles, key=lambda b: b.bundle.unit.id)
    peers = block_peers(loaded, ordered if block is None else block)
    work = [(bundle, peers.get(bundle.bundle.unit.level, {})) for bundle in ordered]
    jobs = default_jobs(len(ordered), finish is not None) if jobs is None else max(1, jobs)
    if jobs == 1 or len(ordered) < 2:
        for bundle, block_values in work:
            unit = score_unit(loaded, bundle, block_values)
            yield unit if finish is None else finish(unit)
            if progress is not None:
                progress()
        return
    with pool(jobs, _init_worker, (loaded, finish)) as executor:
        for unit in executor.map(_score_in_worker, work, chunksize=chunk_size(len(work), jobs)):
            yield unit
            if progress is not None:
                progress()


def score_units(loaded: LoadedCriteria, bundles: list[LoadedBundle], progress=None, jobs: int | None = None,
                block: list[LoadedBundle] | None = None) -> list[UnitResult]:
    """iter_units, as a list."""
    return list(iter_units(loaded, bundles, progress, jobs, block))


def score_run(loaded: LoadedCriteria, bundles: list[LoadedBundle], file: Path | str, progress=None,
              jobs: int | None = None, block: list[LoadedBundle] | None = None) -> RunResult:
    """Score every unit and rank them; `progress` (if given) is called after each unit; `jobs` None chooses;
    `block` as for score_units."""
    problems = level_problems(loaded, bundles)
    if problems:
        raise InputError(problems)
    units = score_units(loaded, bundles, progress, jobs, block)
    ranked = rank_units(units)
    return run_head(loaded, file, ranked).model_copy(update={"units": ranked})


def run_head(loaded: LoadedCriteria, file: Path | str, ranked: Sequence[UnitResult | UnitKey]) -> RunResult:
    """A run without its units: the set it used, its bands, and the statistics of the units given (in rank order)."""
    criteria = loaded.criteria
    ref = CriteriaRef(id=criteria.id, title=criteria.title, level=criteria.level, year=criteria.year,
                      file=Path(file).name, hash=loaded.digest)
    return RunResult(criteria_set=ref, units=[], bands=run_bands(loaded), statistics=block_statistics(loaded, ranked))


def block_peers(loaded: LoadedCriteria, bundles: list[LoadedBundle]) -> dict[str, dict[str, list[Peer]]]:
    """For each level, each criterion whose rule compares units → the value of every unit of that level that has one.

    A unit whose criterion is not applicable, or whose value is missing or wrong, is left out of
    the comparison (it gets that status itself). Empty when the set has no such rule.
    """
    criteria = loaded.criteria
    labels = catalog_labels(criteria)
    found: dict[str, dict[str, list[Peer]]] = {}
    for evidence in sorted(bundles, key=lambda b: b.bundle.unit.id):
        bundle = evidence.bundle
        level = bundle.unit.level
        leaves = [node for node in level_leaves(criteria.items, level) if node.rule.needs_block]
        if not leaves:
            continue
        ctx = Context(bundle, labels, evidence.failed, criteria.when_survey_missing)
        by_criterion = found.setdefault(level, {})
        for node in leaves:
            values = by_criterion.setdefault(node.id, [])
            value = _block_value(node, ctx, leaf_max(node, level))
            if value is not None:
                values.append(Peer(bundle.unit.id, bundle.unit.name, value))
    return found


def _block_value(node: Node, ctx: Context, max_points: float) -> float | None:
    if applicability(node, ctx, max_points) is not None:
        return None
    try:
        return node.rule.block_value(ctx)
    except (MissingEvidence, DataProblem, ZeroDenominator):
        return None


def block_statistics(loaded: LoadedCriteria, units: Sequence[UnitResult | UnitKey]) -> list[BlockStatistics]:
    """Per level present in the run: units, mean (final) index, units per band (best first) and outside every band."""
    criteria = loaded.criteria
    rnd = rounder(criteria)
    by_level: dict[str, list[UnitResult | UnitKey]] = defaultdict(list)
    for unit in units:
        by_level[unit.level].append(unit)
    stats = []
    declared = [level for level in criteria.blocks if level in by_level]
    for level in declared + sorted(set(by_level) - set(declared)):
        members = by_level[level]
        indexed = [u.final_index_pct for u in members if u.final_index_pct is not None]
        bands = sorted(level_bands(criteria, level), key=lambda b: -b.min)
        block = block_of(criteria, level)
        stats.append(BlockStatistics(
            level=level, label=None if block is None else block.label, units=len(members), indexed=len(indexed),
            mean_index_pct=rnd.index(sum(indexed) / len(indexed)) if indexed else None,
            bands=[BandCount(label=b.label, units=sum(1 for u in members if u.band == b.label)) for b in bands],
            unclassified=sum(1 for u in members if u.final_index_pct is not None and u.band is None) if bands else 0))
    return stats


def run_bands(loaded: LoadedCriteria) -> list[Band]:
    """The bands renderers list: the set's, or every block's (a label once, first block first)."""
    criteria = loaded.criteria
    bands = list(criteria.bands)
    for level in criteria.blocks:
        for band in level_bands(criteria, level):
            if all(b.label != band.label for b in bands):
                bands.append(band)
    return bands



def compare_previous(loaded: LoadedCriteria, run: RunResult, previous: PreviousRun, file: str) -> RunResult:
    """The run with each unit's change of rank and (final) index since an earlier run (matched by unit id)."""
    rnd = rounder(loaded.criteria)
    earlier = {u.unit_id: u for u in previous.units}
    units = []
    for unit in run.units:
        before = earlier.get(unit.unit_id)
        if before is None:
            units.append(unit)
            continue
        change = {"previous_rank": before.rank, "previous_index_pct": before.index}
        if unit.rank is not None and before.rank is not None:
            change["rank_change"] = before.rank - unit.rank
        if unit.final_index_pct is not None and before.index is not None:
            change["index_change"] = rnd.index(unit.final_index_pct - before.index)
        units.append(unit.model_copy(update=change))
    statistics = []
    for stats in run.statistics:
        matched = [earlier[u.unit_id] for u in run.units if u.level == stats.level and u.unit_id in earlier]
        indexed = [u.index for u in matched if u.index is not None]
        statistics.append(stats.model_copy(update={
            "compared": len(matched), "previous_mean_index_pct": rnd.index(sum(indexed) / len(indexed)) if indexed else None}))
    ref = PreviousRef(file=file, criteria_set=previous.criteria_set.id, year=previous.criteria_set.year)
    return run.model_copy(update={"units": units, "statistics": statistics, "previous": ref})
