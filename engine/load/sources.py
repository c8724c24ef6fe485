"""Evidence a bundle points to instead of listing: the plan appendix table and one-stop dossier exports.

A bundle may say where its plan tasks and dossier metrics come from:

    sources:
      plan_table: {file: ke-hoach-cchc-2024.xlsx, status: tien-do.csv}
      dossier_exports:
        - {file: motcua-2024.csv, mapping: motcua_tinh}            # one row per dossier
        - {file: opencps-thong-ke-2024.xlsx, mapping: opencps_thongke}   # an aggregated report
      tolerance: "1%"          # how far two sources of one indicator may differ

The tables are read and turned into plan tasks and metrics for the unit. A table that fails its
contract (missing columns, unreadable deadlines) does not drop silently: the names it should have
provided are recorded as failed, and the criteria that use them become "lỗi dữ liệu". So are the
metrics built from report cells whose counts contradict each other, and an indicator whose
sources disagree beyond the declared tolerance.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from engine.core.problems import InputError, Problem, os_error_code, os_error_vi
from engine.core.vnformat import format_number
from engine.load.dossiers import METRIC_NAMES, DossierMapping, aggregate_dossiers, text_key
from engine.load.plan_tables import apply_status, import_plan_table
from engine.load.report_forms.mapping import ReportMapping, load_any_mapping, mapping_file
from engine.load.report_forms.read import ReportReading, metrics_of, read_report
from engine.model.evidence import AlsoReported, DossierSource, Metric, PlanTableSource, PlanTask, Sources, Tolerance
from engine.model.names import BUILTIN_METRICS

LEVEL_WORDS = {"xa": "xã", "phuong": "xã", "so": "sở", "huyen": "huyện", "tinh": "tỉnh"}


def mapping_path(mapping: str) -> Path:
    """A shipped mapping by name (motcua_tinh) or a mapping YAML by path."""
    return mapping_file(mapping)








def _plan_tasks(source: PlanTableSource, base: Path, level: str):
    """Plan rows as evidence tasks; deadlines that are not a date (recurring, conditional) are not counted."""
    path = base / source.file
    imported, problems = import_plan_table(path, plan_year=source.year, sheet=source.sheet)
    if imported is None:
        return [], problems
    rows = imported.rows
    if source.status:
        rows, status_problems = apply_status(rows, base / source.status)
        problems += status_problems
    tasks = []
    for row in rows:
        deadline = _due_for_level(row.deadline, level)
        tasks.append(PlanTask(
            id=row.number, title=row.task or f"Nhiệm vụ {row.number}", deadline=deadline,
            deadline_text=row.deadline.text or None, recurring=deadline is None,
            status=row.status or "chưa thực hiện", done_date=row.done_date))
    return tasks, problems


def _due_for_level(deadline, level: str):
    """The last day that is on time for this unit's level, or None when the phrase has no date."""
    if deadline.kind == "per_level":
        word = LEVEL_WORDS.get(level, level)
        parts = [p for p in deadline.parts if word in p.levels or level in p.levels]
        if not parts:
            return None
        deadline = parts[0]
    return deadline.last_on_time_day()


@lru_cache(maxsize=16)
def _load_mapping(path: str, stamp: float) -> DossierMapping | ReportMapping:
    return load_any_mapping(Path(path))


@lru_cache(maxsize=16)
def _aggregate(path: str, mapping: str, start, end, stamp: float, mapping_stamp: float):
    """Aggregate an export once per run even when many bundles point to it (keyed by file times too).

    Beside the aggregation and its problems: the unit names as written, by their compared form,
    so that each of a province's bundles finds its rows without comparing every name again.
    """
    aggregation, problems = aggregate_dossiers(Path(path), _load_mapping(mapping, mapping_stamp), start, end)
    written: dict[str, list[str]] = {}
    for key in (aggregation.metrics if aggregation is not None else {}):
        written.setdefault(text_key(key), []).append(key)
    return aggregation, problems, written


@lru_cache(maxsize=16)
def _report(path: str, mapping: str, stamp: float, mapping_stamp: float) -> tuple[ReportReading | None, list[Problem]]:
    """Read an aggregated report once per run even when every unit's bundle points to it."""
    return read_report(Path(path), _load_mapping(mapping, mapping_stamp))


class _Found:
    """What one export gave the unit: metrics, metrics it should have given but could not, problems."""

    def __init__(self, file: str, metrics=None, failed=None, problems=None):
        self.file = file
        self.metrics: list[Metric] = metrics or []
        self.failed: dict[str, str] = failed or {}
        self.problems: list[Problem] = problems or []


def _stamp(path: Path) -> float:
    return path.stat().st_mtime


