"""How one aggregated report layout names its columns: each count by its header path, read from YAML.

    layout: aggregated
    system: "Biểu số II.06a/VPCP/KSTT (Thông tư 01/2020/TT-VPCP)"
    rows: fields
    label: ["Lĩnh vực, công việc giải quyết theo cấp"]
    columns:
      resolved_total: ["Kết quả giải quyết", "Số hồ sơ đã giải quyết", "Tổng số"]
      resolved_on_time: [["...", "Trả đúng thời hạn"], ["...", "Đúng hạn"]]   # alternatives

A header path lists the header cells from the top header row down to the column, as written
(compared after NFC, case folding and whitespace collapsing; nothing is guessed). A list of lists
gives alternative spellings of one column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from engine.core.base import Frozen
from engine.core.problems import InputError, invalid
from engine.core.vnformat import NumberStyle, nfc
from engine.core.yamlsource import load_yaml, validation_problems
from engine.load.dossiers import DossierMapping, load_mapping, text_key

CountField = Literal[
    "received_total", "received_new", "received_online", "received_direct", "received_postal", "carried_over",
    "resolved_total", "resolved_early", "resolved_on_time", "resolved_on_time_or_early", "resolved_late",
    "in_progress_total", "in_progress_within", "in_progress_overdue",
    "returned", "withdrawn", "waiting_supplement", "results_digitized", "payments_online",
]
SeparateField = Literal["returned", "withdrawn", "waiting_supplement"]

FIELD_WORDS: dict[str, str] = {
    "received_total": "tổng số hồ sơ nhận giải quyết (gồm kỳ trước chuyển qua)",
    "received_new": "số hồ sơ mới tiếp nhận trong kỳ",
    "received_online": "số hồ sơ tiếp nhận trực tuyến",
    "received_direct": "số hồ sơ tiếp nhận trực tiếp",
    "received_postal": "số hồ sơ tiếp nhận qua dịch vụ bưu chính",
    "carried_over": "số hồ sơ kỳ trước chuyển qua",
    "resolved_total": "số hồ sơ đã giải quyết",
    "resolved_early": "số hồ sơ giải quyết trước hạn",
    "resolved_on_time": "số hồ sơ giải quyết đúng hạn",
    "resolved_on_time_or_early": "số hồ sơ giải quyết đúng hạn và trước hạn",
    "resolved_late": "số hồ sơ giải quyết quá hạn",
    "in_progress_total": "số hồ sơ đang giải quyết",
    "in_progress_within": "số hồ sơ đang giải quyết trong hạn",
    "in_progress_overdue": "số hồ sơ đang giải quyết quá hạn",
    "returned": "số hồ sơ trả lại, từ chối giải quyết",
    "withdrawn": "số hồ sơ rút",
    "waiting_supplement": "số hồ sơ chờ bổ sung",
    "results_digitized": "số hồ sơ số hóa kết quả",
    "payments_online": "số hồ sơ thanh toán trực tuyến",
}

HeaderPath = tuple[str, ...]

MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "mappings"


def mapping_file(name_or_file: str, base: Path | None = None) -> Path:
    """A shipped mapping by name (motcua_tinh, tt01_2020_06a, ...), or a mapping YAML by path (relative to `base`)."""
    if name_or_file.endswith((".yaml", ".yml")):
        return base / name_or_file if base is not None else Path(name_or_file)
    return MAPPINGS_DIR / f"{name_or_file}.yaml"


def shipped_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))

DEFAULT_TOTAL_LABELS = ("Tổng cộng", "Tổng số", "Tổng", "Cộng", "Toàn tỉnh", "Tổng toàn tỉnh")


def _paths(value: Any) -> Any:
    """One path (a string or a list of strings) or alternatives (a list of lists) → tuple of paths."""
    if isinstance(value, str):
        return ((value,),)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return (tuple(value),)
    if isinstance(value, (list, tuple)):
        return tuple(tuple(v) if isinstance(v, (list, tuple)) else v for v in value)
    return value


def _clean_paths(paths: tuple[HeaderPath, ...]) -> tuple[HeaderPath, ...]:
    cleaned = []
    for path in paths:
        parts = tuple(nfc(part).strip() for part in path)
        if not parts or any(not part for part in parts):
            raise invalid("đường dẫn tiêu đề phải gồm các ô tiêu đề không trống, từ dòng tiêu đề trên cùng xuống",
                          code="report.bad_header_path")
        cleaned.append(parts)
    if not cleaned:
        raise invalid("cần ít nhất một đường dẫn tiêu đề", code="report.bad_header_path")
    return tuple(cleaned)


class RateColumn(Frozen):
    """A stated rate column and how it is computed from counts: 100 × sum(numerator) / sum(denominator)."""

    column: tuple[HeaderPath, ...]
    numerator: tuple[CountField, ...] = Field(min_length=1)
    denominator: tuple[CountField, ...] = Field(min_length=1)

    @field_validator("column", mode="before")
    @classmethod
    def _column(cls, value: Any) -> Any:
        return _paths(value)

    @field_validator("column")
    @classmethod
    def _clean(cls, value: tuple[HeaderPath, ...]) -> tuple[HeaderPath, ...]:
        return _clean_paths(value)


class ReportMapping(Frozen):
    """One aggregated layout; loaded from YAML with `load_report_mapping`."""

    layout: Literal["aggregated"]
    system: str = Field(min_length=1)
    rows: Literal["units", "fields"]
    label: tuple[HeaderPath, ...]
    number_column: tuple[HeaderPath, ...] | None = None
    header_row: int | None = Field(default=None, ge=1, le=200)
    header_rows: int | None = Field(default=None, ge=1, le=8)
    sheet: str | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    number_style: NumberStyle = "vi"
    total_labels: tuple[str, ...] = DEFAULT_TOTAL_LABELS
    columns: dict[CountField, tuple[HeaderPath, ...]] = Field(min_length=1)
    optional: tuple[CountField, ...] = ()
    separate: tuple[SeparateField, ...] = ("returned", "withdrawn")
    rates: dict[str, RateColumn] = Field(default_factory=dict)

    @field_validator("label", "number_column", mode="before")
    @classmethod
    def _label(cls, value: Any) -> Any:
        return _paths(value)

    @field_validator("label", "number_column")
    @classmethod
    def _clean_label(cls, value: tuple[HeaderPath, ...] | None) -> tuple[HeaderPath, ...] | None:
        return None if value is None else _clean_paths(value)

    @field_validator("columns", mode="before")
    @classmethod
    def _columns(cls, value: Any) -> Any:
        return {k: _paths(v) for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("columns")
    @classmethod
    def _clean_columns(cls, value: dict[str, tuple[HeaderPath, ...]]) -> dict[str, tuple[HeaderPath, ...]]:
        return {k: _clean_paths(v) for k, v in value.items()}

    @field_validator("system", "sheet", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return nfc(value).strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> ReportMapping:
        unknown = [f for f in self.optional if f not in self.columns]
        if unknown:
            raise invalid(f"optional nêu cột không có trong columns: {', '.join(unknown)}", code="report.mapping_invalid")
        for name, rate in self.rates.items():
            missing = [f for f in rate.numerator + rate.denominator if f not in self.columns]
            if missing:
                raise invalid(f"tỷ lệ '{name}' dùng cột không có trong columns: {', '.join(missing)}",
                              code="report.mapping_invalid")
        seen: dict[tuple[str, ...], str] = {}
        named = [("label", p) for p in self.label] + [(f, p) for f, paths in self.columns.items() for p in paths]
        named += [(f"rates.{n}", p) for n, r in self.rates.items() for p in r.column]
        for owner, path in named:
            key = tuple(text_key(part) for part in path)
            other = seen.setdefault(key, owner)
            if other != owner:
                raise invalid(f"tiêu đề '{' / '.join(path)}' được dùng cho cả '{other}' và '{owner}'",
                              code="report.header_reused")
        return self

    def depth(self) -> int:
        """Header rows to read when the mapping does not say: the longest header path it names."""
        if self.header_rows is not None:
            return self.header_rows
        paths = list(self.label) + [p for paths in self.columns.values() for p in paths]
        paths += [p for r in self.rates.values() for p in r.column]
        return max(len(p) for p in paths)


def load_report_mapping(path: Path) -> ReportMapping:
    """Read an aggregated mapping YAML; InputError with every problem, each naming the key and line."""
    doc, problems = load_yaml(Path(path))
    errors = [p for p in problems if p.severity == "error"]
    if doc is None or errors:
        raise InputError(errors or problems)
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem((), "tệp ánh xạ phải là một bảng khóa–giá trị", code="dossier.mapping_not_mapping")])
    try:
        return ReportMapping.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(validation_problems(doc, exc)) from None


def load_any_mapping(path: Path) -> DossierMapping | ReportMapping:
    """A row-level export mapping or an aggregated report mapping, told apart by `layout: aggregated`."""
    doc, problems = load_yaml(Path(path))
    if doc is not None and isinstance(doc.data, dict) and doc.data.get("layout") == "aggregated":
        return load_report_mapping(path)
    return load_mapping(path)
