"""Test cases for criteria authors: small evidence inputs with the points and statuses they must give.

Like `opa test` for policies: a case file next to a set (criteria/cases/<set-id>.cases.yaml) lists
cases, each an inline evidence bundle and the expected result per criterion (and optionally the
total, index and band). Running them scores each case with the real engine and reports every
mismatch with the explanation trail, so an author sees why a boundary moved.

A case file may `extends` another (the cases of a tailored set start from those of its base), `skip`
inherited cases by name, and replace one by giving a case with the same name. Inherited cases run as
written in their own file, with that file's defaults; what no file gives (unit, period, as-of date)
comes from the set under test.
"""

from __future__ import annotations

import copy
import os
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from engine.core.base import Frozen
from engine.core.problems import Problem, invalid
from engine.core.vnformat import format_date, format_number
from engine.core.yamlsource import Loc, YamlDoc, load_yaml, validation_problems
from engine.kinds.base import EPS, Context, DataProblem, MissingEvidence, ZeroDenominator, read_value
from engine.kinds.tree import CriteriaSet, LoadedCriteria, catalog_labels, iter_nodes, rounder, set_levels
from engine.load.criteria import check_criteria_file
from engine.model.evidence import Bundle, LoadedBundle
from engine.model.results import STATUS_LABELS, NodeResult, Status, UnitResult
from engine.model.criteria import UNCLASSIFIED
from engine.score.run import block_peers
from engine.score.unit import component_index, score_unit

CASES_SUFFIXES = (".cases.yaml", ".cases.yml")
CASES_FOLDER = "cases"
NEAR = 5.0  # a value "just" across a tier boundary is at most this far from it (percentage points or units)


class ExpectNode(Frozen):
    """What one criterion (area, criterion, sub-criterion, bonus/penalty item) must give."""

    points: float | None = None
    status: Status | None = None
    max_points: float | None = Field(None, description="The item's maximum for the unit's level")
    index: float | None = Field(None, description="Component index in %: points over the applicable maximum")

    @model_validator(mode="after")
    def _something(self) -> "ExpectNode":
        if self.points is None and self.status is None and self.max_points is None and self.index is None:
            raise invalid("cần ít nhất points, status, max_points hoặc index", code="cases.empty_expect")
        return self


UNIT_FIELDS = ("total", "max_points", "index", "band", "block", "warnings", "data_problems")


class Expect(Frozen):
    criteria: dict[str, ExpectNode] = Field(default_factory=dict)
    total: float | None = Field(None, description="Points of the unit (after bonus and penalty)")
    max_points: float | None = Field(None, description="Applicable maximum")
    index: float | None = Field(None, description="Index in %")
    band: str | None = Field(None, description="Band label; null means no band (không xếp loại)")
    block: str | None = Field(None, description="The block the unit is scored in (its label); null: the set has none")
    warnings: list[str] | None = Field(
        None, description="Texts that must each appear in one of the unit's warnings; [] means no warning")
    data_problems: int | None = Field(None, ge=0, description="How many data problems the unit has")
    input_error: str | None = Field(
        None, description="The case must be rejected as invalid input with a problem of this code, e.g. evidence.unit_level")

    @model_validator(mode="after")
    def _something(self) -> "Expect":
        if self.input_error is not None:
            if self.criteria or set(UNIT_FIELDS) & self.model_fields_set:
                raise invalid("trường hợp mong đợi lỗi đầu vào (input_error) không mong đợi thêm điểm hay kết quả nào",
                              code="cases.input_error_with_expectations")
            return self
        if not self.criteria and not (set(UNIT_FIELDS) & self.model_fields_set):
            raise invalid("expect cần ít nhất một tiêu chí (criteria) hoặc total, max_points, index, band, block, "
                          "warnings, data_problems, input_error", code="cases.empty_expect")
        return self


class Case(Frozen):
    name: str = Field(min_length=1)
    description: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict, description="Evidence bundle fields, over the defaults")
    peers: list[dict[str, Any]] = Field(
        default_factory=list, description="Other units of the same block (their evidence, over the defaults; `unit` "
                                          "required), for rules that compare the units of a block")
    expect: Expect


