"""Benchmark: what-if on one unit (target < 50 ms in process), as a ratio to scoring the unit once, side by side;
and the optimiser (plan under a budget) on N units × all their lost criteria.

Run: python3 bench/bench_whatif.py [N]   (N units for the optimiser, default 200)
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.model.changes import AddDocument, SetMetric
from engine.model.evidence import LoadedBundle
from engine.score.optimise import plan_block
from engine.score.run import score_run
from engine.score.unit import score_unit
from engine.score.whatif import what_if

REPEAT = 50


def _timed(call) -> float:
    """Median milliseconds of REPEAT calls."""
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(count: int = 200) -> None:
    criteria_file = ROOT / "criteria" / "xa-2024.yaml"
    loaded = load_criteria(criteria_file)
    samples = load_bundles([ROOT / "evidence" / "vung-tau-2024"])
    run = score_run(loaded, samples, criteria_file)
    unit = next(b for b in samples if b.bundle.unit.id == "phuong-8")
    changes = [SetMetric(metric="results_digitized", add=23), AddDocument(document="ke_hoach_kiem_tra", issued="20/02/2024")]
    score_ms = _timed(lambda: score_unit(loaded, unit))
    whatif_ms = _timed(lambda: what_if(loaded, run.units, unit, changes))
    print(f"score one unit:   {score_ms:.1f} ms (median of {REPEAT})")
    print(f"what-if one unit: {whatif_ms:.1f} ms = {whatif_ms / score_ms:.1f} × scoring it once "
          f"(re-score, re-rank, remedies); target < 50 ms: {'met' if whatif_ms < 50 else 'NOT met'}")

    bundles = []
    for index in range(count):
        base = samples[index % len(samples)]
        copy = base.bundle.unit.model_copy(update={"id": f"{base.bundle.unit.id}-{index:04d}"})
        bundles.append(LoadedBundle(base.bundle.model_copy(update={"unit": copy}), base.file, base.digest, base.warnings))
    start = time.perf_counter()
    scored = score_run(loaded, bundles, criteria_file)
    scoring = time.perf_counter() - start
    start = time.perf_counter()
    plan = plan_block(loaded, bundles, 10, date(2024, 6, 30))
    planning = time.perf_counter() - start
    candidates = sum(len(u.chosen) + len(u.left_out) for u in plan.units)
    lost = sum(1 for u in scored.units for n in u.nodes if n.is_leaf and n.remediation is not None)
    print(f"optimiser: {count} units, {candidates} candidate tasks ({lost} lost criteria at the as-of date): "
          f"{planning:.2f} s = {planning / scoring:.1f} × scoring them ({scoring:.2f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
