"""Time dossier ingestion against the same bare read of the file, and measure peak memory.

Each measurement runs in its own process so that peak RSS (resource.getrusage) belongs to that
step alone; the figure reported is the peak minus the RSS after imports. Wall and CPU times
(user + system, all threads) are the best of --repeat runs; on a shared machine CPU time is the
steadier figure. Three steps:

- bare: exactly the read ingestion starts a clean export with (engine.load.dossiers.bare_read: pyarrow.csv,
  only the mapped columns, the id as text and the other columns dictionary-encoded, no null parsing)
  — the floor ingestion is compared with (target: ingestion ≤ 1.5× bare, issue 9);
- bare_str: the plain read of the whole file as text (dtype=str), for scale;
- ingest: engine.load.dossiers.aggregate_dossiers end to end (read, checks, problems, metrics).

Usage: python3 bench/bench_dossiers.py [--rows 1000000 --units 200] (generates the file if missing).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAPPING = ROOT / "engine" / "load" / "mappings" / "motcua_tinh.yaml"
STEPS = ("bare", "bare_str", "ingest")
TARGET = 1.5


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(step: str, csv_path: Path) -> dict[str, float | int]:
    """Run one step once in this process; return wall seconds, peak RSS above baseline, rows."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from engine.load.dossiers import aggregate_dossiers, bare_read, load_mapping

    mapping = load_mapping(MAPPING)
    aliases = json.loads(csv_path.with_suffix(".units.json").read_text(encoding="utf-8"))
    baseline = _rss_mib()
    cpu = _cpu_seconds()
    start = time.perf_counter()
    if step == "ingest":
        result, problems = aggregate_dossiers(csv_path, mapping, date(2024, 1, 1), date(2024, 12, 31), aliases)
        rows = result.rows_read
        extra = {"rows_used": result.rows_used, "problems": len(problems), "units": len(result.metrics)}
    elif step == "bare":
        rows = len(bare_read(csv_path, mapping))
        extra = {}
    else:
        rows = len(pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"))
        extra = {}
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu, "peak_mib": _rss_mib() - baseline,
            "rows": rows, **extra}


def run(step: str, csv_path: Path, repeat: int) -> dict[str, float | int]:
    """Best wall time and peak memory of `repeat` fresh processes."""
    results = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, __file__, "--worker", step, str(csv_path)],
                             check=True, capture_output=True, text=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(results, key=lambda r: r["seconds"])
    best["cpu_seconds"] = min(r["cpu_seconds"] for r in results)
    best["peak_mib"] = max(r["peak_mib"] for r in results)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--worker", nargs=2, metavar=("STEP", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]))))
        return
    csv_path = args.csv or HERE / "data" / f"dossiers_{args.rows}x{args.units}.csv"
    if not csv_path.exists():
        subprocess.run([sys.executable, str(HERE / "gen_dossiers.py"), "--rows", str(args.rows),
                        "--units", str(args.units), "--out", str(csv_path)], check=True)
    size = csv_path.stat().st_size / 2**20
    print(f"file: {csv_path} ({size:.0f} MiB)")
    results = {step: run(step, csv_path, args.repeat) for step in STEPS}
    for step, r in results.items():
        extra = "".join(f", {k} {v:,}" for k, v in r.items() if k not in ("seconds", "cpu_seconds", "peak_mib", "rows"))
        print(f"{step:9} wall {r['seconds']:6.2f} s  cpu {r['cpu_seconds']:6.2f} s  peak +{r['peak_mib']:5.0f} MiB"
              f"  rows {r['rows']:,}{extra}")
    ingest, bare = results["ingest"], results["bare"]
    ratio_time = ingest["seconds"] / bare["seconds"]
    ratio_cpu = ingest["cpu_seconds"] / bare["cpu_seconds"]
    ratio_mem = ingest["peak_mib"] / max(bare["peak_mib"], 1)
    verdict = "met" if ratio_time <= TARGET else "NOT met"
    print(f"ingest / bare: wall {ratio_time:.2f}× (target ≤ {TARGET}×: {verdict}), cpu {ratio_cpu:.2f}×, "
          f"peak memory {ratio_mem:.2f}×")


if __name__ == "__main__":
    main()