class CaseFile(Frozen):
    criteria: str | None = Field(None, description="The set under test, relative to this file; "
                                                   "default ../<set-id>.yaml from the file name")
    extends: str | None = Field(None, description="Another case file whose cases are run against this set too")
    skip: list[str] = Field(default_factory=list, description="Names of inherited cases not to run")
    defaults: dict[str, Any] = Field(default_factory=dict, description="Evidence fields every case starts from")
    cases: list[Case] = Field(default_factory=list)


# ---------------------------------------------------------------- results


class Mismatch(Frozen):
    criterion: str | None
    title: str | None = None
    field: str
    expected: str
    got: str
    line: int | None = None
    trail: list[str] = Field(default_factory=list, description="The explanation: rule, expected, observed, branch")


class CaseResult(Frozen):
    name: str
    file: str
    line: int | None
    passed: bool
    mismatches: list[Mismatch] = Field(default_factory=list)


class SuiteResult(Frozen):
    cases_file: str
    criteria_file: str
    set_id: str
    set_hash: str
    cases: list[CaseResult]
    coverage_gaps: list[str] = Field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]


class TestReport(Frozen):
    __test__ = False  # not a pytest class

    suites: list[SuiteResult] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and all(not s.failed for s in self.suites)

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 2
        return 0 if self.passed else 1


# ---------------------------------------------------------------- loading


Layers = list[tuple[dict, YamlDoc, Loc]]


class _Prepared:
    """One case ready to run: its evidence layers (each with where it was written), its peers' layers, expectations."""

    def __init__(self, case: Case, doc: YamlDoc, loc: Loc, layers: Layers, peers: list[Layers] | None = None):
        self.case = case
        self.doc = doc
        self.loc = loc
        self.layers = layers
        self.peers = peers or []


class _EvidenceView(YamlDoc):
    """Merged evidence of one case; a problem is reported where its top-level key was written."""

    def __init__(self, data: dict, origins: dict[str, tuple[YamlDoc, Loc]], fallback: tuple[YamlDoc, Loc]):
        super().__init__(fallback[0].file, data, {}, "")
        self.origins = origins
        self.fallback = fallback

    def problem(self, loc: Loc, message: str, value: Any = None, severity: str = "error", *, code: str) -> Problem:
        if loc and loc[0] in self.origins:
            doc, base = self.origins[str(loc[0])]
            return doc.problem(base + tuple(loc), message, value, severity, code=code)
        doc, base = self.fallback
        return doc.problem(base, f"{message} ({'.'.join(map(str, loc)) or 'evidence'})", value, severity, code=code)


def is_cases_file(path: Path) -> bool:
    return path.name.endswith(CASES_SUFFIXES)


def _set_id_of(cases_path: Path) -> str:
    name = cases_path.name
    for suffix in CASES_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return cases_path.stem


def _load_case_file(path: Path, stack: tuple[Path, ...] = ()) -> tuple[CaseFile | None, YamlDoc | None, list[_Prepared], list[Problem]]:
    """Read a case file and the files it extends; return its own model and all prepared cases."""
    doc, problems = load_yaml(path)
    if doc is None:
        return None, None, [], problems
    if not isinstance(doc.data, dict):
        return None, doc, [], problems + [doc.problem((), "tệp trường hợp kiểm thử phải là bảng khóa–giá trị (cases, ...)",
                                                                   code="cases.not_mapping")]
    try:
        model = CaseFile.model_validate(doc.data)
    except ValidationError as exc:
        return None, doc, [], problems + validation_problems(doc, exc)
    inherited: list[_Prepared] = []
    if model.extends is not None:
        base_path = Path(os.path.normpath(path.parent / model.extends))
        chain = stack + (path.resolve(),)
        if base_path.resolve() in chain:
            names = " → ".join(p.name for p in chain + (base_path.resolve(),))
            return None, doc, [], problems + [doc.problem(("extends",), f"vòng lặp extends: {names}", model.extends,
                                                                   code="cases.extends_loop")]
        if not base_path.is_file():
            return None, doc, [], problems + [doc.problem(("extends",), f"không tìm thấy tệp {base_path}", model.extends,
                                                                   code="cases.base_not_found")]
        _, _, inherited, base_problems = _load_case_file(base_path, chain)
        if [p for p in base_problems if p.severity == "error"]:
            return None, doc, [], problems + base_problems
        names = {prepared.case.name for prepared in inherited}
        for index, name in enumerate(model.skip):
            if name not in names:
                problems.append(doc.problem(("skip", index), f"không có trường hợp kế thừa nào tên '{name}'", name,
                                            code="cases.unknown_skip"))
        own_names = {case.name for case in model.cases}
        inherited = [p for p in inherited if p.case.name not in model.skip and p.case.name not in own_names]
    elif model.skip:
        problems.append(doc.problem(("skip",), "skip chỉ dùng cùng extends", code="cases.skip_without_extends"))
    seen: dict[str, int] = {}
    own: list[_Prepared] = []
    for index, case in enumerate(model.cases):
        loc = ("cases", index)
        if case.name in seen:
            problems.append(doc.problem(loc + ("name",), f"tên trường hợp trùng với cases[{seen[case.name]}]", case.name,
                                        code="cases.duplicate_name"))
        seen.setdefault(case.name, index)
        defaults = (model.defaults, doc, ("defaults",))
        peers = [[defaults, (peer, doc, loc + ("peers", number))] for number, peer in enumerate(case.peers)]
        own.append(_Prepared(case, doc, loc, [defaults, (case.evidence, doc, loc + ("evidence",))], peers))
    return model, doc, inherited + own, problems


