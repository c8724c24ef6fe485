"""Safe YAML loading that remembers where every value stood, so errors can name the line.

PyYAML's safe loader is used to compose the node tree; we build plain Python data from it and a
map from YAML paths (("items", 0, "id")) to 1-based line numbers. Pydantic error locations are
the same tuples, so a validation error can be turned into "items[0].id (dòng 12)".

Most files are plain (no anchors, tags or merge keys): they are loaded by libyaml straight into
Python data, and the line map is built only when a problem needs a line. Anything unusual, or any
error, sends the file through the careful path, which gives the same data and every problem.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.core.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, read_limited
from engine.core.problems import CODE_PATTERN, Problem
from engine.core.vnformat import nfc

Loc = tuple[str | int, ...]


class YamlDoc:
    """Data from one YAML file together with the line of each path in it (mapped on first use when not given)."""

    def __init__(self, file: str, data: Any, lines: dict[Loc, int] | None, digest: str, text: str | None = None):
        self.file = file
        self.data = data
        self._lines = lines
        self._text = text
        self.digest = digest

    @property
    def lines(self) -> dict[Loc, int]:
        if self._lines is None:
            node = yaml.compose(self._text or "", Loader=_ScalarLoader)
            self._lines = {}
            if node is not None:
                _map_lines(node, (), self._lines)
            self._text = None
        return self._lines

    def line_finder(self) -> Callable[[Loc], int | None]:
        """`line` without holding on to the data, for places kept long after the data was validated."""
        return YamlDoc(self.file, None, self._lines, self.digest, self._text).line

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

    def problem(self, loc: Loc, message: str, value: Any = None, severity: str = "error", *, code: str) -> Problem:
        return Problem(
            code=code,
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


_VI_THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2}(\.\d{3})+")  # 1.952, 12.345.678; never 0.001


def _map_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    """The line map `_build` makes, without building the data (a plain file's data came from the fast path)."""
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = nfc(key_node.value)
                _map_lines(value_node, loc + (key,), lines)
                lines[loc + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _map_lines(child, loc + (index,), lines)


def _build(node: yaml.Node, loc: Loc, lines: dict[Loc, int], problems: list[Problem], file: str,
           vi_numbers: dict[Loc, str]) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _SCALAR_LOADER.construct_scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or not isinstance(key, str):
                problems.append(Problem(code="yaml.key_not_text", file=file, line=key_node.start_mark.line + 1,
                                        path=format_loc(loc) or None, message="khóa YAML phải là chuỗi ký tự"))
                continue
            key = nfc(key)
            if key in result:
                problems.append(Problem(code="yaml.duplicate_key", file=file, line=key_node.start_mark.line + 1,
                                        path=format_loc(loc + (key,)), message=f"khóa '{key}' bị lặp lại", value=key))
            result[key] = _build(value_node, loc + (key,), lines, problems, file, vi_numbers)
            lines[loc + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, loc + (i,), lines, problems, file, vi_numbers) for i, child in enumerate(node.value)]
    if not node.style and _VI_THOUSANDS.fullmatch(node.value):
        vi_numbers[loc] = node.value
        return node.value
    try:
        value = _SCALAR_LOADER.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError):
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        if tag == "!!int" and re.fullmatch(r"[-+]?[0-9_]{300,}", node.value):
            problems.append(Problem(file=file, line=node.start_mark.line + 1, path=format_loc(loc) or None,
                                    value=node.value[:40] + ("…" if len(node.value) > 40 else ""), code="yaml.bad_number",
                                    message="số quá lớn hoặc viết sai; số liệu phải là số bình thường"))
            return None
        problems.append(Problem(file=file, line=node.start_mark.line + 1, path=format_loc(loc) or None, value=node.value,
                                code="yaml.tag",
                                message=f"thẻ YAML '{tag}' không dùng được ở đây; bỏ thẻ (phần bắt đầu bằng '!')"))
        return None
    return nfc(value) if isinstance(value, str) else value


