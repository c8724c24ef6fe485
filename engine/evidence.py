"""Evidence bundles: what one unit has for one period (documents, metrics, plan tasks, scores, N/A).

A bundle is YAML, with optional CSV tables for long lists. Validation errors name file, field and
value; impossible data (negative counts, documents dated after the as-of date) is not an input
error but a data problem that the criteria using it will report.
"""

from __future__ import annotations

import csv
import hashlib
import math
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator,
)

from .evidence_sources import Sources, expand_sources
from .problems import InputError, Problem, os_error_vi
from .vnformat import FormatError, format_date, nfc, parse_date, parse_number
from .yamlsource import YamlDoc, load_yaml, pydantic_message, validation_problems


FIRST_YEAR, LAST_YEAR = 1900, 2100


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        when = parse_date(value)
    except FormatError as exc:
        raise ValueError(str(exc)) from None
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise ValueError(f"năm của ngày {format_date(when)} phải từ {FIRST_YEAR} đến {LAST_YEAR}")
    return when


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str) and value.strip().lower() in ("có", "co", "yes", "true", "x"):
        return 1.0
    if isinstance(value, str) and value.strip().lower() in ("không", "khong", "no", "false"):
        return 0.0
    try:
        number = parse_number(value)
    except FormatError as exc:
        raise ValueError(str(exc)) from None
    if not math.isfinite(number):
        raise ValueError(f"không phải số hữu hạn: {value} (.nan, .inf không phải số liệu)")
    return number