def _derived_defaults(criteria: CriteriaSet, name: str) -> dict:
    """Evidence every case starts from: one unit of the set's level, the set's year, as of 31/12."""
    year = criteria.year
    return {
        "unit": {"id": "truong-hop-thu", "name": name, "level": criteria.level},
        "period": {"year": year, "start": format_date(date(year, 1, 1)), "end": format_date(date(year, 12, 31))},
        "as_of": format_date(date(year, 12, 31)),
    }


def _bundle(layers: Layers, name: str, fallback: tuple[YamlDoc, Loc], criteria: CriteriaSet
            ) -> tuple[Bundle | None, list[Problem], dict[str, tuple[YamlDoc, Loc]]]:
    merged = _derived_defaults(criteria, name)
    origins: dict[str, tuple[YamlDoc, Loc]] = {}
    for layer, doc, loc in layers:
        for key, value in layer.items():
            merged[key] = copy.deepcopy(value)
            origins[key] = (doc, loc)
    if "tables" in merged:
        doc, loc = origins["tables"]
        return None, [doc.problem(loc + ("tables",), "trường hợp kiểm thử ghi minh chứng trực tiếp; không dùng bảng CSV (tables)",
                                  code="cases.tables")], origins
    view = _EvidenceView(merged, origins, fallback)
    try:
        return Bundle.model_validate(merged), [], origins
    except ValidationError as exc:
        return None, validation_problems(view, exc), origins


def _case_bundles(item: _Prepared, criteria: CriteriaSet, levels: set[str]) -> tuple[list[Bundle], list[Problem]]:
    """The case's unit first, then its peers; every problem of any of them (unknown level, a peer with the case's id)."""
    bundles: list[Bundle] = []
    problems: list[Problem] = []
    parts = [(item.layers, item.case.name, (item.doc, item.loc + ("evidence",)))]
    parts += [(layers, f"{item.case.name} ({number + 1})", (item.doc, item.loc + ("peers", number)))
              for number, layers in enumerate(item.peers)]
    for number, (layers, name, fallback) in enumerate(parts):
        bundle, found, origins = _bundle(layers, name, fallback, criteria)
        if number and "unit" not in layers[-1][0]:
            found.append(fallback[0].problem(fallback[1], "mỗi đơn vị cùng khối (peers) phải ghi unit: {id, name, level}",
                                             code="cases.peer_without_unit"))
        if bundle is not None and bundle.unit.level not in levels:
            doc, loc = origins.get("unit", fallback)
            found.append(doc.problem(loc + ("unit", "level"), f"cấp đơn vị '{bundle.unit.level}' không dùng được bộ chỉ số cấp "
                                     + ", ".join(sorted(levels)), bundle.unit.level, code="evidence.unit_level"))
        if bundle is not None and number and bundles and bundle.unit.id in {b.unit.id for b in bundles}:
            found.append(fallback[0].problem(fallback[1] + ("unit", "id"), f"mã đơn vị '{bundle.unit.id}' trùng với một "
                                             "đơn vị khác của trường hợp", bundle.unit.id, code="cases.duplicate_unit"))
        problems += found
        if bundle is not None:
            bundles.append(bundle)
    return bundles, problems