class _ScalarLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loading (libyaml's parser when present); dates stay strings so that they are read day-first by us."""


_ScalarLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SCALAR_LOADER = _ScalarLoader("")


class _Unusual(Exception):
    """The fast path met something only the careful path handles (or reports)."""


_VI_TAG = "tag:parindex,2024:vi-number"
_STR_TAG, _MAP_TAG, _SEQ_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class _FastLoader(_ScalarLoader):
    """libyaml composes the nodes (plain scalars resolved as the careful path does, plus dot-grouped numbers);
    _walk builds the data from them in one pass."""

    def resolve(self, kind, value, implicit):
        """A plain scalar's tag depends on its text alone, and a province's bundles repeat the same texts: remembered.
        Quoted scalars are text; lists and mappings have their default tags (no path resolvers are used)."""
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                    _PLAIN_TAGS.clear()
                tag = _PLAIN_TAGS[value] = super().resolve(kind, value, implicit)
            return tag
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 65536


_FastLoader.yaml_implicit_resolvers = {
    key: ([(_VI_TAG, re.compile(_VI_THOUSANDS.pattern + "$"))] if key in "-+123456789" else []) + list(resolvers)
    for key, resolvers in _ScalarLoader.yaml_implicit_resolvers.items()
}
for _first in "-+123456789":
    _FastLoader.yaml_implicit_resolvers.setdefault(_first, [(_VI_TAG, re.compile(_VI_THOUSANDS.pattern + "$"))])
FAST_PATH_CHARS = 256 * 1024
"""Larger files go the careful way, whose limits are checked on parser events before any value is built: a file this
small cannot hold MAX_YAML_NODES values (two characters each at least), so both ways accept the same files."""
_UNUSUAL_TEXT = re.compile(r"[&*!]|<<")
"""Anchors, aliases, tags and merge keys: their limits and problems are the careful path's."""


def _fast_load(text: str) -> tuple[Any, dict[Loc, str]]:
    """Plain YAML straight to data, with the dot-grouped numbers found; _Unusual when the careful path must decide."""
    if len(text) > FAST_PATH_CHARS or _UNUSUAL_TEXT.search(text):
        raise _Unusual
    loader = _FastLoader(text)
    found: dict[Loc, str] = {}
    try:
        node = loader.get_single_node()
        return (_walk(node, loader, [], found, 0, [0]) if node is not None else None), found
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise _Unusual from exc
    finally:
        loader.dispose()


def _walk(node: yaml.Node, loader: _FastLoader, path: list, found: dict[Loc, str], depth: int, count: list[int]) -> Any:
    """The node's data as the careful path builds it: NFC text, text keys only (a repeated key, even after NFC, hands
    over), its depth and size limits; dot-grouped numbers kept as written and noted by path."""
    count[0] += 1
    if count[0] > MAX_YAML_NODES:
        raise _Unusual
    tag = node.tag
    if tag == _STR_TAG:
        return nfc(node.value)
    if tag == _MAP_TAG:
        if depth >= MAX_YAML_DEPTH:
            raise _Unusual
        count[0] += len(node.value)  # keys are values too, as the careful path counts them
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG:
                key = nfc(key_node.value)
            elif key_node.tag == _VI_TAG:
                key = key_node.value
            else:
                raise _Unusual
            if key in result:
                raise _Unusual
            path.append(key)
            result[key] = _walk(value_node, loader, path, found, depth + 1, count)
            path.pop()
        return result
    if tag == _SEQ_TAG:
        if depth >= MAX_YAML_DEPTH:
            raise _Unusual
        items = []
        for index, item in enumerate(node.value):
            path.append(index)
            items.append(_walk(item, loader, path, found, depth + 1, count))
            path.pop()
        return items
    if tag == _VI_TAG:
        found[tuple(path)] = node.value
        return node.value
    construct = loader.yaml_constructors.get(tag)
    if construct is None or not isinstance(node, yaml.ScalarNode):
        raise _Unusual
    return construct(loader, node)


def load_yaml(path: Path, vi_numbers: bool = False) -> tuple[YamlDoc | None, list[Problem]]:
    """Read a YAML file safely; return the document and any syntax problems (never raises on bad YAML).

    A plain number with dot-grouped thousands (1.952, 12.345.678) is kept as the text written, for
    the reader to take the Vietnamese way (1952). With `vi_numbers` False (criteria, case files,
    where a number means what YAML says) such a number is ambiguous and reported as a problem.
    """
    file = str(path)
    raw, problem = read_limited(path, MAX_YAML_BYTES)
    if raw is None:
        return None, [problem] if problem else []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(file=file, line=raw[:exc.start].count(b"\n") + 1, code="file.not_utf8",
                              message=f"tệp không phải UTF-8 (byte {exc.start}); lưu lại tệp với mã hóa UTF-8")]
    problems: list[Problem] = []
    try:
        data, found = _fast_load(text)
        doc = YamlDoc(file, data, None, hashlib.sha256(raw).hexdigest(), text)
    except _Unusual:
        shape = _shape_problem(file, text)
        if shape is not None:
            return None, [shape]
        try:
            node = yaml.compose(text, Loader=_ScalarLoader)
        except yaml.YAMLError as exc:
            return None, [_syntax_problem(file, text, exc)]
        lines: dict[Loc, int] = {}
        found = {}
        data = _build(node, (), lines, problems, file, found) if node is not None else None
        doc = YamlDoc(file, data, lines, hashlib.sha256(raw).hexdigest())
    if not vi_numbers:
        problems += [doc.problem(loc, _ambiguous_number(raw_text), raw_text, code="yaml.ambiguous_number")
                     for loc, raw_text in found.items()]
    return doc, problems


