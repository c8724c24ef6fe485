"""All performance targets of a province run, each a ratio to a floor measured in the same run.

Every figure runs its command and its floor as fresh processes, in turn (A B A B …), and reports
the median of the pairs with the target and a verdict. Peak memory is the child's own maximum RSS
(os.wait4). Data is generated under bench/data/ (seeded, so the same on every machine).

    .venv/bin/python bench/run.py              # every target (5000 units and 5M rows take a while)
    .venv/bin/python bench/run.py --quick      # smaller sizes, 3 pairs: a smoke run of the harness
    .venv/bin/python bench/run.py --only score200,help

Targets (issue "A province in seconds"):
  province   200 bundles + one shared 1M-row export, score --format json  ≤ 2× (YAML parse + bare read)
  score200   score 200 bundles                                            ≤ 3× YAML parse; memory ≤ 200 MiB + 0.2 MiB/unit
  score5000  score 5000 bundles                                           ≤ 3× YAML parse; memory ≤ 200 MiB + 0.2 MiB/unit
  export5m   one-stop export of 5M rows, ingestion                        ≤ 1.5× a bare read with the same reader settings
  explain    explain UNIT CRIT on a 200-unit folder (whole process)       ≤ 0.6 s
  gaps       gaps UNIT on a 200-unit folder (whole process)               ≤ 0.6 s
  help       parindex --help                                              ≤ 0.15 s
  reportall  report --all OUTDIR (every output) vs score alone            ≤ 1.5×
  pool       score 200 bundles with --jobs 2 vs serial                    byte-identical; wall time shown
  national   one province (300 units + 5M-row export), score and every output; 34 provinces projected
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
SAMPLE = ROOT / "evidence" / "vung-tau-2024"
CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
PY = sys.executable
PARINDEX = [PY, "-c", "import cli; cli.app()"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT), "COLUMNS": "120"}
"""Children run as an installed program does: with compiled bytecode (compiled once in main), never recompiling."""
sys.path.insert(0, str(HERE))

from gen_dossiers import generate, slug, spellings, unit_names  # noqa: E402

sys.path.insert(0, str(ROOT))
from engine.model.names import BUILTIN_METRICS  # noqa: E402

# Metrics that the one-stop export provides; a bundle fed by the export must not also list them.
EXPORT_METRICS = set(BUILTIN_METRICS)


def run_child(argv: list[str], cwd: Path = ROOT) -> tuple[float, float, int]:
    """Run one fresh process; (wall seconds, peak RSS MiB of that process, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv[:6])}… exit {proc.returncode}\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, proc.returncode


def paired(a: list[str], b: list[str], pairs: int) -> dict[str, float]:
    """A and B run in turn `pairs` times; medians of wall time, peak memory and of the per-pair ratio."""
    rows = []
    for _ in range(pairs):
        wa, ma, _ = run_child(a)
        wb, mb, _ = run_child(b)
        rows.append((wa, wb, ma, mb))
    return {"a": statistics.median(r[0] for r in rows), "b": statistics.median(r[1] for r in rows),
            "ratio": statistics.median(r[0] / r[1] for r in rows),
            "mem_a": statistics.median(r[2] for r in rows), "mem_b": statistics.median(r[3] for r in rows)}


def single(a: list[str], runs: int) -> dict[str, float]:
    rows = [run_child(a) for _ in range(runs)]
    return {"a": statistics.median(r[0] for r in rows), "mem_a": statistics.median(r[1] for r in rows)}


# ---------------------------------------------------------------- data


def sample_bundles() -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(SAMPLE.glob("*.yaml"))]


def _day(text: str) -> datetime.date:
    return datetime.datetime.strptime(text, "%d/%m/%Y").date()


def vary(data: dict, index: int) -> dict:
    """A sample ward made into a unit of its own, as a province's units differ: every count multiplied by 1 to 4 (sums
    and orderings between counts still hold) and every document dated 0 to 14 days later, never after the as-of date
    (some become late). Without this the units repeat 17 wards, and whatever is drawn once per distinct row or value
    would look cheaper than it is."""
    factor = 1 + index % 4
    shift = datetime.timedelta(days=(index * 11) % 15)
    as_of = _day(data["as_of"])
    data = dict(data)
    data["metrics"] = [dict(m, value=m["value"] * factor) if type(m["value"]) is int else m
                       for m in data.get("metrics", [])]
    data["documents"] = [dict(d, issue_date=min(_day(d["issue_date"]) + shift, as_of).strftime("%d/%m/%Y"))
                         if d.get("issue_date") else d for d in data.get("documents", [])]
    return data