VnDate = Annotated[date, BeforeValidator(_date)]
OptDate = Annotated[date | None, BeforeValidator(_date)]
Number = Annotated[float, BeforeValidator(_number)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Unit(Frozen):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    level: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


class Period(Frozen):
    """The assessment period; it ends in `year` and starts in it or (15/12-style periods) the year before."""

    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    start: VnDate
    end: VnDate

    @field_validator("start")
    @classmethod
    def _start_in_year(cls, value: date, info: ValidationInfo) -> date:
        year = info.data.get("year")
        if year is not None and value.year not in (year - 1, year):
            raise ValueError(f"ngày bắt đầu kỳ {format_date(value)} không thuộc năm đánh giá period.year = {year}")
        return value

    @field_validator("end")
    @classmethod
    def _end_in_year(cls, value: date, info: ValidationInfo) -> date:
        year, start = info.data.get("year"), info.data.get("start")
        if start is not None and value < start:
            return value  # reported as a whole by _ordered, which names both dates
        if year is not None and value.year != year:
            raise ValueError(f"ngày kết thúc kỳ {format_date(value)} không thuộc năm đánh giá period.year = {year}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end < self.start:
            raise ValueError(f"kỳ đánh giá kết thúc ({format_date(self.end)}) trước khi bắt đầu ({format_date(self.start)})")
        return self


class Document(Frozen):
    """An issued document, cited as "Quyết định số 9137/QĐ-UBND ngày 26/12/2023"."""

    kind: str = Field(min_length=1)
    number: str | None = None
    issue_date: OptDate = None
    issuer: str | None = None
    title: str | None = None
    link: str | None = None
    sample: bool = Field(False, description="A sample value, not taken from a real document")

    def cite(self, label: str | None = None) -> str:
        """The citation; without a title the kind's catalog `label` names the document, not its code."""
        parts = [self.title or label or self.kind]
        if self.number:
            parts.append(f"số {self.number}")
        if self.issue_date:
            parts.append(f"ngày {format_date(self.issue_date)}")
        text = " ".join(parts)
        return text + (" (số liệu mẫu)" if self.sample else "")


class Metric(Frozen):
    """A named number with where it came from; booleans (có/không) are 1/0."""

    name: str = Field(min_length=1)
    value: Number
    period: str | None = None
    source: str | None = None
    as_of: OptDate = None
    sample: bool = False
    note: str | None = None

    def cite_source(self) -> str:
        """Where the number comes from, as an auditor would want it cited."""
        text = self.source or "không ghi nguồn"
        if self.period:
            text += f", kỳ {self.period}"
        return text + (" (số liệu mẫu)" if self.sample else "")



TaskStatus = Literal["hoàn thành", "đang thực hiện", "chưa thực hiện"]


class PlanTask(Frozen):
    id: str
    title: str
    deadline: OptDate = None
    deadline_text: str | None = None
    recurring: bool = False
    status: TaskStatus = "chưa thực hiện"
    done_date: OptDate = None


class ScoreEntry(Frozen):
    """Points a person or the survey gives a criterion, with who and why."""

    criterion: str
    points: Number
    by: str = Field(min_length=1)
    justification: str = Field(min_length=1)
    evidence: list[str] = Field(default_factory=list)


class NotApplicable(Frozen):
    criterion: str
    justification: str = Field(min_length=1)
    by: str = Field(min_length=1)


class Tables(Frozen):
    """CSV files (relative to the bundle) holding long lists."""

    documents: str | None = None
    metrics: str | None = None
    plan_tasks: str | None = None


class Bundle(Frozen):
    unit: Unit
    period: Period
    as_of: VnDate
    documents: list[Document] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    plan_tasks: list[PlanTask] = Field(default_factory=list)
    survey: list[ScoreEntry] = Field(default_factory=list)
    manual: list[ScoreEntry] = Field(default_factory=list)
    not_applicable: list[NotApplicable] = Field(default_factory=list)
    tables: Tables | None = None
    sources: Sources | None = None
    notes: str | None = None

    @field_validator("as_of")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        period = info.data.get("period")
        if period is not None and value < period.start:
            raise ValueError(f"ngày chốt số liệu {format_date(value)} trước ngày bắt đầu kỳ đánh giá "
                             f"{format_date(period.start)} (period.start)")
        return value


class LoadedBundle:
    """A validated bundle with its source file, content hash and the warnings found while reading."""

    def __init__(self, bundle: Bundle, file: str, digest: str, warnings: list[Problem],
                 failed: dict[str, str] | None = None):
        self.bundle = bundle
        self.file = file
        self.digest = digest
        self.warnings = warnings
        self.failed = failed or {}


_CSV_FIELDS = {
    "documents": ("kind", Document),
    "metrics": ("name", Metric),
    "plan_tasks": ("id", PlanTask),
}


def _read_csv_table(base: Path, relative: str, what: str, doc: YamlDoc) -> tuple[list[dict], list[Problem], str]:
    path = (base / relative)
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [doc.problem(("tables", what), f"không đọc được bảng CSV {file}: {os_error_vi(exc)}", relative)], ""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(file=file, message="bảng CSV phải mã hóa UTF-8")], ""
    rows: list[dict] = []
    problems: list[Problem] = []
    reader = csv.DictReader(text.splitlines())
    try:
        for row_index, row in enumerate(reader, start=2):
            extra = [nfc(v).strip() for v in row.get(None) or [] if isinstance(v, str)]
            if extra:
                problems.append(Problem(
                    file=file, row=row_index, value=", ".join(extra),
                    message=f"dòng có {len(reader.fieldnames or []) + len(extra)} ô, nhiều hơn {len(reader.fieldnames or [])} "
                            f"cột của dòng tiêu đề; các ô thừa không thuộc cột nào (kiểm tra dấu phẩy trong ô: "
                            f"đặt ô đó trong ngoặc kép)"))
            rows.append({nfc(k).strip(): (nfc(v).strip() if isinstance(v, str) else v) for k, v in row.items() if k})
    except csv.Error:
        problems.append(Problem(file=file, row=reader.line_num or None,
                                message="bảng CSV sai định dạng từ dòng này (ô quá dài hoặc dấu ngoặc kép không được đóng)"))
    return rows, problems, hashlib.sha256(raw).hexdigest()


def load_bundle(path: Path) -> tuple[LoadedBundle | None, list[Problem]]:
    """Read and validate one YAML bundle (with its CSV tables); every problem in one pass."""
    doc, problems = load_yaml(path, vi_numbers=True)
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, problems + [doc.problem((), "bộ minh chứng phải là một bảng khóa–giá trị (unit, period, as_of...)")]
    data = dict(doc.data)
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
        for row_index, row in enumerate(rows, start=2):
            clean = {k: v for k, v in row.items() if v not in (None, "")}
            try:
                model.model_validate(clean)
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    column = str(err["loc"][0]) if err["loc"] else None
                    table_problems.append(Problem(
                        file=csv_file, row=row_index, column=column,
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
    bundle, failed, source_problems = expand_sources(bundle, path.parent)
    for source_problem in source_problems:
        digest.update(source_problem.render().encode())
    if bundle.sources is not None:
        for relative in _source_files(bundle.sources):
            try:
                digest.update(hashlib.sha256((path.parent / relative).read_bytes()).hexdigest().encode())
            except OSError:
                pass
    warnings = _consistency_warnings(bundle, doc, origins) + [p.model_copy(update={"severity": "warning"}) for p in source_problems]
    return LoadedBundle(bundle, doc.file, digest.hexdigest(), warnings, failed), problems + warnings


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

    def warn(what: str, index: int, field: str, message: str, value=None) -> None:
        origin = (origins or {}).get((what, index))
        if origin is None:
            warnings.append(doc.problem((what, index, field), message, value, severity="warning"))
        else:
            warnings.append(Problem(file=origin[0], row=origin[1], column=field, message=message,
                                    value=None if value is None else str(value), severity="warning"))

    for index, document in enumerate(bundle.documents):
        if document.issue_date and document.issue_date > bundle.as_of:
            warn("documents", index, "issue_date", f"ngày ban hành sau ngày chốt số liệu {format_date(bundle.as_of)}",
                 format_date(document.issue_date))
    names: dict[str, int] = {}
    for index, metric in enumerate(bundle.metrics):
        if metric.value < 0:
            warn("metrics", index, "value", f"chỉ số '{metric.name}' âm", metric.value)
        if metric.name in names:
            warn("metrics", index, "name", f"chỉ số '{metric.name}' khai báo hai lần (lần đầu ở metrics[{names[metric.name]}])",
                 metric.name)
        names.setdefault(metric.name, index)
    for index, task in enumerate(bundle.plan_tasks):
        if task.status == "hoàn thành" and task.done_date is None:
            warn("plan_tasks", index, "done_date", f"nhiệm vụ '{task.id}' hoàn thành nhưng thiếu ngày hoàn thành")
        if task.done_date and task.done_date > bundle.as_of:
            warn("plan_tasks", index, "done_date", f"ngày hoàn thành sau ngày chốt số liệu {format_date(bundle.as_of)}",
                 format_date(task.done_date))
    return warnings


BUNDLE_SUFFIXES = (".yaml", ".yml")


def find_bundle_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Files to read: each path is a bundle or a folder of bundles (read in sorted order)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in BUNDLE_SUFFIXES + EXTRA_SUFFIXES and p.is_file())
            if not found:
                problems.append(Problem(file=str(path), message="thư mục không có bộ minh chứng nào (.yaml, .yml, .xlsx)"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(file=str(path), message="không tìm thấy tệp hoặc thư mục minh chứng"))
    return files, problems


EXTRA_SUFFIXES: tuple[str, ...] = (".xlsx",)
_EXTRA_LOADERS: dict[str, Any] = {}


def register_loader(suffix: str, loader) -> None:
    """Other evidence formats (the Excel workbook) plug in here without the core knowing them."""
    _EXTRA_LOADERS[suffix] = loader


def load_bundles(paths: list[Path]) -> list[LoadedBundle]:
    """Load every bundle; raise InputError with all problems of all files if any is invalid."""
    loaded, problems = read_bundles(paths)
    if problems:
        raise InputError(problems)
    return loaded


def read_bundles(paths: list[Path]) -> tuple[list[LoadedBundle], list[Problem]]:
    """The bundles that load and the errors of all files, so a caller can check the valid ones in the same pass."""
    from . import workbook  # noqa: F401  (imported for its side effect: registers the ".xlsx" loader)

    files, problems = find_bundle_files(paths)
    loaded: list[LoadedBundle] = []
    for file in files:
        loader = _EXTRA_LOADERS.get(file.suffix.lower(), load_bundle)
        if file.suffix.lower() not in BUNDLE_SUFFIXES and file.suffix.lower() not in _EXTRA_LOADERS:
            problems.append(Problem(file=str(file), message="định dạng minh chứng không được hỗ trợ (dùng .yaml hoặc .xlsx)"))
            continue
        bundle, file_problems = loader(file)
        problems += [p for p in file_problems if p.severity == "error"]
        if bundle is not None:
            loaded.append(bundle)
    ids: dict[str, str] = {}
    for item in loaded:
        key = item.bundle.unit.id
        if key in ids:
            problems.append(Problem(file=item.file, path="unit.id", value=key,
                                    message=f"mã đơn vị trùng với bộ minh chứng {ids[key]}"))
        ids.setdefault(key, item.file)
    return loaded, problems
