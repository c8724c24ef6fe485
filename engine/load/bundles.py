"""Evidence bundles: what one unit has for one period (documents, metrics, plan tasks, scores, N/A).

A bundle is YAML, with optional CSV tables for long lists. Validation errors name file, field and
value; impossible data (negative counts, documents dated after the as-of date) is not an input
error but a data problem that the criteria using it will report.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import (
    ValidationError,
)

from engine.core.csvsafe import csv_rows
from engine.core.files import file_sha256
from engine.core.limits import MAX_TABLE_BYTES, read_limited, row_count_problem
from engine.core.paths import inside_folder
from engine.core.problems import Problem
from engine.core.vnformat import format_date, nfc
from engine.core.yamlsource import YamlDoc, load_yaml, pydantic_code, pydantic_message, validation_problems
from engine.load.metric_checks import Contradiction, contradictions, failed_names
from engine.load.sources import expand_sources
from engine.model.evidence import Bundle, Document, LoadedBundle, Places, Metric, PlanTask, Sources, SurveyAnswer

_CSV_FIELDS = {
    "documents": ("kind", Document),
    "metrics": ("name", Metric),
    "plan_tasks": ("id", PlanTask),
    "survey_answers": ("criterion", SurveyAnswer),
}


def _read_csv_table(base: Path, relative: str, what: str, doc: YamlDoc) -> tuple[list[tuple[int, dict]], list[Problem], str]:
    """Rows of a bundle's CSV table as (line, {column: text}), checked for size before parsing."""
    path = (base / relative)
    file = str(path)
    raw, problem = read_limited(path, MAX_TABLE_BYTES, "bảng CSV")
    if raw is None:
        assert problem is not None
        if problem.code not in ("file.too_large", "file.not_regular"):
            problem = doc.problem(("tables", what), f"không đọc được bảng CSV {file}: "
                                  + problem.message.split(": ", 1)[-1], relative, code=problem.code)
        return [], [problem], ""
    too_many = row_count_problem(file, raw)
    if too_many is not None:
        return [], [too_many], ""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(file=file, code="file.not_utf8", message="bảng CSV phải mã hóa UTF-8")], ""
    rows: list[tuple[int, dict]] = []
    problems: list[Problem] = []
    records, broken = csv_rows(file, text)
    if broken is not None:
        problems.append(broken)
    if not records:
        return rows, problems, hashlib.sha256(raw).hexdigest()
    header = [nfc(h).strip() for h in records[0][1]]
    for line, cells in records[1:]:
        extra = [nfc(v).strip() for v in cells[len(header):] if nfc(v).strip()]
        if extra:
            problems.append(Problem(
                file=file, row=line, value=", ".join(extra), code="bundle.csv_extra_cells",
                message=f"dòng có {len(cells)} ô, nhiều hơn {len(header)} "
                        f"cột của dòng tiêu đề; các ô thừa không thuộc cột nào (kiểm tra dấu phẩy trong ô: "
                        f"đặt ô đó trong ngoặc kép)"))
        rows.append((line, {k: nfc(v).strip() for k, v in zip(header, cells) if k}))
    return rows, problems, hashlib.sha256(raw).hexdigest()


_SOURCE_FIELDS = (("tables", "documents"), ("tables", "metrics"), ("tables", "plan_tasks"),
                  ("sources", "plan_table", "file"), ("sources", "plan_table", "status"))


def _source_paths(data: dict) -> list[tuple[tuple, str]]:
    """(YAML path, file name) of every file the bundle points to, as written."""
    found: list[tuple[tuple, str]] = []
    for loc in _SOURCE_FIELDS:
        node = data
        for key in loc:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node.strip():
            found.append((loc, node))
    sources = data.get("sources")
    exports = sources.get("dossier_exports") if isinstance(sources, dict) else None
    for index, item in enumerate(exports if isinstance(exports, list) else []):
        if isinstance(item, dict):
            if isinstance(item.get("file"), str):
                found.append((("sources", "dossier_exports", index, "file"), item["file"]))
            mapping = item.get("mapping")
            if isinstance(mapping, str) and mapping.endswith((".yaml", ".yml")):
                found.append((("sources", "dossier_exports", index, "mapping"), mapping))
    return found


