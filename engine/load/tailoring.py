"""Tailoring: a criteria file that `extends` another and selects, drops, adds or refines items.

The idea follows XCCDF tailoring and InSpec's include/skip: a province re-issues last year's set
with a few changes, and the change file says only what changed. The result is resolved into one
flat CriteriaSet, validated like any other set, and hashed from its canonical JSON.

Every value of the resolved set remembers the file and YAML path it came from, and every node
remembers which operations of which file touched it. A problem found in the resolved set is
therefore reported against the tailoring file and the line of the operation that caused it
(a `drop` that broke a parent's sum, a `refine` that left a gap in the tiers), never against a
base file that was valid on its own.

Order of operations in one file: set-level keys, select, drop, add, refine.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import yaml
from pydantic import ValidationError

from engine.core.problems import Problem
from engine.core.yamlsource import Loc, YamlDoc, format_loc, load_yaml, validation_problems
from engine.kinds.tree import CriteriaSet, LoadedCriteria, node_max
from engine.load.meaning import check_plain, meaning_problems

OPERATION_KEYS = ("extends", "select", "drop", "add", "refine")
SET_KEYS = tuple(name for name in CriteriaSet.model_fields if name != "items")
REFINE_KEYS = ("title", "description", "max_points", "rule", "provenance", "not_applicable", "applicable_if",
               "remediation", "levels", "applies_to", "scored_by")
ADJUSTMENT_REFINE_KEYS = ("title", "max_points", "rule", "provenance", "remediation", "scored_by")
MERGED_KEYS = ("rule", "provenance", "remediation")


@dataclass(frozen=True)
class Origin:
    """Where a value was written: the document (for its file and lines) and the YAML path in it."""

    doc: YamlDoc
    loc: Loc

    @property
    def line(self) -> int | None:
        return self.doc.line(self.loc)

    def where(self) -> str:
        line = self.line
        return self.doc.file + (f":{line}" if line is not None else "")


class SDict(dict):
    """A mapping that knows where it and each of its keys came from, and what touched it."""

    origin: Origin
    key_origins: dict[str, Origin]
    touches: list[Origin]
    refined_by: list[Origin]


class SList(list):
    origin: Origin


def _annotate(value: Any, doc: YamlDoc, loc: Loc) -> Any:
    """Wrap YAML data so that every container carries its origin."""
    origin = Origin(doc, loc)
    if isinstance(value, dict):
        result = SDict()
        result.origin, result.key_origins, result.touches, result.refined_by = origin, {}, [], []
        for key, item in value.items():
            result[key] = _annotate(item, doc, loc + (key,))
            result.key_origins[key] = Origin(doc, loc + (key,))
        return result
    if isinstance(value, list):
        result_list = SList(_annotate(item, doc, loc + (index,)) for index, item in enumerate(value))
        result_list.origin = origin
        return result_list
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def canonical_json(criteria: CriteriaSet) -> str:
    """The resolved content as canonical JSON: sorted keys, no whitespace, defaults filled in."""
    return json.dumps(criteria.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def resolved_hash(criteria: CriteriaSet) -> str:
    """sha256 of the canonical JSON: equal for sets that mean the same, however they were written."""
    return hashlib.sha256(canonical_json(criteria).encode("utf-8")).hexdigest()


class ResolvedDoc(YamlDoc):
    """The resolved data, reporting each problem against the file and line that caused it."""

    def __init__(self, tailoring: YamlDoc, data: Any, origins: dict[Loc, Origin], touches: dict[Loc, list[Origin]]):
        super().__init__(tailoring.file, data, {}, "")
        self.tailoring = tailoring
        self.origins = origins
        self.touches = touches

    def origin(self, loc: Loc) -> Origin | None:
        loc = tuple(loc)
        while True:
            if loc in self.origins:
                return self.origins[loc]
            if not loc:
                return None
            loc = loc[:-1]

    def line(self, loc: Loc) -> int | None:
        origin = self.origin(loc)
        return origin.line if origin else None

    def problem(self, loc: Loc, message: str, value: Any = None, severity: str = "error", *, code: str) -> Problem:
        origin = self.origin(loc)
        if origin is not None and origin.doc is self.tailoring:
            return origin.doc.problem(origin.loc, message, value, severity, code=code)
        blame = self._touch(loc) or Origin(self.tailoring, ("extends",))
        where = f" (vị trí trong bộ chỉ số đã ghép: {format_loc(loc) or 'gốc'}"
        where += f"; giá trị lấy từ {origin.where()})" if origin is not None else ")"
        return blame.doc.problem(blame.loc, message + where, value, severity, code=code)

    def _touch(self, loc: Loc) -> Origin | None:
        """The last operation of the tailoring file that changed the node at `loc` or one of its parents."""
        loc = tuple(loc)
        while True:
            mine = [t for t in self.touches.get(loc, []) if t.doc is self.tailoring]
            if mine:
                return mine[-1]
            if not loc:
                return None
            loc = loc[:-1]


class ResolvedCriteria(LoadedCriteria):
    """A set resolved from a chain of `extends`; `digest` is the hash of the resolved content."""

    def __init__(self, criteria: CriteriaSet, doc: YamlDoc, warnings: list[Problem], tree: SDict, chain: list[str]):
        super().__init__(criteria, doc, warnings)
        self.tree = tree
        self.chain = chain


def check_document(path: Path, doc: YamlDoc, problems: list[Problem],
                   stack: tuple[Path, ...] = ()) -> tuple[LoadedCriteria | None, list[Problem]]:
    """Check a parsed criteria file: a set written in full, or a tailoring resolved through its `extends` chain."""
    if not isinstance(doc.data, dict):
        return None, problems + [doc.problem((), "tệp bộ chỉ số phải là một bảng khóa–giá trị (id, title, items...)",
                                             code="criteria.not_mapping")]
    if "extends" in doc.data:
        return _check_tailored(path, doc, problems, stack)
    return check_plain(doc, problems)


def _check_file(path: Path, stack: tuple[Path, ...]) -> tuple[LoadedCriteria | None, list[Problem]]:
    doc, problems = load_yaml(path)
    if doc is None:
        return None, problems
    return check_document(path, doc, problems, stack)


def _check_tailored(path: Path, doc: YamlDoc, problems: list[Problem],
                    stack: tuple[Path, ...]) -> tuple[LoadedCriteria | None, list[Problem]]:
    problems = list(problems)
    data = doc.data
    problems += [doc.problem((key,), f"khóa '{key}' không dùng được trong tệp tinh chỉnh (extends); "
                                     f"dùng được: {', '.join(OPERATION_KEYS + SET_KEYS)}"
                             + ("; thêm tiêu chí bằng 'add'" if key == "items" else ""), key,
                             code="tailoring.unknown_key")
                 for key in data if key not in OPERATION_KEYS + SET_KEYS]
    extends = data.get("extends")
    if not isinstance(extends, str) or not extends.strip():
        return None, problems + [doc.problem(("extends",), "extends phải là đường dẫn tới tệp bộ chỉ số gốc "
                                                          "(tương đối so với tệp này)", extends,
                                                 code="tailoring.bad_extends")]
    here = path.resolve()
    base_path = Path(os.path.normpath(path.parent / extends))
    chain = stack + (here,)
    if base_path.resolve() in chain:
        names = " → ".join(p.name for p in chain + (base_path.resolve(),))
        return None, problems + [doc.problem(("extends",), f"vòng lặp extends: {names}", extends,
                                                 code="tailoring.extends_loop")]
    if not base_path.is_file():
        return None, problems + [doc.problem(("extends",), f"không tìm thấy tệp bộ chỉ số gốc {base_path}",
                                                 extends, code="tailoring.base_not_found")]
    base, base_problems = _check_file(base_path, chain)
    base_errors = [p for p in base_problems if p.severity == "error"]
    if base is None or base_errors:
        return None, problems + base_errors + [
            doc.problem(("extends",), f"bộ chỉ số gốc '{extends}' có lỗi; sửa tệp gốc trước", extends,
                        code="tailoring.base_invalid")]

    if isinstance(base, ResolvedCriteria):
        tree, base_chain = base.tree, base.chain
    else:
        tree, base_chain = _annotate(base.doc.data, base.doc, ()), [base.doc.file]
    problems += _apply(tree, doc)
    if [p for p in problems if p.severity == "error"]:
        return None, problems

    origins, touches = _index(tree)
    resolved = ResolvedDoc(doc, _plain(tree), origins, touches)
    try:
        criteria = CriteriaSet.model_validate(resolved.data)
    except ValidationError as exc:
        return None, problems + validation_problems(resolved, exc)
    problems += meaning_problems(criteria, resolved)
    resolved.digest = resolved_hash(criteria)
    if [p for p in problems if p.severity == "error"]:
        return None, problems
    warnings = [p for p in problems if p.severity != "error"]
    return ResolvedCriteria(criteria, resolved, warnings, tree, base_chain + [doc.file]), problems


# ---------------------------------------------------------------- operations


def _touch(node: SDict, origin: Origin) -> None:
    node.touches.append(origin)


def _walk(nodes: list, parents: tuple[SDict, ...]) -> Iterator[tuple[SDict, tuple[SDict, ...], list]]:
    """Every node of the tree with its ancestors and the list that holds it."""
    for node in nodes:
        if not isinstance(node, SDict):
            continue
        yield node, parents, nodes
        children = node.get("children")
        if isinstance(children, list):
            yield from _walk(children, parents + (node,))


def _find(tree: SDict) -> dict[str, tuple[SDict, tuple[SDict, ...], list]]:
    found: dict[str, tuple[SDict, tuple[SDict, ...], list]] = {}
    items = tree.get("items")
    for node, parents, holder in _walk(items if isinstance(items, list) else [], ()):
        found.setdefault(str(node.get("id")), (node, parents, holder))
    adjustments = tree.get("adjustments")
    for adj in adjustments if isinstance(adjustments, list) else []:
        if isinstance(adj, SDict):
            found.setdefault(str(adj.get("id")), (adj, (), adjustments))
    return found


def _id_list(doc: YamlDoc, key: str) -> list[tuple[int, str]]:
    value = doc.data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _OpError(doc.problem((key,), f"{key} phải là danh sách mã tiêu chí, ví dụ [\"1.3\", \"2.1.1\"]", value,
                                   code="tailoring.id_list"))
    return list(enumerate(value))


class _OpError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _bad_id(doc: YamlDoc, loc: Loc, value: Any) -> Problem | None:
    if not isinstance(value, str):
        return doc.problem(loc, "mã tiêu chí phải là chuỗi, đặt trong ngoặc kép (ví dụ \"1.3\"); "
                                "không có ngoặc, YAML đọc 1.10 thành số 1.1", value,
                           code="tailoring.id_not_text")
    return None


def _apply(tree: SDict, doc: YamlDoc) -> list[Problem]:
    """Apply one tailoring file to the annotated tree; return the problems of the operations themselves."""
    problems: list[Problem] = []
    data = doc.data
    for key in SET_KEYS:
        if key not in data:
            continue
        if key == "catalog" and isinstance(data[key], dict) and isinstance(tree.get("catalog"), SDict):
            _merge_catalog(tree["catalog"], data[key], doc)
        else:
            tree[key] = _annotate(data[key], doc, (key,))
            tree.key_origins[key] = Origin(doc, (key,))
    try:
        problems += _select(tree, doc)
        problems += _drop(tree, doc)
        problems += _add(tree, doc)
        problems += _refine(tree, doc)
    except _OpError as exc:
        problems.append(exc.problem)
    return problems


def _merge_catalog(catalog: SDict, change: dict, doc: YamlDoc) -> None:
    """Catalog entries are added or replaced one by one; the base's other entries stay."""
    for group, entries in change.items():
        if isinstance(entries, dict) and isinstance(catalog.get(group), SDict):
            for name, entry in entries.items():
                catalog[group][name] = _annotate(entry, doc, ("catalog", group, name))
                catalog[group].key_origins[name] = Origin(doc, ("catalog", group, name))
        else:
            catalog[group] = _annotate(entries, doc, ("catalog", group))
            catalog.key_origins[group] = Origin(doc, ("catalog", group))


