"""A catalogue of bad and hostile inputs, each with the exact outcome a user must get.

Every case writes its inputs under <case>/in (small ones from tests/hostile/files, big ones generated
here), runs one `parindex` command from <case> (so default outputs land in <case>/out) and states the
exit code and the problem codes (or the statuses, the deadline reading, the literal text) expected.
tests/test_hostile.py runs them in a subprocess worker with a time bound per case and checks, for
every case, that no traceback was printed and that no input file changed (bytes and modification time).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

FILES = Path(__file__).resolve().parent / "files"

Build = Callable[[Path], list[str]]
Check = Callable[[Path, dict[str, Any]], "str | None"]


@dataclass(frozen=True)
class Case:
    """One hostile input: how to build it, the command, and the exact expected outcome."""

    id: str
    build: Build
    exit: int
    codes: tuple[str, ...] = ()
    statuses: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    last: str | None = None
    stdout_has: tuple[str, ...] = ()
    output_has: tuple[str, ...] = ()
    output_lacks: tuple[str, ...] = ()
    check: Check | None = None


CASES: list[Case] = []


def case(id: str, build: Build, exit: int, **expected: Any) -> None:
    assert all(c.id != id for c in CASES), id
    CASES.append(Case(id, build, exit, **expected))


# ---------------------------------------------------------------- base inputs

CRITERIA = """\
id: thu-2024
title: Bộ chỉ số thử
level: xa
year: 2024
max_points: 20
survey_points: 0
catalog:
  documents:
    ke_hoach: {label: Kế hoạch CCHC năm}
  metrics:
    a: {label: Số cuộc họp, unit: cuộc}
    da_xu_ly: {label: Số việc đã xử lý, unit: việc}
    phai_xu_ly: {label: Số việc phải xử lý, unit: việc}
    hai_long: {label: Mức độ hài lòng, unit: "%"}
    von: {label: Vốn giải ngân, unit: tỷ đồng, scale: amount}
  facts:
    f1: {label: Điều kiện F1}
items:
  - id: "1"
    title: Lĩnh vực một
    max_points: 10
    children:
      - id: "1.1"
        title: Kế hoạch
        max_points: 2
        rule: {kind: timeliness, document: ke_hoach, deadline: {day: 31, month: 12, year_offset: -1}, late_points: 1}
      - id: "1.2"
        title: Số cuộc họp
        max_points: 3
        rule: {kind: count, value: {metric: a}, points_per_item: 0.5}
      - id: "1.3"
        title: Tỷ lệ xử lý
        max_points: 3
        rule:
          kind: tiers
          value: {ratio: [da_xu_ly, phai_xu_ly]}
          tiers:
            - {min: 90, max: 100, max_inclusive: true, points: 3}
            - {min: 0, max: 90, points: 0}
      - id: "1.4"
        title: Hài lòng
        max_points: 2
        rule:
          kind: tiers
          value: {metric: hai_long}
          tiers:
            - {min: 90, points: 2}
            - {min: 0, max: 90, points: 0}
  - id: "2"
    title: Lĩnh vực hai
    max_points: 10
    children:
      - id: "2.1"
        title: Điều kiện
        max_points: 5
        rule: {kind: pass_fail, condition: {fact: f1}}
      - id: "2.2"
        title: Vốn
        max_points: 5
        rule:
          kind: tiers
          value: {metric: von}
          tiers:
            - {min: 10, points: 5}
            - {min: 0, max: 10, points: 0}
"""

BUNDLE = """\
unit:
  id: u1
  name: UBND Phường Một
  level: xa
period:
  year: 2024
  start: 01/01/2024
  end: 31/12/2024
as_of: 31/12/2024
documents:
  - {kind: ke_hoach, number: 1/KH-UBND, issue_date: 20/12/2023, title: Kế hoạch CCHC năm 2024}
metrics:
  - {name: a, value: 6, source: Sổ họp}
  - {name: da_xu_ly, value: 95, source: Sổ theo dõi}
  - {name: phai_xu_ly, value: 100, source: Sổ theo dõi}
  - {name: hai_long, value: 95, source: Khảo sát}
  - {name: von, value: 12.5, source: Kho bạc}
  - {name: f1, value: có, source: Biên bản}
"""


def put(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def swap(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def criteria(d: Path, text: str = CRITERIA, name: str = "bo.yaml") -> str:
    put(d / "in" / name, text)
    return f"in/{name}"


def bundle(d: Path, text: str = BUNDLE, name: str = "u1.yaml") -> str:
    put(d / "in" / "ev" / name, text)
    return f"in/ev/{name}"


def score(bundle_text: str = BUNDLE, criteria_text: str = CRITERIA, extra: tuple[str, ...] = ("-f", "json")) -> Build:
    def build(d: Path) -> list[str]:
        return ["score", bundle(d, bundle_text), "-c", criteria(d, criteria_text), *extra]
    return build


def metric(name: str, value: str) -> str:
    """BUNDLE with one metric's value replaced (as YAML text)."""
    olds = {"a": "value: 6,", "da_xu_ly": "value: 95, source: Sổ theo dõi", "phai_xu_ly": "value: 100,",
            "hai_long": "value: 95, source: Khảo sát", "von": "value: 12.5,", "f1": "value: có,"}
    old = olds[name]
    return swap(BUNDLE, f"{{name: {name}, {old}", f"{{name: {name}, " + old.replace(old.split(",")[0], f"value: {value}"))


def from_files(name: str, target: str) -> Callable[[Path], Path]:
    def copy(d: Path) -> Path:
        path = d / "in" / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FILES / name, path)
        return path
    return copy


# ---------------------------------------------------------------- 1. YAML that expands, refers to itself, nests, or is huge

def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


case("yaml-alias-bomb-criteria", lambda d: ["validate", criteria(d, alias_bomb())], 2, codes=("yaml.too_many_values",))
case("yaml-alias-bomb-bundle", score(alias_bomb()), 2, codes=("yaml.too_many_values",))
case("yaml-alias-bomb-in-metrics", score(BUNDLE + "notes: &n [" + ", ".join(["x"] * 1000) + "]\nx1: &m [" + ", ".join(
    ["*n"] * 300) + "]\n"), 2, codes=("yaml.too_many_values",))
case("yaml-self-reference-mapping", score("unit: &u\n  id: u1\n  self: *u\n"), 2, codes=("yaml.self_reference",))
case("yaml-self-reference-list", lambda d: ["validate", criteria(d, "items: &l\n  - *l\n")], 2,
     codes=("yaml.self_reference",))
case("yaml-self-reference-criteria-deep", lambda d: ["validate", criteria(d, swap(
    CRITERIA, "items:\n", "items: &root\n").replace('rule: {kind: pass_fail, condition: {fact: f1}}',
                                                   'rule: {kind: pass_fail, condition: *root}'))], 2,
     codes=("yaml.self_reference",))
case("yaml-flow-nesting-5000", score("a: " + "[" * 5000 + "]" * 5000 + "\n"), 2, codes=("yaml.too_deep",))
case("yaml-flow-nesting-100", lambda d: ["validate", criteria(d, "a: " + "{b: " * 100 + "1" + "}" * 100 + "\n")], 2,
     codes=("yaml.too_deep",))
case("yaml-block-nesting-300", score("".join("  " * i + "k:\n" for i in range(300)) + "  " * 300 + "1\n"), 2,
     codes=("yaml.too_deep",))
case("yaml-list-nesting-200", lambda d: ["validate", criteria(d, "".join("  " * i + "-\n" for i in range(200)))], 2,
     codes=("yaml.too_deep",))
case("yaml-file-6mb", lambda d: ["validate", criteria(d, "notes: '" + "x" * (6 * 1024 * 1024) + "'\n")], 2,
     codes=("file.too_large",))
case("yaml-bundle-6mb", score(BUNDLE + "notes: '" + "x" * (6 * 1024 * 1024) + "'\n"), 2, codes=("file.too_large",))
case("yaml-huge-integer", score(swap(BUNDLE, "value: 6,", "value: " + "9" * 5000 + ",")), 2, codes=("yaml.bad_number",))
case("yaml-python-tag", score(swap(BUNDLE, "value: 6,", "value: !!python/object:os.system 'ls',")), 2,
     codes=("yaml.tag",))
case("yaml-python-name-tag", lambda d: ["validate", criteria(d, swap(CRITERIA, "title: Bộ chỉ số thử",
                                                                       "title: !!python/name:os.system"))], 2,
     codes=("yaml.tag",))
case("yaml-many-anchors-ok", score(BUNDLE + "notes: &n ghi chú\n"), 0)

# ---------------------------------------------------------------- 2. YAML syntax and shape