def _outside_problems(path: Path, doc: YamlDoc, data: dict) -> list[Problem]:
    """Files a bundle names must stay in its folder: a bundle from elsewhere must not make parindex read any file."""
    return [doc.problem(loc, "tệp được chỉ tới phải nằm trong thư mục của bộ minh chứng (hoặc thư mục con); "
                             "không dùng đường dẫn tuyệt đối, '..' hay liên kết ra ngoài", relative,
                        code="bundle.source_outside_folder")
            for loc, relative in _source_paths(data) if not inside_folder(path.parent, relative)]


def load_bundle(path: Path, parsed: tuple[YamlDoc | None, list[Problem]] | None = None
                ) -> tuple[LoadedBundle | None, list[Problem]]:
    """Read and validate one YAML bundle (with its CSV tables); every problem in one pass.

    `parsed` is load_yaml's answer for the file when it was read already (in a worker).
    """
    doc, problems = parsed if parsed is not None else load_yaml(path, vi_numbers=True)
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, problems + [doc.problem((), "bộ minh chứng phải là một bảng khóa–giá trị (unit, period, as_of...)",
                                             code="bundle.not_mapping")]
    data = dict(doc.data)
    outside = _outside_problems(path, doc, data)
    if outside:
        return None, problems + outside
    inputs = [str(path)] + [str(path.parent / relative) for _, relative in _source_paths(data)]
    digest = hashlib.sha256(doc.digest.encode())
    table_problems: list[Problem] = []
    origins: dict[tuple[str, int], tuple[str, int]] = {}
    tables = data.get("tables") if isinstance(data.get("tables"), dict) else {}
    for what, (_, model) in _CSV_FIELDS.items():
        relative = tables.get(what)
        if not relative or not isinstance(relative, str):
            continue  # a value that is not a path is reported by validation
        rows, read_problems, table_digest = _read_csv_table(path.parent, str(relative), what, doc)
        table_problems += read_problems
        digest.update(table_digest.encode())
        csv_file = str(path.parent / str(relative))
        for row_index, row in rows:
            clean = {k: v for k, v in row.items() if v not in (None, "")}
            try:
                model.model_validate(clean)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    column = str(err["loc"][0]) if err["loc"] else None
                    table_problems.append(Problem(
                        code=pydantic_code(err), file=csv_file, row=row_index, column=column,
                        value=None if column is None else clean.get(column),
                        message=_csv_message(err)))
                continue
            data.setdefault(what, [])
            origins[(what, len(data[what]) if isinstance(data[what], list) else 0)] = (csv_file, row_index)
            data[what] = list(data[what]) + [clean]
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        return None, problems + table_problems + validation_problems(doc, exc)
    if table_problems or [p for p in problems if p.severity == "error"]:
        return None, problems + table_problems
    written = bundle
    bundle, failed, source_problems = expand_sources(bundle, path.parent)
    found = contradictions(bundle.metrics, set(failed))
    failed = {**failed_names(found), **failed}
    for source_problem in source_problems:
        digest.update(source_problem.render().encode())
    if bundle.sources is not None:
        for relative in _source_files(bundle.sources):
            try:
                digest.update(file_sha256(path.parent / relative).encode())
            except OSError:
                pass
    warnings = _consistency_warnings(bundle.model_copy(update={"metrics": written.metrics}), doc, origins)
    warnings += [p.model_copy(update={"severity": "warning"}) for p in source_problems]
    warnings += [_contradiction_problem(item, written, doc, origins) for item in found]
    return (LoadedBundle(bundle, doc.file, digest.hexdigest(), warnings, failed, inputs, _places(doc, origins, data)),
            problems + warnings)