def _select(tree: SDict, doc: YamlDoc) -> list[Problem]:
    """Keep only the selected items (with their sub-items and their parents)."""
    entries = _id_list(doc, "select")
    if "select" not in doc.data:
        return []
    problems: list[Problem] = []
    found = _find(tree)
    keep: set[int] = set()
    whole: set[int] = set()
    for index, value in entries:
        bad = _bad_id(doc, ("select", index), value)
        if bad:
            problems.append(bad)
            continue
        if value not in found or found[value][2] is tree.get("adjustments"):
            problems.append(doc.problem(("select", index), f"không có tiêu chí '{value}' trong bộ chỉ số gốc", value,
                                        code="tailoring.unknown_select"))
            continue
        node, parents, _ = found[value]
        whole.add(id(node))
        keep.update(id(p) for p in parents)
    if problems:
        return problems
    origin = Origin(doc, ("select",))

    def prune(nodes: list, parent: SDict) -> None:
        kept = [n for n in nodes if id(n) in whole or id(n) in keep]
        if len(kept) != len(nodes):
            _touch(parent, origin)
        nodes[:] = kept
        for node in kept:
            if id(node) not in whole and isinstance(node.get("children"), list):
                prune(node["children"], node)

    prune(tree["items"], tree)
    return []


def _remove(tree: SDict, node_id: str, origin: Origin) -> bool:
    found = _find(tree)
    if node_id not in found:
        return False
    node, parents, holder = found[node_id]
    holder[:] = [n for n in holder if n is not node]
    for parent in parents:
        _touch(parent, origin)
    _touch(tree, origin)
    return True