SYNTAX_CODES = {
    "tab-indent": "yaml.tab_indent",
    "unclosed-double-quote": "yaml.unclosed_quote",
    "unclosed-single-quote": "yaml.unclosed_quote",
    "unclosed-flow-list": "yaml.unclosed_list",
    "unclosed-flow-map": "yaml.unclosed_mapping",
    "bad-indent": "yaml.misplaced_colon",
    "two-documents": "yaml.second_document",
    "undefined-alias": "yaml.unknown_alias",
    "bad-escape": "yaml.bad_escape",
    "percent-directive": "yaml.bad_directive",
    "at-sign-start": "yaml.bad_start",
    "control-character": "yaml.control_character",
    "colon-in-value": "yaml.misplaced_colon",
    "duplicate-anchor-name": "yaml.duplicate_anchor",
}
SYNTAX = {
    "tab-indent": swap(BUNDLE, "  id: u1", "\tid: u1"),
    "unclosed-double-quote": swap(BUNDLE, "name: UBND Phường Một", 'name: "UBND Phường Một'),
    "unclosed-single-quote": swap(BUNDLE, "name: UBND Phường Một", "name: 'UBND Phường Một"),
    "unclosed-flow-list": swap(BUNDLE, "  - {name: a, value: 6, source: Sổ họp}", "  - {name: a, value: [6, source: Sổ họp}"),
    "unclosed-flow-map": swap(BUNDLE, "  - {name: a, value: 6, source: Sổ họp}", "  - {name: a, value: 6, source: Sổ họp"),
    "bad-indent": swap(BUNDLE, "  name: UBND Phường Một", "   name: UBND Phường Một"),
    "two-documents": BUNDLE + "---\nunit: {id: u2}\n",
    "colon-in-value": swap(BUNDLE, "name: UBND Phường Một", "name: UBND: Phường: Một: x: y"),
    "undefined-alias": swap(BUNDLE, "level: xa", "level: *xa"),
    "control-character": swap(BUNDLE, "UBND Phường Một", "UBND Phường\x07 Một"),
    "bad-escape": swap(BUNDLE, "name: UBND Phường Một", 'name: "UBND \\q"'),
    "duplicate-anchor-name": BUNDLE + "x: &a 1\ny: &a 2\nz: [*a]\n",
    "percent-directive": "%FOO bar\n---\n" + BUNDLE,
    "at-sign-start": swap(BUNDLE, "name: UBND Phường Một", "name: @UBND"),
}
for name, text in SYNTAX.items():
    case(f"yaml-syntax-{name}", score(text), 2, codes=(SYNTAX_CODES[name],))

case("yaml-duplicate-key", score(swap(BUNDLE, "  id: u1\n", "  id: u1\n  id: u2\n")), 2, codes=("yaml.duplicate_key",))
case("yaml-empty-file", score(""), 2)
case("yaml-only-comments", score("# chỉ có chú thích\n"), 2)
case("yaml-top-level-list", score("- a\n- b\n"), 2)
case("yaml-top-level-scalar", score("xin chào\n"), 2)
case("yaml-utf16", lambda d: ["score", str(put(d / "in" / "ev" / "u1.yaml", BUNDLE.encode("utf-16")).relative_to(d)),
                              "-c", criteria(d), "-f", "json"], 2, codes=("file.not_utf8",))
case("yaml-latin1", lambda d: ["score", str(put(d / "in" / "ev" / "u1.yaml", BUNDLE.encode("utf-8").replace(
    "Phường".encode(), "Ph\xf9\xf4ng".encode("latin-1"))).relative_to(d)), "-c", criteria(d), "-f", "json"], 2,
     codes=("file.not_utf8",))
case("yaml-nul-bytes", score(BUNDLE + "\x00\x00\n"), 2)
case("yaml-bom-ok", lambda d: ["score", str(put(d / "in" / "ev" / "u1.yaml", b"\xef\xbb\xbf" + BUNDLE.encode()).relative_to(
    d)), "-c", criteria(d), "-f", "json"], 0)
case("yaml-binary-garbage", lambda d: ["score", str(put(d / "in" / "ev" / "u1.yaml", os.urandom(0) + bytes(range(256)) * 8)
                                                .relative_to(d)), "-c", criteria(d), "-f", "json"], 2)
case("yaml-nan-metric", score(swap(BUNDLE, "value: 6,", "value: .nan,")), 2)
case("yaml-inf-metric", score(swap(BUNDLE, "value: 6,", "value: .inf,")), 2)
case("yaml-list-as-metric-value", score(swap(BUNDLE, "value: 6,", "value: [6],")), 2)
case("yaml-map-as-unit", score(swap(BUNDLE, "  name: UBND Phường Một\n", "  name: {a: 1}\n")), 2)
case("yaml-unknown-key", score(BUNDLE + "bonus_points: 100\n"), 2)
case("yaml-criteria-unknown-rule-kind", lambda d: ["validate", criteria(d, swap(CRITERIA, "kind: pass_fail", "kind: magic"))],
     2)
case("yaml-criteria-points-not-summing", lambda d: ["validate", criteria(d, swap(CRITERIA, "max_points: 20", "max_points: 25"))],
     2)
case("yaml-criteria-dot-number", lambda d: ["validate", criteria(d, swap(CRITERIA, "max_points: 20", "max_points: 1.000"))],
     2)
case("yaml-criteria-missing", lambda d: ["validate", "in/khong-co.yaml"], 2)
case("yaml-criteria-is-folder", lambda d: (d / "in" / "thu-muc.yaml").mkdir(parents=True) or ["validate", "in/thu-muc.yaml"],
     2, codes=("file.is_directory",))


def fifo(d: Path) -> list[str]:
    path = d / "in" / "ev" / "u1.yaml"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    return ["score", "in/ev/u1.yaml", "-c", criteria(d), "-f", "json"]


case("yaml-bundle-is-named-pipe", fifo, 2, codes=("file.not_regular",))
case("yaml-criteria-is-dev-zero", lambda d: ["validate", "/dev/zero"], 2, codes=("file.not_regular",))
case("yaml-criteria-is-dev-urandom", lambda d: ["score", bundle(d), "-c", "/dev/urandom", "-f", "json"], 2,
     codes=("file.not_regular",))


def symlink_loop(d: Path) -> list[str]:
    (d / "in").mkdir(parents=True)
    os.symlink(d / "in" / "b.yaml", d / "in" / "a.yaml")
    os.symlink(d / "in" / "a.yaml", d / "in" / "b.yaml")
    return ["validate", "in/a.yaml"]


case("yaml-symlink-loop", symlink_loop, 2)

# ---------------------------------------------------------------- 3. counts, percentages, years and dates

COUNT_BAD = {
    "decimal-vn": ("'1.952,5'", "metric.count_not_whole"),
    "decimal-comma": ("'2,5'", "metric.count_not_whole"),
    "decimal-machine": ("2.5", "metric.count_not_whole"),
    "percent": ("'85%'", "metric.percent_in_count"),
    "percent-decimal": ("'48,6%'", "metric.percent_in_count"),
    "percent-spaced": ("'85 %'", "metric.percent_in_count"),
    "yes-word": ("có", "metric.yes_no_in_number"),
    "no-word": ("không", "metric.yes_no_in_number"),
    "bool-true": ("true", "metric.yes_no_in_number"),
    "x-mark": ("x", "metric.yes_no_in_number"),
}
for name, (value, code) in COUNT_BAD.items():
    case(f"count-{name}", score(metric("a", value)), 2, codes=(code,))
    case(f"denominator-{name}", score(metric("phai_xu_ly", value)), 2, codes=(code,))
case("count-text", score(metric("a", "'sáu'")), 2)
case("count-dot-thousands-ok", score(metric("a", "1.952")), 0, statuses={"1.2": "pass"})
case("count-negative-is-data-problem", score(metric("a", "-3")), 1, statuses={"1.2": "data_error"})
case("count-zero-ok", score(metric("a", "0")), 0, statuses={"1.2": "fail"})
case("ratio-over-100-is-data-problem", score(metric("da_xu_ly", "120")), 1, statuses={"1.3": "data_error"})
case("ratio-zero-denominator-numerator", score(metric("phai_xu_ly", "0")), 1, statuses={"1.3": "data_error"})
case("percent-as-written", score(metric("hai_long", "'95%'")), 0, statuses={"1.4": "pass"})
case("percent-decimal-as-written", score(metric("hai_long", "'48,6%'")), 0, statuses={"1.4": "fail"})
case("percent-plain-number", score(metric("hai_long", "95")), 0, statuses={"1.4": "pass"})
case("percent-yes-no", score(metric("hai_long", "có")), 2, codes=("metric.yes_no_in_number",))
case("amount-decimal-ok", score(metric("von", "'12,5'")), 0, statuses={"2.2": "pass"})
case("amount-percent", score(metric("von", "'12%'")), 2, codes=("metric.percent_in_amount",))
case("fact-number-2-is-data-problem", score(metric("f1", "2")), 1, statuses={"2.1": "data_error"})
case("fact-word-ok", score(metric("f1", "không")), 0, statuses={"2.1": "fail"})
case("count-and-percent-all-reported", score(swap(metric("a", "'85%'"), "value: 100,", "value: '2,5',")), 2,
     codes=("metric.percent_in_count", "metric.count_not_whole"))
case("bundle-other-year", score(BUNDLE.replace("2024", "2023")), 2, codes=("bundle.year_mismatch",))
case("bundle-next-year", score(BUNDLE.replace("2024", "2025").replace("20/12/2025", "20/12/2024")), 2,
     codes=("bundle.year_mismatch",))
