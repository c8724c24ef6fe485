"""Evidence a bundle points to instead of listing: the plan appendix table and one-stop dossier exports.

A bundle may say where its plan tasks and dossier metrics come from:

    sources:
      plan_table: {file: ke-hoach-cchc-2024.xlsx, status: tien-do.csv}
      dossier_exports:
        - {file: motcua-2024.csv, mapping: motcua_tinh}

The tables are read and turned into plan tasks and metrics for the unit. A table that fails its
contract (missing columns, unreadable deadlines) does not drop silently: the names it should have
provided are recorded as failed, and the criteria that use them become "lỗi dữ liệu".
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from engine.core.problems import InputError, Problem, os_error_code, os_error_vi
from engine.load.dossiers import aggregate_dossiers, load_mapping, text_key
from engine.load.plan_tables import apply_status, import_plan_table
from engine.model.evidence import DossierSource, Metric, PlanTableSource, PlanTask, Sources
from engine.model.names import BUILTIN_METRICS

LEVEL_WORDS = {"xa": "xã", "phuong": "xã", "so": "sở", "huyen": "huyện", "tinh": "tỉnh"}
MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"


def mapping_path(mapping: str) -> Path:
    """A shipped mapping by name (motcua_tinh) or a mapping YAML by path."""
    return Path(mapping) if mapping.endswith((".yaml", ".yml")) else MAPPINGS_DIR / f"{mapping}.yaml"








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
    if deadline.kind not in ("date", "period_end", "milestones") or deadline.due is None:
        return None
    return deadline.due if deadline.inclusive else deadline.due - timedelta(days=1)


@lru_cache(maxsize=16)
def _aggregate(path: str, mapping: str, start, end, stamp: float):
    """Aggregate an export once per run even when many bundles point to it (keyed by file time too)."""
    return aggregate_dossiers(Path(path), load_mapping(mapping_path(mapping)), start, end)


def _dossier_metrics(source: DossierSource, base: Path, bundle):
    """The unit's metrics from a shared export; its rows are found by the unit's id, name or aliases (exact)."""
    path = base / source.file
    mapping = source.mapping if not source.mapping.endswith((".yaml", ".yml")) else str(base / source.mapping)
    unit = bundle.unit
    end = min(bundle.period.end, bundle.as_of)
    try:
        stamp = path.stat().st_mtime
    except OSError as exc:
        return [], [Problem(code=os_error_code(exc), file=str(path),
                             message=f"không đọc được tệp hồ sơ TTHC: {os_error_vi(exc)}")]
    try:
        aggregation, problems = _aggregate(str(path), mapping, bundle.period.start, end, stamp)
    except InputError as exc:
        return [], exc.problems
    if aggregation is None:
        return [], list(problems)
    names = {text_key(name) for name in [unit.id, unit.name, *unit.aliases]}
    matches = sorted(key for key in aggregation.metrics if text_key(key) in names)
    problems = list(problems)
    if not matches:
        return [], problems + [Problem(code="sources.no_dossiers", file=str(path), severity="warning", value=unit.name,
                                       message=f"không có hồ sơ nào của đơn vị {unit.id} trong kỳ; thiếu số liệu hồ sơ TTHC")]
    values = {name: sum(aggregation.metrics[key].get(name, 0) for key in matches) for name in BUILTIN_METRICS}
    period = f"{bundle.period.start:%d/%m/%Y}–{end:%d/%m/%Y}"
    source_text = f"{path.name} ({aggregation.system}), đơn vị ghi là: " + "; ".join(matches)
    metrics = [Metric(name=name, value=values[name], period=period, source=source_text) for name in sorted(BUILTIN_METRICS)]
    return metrics, problems


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
    metrics = list(bundle.metrics)
    for source in sources.dossier_exports:
        found, export_problems = _dossier_metrics(source, base, bundle)
        problems += export_problems
        errors = [p for p in export_problems if p.severity == "error"]
        if errors:
            for name in BUILTIN_METRICS:
                failed[name] = (f"tệp hồ sơ TTHC {source.file} không đạt yêu cầu ({errors[0].render()}); "
                                "không chấm tiêu chí dựa trên tệp này")
        else:
            metrics += found
    update["metrics"] = metrics
    return bundle.model_copy(update=update), failed, problems