def _drop(tree: SDict, doc: YamlDoc) -> list[Problem]:
    """Remove items (with their whole subtree) or adjustments."""
    problems: list[Problem] = []
    for index, value in _id_list(doc, "drop"):
        bad = _bad_id(doc, ("drop", index), value)
        if bad:
            problems.append(bad)
        elif not _remove(tree, value, Origin(doc, ("drop", index))):
            problems.append(doc.problem(("drop", index), f"không có tiêu chí '{value}' để loại (drop)", value,
                                        code="tailoring.unknown_drop"))
    return problems


def _add(tree: SDict, doc: YamlDoc) -> list[Problem]:
    """Append new items under a parent (`under`), or new areas when `under` is left out."""
    entries = doc.data.get("add")
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [doc.problem(("add",), "add phải là danh sách các mục {under, items}", code="tailoring.add_form")]
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        loc = ("add", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("items"), list) or set(entry) - {"under", "items"}:
            problems.append(doc.problem(loc, "mỗi mục add gồm 'items' (danh sách tiêu chí mới) và 'under' "
                                             "(mã tiêu chí cha; bỏ trống để thêm lĩnh vực)",
                                        code="tailoring.add_form"))
            continue
        origin = Origin(doc, loc)
        under = entry.get("under")
        if under is None:
            holder, parents = tree["items"], ()
        else:
            bad = _bad_id(doc, loc + ("under",), under)
            found = _find(tree)
            if bad or under not in found or found[under][2] is tree.get("adjustments"):
                problems.append(bad or doc.problem(loc + ("under",), f"không có tiêu chí cha '{under}'", under,
                                                                code="tailoring.unknown_parent"))
                continue
            parent, ancestors, _ = found[under]
            if not isinstance(parent.get("children"), list):
                parent["children"] = _annotate([], doc, loc)
                parent.key_origins["children"] = origin
            holder, parents = parent["children"], ancestors + (parent,)
        for item_index, item in enumerate(entry["items"]):
            holder.append(_annotate(item, doc, loc + ("items", item_index)))
        for parent in parents:
            _touch(parent, origin)
        _touch(tree, origin)
    return problems