def _places(doc: YamlDoc, origins: dict[tuple[str, int], tuple[str, int]], data: dict) -> Places:
    """Where each metric value and the period year were written, with the value as typed, for checks against the set."""
    places: dict[tuple[str, int], dict] = {}
    metrics = data.get("metrics") if isinstance(data.get("metrics"), list) else []
    for index, item in enumerate(metrics):
        written = item.get("value") if isinstance(item, dict) else None
        origin = origins.get(("metrics", index))
        if origin is not None:
            places[("metrics", index)] = {"file": origin[0], "row": origin[1], "column": "value", "written": written}
        else:
            places[("metrics", index)] = {"file": doc.file, "path": "metrics[%d].value" % index,
                                          "loc": ("metrics", index, "value"), "written": written}
    places[("period", 0)] = {"file": doc.file, "path": "period.year", "loc": ("period", "year"),
                             "written": doc.value_at(("period", "year"))}
    return Places(places, doc.line_finder())


def _contradiction_problem(item: Contradiction, written: Bundle, doc: YamlDoc,
                           origins: dict[tuple[str, int], tuple[str, int]]) -> Problem:
    """Placed at the first metric of the contradiction that the bundle itself lists (YAML line or CSV row)."""
    for name in item.names:
        index = next((i for i, m in enumerate(written.metrics) if m.name == name), None)
        if index is None:
            continue
        origin = origins.get(("metrics", index))
        if origin is not None:
            return Problem(code="evidence.metric_contradiction", file=origin[0], row=origin[1], column="value",
                           message=item.message, severity="warning")
        return doc.problem(("metrics", index, "value"), item.message, severity="warning", code="evidence.metric_contradiction")
    return Problem(code="evidence.metric_contradiction", file=doc.file, path="sources", line=doc.line(("sources",)),
                   message=item.message, severity="warning")


def _source_files(sources: Sources) -> list[str]:
    files = [s.file for s in sources.dossier_exports]
    if sources.plan_table is not None:
        files += [sources.plan_table.file] + ([sources.plan_table.status] if sources.plan_table.status else [])
    return files


def _csv_message(err: dict) -> str:
    if err["type"] == "missing":
        return "thiếu giá trị bắt buộc"
    if err["type"] == "value_error":
        return str((err.get("ctx") or {}).get("error", err["msg"]))
    if err["type"] == "extra_forbidden":
        return "cột không được phép"
    return pydantic_message(err)


def _consistency_warnings(bundle: Bundle, doc: YamlDoc,
                          origins: dict[tuple[str, int], tuple[str, int]] | None = None) -> list[Problem]:
    """Facts that are not input errors but that scoring will treat as data problems.

    `origins` maps (list, index) of items read from a CSV table to (file, row), so the warning
    names the CSV row rather than the YAML list.
    """
    warnings: list[Problem] = []

    def warn(what: str, index: int, field: str, message: str, value=None, *, code: str) -> None:
        origin = (origins or {}).get((what, index))
        if origin is None:
            warnings.append(doc.problem((what, index, field), message, value, severity="warning", code=code))
        else:
            warnings.append(Problem(code=code, file=origin[0], row=origin[1], column=field, message=message,
                                    value=None if value is None else str(value), severity="warning"))

    for index, document in enumerate(bundle.documents):
        if document.issue_date and document.issue_date > bundle.as_of:
            warn("documents", index, "issue_date", f"ngày ban hành sau ngày chốt số liệu {format_date(bundle.as_of)}",
                 format_date(document.issue_date), code="evidence.document_after_as_of")
    names: dict[str, int] = {}
    for index, metric in enumerate(bundle.metrics):
        if metric.value < 0:
            warn("metrics", index, "value", f"chỉ số '{metric.name}' âm", metric.value, code="evidence.negative_metric")
        if metric.name in names:
            warn("metrics", index, "name", f"chỉ số '{metric.name}' khai báo hai lần (lần đầu ở metrics[{names[metric.name]}])",
                 metric.name, code="evidence.duplicate_metric")
        names.setdefault(metric.name, index)
    for index, task in enumerate(bundle.plan_tasks):
        if task.status == "hoàn thành" and task.done_date is None:
            warn("plan_tasks", index, "done_date", f"nhiệm vụ '{task.id}' hoàn thành nhưng thiếu ngày hoàn thành",
                 code="evidence.task_without_date")
        if task.done_date and task.done_date > bundle.as_of:
            warn("plan_tasks", index, "done_date", f"ngày hoàn thành sau ngày chốt số liệu {format_date(bundle.as_of)}",
                 format_date(task.done_date), code="evidence.task_after_as_of")
    return warnings












