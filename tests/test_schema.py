"""The JSON Schema shipped for editors matches the models, and every shipped criteria set validates against it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, criteria_dict

from engine.core.yamlsource import load_yaml
from engine.kinds.tree import criteria_json_schema

SCHEMA_FILE = ROOT / "docs" / "criteria.schema.json"
SETS = sorted((ROOT / "criteria").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA_FILE.exists():
        pytest.fail("docs/criteria.schema.json is missing; run: python3 cli.py schema -o docs/criteria.schema.json")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def standalone_sets() -> list[Path]:
    """Sets that do not `extends` another (those are completed by the loader, not by the schema)."""
    out = []
    for path in SETS:
        doc, problems = load_yaml(path)
        assert doc is not None, problems
        if "extends" not in doc.data:
            out.append(path)
    return out


def test_shipped_schema_equals_the_models():
    assert SCHEMA_FILE.exists(), "run: python3 cli.py schema -o docs/criteria.schema.json"
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == criteria_json_schema()


def test_there_is_a_standalone_set():
    assert ROOT / "criteria" / "xa-2024.yaml" in standalone_sets()


@pytest.mark.parametrize("path", standalone_sets(), ids=lambda p: p.name)
def test_criteria_sets_validate_against_the_schema(validator, path):
    doc, _ = load_yaml(path)  # dates stay text, as the engine reads them
    errors = sorted(validator.iter_errors(doc.data), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


@pytest.mark.parametrize("change, where", [
    ({"colour": "đỏ"}, []),  # unknown key at the top
    ({"max_points": "một trăm"}, ["max_points"]),
    ({"year": 2024.5}, ["year"]),
])
def test_schema_rejects_what_the_loader_rejects(validator, change, where):
    data = {**criteria_dict({"kind": "manual"}), **change}
    errors = list(validator.iter_errors(data))
    assert errors and [list(e.absolute_path) for e in errors][0] == where


def test_schema_rejects_an_unknown_rule_kind_and_an_unknown_rule_key(validator):
    assert list(validator.iter_errors(criteria_dict({"kind": "dat_khong_dat"})))
    assert list(validator.iter_errors(criteria_dict({"kind": "manual", "diem": 1})))
    assert list(validator.iter_errors(criteria_dict({"kind": "manual"}))) == []


def test_schema_accepts_every_condition_form(validator):
    condition = {"all_of": [{"fact": "co_a"}, {"any_of": [{"document": "ke_hoach", "deadline": {"day": 31, "month": 3}},
                                                         {"not": {"metric": "so_hop", "op": ">=", "target": 2}}]},
                            {"ratio": ["da_xu_ly", "phai_xu_ly"], "op": ">", "target": 50}]}
    assert list(validator.iter_errors(criteria_dict({"kind": "pass_fail", "condition": condition}))) == []