def _relative_without_peers(item: _Prepared, criteria: CriteriaSet) -> list[Problem]:
    """A case of one unit cannot score a rule that compares the units of a block: expecting its points is a mistake."""
    if item.peers:
        return []
    relative = {node.id for node, _, _ in iter_nodes(criteria.items) if node.rule is not None and node.rule.needs_block}
    loc = item.loc + ("expect", "criteria")
    return [item.doc.problem(loc + (criterion,), f"tiêu chí {criterion} chấm so với đơn vị cao nhất khối nhưng trường hợp "
                                                 "chỉ có một đơn vị (một đơn vị chấm riêng lẻ thì tiêu chí này thiếu minh "
                                                 "chứng); thêm các đơn vị cùng khối vào peers", criterion,
                             code="cases.relative_without_peers")
            for criterion, wanted in item.case.expect.criteria.items()
            if criterion in relative and not (wanted.points in (None, 0) and wanted.status in (None, "missing_evidence"))]


# ---------------------------------------------------------------- discovery


def find_suites(path: Path) -> tuple[list[tuple[Path, Path | None]], list[str], list[Problem]]:
    """(cases file, criteria file or None for 'by convention') pairs to run, notes, problems.

    - a case file (*.cases.yaml): that file;
    - a criteria file: cases/<set-id>.cases.yaml beside it;
    - a folder: every criteria file in it with its cases, and every case file in it or in its cases/ folder.
    """
    if path.is_file() and is_cases_file(path):
        return [(path, None)], [], []
    if path.is_file():
        loaded, problems = check_criteria_file(path)
        if loaded is None:
            return [], [], [p for p in problems if p.severity == "error"]
        cases = _cases_for(path, loaded.criteria.id)
        if cases is None:
            return [], [], [Problem(code="cases.no_cases_file", file=str(path), message=(
                f"không tìm thấy tệp trường hợp kiểm thử; theo quy ước: {path.parent / CASES_FOLDER / (loaded.criteria.id + '.cases.yaml')}"))]
        return [(cases, path)], [], []
    if not path.is_dir():
        return [], [], [Problem(code="file.not_found", file=str(path), message="không tìm thấy tệp hoặc thư mục")]
    suites: list[tuple[Path, Path | None]] = []
    notes: list[str] = []
    problems: list[Problem] = []
    claimed: set[Path] = set()
    for criteria_path in sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and not is_cases_file(p)):
        loaded, file_problems = check_criteria_file(criteria_path)
        if loaded is None:
            problems += [p for p in file_problems if p.severity == "error"]
            continue
        cases = _cases_for(criteria_path, loaded.criteria.id)
        if cases is None:
            notes.append(f"{criteria_path}: bộ chỉ số '{loaded.criteria.id}' chưa có trường hợp kiểm thử "
                         f"({CASES_FOLDER}/{loaded.criteria.id}.cases.yaml)")
            continue
        claimed.add(cases.resolve())
        suites.append((cases, criteria_path))
    folders = [path, path / CASES_FOLDER]
    for folder in folders:
        if folder.is_dir():
            for cases in sorted(p for p in folder.iterdir() if is_cases_file(p)):
                if cases.resolve() not in claimed:
                    claimed.add(cases.resolve())
                    suites.append((cases, None))
    if not suites and not problems:
        problems.append(Problem(code="cases.empty_folder", file=str(path),
                                message="thư mục không có bộ chỉ số hay tệp trường hợp kiểm thử nào"))
    return suites, notes, problems


def _cases_for(criteria_path: Path, set_id: str) -> Path | None:
    for name in (set_id, criteria_path.stem):
        for suffix in CASES_SUFFIXES:
            candidate = criteria_path.parent / CASES_FOLDER / (name + suffix)
            if candidate.is_file():
                return candidate
    return None


def _criteria_for(cases_path: Path, model: CaseFile) -> Path:
    if model.criteria:
        return Path(os.path.normpath(cases_path.parent / model.criteria))
    base = cases_path.parent.parent if cases_path.parent.name == CASES_FOLDER else cases_path.parent
    return base / (_set_id_of(cases_path) + ".yaml")


# ---------------------------------------------------------------- running


