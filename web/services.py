"""The one place where the portal calls the engine (engine.api only): assessment, entry checks, scoring, reports.

Views and domain code never compute points or decide round rules. They pass the unit's evidence
files (per round) and its record entries (from the database) to these functions, which build the
engine's assessment, let the engine refuse or accept a proposed entry, and score the unit with its
record exactly as `parindex` does with files.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml

from engine import api
from engine.api import InputError, Problem

ROLE_TO_ENGINE = {"unit": "unit", "appraiser": "appraiser", "office": "office_admin"}


def problem(*, code: str, **fields) -> Problem:
    """A Problem with its stable code."""
    return Problem(code=code, **fields)


def problem_rows(problems: list[Problem]) -> list[dict]:
    """Problems as plain data kept with an upload and shown to the person who sent the file."""
    return [{"file": p.file, "place": p.place(), "sheet": p.sheet, "row": p.row, "column": p.column,
             "value": p.value, "message": p.message, "code": p.code} for p in problems]


def criteria_problems(path: Path) -> list[Problem]:
    """Every schema and meaning problem of an uploaded criteria set (with YAML path and line)."""
    return api.validate([path])


# ---- the assessment as the engine sees it ---------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    self_open: date
    self_deadline: date
    appraisal_1: date
    explanation: date
    appraisal_2: date
    publication: date


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def assessment_yaml(code: str, title: str, year: int, criteria: Path, criteria_sha256: str, units: list[str],
                    schedule: Schedule, bonus_cap: float | None, penalty_cap: float | None) -> str:
    """The engine's assessment file for a database assessment (also offered for download with the records)."""
    data = {
        "id": code, "title": title, "year": year, "criteria": criteria.name, "criteria_hash": criteria_sha256,
        "units": units or ["(chua-co-don-vi)"], "evidence": {"self": "minh-chung"}, "records": "ho-so",
        "schedule": {"self_assessment": {"start": _day(schedule.self_open), "end": _day(schedule.self_deadline)},
                     "appraisal_1": _day(schedule.appraisal_1), "explanation": _day(schedule.explanation),
                     "appraisal_2": _day(schedule.appraisal_2), "publication": _day(schedule.publication)},
        "caps": {"bonus": bonus_cap, "penalty": penalty_cap},
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


_cache: dict[str, api.LoadedAssessment] = {}
_cache_lock = threading.Lock()


def load_assessment(folder: Path, text: str) -> api.LoadedAssessment:
    """The engine's assessment for this text, written next to the criteria file once and kept in memory."""
    key = f"{folder}:{hashlib.sha256(text.encode()).hexdigest()}"
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    path = folder / f"danh-gia-{hashlib.sha256(text.encode()).hexdigest()[:12]}.yaml"
    for name in ("minh-chung", "ho-so"):  # the portal passes each unit's files itself; the folders stay empty
        (folder / name).mkdir(parents=True, exist_ok=True)
    if not path.exists():
        api.write_output(path, text)
    loaded = api.load_assessment(path)
    with _cache_lock:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = loaded
    return loaded


def for_unit(la: api.LoadedAssessment, self_evidence: Path, explanation_evidence: Path | None) -> api.LoadedAssessment:
    """The same assessment with one unit's evidence files per round (the portal keeps each unit's files apart)."""
    evidence = la.assessment.evidence.model_copy(update={"self": str(self_evidence), "explanation":
                                                         str(explanation_evidence) if explanation_evidence else None})
    return api.LoadedAssessment(la.assessment.model_copy(update={"evidence": evidence}), la.file, la.digest,
                                la.criteria, la.base)


# ---- entries ----------------------------------------------------------------------------------------------------

def engine_entry(assessment_code: str, unit_code: str, *, round_: str, kind: str, criterion: str,
                 points: float | None, by: str, role: str, at: datetime, reason: str, explanation_requested: bool,
                 question: str, refs: list[dict], until: date | None, source: str = "") -> api.Entry:
    """A record entry in the engine's terms; `refs` are {document, number, page}."""
    return api.Entry(assessment=assessment_code, unit=unit_code, round=round_, kind=kind, criterion=criterion or None,
                     points=points, by=by, role=ROLE_TO_ENGINE[role], at=at, reason=reason or None,
                     explanation_requested=explanation_requested, question=question or None,
                     evidence_refs=[api.EvidenceRef(**{k: v for k, v in r.items() if v}) for r in refs], until=until,
                     source=source or None)


@dataclass(frozen=True)
class UnitEngine:
    """One unit's assessment with its evidence loaded and scored per round."""

    la: api.LoadedAssessment
    unit: str
    bundles: dict
    computed: dict


def unit_engine(la: api.LoadedAssessment, unit: str, self_evidence: Path, explanation_evidence: Path | None
                ) -> UnitEngine:
    """Read and score the unit's evidence per round; InputError with every problem of its files."""
    scoped = for_unit(la, self_evidence, explanation_evidence)
    found = api.assessment_evidence(scoped)
    bundles = found.get(unit)
    if bundles is None:
        raise InputError([problem(code="web.other_unit", file=self_evidence.name, value=", ".join(sorted(found)),
                                  message=f"tệp minh chứng này là của đơn vị khác, không phải của đơn vị {unit}")])
    return UnitEngine(scoped, unit, bundles, api.computed_rounds(scoped, bundles))


def check_evidence(la: api.LoadedAssessment, unit: str, self_evidence: Path, explanation_evidence: Path | None
                   ) -> list[Problem]:
    """The problems of a unit's evidence file (none: the engine reads and scores it)."""
    try:
        unit_engine(la, unit, self_evidence, explanation_evidence)
    except InputError as exc:
        return exc.problems
    return []


def refusals(engine: UnitEngine, existing: list[api.Entry], proposed: list[api.Entry], now: datetime
             ) -> list[Problem]:
    """Why the engine refuses the proposed entries (empty: they may be stored)."""
    return api.validate_entries(engine.la, engine.unit, engine.computed, existing, proposed, now)


def score(engine: UnitEngine, entries: list[api.Entry]) -> dict:
    """The unit scored with its record, as the JSON data of `parindex score` (computed/self/appraised/final)."""
    run = api.score_assessment(engine.la, {engine.unit: engine.bundles}, {engine.unit: entries})
    data = json.loads(api.as_json(run))
    return next(u for u in data["units"] if u["unit_id"] == engine.unit)


# ---- round workbooks (appraisal, explanation) ----------------------------------------------------------------

def round_workbook(engine: UnitEngine, entries: list[api.Entry], round_: str) -> bytes:
    """The unit's appraisal or explanation workbook for a round, filled with its points as they stand."""
    run = api.score_assessment(engine.la, {engine.unit: engine.bundles}, {engine.unit: entries})
    return api.round_workbook(engine.la, run, engine.unit, round_)


@dataclass(frozen=True)
class FilledWorkbook:
    """A filled round workbook read by the engine: proposed entries, their cells, and the problems of its cells."""

    entries: list
    places: list
    problems: list
    letters: dict | None


def read_round_workbook(engine: UnitEngine, data: bytes, file: str, now: datetime) -> FilledWorkbook:
    """The entries of a filled workbook of this unit (another unit's or assessment's workbook is a problem)."""
    _, entries, places, problems = api.workbook_entries(engine.la, data, file, now, engine.unit)
    return FilledWorkbook(entries, places, problems, api.workbook_columns(data, file))


def workbook_refusals(engine: UnitEngine, existing: list[api.Entry], filled: FilledWorkbook, entries: list,
                      places: list, now: datetime) -> list[Problem]:
    """The assessment's rules applied to a workbook's entries, each refusal at its cell; a workbook already
    recorded is refused."""
    return api.check_workbook_entries(engine.la, engine.unit, engine.computed, existing, entries, places, now,
                                      filled.letters)


def compare(engines: list[UnitEngine], entries: dict[str, list[api.Entry]], before: str, after: str):
    """The engine's comparison of two rounds over these units: each criterion whose points changed, and why."""
    return api.compare_run_rounds(_run(engines, entries), before, after)


# ---- documents --------------------------------------------------------------------------------------------------

def template(criteria: Path, unit_code: str, name: str, level: str, year: int) -> bytes:
    """The evidence workbook the unit fills."""
    return api.template(criteria, unit_code, name=name, level=level or None, year=year)[1]


def report(engines: list[UnitEngine], entries: dict[str, list[api.Entry]], fmt: str) -> bytes:
    """Scoring sheets (with self, appraised and final points) of the given units."""
    return api.report(_run(engines, entries), fmt)


def plan(engines: list[UnitEngine], entries: dict[str, list[api.Entry]], fmt: str, province: bool = False) -> bytes:
    """The corrective plan of each unit, or the province's plan."""
    return api.plan(_run(engines, entries), fmt, province)


def _run(engines: list[UnitEngine], entries: dict[str, list[api.Entry]]):
    la = engines[0].la
    return api.score_assessment(la, {e.unit: e.bundles for e in engines}, entries)
