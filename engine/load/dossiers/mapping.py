"""How one one-stop system writes its dossier export: column headers, status labels, yes/no values, dates.

Every one-stop system names its columns and statuses its own way, so a YAML mapping says how one
system writes them; the code never guesses. Labels and headers are compared by `text_key`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from engine.core.base import Frozen
from engine.core.problems import InputError, Problem, invalid
from engine.core.vnformat import NumberStyle, nfc
from engine.core.yamlsource import load_yaml, pydantic_code, pydantic_message

CanonicalStatus = Literal[
    "early", "on_time", "late", "in_progress", "in_progress_overdue", "waiting_supplement", "withdrawn"
]


STATUSES: tuple[str, ...] = (
    "early", "on_time", "late", "in_progress", "in_progress_overdue", "waiting_supplement", "withdrawn"
)


RESOLVED_STATUSES: tuple[str, ...] = ("early", "on_time", "late")


DateFormat = Literal["dd/mm/yyyy", "dd-mm-yyyy", "dd.mm.yyyy", "yyyy-mm-dd"]


STRPTIME = {"dd/mm/yyyy": "%d/%m/%Y", "dd-mm-yyyy": "%d-%m-%Y", "dd.mm.yyyy": "%d.%m.%Y", "yyyy-mm-dd": "%Y-%m-%d"}


def text_key(value: str) -> str:
    """The form in which names are compared: NFC, case-folded, whitespace collapsed; never fuzzy."""
    return nfc(" ".join(nfc(value).casefold().split()))


class DossierColumns(Frozen):
    """Column headers of one export, as the software writes them (compared by `text_key`)."""

    dossier_id: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    received_date: str = Field(min_length=1)
    resolved_date: str = Field(min_length=1)
    due_date: str | None = Field(default=None, min_length=1)
    status: str = Field(min_length=1)
    digitized_result: str = Field(min_length=1)
    online_submission: str = Field(min_length=1)
    online_payment: str = Field(min_length=1)

    @field_validator("*", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return nfc(value).strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _distinct(self) -> DossierColumns:
        seen: dict[str, str] = {}
        for field, header in self.items():
            other = seen.setdefault(text_key(header), field)
            if other != field:
                raise invalid(f"cột '{header}' được dùng cho cả '{other}' và '{field}'", code="dossier.column_reused")
        return self

    def items(self) -> list[tuple[str, str]]:
        """(field, header) pairs of the mapped columns, in a fixed order."""
        return [(name, value) for name, value in self.model_dump().items() if value is not None]


def _as_text(value: Any) -> Any:
    """YAML reads TRUE as a bool and 1 as an int; a mapping means the text the software writes."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return nfc(value).strip()
    return value


class DossierMapping(Frozen):
    """How one one-stop system writes its dossier export; loaded from YAML with `load_mapping`."""

    system: str = Field(min_length=1)
    columns: DossierColumns
    statuses: dict[str, CanonicalStatus] = Field(min_length=1)
    truthy: tuple[str, ...] = ("Có", "x", "1", "TRUE")
    falsy: tuple[str, ...] = ("Không", "0", "FALSE")
    date_format: DateFormat = "dd/mm/yyyy"
    number_style: NumberStyle = "vi"
    period_date: Literal["received", "resolved"] = "received"
    header_row: int = Field(default=1, ge=1)
    sheet: str | None = None
    delimiter: str = Field(default=",", min_length=1, max_length=1)

    @field_validator("statuses", mode="before")
    @classmethod
    def _status_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {_as_text(k): v for k, v in value.items()}
        return value

    @field_validator("truthy", "falsy", mode="before")
    @classmethod
    def flag_values(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(_as_text(v) for v in value)
        return value

    @field_validator("system", "sheet", mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return nfc(value).strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> DossierMapping:
        seen: dict[str, tuple[str, str]] = {}
        for label, status in self.statuses.items():
            key = text_key(label)
            if not key:
                raise invalid("nhãn trạng thái không được để trống", code="dossier.empty_status_label")
            previous = seen.setdefault(key, (label, status))
            if previous[1] != status:
                raise invalid(
                    f"trạng thái '{label}' và '{previous[0]}' trùng nhau khi so sánh nhưng ánh xạ khác nhau",
                    code="dossier.status_conflict",
                )
        both = {text_key(v) for v in self.truthy} & {text_key(v) for v in self.falsy}
        if both:
            raise invalid(f"giá trị vừa là có vừa là không: {', '.join(sorted(both))}", code="dossier.flag_conflict")
        return self

    def status_index(self) -> dict[str, int]:
        """Compared label → position in STATUSES."""
        return {text_key(label): STATUSES.index(status) for label, status in self.statuses.items()}


_PYDANTIC_MESSAGES = {
    "missing": "thiếu khóa bắt buộc",
    "extra_forbidden": "khóa không được phép",
    "string_type": "phải là chuỗi ký tự",
    "string_too_short": "không được để trống",
    "string_too_long": "quá dài",
    "too_short": "không được để trống",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "dict_type": "phải là một bảng khóa–giá trị",
    "model_type": "phải là một bảng khóa–giá trị",
    "tuple_type": "phải là danh sách",
    "literal_error": "giá trị không hợp lệ; chấp nhận: {expected}",
}


def load_mapping(path: Path) -> DossierMapping:
    """Read a mapping YAML; raise InputError with every problem, each naming the file, key and line."""
    path = Path(path)
    file = str(path)
    doc, problems = load_yaml(path)
    errors = [p for p in problems if p.severity == "error"]
    if doc is None or errors:
        raise InputError(errors or problems)
    data = doc.data
    if not isinstance(data, dict):
        raise InputError([doc.problem((), "tệp ánh xạ phải là một bảng khóa–giá trị", code="dossier.mapping_not_mapping")])
    try:
        return DossierMapping.model_validate(data)
    except ValidationError as exc:
        raise InputError([_mapping_problem(file, data, err, doc.line) for err in exc.errors(include_url=False)]) from None


def _mapping_problem(file: str, data: Any, err: dict[str, Any], line_of=None) -> Problem:
    loc = [part for part in err["loc"] if part not in ("[key]",)]
    key = ".".join(str(part) for part in loc) or None
    ctx = {key: (", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value)
           for key, value in (err.get("ctx") or {}).items()}
    template = _PYDANTIC_MESSAGES.get(err["type"])
    if template is None:
        message = pydantic_message(err)
    else:
        try:
            message = template.format(**ctx)
        except (KeyError, IndexError):
            message = template
        if err["type"] == "literal_error":
            message = message.replace(" or ", " hoặc ")
    value = None if err["type"] == "missing" else _value_at(data, loc)
    line = line_of(tuple(loc)) if line_of is not None else None
    return Problem(code=pydantic_code(err), file=file, path=key, line=line, message=message, value=value)


def _value_at(data: Any, loc: list[Any]) -> str | None:
    """The scalar the user wrote at a key path, to show next to the problem."""
    node = data
    for part in loc:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return None if node is None or isinstance(node, (dict, list)) else str(node)