case("as-of-far-future", score(swap(BUNDLE, "as_of: 31/12/2024", "as_of: 31/12/2090")), 2)
case("as-of-next-year-ok", score(swap(BUNDLE, "as_of: 31/12/2024", "as_of: 15/01/2025")), 0)
case("document-year-2999", score(swap(BUNDLE, "issue_date: 20/12/2023", "issue_date: 20/12/2999")), 2)
case("document-after-as-of", score(swap(BUNDLE, "issue_date: 20/12/2023", "issue_date: 20/12/2025")), 1,
     statuses={"1.1": "data_error"})
case("date-month-first", score(swap(BUNDLE, "issue_date: 20/12/2023", "issue_date: 12/31/2023")), 2)
case("date-february-30", score(swap(BUNDLE, "issue_date: 20/12/2023", "issue_date: 30/02/2023")), 2)
case("date-two-digit-year", score(swap(BUNDLE, "issue_date: 20/12/2023", "issue_date: 20/12/23")), 2)
case("date-words", score(swap(BUNDLE, "issue_date: 20/12/2023", "issue_date: hôm qua")), 2)
case("period-start-after-end", score(swap(BUNDLE, "start: 01/01/2024", "start: 31/12/2024").replace(
    "end: 31/12/2024", "end: 01/01/2024")), 2)
case("as-of-before-start", score(swap(BUNDLE, "as_of: 31/12/2024", "as_of: 31/12/2023")), 2)
case("period-year-9999", score(swap(BUNDLE, "year: 2024", "year: 9999")), 2)
case("metric-declared-twice", score(BUNDLE + "  - {name: a, value: 7, source: Sổ khác}\n"), 1,
     statuses={"1.2": "data_error"})

# ---------------------------------------------------------------- 4. paths: missing, outside the bundle's folder, lock files

case("evidence-missing", lambda d: ["score", "in/khong-co", "-c", criteria(d), "-f", "json"], 2)


def empty_folder(d: Path) -> list[str]:
    (d / "in" / "ev").mkdir(parents=True)
    return ["score", "in/ev", "-c", criteria(d), "-f", "json"]


case("evidence-empty-folder", empty_folder, 2, codes=("evidence.empty_folder",))


def lock_only(d: Path) -> list[str]:
    from_files("lock-file.xlsx", "ev/~$phuong-1.xlsx")(d)
    return ["score", "in/ev", "-c", criteria(d), "-f", "json"]


def lock_beside_bundle(d: Path) -> list[str]:
    from_files("lock-file.xlsx", "ev/~$u1.xlsx")(d)
    bundle(d)
    return ["score", "in/ev", "-c", criteria(d), "-f", "json"]


case("evidence-only-lock-files", lock_only, 2, codes=("evidence.only_lock_files",))
case("evidence-lock-file-beside-bundle-ok", lock_beside_bundle, 0)


def lock_named(d: Path) -> list[str]:
    from_files("lock-file.xlsx", "ev/~$phuong-1.xlsx")(d)
    return ["score", "in/ev/~$phuong-1.xlsx", "-c", criteria(d), "-f", "json"]


case("evidence-lock-file-named", lock_named, 0)  # a lock file given by name is skipped with a warning, nothing scored

OUTSIDE = {
    "parent": "../secret.csv",
    "grandparent": "../../x.csv",
    "absolute": "/etc/passwd",
    "dot-dot-inside": "sub/../../x.csv",
}
for name, target in OUTSIDE.items():
    case(f"source-outside-{name}-table", score(BUNDLE + f"tables:\n  metrics: {target}\n"), 2,
         codes=("bundle.source_outside_folder",))
    case(f"source-outside-{name}-plan", score(BUNDLE + f"sources:\n  plan_table: {{file: '{target}', year: 2024}}\n"), 2,
         codes=("bundle.source_outside_folder",))
case("source-outside-export", score(BUNDLE + "sources:\n  dossier_exports:\n    - {file: ../motcua.csv}\n"), 2,
     codes=("bundle.source_outside_folder",))
case("source-outside-mapping", score(BUNDLE + "sources:\n  dossier_exports:\n    - {file: motcua.csv, mapping: ../m.yaml}\n"),
     2, codes=("bundle.source_outside_folder",))


def symlink_out(d: Path) -> list[str]:
    put(d / "secret.csv", "name,value,source\na,6,x\n")
    (d / "in" / "ev").mkdir(parents=True)
    os.symlink(d / "secret.csv", d / "in" / "ev" / "bang.csv")
    return ["score", bundle(d, BUNDLE + "tables:\n  metrics: bang.csv\n"), "-c", criteria(d), "-f", "json"]


case("source-symlink-leading-outside", symlink_out, 2, codes=("bundle.source_outside_folder",))


def table_inside(text: str, name: str = "bang.csv", key: str = "metrics") -> Build:
    def build(d: Path) -> list[str]:
        put(d / "in" / "ev" / name, text)
        base = BUNDLE if key != "metrics" else BUNDLE.split("metrics:")[0] + "metrics: []\n"
        return ["score", bundle(d, base + f"tables:\n  {key}: {name}\n"), "-c", criteria(d), "-f", "json"]
    return build


METRICS_CSV = ("name,value,source\na,6,Sổ họp\nda_xu_ly,95,Sổ\nphai_xu_ly,100,Sổ\nhai_long,95,KS\n"
               "von,\"12,5\",KB\nf1,có,BB\n")
case("csv-table-ok", table_inside(METRICS_CSV), 0, statuses={"1.2": "pass", "2.2": "pass"})
case("csv-subfolder-ok", table_inside(METRICS_CSV, "bang/so-lieu.csv"), 0)
case("csv-unclosed-quote", table_inside(swap(METRICS_CSV, "a,6,Sổ họp", 'a,6,"Sổ họp')), 2, codes=("csv.unclosed_quote",))
case("csv-stray-quote", table_inside(swap(METRICS_CSV, "a,6,Sổ họp", 'a,6,"Sổ" họp')), 2, codes=("csv.stray_quote",))
case("csv-extra-cells", table_inside(swap(METRICS_CSV, "a,6,Sổ họp", "a,6,Sổ, họp")), 2, codes=("bundle.csv_extra_cells",))
case("csv-count-decimal", table_inside(swap(METRICS_CSV, "a,6,", 'a,"1.952,5",')), 2, codes=("metric.count_not_whole",))
case("csv-count-percent", table_inside(swap(METRICS_CSV, "a,6,", "a,85%,")), 2, codes=("metric.percent_in_count",))
case("csv-count-yes", table_inside(swap(METRICS_CSV, "a,6,", "a,có,")), 2, codes=("metric.yes_no_in_number",))
case("csv-percent-as-written", table_inside(swap(METRICS_CSV, "hai_long,95,", "hai_long,95%,")), 0,
     statuses={"1.4": "pass"})
case("csv-not-utf8", lambda d: table_inside("")(d) and put(d / "in" / "ev" / "bang.csv", METRICS_CSV.encode("utf-16"))
     and ["score", "in/ev/u1.yaml", "-c", "in/bo.yaml", "-f", "json"], 2, codes=("file.not_utf8",))
case("csv-missing-file", lambda d: ["score", bundle(d, BUNDLE + "tables:\n  metrics: khong-co.csv\n"), "-c", criteria(d),
                                    "-f", "json"], 2, codes=("file.not_found",))
case("csv-empty", table_inside(""), 0)
case("csv-header-only", table_inside("name,value,source\n"), 0)
case("csv-missing-value-column", table_inside("name,source\na,x\n"), 2)
case("csv-formula-text-kept", table_inside(swap(METRICS_CSV, "Sổ họp", "=HYPERLINK(\"http://x\")")), 0,
     output_lacks=("\x1b]8;",))
case("csv-too-many-rows", table_inside("name,value,source\n" + "a,1,x\n" * 60_000), 2, codes=("csv.too_many_rows",))
case("csv-too-large", table_inside("name,value,source\n" + ("a,1," + "x" * 1000 + "\n") * 21_000), 2,
     codes=("file.too_large",))
case("csv-million-rows", table_inside("name,value,source\n" + "a,1,x\n" * 1_000_000), 2,
     codes=("csv.too_many_rows",))
case("csv-long-unclosed-quote", table_inside('name,value,source\na,1,"' + "x" * 200_000 + "\n"), 2,
     codes=("csv.unclosed_quote",))
case("csv-documents-bad-date", table_inside("kind,number,issue_date\nke_hoach,1/KH,31/02/2023\n", key="documents"), 2)
case("csv-plan-tasks-bad-status", table_inside("id,title,status\n1,Việc một,xong rồi\n", key="plan_tasks"), 2)

# ---------------------------------------------------------------- 5. Excel files that are not what they say


def xlsx_case(maker: Callable[[Path], None]) -> Build:
    def build(d: Path) -> list[str]:
        path = d / "in" / "ev" / "u1.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        maker(path)
        return ["score", "in/ev/u1.xlsx", "-c", criteria(d), "-f", "json"]
    return build


