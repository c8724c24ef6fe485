"""A province's bundles read, checked and scored file by file, each file in one step where it is read.

The two-step way (read and check every bundle, then score them) parses in workers but validates in
the main process and forks a second pool to score: at 5000 units the main process is the bottleneck.
Here each worker takes a file from YAML to the unit's JSON. It applies only while nothing needs the
two-step way; the caller then starts over the two-step way, which reports every problem of every
file exactly as it always does (a clean run never pays for that):

- a file with a problem (the two-step way lists every problem of every file in one pass);
- a set with rules that compare the units of a block (they need every unit's values first);
- two files of one unit (the two-step way names both).

A province's bundles usually share one export: the first bundle is loaded in the main process before
the workers start (`warm_up`), so the export is read, hashed and aggregated once and every worker
inherits it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from engine.core.parallel import chunk_size, pool
from engine.core.yamlsource import load_yaml
from engine.kinds.tree import LoadedCriteria, compares_units, set_levels
from engine.load.agreement import evidence_problems
from engine.load.bundles import load_bundle
from engine.load.evidence import BUNDLE_SUFFIXES
from engine.model.evidence import LoadedBundle
from engine.model.results import UnitResult
from engine.score.run import level_problems
from engine.score.unit import score_unit


class TwoStep(Exception):
    """The files need the two-step way (see the module docstring); nothing streamed so far is kept."""


def streamable(loaded: LoadedCriteria, files: list[Path]) -> bool:
    """Every file a YAML bundle, and no rule of the set compares units (checked per level the set has)."""
    if not files or any(f.suffix.lower() not in BUNDLE_SUFFIXES for f in files):
        return False
    criteria = loaded.criteria
    return not any(compares_units(criteria, level) for level in set_levels(criteria))


def warm_up(path: Path) -> None:
    """Load a bundle that reads `sources` here, so what it reads is cached before workers fork (see the module)."""
    parsed = load_yaml(path, vi_numbers=True)
    doc = parsed[0]
    if doc is not None and isinstance(doc.data, dict) and doc.data.get("sources"):
        load_bundle(path, parsed)


_STATE: tuple[LoadedCriteria, Callable[[LoadedBundle], Any], Callable[[UnitResult], Any]] | None = None


def _init(loaded: LoadedCriteria, prepare: Callable[[LoadedBundle], Any], finish: Callable[[UnitResult], Any]) -> None:
    global _STATE
    _STATE = (loaded, prepare, finish)


def _one_file(path: Path) -> tuple[str, list[str], Any] | None:
    """_score_file in a worker, with what _init gave it."""
    assert _STATE is not None
    return _score_file(path, *_STATE)


def _score_file(path: Path, loaded: LoadedCriteria, prepare: Callable[[LoadedBundle], Any],
                finish: Callable[[UnitResult], Any]) -> tuple[str, list[str], Any] | None:
    """A file from YAML to (unit id, files read, finish(unit)); None when the file needs the two-step way."""
    doc, problems = load_yaml(path, vi_numbers=True)
    if doc is None:
        return None
    bundle, file_problems = load_bundle(path, (doc, problems))
    if bundle is None or any(p.severity == "error" for p in file_problems):
        return None
    if level_problems(loaded, [bundle]) or evidence_problems(loaded.criteria, [bundle]):
        return None
    prepare(bundle)
    return bundle.bundle.unit.id, bundle.inputs, finish(score_unit(loaded, bundle, {}))


def whole_unit(unit: UnitResult) -> UnitResult:
    """A `finish` that keeps the whole result (a worker sends it back pickled)."""
    return unit


def stream_units(loaded: LoadedCriteria, files: list[Path], prepare: Callable[[LoadedBundle], Any],
                 finish: Callable[[UnitResult], Any], workers: int, inputs: list[str]) -> Iterator[Any]:
    """finish(unit) for each file, in file order (`finish` and `prepare` module-level, so workers can run them);
    raises TwoStep as soon as a file needs the two-step way, and when two files hold one unit.

    `prepare` adjusts a loaded bundle before it is scored (say, its path as results show it). Every file each
    bundle read (itself and its CSV tables) is added to `inputs`, in file order, to keep outputs off them.
    """
    seen: set[str] = set()

    def taken(item: tuple[str, list[str], Any] | None) -> Any:
        if item is None:
            raise TwoStep
        unit_id, read, result = item
        if unit_id in seen:
            raise TwoStep
        seen.add(unit_id)
        inputs.extend(read)
        return result

    if workers <= 1 or len(files) < 2:
        for path in files:  # in this process: no module state, so threads may stream side by side
            yield taken(_score_file(path, loaded, prepare, finish))
        return
    with pool(workers, _init, (loaded, prepare, finish)) as executor:
        try:
            for item in executor.map(_one_file, files, chunksize=chunk_size(len(files), workers)):
                yield taken(item)
        except BaseException:
            executor.shutdown(wait=True, cancel_futures=True)
            raise