def run_suite(cases_path: Path, criteria_path: Path | None = None) -> tuple[SuiteResult | None, list[Problem]]:
    """Run one case file against its set; input problems (bad cases, bad set) come back as problems."""
    model, doc, prepared, problems = _load_case_file(cases_path)
    if model is None or [p for p in problems if p.severity == "error"]:
        return None, problems
    criteria_path = criteria_path or _criteria_for(cases_path, model)
    if not criteria_path.is_file():
        where = ("criteria",) if model.criteria else ()
        return None, problems + [doc.problem(where, f"không tìm thấy bộ chỉ số {criteria_path} (khai báo 'criteria: đường dẫn' "
                                                   f"hoặc đặt tệp thành cases/<mã bộ chỉ số>.cases.yaml)", model.criteria,
                                                 code="cases.criteria_not_found")]
    loaded, criteria_problems = check_criteria_file(criteria_path)
    if loaded is None:
        return None, problems + [p for p in criteria_problems if p.severity == "error"]
    if not prepared:
        return None, problems + [doc.problem(("cases",), "tệp không có trường hợp kiểm thử nào", code="cases.no_cases")]
    levels = set_levels(loaded.criteria)
    runs: list[tuple[_Prepared, Bundle | None, UnitResult | None, list[Problem]]] = []
    for item in prepared:
        bundles, bundle_problems = _case_bundles(item, loaded.criteria, levels)
        errors = [p for p in bundle_problems if p.severity == "error"]
        if item.case.expect.input_error is not None:
            runs.append((item, None, None, errors))  # the problems are what the case expects, not problems of the file
            continue
        problems += bundle_problems + _relative_without_peers(item, loaded.criteria)
        if bundles and not errors:
            loaded_bundles = [LoadedBundle(bundle, str(cases_path), "", []) for bundle in bundles]
            peers = block_peers(loaded, loaded_bundles)
            result = score_unit(loaded, loaded_bundles[0], peers.get(bundles[0].unit.level, {}))
            runs.append((item, bundles[0], result, []))
    if [p for p in problems if p.severity == "error"]:
        return None, problems
    results = [_rejected(item, found) if result is None else _compare(item, result, loaded)
               for item, _, result, found in runs]
    suite = SuiteResult(cases_file=str(cases_path), criteria_file=str(criteria_path), set_id=loaded.criteria.id,
                        set_hash=loaded.digest, cases=results,
                        coverage_gaps=coverage_gaps(loaded, [(item.case, bundle) for item, bundle, _, _ in runs
                                                             if bundle is not None]))
    return suite, problems


def run_tests(path: Path) -> TestReport:
    """Find and run the case files for a set, a case file, or a folder."""
    suites, notes, problems = find_suites(path)
    results: list[SuiteResult] = []
    for cases_path, criteria_path in suites:
        suite, suite_problems = run_suite(cases_path, criteria_path)
        problems += [p for p in suite_problems if p.severity == "error"]
        if suite is not None:
            results.append(suite)
    return TestReport(suites=results, notes=notes, problems=problems)


def _find_result(result: UnitResult, criterion: str) -> NodeResult | Any | None:
    node = next((n for n in result.nodes if n.id == criterion), None)
    return node or next((a for a in result.adjustments if a.id == criterion), None)


def _trail(node) -> list[str]:
    exp = node.explanation
    if exp is None:
        return []
    lines = [f"Quy tắc: {exp.rule}", f"Yêu cầu: {exp.expected}"]
    lines += [f"Thực tế: {o.name} = {o.value}" + (f" [{o.ref}]" if o.ref and o.ref != o.value else "") for o in exp.observed]
    if not exp.observed:
        lines.append("Thực tế: không có minh chứng")
    lines.append(f"Kết luận: {exp.branch}")
    lines += [f"Lỗi dữ liệu: {p}" for p in exp.problems]
    return lines


def _status_text(status: str | None) -> str:
    return "-" if status is None else f"{status} ({STATUS_LABELS.get(status, status)})"


def _num(value: float | None) -> str:
    return "không có" if value is None else format_number(value)