def _export(source: DossierSource, base: Path, bundle) -> _Found:
    """The unit's metrics from one export or report; a file that cannot be read fails the names it would give."""
    path = base / source.file
    mapping_yaml = mapping_file(source.mapping, base)
    try:
        stamp, mapping_stamp = _stamp(path), _stamp(mapping_yaml)
    except OSError as exc:
        failing = path if not path.exists() else mapping_yaml
        what = "tệp hồ sơ TTHC" if failing == path else "tệp ánh xạ"
        problem = Problem(code=os_error_code(exc), file=str(failing), message=f"không đọc được {what}: {os_error_vi(exc)}")
        return _Found(str(path), failed=_fail(BUILTIN_METRICS, source.file, problem), problems=[problem])
    try:
        mapping = _load_mapping(str(mapping_yaml), mapping_stamp)
    except InputError as exc:
        return _Found(str(path), failed=_fail(BUILTIN_METRICS, source.file, exc.problems[0]), problems=exc.problems)
    if isinstance(mapping, ReportMapping):
        return _report_metrics(path, str(mapping_yaml), mapping, stamp, mapping_stamp, bundle)
    return _dossier_metrics(path, str(mapping_yaml), stamp, mapping_stamp, bundle)


def _fail(names, file: str, problem: Problem) -> dict[str, str]:
    message = f"tệp hồ sơ TTHC {file} không đạt yêu cầu ({problem.render()}); không chấm tiêu chí dựa trên tệp này"
    return {name: message for name in names}


def _unit_names(bundle) -> set[str]:
    unit = bundle.unit
    return {text_key(name) for name in [unit.id, unit.name, *unit.aliases]}


def _dossier_metrics(path: Path, mapping: str, stamp: float, mapping_stamp: float, bundle) -> _Found:
    """The unit's metrics from a shared row-level export; its rows are found by the unit's id, name or aliases (exact)."""
    unit = bundle.unit
    end = min(bundle.period.end, bundle.as_of)
    aggregation, problems, written = _aggregate(str(path), mapping, bundle.period.start, end, stamp, mapping_stamp)
    problems = list(problems)
    if aggregation is None:
        return _Found(str(path), failed=_fail(METRIC_NAMES, path.name, problems[0]), problems=problems)
    names = _unit_names(bundle)
    matches = sorted(key for name in names for key in written.get(name, ()))
    if not matches:
        return _Found(str(path), problems=problems + [Problem(
            code="sources.no_dossiers", file=str(path), severity="warning", value=unit.name,
            message=f"không có hồ sơ nào của đơn vị {unit.id} trong kỳ; thiếu số liệu hồ sơ TTHC")])
    values = {name: sum(aggregation.metrics[key].get(name, 0) for key in matches) for name in METRIC_NAMES}
    period = f"{bundle.period.start:%d/%m/%Y}–{end:%d/%m/%Y}"
    source_text = f"{path.name} ({aggregation.system}), đơn vị ghi là: " + "; ".join(matches)
    metrics = [Metric(name=name, value=values[name], period=period, source=source_text) for name in sorted(METRIC_NAMES)]
    return _Found(str(path), metrics, problems=problems)


def _report_metrics(path: Path, mapping_path: str, mapping: ReportMapping, stamp: float, mapping_stamp: float,
                    bundle) -> _Found:
    """The unit's metrics from an aggregated report: its row (per-unit tables) or the whole table (per field)."""
    provided = metrics_of(mapping)
    reading, found_problems = _report(str(path), mapping_path, stamp, mapping_stamp)
    if reading is None:
        return _Found(str(path), failed=_fail(provided, path.name, found_problems[0]), problems=list(found_problems))
    if reading.rows == "fields":
        units, problems = reading.units, list(found_problems)
    else:
        names = _unit_names(bundle)
        units = [u for u in reading.units if text_key(u.label) in names]
        rows = {u.row for u in units} | {reading.total_row, None}
        problems = [p for p in found_problems if p.row in rows]
    unit = bundle.unit
    if not units:
        return _Found(str(path), problems=problems + [Problem(
            code="sources.no_report_row", file=str(path), sheet=reading.sheet, severity="warning", value=unit.name,
            message=f"biểu không có dòng nào của đơn vị {unit.id} (tìm theo mã, tên và tên khác của đơn vị); "
                    "thiếu số liệu hồ sơ TTHC từ biểu này")])
    if len(units) > 1:
        rows_text = ", ".join(f"dòng {u.row} '{u.label}'" for u in units)
        problem = Problem(code="sources.many_report_rows", file=str(path), sheet=reading.sheet, row=units[1].row,
                          severity="warning", value=units[1].label,
                          message=f"nhiều dòng của biểu cùng là đơn vị {unit.id} ({rows_text}); không biết dòng nào đúng")
        return _Found(str(path), failed={name: f"biểu {path.name}: {problem.message}" for name in provided},
                      problems=problems + [problem])
    found = units[0]
    period = None
    if reading.period_start and reading.period_end:
        period = f"{reading.period_start:%d/%m/%Y}–{reading.period_end:%d/%m/%Y}"
    where = f"dòng {found.row} '{found.label}'" if reading.rows == "units" else (
        f"dòng tổng {found.row}" if found.row else "tổng các dòng")
    metrics = []
    for name, value in sorted(found.metrics.items()):
        cells = found.cells.get(name, [])
        cited = f", ô {' + '.join(cells)}" if cells else ""
        metrics.append(Metric(name=name, value=value, period=period,
                              source=f"{path.name} ({reading.system}), {where}{cited}"))
    failed = {name: f"biểu {path.name} ({reading.system}): {why}; không chấm tiêu chí dựa trên số liệu này"
              for name, why in found.failed.items()}
    return _Found(str(path), metrics, failed, problems)


