"""Tailoring: extends with select/drop/add/refine, chains, cycles, and errors located in the file that caused them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from engine.core.problems import InputError
from engine.load.criteria import check_criteria_file, load_criteria
from engine.load.tailoring import ResolvedCriteria, canonical_json, render_outline, render_resolved, resolved_hash
from engine.kinds.tree import CriteriaSet, iter_nodes

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
id: base
title: Bộ gốc
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
    title: Lĩnh vực một
    max_points: 6
    children:
      - id: "1.1"
        title: Kế hoạch
        max_points: 2
        rule:
          kind: timeliness
          document: ke_hoach
          deadline: {day: 31, month: 12, year_offset: -1}
          late_points: 1
        remediation:
          task: Ban hành kế hoạch của {unit}
          lead: Văn phòng
      - id: "1.2"
        title: Tỷ lệ xử lý
        max_points: 4
        provenance: {decision: QĐ 1/QĐ-UBND, note: gốc}
        rule:
          kind: tiers
          value: {ratio: [da_xu_ly, phai_xu_ly]}
          tiers:
            - {min: 90, min_inclusive: false, max: 100, max_inclusive: true, points: 4}
            - {min: 70, max: 90, max_inclusive: true, points: 2}
            - {min: 0, max: 70, points: 0}
  - id: "2"
    title: Lĩnh vực hai
    max_points: 4
    children:
      - id: "2.1"
        title: Điều kiện A
        max_points: 4
        rule: {kind: pass_fail, condition: {fact: co_a}}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle` (for asserting reported lines)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def errors(path: Path):
    loaded, problems = check_criteria_file(path)
    return loaded, [p for p in problems if p.severity == "error"]


def ids(criteria: CriteriaSet) -> list[str]:
    return [node.id for node, _, _ in iter_nodes(criteria.items)]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return write(tmp_path, "base.yaml", BASE)


def test_plain_set_is_unchanged_by_the_extends_hook(base):
    loaded, problems = errors(base)
    assert problems == []
    assert not isinstance(loaded, ResolvedCriteria)
    assert loaded.digest == hashlib.sha256(base.read_bytes()).hexdigest()


def test_drop_removes_a_subtree_and_the_author_fixes_the_sums(tmp_path, base):
    path = write(tmp_path, "t.yaml", """\
extends: base.yaml
id: t
max_points: 6
drop: ["2"]
""")
    loaded, problems = errors(path)
    assert problems == []
    assert ids(loaded.criteria) == ["1", "1.1", "1.2"]
    assert loaded.criteria.max_points == 6
    assert loaded.criteria.id == "t"


def test_drop_that_breaks_a_sum_is_reported_at_the_drop_line(tmp_path, base):
    path = write(tmp_path, "t.yaml", """\
extends: base.yaml
id: t
drop:
  - "1.1"
""")
    loaded, problems = errors(path)
    assert loaded is None
    assert {p.file for p in problems} == {str(path)}
    by_code = {p.code: p for p in problems}
    assert set(by_code) == {"criteria.points_sum", "criteria.set_points_sum"}
    parent = by_code["criteria.points_sum"]
    assert (parent.line, parent.path, parent.value) == (line_of(path, '- "1.1"'), "drop[0]", "6.0")
    assert "items[0].max_points" in parent.message and "base.yaml" in parent.message  # where in the resolved set
    total = by_code["criteria.set_points_sum"]
    assert (total.line, total.path) == (line_of(path, '- "1.1"'), "drop[0]")


def test_select_keeps_the_selected_items_with_their_parents(tmp_path, base):
    path = write(tmp_path, "t.yaml", """\
extends: base.yaml
id: t
max_points: 4
select: ["1.2"]
refine:
  "1":
    max_points: 4
