"""Regenerate the golden outputs of the bundled sample: `python tests/golden/regen.py`.

Run it only when an output is meant to change, and say why in the commit; tests/test_golden.py
compares every command's bytes with these files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "files"

SAMPLE = ["evidence/vung-tau-2024"]
FRAME = ["--frame", "frames/vung-tau-2024.yaml"]
CITY = ["evidence/thanh-pho-vung-tau", "--criteria", "criteria/huyen-2024.yaml"]
ASSESSMENT = "evidence/vung-tau-2024-assessment/danh-gia-2024.yaml"

# (output file, command arguments after `parindex`): OUT is the output path; OUT.d a folder whose one file is the
# output; without OUT the output is stdout
COMMANDS: list[tuple[str, list[str]]] = [
    ("score.json", ["score", *SAMPLE, "--format", "json", "--output", "OUT"]),
    ("score.csv", ["score", *SAMPLE, "--format", "csv", "--output", "OUT"]),
    ("city.json", ["score", *CITY, "--format", "json", "--output", "OUT"]),
    ("report.xlsx", ["report", *SAMPLE, *FRAME, "--format", "xlsx", "--output", "OUT"]),
    ("report.docx", ["report", *SAMPLE, *FRAME, "--format", "docx", "--output", "OUT"]),
    ("report.md", ["report", *SAMPLE, *FRAME, "--format", "md", "--output", "OUT"]),
    ("report.html", ["report", *SAMPLE, "--format", "html", "--output", "OUT"]),
    ("plan.xlsx", ["plan", *SAMPLE, *FRAME, "--format", "xlsx", "--output", "OUT"]),
    ("plan.docx", ["plan", *SAMPLE, *FRAME, "--format", "docx", "--output", "OUT"]),
    ("plan.md", ["plan", *SAMPLE, *FRAME, "--format", "md", "--output", "OUT"]),
    ("province-plan.xlsx", ["plan", *SAMPLE, *FRAME, "--province", "--format", "xlsx", "--output", "OUT"]),
    ("province-plan.docx", ["plan", *SAMPLE, *FRAME, "--province", "--format", "docx", "--output", "OUT"]),
    ("province-plan.md", ["plan", *SAMPLE, *FRAME, "--province", "--format", "md", "--output", "OUT"]),
    ("template.xlsx", ["template", "--unit", "phuong-1", "--name", "UBND Phường 1", "--output", "OUT"]),
    ("gaps-phuong-8.txt", ["gaps", "phuong-8", "--evidence", *SAMPLE]),
    ("explain-phuong-8-3.txt", ["explain", "phuong-8", "3", "--evidence", *SAMPLE]),
    ("city-report.md", ["report", *CITY, "--format", "md", "--output", "OUT"]),
    ("assessment.json", ["score", "--assessment", ASSESSMENT, "--format", "json", "--output", "OUT"]),
    ("assessment.csv", ["score", "--assessment", ASSESSMENT, "--format", "csv", "--output", "OUT"]),
    ("assessment-report.md", ["report", "--assessment", ASSESSMENT, "--format", "md", "--output", "OUT"]),
    ("assessment-report.html", ["report", "--assessment", ASSESSMENT, "--format", "html", "--output", "OUT"]),
    ("assessment-explain-xa-long-son-1.1.1.txt", ["explain", "xa-long-son", "1.1.1", "--assessment", ASSESSMENT]),
    ("assessment-progress.txt", ["progress", ASSESSMENT, "--now", "20/01/2025 12:00"]),
    ("assessment-diff.txt", ["diff", "tu-cham", "cuoi", "--assessment", ASSESSMENT]),
    ("assessment-appraise-phuong-7.xlsx", ["appraise", ASSESSMENT, "--round", "vong-2", "--unit", "phuong-7",
                                           "--output", "OUT.d"]),
]


def produce(target: Path) -> dict[str, bytes]:
    """Run every command from the repository root (paths in outputs are relative to it); return name -> bytes."""
    target.mkdir(parents=True, exist_ok=True)
    outputs: dict[str, bytes] = {}
    for name, args in COMMANDS:
        out = target / name
        argv = [str(out) + a[3:] if a in ("OUT", "OUT.d") else a for a in args]
        proc = subprocess.run([sys.executable, "-c", "import cli; cli.app()", *argv], cwd=ROOT, capture_output=True,
                              env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0",
                                   "PYTHONPATH": str(ROOT), "TERM": "dumb", "NO_COLOR": "1"})
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{name}: exit {proc.returncode}\n{proc.stderr.decode()}")
        if "OUT" in args:
            outputs[name] = out.read_bytes()
        elif "OUT.d" in args:
            outputs[name] = next(Path(str(out) + ".d").iterdir()).read_bytes()
        else:
            outputs[name] = proc.stdout
    return outputs


def main() -> None:
    if HERE.exists():
        shutil.rmtree(HERE)
    HERE.mkdir(parents=True)
    work = HERE.parent / ".regen"
    for name, data in produce(work).items():
        (HERE / name).write_bytes(data)
    shutil.rmtree(work)
    print(f"{len(COMMANDS)} golden files in {HERE}")


if __name__ == "__main__":
    main()
