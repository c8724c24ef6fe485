"""Every Problem carries a stable code, and docs/problems.md lists exactly the codes the engine and the portal use.

Codes are found in the source, not by running it: the string literals given as `code=` to any call
or assigned to a variable `code`, and those of tables named *_CODE or *_CODES (pydantic error types,
OS errors, YAML syntax errors, tier and band checks). A construction of Problem (or a call of a `problem` helper, `invalid` or FormatError)
without `code=` fails here before it can fail at run time.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

from engine.core.problems import CODE_PATTERN

ROOT = Path(__file__).resolve().parent.parent
# The portal (web/) reports through the same Problem, so its codes are listed in the same document.
SOURCES = sorted((ROOT / "engine").rglob("*.py")) + [ROOT / "cli.py"] + sorted((ROOT / "web").rglob("*.py"))
DOC = ROOT / "docs" / "problems.md"
NEEDS_CODE = {"Problem", "problem", "invalid", "FormatError"}
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_CODE_CELL = re.compile(r"`([^`]+)`")


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _literals(node: ast.AST) -> list[str]:
    """The codes an expression given as code= can take: a literal, or literals in `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _scan() -> tuple[dict[str, list[str]], list[str]]:
    """Code → places that use it, and the calls that should carry a code but do not."""
    used: dict[str, list[str]] = {}
    missing: list[str] = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            found: list[str] = []
            if isinstance(node, ast.Call):
                code = next((k for k in node.keywords if k.arg == "code"), None)
                if code is not None:
                    found = _literals(code.value)
                elif _name(node.func) in NEEDS_CODE and not any(k.arg is None for k in node.keywords):
                    missing.append(f"{where}:{node.lineno}")
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
                if any(name == "code" or name.endswith(("_CODE", "_CODES")) for name in names):
                    found = [s for s in _strings(node.value) if re.fullmatch(CODE_PATTERN, s)]
            for code in found:
                used.setdefault(code, []).append(f"{where}:{node.lineno}")
    return used, missing


def _documented() -> dict[str, tuple[str, str]]:
    """Rows of the code tables: | `code` | when | message |."""
    rows: dict[str, tuple[str, str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in _CELL_SEPARATOR.split(line.strip())]
        if len(cells) != 5 or cells[0] or cells[-1]:
            continue
        match = _CODE_CELL.fullmatch(cells[1])
        if match:
            code, when, message = match.group(1), cells[2], cells[3]
            assert code not in rows, f"{code} is documented twice"
            rows[code] = (when, message)
    return rows


def test_every_problem_is_built_with_a_code():
    _, missing = _scan()
    assert missing == [], "calls without code=: " + ", ".join(missing)


def test_every_code_has_the_dotted_shape():
    used, _ = _scan()
    bad = {code: places for code, places in used.items() if not re.fullmatch(CODE_PATTERN, code)}
    assert bad == {}


def test_every_used_code_is_documented():
    used, _ = _scan()
    undocumented = {code: places for code, places in sorted(used.items()) if code not in _documented()}
    assert undocumented == {}, "add these rows to docs/problems.md"


def test_every_documented_code_is_used():
    used, _ = _scan()
    stale = sorted(set(_documented()) - set(used))
    assert stale == [], "remove these rows from docs/problems.md (no code uses them)"


def test_every_row_says_when_and_gives_the_vietnamese_message():
    for code, (when, message) in _documented().items():
        assert when and message, code
        assert unicodedata.is_normalized("NFC", message), code


# ---------------------------------------------------------------- one way to report (docs/problems.md)

MAY_HOLD_PROBLEMS = {"TestReport"}  # the `parindex test` report lists the input problems it met, in its JSON


def _functions() -> list[tuple[str, ast.FunctionDef]]:
    return [(str(path.relative_to(ROOT)), node) for path in SOURCES
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef)]


def test_results_do_not_hold_problems():
    """Problems come beside a value (value, problems) or in an InputError, not inside a result model."""
    holding = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name not in MAY_HOLD_PROBLEMS:
                holding += [f"{node.name}.{field.target.id}" for field in node.body
                            if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                            and "Problem" in ast.unparse(field.annotation)]
    assert holding == []


def test_readers_returning_problems_never_raise_them():
    """A public reader that returns (value, problems) reports bad input in the list, never as InputError.

    engine.api is the strict layer: each of its functions raises InputError for invalid input,
    and may return warnings beside its value.
    """
    raising = []
    for where, function in _functions():
        if where == "engine/api.py":
            continue
        returns = ast.unparse(function.returns) if function.returns else ""
        if function.name.startswith("_") or not (returns.startswith("tuple[") and "list[Problem]" in returns):
            continue
        body = [node for statement in function.body for node in ast.walk(statement)]
        if any(isinstance(node, ast.Raise) and node.exc is not None and "InputError" in ast.unparse(node.exc)
               for node in body):
            raising.append(f"{where}:{function.lineno} {function.name}")
    assert raising == []