def _reconcile(hand: list[Metric], found: list[_Found], tolerance: Tolerance | None
               ) -> tuple[list[Metric], dict[str, str], list[Problem]]:
    """One indicator from several sources: all kept and cited; a gap beyond the tolerance is a data problem.

    The first export listed gives the value that is scored; the others (and one value written by hand,
    if any) are kept beside it. Two values written by hand stay a duplicate declaration.
    """
    failed: dict[str, str] = {}
    for item in found:
        for name, message in item.failed.items():
            failed.setdefault(name, message)
    by_name: dict[str, list[tuple[Metric, str]]] = {}
    for item in found:
        for metric in item.metrics:
            by_name.setdefault(metric.name, []).append((metric, item.file))
    written = {name: [m for m in hand if m.name == name] for name in by_name}
    merged_away = {id(ms[0]) for ms in written.values() if len(ms) == 1}
    result = [m for m in hand if id(m) not in merged_away]
    problems: list[Problem] = []
    for name in sorted(by_name):
        candidates = by_name[name] + ([(written[name][0], "")] if len(written[name]) == 1 else [])
        primary, _ = candidates[0]
        others = [m for m, _ in candidates[1:]]
        result.append(primary.model_copy(update={"also": [
            AlsoReported(value=m.value, source=m.source or "bộ minh chứng (không ghi nguồn)", period=m.period)
            for m in others]}))
        allowed = tolerance or Tolerance(count=0)
        if name in failed or all(allowed.allows(primary.value, m.value) for m in others):
            continue
        label = BUILTIN_METRICS.get(name, (name,))[0]
        values = "; ".join(f"{m.source or 'bộ minh chứng'}: {format_number(m.value)}" for m, _ in candidates)
        gap = max(abs(primary.value - m.value) for m in others)
        limit = (f"vượt mức cho phép {allowed.words()}" if tolerance is not None
                 else "bộ minh chứng không khai báo mức chênh lệch cho phép (sources.tolerance) nên các nguồn phải khớp")
        message = f"{label}: các nguồn cho số khác nhau ({values}); chênh lệch {format_number(gap)}, {limit}"
        failed[name] = message + "; không chấm tiêu chí dựa trên chỉ số này cho đến khi đối chiếu xong"
        problems.append(Problem(code="sources.disagree", file=candidates[0][1], severity="warning", message=message))
    return result, failed, problems


def expand_sources(bundle, base: Path):
    """The bundle with its referenced tables read in, the names whose source failed, and the problems."""
    sources: Sources | None = bundle.sources
    failed: dict[str, str] = {}
    problems: list[Problem] = []
    update = {}
    if sources is None:
        return bundle, failed, problems
    if sources.plan_table is not None:
        tasks, plan_problems = _plan_tasks(sources.plan_table, base, bundle.unit.level)
        problems += plan_problems
        errors = [p for p in plan_problems if p.severity == "error"]
        if errors:
            failed["plan_tasks"] = (f"bảng kế hoạch {sources.plan_table.file} có {len(errors)} lỗi "
                                    f"(đầu tiên: {errors[0].render()}); không chấm tiêu chí dựa trên kế hoạch")
        update["plan_tasks"] = list(bundle.plan_tasks) + tasks
    found = [_export(source, base, bundle) for source in sources.dossier_exports]
    for item in found:
        problems += item.problems
    metrics, export_failed, reconcile_problems = _reconcile(list(bundle.metrics), found, sources.tolerance)
    failed.update(export_failed)
    problems += reconcile_problems
    update["metrics"] = metrics
    return bundle.model_copy(update=update), failed, problems
