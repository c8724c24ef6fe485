"""Safe YAML loading that remembers where every value stood, so errors can name the line.

PyYAML's safe loader is used to compose the node tree; we build plain Python data from it and a
map from YAML paths (("items", 0, "id")) to 1-based line numbers. Pydantic error locations are
the same tuples, so a validation error can be turned into "items[0].id (dòng 12)".
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .problems import Problem
from .vnformat import nfc

Loc = tuple[str | int, ...]


class YamlDoc:
    """Data from one YAML file together with the line of each path in it."""

    def __init__(self, file: str, data: Any, lines: dict[Loc, int], digest: str):
        self.file = file
        self.data = data
        self.lines = lines
        self.digest = digest

    def line(self, loc: Loc) -> int | None:
        """The line of a path, or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)

    def value_at(self, loc: Loc) -> Any:
        node = self.data
        for key in loc:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def problem(self, loc: Loc, message: str, value: Any = None, severity: str = "error") -> Problem:
        return Problem(
            file=self.file,
            path=format_loc(loc) or None,
            line=self.line(loc),
            message=message,
            value=None if value is None else str(value),
            severity=severity,
        )


def format_loc(loc: Loc) -> str:
    """("items", 0, "children", 1, "id") -> "items[0].children[1].id"."""
    text = ""
    for key in loc:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text


def _build(node: yaml.Node, loc: Loc, lines: dict[Loc, int], problems: list[Problem], file: str) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _SCALAR_LOADER.construct_scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or not isinstance(key, str):
                problems.append(Problem(file=file, line=key_node.start_mark.line + 1, path=format_loc(loc) or None,
                                        message="khóa YAML phải là chuỗi ký tự"))
                continue
            key = nfc(key)
            if key in result:
                problems.append(Problem(file=file, line=key_node.start_mark.line + 1, path=format_loc(loc + (key,)),
                                        message=f"khóa '{key}' bị lặp lại", value=key))
            result[key] = _build(value_node, loc + (key,), lines, problems, file)
            lines[loc + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, loc + (i,), lines, problems, file) for i, child in enumerate(node.value)]
    value = _SCALAR_LOADER.construct_object(node, deep=True)
    return nfc(value) if isinstance(value, str) else value


class _ScalarLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loading (libyaml's parser when present); dates stay strings so that they are read day-first by us."""


_ScalarLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SCALAR_LOADER = _ScalarLoader("")


def load_yaml(path: Path) -> tuple[YamlDoc | None, list[Problem]]:
    """Read a YAML file safely; return the document and any syntax problems (never raises on bad YAML)."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(file=file, message=f"không đọc được tệp: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(file=file, message=f"tệp không phải UTF-8 (byte {exc.start})")]
    try:
        node = yaml.compose(text, Loader=_ScalarLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(file=file, line=mark.line + 1 if mark else None,
                              message=f"YAML không hợp lệ: {getattr(exc, 'problem', None) or exc}")]
    problems: list[Problem] = []
    lines: dict[Loc, int] = {}
    data = _build(node, (), lines, problems, file) if node is not None else None
    return YamlDoc(file, data, lines, hashlib.sha256(raw).hexdigest()), problems


_PYDANTIC_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "khóa không được phép (không có trong định dạng)",
    "string_type": "phải là chuỗi ký tự",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "float_type": "phải là số",
    "float_parsing": "phải là số",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "list_type": "phải là danh sách",
    "dict_type": "phải là một bảng khóa–giá trị",
    "model_type": "phải là một bảng khóa–giá trị",
    "literal_error": "giá trị không hợp lệ",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "greater_than": "phải lớn hơn {gt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "union_tag_invalid": "loại '{tag}' không tồn tại; các loại hợp lệ: {expected_tags}",
    "union_tag_not_found": "thiếu khóa {discriminator} cho biết loại",
    "string_pattern_mismatch": "không đúng mẫu {pattern}",
    "too_short": "không được để trống",
}


def validation_problems(doc: YamlDoc, exc: ValidationError, base: Loc = ()) -> list[Problem]:
    """Turn pydantic errors into Vietnamese problems naming path, line and value."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = base + _user_loc(doc.value_at(base), tuple(err["loc"]))
        value = None if err["type"] == "missing" else doc.value_at(loc)
        if isinstance(value, (dict, list)):
            value = None
        problems.append(doc.problem(loc, pydantic_message(err), value))
    return problems


def pydantic_message(err: dict) -> str:
    """One pydantic error in Vietnamese (shared by every reader: YAML, CSV, workbook)."""
    template = _PYDANTIC_MESSAGES.get(err["type"])
    ctx = {k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v) for k, v in (err.get("ctx") or {}).items()}
    if template is None:
        return err["msg"] if err["type"] != "value_error" else str(ctx.get("error", err["msg"]))
    try:
        message = template.format(**ctx)
    except (KeyError, IndexError):
        message = template
    if err["type"] == "literal_error" and "expected" in ctx:
        message += f"; chấp nhận: {str(ctx['expected']).replace(' or ', ' hoặc ')}"
    return message


def _user_loc(data: Any, loc: Loc) -> Loc:
    """Drop the parts pydantic adds for tagged unions and validators; the user never wrote them.

    Walking the data, a string part that is not a key of the mapping at hand (and is not the
    last part, which may name a missing key) is such a tag. So is the mapping's own `kind` the
    first time it appears there, even when a key has the same name ({kind: tiers, tiers: [...]}).
    """
    kept: list[str | int] = []
    node = data
    kind_dropped = False
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict) and isinstance(part, str) and not last:
            if part not in node:
                continue
            if part == node.get("kind") and not kind_dropped:
                kind_dropped = True
                continue
        kind_dropped = False
        kept.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(kept)
