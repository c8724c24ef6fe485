"""Shared builders: a one-leaf criteria set around a given rule, and an evidence bundle for one unit.

Sets and bundles are plain dicts so a test states only what it varies; `write_*` puts them in
tmp_path as YAML (for the file readers and the CLI), `loaded_*` builds them in memory (fast, for
the evaluator and the properties).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from engine.core.yamlsource import YamlDoc
from engine.load.meaning import meaning_problems
from engine.kinds.tree import CriteriaSet, LoadedCriteria
from engine.model.evidence import Bundle, LoadedBundle
from engine.model.results import NodeResult, UnitResult
from engine.score.unit import score_unit

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
SAMPLE_EVIDENCE = ROOT / "evidence" / "vung-tau-2024"

CATALOG = {
    "documents": {
        "ke_hoach": {"label": "Kế hoạch CCHC năm"},
        "quyet_dinh": {"label": "Quyết định giao nhiệm vụ"},
        "bao_cao_1": {"label": "Báo cáo quý I"},
        "bao_cao_2": {"label": "Báo cáo 6 tháng"},
        "bao_cao_3": {"label": "Báo cáo quý III"},
    },
    "metrics": {
        "so_hop": {"label": "Số cuộc họp", "unit": "cuộc"},
        "da_xu_ly": {"label": "Số việc đã xử lý", "unit": "việc"},
        "phai_xu_ly": {"label": "Số việc phải xử lý", "unit": "việc"},
    },
    "facts": {
        "co_a": {"label": "Điều kiện A"},
        "co_b": {"label": "Điều kiện B"},
        "co_c": {"label": "Điều kiện C"},
    },
}

RATIO = {"ratio": ["da_xu_ly", "phai_xu_ly"]}


def criteria_dict(rule: dict, *, max_points: float = 4, leaf: dict | None = None, sibling: dict | None = None,
                  **set_keys) -> dict:
    """A set with area "1" holding leaf "1.1" (the rule under test) and, optionally, a sibling leaf."""
    leaf_node = {"id": "1.1", "title": "Tiêu chí thử", "max_points": max_points, "rule": rule, **(leaf or {})}
    children = [leaf_node] + ([sibling] if sibling else [])
    total = sum(child["max_points"] for child in children)
    survey = sum(child["max_points"] for child in children if child["rule"]["kind"] == "survey")
    data = {
        "id": "thu-2024", "title": "Bộ chỉ số thử", "level": "xa", "year": 2024,
        "max_points": total, "survey_points": survey,
        "catalog": copy.deepcopy(CATALOG),
        "items": [{"id": "1", "title": "Lĩnh vực thử", "max_points": total, "children": children}],
    }
    data.update(set_keys)
    return data


def bundle_dict(*, unit_id: str = "don-vi-a", name: str = "UBND Phường A", as_of: str = "31/12/2024",
                metrics: dict | None = None, documents: list[dict] | None = None, **keys) -> dict:
    """A bundle for year 2024; `metrics` maps names to values, `documents` are {kind, issue_date, ...}."""
    data = {
        "unit": {"id": unit_id, "name": name, "level": "xa"},
        "period": {"year": 2024, "start": "01/01/2024", "end": "31/12/2024"},
        "as_of": as_of,
        "metrics": [{"name": k, "value": v, "source": "Sổ theo dõi"} for k, v in (metrics or {}).items()],
        "documents": [{"number": f"{i + 1}/KH-UBND", **d} for i, d in enumerate(documents or [])],
    }
    data.update(keys)
    return data


def write_yaml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_criteria(tmp_path: Path, rule: dict, name: str = "bo-chi-so.yaml", **kwargs) -> Path:
    """Write a one-leaf criteria set with `rule` (see criteria_dict) to tmp_path."""
    return write_yaml(tmp_path / name, criteria_dict(rule, **kwargs))


def loaded_criteria(data: dict) -> LoadedCriteria:
    """An in-memory set that passed every check a file would (fails the test otherwise)."""
    criteria = CriteriaSet.model_validate(data)
    doc = YamlDoc("bo-chi-so.yaml", data, {}, "criteria-digest")
    errors = [p.render() for p in meaning_problems(criteria, doc) if p.severity == "error"]
    assert not errors, errors
    return LoadedCriteria(criteria, doc, [])


def loaded_bundle(data: dict, file: str = "don-vi.yaml") -> LoadedBundle:
    return LoadedBundle(Bundle.model_validate(data), file, "evidence-digest", [])


def score(rule: dict, bundle: dict | None = None, **criteria_kwargs) -> UnitResult:
    """Score one bundle against the one-leaf set built around `rule`."""
    return score_unit(loaded_criteria(criteria_dict(rule, **criteria_kwargs)), loaded_bundle(bundle or bundle_dict()))


def node(unit: UnitResult, node_id: str = "1.1") -> NodeResult:
    return next(n for n in unit.nodes if n.id == node_id)


def leaf(rule: dict, bundle: dict | None = None, **criteria_kwargs) -> NodeResult:
    """The result of leaf 1.1 for one rule and one bundle."""
    return node(score(rule, bundle, **criteria_kwargs))


@pytest.fixture(scope="session")
def sample_run():
    """The bundled sample: 17 wards against xa-2024."""
    from engine.load.criteria import load_criteria
    from engine.load.evidence import load_bundles
    from engine.score.run import score_run

    return score_run(load_criteria(SAMPLE_CRITERIA), load_bundles([SAMPLE_EVIDENCE]), SAMPLE_CRITERIA)


SEEDS = ROOT.parent / "shared" / "seeds"


def require_seeds() -> Path:
    """The real seed documents beside the repository; under CI (env CI set) their absence fails, never skips."""
    if not SEEDS.is_dir():
        message = f"seed folder {SEEDS} is absent (shared/ must sit next to the repository)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SEEDS
