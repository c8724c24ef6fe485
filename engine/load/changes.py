"""Evidence changes for what-if, read from a YAML/JSON file or from command-line options; every problem in one pass."""

from __future__ import annotations

from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from engine.core.problems import Problem
from engine.core.yamlsource import load_yaml, validation_problems
from engine.model.changes import Change, ChangeList

ARGS = "(tham số)"
_CHANGE = TypeAdapter(Change)


def read_changes_file(path: Path) -> tuple[list[Change], list[Problem]]:
    """A changes file: {changes: [...]} or a bare list of changes."""
    doc, problems = load_yaml(path, vi_numbers=True)
    if doc is None:
        return [], problems
    data = {"changes": doc.data} if isinstance(doc.data, list) else doc.data
    if not isinstance(data, dict):
        return [], problems + [doc.problem((), "tệp thay đổi phải là danh sách các thay đổi hoặc có khóa changes",
                                           code="changes.not_list")]
    try:
        parsed = ChangeList.model_validate(data)
    except ValidationError as exc:
        if isinstance(doc.data, list):
            return [], problems + _list_problems(doc, exc)
        return [], problems + validation_problems(doc, exc)
    return list(parsed.changes), [p for p in problems if p.severity == "error"]


def _list_problems(doc, exc: ValidationError) -> list[Problem]:
    """Errors of a bare list, placed at the list index (the wrapper key is not in the file)."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"][1:]) if err["loc"] and err["loc"][0] == "changes" else tuple(err["loc"])
        problems.append(doc.problem(loc[:1], str((err.get("ctx") or {}).get("error", err["msg"])), code="changes.invalid"))
    return problems


def _split(option: str, text: str, need_value: bool) -> tuple[str, str | None, Problem | None]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not name or (need_value and (not sep or not value.strip())):
        example = {"--metric": "results_digitized=131 hoặc results_digitized+=23", "--document": "ke_hoach_kiem_tra=15/03/2024",
                   "--task": "7=20/03/2024", "--na": "2.1.1=Không có văn bản phải ban hành"}[option]
        return name, None, Problem(code="args.bad_change", file=ARGS, path=option, value=text, message=f"cần dạng {example}")
    return name, (value.strip() if sep else None), None


def option_changes(metrics: list[str], documents: list[str], tasks: list[str], not_applicable: list[str]
                   ) -> tuple[list[Change], list[Problem]]:
    """Changes written as options: --metric NAME=VALUE (or NAME+=N), --document KIND[=DATE], --task ID[=DATE], --na ID[=WHY]."""
    raw: list[tuple[str, str, dict]] = []
    problems: list[Problem] = []
    for text in metrics:
        name, value, problem = _split("--metric", text, True)
        if problem:
            problems.append(problem)
        elif name.endswith("+"):
            raw.append(("--metric", text, {"metric": name[:-1].strip(), "add": value}))
        else:
            raw.append(("--metric", text, {"metric": name, "value": value}))
    for option, items, key, extra in (("--document", documents, "document", "issued"), ("--task", tasks, "task", "done"),
                                      ("--na", not_applicable, "not_applicable", "justification")):
        for text in items:
            name, value, problem = _split(option, text, False)
            if problem:
                problems.append(problem)
            else:
                raw.append((option, text, {key: name, **({extra: value} if value else {})}))
    changes: list[Change] = []
    for option, text, data in raw:
        try:
            changes.append(_CHANGE.validate_python(data))
        except ValidationError as exc:
            reasons = "; ".join(str((e.get("ctx") or {}).get("error", e["msg"])) for e in exc.errors(include_url=False))
            problems.append(Problem(code="args.bad_change", file=ARGS, path=option, value=text, message=reasons))
    return changes, problems