def _refine(tree: SDict, doc: YamlDoc) -> list[Problem]:
    """Change fields of existing items: title, max_points, rule (merged one level deep), deadlines..."""
    refine = doc.data.get("refine")
    if refine is None:
        return []
    if not isinstance(refine, dict):
        return [doc.problem(("refine",), "refine phải là bảng {mã tiêu chí: {trường: giá trị mới}}",
                            code="tailoring.refine_form")]
    problems: list[Problem] = []
    for node_id, change in refine.items():
        loc = ("refine", node_id)
        found = _find(tree)
        if node_id not in found:
            problems.append(doc.problem(loc, f"không có tiêu chí '{node_id}' để tinh chỉnh (refine)", node_id,
                                        code="tailoring.unknown_refine"))
            continue
        node, parents, holder = found[node_id]
        is_adjustment = holder is tree.get("adjustments")
        allowed = ADJUSTMENT_REFINE_KEYS if is_adjustment else REFINE_KEYS
        if not isinstance(change, dict):
            problems.append(doc.problem(loc, "nội dung tinh chỉnh phải là bảng {trường: giá trị mới}",
                                        code="tailoring.refine_form"))
            continue
        bad_keys = [key for key in change if key not in allowed]
        for key in bad_keys:
            problems.append(doc.problem(loc + (key,), f"không tinh chỉnh được trường '{key}'; dùng được: {', '.join(allowed)}"
                                        + ("; đổi tiêu chí con bằng add/drop" if key == "children" else ""), key,
                                        code="tailoring.refine_key"))
        if bad_keys:
            continue
        origin = Origin(doc, loc)
        for key, value in change.items():
            _refine_field(node, key, value, doc, loc + (key,))
        node.refined_by.append(origin)
        sized = next((key for key in ("max_points", "levels") if key in change), None)
        _touch(node, Origin(doc, loc + (sized,)) if sized else origin)
        if sized:
            for touched in (*parents, tree):
                _touch(touched, Origin(doc, loc + (sized,)))
    return problems


