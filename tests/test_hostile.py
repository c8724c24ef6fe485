"""The hostile-input catalogue (tests/hostile/catalogue.py): every case ends as stated, within its time bound.

All cases run in one worker subprocess (in-process CLI calls there, so the whole catalogue stays
fast); the parent reads one result line per case and kills the worker when a case takes longer than
CASE_SECONDS: a hang is a failure of that case, and the worker restarts for the others. For every
case: the exit code and problem codes are exactly as stated, no traceback escaped, no input file
changed (bytes and modification time) and nothing the user typed was run as markup or formula.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "hostile"
sys.path.insert(0, str(HERE))

from catalogue import CASES  # noqa: E402

CASE_SECONDS = 10.0
STARTUP_SECONDS = 60.0
"""Importing the engine in a fresh interpreter on a busy machine; not a case's time."""


def _run_all(base: Path) -> dict[str, dict]:
    results: dict[str, dict] = {}
    pending = [case.id for case in CASES]
    env = {**os.environ, "COLUMNS": "200", "PYTHONHASHSEED": "0"}
    while pending:
        proc = subprocess.Popen([sys.executable, str(HERE / "worker.py"), str(base), *pending], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        selector = selectors.DefaultSelector()
        assert proc.stdout is not None
        selector.register(proc.stdout, selectors.EVENT_READ)
        budget = STARTUP_SECONDS + CASE_SECONDS
        while pending:
            if not selector.select(timeout=budget):
                proc.kill()
                proc.wait()
                results[pending[0]] = {"id": pending[0], "hang": True}
                pending = pending[1:]
                break
            line = proc.stdout.readline()
            if not line:
                proc.wait()
                error = proc.stderr.read() if proc.stderr else ""
                results[pending[0]] = {"id": pending[0], "worker_died": error[-3000:]}
                pending = pending[1:]
                break
            outcome = json.loads(line)
            results[outcome["id"]] = outcome
            pending.remove(outcome["id"])
            budget = CASE_SECONDS
        else:
            proc.wait()
        selector.close()
    return results


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict]:
    return _run_all(tmp_path_factory.mktemp("hostile"))


def test_the_catalogue_is_large_enough_and_exact() -> None:
    assert len(CASES) >= 250
    assert [c.id for c in CASES if c.exit == 2 and not c.codes] == [], "every case that exits 2 names its problem code"
    assert [c.id for c in CASES if c.exit == 1 and not (c.codes or c.statuses or c.output_has or c.kind)] == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case, outcomes, tmp_path_factory) -> None:
    got = outcomes[case.id]
    assert not got.get("hang"), f"{case.id}: no result within {CASE_SECONDS} s (hang)"
    assert "worker_died" not in got, got.get("worker_died")
    assert "builder_error" not in got, got.get("builder_error")
    shown = f"{case.id}: {got['argv']}\nstdout: {got['stdout'][-2000:]}\nstderr: {got['stderr'][-2000:]}"
    assert got["traceback"] is None, f"traceback escaped:\n{got['traceback']}\n{shown}"
    output = got["stdout"] + got["stderr"]
    assert "Traceback (most recent call last)" not in output, shown
    assert got["changed"] == [], f"input files changed: {got['changed']}\n{shown}"
    assert got["exit"] == case.exit, shown
    missing = [code for code in case.codes if code not in got["codes"]]
    assert not missing, f"expected problem codes {missing}, got {got['codes']}\n{shown}"
    if case.exit == 2:
        assert got["problems"], f"exit 2 without a problem naming the input\n{shown}"
        assert all(p["message"] and not p["message"].isascii() for p in got["problems"]), shown
    if case.statuses:
        nodes = {n["id"]: n["status"] for n in json.loads(got["stdout"])["units"][0]["nodes"]}
        assert {k: nodes.get(k) for k in case.statuses} == case.statuses, shown
    if case.kind is not None:
        deadline = json.loads(got["stdout"])["deadline"]
        assert (deadline["kind"], deadline["last_on_time_day"]) == (case.kind, case.last), shown
    for text in case.output_has:
        assert text in output, f"{text!r} not printed literally\n{shown}"
    for text in case.output_lacks:
        assert text not in output, f"{text!r} printed\n{shown}"
    if case.check is not None:
        folder = _case_folder(tmp_path_factory, case.id)
        problem = case.check(folder, got)
        assert problem is None, f"{problem}\n{shown}"


def _case_folder(tmp_path_factory, case_id: str) -> Path:
    base = tmp_path_factory.getbasetemp()
    found = sorted(base.glob(f"hostile*/{case_id}"))
    assert found, case_id
    return found[-1]
