"""One function per use case, so the CLI and the web application parse input and call these, nothing deeper.

Every function raises InputError with all problems of its inputs at once; data problems are part of
the results, never exceptions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from rich.table import Table

from engine.authoring.cases import TestReport, format_report, run_tests
from engine.authoring.diff import diff_criteria, diff_json, diff_text
from engine.core.problems import InputError, Problem
from engine.core.vnformat import FormatError, format_date, format_number, parse_date
from engine.kinds.tree import LoadedCriteria, criteria_json_schema
from engine.load.changes import option_changes, read_changes_file
from engine.load.criteria import check_criteria_file, load_criteria
from engine.load.dossiers import DossierAggregation, aggregate_dossiers, csv_read_arguments, load_mapping
from engine.load.evidence import find_bundle_files, read_bundles
from engine.load.sources import mapping_path
from engine.load.tailoring import render_outline, render_resolved
from engine.load.watchstate import read_state
from engine.model.evidence import LoadedBundle
from engine.model.changes import Change, ChangeError
from engine.model.criteria import MAX_DAYS
from engine.model.planning import BudgetPlan, WatchResult, WatchState, WhatIf
from engine.model.results import RunResult, UnitResult
from engine.render.data import to_csv, to_json, write_atomic
from engine.render.planning import plan_text, watch_table, whatif_text, with_notices
from engine.render.reports import plan_document, report_document
from engine.render.text import explain_text, gaps_table, lost_points, ranking_table
from engine.render.workbook import build_template
from engine.score.run import level_problems, score_run
from engine.score.optimise import plan_block
from engine.score.watch import watch as watch_units
from engine.score.whatif import what_if

__all__ = [
    "InputError", "Problem", "RunResult", "UnitResult", "TestReport",
    "score_files", "explain", "gaps", "report", "plan", "template", "validate", "schema", "criteria_outline",
    "criteria_diff", "run_cases", "cases_text", "as_json", "as_csv", "ranking", "write_output", "exit_code",
    "load_inputs", "read_changes", "whatif", "whatif_report", "plan_budget", "plan_budget_report",
    "watch", "watch_report",
]


def display_path(path: Path) -> str:
    """Paths in results are relative to the working folder when possible, so runs are reproducible."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _relative(bundle: LoadedBundle) -> LoadedBundle:
    bundle.file = display_path(Path(bundle.file))
    return bundle


def score_files(criteria: Path, evidence: list[Path], progress: Callable[[int], Callable[[], None]] | None = None,
                jobs: int | None = None, only: str | None = None) -> RunResult:
    """Load the set and every bundle, report the problems of all of them in one pass, then score.

    Problems name files as the user gave them; bundle paths become relative only for the results.
    `progress(total)` returns the callback advanced once per unit scored; `jobs` worker processes
    (None: chosen from the units and cores). `only` scores just that unit (every bundle is still read
    and checked): explain and gaps show one unit and need neither the others' scores nor a rank.
    """
    loaded, bundles = load_inputs(criteria, evidence)
    if only is not None:
        chosen = [b for b in bundles if b.bundle.unit.id == only]
        if not chosen:
            raise InputError([Problem(code="args.unknown_unit", file="(tham số)", value=only,
                                      message="không có đơn vị này trong minh chứng; có: "
                                      + ", ".join(sorted(b.bundle.unit.id for b in bundles)))])
        bundles = chosen
    advance = progress(len(bundles)) if progress is not None else None
    return score_run(loaded, bundles, criteria, advance, jobs)


def load_inputs(criteria: Path, evidence: list[Path], extra: list[Problem] | None = None
                ) -> tuple[LoadedCriteria, list[LoadedBundle]]:
    """The set and every bundle, or InputError with the problems of all of them (and `extra` ones) at once."""
    loaded, criteria_problems = check_criteria_file(criteria)
    problems = [p for p in criteria_problems if p.severity == "error"]
    if loaded is None and not problems:
        problems = criteria_problems
    bundles, evidence_problems = read_bundles(evidence)
    problems += evidence_problems
    if loaded is not None:
        problems += level_problems(loaded, bundles)
    problems += extra or []
    if problems:
        raise InputError(problems)
    return loaded, [_relative(b) for b in bundles]


