"""One function per use case, so the CLI and the web application parse input and call these, nothing deeper.

Every function raises InputError with all problems of its inputs at once; data problems are part of
the results, never exceptions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from engine.authoring.cases import TestReport, format_report, run_tests
from engine.authoring.diff import diff_criteria, diff_json, diff_text
from engine.core.limits import MAX_XLSX_BYTES, read_limited
from engine.core.parallel import default_workers, limit_workers
from engine.core.paths import output_problems
from engine.core.problems import InputError, Problem, os_error_code, os_error_vi
from engine.core.vnformat import FormatError, format_date, format_number, nfc, parse_date
from engine.kinds.base import Peer
from engine.kinds.tree import CriteriaSet, LoadedCriteria, compares_units, criteria_json_schema
from engine.load.agreement import evidence_problems
from engine.load.appraisal import FilledWorkbook, read_round_workbook
from engine.load.assessment import (
    GENESIS,
    LoadedAssessment,
    Record,
    check_assessment_file,
    parse_record,
    read_record,
    record_lines,
)
from engine.load.changes import option_changes, read_changes_file
from engine.load.criteria import check_criteria_file, load_criteria
from engine.load.deadlines import Deadline, parse_deadline
from engine.load.dossiers import DossierAggregation, aggregate_dossiers, bare_read, load_mapping
from engine.load.evidence import find_bundle_files, read_bundles
from engine.load.export_inspection import ExportInspection, inspect_export
from engine.load.frames import load_frame, unknown_units
from engine.load.plan_tables import PlanImport, import_plan_table
from engine.load.previous import load_previous
from engine.load.sources import mapping_path
from engine.load.tailoring import render_outline, render_resolved, resolved_chain
from engine.load.watchstate import read_state
from engine.model.assessment import ROUNDS, VN_TIME, Entry, EvidenceRef, Place
from engine.model.changes import Change, ChangeError
from engine.model.criteria import MAX_DAYS
from engine.model.evidence import LoadedBundle
from engine.model.frame import FrameSettings
from engine.model.planning import BudgetPlan, WatchResult, WatchState, WhatIf
from engine.model.results import Comparison, CriteriaRef, RunResult, UnitProgress, UnitResult
from engine.render.appraisal import build_round_workbook
from engine.render.assessment import assessment_table, comparison_text, history_text, progress_table
from engine.render.data import UnitSpool, run_json_chunks, to_csv, to_json, unit_record, write_atomic, write_atomic_set
from engine.render.exports import inspection_json, inspection_problem_lines, inspection_summary, inspection_table
from engine.render.inspect import deadline_json, deadline_problems, deadline_table, plan_json, plan_table
from engine.render.planning import plan_text, watch_table, whatif_text, with_notices
from engine.render.reports import all_documents, collector_paused, plain_words, plan_document, report_context, report_document
from engine.render.terminal import terminal_safe
from engine.render.text import (
    explain_text,
    gaps_table,
    lost_points,
    not_due_points,
    not_due_table,
    ranking_table,
    statistics_text,
)
from engine.render.workbook import build_template
from engine.score.compare import compare_rounds, compare_runs
from engine.score.optimise import plan_block
from engine.score.rounds import Refusal, UnitRounds, apply_record, replay, unit_progress, when
from engine.score.run import (
    UnitKey,
    block_peers,
    block_statistics,
    compare_previous,
    iter_units,
    level_problems,
    rank_order,
    rank_units,
    run_bands,
    run_head,
    score_run,
)
from engine.score.stream import TwoStep, stream_units, streamable, warm_up, whole_unit
from engine.score.unit import score_unit
from engine.score.watch import watch as watch_units
from engine.score.whatif import what_if

if TYPE_CHECKING:
    from rich.table import Table

__all__ = [
    "InputError", "Problem", "RunResult", "UnitResult", "TestReport", "Entry", "EvidenceRef", "LoadedAssessment", "Place",
    "Record", "ROUNDS",
    "load_assessment", "assessment_evidence", "computed_rounds", "validate_entries", "score_assessment",
    "read_unit_record", "parse_unit_record", "record_text", "append_entries", "score_assessment_files",
    "assessment_progress", "progress_view", "assessment_view", "explain_history", "round_name", "compare_rounds_of",
    "compare_run_files", "compare_run_rounds", "comparison_output", "parse_moment", "round_workbook", "round_workbooks", "workbook_entries",
    "check_workbook_entries", "workbook_columns", "record_workbooks", "filled_targets",
    "FrameSettings", "frame_settings", "terminal_safe", "score_files", "score_json_file", "limit_workers", "explain", "gaps", "gaps_files", "report", "plan", "template", "validate",
    "schema", "criteria_outline",
    "criteria_diff", "run_cases", "cases_text", "as_json", "as_csv", "ranking", "statistics", "write_output", "write_outputs",
    "exit_code",
    "load_inputs", "read_changes", "whatif", "whatif_report", "plan_budget", "plan_budget_report",
    "watch", "watch_report",
    "ExportInspection", "export_inspection", "export_inspection_json", "export_inspection_view", "inspection_exit_code",
    "criteria_files", "input_paths", "assessment_files",
    "inspect_plan", "inspect_deadline", "plan_inspection", "deadline_inspection", "reading_exit_code",
]


def _every(read, items):
    """`read` applied to every item; the problems of all of them in one InputError, so a user sees them at once."""
    results, problems = [], []
    for item in items:
        try:
            results.append(read(item))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return results


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
                jobs: int | None = None, only: str | None = None, previous: Path | None = None) -> RunResult:
    """Load the set and every bundle, report the problems of all of them in one pass, then score.

    Problems name files as the user gave them; bundle paths become relative only for the results.
    `progress(total)` returns the callback advanced once per unit scored; `jobs` worker processes
    (None: chosen from the units and cores). `only` scores just that unit: explain and gaps show one
    unit and need neither the others' scores nor a rank. Only the files that may hold it are then read
    and checked (see load_inputs), unless a rule compares the units of its block, which needs every
    bundle's value. `previous` is an earlier run's JSON: each unit then carries its change
    of rank and index since that run.
    """
    return _score_files(criteria, evidence, progress, jobs, only, previous)[1]


def _score_files(criteria: Path, evidence: list[Path], progress: Callable[[int], Callable[[], None]] | None = None,
                 jobs: int | None = None, only: str | None = None, previous: Path | None = None
                 ) -> tuple[LoadedCriteria, RunResult]:
    """score_files, with the set it loaded (for a caller that needs the set's labels as well)."""
    earlier, extra = None, []
    if previous is not None:
        try:
            earlier = load_previous(previous)
        except InputError as exc:
            extra = exc.problems
    if only is not None:
        only = nfc(only).strip()
    streamed = _stream_run(criteria, evidence, progress, jobs) if only is None and not extra else None
    if streamed is not None:
        loaded, run, inputs = streamed
    else:
        loaded, bundles = load_inputs(criteria, evidence, extra, unit=only)
        inputs = _criteria_files(criteria, loaded) + [str(p) for p in evidence] + [f for b in bundles for f in b.inputs]
        everyone = bundles
        if only is not None:
            chosen = [b for b in bundles if b.bundle.unit.id == only]
            if not chosen:
                raise InputError([Problem(code="args.unknown_unit", file="(tham số)", value=only,
                                          message="không có đơn vị này trong minh chứng; có: "
                                          + ", ".join(sorted(b.bundle.unit.id for b in bundles)))])
            bundles = chosen
        advance = progress(len(bundles)) if progress is not None else None
        run = score_run(loaded, bundles, criteria, advance, jobs, block=everyone)
    if earlier is not None:
        run = compare_previous(loaded, run, earlier, display_path(previous))
        inputs.append(str(previous))
    return loaded, run.model_copy(update={"inputs": tuple(dict.fromkeys(inputs))})


def score_json_file(criteria: Path, evidence: list[Path], output: Path,
                    progress: Callable[[int], Callable[[], None]] | None = None, jobs: int | None = None) -> int:
    """`score --format json --output`: the same bytes as as_json(score_files(...)), written unit by unit as each is
    scored, so memory does not grow with the units' results. Returns the exit code (1 when a unit has data problems).

    The output is checked against every input before anything is scored. Clean bundles are read and scored in one
    step per file (engine.score.stream); anything else goes the two-step way, which reports every problem at once.
    """
    code = _stream_json_file(criteria, evidence, output, progress, jobs)
    if code is not None:
        return code
    loaded, bundles = load_inputs(criteria, evidence)
    inputs = _criteria_files(criteria, loaded) + [str(p) for p in evidence] + [f for b in bundles for f in b.inputs]
    problems = output_problems(output, inputs)
    if problems:
        raise InputError(problems)
    advance = progress(len(bundles)) if progress is not None else None
    return _write_units(loaded, criteria, output, iter_units(loaded, bundles, advance, jobs, finish=unit_record))


def _write_units(loaded: LoadedCriteria, criteria: Path, output: Path, units: Iterable[tuple[UnitKey, bytes]],
                 start: Callable[[], Callable[[], None]] | None = None, inputs: list[str] | None = None) -> int:
    """Units' (key, JSON) spooled as they come, then the run written in rank order; the exit code.

    `start()` gives the progress callback when the first unit comes (a run sent the two-step way before it shows no bar).
    `inputs`, when given, are checked against the output once every unit has come (they grow as units are read).
    """
    keys: list[UnitKey] = []
    step: Callable[[], None] | None = None
    with UnitSpool(output) as spool:
        for key, fragment in units:
            spool.add(fragment)
            keys.append(key)
            if start is not None:
                step = step or start()
                step()
        problems = output_problems(output, inputs) if inputs is not None else []
        if problems:
            raise InputError(problems)
        order = rank_order(keys)
        head = run_head(loaded, criteria, [keys[index] for index, _ in order])
        write_atomic(output, run_json_chunks(head, spool.fragments(order)))
    return 1 if any(key.data_problems for key in keys) else 0


def _stream_json_file(criteria: Path, evidence: list[Path], output: Path,
                      progress: Callable[[int], Callable[[], None]] | None, jobs: int | None) -> int | None:
    """score_json_file in one step per file; None when the files need the two-step way (nothing written then)."""
    loaded, criteria_problems = check_criteria_file(criteria)
    if loaded is None or any(p.severity == "error" for p in criteria_problems):
        return None
    files, problems = find_bundle_files(evidence)
    if problems or not streamable(loaded, files) or not Path(output).parent.is_dir():
        return None  # the spool needs the output's folder, which only the two-step way creates, once inputs are clean
    inputs = _criteria_files(criteria, loaded) + [str(p) for p in evidence]
    if output_problems(output, inputs + [str(f) for f in files]):
        return None  # the two-step way says so before reading anything
    workers = default_workers(len(files)) if jobs is None else max(1, jobs)
    if workers > 1:
        warm_up(files[0])
    start = (lambda: progress(len(files))) if progress is not None else None
    try:
        return _write_units(loaded, criteria, output,
                            stream_units(loaded, files, _relative, unit_record, workers, inputs), start, inputs)
    except TwoStep:
        return None


def _stream_run(criteria: Path, evidence: list[Path], progress: Callable[[int], Callable[[], None]] | None,
                jobs: int | None) -> tuple[LoadedCriteria, RunResult, list[str]] | None:
    """A whole run scored one step per file in workers (engine.score.stream), each sending back the unit's results:
    (the set, the ranked run, the files read); None when the files need the two-step way or one process is used.

    Only with a pool: in one process the two-step way costs the same. Receiving a unit's results costs about half of
    scoring it (with the collector paused), so the main process keeps up with two workers.
    """
    loaded, criteria_problems = check_criteria_file(criteria)
    if loaded is None or any(p.severity == "error" for p in criteria_problems):
        return None
    files, problems = find_bundle_files(evidence)
    workers = default_workers(len(files)) if jobs is None else max(1, jobs)
    if problems or workers < 2 or len(files) < 2 or not streamable(loaded, files):
        return None
    warm_up(files[0])
    read: list[str] = []
    step: Callable[[], None] | None = None
    units: list[UnitResult] = []
    try:
        with collector_paused():
            for unit in stream_units(loaded, files, _relative, whole_unit, workers, read):
                units.append(unit)
                if progress is not None:
                    step = step or progress(len(files))
                    step()
    except TwoStep:
        return None
    ranked = rank_units(units)
    run = run_head(loaded, criteria, ranked).model_copy(update={"units": ranked})
    return loaded, run, _criteria_files(criteria, loaded) + [str(p) for p in evidence] + read


def _criteria_files(path: Path, loaded: LoadedCriteria | None) -> list[str]:
    return [str(path)] + (resolved_chain(loaded) if loaded is not None else [])


def criteria_files(path: Path) -> list[str]:
    """The criteria file and the files it extends, to protect from being overwritten by an output."""
    loaded, _ = check_criteria_file(path)
    return _criteria_files(path, loaded)


def input_paths(criteria: Path, evidence: list[Path]) -> list[str]:
    """The criteria files and the evidence files and folders given, for commands whose result carries no inputs."""
    return criteria_files(criteria) + [str(p) for p in evidence]


def _assessment_files(la: LoadedAssessment) -> list[str]:
    rounds = [la.assessment.evidence.self, la.assessment.evidence.explanation]
    return ([la.file] + _criteria_files(Path(la.file), la.criteria)[1:] + [str(la.path(r)) for r in rounds if r]
            + [str(la.path(la.assessment.records))])


def assessment_files(path: Path) -> list[str]:
    """The assessment file, its criteria files, evidence folders and records folder, never to be overwritten."""
    return _assessment_files(load_assessment(path))


def load_inputs(criteria: Path, evidence: list[Path], extra: list[Problem] | None = None, unit: str | None = None
                ) -> tuple[LoadedCriteria, list[LoadedBundle]]:
    """The set and every bundle, or InputError with the problems of all of them (and `extra` ones) at once.

    With `unit` (an NFC id) and a valid set, only the files that may hold that unit are read: the problems are those of
    the set and of those files, so another unit's broken bundle does not stop it. Every file is read, as without `unit`,
    when none of them holds the unit (an unknown unit is then told after the problems of every file) or when a rule
    compares the units of its block.
    """
    loaded, criteria_problems = check_criteria_file(criteria)
    problems = [p for p in criteria_problems if p.severity == "error"]
    if loaded is None and not problems:
        problems = criteria_problems
    if unit is not None and loaded is not None and not problems:
        bundles, bundle_problems = read_bundles(evidence, unit=unit)
        shown = [b for b in bundles if b.bundle.unit.id == unit]
        if not shown or any(compares_units(loaded.criteria, b.bundle.unit.level) for b in shown):
            bundles, bundle_problems = read_bundles(evidence)
    else:
        bundles, bundle_problems = read_bundles(evidence)
    problems += bundle_problems
    if loaded is not None:
        problems += level_problems(loaded, bundles)
        problems += evidence_problems(loaded.criteria, bundles)
    problems += extra or []
    if problems:
        raise InputError(problems)
    return loaded, [_relative(b) for b in bundles]


def _unknown_unit(run: RunResult, unit: str) -> InputError:
    return InputError([Problem(code="args.unknown_unit", file="(tham số)", value=unit,
                               message="không có đơn vị này trong minh chứng; có: " + ", ".join(u.unit_id for u in run.units))])


def explain(run: RunResult, unit: str, criterion: str) -> str:
    """The explanation trail of one criterion (or area) of one unit; ids typed decomposed (NFD) match as composed."""
    unit, criterion = nfc(unit).strip(), nfc(criterion).strip()
    result = run.unit(unit)
    if result is None:
        raise _unknown_unit(run, unit)
    text = explain_text(result, criterion)
    if text is None:
        raise InputError([Problem(code="args.unknown_criterion", file=run.criteria_set.file, value=criterion,
                                  message="không có tiêu chí này trong bộ chỉ số")])
    return text


def gaps(run: RunResult, unit: str | None = None, criteria: Path | LoadedCriteria | None = None
         ) -> list[tuple[UnitResult, Table | None, Table | None]]:
    """Each unit with its table of lost points and, apart, its table of criteria not yet due (None when empty).

    With the criteria file the tables name evidence by its labels.
    """
    units = run.units
    if unit is not None:
        unit = nfc(unit).strip()
        units = [u for u in units if u.unit_id == unit]
        if not units:
            raise _unknown_unit(run, unit)
    labels = report_context(run, criteria=_set_of(run, criteria)).labels

    def words(text: str) -> str:
        return plain_words(text, labels)

    return [(u, gaps_table(u, words) if lost_points(u) else None, not_due_table(u, words) if not_due_points(u) else None)
            for u in units]


def gaps_files(criteria: Path, evidence: list[Path], unit: str | None = None
               ) -> tuple[RunResult, list[tuple[UnitResult, Table | None, Table | None]]]:
    """`gaps`: the run (one unit, as score_files with `only`, or every unit) and gaps(run, unit, criteria), with the set
    read once for both."""
    loaded, run = _score_files(criteria, evidence, only=unit)
    return run, gaps(run, unit, loaded)


def _set_of(run: RunResult, criteria: Path | LoadedCriteria | None) -> CriteriaSet | None:
    """The set the run was scored with (read again from its file, or as loaded), for its labels and templates; it
    must be the same set."""
    if criteria is None:
        return None
    loaded = criteria if isinstance(criteria, LoadedCriteria) else load_criteria(criteria)
    if loaded.digest != run.criteria_set.hash:
        raise InputError([Problem(code="args.criteria_mismatch", file=loaded.doc.file, value=loaded.digest[:12],
                                  message="bộ chỉ số này khác bộ đã dùng để chấm (mã băm khác nhau)")])
    return loaded.criteria


def frame_settings(path: Path | None, run: RunResult) -> tuple[FrameSettings, list[Problem]]:
    """The frame file's settings (defaults without a file) and its warnings; an invalid file is an InputError."""
    if path is None:
        return FrameSettings(), []
    settings, problems = load_frame(path)
    errors = [p for p in problems if p.severity == "error"]
    if settings is None or errors:
        raise InputError(errors or problems)
    return settings, problems + unknown_units(settings, [u.unit_id for u in run.units], str(path))


def report(run: RunResult, fmt: str, criteria: Path | LoadedCriteria | None = None,
           frame: FrameSettings | None = None) -> bytes:
    """Scoring sheets (xlsx, docx, md) or the HTML report; `criteria` (the file scored with) gives labels and templates."""
    return report_document(run, fmt, criteria=_set_of(run, criteria), frame=frame)


def plan(run: RunResult, fmt: str, province: bool = False, criteria: Path | None = None,
         frame: FrameSettings | None = None) -> bytes:
    """Corrective plans of every unit, or the provincial plan."""
    return plan_document(run, fmt, province, criteria=_set_of(run, criteria), frame=frame)


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


def all_outputs(run: RunResult, criteria: Path | LoadedCriteria | None = None,
                frame: FrameSettings | None = None) -> dict[str, bytes]:
    """Every output of a province from one scoring: file name -> bytes (ranking JSON and CSV, scoring sheets,
    the HTML report, the units' corrective plans and the provincial plan)."""
    set_id = run.criteria_set.id
    names = {"report": "bang-diem", "plan": "ke-hoach-khac-phuc", "province": "ke-hoach-khac-phuc-tinh"}
    files: dict[str, bytes] = {}

    def ranking_files() -> None:  # written by the main process while workers draw the documents
        files[f"{set_id}.json"] = to_json(run).encode("utf-8")
        files[f"{set_id}.csv"] = to_csv(run).encode("utf-8")

    for (kind, fmt), data in all_documents(run, criteria=_set_of(run, criteria), frame=frame,
                                           meanwhile=ranking_files).items():
        files[f"{set_id}-bao-cao.html" if fmt == "html" else f"{set_id}-{names[kind]}.{fmt}"] = data
    return dict(sorted(files.items()))


def dossier_read(path: Path, mapping: str) -> int:
    """Read an export exactly as ingestion first reads it and nothing more (the floor a benchmark compares
    ingestion with); the number of data rows read."""
    return len(bare_read(path, load_mapping(mapping_path(mapping))))


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
    loaded = _every(load_criteria, (old, new))
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


def statistics(run: RunResult) -> str:
    """Each block's units, mean index and units per band (and the previous run's mean when compared), in words."""
    return statistics_text(run)


def write_outputs(folder: Path, files: dict[str, bytes], inputs: Sequence[str | Path] = ()) -> None:
    """Write several files into a folder as one set (all or none: see write_atomic_set), every path checked against
    the inputs first."""
    problems = [p for name in files for p in output_problems(folder / name, inputs, "--all")]
    if problems:
        raise InputError(problems[:1])
    write_atomic_set({folder / name: data for name, data in files.items()})


def write_output(path: Path, data: bytes | str, inputs: Sequence[str | Path] = ()) -> None:
    """Write a file atomically, never over one of `inputs` nor into an input folder where it would be read back;
    such a path, a folder or a permission problem is an InputError in Vietnamese."""
    problems = output_problems(path, inputs)
    if problems:
        raise InputError(problems)
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
# ---------------------------------------------------------------- assessments (issue 11)
#
# Pure functions over explicit inputs, so the web application can keep entries in its database and
# call the same rules: load_assessment → computed_rounds (per unit, from its evidence per round) →
# validate_entries (before storing a proposed entry) → score_assessment (every unit with its entries).


def load_assessment(path: Path) -> LoadedAssessment:
    """The assessment file and the criteria set it names, validated; InputError with every problem otherwise."""
    loaded, problems = check_assessment_file(path)
    errors = [p for p in problems if p.severity == "error"]
    if loaded is None or errors:
        raise InputError(errors or problems)
    return loaded


def assessment_evidence(la: LoadedAssessment) -> dict[str, dict[str, LoadedBundle]]:
    """unit → {round: bundle} from the evidence files the assessment names (self, and explanation if any)."""
    problems: list[Problem] = []
    found: dict[str, dict[str, LoadedBundle]] = {}
    units = set(la.assessment.units)
    for round_name, relative in (("self", la.assessment.evidence.self), ("explanation", la.assessment.evidence.explanation)):
        if relative is None:
            continue
        bundles, bundle_problems = read_bundles([la.path(relative)])
        problems += bundle_problems + level_problems(la.criteria, bundles) + evidence_problems(la.criteria.criteria, bundles)
        for bundle in bundles:
            unit = bundle.bundle.unit.id
            if unit not in units:
                problems.append(Problem(file=bundle.file, path="unit.id", value=unit, code="assessment.unknown_unit",
                                        message=f"đơn vị không có trong danh sách của đợt đánh giá {la.assessment.id} "
                                                f"({display_path(Path(la.file))})"))
                continue
            found.setdefault(unit, {})[round_name] = _relative(bundle)
    for unit, rounds in found.items():
        if "self" not in rounds:
            problems.append(Problem(file=rounds["explanation"].file, path="unit.id", value=unit, code="assessment.no_self_evidence",
                                    message="có minh chứng giải trình nhưng không có minh chứng tự chấm của đơn vị này"))
    if problems:
        raise InputError(problems)
    return found


def computed_rounds(la: LoadedAssessment, bundles: dict[str, LoadedBundle],
                    peers: dict[str, dict[str, dict[str, list[Peer]]]] | None = None) -> dict[str, UnitResult]:
    """One unit's points computed from its evidence at each round that has evidence ({"self": ..., "explanation": ...}).

    `peers` (from assessment_peers) gives rules that compare the units of a block the block's values at each
    round; without it the unit is scored alone and such a criterion is missing evidence.
    """
    return {name: score_unit(la.criteria, bundle, None if peers is None else
                             peers.get(name, {}).get(bundle.bundle.unit.level, {}))
            for name, bundle in bundles.items()}


def assessment_peers(la: LoadedAssessment, evidence: dict[str, dict[str, LoadedBundle]]
                     ) -> dict[str, dict[str, dict[str, list[Peer]]]]:
    """Per round, the block values of every unit of the assessment (a unit without re-submitted evidence keeps its
    self-assessment evidence in the explanation round)."""
    return {name: block_peers(la.criteria, [rounds.get(name, rounds["self"]) for rounds in evidence.values()
                                            if "self" in rounds])
            for name in ("self", "explanation")}


def _refusal_problem(refusal: Refusal, entries: list[Entry], places: list[Place] | None, unit: str) -> Problem:
    entry = entries[refusal.index]
    if places is not None and refusal.index < len(places):
        place = places[refusal.index]
    else:
        place = Place(file=f"(hồ sơ đơn vị {unit})", path=f"mục {refusal.index + 1}")
    return place.problem(refusal.message, _entry_words(entry), code=refusal.code)


def _entry_words(entry: Entry) -> str:
    what = f"tiêu chí {entry.criterion}" if entry.criterion else {"submit": "nộp vòng", "unlock": "mở lại vòng",
                                                                  "finalise": "chốt kết quả"}.get(entry.kind, "")
    points = "" if entry.points is None else f", {entry.points:g} điểm"
    return f"{what}{points}, {entry.by}"


def validate_entries(la: LoadedAssessment, unit: str, computed: dict[str, UnitResult], existing: list[Entry],
                     proposed: list[Entry], now: datetime, places: list[Place] | None = None) -> list[Problem]:
    """Every reason to refuse the proposed entries of one unit; nothing is written.

    `existing` are the entries already recorded (from a file or a database), `now` the time of the
    request (timezone-aware). A proposed entry that would make an existing one invalid (an entry
    dated earlier that changes what a later entry changed without a reason) is refused as well.
    `places` (one per proposed entry) name where each came from, e.g. a workbook cell.
    """
    ctx = UnitRounds(la, unit, computed)
    before = {r.index for r in replay(ctx, existing).refusals}
    fresh = set(range(len(existing), len(existing) + len(proposed)))
    after = replay(ctx, existing + proposed, now=now, fresh=fresh)
    problems = []
    for refusal in after.refusals:
        if refusal.index in fresh:
            index = refusal.index - len(existing)
            problems.append(_refusal_problem(Refusal(index, refusal.code, refusal.message), proposed, places, unit))
        elif refusal.index not in before:
            entry = existing[refusal.index]
            problems.append(Problem(file=f"(hồ sơ đơn vị {unit})", code="assessment.breaks_record", value=_entry_words(entry),
                                    message="mục mới làm một mục đã ghi trước đó không còn hợp lệ: " + refusal.message))
    return problems


def score_assessment(la: LoadedAssessment, evidence: dict[str, dict[str, LoadedBundle]],
                     entries: dict[str, list[Entry]], places: dict[str, list[Place]] | None = None) -> RunResult:
    """Every unit with evidence scored, its record applied round by round, and ranked by the final index.

    A record with a refused entry is invalid input: InputError lists every refusal of every unit.
    """
    units: list[UnitResult] = []
    problems: list[Problem] = []
    peers = assessment_peers(la, evidence)
    for unit in sorted(evidence):
        ctx = UnitRounds(la, unit, computed_rounds(la, evidence[unit], peers))
        unit_entries = entries.get(unit, [])
        result, refusals = apply_record(ctx, unit_entries)
        problems += [_refusal_problem(r, unit_entries, (places or {}).get(unit), unit) for r in refusals]
        units.append(result)
    if problems:
        raise InputError(problems)
    criteria = la.criteria.criteria
    ref = CriteriaRef(id=criteria.id, title=criteria.title, level=criteria.level, year=criteria.year,
                      file=Path(la.assessment.criteria).name, hash=la.criteria.digest)
    ranked = rank_units(units)
    return RunResult(criteria_set=ref, units=ranked, bands=run_bands(la.criteria),
                     statistics=block_statistics(la.criteria, ranked))


def read_unit_record(la: LoadedAssessment, unit: str) -> Record:
    """A unit's record file (missing: empty), with every broken or changed line as a problem."""
    record = read_record(la.record_path(unit), la.assessment.id, unit)
    record.file = display_path(Path(record.file))
    record.problems = [p.model_copy(update={"file": record.file}) for p in record.problems]
    return record


def parse_unit_record(data: bytes, la: LoadedAssessment, unit: str, name: str = "(hồ sơ)") -> Record:
    """A record kept elsewhere (an upload, a database export), checked like a record file."""
    return parse_record(data, name, la.assessment.id, unit)


def record_text(entries: list[Entry], head: str = GENESIS) -> tuple[str, str]:
    """JSON Lines appending `entries` (time order) after the line whose hash is `head`; returns (text, new head)."""
    return record_lines(entries, head)


def _record_places(record: Record) -> list[Place]:
    return [Place(file=record.file, line=line) for line, _ in record.lines]


def _assessment_inputs(path: Path) -> tuple[LoadedAssessment, dict, dict[str, list[Entry]], dict[str, list[Place]]]:
    """The assessment, the evidence per unit and round, and every unit's record, all checked in one pass."""
    la = load_assessment(path)
    problems: list[Problem] = []
    try:
        evidence = assessment_evidence(la)
    except InputError as exc:
        evidence, problems = {}, list(exc.problems)
    entries: dict[str, list[Entry]] = {}
    places: dict[str, list[Place]] = {}
    for unit in la.assessment.units:
        record = read_unit_record(la, unit)
        problems += record.problems
        if record.lines and unit not in evidence and not problems:
            problems.append(Problem(file=record.file, code="assessment.no_self_evidence", value=unit,
                                    message="đơn vị có hồ sơ chấm điểm nhưng chưa có minh chứng tự chấm"))
        entries[unit] = record.entries
        places[unit] = _record_places(record)
    if problems:
        raise InputError(problems)
    return la, evidence, entries, places


def score_assessment_files(path: Path, previous: Path | None = None) -> tuple[LoadedAssessment, RunResult]:
    """The files workflow: the assessment, its evidence per round and every unit's record, checked in one pass;
    `previous` as for score_files."""
    earlier = load_previous(previous) if previous is not None else None
    la, evidence, entries, places = _assessment_inputs(path)
    run = score_assessment(la, evidence, entries, places)
    inputs = _assessment_files(la) + [f for rounds in evidence.values() for b in rounds.values() for f in b.inputs]
    if earlier is not None:
        run = compare_previous(la.criteria, run, earlier, display_path(previous))
        inputs.append(str(previous))
    return la, run.model_copy(update={"inputs": tuple(dict.fromkeys(inputs))})


def assessment_progress(path: Path, now: datetime) -> tuple[LoadedAssessment, list[UnitProgress]]:
    """Which units have submitted, been appraised, explained, finalised; which rounds are late at `now`."""
    la, evidence, entries, _ = _assessment_inputs(path)
    peers = assessment_peers(la, evidence)
    rows = []
    for unit in la.assessment.units:
        bundles = evidence.get(unit)
        ctx = UnitRounds(la, unit, computed_rounds(la, bundles, peers)) if bundles else None
        name = bundles["self"].bundle.unit.name if bundles else unit
        rows.append(unit_progress(la, unit, name, ctx, entries.get(unit, []), now))
    return la, rows


def progress_view(la: LoadedAssessment, rows: list[UnitProgress]) -> Table:
    return progress_table(rows, la.assessment.title)


def assessment_view(la: LoadedAssessment, run: RunResult) -> Table:
    """Units ranked by their final points, with computed, self, appraised and final points side by side."""
    return assessment_table(run, la.assessment.title)


def explain_history(run: RunResult, unit: str, criterion: str) -> str:
    """The explanation of a criterion and its whole history in the assessment (entries, rounds, explanations)."""
    result = run.unit(unit)
    if result is None:
        raise _unknown_unit(run, unit)
    text = history_text(result, criterion)
    if text is None:
        raise InputError([Problem(file=run.criteria_set.file, value=criterion, code="args.unknown_criterion",
                                  message="không có tiêu chí này trong bộ chỉ số")])
    return text


ROUND_WORDS = {"tu-cham": "self", "vong-1": "appraisal_1", "giai-trinh": "explanation", "vong-2": "appraisal_2",
               "cuoi": "appraisal_2"}
"""Round names as typed on the command line."""


def round_name(word: str, what: str = "vòng") -> str:
    """A round typed by a person (tu-cham, vong-1, giai-trinh, vong-2, cuoi) as the engine's round."""
    name = ROUND_WORDS.get(word.strip().lower())
    if name is None:
        raise InputError([Problem(file="(tham số)", value=word, code="args.unknown_round",
                                  message=f"{what} không hợp lệ; dùng: {', '.join(ROUND_WORDS)}")])
    return name


def compare_rounds_of(path: Path, before: str, after: str) -> Comparison:
    """Criteria whose points changed between two rounds of an assessment, with the entry that changed them."""
    names = _every(round_name, (before, after))
    _, run = score_assessment_files(path)
    return compare_rounds(run, names[0], names[1])


def compare_run_rounds(run: RunResult, before: str, after: str) -> Comparison:
    """Criteria whose points changed between two rounds (engine names) of an assessment already scored with its
    records, e.g. by a web application that keeps the records in a database."""
    problems = [Problem(file="(tham số)", value=name, code="args.unknown_round",
                        message=f"vòng không hợp lệ; dùng: {', '.join(ROUNDS)}") for name in (before, after)
                if name not in ROUNDS]
    if problems:
        raise InputError(problems)
    return compare_rounds(run, before, after)


def compare_run_files(before: Path, after: Path) -> Comparison:
    """Criteria whose points changed between two results written by `score --format json`."""
    data = []
    problems = []
    for path in (before, after):
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(value, dict) or not isinstance(value.get("units"), list):
                raise ValueError
            data.append(value)
        except OSError as exc:
            problems.append(Problem(file=str(path), code=os_error_code(exc), message=f"không đọc được tệp: {os_error_vi(exc)}"))
        except (ValueError, UnicodeDecodeError):
            problems.append(Problem(file=str(path), code="diff.not_a_result",
                                    message="tệp không phải kết quả chấm điểm dạng JSON (tạo bằng 'parindex score --format json')"))
    if problems:
        raise InputError(problems)
    try:
        return compare_runs(data[0], data[1], display_path(before), display_path(after))
    except (KeyError, TypeError) as exc:
        raise InputError([Problem(file=display_path(after), code="diff.not_a_result",
                                  message=f"kết quả chấm điểm thiếu trường {exc}; tạo lại bằng 'parindex score --format json'")]) from None


def comparison_output(comparison: Comparison, as_json_output: bool = False) -> str:
    if as_json_output:
        return json.dumps(comparison.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    return comparison_text(comparison)


def append_entries(la: LoadedAssessment, unit: str, entries: list[Entry], now: datetime,
                   places: list[Place] | None = None, computed: dict[str, UnitResult] | None = None) -> str:
    """Validate `entries` against the unit's record and append them (atomically); returns the new last hash.

    Nothing is written when the record is damaged or any entry is refused (InputError with every problem).
    `computed` may be given when the caller already scored the unit's evidence per round.
    """
    record = read_unit_record(la, unit)
    if record.problems:
        raise InputError(record.problems)
    if computed is None:
        evidence = assessment_evidence(la)
        bundles = evidence.get(unit)
        if bundles is None:
            raise InputError([Problem(file=display_path(Path(la.file)), code="assessment.no_self_evidence", value=unit,
                                      message="đơn vị chưa có minh chứng tự chấm nên chưa ghi được điểm")])
        computed = computed_rounds(la, bundles, assessment_peers(la, evidence))
    problems = validate_entries(la, unit, computed, record.entries, entries, now, places)
    if problems:
        raise InputError(problems)
    text, head = record_lines(entries, record.head)
    raw = record.raw if not record.raw or record.raw.endswith(b"\n") else record.raw + b"\n"
    write_atomic(la.record_path(unit), raw + text.encode("utf-8"))
    return head


def parse_moment(text: str | None, what: str = "--now") -> datetime:
    """A time typed by a person (2025-01-20T10:00, 20/01/2025 10:00 or 20/01/2025); Vietnam time unless an offset is
    given; None means the current time."""
    if text is None:
        return datetime.now(VN_TIME).replace(microsecond=0)
    value = text.strip()
    for parse in (datetime.fromisoformat, lambda v: datetime.strptime(v, "%d/%m/%Y %H:%M"),
                  lambda v: datetime.strptime(v, "%d/%m/%Y")):
        try:
            moment = parse(value)
        except ValueError:
            continue
        return moment.replace(tzinfo=VN_TIME) if moment.tzinfo is None else moment
    raise InputError([Problem(file="(tham số)", path=what, value=text, code="args.bad_time",
                              message="thời điểm không hợp lệ; ghi dạng dd/mm/yyyy hh:mm, ví dụ 20/01/2025 10:00")])


# ---------------------------------------------------------------- round workbooks (appraisal, explanation)


def round_workbook(la: LoadedAssessment, run: RunResult, unit: str, round_name_: str) -> bytes:
    """The appraisal workbook (round appraisal_1 or appraisal_2) or the explanation workbook of one unit."""
    result = run.unit(unit)
    if result is None:
        raise _unknown_unit(run, unit)
    if round_name_ == "self":
        raise InputError([Problem(file="(tham số)", value="tu-cham", code="args.unknown_round",
                                  message="vòng tự chấm dùng biểu mẫu minh chứng ('parindex template'); bảng thẩm "
                                          "định dùng cho vong-1, giai-trinh, vong-2")])
    return build_round_workbook(la, result, round_name_)


def round_workbooks(path: Path, round_word: str, unit: str | None = None) -> list[tuple[str, bytes]]:
    """(file name, xlsx) for one unit or every unit with evidence, named <assessment>-<round>-<unit>.xlsx."""
    name = round_name(round_word)
    la, run = score_assessment_files(path)
    units = [unit] if unit is not None else [u.unit_id for u in run.units]
    word = next(w for w, n in ROUND_WORDS.items() if n == name)
    return [(f"{la.assessment.id}-{word}-{u}.xlsx", round_workbook(la, run, u, name)) for u in units]


def workbook_entries(la: LoadedAssessment, data: bytes, file: str, now: datetime,
                     unit: str | None = None) -> tuple[str | None, list[Entry], list[Place], list[Problem]]:
    """A filled round workbook read as proposed entries: (unit, entries, their places, problems).

    Problems: unreadable cells, a workbook of another unit (when `unit` is given) or of another assessment,
    a criteria set changed since the workbook was made. Nothing is checked against the record yet.
    """
    filled, problems = read_round_workbook(data, file)
    if filled is None:
        return None, [], [], problems
    meta = dict(file=file, sheet="Thông tin", column="B")
    if filled.assessment != la.assessment.id:
        problems.append(Problem(**meta, row=3, code="appraisal.other_assessment", value=filled.assessment,
                                message=f"bảng này thuộc đợt đánh giá khác, không phải đợt '{la.assessment.title}'"))
    if unit is not None and filled.unit != unit:
        problems.append(Problem(**meta, row=2, code="appraisal.other_unit", value=filled.unit,
                                message=f"bảng này của đơn vị '{filled.unit}', không phải của đơn vị '{unit}'"))
    elif filled.unit not in la.assessment.units:
        problems.append(Problem(**meta, row=2, code="appraisal.other_unit", value=filled.unit,
                                message="đơn vị của bảng không có trong danh sách của đợt đánh giá"))
    if filled.criteria_hash != la.criteria.digest:
        problems.append(Problem(**meta, row=4, code="appraisal.criteria_changed",
                                message="bảng được tạo từ bộ chỉ số khác hoặc bộ chỉ số đã thay đổi sau khi tạo bảng "
                                        "(mã kiểm tra không khớp); tạo lại bảng bằng 'parindex appraise'"))
    if any(p.code in ("appraisal.other_assessment", "appraisal.other_unit") for p in problems):
        return filled.unit, [], [], problems
    entries, places = _filled_entries(la, filled, now)
    return filled.unit, entries, places, problems


def _filled_entries(la: LoadedAssessment, filled: FilledWorkbook, now: datetime) -> tuple[list[Entry], list[Place]]:
    entries: list[Entry] = []
    places: list[Place] = []
    if filled.by is None or filled.role is None:
        return entries, places
    common = dict(assessment=la.assessment.id, unit=filled.unit, round=filled.round, by=filled.by, role=filled.role,
                  at=now, source=f"sha256:{filled.digest}")
    explanation = filled.round == "explanation"
    column = filled.letters["explanation" if explanation else "points"]
    for row in filled.rows:
        if explanation:
            entries.append(Entry(kind="note", criterion=row.criterion, reason=row.text, evidence_refs=row.refs, **common))
        else:
            entries.append(Entry(kind="score", criterion=row.criterion, points=row.points, reason=row.text,
                                 explanation_requested=row.requested, question=row.question, evidence_refs=row.refs,
                                 **common))
        places.append(Place(file=filled.file, sheet=filled.sheet, row=row.row, column=column))
    if filled.complete:
        entries.append(Entry(kind="submit", **common))
        places.append(Place(file=filled.file, sheet="Hướng dẫn", row=filled.guide_rows["complete"], column="B"))
    return entries, places


def workbook_columns(data: bytes, file: str) -> dict[str, str] | None:
    """The column letters of a filled round workbook, for check_workbook_entries to place each refusal at its cell."""
    filled, _ = read_round_workbook(data, file)
    return filled.letters if filled is not None else None


_COLUMN_OF_CODE = {"assessment.reason_required": "remark", "assessment.question_required": "question",
                   "assessment.request_not_allowed": "requested", "assessment.note_without_text": "explanation"}


def check_workbook_entries(la: LoadedAssessment, unit: str, computed: dict[str, UnitResult], existing: list[Entry],
                           entries: list[Entry], places: list[Place], now: datetime,
                           letters: dict[str, str] | None = None) -> list[Problem]:
    """The rules of the assessment applied to a workbook's entries, each refusal at its cell; also refuses a
    workbook already recorded."""
    sources = {e.source for e in existing if e.source}
    if entries and entries[0].source in sources:
        first = next(e for e in existing if e.source == entries[0].source)
        return [Problem(code="appraisal.already_recorded", file=places[0].file,
                        message=f"bảng này đã được ghi vào hồ sơ lúc {when(first.at)}; không ghi lại lần nữa")]
    problems = validate_entries(la, unit, computed, existing, entries, now, places)
    if letters:
        problems = [p.model_copy(update={"column": letters[_COLUMN_OF_CODE[p.code]]})
                    if p.sheet not in (None, "Hướng dẫn") and _COLUMN_OF_CODE.get(p.code) in letters else p
                    for p in problems]
    return problems


def record_workbooks(path: Path, files: list[Path], now: datetime, unit: str | None = None) -> list[tuple[str, int]]:
    """Read filled round workbooks and append their entries to the units' records.

    Every problem of every workbook (cells, identity, the assessment's rules) is reported in one pass, and
    nothing is written unless all workbooks are accepted. Returns (unit, entries added) per workbook.
    """
    la, evidence, records, _ = _assessment_inputs(path)
    problems: list[Problem] = []
    batches: list[tuple[str, list[Entry], list[Place], dict[str, str]]] = []
    for file in files:
        name = display_path(file)
        data, unreadable = read_limited(file, MAX_XLSX_BYTES)
        if data is None:
            problems += [unreadable.model_copy(update={"file": name})] if unreadable else []
            continue
        filled_unit, entries, places, file_problems = workbook_entries(la, data, name, now, unit)
        problems += file_problems
        if filled_unit is None or file_problems and not entries:
            continue
        letters = read_round_workbook(data, name)[0].letters
        batches.append((filled_unit, entries, places, letters))
    pending: dict[str, list[Entry]] = {}
    for filled_unit, entries, places, letters in batches:
        if filled_unit not in evidence:
            problems.append(Problem(file=places[0].file if places else "(bảng)", code="assessment.no_self_evidence",
                                    value=filled_unit, message="đơn vị chưa có minh chứng tự chấm nên chưa ghi được điểm"))
            continue
        existing = records.get(filled_unit, []) + pending.get(filled_unit, [])
        computed = computed_rounds(la, evidence[filled_unit], assessment_peers(la, evidence))
        problems += check_workbook_entries(la, filled_unit, computed, existing, entries, places, now, letters)
        pending.setdefault(filled_unit, []).extend(entries)
    if problems:
        raise InputError(problems)
    for filled_unit, entries in pending.items():
        append_entries(la, filled_unit, entries, now,
                       computed=computed_rounds(la, evidence[filled_unit], assessment_peers(la, evidence)))
    return [(u, len(e)) for u, e, _, _ in batches]


def filled_targets(folder: Path, books: list[tuple[str, bytes]]) -> list[Problem]:
    """Workbooks about to be written over files that differ from them: perhaps already filled, so never overwritten."""
    problems = []
    for name, data in books:
        target = folder / name
        try:
            existing = target.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(Problem(file=display_path(target), code=os_error_code(exc),
                                    message=f"không đọc được tệp đã có: {os_error_vi(exc)}"))
            continue
        if existing != data:
            problems.append(Problem(file=display_path(target), code="output.overwrites_input",
                                    message="đã có tệp này và nội dung khác bảng sắp tạo (có thể đã được điền); "
                                            "không ghi đè: chọn thư mục khác hoặc chuyển tệp cũ đi"))
    return problems




def export_inspection(file: Path, mapping: str, year: int | None = None) -> tuple[ExportInspection, list[Problem]]:
    """How a dossier export or aggregated report is read with a mapping (name or YAML file): metrics per unit, problems.

    InputError when the file cannot be read with the mapping at all.
    """
    inspection, problems = inspect_export(file, mapping, year)
    if inspection is None:
        raise InputError(problems)
    return inspection, problems


def export_inspection_json(inspection: ExportInspection, problems: list[Problem]) -> str:
    return inspection_json(inspection, problems)


def export_inspection_view(inspection: ExportInspection, problems: list[Problem]) -> tuple[Table, list[str], str]:
    """The terminal table, the problem lines (to print literally) and a one-line summary."""
    return inspection_table(inspection), inspection_problem_lines(problems), inspection_summary(inspection, problems)


def inspection_exit_code(inspection: ExportInspection, problems: list[Problem]) -> int:
    """0 when the file reads cleanly, 1 when it has problems or metrics that are data problems."""
    return 1 if problems or any(u.data_problems for u in inspection.units) else 0


# ---------------------------------------------------------------- inspecting plans and deadline phrases


def _year_problems(year: int | None) -> list[Problem]:
    if year is not None and not 1900 <= year <= 2100:
        return [Problem(file="(tham số)", path="--year", value=str(year), code="args.bad_year",
                        message="năm kế hoạch phải từ 1900 đến 2100")]
    return []


def inspect_plan(path: Path, year: int | None = None) -> tuple[PlanImport, list[Problem]]:
    """A plan table as parindex reads it: every task with its deadline, and every problem of the file.

    Raises InputError when the file cannot be read as a plan table at all."""
    problems = _year_problems(year)
    if problems:
        raise InputError(problems)
    imported, problems = import_plan_table(path, plan_year=year)
    if imported is None:
        raise InputError(problems)
    return imported, problems


def inspect_deadline(phrase: str, year: int) -> tuple[Deadline, list[Problem]]:
    """One deadline phrase as parindex reads it in a plan of `year`, with the problem an officer must fix."""
    problems = _year_problems(year)
    if problems:
        raise InputError(problems)
    deadline = parse_deadline(phrase, year)
    return deadline, deadline_problems(deadline, year)


def plan_inspection(imported: PlanImport, problems: list[Problem], as_json_output: bool = False) -> str | Table:
    return plan_json(imported, problems) if as_json_output else plan_table(imported)


def deadline_inspection(deadline: Deadline, year: int, as_json_output: bool = False) -> str | Table:
    return deadline_json(deadline, year) if as_json_output else deadline_table(deadline, year)


def reading_exit_code(problems: list[Problem]) -> int:
    """1 when something of a plan or phrase was not read (an unreadable deadline, a task without text), else 0."""
    return 1 if any(p.severity == "error" for p in problems) else 0
