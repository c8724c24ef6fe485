"""A small assessment written to a folder: a three-leaf set with a bonus and a penalty, two units, a schedule.

Leaves: 1.1 manual (max 2), 1.2 a fact (max 3), 1.3 survey (max 5); T1 bonus (one point per initiative,
max 2; the year's cap is 1.5), P1 penalty (max 1). Unit don-vi-a has the fact, don-vi-b does not.
"""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path

from conftest import CATALOG, bundle_dict, write_yaml

from engine.model.assessment import VN_TIME, Entry

ASSESSMENT_ID = "thu-2024"

SET = {
    "id": "bo-thu-2024", "title": "Bộ chỉ số thử", "level": "xa", "year": 2024, "max_points": 10, "survey_points": 5,
    "rounding": 2,
    "catalog": copy.deepcopy(CATALOG),
    "bands": [{"label": "Tốt", "min": 80, "max": 100, "max_inclusive": True}, {"label": "Khá", "min": 50, "max": 80},
              {"label": "Yếu", "min": 0, "max": 50}],
    "items": [{"id": "1", "title": "Lĩnh vực thử", "max_points": 10, "children": [
        {"id": "1.1", "title": "Sáng kiến", "max_points": 2, "rule": {"kind": "manual"}},
        {"id": "1.2", "title": "Có điều kiện A", "max_points": 3, "rule": {"kind": "pass_fail", "condition": {"fact": "co_a"}}},
        {"id": "1.3", "title": "Hài lòng", "max_points": 5, "rule": {"kind": "survey"}},
    ]}],
    "adjustments": [
        {"id": "T1", "title": "Sáng kiến được công nhận", "kind": "bonus", "max_points": 2,
         "rule": {"kind": "count", "value": {"metric": "so_hop"}, "points_per_item": 1}},
        {"id": "P1", "title": "Vi phạm", "kind": "penalty", "max_points": 1,
         "rule": {"kind": "pass_fail", "condition": {"fact": "co_c"}}},
    ],
}

ASSESSMENT = {
    "id": ASSESSMENT_ID, "title": "Đợt đánh giá thử 2024", "year": 2024, "criteria": "bo-thu.yaml",
    "units": ["don-vi-a", "don-vi-b"],
    "evidence": {"self": "minh-chung"},
    "records": "ho-so",
    "schedule": {"self_assessment": {"start": "02/12/2024", "end": "20/12/2024"}, "appraisal_1": "10/01/2025",
                 "explanation": "17/01/2025", "appraisal_2": "31/01/2025", "publication": "14/02/2025"},
    "caps": {"bonus": 1.5},
}


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    d, m, y = (int(x) for x in day.split("/"))
    return datetime(y, m, d, hour, minute, tzinfo=VN_TIME)


def write_assessment(folder: Path, assessment: dict | None = None, criteria: dict | None = None,
                     explanation: dict[str, dict] | None = None) -> Path:
    write_yaml(folder / "bo-thu.yaml", criteria or SET)
    write_yaml(folder / "minh-chung" / "don-vi-a.yaml",
               bundle_dict(unit_id="don-vi-a", name="UBND Phường A", metrics={"co_a": "có", "so_hop": 0}))
    write_yaml(folder / "minh-chung" / "don-vi-b.yaml",
               bundle_dict(unit_id="don-vi-b", name="UBND Phường B", metrics={"co_a": "không", "so_hop": 1}))
    data = copy.deepcopy(assessment or ASSESSMENT)
    if explanation:
        data["evidence"]["explanation"] = "giai-trinh"
        for unit, bundle in explanation.items():
            write_yaml(folder / "giai-trinh" / f"{unit}.yaml", bundle)
    return write_yaml(folder / "danh-gia.yaml", data)


def entry(unit: str = "don-vi-a", **fields) -> Entry:
    """An entry with defaults: a unit's self-score of 1.1 on 10/12/2024."""
    data = {"assessment": ASSESSMENT_ID, "unit": unit, "round": "self", "kind": "score", "criterion": "1.1",
            "points": 2, "by": "Nguyễn Văn A", "role": "unit", "at": at("10/12/2024"), "reason": "Có sáng kiến X"}
    data.update(fields)
    return Entry.model_validate(data)
