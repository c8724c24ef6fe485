"""Reading a criteria file: parse, validate, resolve tailoring, check meaning; every problem in one pass."""

from __future__ import annotations

from pathlib import Path

from engine.core.problems import InputError, Problem
from engine.core.yamlsource import load_yaml
from engine.kinds.tree import LoadedCriteria
from engine.load.tailoring import check_document


def check_criteria_file(path: Path) -> tuple[LoadedCriteria | None, list[Problem]]:
    """Parse, validate and check a criteria file; return the set (if valid) and all problems found."""
    doc, problems = load_yaml(path)
    if doc is None:
        return None, problems
    return check_document(path, doc, problems)


def load_criteria(path: Path) -> LoadedCriteria:
    """Load a criteria set or raise InputError with every problem."""
    loaded, problems = check_criteria_file(path)
    errors = [p for p in problems if p.severity == "error"]
    if loaded is None or errors:
        raise InputError(errors or problems)
    return loaded
