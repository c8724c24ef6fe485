"""criteria diff: added, removed, changed items (max, tiers, deadlines, rule kind, title) and the effect per area."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from engine.authoring.diff import diff_criteria, diff_json, diff_text
from engine.load.criteria import load_criteria

ROOT = Path(__file__).resolve().parent.parent

OLD = """\
id: cu
title: Bộ cũ
level: xa
year: 2024
max_points: 10
catalog:
  documents:
    ke_hoach: {label: Kế hoạch CCHC năm}
  metrics:
    da_xu_ly: {label: Số việc đã xử lý}
    phai_xu_ly: {label: Số việc phải xử lý}
  facts:
    co_a: {label: Điều kiện A}
items:
  - id: "1"
    title: Chỉ đạo điều hành
    max_points: 6
    children:
      - id: "1.1"
        title: Kế hoạch
        max_points: 2
        rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 12, year_offset: -1}, late_points: 1}
      - id: "1.2"
        title: Tỷ lệ xử lý
        max_points: 4
        rule:
          kind: tiers
          value: {ratio: [da_xu_ly, phai_xu_ly]}
          tiers:
            - {min: 90, min_inclusive: false, max: 100, max_inclusive: true, points: 4}
            - {min: 0, max: 90, max_inclusive: true, points: 0}
  - id: "2"
    title: Thể chế
    max_points: 4
    children:
      - id: "2.1"
        title: Điều kiện A
        max_points: 4
        rule: {kind: pass_fail, condition: {fact: co_a}}
"""

NEW = """\
extends: cu.yaml
id: moi
year: 2025
max_points: 11
drop: ["2.1"]
add:
  - under: "2"
    items:
      - {id: "2.2", title: Chấm thủ công, max_points: 3, rule: {kind: manual}}
  - items:
      - id: "3"
        title: Lĩnh vực mới
        max_points: 2
        children:
          - {id: "3.1", title: Mới, max_points: 2, rule: {kind: manual}}
refine:
  "1":
    max_points: 6
  "1.1":
    title: Ban hành kế hoạch
    rule: {deadline: {day: 10, month: 1}}
  "1.2":
    rule:
      tiers:
        - {min: 80, max: 100, max_inclusive: true, points: 4}
        - {min: 0, max: 80, points: 0}
  "2":
    max_points: 3
"""


@pytest.fixture
def sets(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "cu.yaml", tmp_path / "moi.yaml"
    old.write_text(OLD, encoding="utf-8")
    new.write_text(NEW, encoding="utf-8")
    return old, new


def compute(old: Path, new: Path):
    return diff_criteria(load_criteria(old), load_criteria(new), str(old), str(new))


def test_added_removed_changed_and_area_effects(sets):
    diff = compute(*sets)
    assert [(i.id, i.new_max) for i in diff.added] == [("2.2", 3), ("3", 2), ("3.1", 2)]
    assert [(i.id, i.old_max) for i in diff.removed] == [("2.1", 4)]
    changes = {i.id: {c.field: (c.old, c.new) for c in i.changes} for i in diff.changed}
    assert changes["1.1"]["title"] == ("Kế hoạch", "Ban hành kế hoạch")
    assert changes["1.1"]["rule.deadline"] == ("ngày 31/12 năm trước năm đánh giá", "ngày 10/01 năm đánh giá")
    assert changes["1.2"]["rule.tiers"] == ("trên 90% đến 100% → 4; từ 0% đến 90% → 0", "từ 80% đến 100% → 4; từ 0% đến dưới 80% → 0")
    assert changes["2"]["max_points"] == ("4", "3")
    assert "1" not in changes, "area 1 keeps its maximum and title"
    assert [(a.id, a.old_max, a.new_max, a.delta) for a in diff.areas] == [
        ("1", 6, 6, 0), ("2", 4, 3, -1), ("3", None, 2, 2)]
    assert (diff.old_total, diff.new_total) == (10, 11)
    set_changes = {c.field: (c.old, c.new) for c in diff.set_changes}
    assert set_changes["year"] == ("2024", "2025") and set_changes["max_points"] == ("10", "11")


def test_rule_kind_and_max_changes_are_named(tmp_path, sets):
    old, _ = sets
    new = tmp_path / "kind.yaml"
    new.write_text('extends: cu.yaml\nmax_points: 12\nrefine:\n  "2": {max_points: 6}\n'
                   '  "2.1":\n    max_points: 6\n    rule: {kind: manual}\n', encoding="utf-8")
    diff = compute(old, new)
    [item] = [i for i in diff.changed if i.id == "2.1"]
    fields = {c.field: (c.old, c.new) for c in item.changes}
    assert fields["rule.kind"] == ("pass_fail", "manual")
    assert fields["max_points"] == ("4", "6")
    assert (item.old_max, item.new_max) == (4, 6)


def test_identical_sets_have_no_changes(sets):
    old, _ = sets
    diff = compute(old, old)
    assert diff.empty and "Không có thay đổi." in diff_text(diff)


def test_text_is_vietnamese_and_json_round_trips(sets):
    diff = compute(*sets)
    text = diff_text(diff)
    assert "Thêm mới (3):" in text and "Bỏ (1):" in text and "Thay đổi (" in text
    assert "  - 2.1 Điều kiện A (4 điểm)" in text
    assert "      hạn: ngày 31/12 năm trước năm đánh giá → ngày 10/01 năm đánh giá" in text
    assert "  2. Thể chế: 4 → 3 (−1)" in text and "  3. Lĩnh vực mới: — → 2 (+2)" in text
    assert "  Tổng: 10 → 11 (+1)" in text
    data = json.loads(diff_json(diff))
    assert data["removed"][0]["id"] == "2.1" and data["areas"][1]["delta"] == -1


def test_cli_diff(sets):
    old, new = sets
    runner = CliRunner()
    result = runner.invoke(app, ["criteria", "diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert "So sánh bộ chỉ số: cu" in result.output
    as_json = runner.invoke(app, ["criteria", "diff", str(old), str(new), "--format", "json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["new"]["id"] == "moi"
    missing = runner.invoke(app, ["criteria", "diff", str(old), str(old.parent / "khong-co.yaml")])
    assert missing.exit_code == 2 and "khong-co.yaml" in missing.output


def test_shipped_commune_to_department_diff():
    diff = compute(ROOT / "criteria" / "xa-2024.yaml", ROOT / "criteria" / "so-2025.yaml")
    assert {i.id for i in diff.removed} == {"3.4", "3.4.1", "8.2", "8.2.1"}
    assert {a.id: a.delta for a in diff.areas} == {"1": 0, "2": 2, "3": 3, "4": 0, "5": 1, "6": 2, "7": 2, "8": -10}
    assert diff.old_total == diff.new_total == 100
