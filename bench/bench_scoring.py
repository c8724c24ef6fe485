"""Benchmark: score N units (copies of the sample wards with new ids) and report time and peak memory.

Target (a province is at most a few hundred units): 200 units scored in under 10 s on one core,
under 500 MB peak. Run: python3 bench/bench_scoring.py [N]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.load.criteria import load_criteria
from engine.load.evidence import load_bundles
from engine.model.evidence import LoadedBundle
from engine.render.data import to_json
from engine.score.run import score_run


def main(count: int = 200) -> None:
    criteria_file = ROOT / "criteria" / "xa-2024.yaml"
    loaded = load_criteria(criteria_file)
    samples = load_bundles([ROOT / "evidence" / "vung-tau-2024"])
    bundles = []
    for index in range(count):
        base = samples[index % len(samples)]
        unit = base.bundle.unit.model_copy(update={"id": f"{base.bundle.unit.id}-{index:04d}"})
        bundles.append(LoadedBundle(base.bundle.model_copy(update={"unit": unit}), base.file, base.digest, base.warnings))
    start = time.perf_counter()
    run = score_run(loaded, bundles, criteria_file)
    scored = time.perf_counter()
    text = to_json(run)
    rendered = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"units: {count}")
    print(f"score: {scored - start:.2f} s ({(scored - start) / count * 1000:.1f} ms/unit)")
    print(f"json:  {rendered - scored:.2f} s ({len(text) / 1e6:.1f} MB)")
    print(f"peak RSS (process): {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