def _shape_problem(file: str, text: str) -> Problem | None:
    """Depth, alias expansion and self-reference, measured on the parser's events before any node or object is built.

    An alias counts as the size of what it names, so "aliases of aliases" (a billion laughs) are
    stopped by the total; an alias to a mapping or list that is still open refers to itself.
    A syntax error is left to the composer, which reports it with its line.
    """
    stack: list[list] = []  # [anchor, expanded size so far]
    sizes: dict[str, int] = {}
    total = 0
    try:
        for event in yaml.parse(text, Loader=_ScalarLoader):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([event.anchor, 1])
                total += 1
                if len(stack) > MAX_YAML_DEPTH:
                    return Problem(file=file, line=line, code="yaml.too_deep", value=str(len(stack)),
                                   message=f"YAML lồng nhau quá sâu (tối đa {MAX_YAML_DEPTH} cấp bảng/danh sách)")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, size = stack.pop()
                if anchor is not None:
                    sizes[anchor] = size
                if stack:
                    stack[-1][1] += size
            elif isinstance(event, yaml.ScalarEvent):
                total += 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                if stack:
                    stack[-1][1] += 1
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _ in stack):
                    return Problem(file=file, line=line, code="yaml.self_reference", value=f"*{event.anchor}",
                                   message=f"tham chiếu '*{event.anchor}' trỏ tới chính phần đang chứa nó (tự tham chiếu)")
                size = sizes.get(event.anchor, 1)
                total += size
                if stack:
                    stack[-1][1] += size
            if total > MAX_YAML_NODES:
                return Problem(file=file, line=line, code="yaml.too_many_values",
                               message=f"YAML có quá nhiều giá trị khi mở rộng các tham chiếu '*' "
                                       f"(tối đa {MAX_YAML_NODES:,}); bỏ các neo '&' lồng nhau".replace(",", "."))
    except yaml.YAMLError as exc:
        if "nesting depth" in str(exc):  # libyaml's own limit, met while scanning ahead of the events
            mark = getattr(exc, "problem_mark", None)
            return Problem(file=file, line=mark.line + 1 if mark is not None else None, code="yaml.too_deep",
                           message=f"YAML lồng nhau quá sâu (tối đa {MAX_YAML_DEPTH} cấp bảng/danh sách)")
        return None
    return None


def _ambiguous_number(text: str) -> str:
    whole = text.replace(".", "")
    if text.count(".") > 1:
        return f"số '{text}' viết dấu chấm phân cách hàng nghìn; ở tệp này ghi {whole}"
    return (f"số '{text}' dễ hiểu nhầm: dấu chấm là phân cách hàng nghìn hay dấu thập phân? "
            f"Ghi {whole} nếu là hàng nghìn, {text}0 nếu là số thập phân")