""")
    loaded, problems = errors(path)
    assert problems == []
    assert ids(loaded.criteria) == ["1", "1.2"]


def test_select_of_an_unknown_id_is_an_error_at_its_line(tmp_path, base):
    path = write(tmp_path, "t.yaml", 'extends: base.yaml\nselect:\n  - "1.2"\n  - "9.9"\n')
    _, problems = errors(path)
    assert [(p.code, p.path, p.line, p.value) for p in problems] == [("tailoring.unknown_select", "select[1]", 4, "9.9")]


def test_refine_changes_max_tiers_deadline_title_and_merges_one_level(tmp_path, base):
    path = write(tmp_path, "t.yaml", """\
extends: base.yaml
id: t
max_points: 12
refine:
  "1":
    max_points: 8
  "1.1":
    title: Kế hoạch năm (đã sửa)
    rule:
      deadline: {day: 10, month: 1}
    remediation:
      lead: Phòng Nội vụ
  "1.2":
    max_points: 6
    provenance: {note: sửa năm sau, illustrative: true}
    rule:
      tiers:
        - {min: 80, max: 100, max_inclusive: true, points: 6}
        - {min: 0, max: 80, points: 0}
""")
    loaded, problems = errors(path)
    assert problems == []
    nodes = {node.id: node for node, _, _ in iter_nodes(loaded.criteria.items)}
    plan = nodes["1.1"]
    assert plan.title == "Kế hoạch năm (đã sửa)"
    assert (plan.rule.deadline.day, plan.rule.deadline.month, plan.rule.deadline.year_offset) == (10, 1, 0)
    assert plan.rule.late_points == 1, "keys of the rule not refined are kept"
    assert plan.remediation.lead == "Phòng Nội vụ" and plan.remediation.task == "Ban hành kế hoạch của {unit}"
    ratio = nodes["1.2"]
    assert ratio.max_points == 6 and [t.points for t in ratio.rule.tiers] == [6, 0]
    assert ratio.provenance.decision == "QĐ 1/QĐ-UBND" and ratio.provenance.illustrative is True
    assert ratio.provenance.note == "sửa năm sau"


def test_refine_with_another_rule_kind_replaces_the_rule(tmp_path, base):
    path = write(tmp_path, "t.yaml", """\
extends: base.yaml
refine:
  "1.2":
    rule: {kind: manual, guidance: Hội đồng chấm}
""")
    loaded, problems = errors(path)
    assert problems == []
    rule = next(n for n, _, _ in iter_nodes(loaded.criteria.items) if n.id == "1.2").rule
    assert rule.kind == "manual" and rule.guidance == "Hội đồng chấm"


def test_refine_that_leaves_a_tier_gap_is_reported_at_the_tier_line(tmp_path, base):
    path = write(tmp_path, "t.yaml", """\
extends: base.yaml
refine:
  "1.2":
    rule:
      tiers:
        - {min: 95, max: 100, max_inclusive: true, points: 4}
        - {min: 0, max: 90, points: 0}
""")
    loaded, problems = errors(path)
    assert loaded is None
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == str(path)
    assert problem.line == line_of(path, "min: 95")
    assert (problem.path, problem.code, problem.value) == ("refine.1.2.rule.tiers[0]", "criteria.tier_gap", "95.0")


def test_refine_of_max_below_tier_points_is_reported_at_the_max_line(tmp_path, base):
    path = write(tmp_path, "t.yaml", 'extends: base.yaml\nrefine:\n  "1.2":\n    max_points: 3\n')
    _, problems = errors(path)
    assert {p.file for p in problems} == {str(path)}
    assert {p.line for p in problems} == {4}
    assert {(p.code, p.value) for p in problems} >= {("criteria.points_above_max", "4.0"), ("criteria.points_sum", "6.0")}


def test_refine_rejects_unknown_ids_and_fields(tmp_path, base):
    path = write(tmp_path, "t.yaml", """\
extends: base.yaml
refine:
  "7.7": {title: x}
  "1.1":
    children: []