def _unknown_unit(run: RunResult, unit: str) -> InputError:
    return InputError([Problem(code="args.unknown_unit", file="(tham số)", value=unit,
                               message="không có đơn vị này trong minh chứng; có: " + ", ".join(u.unit_id for u in run.units))])


def explain(run: RunResult, unit: str, criterion: str) -> str:
    """The explanation trail of one criterion (or area) of one unit."""
    result = run.unit(unit)
    if result is None:
        raise _unknown_unit(run, unit)
    text = explain_text(result, criterion)
    if text is None:
        raise InputError([Problem(code="args.unknown_criterion", file=run.criteria_set.file, value=criterion,
                                  message="không có tiêu chí này trong bộ chỉ số")])
    return text


def gaps(run: RunResult, unit: str | None = None) -> list[tuple[UnitResult, Table | None]]:
    """Each unit shown with its table of lost points (None when it lost nothing)."""
    units = run.units
    if unit is not None:
        units = [u for u in units if u.unit_id == unit]
        if not units:
            raise _unknown_unit(run, unit)
    return [(u, gaps_table(u) if lost_points(u) else None) for u in units]


def report(run: RunResult, fmt: str) -> bytes:
    """Scoring sheets (xlsx, docx, md) or the HTML report."""
    return report_document(run, fmt)


def plan(run: RunResult, fmt: str, province: bool = False) -> bytes:
    """Corrective plans of every unit, or the provincial plan."""
    return plan_document(run, fmt, province)


def template(criteria: Path, unit: str, name: str | None = None, level: str | None = None, year: int | None = None,
             problems: list[Problem] | None = None) -> tuple[str, bytes]:
    """The evidence workbook for one unit: (set id, xlsx bytes). `problems` are argument problems found by the caller."""
    problems = list(problems or [])
    try:
        loaded = load_criteria(criteria)
    except InputError as exc:
        raise InputError(problems + exc.problems) from None
    if problems:
        raise InputError(problems)
    data = build_template(loaded.criteria, unit, name=name, level=level, year=year, criteria_digest=loaded.digest)
    return loaded.criteria.id, data


def all_outputs(run: RunResult) -> dict[str, bytes]:
    """Every output of a province from one scoring: file name -> bytes (ranking JSON and CSV, scoring sheets,
    the HTML report, the units' corrective plans and the provincial plan)."""
    set_id = run.criteria_set.id
    files: dict[str, bytes] = {
        f"{set_id}.json": to_json(run).encode("utf-8"),
        f"{set_id}.csv": to_csv(run).encode("utf-8"),
        f"{set_id}-bao-cao.html": report_document(run, "html"),
    }
    for fmt in ("xlsx", "docx", "md"):
        files[f"{set_id}-bang-diem.{fmt}"] = report_document(run, fmt)
        files[f"{set_id}-ke-hoach-khac-phuc.{fmt}"] = plan_document(run, fmt, False)
        files[f"{set_id}-ke-hoach-khac-phuc-tinh.{fmt}"] = plan_document(run, fmt, True)
    return dict(sorted(files.items()))


def dossier_read_arguments(path: Path, mapping: str) -> dict:
    """The pandas read arguments ingestion uses for an export: the floor a benchmark compares ingestion with."""
    return csv_read_arguments(path, load_mapping(mapping_path(mapping)))


def ingest_dossiers(path: Path, mapping: str, start: date, end: date,
                    aliases: dict[str, str] | None = None) -> tuple[DossierAggregation, list[Problem]]:
    """Per-unit counts of a row-level one-stop export, with the warnings on the rows not counted."""
    aggregation, problems = aggregate_dossiers(path, load_mapping(mapping_path(mapping)), start, end, aliases)
    if aggregation is None:
        raise InputError(problems)
    return aggregation, problems