_SYNTAX_CODES: tuple[tuple[str, str, str], ...] = (  # (words in the parser's message, code, Vietnamese)
    ("tab character", "yaml.tab_indent", "có ký tự Tab trong phần thụt lề; YAML chỉ thụt lề bằng dấu cách"),
    ("expected a single document", "yaml.second_document",
     "tệp chỉ được chứa một tài liệu YAML; bỏ dòng '---' thứ hai (và phần sau nó) hoặc tách thành tệp riêng"),
    ("another document", "yaml.second_document",
     "tệp chỉ được chứa một tài liệu YAML; bỏ dòng '---' thứ hai (và phần sau nó) hoặc tách thành tệp riêng"),
    ("could not find expected ':'", "yaml.missing_colon", "thiếu dấu ':' sau khóa (mỗi dòng viết 'khóa: giá trị')"),
    ("mapping values are not allowed", "yaml.misplaced_colon",
     "dấu ':' không dùng được ở đây; giá trị có dấu ':' phải đặt trong ngoặc kép, "
     "khóa con phải xuống dòng và thụt lề"),
    ("expected <block end>", "yaml.bad_indent",
     "thụt lề không đúng: dòng này không thẳng hàng với các khóa hoặc mục '-' cùng cấp"),
    ("did not find expected key", "yaml.bad_indent",
     "thụt lề không đúng: dòng này không thẳng hàng với các khóa hoặc mục '-' cùng cấp"),
    ("did not find expected '-' indicator", "yaml.bad_indent",
     "thụt lề không đúng: dòng này không thẳng hàng với các mục '-' cùng cấp"),
    ("',' or ']'", "yaml.unclosed_list", "danh sách [...] thiếu dấu ',' giữa các mục hoặc thiếu dấu ']' đóng"),
    ("',' or '}'", "yaml.unclosed_mapping",
     "bảng {...} thiếu dấu ',' giữa các cặp khóa–giá trị hoặc thiếu dấu '}' đóng"),
    ("unexpected end of stream", "yaml.unclosed_quote", "chuỗi trong ngoặc kép hoặc ngoặc đơn chưa được đóng"),
    ("unknown escape character", "yaml.bad_escape",
     "ký tự sau dấu '\\' trong chuỗi ngoặc kép không hợp lệ; dùng ngoặc đơn hoặc viết '\\\\'"),
    ("undefined alias", "yaml.unknown_alias", "tham chiếu '*' tới một neo '&' không tồn tại"),
    ("alphabetic or numeric character", "yaml.bad_anchor", "tên neo '&' hoặc tham chiếu '*' không hợp lệ; "
                                                           "giá trị bắt đầu bằng '&' hoặc '*' phải đặt trong ngoặc kép"),
    ("unknown directive", "yaml.bad_directive",
     "dòng bắt đầu bằng '%' không hợp lệ; giá trị bắt đầu bằng '%' phải đặt trong ngoặc kép"),
    ("found duplicate anchor", "yaml.duplicate_anchor", "tên neo '&' bị dùng hai lần"),
)


def _syntax_problem(file: str, text: str, exc: yaml.YAMLError) -> Problem:
    """A PyYAML/libyaml error in Vietnamese, with the line (and the offending character) it names."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[:exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        return Problem(code="yaml.control_character", file=file, line=line, value=f"U+{code:04X}",
                       message=f"YAML không hợp lệ: tệp có ký tự điều khiển không được phép (mã U+{code:04X}); xóa ký tự này")
    problem = str(getattr(exc, "problem", None) or "")
    mark = getattr(exc, "problem_mark", None)
    if "expected ':'" in problem and getattr(exc, "context_mark", None) is not None:
        mark = exc.context_mark
    char = None
    if mark is not None:
        lines = text.splitlines()
        if 0 <= mark.line < len(lines) and 0 <= mark.column < len(lines[mark.line]):
            char = lines[mark.line][mark.column]
    if "cannot start any token" in problem and char == "\t":
        code, message = "yaml.tab_indent", "có ký tự Tab trong phần thụt lề; YAML chỉ thụt lề bằng dấu cách"
    elif "cannot start any token" in problem:
        code = "yaml.bad_start"
        message = (f"ký tự '{char}' không được đứng đầu một giá trị; đặt giá trị trong ngoặc kép" if char
                   else "có ký tự không được đứng đầu một giá trị; đặt giá trị trong ngoặc kép")
    else:
        context = str(getattr(exc, "context", ""))
        code, message = next(((c, vi) for key, c, vi in _SYNTAX_CODES if key in problem or key in context),
                             ("yaml.syntax", f"cú pháp sai (bộ đọc YAML báo: {problem or exc})"))
    return Problem(code=code, file=file, line=mark.line + 1 if mark else None, message=f"YAML không hợp lệ: {message}")


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
    "int_from_float": "phải là số nguyên (không có phần thập phân)",
    "int_parsing_size": "số quá lớn",
    "finite_number": "phải là số hữu hạn (không dùng .nan hoặc .inf)",
    "dict_type": "phải là một bảng khóa–giá trị",
    "model_type": "phải là một bảng khóa–giá trị",
    "model_attributes_type": "phải là một bảng khóa–giá trị",
    "tuple_type": "phải là danh sách",
    "set_type": "phải là danh sách",
    "enum": "giá trị không hợp lệ",
    "string_too_short": "không được để trống",
    "string_too_long": "dài quá {max_length} ký tự",
    "too_long": "có quá nhiều mục (tối đa {max_length})",
    "less_than": "phải nhỏ hơn {lt}",
    "date_type": "phải là ngày tháng dd/mm/yyyy",
    "date_parsing": "phải là ngày tháng dd/mm/yyyy",
    "date_from_datetime_parsing": "phải là ngày tháng dd/mm/yyyy",
    "literal_error": "giá trị không hợp lệ",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "greater_than": "phải lớn hơn {gt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "union_tag_invalid": "loại '{tag}' không tồn tại; các loại hợp lệ: {expected_tags}",
    "union_tag_not_found": "thiếu khóa {discriminator} cho biết loại",
    "string_pattern_mismatch": "không đúng mẫu {pattern}",
    "too_short": "không được để trống",
}


_PYDANTIC_CODES = {
    "missing": "schema.missing",
    "extra_forbidden": "schema.extra_forbidden",
    "string_type": "schema.type",
    "int_type": "schema.type",
    "int_parsing": "schema.type",
    "float_type": "schema.type",
    "float_parsing": "schema.type",
    "bool_type": "schema.type",
    "bool_parsing": "schema.type",
    "list_type": "schema.type",
    "int_from_float": "schema.type",
    "finite_number": "schema.type",
    "dict_type": "schema.type",
    "model_type": "schema.type",
    "model_attributes_type": "schema.type",
    "tuple_type": "schema.type",
    "set_type": "schema.type",
    "date_type": "schema.type",
    "date_parsing": "schema.type",
    "date_from_datetime_parsing": "schema.type",
    "enum": "schema.choice",
    "literal_error": "schema.choice",
    "string_too_short": "schema.empty",
    "too_short": "schema.empty",
    "string_too_long": "schema.too_long",
    "too_long": "schema.too_long",
    "int_parsing_size": "schema.range",
    "less_than": "schema.range",
    "less_than_equal": "schema.range",
    "greater_than": "schema.range",
    "greater_than_equal": "schema.range",
    "union_tag_invalid": "schema.unknown_kind",
    "union_tag_not_found": "schema.missing_kind",
    "string_pattern_mismatch": "schema.pattern",
}
_OTHER_PYDANTIC_CODE = "schema.invalid"


def pydantic_code(err: dict) -> str:
    """The problem code of one pydantic error: the validator's own code (raised with `invalid`), or one per error type."""
    if re.fullmatch(CODE_PATTERN, err["type"]):
        return err["type"]
    return _PYDANTIC_CODES.get(err["type"], _OTHER_PYDANTIC_CODE)