""")
    _, problems = errors(path)
    assert [(p.code, p.path, p.line) for p in problems] == [
        ("tailoring.unknown_refine", "refine.7.7", 3), ("tailoring.refine_key", "refine.1.1.children", 5)]


def test_ids_must_be_strings_and_items_is_not_allowed(tmp_path, base):
    path = write(tmp_path, "t.yaml", "extends: base.yaml\ndrop: [1.1]\nitems: []\n")
    _, problems = errors(path)
    assert {(p.path, p.code) for p in problems} == {("drop[0]", "tailoring.id_not_text"), ("items", "tailoring.unknown_key")}


def test_add_appends_items_and_errors_in_them_point_at_the_tailoring_file(tmp_path, base):
    good = write(tmp_path, "good.yaml", """\
extends: base.yaml
max_points: 11
add:
  - under: "2"
    items:
      - id: "2.2"
        title: Mới
        max_points: 1
        rule: {kind: manual}
refine:
  "2": {max_points: 5}
""")
    loaded, problems = errors(good)
    assert problems == []
    assert ids(loaded.criteria)[-2:] == ["2.1", "2.2"]
    bad = write(tmp_path, "bad.yaml", """\
extends: base.yaml
add:
  - under: "2"
    items:
      - id: "3.1"
        title: Sai mã
        max_points: 0
        rule: {kind: manual}
