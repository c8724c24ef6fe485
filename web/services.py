"""The one place where the portal calls the engine (engine.api only): scoring, entry checks, reports, workbooks.

Views never compute points or decide round rules; they call these functions with the unit's evidence
file and its record entries (read from the database) and show what comes back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine import api
from engine.api import InputError, Problem

_HAS_CODES = "code" in Problem.model_fields


def problem(code: str, **fields) -> Problem:
    """A Problem with its stable code (the field arrives with the problem-codes change)."""
    return Problem(**fields, **({"code": code} if _HAS_CODES else {}))


@dataclass(frozen=True)
class ScoreOutcome:
    """The engine's view of one unit: its result as JSON data, or the problems of its evidence."""

    unit: dict | None
    problems: list[Problem]


def entry_payload(entry) -> dict:
    """A database entry in the record-entry shape of the engine (issue 11's JSON contract)."""
    return {
        "round": entry.round,
        "criterion": entry.criterion,
        "points": float(entry.points) if entry.points is not None else None,
        "by": entry.by_name,
        "role": entry.role,
        "at": entry.at.isoformat(),
        "reason": entry.reason,
        "explanation_requested": entry.explanation_requested,
        "question": entry.question,
        "evidence_refs": list(entry.evidence_refs),
    }


def criteria_problems(path: Path) -> list[Problem]:
    """Every schema and meaning problem of an uploaded criteria set (with YAML path and line)."""
    return api.validate([path])


def score_unit(criteria: Path, evidence: Path, unit_code: str, entries: list[dict], now: datetime) -> ScoreOutcome:
    """Score one unit's evidence file; a file of another unit is a problem, never scored under this unit."""
    try:
        run = api.score_files(criteria, [evidence])
    except InputError as exc:
        return ScoreOutcome(None, exc.problems)
    result = run.unit(unit_code)
    if result is None:
        found = ", ".join(u.unit_id for u in run.units)
        return ScoreOutcome(None, [problem("web.other_unit", file=evidence.name, value=found,
                                           message=f"tệp minh chứng này là của đơn vị khác, không phải của {unit_code}")])
    data = json.loads(api.as_json(run))
    unit = next(u for u in data["units"] if u["unit_id"] == unit_code)
    unit["record"] = entries
    return ScoreOutcome(unit, [])


def check_entry(round_open: bool, deadline_text: str, node: dict | None, proposed: dict) -> list[Problem]:
    """Refusals of a proposed entry (interim: window, unknown criterion, points within [0, max], reason required)."""
    problems: list[Problem] = []
    where = f"tiêu chí {proposed.get('criterion') or ''}".strip()
    if not round_open:
        problems.append(problem("round.closed", file=where, value=deadline_text,
                                message=f"vòng này đã khóa (hạn {deadline_text}); liên hệ Phòng Nội vụ để mở khóa"))
    if proposed.get("criterion") and node is None:
        problems.append(problem("entry.unknown_criterion", file=where, value=proposed["criterion"],
                                message="không có tiêu chí này trong bộ chỉ số"))
    points = proposed.get("points")
    if node is not None and points is not None:
        if points < 0 or points > node["max_points"]:
            problems.append(problem("entry.points_range", file=where, value=f"{points:g}",
                                    message=f"điểm phải từ 0 đến {node['max_points']:g}"))
        if abs(points - node["points"]) > 1e-9 and not (proposed.get("reason") or "").strip():
            problems.append(problem("entry.reason_required", file=where, value=f"{points:g}",
                                    message="điểm khác điểm tính từ minh chứng thì phải ghi lý do"))
    return problems


def template(criteria: Path, unit_code: str, name: str, level: str, year: int) -> bytes:
    """The evidence workbook the unit fills."""
    return api.template(criteria, unit_code, name=name, level=level or None, year=year)[1]


def _run(criteria: Path, evidence: list[Path]):
    return api.score_files(criteria, evidence)


def report(criteria: Path, evidence: list[Path], fmt: str) -> bytes:
    """The scoring sheet(s) of the given evidence files."""
    return api.report(_run(criteria, evidence), fmt)


def plan(criteria: Path, evidence: list[Path], fmt: str, province: bool = False) -> bytes:
    """The corrective plan of each unit, or the province's plan."""
    return api.plan(_run(criteria, evidence), fmt, province)


def problem_rows(problems: list[Problem]) -> list[dict]:
    """Problems as plain data kept with an upload and shown to the person who sent the file."""
    return [{"file": p.file, "place": p.place(), "sheet": p.sheet, "row": p.row, "column": p.column,
             "value": p.value, "message": p.message, "code": getattr(p, "code", "")} for p in problems]