def validation_problems(doc: YamlDoc, exc: ValidationError, base: Loc = ()) -> list[Problem]:
    """Turn pydantic errors into Vietnamese problems naming path, line and value."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = base + _user_loc(doc.value_at(base), tuple(err["loc"]), err["type"] == "missing")
        value = None if err["type"] == "missing" else doc.value_at(loc)
        if isinstance(value, (dict, list)):
            value = None
        message = pydantic_message(err)
        if err["type"] == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
            message += f'; số dùng làm mã hay tên phải đặt trong ngoặc kép, ví dụ "{value}"'
        problems.append(doc.problem(loc, message, value, code=pydantic_code(err)))
    return problems


def pydantic_message(err: dict) -> str:
    """One pydantic error in Vietnamese (shared by every reader: YAML, CSV, workbook)."""
    if re.fullmatch(CODE_PATTERN, err["type"]):
        return err["msg"]
    template = _PYDANTIC_MESSAGES.get(err["type"])
    ctx = {k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else f"{v:g}" if isinstance(v, float) else v)
           for k, v in (err.get("ctx") or {}).items()}
    if err["type"] in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"])).removeprefix("Assertion failed, ")
    if template is None:
        return f"giá trị không hợp lệ (lỗi kiểu '{err['type']}')"
    try:
        message = template.format(**ctx)
    except (KeyError, IndexError):
        message = template
    if err["type"] in ("literal_error", "enum") and "expected" in ctx:
        message += f"; chấp nhận: {str(ctx['expected']).replace(' or ', ' hoặc ')}"
    return message


def _user_loc(data: Any, loc: Loc, missing: bool = False) -> Loc:
    """Drop the parts pydantic adds for tagged unions and validators; the user never wrote them.

    Walking the data, a string part that is not a key of the mapping at hand (and is not the
    last part of a `missing` error, which names the missing key) is such a tag. So is the
    mapping's own `kind` the first time it appears there, even when a key has the same name
    ({kind: tiers, tiers: [...]}).
    """
    kept: list[str | int] = []
    node = data
    kind_dropped = False
    for index, part in enumerate(loc):
        last = missing and index == len(loc) - 1
        if isinstance(part, str) and not last:
            if not isinstance(node, dict) or part not in node:
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
