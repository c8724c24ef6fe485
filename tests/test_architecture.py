"""The layering contract: engine imports point one way, no cycles, no hidden function-level imports, CLI via the api."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    proc = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def _nested_engine_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for top in tree.body:
        if isinstance(top, (ast.Import, ast.ImportFrom)):
            continue
        for node in ast.walk(top):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("engine")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            elif isinstance(node, ast.Import) and any(a.name.startswith("engine") for a in node.names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_function_level_import_of_an_engine_module():
    found = [hit for path in sorted(ENGINE.rglob("*.py")) + [ROOT / "cli.py"] for hit in _nested_engine_imports(path)]
    assert found == []


def test_cli_reaches_the_engine_only_through_the_api():
    """cli.py loads engine.api lazily (by name, so --help does not import the engine): names count like imports."""
    tree = ast.parse((ROOT / "cli.py").read_text(encoding="utf-8"))
    modules = {f"{node.module}.{a.name}" if node.module == "engine" else node.module
               for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module for a in node.names}
    modules |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    modules |= {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
                and re.fullmatch(r"engine(\.\w+)*", node.value)}
    assert {m for m in modules if m.startswith("engine")} == {"engine.api"}


def test_the_cli_imports_no_engine_module_until_a_command_runs():
    """Start-up (--help) must not pay for building the engine's models, nor for importing rich."""
    code = "import sys, cli; print(sorted(m for m in sys.modules if m.startswith('engine.')))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "['engine.api']"
    code = ("import sys, cli\ntry:\n    cli.app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(type(sys.modules['engine.api']).__name__, 'engine.kinds' in sys.modules, 'rich.console' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "_LazyModule False False"


def test_no_relative_imports_in_the_engine():
    """Absolute imports name the layer in every line, so a wrong direction is visible in review too."""
    relative = [f"{p.relative_to(ROOT)}:{n.lineno}" for p in sorted(ENGINE.rglob("*.py"))
                for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))) if isinstance(n, ast.ImportFrom) and n.level]
    assert relative == []


WEB = ROOT / "web"


def test_the_web_application_reaches_the_engine_only_through_the_api():
    """The portal calls engine.api like the CLI does; scoring and round rules are never reimplemented in Django."""
    modules = set()
    for path in sorted(WEB.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules |= {f"{node.module}.{a.name}" if node.module == "engine" else node.module
                    for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module for a in node.names}
        modules |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert {m for m in modules if m.startswith("engine")} == {"engine.api"}