def _compare(item: _Prepared, result: UnitResult, loaded: LoadedCriteria) -> CaseResult:
    expect = item.case.expect
    doc, loc = item.doc, item.loc + ("expect",)
    rnd = rounder(loaded.criteria)
    mismatches: list[Mismatch] = []
    for criterion, wanted in expect.criteria.items():
        where = loc + ("criteria", criterion)
        node = _find_result(result, criterion)
        if node is None:
            in_set = any(n.id == criterion for n, _, _ in iter_nodes(loaded.criteria.items))
            mismatches.append(Mismatch(criterion=criterion, field="criterion", expected="có trong bộ chỉ số",
                                       got=f"không chấm cho cấp '{result.level}'" if in_set else "không có tiêu chí này",
                                       line=doc.line(where)))
            continue
        trail = _trail(node)
        for field, want, got in (("points", wanted.points, node.points),
                                 ("node_max_points", wanted.max_points, node.max_points),
                                 ("node_index", wanted.index, component_index(result, criterion, rnd))):
            if want is not None and (got is None or abs(got - want) > EPS):
                key = {"node_max_points": "max_points", "node_index": "index"}.get(field, field)
                mismatches.append(Mismatch(criterion=criterion, title=node.title, field=field, expected=_num(want),
                                           got=_num(got), line=doc.line(where + (key,)), trail=trail))
        if wanted.status is not None and node.status != wanted.status:
            mismatches.append(Mismatch(criterion=criterion, title=node.title, field="status",
                                       expected=_status_text(wanted.status), got=_status_text(node.status),
                                       line=doc.line(where + ("status",)), trail=trail))
    for field, got in (("total", result.points), ("max_points", result.max_points), ("index", result.index_pct)):
        wanted_value = getattr(expect, field)
        if field in expect.model_fields_set and (
                (wanted_value is None) != (got is None) or (got is not None and abs(got - wanted_value) > EPS)):
            mismatches.append(Mismatch(criterion=None, field=field, expected=_num(wanted_value), got=_num(got),
                                       line=doc.line(loc + (field,)),
                                       trail=_unit_trail(result)))
    for field, none_text in (("band", UNCLASSIFIED), ("block", "không chia khối")):
        wanted_text, got_text = getattr(expect, field), getattr(result, field)
        if field in expect.model_fields_set and wanted_text != got_text:
            mismatches.append(Mismatch(criterion=None, field=field, expected=wanted_text or none_text,
                                       got=got_text or none_text, line=doc.line(loc + (field,)), trail=_unit_trail(result)))
    if expect.data_problems is not None and expect.data_problems != result.data_problems:
        mismatches.append(Mismatch(criterion=None, field="data_problems", expected=str(expect.data_problems),
                                   got=str(result.data_problems), line=doc.line(loc + ("data_problems",)),
                                   trail=[f"Lỗi dữ liệu: {n.id} {n.title}: {'; '.join(n.explanation.problems)}"
                                          for n in result.nodes if n.status == "data_error" and n.explanation]
                                   + [f"Cảnh báo: {w}" for w in result.warnings]))
    if expect.warnings is not None:
        absent = [text for text in expect.warnings if not any(text in warning for warning in result.warnings)]
        if absent or (not expect.warnings and result.warnings):
            mismatches.append(Mismatch(criterion=None, field="warnings",
                                       expected="; ".join(expect.warnings) or "không có cảnh báo",
                                       got=f"{len(result.warnings)} cảnh báo" + (f", không có: {'; '.join(absent)}" if absent else ""),
                                       line=doc.line(loc + ("warnings",)),
                                       trail=[f"Cảnh báo: {w}" for w in result.warnings]))
    return CaseResult(name=item.case.name, file=doc.file, line=doc.line(item.loc), passed=not mismatches,
                      mismatches=mismatches)


def _rejected(item: _Prepared, found: list[Problem]) -> CaseResult:
    """A case that must be rejected as invalid input: it passes when a problem with the expected code was found."""
    wanted = item.case.expect.input_error
    doc, loc = item.doc, item.loc + ("expect", "input_error")
    codes = sorted({p.code or "?" for p in found})
    mismatches = []
    if wanted not in codes:
        mismatches.append(Mismatch(criterion=None, field="input_error", expected=wanted,
                                   got=", ".join(codes) if found else "đầu vào hợp lệ, không có lỗi",
                                   line=doc.line(loc), trail=[p.render() for p in found]))
    return CaseResult(name=item.case.name, file=doc.file, line=doc.line(item.loc), passed=not mismatches,
                      mismatches=mismatches)


def _unit_trail(result: UnitResult) -> list[str]:
    lines = [f"Điểm {_num(result.points)}/{_num(result.max_points)} điểm áp dụng (tổng tối đa {_num(result.total_max_points)}), "
             f"chỉ số {_num(result.index_pct)}%, xếp loại {result.band or 'không có'}"
             + (f", khối {result.block}" if result.block else "")]
    if result.bonus or result.penalty:
        lines.append(f"Điểm thưởng {_num(result.bonus)}, điểm trừ {_num(result.penalty)}")
    lines += [f"Lĩnh vực {a.id}: {_num(a.points)}/{_num(a.max_points)}" for a in result.areas]
    return lines