def make_units(count: int) -> Path:
    """`count` bundles: the 17 sample wards under new ids, each copy varied (see vary), as YAML files."""
    folder = DATA / f"varied-{count}"
    if folder.is_dir() and len(list(folder.glob("*.yaml"))) == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    samples = sample_bundles()
    for index in range(count):
        data = vary(samples[index % len(samples)], index)
        unit = dict(data["unit"])
        unit["id"] = f"{unit['id']}-{index:05d}"
        unit["name"] = f"{unit['name']} ({index})"
        unit["aliases"] = []
        data["unit"] = unit
        (folder / f"{unit['id']}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                   encoding="utf-8")
    return folder


def make_province(count: int, rows: int) -> Path:
    """`count` bundles named like the units of one generated export of `rows` rows, which they all point to."""
    folder = DATA / f"province-varied-{count}x{rows}"
    export = folder / "motcua.csv"
    if export.exists() and len(list(folder.glob("*.yaml"))) == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _write_export_in_child(export, rows, count)
    samples = sample_bundles()
    for index, name in enumerate(unit_names(count)):
        data = vary(samples[index % len(samples)], index)
        data["unit"] = {"id": slug(name), "name": name, "level": "xa",
                        "aliases": sorted({s for s in spellings(name) if s != name})}
        data["metrics"] = [m for m in data.get("metrics", []) if m.get("name") not in EXPORT_METRICS]
        data["sources"] = {"dossier_exports": [{"file": "motcua.csv", "mapping": "motcua_tinh"}]}
        (folder / f"{slug(name)}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                   encoding="utf-8")
    return folder


def _write_export(export: Path, rows: int, count: int) -> None:
    frame, _ = generate(rows, count, 20240101, 2024)
    frame.to_csv(export, index=False, encoding="utf-8-sig")


def _write_export_in_child(export: Path, rows: int, count: int) -> None:
    """Generated in a process of its own: a child's peak RSS on Linux starts at its parent's size when it is forked,
    so a bench process that had grown to gigabytes generating rows would inflate every figure measured after."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as executor:
        executor.submit(_write_export, export, rows, count).result()


def make_export(rows: int, units: int) -> Path:
    path = DATA / f"dossiers_{rows}x{units}.csv"
    if not path.exists():
        subprocess.run([PY, str(HERE / "gen_dossiers.py"), "--rows", str(rows), "--units", str(units), "--out", str(path)],
                       check=True, env=ENV)
    return path


# ---------------------------------------------------------------- floors

YAML_FLOOR = ("import sys, pathlib, yaml\n"
              "L = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)\n"
              "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.yaml')):\n"
              "    yaml.load(p.read_text(encoding='utf-8'), Loader=L)\n")

# The floor is the very read ingestion starts with (engine.api.dossier_read calls the same function).
READ_FLOOR = ("import sys, pathlib\n"
              "sys.path.insert(0, sys.argv[3])\n"
              "from engine.api import dossier_read\n"
              "dossier_read(pathlib.Path(sys.argv[2]), 'motcua_tinh')\n")

PROVINCE_FLOOR = YAML_FLOOR + READ_FLOOR.replace("import sys, pathlib\n", "")

# A refused export (too large, unreadable) must not pass for a fast one: it exits 3, which run_child reports.
INGEST = ("import sys, pathlib, json, datetime\n"
          "sys.path.insert(0, sys.argv[3])\n"
          "from engine.api import ingest_dossiers\n"
          "try:\n"
          "    result, _ = ingest_dossiers(pathlib.Path(sys.argv[2]), 'motcua_tinh', datetime.date(2024, 1, 1), "
          "datetime.date(2024, 12, 31), json.loads(pathlib.Path(sys.argv[2]).with_suffix('.units.json').read_text()))\n"
          "except Exception as exc:\n"
          "    print(exc, file=sys.stderr)\n"
          "    sys.exit(3)\n"
          "sys.exit(0 if result.rows_used else 3)\n")


# ---------------------------------------------------------------- targets


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


TABLE: list[tuple[str, str, str, str]] = []
"""(figure, measured, target, verdict) of every figure run, printed as one table at the end."""


def row(figure: str, measured: str, target: str, ok: bool | None) -> None:
    TABLE.append((figure, measured, target, "shown" if ok is None else verdict(ok)))


def t_province(pairs: int, quick: bool) -> list[str]:
    count, rows = (50, 100_000) if quick else (200, 1_000_000)
    folder = make_province(count, rows)
    out = DATA / "province.json"
    r = paired(PARINDEX + ["score", str(folder), "--format", "json", "--output", str(out)],
               [PY, "-c", PROVINCE_FLOOR, str(folder), str(folder / "motcua.csv"), str(ROOT)], pairs)
    row(f"province: score {count} bundles + {rows:,}-row export vs YAML parse + bare read",
        f"{r['a']:.2f} s vs {r['b']:.2f} s = {r['ratio']:.2f}×", "≤ 2×", r["ratio"] <= 2)
    return [f"province ({count} bundles + {rows:,}-row export): score {r['a']:.2f} s, floor {r['b']:.2f} s, "
            f"{r['ratio']:.2f}× (target ≤ 2×: {verdict(r['ratio'] <= 2)})"]


def t_score(count: int, pairs: int) -> list[str]:
    folder = make_units(count)
    out = DATA / f"score-{count}.json"
    r = paired(PARINDEX + ["score", str(folder), "--format", "json", "--output", str(out)],
               [PY, "-c", YAML_FLOOR, str(folder)], pairs)
    budget = 200 + 0.2 * count
    row(f"score {count} units vs YAML parse", f"{r['a']:.2f} s vs {r['b']:.2f} s = {r['ratio']:.2f}×", "≤ 3×",
        r["ratio"] <= 3)
    row(f"score {count} units, peak memory", f"{r['mem_a']:.0f} MiB", f"≤ {budget:.0f} MiB", r["mem_a"] <= budget)
    return [f"score {count}: {r['a']:.2f} s, YAML floor {r['b']:.2f} s, {r['ratio']:.2f}× "
            f"(target ≤ 3×: {verdict(r['ratio'] <= 3)}); peak {r['mem_a']:.0f} MiB "
            f"(target ≤ {budget:.0f} MiB: {verdict(r['mem_a'] <= budget)})"]


def t_export(pairs: int, quick: bool) -> list[str]:
    rows = 500_000 if quick else 5_000_000
    path = make_export(rows, 200)
    r = paired([PY, "-c", INGEST, "", str(path), str(ROOT)], [PY, "-c", READ_FLOOR, "", str(path), str(ROOT)], pairs)
    row(f"one-stop export {rows:,} rows: ingestion vs bare read", f"{r['a']:.2f} s vs {r['b']:.2f} s = "
        f"{r['ratio']:.2f}× (peak {r['mem_a']:.0f} vs {r['mem_b']:.0f} MiB)", "≤ 1.5×", r["ratio"] <= 1.5)
    return [f"export {rows:,} rows: ingestion {r['a']:.2f} s, bare read {r['b']:.2f} s, {r['ratio']:.2f}× "
            f"(target ≤ 1.5×: {verdict(r['ratio'] <= 1.5)}); peak {r['mem_a']:.0f} vs {r['mem_b']:.0f} MiB"]


def t_one_unit(what: str, pairs: int) -> list[str]:
    folder = make_units(200)
    unit = sorted(folder.glob("*.yaml"))[0].stem
    argv = PARINDEX + (["explain", unit, "3.5", "--evidence", str(folder)] if what == "explain"
                       else ["gaps", unit, "--evidence", str(folder)])
    r = paired(argv, [PY, "-c", "pass"], pairs)
    row(f"{what} one unit of 200, whole process", f"{r['a']:.2f} s", "≤ 0.6 s", r["a"] <= 0.6)
    return [f"{what} one unit of 200: {r['a']:.2f} s whole process (python start-up {r['b']:.2f} s; "
            f"target ≤ 0.6 s: {verdict(r['a'] <= 0.6)})"]


def t_help(pairs: int) -> list[str]:
    r = paired(PARINDEX + ["--help"], [PY, "-c", "pass"], pairs)
    row("parindex --help, whole process", f"{r['a']:.3f} s", "≤ 0.15 s", r["a"] <= 0.15)
    return [f"--help: {r['a']:.3f} s (python start-up {r['b']:.3f} s; target ≤ 0.15 s: {verdict(r['a'] <= 0.15)})"]


def t_reportall(pairs: int) -> list[str]:
    folder = make_units(200)
    outdir = DATA / "report-all"
    r = paired(PARINDEX + ["report", str(folder), "--all", str(outdir)],
               PARINDEX + ["score", str(folder), "--format", "json", "--output", str(DATA / "score-200.json")], pairs)
    row("report --all (every output, 200 units) vs score alone",
        f"{r['a']:.2f} s vs {r['b']:.2f} s = {r['ratio']:.2f}×", "≤ 1.5×", r["ratio"] <= 1.5)
    return [f"report --all (200 units): {r['a']:.2f} s, score alone {r['b']:.2f} s, {r['ratio']:.2f}× "
            f"(target ≤ 1.5×: {verdict(r['ratio'] <= 1.5)})"]


def t_pool(pairs: int) -> list[str]:
    folder = make_units(200)
    serial, parallel = DATA / "pool-serial.json", DATA / "pool-parallel.json"
    r = paired(PARINDEX + ["score", str(folder), "--format", "json", "--jobs", "2", "--output", str(parallel)],
               PARINDEX + ["score", str(folder), "--format", "json", "--jobs", "1", "--output", str(serial)], pairs)
    same = serial.read_bytes() == parallel.read_bytes()
    row(f"pool: score 200 units --jobs 2 vs --jobs 1 ({os.cpu_count()} cores)",
        f"{r['a']:.2f} s vs {r['b']:.2f} s = {r['ratio']:.2f}×", "byte-identical, time shown", same)
    return [f"pool (200 units, {os.cpu_count()} cores): --jobs 2 {r['a']:.2f} s, serial {r['b']:.2f} s, "
            f"{r['ratio']:.2f}×; outputs byte-identical: {'yes' if same else 'NO'}"]


def t_national(pairs: int, quick: bool) -> list[str]:
    """One province as a national run has 34 of: ~300 units and one export; measured here, then projected."""
    count, rows = (60, 200_000) if quick else (300, 5_000_000)
    folder = make_province(count, rows)
    outdir = DATA / "national-province"
    score = single(PARINDEX + ["score", str(folder), "--format", "json", "--output", str(DATA / "national.json")],
                   max(1, pairs // 2))
    everything = single(PARINDEX + ["report", str(folder), "--all", str(outdir)], max(1, pairs // 2))
    cores = os.cpu_count() or 1
    total_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [f"national, one province ({count} units + {rows:,}-row export): score {score['a']:.1f} s, "
             f"peak {score['mem_a']:.0f} MiB; every output {everything['a']:.1f} s, peak {everything['mem_a']:.0f} MiB"]
    row(f"national: one province ({count} units + {rows:,} rows), every output",
        f"{everything['a']:.1f} s, peak {everything['mem_a']:.0f} MiB (score alone {score['a']:.1f} s, "
        f"{score['mem_a']:.0f} MiB)", "projected below", None)
    lines.append(f"  projected: 34 provinces one after another here: {34 * everything['a'] / 60:.1f} min, "
                 f"{everything['mem_a'] / 1024:.1f} GiB at most")
    for machine_cores in (8, 32):
        at_once = max(1, min(machine_cores // cores, int(total_gib * 1024 * 0.8 // max(everything["mem_a"], 1))))
        lines.append(f"  projected: on {machine_cores} cores ({at_once} provinces side by side, each on {cores} cores as "
                     f"here, {at_once * everything['mem_a'] / 1024:.1f} GiB): {34 * everything['a'] / at_once / 60:.1f} min")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and 3 pairs")
    parser.add_argument("--pairs", type=int, default=None, help="pairs per figure (default 5, quick 3)")
    parser.add_argument("--only", default="", help="comma-separated target names (see the list at the top of this file: "
                        "province, score200, score5000, export5m, explain, gaps, help, reportall, pool, national)")
    args = parser.parse_args()
    pairs = args.pairs or (3 if args.quick else 5)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "engine"), str(ROOT / "cli.py")], check=True, env=ENV)
    targets = {
        "province": lambda: t_province(pairs, args.quick),
        "score200": lambda: t_score(200, pairs),
        "score5000": lambda: t_score(1000 if args.quick else 5000, pairs),
        "export5m": lambda: t_export(pairs, args.quick),
        "explain": lambda: t_one_unit("explain", pairs),
        "gaps": lambda: t_one_unit("gaps", pairs),
        "help": lambda: t_help(pairs),
        "reportall": lambda: t_reportall(pairs),
        "pool": lambda: t_pool(pairs),
        "national": lambda: t_national(pairs, args.quick),
    }
    chosen = [t for t in args.only.split(",") if t] or list(targets)
    unknown = [t for t in chosen if t not in targets]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; targets: {', '.join(targets)}")
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; {pairs} pairs per figure; times are "
          "medians, and a ratio is the median of each pair's ratio (not always the two medians divided)")
    for name in chosen:
        for line in targets[name]():
            print(line, flush=True)
    print("\n| figure | measured | target | verdict |\n|---|---|---|---|")
    for figure, measured, target, result in TABLE:
        if args.quick and result != "shown":
            result += " (quick sizes: a smoke run, not the target)"
        print(f"| {figure} | {measured} | {target} | {result} |")


if __name__ == "__main__":
    main()