""")
    _, problems = errors(bad)
    assert [(p.code, p.file, p.line, p.path) for p in problems] == [
        ("criteria.child_id_prefix", str(bad), 5, "add[0].items[0].id")]


def test_a_chain_of_extends_resolves_in_order(tmp_path, base):
    write(tmp_path, "mid.yaml", 'extends: base.yaml\nid: mid\nrefine:\n  "1.1": {title: Từ tệp giữa}\n')
    (tmp_path / "sub").mkdir()
    top = write(tmp_path / "sub", "top.yaml", 'extends: ../mid.yaml\nid: top\nyear: 2025\n')
    loaded, problems = errors(top)
    assert problems == []
    assert isinstance(loaded, ResolvedCriteria)
    assert loaded.chain == [str(base), str(tmp_path / "mid.yaml"), str(top)]
    assert (loaded.criteria.id, loaded.criteria.year) == ("top", 2025)
    assert next(n for n, _, _ in iter_nodes(loaded.criteria.items) if n.id == "1.1").title == "Từ tệp giữa"


def test_an_error_caused_two_levels_down_is_reported_in_the_file_that_made_it(tmp_path, base):
    write(tmp_path, "mid.yaml", 'extends: base.yaml\nrefine:\n  "1.1": {title: Giữa}\n')
    top = write(tmp_path, "top.yaml", 'extends: mid.yaml\ndrop: ["2.1"]\n')
    _, problems = errors(top)
    assert problems and {p.file for p in problems} == {str(top)}
    assert {p.path for p in problems} == {"drop[0]"}


def test_cycles_are_reported(tmp_path):
    a = write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    _, problems = errors(a)
    assert ("tailoring.extends_loop", str(tmp_path / "b.yaml"), "a.yaml") in [(p.code, p.file, p.value) for p in problems]
    self_loop = write(tmp_path, "self.yaml", "extends: self.yaml\n")
    _, problems = errors(self_loop)
    assert [(p.code, p.path, p.value) for p in problems] == [("tailoring.extends_loop", "extends", "self.yaml")]


def test_missing_or_invalid_base_is_reported(tmp_path, base):
    missing = write(tmp_path, "m.yaml", "extends: nowhere.yaml\n")
    _, problems = errors(missing)
    assert [(p.code, p.path, p.value) for p in problems] == [("tailoring.base_not_found", "extends", "nowhere.yaml")]
    write(tmp_path, "broken.yaml", BASE.replace("max_points: 10", "max_points: 11"))
    child = write(tmp_path, "c.yaml", "extends: broken.yaml\n")
    _, problems = errors(child)
    assert [(p.code, p.file) for p in problems] == [("criteria.set_points_sum", str(tmp_path / "broken.yaml")),
                                                   ("tailoring.base_invalid", str(child))]


def test_resolved_hash_is_of_the_content_not_of_the_files(tmp_path, base):
    same = write(tmp_path, "same.yaml", "extends: base.yaml\n")
    loaded = load_criteria(same)
    assert loaded.digest == resolved_hash(load_criteria(base).criteria)
    assert loaded.digest != hashlib.sha256(same.read_bytes()).hexdigest()
    other = write(tmp_path, "other.yaml", "extends: base.yaml\nyear: 2025\n")
    assert load_criteria(other).digest != loaded.digest
    assert canonical_json(loaded.criteria).startswith('{"adjustments":[]')


def test_render_resolved_loads_back_to_the_same_set_with_a_trace(tmp_path, base):
    path = write(tmp_path, "t.yaml", 'extends: base.yaml\nid: t\nrefine:\n  "1.2": {title: Đã sửa}\n')
    loaded = load_criteria(path)
    text = render_resolved(loaded)
    again = CriteriaSet.model_validate(yaml.safe_load(text))
    assert resolved_hash(again) == loaded.digest
    defined = line_of(base, '- id: "1.2"')
    assert f"- id: '1.2'  # nguồn: {base}:{defined}; tinh chỉnh: {path}:4" in text
    assert f"id: t  # {path}:2" in text
    assert f"{loaded.digest}" in text
    assert "1.2 Đã sửa — 4 điểm [tiers; tinh chỉnh:" in render_outline(loaded)


def test_inputs_are_not_modified(tmp_path, base):
    path = write(tmp_path, "t.yaml", 'extends: base.yaml\ndrop: ["2"]\nmax_points: 6\n')
    before = {p: p.read_bytes() for p in (base, path)}
    load_criteria(path)
    assert {p: p.read_bytes() for p in (base, path)} == before


def test_load_criteria_raises_with_every_problem(tmp_path, base):
    path = write(tmp_path, "t.yaml", 'extends: base.yaml\ndrop: ["9"]\nrefine:\n  "8": {title: x}\n')
    with pytest.raises(InputError) as info:
        load_criteria(path)
    assert [p.path for p in info.value.problems] == ["drop[0]", "refine.8"]


def test_cli_criteria_show(tmp_path, base):
    path = write(tmp_path, "t.yaml", "extends: base.yaml\nid: t\n")
    runner = CliRunner()
    result = runner.invoke(app, ["criteria", "show", "--resolved", str(path)])
    assert result.exit_code == 0, result.output
    assert "# nguồn:" in result.output and CriteriaSet.model_validate(yaml.safe_load(result.output)).id == "t"
    outline = runner.invoke(app, ["criteria", "show", str(path)])
    assert outline.exit_code == 0 and "1.2 Tỷ lệ xử lý — 4 điểm [tiers]" in outline.output
    bad = write(tmp_path, "bad.yaml", 'extends: base.yaml\ndrop: ["9"]\n')
    failed = runner.invoke(app, ["criteria", "show", str(bad)])
    assert failed.exit_code == 2 and "không có tiêu chí '9'" in failed.output


def test_shipped_tailored_sets_resolve():
    so = load_criteria(ROOT / "criteria" / "so-2025.yaml")
    assert isinstance(so, ResolvedCriteria)
    assert (so.criteria.level, so.criteria.year, so.criteria.survey_points, so.criteria.max_points) == ("so", 2025, 15, 100)
    assert "3.4" not in ids(so.criteria) and "3.6.1" in ids(so.criteria)
    bands = load_criteria(ROOT / "criteria" / "tinh-qd876-bands-2022.yaml").criteria
    assert [b.label for b in bands.bands][:3] == ["Nhóm A", "Nhóm B", "Nhóm C"]
    base = load_criteria(ROOT / "criteria" / "tinh-qd876.yaml").criteria
    assert bands.items == base.items and [b.label for b in base.bands][:2] == ["Nhóm A", "Nhóm B"]