# ---------------------------------------------------------------- coverage


def coverage_gaps(loaded: LoadedCriteria, runs: list[tuple[Case, Bundle]]) -> list[str]:
    """What the cases leave untested: a tier boundary (the value on it and one just across), or a status."""
    criteria = loaded.criteria
    labels = catalog_labels(criteria)
    gaps: list[str] = []
    asserted = {status for case, _ in runs for e in case.expect.criteria.values() if e.status for status in [e.status]}
    for status, label in STATUS_LABELS.items():
        if status not in asserted:
            gaps.append(f"chưa có trường hợp nào mong đợi trạng thái '{status}' ({label})")
    for node, _, _ in iter_nodes(criteria.items):
        boundaries = node.rule.boundaries() if node.rule is not None else []
        if not boundaries:
            continue
        values = []
        for case, bundle in runs:
            wanted = case.expect.criteria.get(node.id)
            if wanted is None or wanted.points is None:
                continue
            try:
                values.append(read_value(boundaries[0].ref, Context(bundle, labels)).value)
            except (MissingEvidence, DataProblem, ZeroDenominator):
                continue
        for ref, value, inside, across in boundaries:
            unit = "%" if ref.is_percent else ""
            if not any(abs(v - value) <= EPS for v in values):
                gaps.append(f"{node.id}: chưa kiểm thử giá trị đúng bằng {format_number(value)}{unit} "
                            f"(thuộc mức '{inside.describe(unit)}')")
            if not any(across.contains(v) and abs(v - value) <= NEAR + EPS for v in values):
                gaps.append(f"{node.id}: chưa kiểm thử giá trị sát ranh giới {format_number(value)}{unit} thuộc mức "
                            f"'{across.describe(unit)}' (cách không quá {format_number(NEAR)})")
    return gaps


# ---------------------------------------------------------------- words


def format_report(report: TestReport, show_coverage: bool = False) -> str:
    """The report in Vietnamese: one line per file, every mismatch with its explanation trail, the totals."""
    lines: list[str] = []
    for suite in report.suites:
        failed = suite.failed
        lines.append(f"{suite.cases_file} → {suite.criteria_file} (bộ chỉ số {suite.set_id}): "
                     f"{len(suite.cases) - len(failed)}/{len(suite.cases)} trường hợp đạt")
        for case in failed:
            place = f"{case.file}" + (f", dòng {case.line}" if case.line else "")
            lines.append(f"  SAI: \"{case.name}\" ({place})")
            shown: list[str] = []
            for mismatch in case.mismatches:
                what = {"points": "điểm", "status": "trạng thái", "criterion": "tiêu chí", "total": "tổng điểm",
                        "max_points": "điểm tối đa áp dụng", "index": "chỉ số (%)", "band": "xếp loại",
                        "node_max_points": "điểm tối đa", "node_index": "chỉ số thành phần (%)", "block": "khối",
                        "warnings": "cảnh báo", "data_problems": "số lỗi dữ liệu",
                        "input_error": "lỗi đầu vào (mã)"}[mismatch.field]
                head = f"{mismatch.criterion} {mismatch.title or ''}".strip() + " — " if mismatch.criterion else ""
                line = f", dòng {mismatch.line}" if mismatch.line else ""
                lines.append(f"    {head}{what}: mong đợi {mismatch.expected}, thực tế {mismatch.got}{line}")
                if mismatch.trail != shown:
                    lines += [f"      {text}" for text in mismatch.trail]
                shown = mismatch.trail
        if show_coverage:
            if suite.coverage_gaps:
                lines.append(f"  Độ phủ: còn {len(suite.coverage_gaps)} chỗ chưa kiểm thử:")
                lines += [f"    - {gap}" for gap in suite.coverage_gaps]
            else:
                lines.append("  Độ phủ: đủ mọi ranh giới mức điểm và mọi trạng thái.")
    lines += [f"Ghi chú: {note}" for note in report.notes]
    total = sum(len(s.cases) for s in report.suites)
    failed = sum(len(s.failed) for s in report.suites)
    lines.append(f"Tổng cộng: {total} trường hợp, {total - failed} đạt, {failed} sai.")
    return "\n".join(lines) + "\n"