def zip_bomb(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            chunk = b"\0" * (1 << 20)
            for _ in range(260):
                handle.write(chunk)
    path.write_bytes(buffer.getvalue())


def many_entries(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(2500):
            archive.writestr(f"xl/x{i}.xml", "")
    path.write_bytes(buffer.getvalue())


def zip_without_workbook(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    path.write_bytes(buffer.getvalue())


def damaged_workbook_xml(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("xl/workbook.xml", "<workbook")
    path.write_bytes(buffer.getvalue())


case("xlsx-zip-bomb", xlsx_case(zip_bomb), 2, codes=("xlsx.too_large_unpacked",))
case("xlsx-too-many-parts", xlsx_case(many_entries), 2, codes=("xlsx.too_large_unpacked",))
case("xlsx-old-xls-renamed", xlsx_case(lambda p: shutil.copyfile(FILES / "old-excel.xls", p)), 2,
     codes=("xlsx.old_format",))
case("xlsx-password-protected", xlsx_case(lambda p: shutil.copyfile(FILES / "encrypted.xlsx", p)), 2,
     codes=("xlsx.encrypted",))
case("xlsx-csv-renamed", xlsx_case(lambda p: p.write_text("a,b\n1,2\n", encoding="utf-8")), 2, codes=("xlsx.not_xlsx",))
case("xlsx-html-renamed", xlsx_case(lambda p: p.write_text("<html><table></table></html>", encoding="utf-8")), 2,
     codes=("xlsx.not_xlsx",))
case("xlsx-docx-renamed", xlsx_case(zip_without_workbook), 2, codes=("xlsx.not_xlsx",))
case("xlsx-truncated-zip", xlsx_case(lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 50)), 2, codes=("xlsx.damaged",))
case("xlsx-damaged-xml", xlsx_case(damaged_workbook_xml), 2, codes=("xlsx.damaged",))
case("xlsx-empty-file", xlsx_case(lambda p: p.write_bytes(b"")), 2, codes=("xlsx.not_xlsx",))
case("xlsx-too-large", xlsx_case(lambda p: p.write_bytes(b"PK" + os.urandom(16) * (55 * 65536))), 2,
     codes=("file.too_large",))
case("xlsx-plain-workbook-not-template", xlsx_case(lambda p: _plain_workbook(p)), 2)


def _plain_workbook(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "xin chào"
    wb.save(path)


def filled_template(d: Path, edit: Callable[[Any], None] | None = None, name: str = "u1.xlsx") -> Path:
    """The evidence template of the base set, filled for unit u1, with `edit` applied (openpyxl workbook)."""
    from openpyxl import load_workbook

    from engine.load.criteria import load_criteria
    from engine.render.workbook import build_template

    crit = d / "in" / "bo.yaml"
    if not crit.exists():
        criteria(d)
    loaded = load_criteria(crit)
    data = build_template(loaded.criteria, "u1", name="UBND Phường Một", criteria_digest=loaded.digest)
    wb = load_workbook(io.BytesIO(data))
    guide = wb["Hướng dẫn"]
    for row in guide.iter_rows(min_row=1, max_col=2):
        label = str(row[0].value or "")
        if label.startswith("Ngày chốt số liệu"):
            row[1].value = "31/12/2024"
    metrics = wb["Số liệu"]
    values = {"a": 6, "da_xu_ly": 95, "phai_xu_ly": 100, "hai_long": 95, "von": 12.5, "f1": "Có"}
    for row in metrics.iter_rows(min_row=3):
        if row[0].value in values:
            row[3].value = values[row[0].value]
    if edit is not None:
        edit(wb)
    path = d / "in" / "ev" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def workbook_case(edit: Callable[[Any], None] | None = None) -> Build:
    def build(d: Path) -> list[str]:
        filled_template(d, edit)
        return ["score", "in/ev/u1.xlsx", "-c", "in/bo.yaml", "-f", "json"]
    return build


def set_metric(name: str, value: Any) -> Callable[[Any], None]:
    def edit(wb: Any) -> None:
        for row in wb["Số liệu"].iter_rows(min_row=3):
            if row[0].value == name:
                row[3].value = value
    return edit


def set_guide(label_start: str, value: Any) -> Callable[[Any], None]:
    def edit(wb: Any) -> None:
        for row in wb["Hướng dẫn"].iter_rows(min_row=1, max_col=2):
            if str(row[0].value or "").startswith(label_start):
                row[1].value = value
    return edit


case("workbook-ok", workbook_case(), 0, statuses={"1.2": "pass", "1.4": "pass"})
case("workbook-formula-without-value", workbook_case(set_metric("a", "=2+4")), 2, codes=("xlsx.formula_without_value",))
case("workbook-formula-sum-without-value", workbook_case(set_metric("phai_xu_ly", "=SUM(D3:D4)")), 2,
     codes=("xlsx.formula_without_value",))
case("workbook-count-decimal", workbook_case(set_metric("a", "1.952,5")), 2, codes=("metric.count_not_whole",))
case("workbook-count-float", workbook_case(set_metric("a", 2.5)), 2, codes=("metric.count_not_whole",))
case("workbook-count-percent", workbook_case(set_metric("a", "85%")), 2, codes=("metric.percent_in_count",))
case("workbook-count-yes", workbook_case(set_metric("a", "có")), 2)
case("workbook-percent-as-written", workbook_case(set_metric("hai_long", "48,6%")), 0, statuses={"1.4": "fail"})
def other_year(wb: Any) -> None:
    for label, value in (("Năm đánh giá", 2023), ("Kỳ đánh giá từ ngày", "01/01/2023"), ("Kỳ đánh giá đến ngày", "31/12/2023"),
                         ("Ngày chốt số liệu", "31/12/2023")):
        set_guide(label, value)(wb)


case("workbook-other-year", workbook_case(other_year), 2, codes=("bundle.year_mismatch",))
case("workbook-as-of-far-future", workbook_case(set_guide("Ngày chốt số liệu", "31/12/2090")), 2)
case("workbook-unit-name-markup", workbook_case(set_guide("Tên đơn vị", "[bold red]UBND[/] :smile: [link=http://x]y[/link]")),
     0, output_has=("[bold red]UBND[/] :smile: [link=http://x]y[/link]",))
case("workbook-formula-text-in-name", workbook_case(set_guide("Tên đơn vị", "'=HYPERLINK(\"http://x\")")), 0)


def workbook_nfd(d: Path) -> list[str]:
    filled_template(d, set_guide("Mã đơn vị", unicodedata.normalize("NFD", "phường-một")))
    return ["explain", unicodedata.normalize("NFD", "phường-một"), "1.2", "-e", "in/ev/u1.xlsx", "-c", "in/bo.yaml"]


case("workbook-nfd-unit-id", workbook_nfd, 0, output_has=("Số cuộc họp",))


def lock_and_workbook(d: Path) -> list[str]:
    filled_template(d)
    from_files("lock-file.xlsx", "ev/~$u1.xlsx")(d)
    return ["score", "in/ev", "-c", "in/bo.yaml", "-f", "json"]


case("workbook-with-its-lock-file", lock_and_workbook, 0)

# ---------------------------------------------------------------- 6. outputs that would overwrite or pollute inputs


def output_onto(target: str, command: str = "score", extra: tuple[str, ...] = ("-f", "json")) -> Build:
    def build(d: Path) -> list[str]:
        b = bundle(d, BUNDLE + "tables:\n  documents: vb.csv\n")
        put(d / "in" / "ev" / "vb.csv", "kind,number,issue_date\nke_hoach,2/KH,21/12/2023\n")
        c = criteria(d)
        out = {"bundle": b, "criteria": c, "table": "in/ev/vb.csv"}[target]
        args = [command, b, "-c", c, *extra, "-o", out]
        return args
    return build


for target in ("bundle", "criteria", "table"):
    case(f"output-onto-{target}-json", output_onto(target), 2, codes=("output.overwrites_input",))
    case(f"output-onto-{target}-report", output_onto(target, "report", ("-f", "md")), 2, codes=("output.overwrites_input",))
    case(f"output-onto-{target}-plan", output_onto(target, "plan", ("-f", "md")), 2, codes=("output.overwrites_input",))
case("output-onto-bundle-table-format", output_onto("bundle", "score", ()), 2, codes=("output.overwrites_input",))


def output_onto_workbook(d: Path) -> list[str]:
    filled_template(d)
    return ["report", "in/ev/u1.xlsx", "-c", "in/bo.yaml", "-f", "xlsx", "-o", "in/ev/u1.xlsx"]


case("output-onto-filled-workbook", output_onto_workbook, 2, codes=("output.overwrites_input",))


def output_via_symlink(d: Path) -> list[str]:
    b = bundle(d)
    os.symlink(d / b, d / "ket-qua.json")
    return ["score", b, "-c", criteria(d), "-f", "json", "-o", "ket-qua.json"]


def output_hard_link(d: Path) -> list[str]:
    b = bundle(d)
    os.link(d / b, d / "ket-qua.json")
    return ["score", b, "-c", criteria(d), "-f", "json", "-o", "ket-qua.json"]


def output_through_linked_folder(d: Path) -> list[str]:
    b = bundle(d)
    os.symlink(d / "in" / "ev", d / "ra")
    return ["score", "in/ev", "-c", criteria(d), "-f", "json", "-o", "ra/ket-qua.json"]


def default_out_is_link_to_evidence(d: Path) -> list[str]:
    bundle(d)
    os.symlink(d / "in" / "ev", d / "out")
    return ["report", "in/ev", "-c", criteria(d), "-f", "xlsx"]


def output_yaml_into_evidence(d: Path) -> list[str]:
    bundle(d)
    return ["report", "in/ev", "-c", criteria(d), "-f", "xlsx", "-o", "in/ev/bao-cao.xlsx"]


def template_onto_criteria(d: Path) -> list[str]:
    return ["template", "-u", "u1", "-c", criteria(d), "-o", "in/bo.yaml"]


def template_onto_base_criteria(d: Path) -> list[str]:
    criteria(d)
    put(d / "in" / "tinh-chinh.yaml", "extends: bo.yaml\nid: tinh-chinh\n")
    return ["template", "-u", "u1", "-c", "in/tinh-chinh.yaml", "-o", "in/bo.yaml"]


def output_into_directory(d: Path) -> list[str]:
    (d / "ra").mkdir()
    return ["score", bundle(d), "-c", criteria(d), "-f", "json", "-o", "ra"]


case("output-symlink-to-bundle", output_via_symlink, 2, codes=("output.overwrites_input",))
case("output-hard-link-to-bundle", output_hard_link, 2, codes=("output.overwrites_input",))
case("output-through-linked-folder", output_through_linked_folder, 2, codes=("output.through_symlink_into_input",))
case("output-default-out-linked-to-evidence", default_out_is_link_to_evidence, 2,
     codes=("output.inside_input_folder",))
case("output-xlsx-into-evidence-folder", output_yaml_into_evidence, 2, codes=("output.inside_input_folder",))
case("output-template-onto-criteria", template_onto_criteria, 2, codes=("output.overwrites_input",))
case("output-template-onto-extended-base", template_onto_base_criteria, 2, codes=("output.overwrites_input",))
case("output-is-a-directory", output_into_directory, 2)
case("output-new-nested-folder-ok", lambda d: ["score", bundle(d), "-c", criteria(d), "-f", "json", "-o", "ra/a/b/kq.json"],
     0)
case("output-markup-in-path", lambda d: ["score", bundle(d), "-c", criteria(d), "-f", "csv", "-o", "ra/[bold]x[/].csv"], 0,
     output_has=("ra/[bold]x[/].csv",))

# ---------------------------------------------------------------- 7. text that a terminal or a spreadsheet would run

MARKUP = "[bold red]Phường[/] [link=http://evil.example]bấm[/link] :smile: :warning:"
MARKUP_PIECES = ("[bold red]Phường[/]", "[link=http://evil.example]bấm[/link]", ":smile:", ":warning:")
"""Pieces a table cell never splits (no spaces inside); the whole text may wrap over lines in a table."""
case("markup-unit-name-ranking", score(swap(BUNDLE, "name: UBND Phường Một", f"name: '{MARKUP}'"), extra=()), 0,
     output_has=MARKUP_PIECES, output_lacks=("\x1b]8;", "😄"))
case("markup-unbalanced-tag", score(swap(BUNDLE, "name: UBND Phường Một", "name: '[/] [bold'"), extra=()), 0,
     output_has=("[/] [bold",))
case("markup-criteria-title-gaps", lambda d: ["gaps", "-e", bundle(d, metric("a", "1")), "-c", criteria(
    d, swap(CRITERIA, "title: Số cuộc họp", f"title: '{MARKUP}'"))], 0, output_has=MARKUP_PIECES, output_lacks=("\x1b]8;",))
case("markup-set-title-ranking", score(extra=(), criteria_text=swap(CRITERIA, "title: Bộ chỉ số thử",
                                                                    "title: '[blink]Bộ[/blink] :fire:'")), 0,
     output_has=("[blink]Bộ[/blink] :fire:",))
case("markup-warning-gaps", lambda d: ["gaps", "-e", bundle(d, metric("a", "1") + "plan_tasks:\n"
                                                           f"  - {{id: '{MARKUP}', title: Việc, status: hoàn thành}}\n"),
                                        "-c", criteria(d)], 1, output_has=(f"Cảnh báo: in/ev/u1.yaml [plan_tasks[0].done_date, "
                                                                           f"dòng 20]: nhiệm vụ '{MARKUP}'",))
case("markup-explain", lambda d: ["explain", "u1", "1.2", "-e", bundle(d, swap(BUNDLE, "source: Sổ họp",
                                                                               f"source: '{MARKUP}'")),
                                  "-c", criteria(d)], 0, output_has=(MARKUP,))
case("markup-in-problem-value", score(swap(BUNDLE, "issue_date: 20/12/2023", "issue_date: '[red]x[/red]'")), 2,
     output_has=("[red]x[/red]",))
case("markup-emoji-only-name", score(swap(BUNDLE, "name: UBND Phường Một", "name: ':thumbs_up:'"), extra=()), 0,
     output_has=(":thumbs_up:",), output_lacks=("👍",))
case("markup-output-path-report", lambda d: ["report", bundle(d), "-c", criteria(d), "-f", "md", "-o",
                                             "ra/[link=file:x]b[/link].md"], 0,
     output_has=("[link=file:x]b[/link].md",), output_lacks=("\x1b]8;",))
case("markup-ansi-escape-in-name", score(swap(BUNDLE, "name: UBND Phường Một", 'name: "UBND \\e[31mđỏ"'), extra=()), 0)


def _own_total(formula: object) -> bool:
    """A total the report writes itself (docs/reports.md): only ROUND, SUM, MAX, AVERAGE over cell references and numbers."""
    text = str(formula)
    return (re.fullmatch(r"=[A-Z0-9(),:+\-/. ]+", text) is not None
            and set(re.findall(r"([A-Z]+)\(", text)) <= {"ROUND", "SUM", "MAX", "AVERAGE"})


def no_formula_cells(path: str) -> Check:
    """No cell runs a formula that came from an input; the report's own totals are formulas over its cells."""
    def check(d: Path, _: dict[str, Any]) -> str | None:
        from openpyxl import load_workbook

        wb = load_workbook(d / path)
        live = [f"{ws.title}!{cell.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for cell in row
                if cell.data_type == "f" and not _own_total(cell.value)]
        return f"live formulas: {live[:5]}" if live else None
    return check


FORMULA = '=HYPERLINK("http://evil.example","bấm")'
FORMULA_SET = (CRITERIA.replace("label: Kế hoạch CCHC năm", f"label: '{FORMULA}'")
               .replace("label: Số cuộc họp, unit: cuộc", f"label: '{FORMULA}', unit: '=1+1'")
               .replace("title: Số cuộc họp", "title: \"=cmd|' /C calc'!A0\"")
               .replace("title: Bộ chỉ số thử", "title: '=SUM(1,2)'"))
case("formula-catalogue-template", lambda d: ["template", "-u", "u1", "-c", criteria(d, FORMULA_SET), "-o", "ra/t.xlsx"], 0,
     check=no_formula_cells("ra/t.xlsx"))
case("formula-unit-name-template", lambda d: ["template", "-u", "u1", "-n", "=1+2", "-c", criteria(d), "-o", "ra/t.xlsx"], 0,
     check=no_formula_cells("ra/t.xlsx"))
case("formula-names-report-xlsx", lambda d: ["report", bundle(d, swap(BUNDLE, "name: UBND Phường Một",
                                                                      f"name: '{FORMULA}'")),
                                             "-c", criteria(d, FORMULA_SET), "-f", "xlsx", "-o", "ra/r.xlsx"], 0,
     check=no_formula_cells("ra/r.xlsx"))
case("formula-names-plan-xlsx", lambda d: ["plan", bundle(d, swap(metric("a", "1"), "name: UBND Phường Một",
                                                                  f"name: '{FORMULA}'")),
                                           "-c", criteria(d, FORMULA_SET), "-f", "xlsx", "-o", "ra/p.xlsx"], 0,
     check=no_formula_cells("ra/p.xlsx"))


def csv_neutralised(d: Path, _: dict[str, Any]) -> str | None:
    text = (d / "ra" / "kq.csv").read_text(encoding="utf-8")
    return None if "'=HYPERLINK" in text and ",=HYPERLINK" not in text else "CSV cell starts with '='"


case("formula-unit-name-csv", lambda d: ["score", bundle(d, swap(BUNDLE, "name: UBND Phường Một", f"name: '{FORMULA}'")),
                                         "-c", criteria(d), "-f", "csv", "-o", "ra/kq.csv"], 0, check=csv_neutralised)

# ---------------------------------------------------------------- 8. command-line arguments


def args(*argv: str) -> Build:
    def build(d: Path) -> list[str]:
        b, c = bundle(d), criteria(d)
        return [b if a == "B" else c if a == "C" else a for a in argv]
    return build


case("args-unknown-format-score", args("score", "B", "-c", "C", "--format", "xml"), 2, codes=("args.bad_value",),
     output_has=("table, json, csv",))
case("args-unknown-format-report", args("report", "B", "-c", "C", "-f", "pdf"), 2, codes=("args.bad_value",))
case("args-unknown-format-plan", args("plan", "B", "-c", "C", "-f", "html"), 2, codes=("args.bad_value",))
case("args-unknown-format-inspect", args("inspect", "deadline", "Quý I", "-y", "2025", "-f", "yaml"), 2,
     codes=("args.bad_value",))
case("args-year-not-number-template", args("template", "-u", "u1", "-c", "C", "--year", "hai nghìn"), 2,
     codes=("args.bad_value",), output_has=("hai nghìn",))
case("args-year-not-number-inspect", args("inspect", "deadline", "Quý I", "--year", "2025a"), 2, codes=("args.bad_value",))
case("args-year-out-of-range-template", args("template", "-u", "u1", "-c", "C", "--year", "3000"), 2)
case("args-year-out-of-range-inspect", args("inspect", "deadline", "Quý I", "--year", "99999"), 2, codes=("args.bad_year",))
case("args-year-negative-inspect", args("inspect", "deadline", "Quý I", "--year=-5"), 2, codes=("args.bad_year",))
case("args-unknown-option", args("score", "B", "-c", "C", "--diem", "10"), 2, codes=("args.unknown_option",))
case("args-unknown-command", args("chamdiem", "B"), 2, codes=("args.unknown_command",))
case("args-missing-argument", args("explain"), 2, codes=("args.missing",))
case("args-missing-option-value", args("score", "B", "-c"), 2, codes=("args.missing_value",))
case("args-missing-year-inspect", args("inspect", "deadline", "Quý I"), 2, codes=("args.missing",))
case("args-extra-argument", args("explain", "u1", "1.2", "thừa", "-e", "B", "-c", "C"), 2, codes=("args.extra_argument",))
case("args-unknown-unit", args("explain", "khong-co", "1.2", "-e", "B", "-c", "C"), 2, codes=("args.unknown_unit",))
case("args-unknown-criterion", args("explain", "u1", "9.9", "-e", "B", "-c", "C"), 2, codes=("args.unknown_criterion",))
case("args-unknown-unit-gaps", args("gaps", "u9", "-e", "B", "-c", "C"), 2, codes=("args.unknown_unit",))
case("args-nfd-unit-id", lambda d: ["explain", unicodedata.normalize("NFD", "phường-một"), "1.2", "-e", bundle(
    d, swap(BUNDLE, "id: u1", "id: phường-một")), "-c", criteria(d)], 0, output_has=("Số cuộc họp",))
case("args-nfd-unit-id-gaps", lambda d: ["gaps", unicodedata.normalize("NFD", "phường-một"), "-e", bundle(
    d, swap(metric("a", "1"), "id: u1", "id: phường-một")), "-c", criteria(d)], 0)
case("args-nfd-bundle-id-nfc-arg", lambda d: ["explain", "phường-một", "1.2", "-e", bundle(
    d, swap(BUNDLE, "id: u1", "id: " + unicodedata.normalize("NFD", "phường-một"))), "-c", criteria(d)], 0)
case("args-template-unit-path-traversal", args("template", "-u", "../../etc/x", "-c", "C"), 2)
case("args-template-unit-markup", args("template", "-u", "[bold]x", "-c", "C"), 2)
case("args-criterion-whitespace", args("explain", "u1", " 1.2 ", "-e", "B", "-c", "C"), 0)
case("args-empty-format", args("score", "B", "-c", "C", "-f", ""), 2, codes=("args.bad_value",))

# ---------------------------------------------------------------- 9. plan tables

PLAN_CSV = ("KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2024\nSTT,Nhiệm vụ,Thời gian hoàn thành\n1,Ban hành kế hoạch,Quý I/2024\n"
            "2,Tuyên truyền,Thường xuyên\n")


def plan_file(text: str | bytes, name: str = "ke-hoach.csv", extra: tuple[str, ...] = ("-f", "json")) -> Build:
    def build(d: Path) -> list[str]:
        put(d / "in" / name, text)
        return ["inspect", "plan", f"in/{name}", *extra]
    return build


case("plan-ok", plan_file(PLAN_CSV), 0)
case("plan-ok-table", plan_file(PLAN_CSV, extra=()), 0, output_has=("Ban hành kế hoạch",))
case("plan-unreadable-deadline", plan_file(PLAN_CSV + "3,Sửa quy chế,Quý V/2024\n"), 1, codes=("plan.unreadable_deadline",))
case("plan-far-year-deadline", plan_file(PLAN_CSV + "3,Sửa quy chế,Quý I/2205\n"), 1, codes=("plan.unreadable_deadline",))
case("plan-no-header", plan_file("a,b,c\n1,2,3\n"), 2)
case("plan-no-year", plan_file(PLAN_CSV.replace(" NĂM 2024", "")), 2)
case("plan-year-given", plan_file(PLAN_CSV.replace(" NĂM 2024", ""), extra=("-y", "2024", "-f", "json")), 0)
case("plan-unclosed-quote", plan_file(PLAN_CSV + '3,"Sửa quy chế,Quý I/2024\n4,x,Quý II/2024\n'), 2,
     codes=("csv.unclosed_quote",))
case("plan-too-many-rows", plan_file(PLAN_CSV + "5,x,Quý I/2024\n" * 60_000), 2, codes=("csv.too_many_rows",))
case("plan-unsupported-suffix", plan_file(PLAN_CSV, name="ke-hoach.docx"), 2)
case("plan-not-utf8", plan_file(PLAN_CSV.encode("utf-16"), name="ke-hoach.csv"), 2, codes=("file.not_utf8",))
case("plan-missing-file", lambda d: ["inspect", "plan", "in/khong-co.csv"], 2)
case("plan-xlsx-old-format", lambda d: from_files("old-excel.xls", "ke-hoach.xlsx")(d) and ["inspect", "plan",
                                                                                           "in/ke-hoach.xlsx"], 2,
     codes=("xlsx.old_format",))
case("plan-xlsx-zip-bomb", lambda d: zip_bomb(put(d / "in" / "ke-hoach.xlsx", b"")) or ["inspect", "plan",
                                                                                        "in/ke-hoach.xlsx"], 2,
     codes=("xlsx.too_large_unpacked",))


def plan_xlsx_formula(d: Path) -> list[str]:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in (["KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH NĂM 2024"], ["STT", "Nhiệm vụ", "Thời gian"], [1, "Việc một", "Quý I/2024"],
                [2, "Việc hai", '="Quý "&"II/2024"']):
        ws.append(row)
    path = d / "in" / "ke-hoach.xlsx"
    path.parent.mkdir(parents=True)
    wb.save(path)
    return ["inspect", "plan", "in/ke-hoach.xlsx"]


case("plan-xlsx-formula-without-value", plan_xlsx_formula, 2, codes=("xlsx.formula_without_value",))
case("plan-markup-task", plan_file(PLAN_CSV.replace("Tuyên truyền", "[bold]Tuyên[/] :fire:"), extra=()), 0,
     output_has=("[bold]Tuyên[/] :fire:",))


def bundle_with_plan(plan_text: str) -> Build:
    def build(d: Path) -> list[str]:
        put(d / "in" / "ev" / "ke-hoach.csv", plan_text)
        text = BUNDLE + "sources:\n  plan_table: {file: ke-hoach.csv, year: 2024}\n"
        return ["score", bundle(d, text), "-c", criteria(d), "-f", "json"]
    return build


case("bundle-plan-unclosed-quote-stays-data-problem", bundle_with_plan(PLAN_CSV + '3,"x,Quý I/2024\n'), 1,
     output_has=("in/ev/ke-hoach.csv [dòng 5]: dấu ngoặc kép mở ở dòng này không được đóng",))

# ---------------------------------------------------------------- 10. deadline phrases (plan tables of other provinces)

# (phrase, plan year, JSON kind, last on-time day or None); unreadable ones exit 1 with plan.unreadable_deadline
PHRASES: list[tuple[str, int, str, str | None]] = [
    ("Trước ngày 16/01/2025", 2025, "due_date", "2025-01-15"),
    ("Sau ngày 16/01/2025", 2025, "after", None),
    ("Trước ngày 15 tháng 12 năm 2025", 2025, "due_date", "2025-12-14"),
    ("Sau ngày 15 tháng 12 năm 2025", 2025, "after", None),
    ("Chậm nhất ngày 20/12/2025", 2025, "due_date", "2025-12-20"),
    ("Không muộn hơn ngày 20/12/2025", 2025, "due_date", "2025-12-20"),
    ("Trong ngày 05/3/2025", 2025, "due_date", "2025-03-05"),
    ("Trước 31/12/2024", 2025, "due_date", "2024-12-30"),
    ("Trướcngày 15/3/2025", 2025, "due_date", "2025-03-14"),
    ("Quý I/2025", 2025, "due_date", "2025-03-31"),
    ("Quí I/2025", 2025, "due_date", "2025-03-31"),
    ("Quí IV năm 2025", 2025, "due_date", "2025-12-31"),
    ("Qúy III/2025", 2025, "due_date", "2025-09-30"),
    ("Quý 2/2025", 2025, "due_date", "2025-06-30"),
    ("Quý IVnăm 2025", 2025, "due_date", "2025-12-31"),
    ("QuýII/2025", 2025, "due_date", "2025-06-30"),
    ("Tháng12/2025", 2025, "due_date", "2025-12-31"),
    ("Tháng 6 - 2025", 2025, "due_date", "2025-06-30"),
    ("Tháng 02/2024", 2024, "due_date", "2024-02-29"),
    ("Năm 2025", 2025, "due_date", "2025-12-31"),
    ("Trong năm", 2025, "due_date", "2025-12-31"),
    ("Cả năm 2025", 2025, "due_date", "2025-12-31"),
    ("Hoàn thành trong Quý IV", 2025, "due_date", "2025-12-31"),
    ("6 tháng đầu năm 2025", 2025, "due_date", "2025-06-30"),
    ("Nửa đầu năm 2025", 2025, "due_date", "2025-06-30"),
    ("Nửa cuối năm 2025", 2025, "due_date", "2025-12-31"),
    ("Đầu tháng 3/2025", 2025, "due_date", "2025-03-10"),
    ("Giữa tháng 6/2025", 2025, "due_date", "2025-06-20"),
    ("Cuối tháng 6/2025", 2025, "due_date", "2025-06-30"),
    ("Cuối tháng 02/2025", 2025, "due_date", "2025-02-28"),
    ("Đầu quý II/2025", 2025, "due_date", "2025-04-30"),
    ("Giữa Quý III", 2025, "due_date", "2025-08-31"),
    ("Cuối Quý IV năm 2025", 2025, "due_date", "2025-12-31"),
    ("Đầu năm 2025", 2025, "due_date", "2025-03-31"),
    ("Cuối năm 2025", 2025, "due_date", "2025-12-31"),
    ("Giữa năm 2025", 2025, "unreadable", None),
    ("Nửa năm 2025", 2025, "unreadable", None),
    ("Giai đoạn 2026 - 2030", 2026, "window", "2030-12-31"),
    ("giai đoạn 2021-2025", 2025, "window", "2025-12-31"),
    ("Năm 2025-2030", 2025, "window", "2030-12-31"),
    ("2026 – 2030", 2026, "window", "2030-12-31"),
    ("Từ năm 2025 đến năm 2030", 2025, "window", "2030-12-31"),
    ("Từ tháng 3 đến tháng 6/2025", 2025, "window", "2025-06-30"),
    ("Từ ngày 01/3/2025 đến ngày 30/6/2025", 2025, "window", "2025-06-30"),
    ("Giai đoạn 2030 - 2026", 2026, "unreadable", None),
    ("Số liệu tính từ ngày 15/12/2024 đến ngày 14/12/2025", 2025, "cutoff_window", None),
    ("Kỳ báo cáo: tính từ ngày 01/10/2024 đến ngày 30/9/2025", 2025, "cutoff_window", None),
    ("(số liệu tính từ 15/12/2024 đến hết ngày 14/12/2025)", 2025, "cutoff_window", None),
    ("Trước ngày 20/12/2025 (số liệu tính từ ngày 15/12/2024 đến ngày 14/12/2025)", 2025, "due_date", "2025-12-19"),
    ("Báo cáo năm: trước ngày 15/12/2025, số liệu tính từ ngày 15/12/2024 đến hết ngày 14/12/2025", 2025, "due_date",
     "2025-12-14"),
    ("Số liệu tính từ ngày 14/12/2025 đến ngày 15/12/2024", 2025, "unreadable", None),
    ("Tháng 3 (ba) năm 2025", 2025, "due_date", "2025-03-31"),
    ("Trước ngày 15 (mười lăm) tháng 3 năm 2025", 2025, "due_date", "2025-03-14"),
    ("Tháng 3 (bốn) năm 2025", 2025, "unreadable", None),
    ("Trong thời hạn 15 (mười lăm) ngày kể từ ngày nhận được văn bản", 2025, "conditional", None),
    ("05 ngày làm việc sau khi có kết quả", 2025, "conditional", None),
    ("Dự kiến Quý III/2025", 2025, "due_date", "2025-09-30"),
    ("Quý III/2025 (dự kiến)", 2025, "due_date", "2025-09-30"),
    ("Dự kiến tháng 11 (sau khi có văn bản triển khai của tỉnh)", 2025, "due_date", "2025-11-30"),
    ("Quý I/2025 và duy trì thường xuyên", 2025, "milestones", "2025-03-31"),
    ("Tháng 3/2025, sau đó thực hiện thường xuyên", 2025, "milestones", "2025-03-31"),
    ("Hoàn thành trong Quý II/2025 và tiếp tục thực hiện các năm tiếp theo", 2025, "milestones", "2025-06-30"),
    ("Quý IV/2024 và theo định kỳ", 2025, "milestones", "2024-12-31"),
    ("Quý II/2025 hoặc khi có yêu cầu", 2025, "conditional", None),
    ("Quý II hoặc Quý III/2025", 2025, "unreadable", None),
    ("Trước hoặc trong Quý I/2025", 2025, "due_date", "2025-03-31"),
    ("Quý IV/2025 nếu được phê duyệt", 2025, "due_date", "2025-12-31"),
    ("Năm 2020, sau khi có Nghị định của Chính phủ", 2020, "due_date", "2020-12-31"),
    ("Năm 2020 (Theo lộ trình)", 2020, "due_date", "2020-12-31"),
    ("Sau khi có hướng dẫn", 2025, "conditional", None),
    ("Ngay sau khi Kế hoạch được ban hành", 2025, "conditional", None),
    ("Theo lộ trình của Chính phủ", 2025, "conditional", None),
    ("Khi có yêu cầu", 2025, "conditional", None),
    ("Thường xuyên", 2025, "continuous", None),
    ("Liên tục", 2025, "continuous", None),
    ("Thường xuyên trong năm 2025", 2025, "continuous", None),
    ("Thực hiện từ Quý I/2020", 2020, "continuous", None),
    ("Kể từ ngày 01/7/2025", 2025, "continuous", None),
    ("Hàng năm", 2025, "recurring", None),
    ("Hằng năm", 2025, "recurring", None),
    ("hàng quý", 2025, "recurring", None),
    ("Định kỳ 6 tháng", 2025, "recurring", None),
    ("Định kỳ trong năm", 2025, "recurring", None),
    ("Hằng năm, trước ngày 15/12", 2025, "recurring", None),
    ("Sau Quý I/2025", 2025, "after", None),
    ("Quý I/2205", 2025, "unreadable", None),
    ("Năm 1925", 2025, "unreadable", None),
    ("Quý V/2025", 2025, "unreadable", None),
    ("Tháng 13/2025", 2025, "unreadable", None),
    ("ngày 31/02/2025", 2025, "unreadable", None),
    ("ngày 29/02/2025", 2025, "unreadable", None),
    ("chưa rõ", 2025, "unreadable", None),
    ("15/3", 2025, "unreadable", None),
    ("Quý I/2025 xyz", 2025, "unreadable", None),
    ("Trước 15/12 hằng năm", 2025, "unreadable", None),
    ("Tuần đầu tháng 1/2025", 2025, "unreadable", None),
    ("Sau trước ngày 15/3/2025", 2025, "unreadable", None),
    ("[bold]Quý I[/bold]", 2025, "unreadable", None),
    ("Quý I/2025; Quý II/2025 hoặc Quý III/2025", 2025, "unreadable", None),
    ("Kế hoạch: Quý I năm 2025; Báo cáo: Quý IV năm 2025", 2025, "milestones", "2025-12-31"),
    ("Sở, huyện: trước ngày 01/3/2025; cấp xã: theo yêu cầu của UBND cấp huyện", 2025, "per_level", None),
    ("", 2025, "none", None),
    (unicodedata.normalize("NFD", "Quý IV năm 2024"), 2025, "due_date", "2024-12-31"),
    ("  QUÝ   iv \n NĂM 2024 .. ", 2025, "due_date", "2024-12-31"),
]
for index, (phrase, year, kind, last) in enumerate(PHRASES):
    codes = ("plan.unreadable_deadline",) if kind == "unreadable" else ()

    def phrase_build(d: Path, phrase: str = phrase, year: int = year) -> list[str]:
        return ["inspect", "deadline", phrase, "--year", str(year), "-f", "json"]

    case(f"deadline-{index:03d}", phrase_build, 1 if kind == "unreadable" else 0, codes=codes, kind=kind, last=last)

case("deadline-too-long", lambda d: ["inspect", "deadline", "Quý I/2025 và " * 100, "-y", "2025", "-f", "json"], 1,
     codes=("plan.unreadable_deadline",), kind="unreadable")
case("deadline-digits-only", lambda d: ["inspect", "deadline", "1" * 390, "-y", "2025", "-f", "json"], 1,
     codes=("plan.unreadable_deadline",), kind="unreadable")
case("deadline-markup-table", lambda d: ["inspect", "deadline", "[bold]Quý I[/bold] :fire:", "-y", "2025"], 1,
     output_has=("[bold]Quý I[/bold] :fire:",))
case("plan-huge-deadline-cell", plan_file(PLAN_CSV + '3,Việc ba,"' + "Quý I/2025 " * 500 + '"\n'), 1,
     codes=("plan.unreadable_deadline",))

# ---------------------------------------------------------------- 11. one-stop dossier exports named by a bundle


def bundle_with_export(maker: Callable[[Path], None], name: str = "motcua.xlsx") -> Build:
    def build(d: Path) -> list[str]:
        path = d / "in" / "ev" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        maker(path)
        text = BUNDLE + f"sources:\n  dossier_exports:\n    - {{file: {name}, mapping: motcua_tinh}}\n"
        return ["score", bundle(d, text), "-c", criteria(d), "-f", "json"]
    return build


case("export-xlsx-zip-bomb", bundle_with_export(zip_bomb), 1, output_has=("giải nén quá lớn",))
case("export-xlsx-old-format", bundle_with_export(lambda p: shutil.copyfile(FILES / "old-excel.xls", p)), 1,
     output_has=("Excel cũ (.xls)",))
case("export-xlsx-password", bundle_with_export(lambda p: shutil.copyfile(FILES / "encrypted.xlsx", p)), 1,
     output_has=("đặt mật khẩu",))
case("export-csv-missing", bundle_with_export(lambda p: None, "khong-co.csv"), 1,
     output_has=("in/ev/khong-co.csv: không đọc được tệp hồ sơ TTHC: không tìm thấy tệp hoặc thư mục",))
case("plan-cell-over-csv-limit", plan_file(PLAN_CSV + '3,Việc ba,"' + "Quý I/2025 " * 30_000 + '"\n'), 2,
     codes=("csv.unclosed_quote",))
case("args-jobs-zero", args("score", "B", "-c", "C", "--jobs", "0"), 2, codes=("args.bad_value",),
     output_has=("phải lớn hơn hoặc bằng 1",))
case("args-jobs-not-number", args("score", "B", "-c", "C", "--jobs", "nhiều"), 2, codes=("args.bad_value",))


def all_outputs_into_evidence(d: Path) -> list[str]:
    bundle(d)
    return ["report", "in/ev", "-c", criteria(d), "--all", "in/ev"]


case("output-all-into-evidence-folder", all_outputs_into_evidence, 2, codes=("output.inside_input_folder",))


# The exact codes of the cases above that leave them to the shared readers (YAML, schema, formats, workbook,
# plan tables, arguments): every case that exits 2 names the problem it must produce.
READER_CODES: dict[str, tuple[str, ...]] = {
    "yaml-empty-file": ('bundle.not_mapping',),
    "yaml-only-comments": ('bundle.not_mapping',),
    "yaml-top-level-list": ('bundle.not_mapping',),
    "yaml-top-level-scalar": ('bundle.not_mapping',),
    "yaml-nul-bytes": ('yaml.control_character',),
    "yaml-binary-garbage": ('file.not_utf8',),
    "yaml-nan-metric": ('evidence.not_finite',),
    "yaml-inf-metric": ('evidence.not_finite',),
    "yaml-list-as-metric-value": ('format.bad_number',),
    "yaml-map-as-unit": ('schema.type',),
    "yaml-unknown-key": ('schema.extra_forbidden',),
    "yaml-criteria-unknown-rule-kind": ('schema.unknown_kind',),
    "yaml-criteria-points-not-summing": ('criteria.set_points_sum',),
    "yaml-criteria-dot-number": ('criteria.set_points_sum', 'yaml.ambiguous_number'),
    "yaml-criteria-missing": ('file.not_found',),
    "yaml-symlink-loop": ('file.link_loop',),
    "count-text": ('format.bad_number',),
    "as-of-far-future": ('evidence.as_of_too_late',),
    "document-year-2999": ('evidence.date_year',),
    "date-month-first": ('format.no_such_date',),
    "date-february-30": ('format.no_such_date',),
    "date-two-digit-year": ('format.bad_date',),
    "date-words": ('format.bad_date',),
    "period-start-after-end": ('evidence.period_order',),
    "as-of-before-start": ('evidence.as_of_before_period',),
    "period-year-9999": ('schema.range',),
    "evidence-missing": ('file.not_found',),
    "csv-missing-value-column": ('schema.missing',),
    "csv-documents-bad-date": ('format.no_such_date',),
    "csv-plan-tasks-bad-status": ('schema.choice',),
    "xlsx-plain-workbook-not-template": ('workbook.missing_sheet',),
    "workbook-count-yes": ('format.bad_number',),
    "workbook-as-of-far-future": ('evidence.as_of_too_late',),
    "output-is-a-directory": ('file.is_directory',),
    "markup-in-problem-value": ('format.bad_date',),
    "args-year-out-of-range-template": ('args.bad_year',),
    "args-template-unit-path-traversal": ('args.bad_unit_id',),
    "args-template-unit-markup": ('args.bad_unit_id',),
    "plan-no-header": ('plan.no_header',),
    "plan-no-year": ('plan.no_year',),
    "plan-unsupported-suffix": ('plan.unsupported_format',),
    "plan-missing-file": ('file.not_found',),
}
CASES[:] = [replace(c, codes=READER_CODES[c.id]) if c.id in READER_CODES else c for c in CASES]


# ---------------------------------------------------------------- 12. outputs of the commands added later (budget plans, what-if)


def existing_table_in_folder(d: Path) -> list[str]:
    bundle(d, BUNDLE + "tables:\n  documents: vb.csv\n")
    put(d / "in" / "ev" / "vb.csv", "kind,number,issue_date\nke_hoach,2/KH,21/12/2023\n")
    return ["score", "in/ev", "-c", criteria(d), "-f", "csv", "-o", "in/ev/vb.csv"]


case("output-onto-table-through-folder", existing_table_in_folder, 2, codes=("output.overwrites_input",))
case("output-budget-plan-onto-bundle", args("plan", "B", "-c", "C", "--budget", "10", "-f", "json", "-o", "B"), 2,
     codes=("output.overwrites_input",))
case("output-budget-plan-onto-criteria", args("plan", "B", "-c", "C", "--budget", "10", "-f", "json", "-o", "C"), 2,
     codes=("output.overwrites_input",))
case("args-budget-not-number", args("plan", "B", "-c", "C", "--budget", "mười"), 2, codes=("args.bad_value",))
case("markup-whatif-unit-name", lambda d: ["whatif", "u1", "-e", bundle(d, swap(metric("a", "1"), "name: UBND Phường Một",
                                                                                f"name: '{MARKUP}'")),
                                           "-c", criteria(d), "-m", "a=6"], 0, output_has=(MARKUP,))


# ---------------------------------------------------------------- 13. one-stop reports and exports read by `inspect export`


def export_file(maker: Callable[[Path], None], name: str, mapping: str) -> Build:
    def build(d: Path) -> list[str]:
        path = d / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        maker(path)
        return ["inspect", "export", f"in/{name}", "--mapping", mapping, "-f", "json"]
    return build


for mapping in ("motcua_tinh", "opencps_thongke", "tt01_2020_tonghop"):
    case(f"export-inspect-old-xls-{mapping}", export_file(lambda p: shutil.copyfile(FILES / "old-excel.xls", p), "bieu.xlsx",
                                                          mapping), 2, codes=("xlsx.old_format",))
    case(f"export-inspect-password-{mapping}", export_file(lambda p: shutil.copyfile(FILES / "encrypted.xlsx", p),
                                                           "bieu.xlsx", mapping), 2, codes=("xlsx.encrypted",))
    case(f"export-inspect-csv-renamed-{mapping}", export_file(lambda p: p.write_text("a,b\n", encoding="utf-8"), "bieu.xlsx",
                                                              mapping), 2, codes=("xlsx.not_xlsx",))
case("export-inspect-zip-bomb-export", export_file(zip_bomb, "hoso.xlsx", "motcua_tinh"), 2,
     codes=("xlsx.too_large_unpacked",))
case("export-inspect-zip-bomb-report", export_file(zip_bomb, "bieu.xlsx", "opencps_thongke"), 2,
     codes=("report.too_large",))
case("export-inspect-unknown-mapping", export_file(lambda p: p.write_text("a,b\n", encoding="utf-8"), "bieu.csv",
                                                   "khong_co"), 2, codes=("args.unknown_mapping",))
case("export-inspect-mapping-missing", export_file(lambda p: p.write_text("a,b\n", encoding="utf-8"), "bieu.csv",
                                                   "/khong/co.yaml"), 2, codes=("file.not_found",))


def mapping_is_pipe(d: Path) -> list[str]:
    put(d / "in" / "bieu.csv", "a,b\n")
    os.mkfifo(d / "in" / "anh-xa.yaml")
    return ["inspect", "export", "in/bieu.csv", "--mapping", "in/anh-xa.yaml", "-f", "json"]


case("export-inspect-mapping-is-pipe", mapping_is_pipe, 2, codes=("file.not_regular",))