def validate(paths: list[Path]) -> list[Problem]:
    """Every schema and meaning problem (errors and warnings) of the given criteria files."""
    return [problem for path in paths for problem in check_criteria_file(path)[1]]


def schema() -> str:
    return json.dumps(criteria_json_schema(), ensure_ascii=False, indent=2) + "\n"


def criteria_outline(path: Path, resolved: bool = False) -> str:
    """The tree of a set, or the resolved tailoring as YAML with the source of every item."""
    loaded = load_criteria(path)
    return render_resolved(loaded) if resolved else render_outline(loaded)


def criteria_diff(old: Path, new: Path, as_json_output: bool = False) -> str:
    problems: list[Problem] = []
    loaded = []
    for path in (old, new):
        try:
            loaded.append(load_criteria(path))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    diff = diff_criteria(loaded[0], loaded[1], display_path(old), display_path(new))
    return diff_json(diff) if as_json_output else diff_text(diff)


def run_cases(path: Path) -> TestReport:
    return run_tests(path)


def cases_text(result: TestReport, coverage: bool = False) -> str:
    return format_report(result, coverage)


def as_json(run: RunResult) -> str:
    return to_json(run)


def as_csv(run: RunResult) -> str:
    return to_csv(run)


def ranking(run: RunResult) -> Table:
    return ranking_table(run)


def write_output(path: Path, data: bytes | str) -> None:
    """Write a file atomically; a folder or permission problem is an InputError in Vietnamese."""
    write_atomic(path, data)


def exit_code(run: RunResult, units: list[UnitResult] | None = None) -> int:
    """1 when any unit shown has data problems (it is still scored), else 0."""
    return 1 if any(u.data_problems for u in (run.units if units is None else units)) else 0


# ---------------------------------------------------------------- what-if


def read_changes(metrics: list[str] | None = None, documents: list[str] | None = None, tasks: list[str] | None = None,
                 not_applicable: list[str] | None = None, files: list[Path] | None = None
                 ) -> tuple[list[Change], list[Problem]]:
    """Evidence changes from changes files (first, in order) and options; the problems of all of them."""
    changes: list[Change] = []
    problems: list[Problem] = []
    for path in files or []:
        found, file_problems = read_changes_file(path)
        changes += found
        problems += file_problems
    found, option_problems = option_changes(metrics or [], documents or [], tasks or [], not_applicable or [])
    return changes + found, problems + option_problems


def parse_day(text: str | None, option: str, problems: list[Problem]) -> date | None:
    """A date given as an option (dd/mm/yyyy); a bad one is added to `problems`."""
    if text is None:
        return None
    try:
        return parse_date(text)
    except FormatError as exc:
        problems.append(Problem(code="args.bad_date", file="(tham số)", path=option, value=text, message=str(exc)))
        return None


def whatif(criteria: Path, evidence: list[Path], unit: str, changes: list[Change],
           problems: list[Problem] | None = None, as_of: str | None = None) -> tuple[RunResult, WhatIf]:
    """One unit re-scored with the changes and ranked among the others; `problems` are the caller's argument problems."""
    problems = list(problems or [])
    when = parse_day(as_of, "--as-of", problems)
    loaded, bundles = load_inputs(criteria, evidence, problems)
    run = score_run(loaded, bundles, criteria)
    found = next((b for b in bundles if b.bundle.unit.id == unit), None)
    if found is None:
        raise _unknown_unit(run, unit)
    try:
        return run, what_if(loaded, run.units, found, changes, when)
    except ChangeError as exc:
        raise InputError([Problem(code="changes.cannot_apply", file="(thay đổi)", message=str(exc))]) from None