def _refine_field(node: SDict, key: str, value: Any, doc: YamlDoc, loc: Loc) -> None:
    if value is None:
        node.pop(key, None)
        node.key_origins.pop(key, None)
        return
    old = node.get(key)
    same_kind = key != "rule" or not isinstance(value, dict) or "kind" not in value or (
        isinstance(old, dict) and value["kind"] == old.get("kind"))
    if key in MERGED_KEYS and isinstance(old, SDict) and isinstance(value, dict) and same_kind:
        merged = SDict(old)
        merged.origin, merged.key_origins = old.origin, dict(old.key_origins)
        merged.touches, merged.refined_by = list(old.touches), list(old.refined_by)
        for sub, sub_value in value.items():
            if sub_value is None:
                merged.pop(sub, None)
                merged.key_origins.pop(sub, None)
            else:
                merged[sub] = _annotate(sub_value, doc, loc + (sub,))
                merged.key_origins[sub] = Origin(doc, loc + (sub,))
        node[key] = merged
    else:
        node[key] = _annotate(value, doc, loc)
    node.key_origins[key] = Origin(doc, loc)


def _index(tree: SDict) -> tuple[dict[Loc, Origin], dict[Loc, list[Origin]]]:
    """The origin of every path of the resolved data, and the operations that touched each node."""
    origins: dict[Loc, Origin] = {}
    touches: dict[Loc, list[Origin]] = {}

    def visit(value: Any, loc: Loc, origin: Origin) -> None:
        origins[loc] = getattr(value, "origin", origin)
        if isinstance(value, SDict):
            if value.touches:
                touches[loc] = list(value.touches)
            for key, item in value.items():
                key_origin = value.key_origins.get(key, value.origin)
                visit(item, loc + (key,), key_origin)
                if not isinstance(item, (SDict, SList)):
                    origins[loc + (key,)] = key_origin
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, loc + (index,), origins[loc])

    visit(tree, (), tree.origin)
    return origins, touches


# ---------------------------------------------------------------- printing


