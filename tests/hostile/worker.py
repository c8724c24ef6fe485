"""Run catalogue cases in this process, one JSON line per case, so the parent can bound each case's time.

Usage: python worker.py BASE_DIR CASE_ID... ; each case is built in BASE_DIR/<id>, run from there with
typer's CliRunner, and reported with its exit code, the codes of the problems the CLI reported, its
output, whether a traceback escaped, and which input files changed (bytes or modification time).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from typer.testing import CliRunner  # noqa: E402

import cli  # noqa: E402
from catalogue import CASES  # noqa: E402

RECORDED: list[dict] = []


def _spy(function, pick):
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        RECORDED.extend(problem.model_dump(mode="json") for problem in pick(args, result))
        return result
    return wrapper


def _install_spies() -> None:
    """Record every problem the CLI shows, whatever the output format, without changing what it prints."""
    original_fail = cli._fail

    def fail(problems, *args, **kwargs):
        RECORDED.extend(p.model_dump(mode="json") for p in problems)
        return original_fail(problems, *args, **kwargs)

    cli._fail = fail
    original_show = cli._show_inspection

    def show(shown, problems, *args, **kwargs):
        RECORDED.extend(p.model_dump(mode="json") for p in problems)
        return original_show(shown, problems, *args, **kwargs)

    cli._show_inspection = show
    cli._usage_problem = _spy(cli._usage_problem, lambda args, result: [result])
    cli.api.validate = _spy(cli.api.validate, lambda args, result: result)


def _snapshot(folder: Path) -> dict[str, tuple]:
    """Bytes digest and modification time of every regular file under `folder`; other entries by their lstat."""
    found: dict[str, tuple] = {}
    if not folder.exists():
        return found
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        key = str(path.relative_to(folder))
        if stat.S_ISREG(info.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[key] = ("file", digest, info.st_mtime_ns, info.st_size)
        elif stat.S_ISLNK(info.st_mode):
            found[key] = ("link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            found[key] = ("dir",)
        else:
            found[key] = ("other", stat.S_IFMT(info.st_mode), info.st_mtime_ns)
    return found


def run(base: Path, case_id: str, runner: CliRunner) -> dict:
    case = next(c for c in CASES if c.id == case_id)
    folder = base / case_id
    folder.mkdir(parents=True, exist_ok=True)
    os.chdir(folder)
    argv = case.build(folder)
    before = _snapshot(folder / "in")
    RECORDED.clear()
    started = time.monotonic()
    result = runner.invoke(cli.app, argv, catch_exceptions=True)
    seconds = time.monotonic() - started
    after = _snapshot(folder / "in")
    escaped = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        escaped = "".join(traceback.format_exception(*result.exc_info))
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {"id": case_id, "argv": argv, "exit": result.exit_code, "stdout": result.stdout, "stderr": result.stderr,
            "codes": sorted({p.get("code") or "" for p in RECORDED} - {""}), "problems": list(RECORDED),
            "traceback": escaped, "changed": changed, "seconds": round(seconds, 3)}


def main() -> None:
    base = Path(sys.argv[1])
    _install_spies()
    runner = CliRunner()
    for case_id in sys.argv[2:]:
        try:
            outcome = run(base, case_id, runner)
        except Exception:  # a broken case builder is reported as such, not as a crash of the worker
            outcome = {"id": case_id, "builder_error": traceback.format_exc()}
        sys.stdout.write(json.dumps(outcome, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