def plan_budget(criteria: Path, evidence: list[Path], budget_days: float, by: str | None = None,
                unit: str | None = None, problems: list[Problem] | None = None) -> BudgetPlan:
    """The best plan of each unit (or one) within `budget_days` person-days by the cut-off, and the block's best actions."""
    problems = list(problems or [])
    cutoff = parse_day(by, "--by", problems)
    if not 0 <= budget_days <= MAX_DAYS:
        problems.append(Problem(code="args.bad_budget", file="(tham số)", path="--budget", value=format_number(budget_days),
                                message=f"số ngày công phải từ 0 đến {MAX_DAYS}"))
    loaded, bundles = load_inputs(criteria, evidence, problems)
    if cutoff is not None:
        early = [b for b in bundles if cutoff < b.bundle.as_of]
        if early:
            raise InputError([Problem(code="args.cutoff_before_as_of", file=b.file, path="as_of", value=format_date(b.bundle.as_of),
                                      message=f"ngày chốt kế hoạch {format_date(cutoff)} trước ngày chốt số liệu")
                              for b in early])
    if unit is not None:
        chosen = [b for b in bundles if b.bundle.unit.id == unit]
        if not chosen:
            raise InputError([Problem(code="args.unknown_unit", file="(tham số)", path="--unit", value=unit,
                                      message="không có đơn vị này trong minh chứng; có: "
                                              + ", ".join(sorted(b.bundle.unit.id for b in bundles)))])
        result = plan_block(loaded, bundles, budget_days, cutoff)
        return result.model_copy(update={"units": [u for u in result.units if u.unit_id == unit]})
    return plan_block(loaded, bundles, budget_days, cutoff)


def plan_budget_report(plan: BudgetPlan, as_json_output: bool = False) -> str:
    return plan.model_dump_json(indent=2) + "\n" if as_json_output else plan_text(plan)


def watch(criteria: Path, evidence: list[Path], as_of: str, within: int = 14, state: Path | None = None,
          cutoff: str | None = None) -> WatchResult:
    """Early warnings at `as_of` from the evidence snapshots; with `state`, merged with earlier runs and saved (atomically)."""
    problems: list[Problem] = []
    when = parse_day(as_of, "--as-of", problems)
    until = parse_day(cutoff, "--cutoff", problems)
    if not 0 <= within <= MAX_DAYS:
        problems.append(Problem(code="args.bad_within", file="(tham số)", path="--within", value=str(within),
                                message=f"số ngày phải từ 0 đến {MAX_DAYS}"))
    previous = WatchState()
    if state is not None:
        inputs = {Path(criteria).resolve()} | {f.resolve() for f in find_bundle_files(evidence)[0]}
        if state.resolve() in inputs:
            problems.append(Problem(code="watch.state_is_input", file=str(state), path="--state",
                                    message="tệp trạng thái trùng với một tệp đầu vào; chọn tệp khác (không ghi đè dữ liệu của người dùng)"))
        else:
            previous, state_problems = read_state(state)
            problems += state_problems
    loaded, criteria_problems = check_criteria_file(criteria)
    problems += [p for p in criteria_problems if p.severity == "error"]
    bundles, evidence_problems = read_bundles(evidence, snapshots=True)
    problems += evidence_problems
    if loaded is not None:
        problems += level_problems(loaded, bundles)
    if when is not None and bundles and not any(b.bundle.as_of <= when for b in bundles):
        problems.append(Problem(code="args.no_snapshot", file="(tham số)", path="--as-of", value=as_of,
                                message="không có bộ minh chứng nào chốt số liệu đến ngày này"))
    if problems or loaded is None:
        raise InputError(problems or criteria_problems)
    result, kept = watch_units(loaded, [_relative(b) for b in bundles], when, within, until, previous.warnings)
    if state is not None:
        write_atomic(state, WatchState(warnings=kept).model_dump_json(indent=2) + "\n")
    return with_notices(result)


def watch_report(result: WatchResult, fmt: str) -> str | Table:
    """`json`: the warnings as a list; `notice`: each unit's notice; `table`: a rich table."""
    if fmt == "json":
        return json.dumps([w.model_dump(mode="json", include={"key", "unit_id", "criterion", "kind", "due", "state",
                                                               "message"}) for w in result.warnings],
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "notice":
        return "\n".join(u.notice for u in result.units)
    return watch_table(result)


def whatif_report(result: WhatIf, as_json_output: bool = False) -> str:
    return result.model_dump_json(indent=2) + "\n" if as_json_output else whatif_text(result)