def resolved_tree(loaded: LoadedCriteria) -> SDict:
    """The annotated tree of any loaded set (a plain file is its own single origin)."""
    if isinstance(loaded, ResolvedCriteria):
        return loaded.tree
    return _annotate(loaded.doc.data, loaded.doc, ())


def resolved_chain(loaded: LoadedCriteria) -> list[str]:
    return loaded.chain if isinstance(loaded, ResolvedCriteria) else [loaded.doc.file]


def _dump(key: str, value: Any) -> list[str]:
    text = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=100000, default_flow_style=False)
    return text.rstrip("\n").split("\n")


def _trace(node: SDict) -> str:
    text = f"nguồn: {node.origin.where()}"
    if node.refined_by:
        text += "; tinh chỉnh: " + ", ".join(o.where() for o in node.refined_by)
    return text


def _emit_node(node: SDict, indent: str, lines: list[str]) -> None:
    lines.append(f"{indent}- {_dump('id', node.get('id'))[0]}  # {_trace(node)}")
    for key, value in node.items():
        if key in ("id", "children"):
            continue
        lines += [f"{indent}  {line}" for line in _dump(key, _plain(value))]
    children = node.get("children")
    if children:
        lines.append(f"{indent}  children:")
        for child in children:
            _emit_node(child, indent + "  ", lines)


def render_resolved(loaded: LoadedCriteria) -> str:
    """The resolved set as YAML that loads back to the same set, each item commented with its source."""
    tree = resolved_tree(loaded)
    lines = [
        f"# Bộ chỉ số đã ghép (resolved): {loaded.criteria.id}",
        "# Chuỗi kế thừa (extends): " + " → ".join(resolved_chain(loaded)),
        f"# Mã băm nội dung (sha256 của JSON chuẩn hóa): {resolved_hash(loaded.criteria)}",
        "# Mỗi mục ghi nguồn tệp:dòng nơi định nghĩa và các lần tinh chỉnh (refine).",
    ]
    for key, value in tree.items():
        if key in ("items", "adjustments"):
            continue
        dumped = _dump(key, _plain(value))
        dumped[0] += f"  # {tree.key_origins.get(key, tree.origin).where()}"
        lines += dumped
    for key in ("items", "adjustments"):
        if tree.get(key):
            lines.append(f"{key}:")
            for node in tree[key]:
                _emit_node(node, "", lines)
    return "\n".join(lines) + "\n"


def render_outline(loaded: LoadedCriteria) -> str:
    """The tree of a set in a few words per item: id, title, maximum, rule kind, and what is illustrative."""
    criteria = loaded.criteria
    tree = resolved_tree(loaded)
    lines = [f"{criteria.id}: {criteria.title}",
             f"Cấp {criteria.level}, năm {criteria.year}; tối đa {criteria.max_points:g} điểm, "
             f"trong đó điều tra xã hội học {criteria.survey_points:g}",
             "Nguồn: " + " → ".join(resolved_chain(loaded)),
             f"Mã băm nội dung: {resolved_hash(criteria)}",
             ""]
    annotated = {str(node.get("id")): node for node, _, _ in _walk(tree.get("items") or [], ())}

    def visit(nodes, depth: int) -> None:
        for node in nodes:
            marks = []
            if node.rule is not None:
                marks.append(node.rule.kind)
            if node.provenance is not None and node.provenance.illustrative:
                marks.append("minh họa")
            source = annotated.get(node.id)
            if source is not None and source.refined_by:
                marks.append("tinh chỉnh: " + ", ".join(o.where() for o in source.refined_by))
            lines.append(f"{'  ' * depth}{node.id} {node.title} — {node_max(node, criteria.level):g} điểm"
                         + (f" [{'; '.join(marks)}]" if marks else ""))
            visit(node.children, depth + 1)

    visit(criteria.items, 0)
    for adj in criteria.adjustments:
        word = "thưởng" if adj.kind == "bonus" else "trừ"
        lines.append(f"{adj.id} {adj.title} — {word} tối đa {adj.max_points:g} điểm [{adj.rule.kind}]")
    return "\n".join(lines) + "\n"
