"""Reading an assessment file and unit records; every problem with its file, YAML path or record line.

A record is one JSON Lines file per unit and assessment. Each line is the canonical JSON of one
entry plus `prev`, the hash of the line before it (zeros for the first), and `hash`, the sha256 of
the line's own canonical JSON without `hash`. A line edited after it was written no longer matches
its own hash; a line removed, inserted or moved breaks the `prev` link of the line after it. Both
are reported with the line number, so nobody can quietly rewrite who gave which points.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from engine.core.problems import Problem, os_error_code, os_error_vi
from engine.core.yamlsource import load_yaml, pydantic_message, validation_problems
from engine.kinds.tree import LoadedCriteria, iter_nodes
from engine.load.criteria import check_criteria_file
from engine.model.assessment import ENTRY_FIELD_LABELS, Assessment, Entry, canonical, time_key

GENESIS = "0" * 64
"""The `prev` of a record's first line."""


class LoadedAssessment:
    """A validated assessment with its file, the criteria set it uses and where its files are."""

    def __init__(self, assessment: Assessment, file: str, digest: str, criteria: LoadedCriteria, base: Path,
                 line: Callable[[tuple], int | None] | None = None):
        self.assessment = assessment
        self.file = file
        self.digest = digest
        self.criteria = criteria
        self.base = base
        self._line = line

    def line(self, loc: tuple) -> int | None:
        return self._line(loc) if self._line is not None else None

    def path(self, relative: str) -> Path:
        return Path(os.path.normpath(self.base / relative))

    def record_path(self, unit: str) -> Path:
        return self.path(self.assessment.records) / f"{unit}.jsonl"

    def caps(self) -> tuple[float | None, float | None]:
        """(bonus cap, penalty cap) of the year: the assessment's, else the set's."""
        caps, criteria = self.assessment.caps, self.criteria.criteria
        return (caps.bonus if caps.bonus is not None else criteria.bonus_cap,
                caps.penalty if caps.penalty is not None else criteria.penalty_cap)


def check_assessment_file(path: Path) -> tuple[LoadedAssessment | None, list[Problem]]:
    """Parse and validate an assessment file and the criteria set it names; every problem in one pass."""
    path = Path(path)
    doc, problems = load_yaml(path)
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        return None, problems + [doc.problem((), "tệp đợt đánh giá phải là một bảng khóa–giá trị (id, title, criteria...)",
                                             code="assessment.not_a_mapping")]
    try:
        assessment = Assessment.model_validate(doc.data)
    except ValidationError as exc:
        return None, problems + validation_problems(doc, exc)
    base = path.parent
    criteria_path = Path(os.path.normpath(base / assessment.criteria))
    loaded, criteria_problems = check_criteria_file(criteria_path)
    errors = [p for p in criteria_problems if p.severity == "error"]
    if loaded is None or errors:
        problems.append(doc.problem(("criteria",), "bộ chỉ số của đợt đánh giá không đọc được hoặc có lỗi (xem các lỗi sau)",
                                    assessment.criteria, code="assessment.criteria_invalid"))
        return None, problems + (errors or criteria_problems)

    def problem(loc: tuple, message: str, value=None, *, code: str) -> Problem:
        return doc.problem(loc, message, value, code=code)

    criteria = loaded.criteria
    if assessment.criteria_hash is not None and assessment.criteria_hash != loaded.digest:
        problems.append(problem(("criteria_hash",), "tệp bộ chỉ số đã thay đổi kể từ khi lập đợt đánh giá (mã băm không "
                                "khớp); điểm đã chấm có thể không còn đúng với bộ chỉ số hiện tại",
                                code="assessment.criteria_changed"))
    if assessment.year != criteria.year:
        problems.append(problem(("year",), f"năm đánh giá {assessment.year} khác năm của bộ chỉ số ({criteria.year})",
                                assessment.year, code="assessment.year_mismatch"))
    known = {node.id for node, _, _ in iter_nodes(criteria.items) if node.is_leaf} | {a.id for a in criteria.adjustments}
    for i, rule in enumerate(assessment.scorers):
        for j, criterion in enumerate(rule.criteria):
            if criterion not in known:
                problems.append(problem(("scorers", i, "criteria", j),
                                        f"tiêu chí '{criterion}' không có trong bộ chỉ số {criteria.id} "
                                        "(chỉ ghi tiêu chí lá hoặc mục điểm thưởng, điểm trừ)", criterion,
                                        code="assessment.unknown_criterion"))
    for key, value in (("self", assessment.evidence.self), ("explanation", assessment.evidence.explanation)):
        if value is not None and not (base / value).exists():
            problems.append(problem(("evidence", key), "không tìm thấy tệp hoặc thư mục minh chứng (đường dẫn tính từ "
                                    "thư mục của tệp này)", value, code="assessment.missing_evidence_path"))
    records = base / assessment.records
    if records.exists() and not records.is_dir():
        problems.append(problem(("records",), "đường dẫn hồ sơ chấm điểm phải là một thư mục", assessment.records,
                                code="assessment.records_not_folder"))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return LoadedAssessment(assessment, str(path), doc.digest, loaded, base, doc.line), problems


# ---------------------------------------------------------------- records


def line_hash(data: dict) -> str:
    """sha256 over the canonical JSON of a record line without its own `hash`."""
    return hashlib.sha256(canonical({k: v for k, v in data.items() if k != "hash"})).hexdigest()


def entry_data(entry: Entry) -> dict:
    """The JSON object of an entry as written in a record (unset optional fields left out)."""
    return entry.model_dump(mode="json", exclude_none=True)


def record_lines(entries: list[Entry], prev: str = GENESIS) -> tuple[str, str]:
    """The lines appending `entries` (in time order) after a record whose last hash is `prev`; returns (text, new head)."""
    lines = []
    for entry in sorted(entries, key=time_key):
        data = entry_data(entry)
        data["prev"] = prev
        data["hash"] = prev = line_hash(data)
        lines.append(canonical(data).decode("utf-8"))
    return "".join(line + "\n" for line in lines), prev


class Record:
    """A unit's record as read: entries with their line numbers, the last hash, and the problems found."""

    def __init__(self, file: str, entries: list[tuple[int, Entry]], head: str, problems: list[Problem], raw: bytes):
        self.file = file
        self.lines = entries
        self.head = head
        self.problems = problems
        self.raw = raw

    @property
    def entries(self) -> list[Entry]:
        return [entry for _, entry in self.lines]


def read_record(path: Path, assessment: str, unit: str) -> Record:
    """Verify the hash chain and parse every line; a missing file is an empty record."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return Record(file, [], GENESIS, [], b"")
    except OSError as exc:
        return Record(file, [], GENESIS, [Problem(file=file, code=os_error_code(exc),
                                                  message=f"không đọc được hồ sơ chấm điểm: {os_error_vi(exc)}")], b"")
    return parse_record(raw, file, assessment, unit)


def parse_record(raw: bytes, file: str, assessment: str, unit: str) -> Record:
    """The record in `raw` (JSON Lines), checked line by line; used for files and for records kept elsewhere."""
    problems: list[Problem] = []
    entries: list[tuple[int, Entry]] = []
    expected_prev = GENESIS
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return Record(file, [], GENESIS, [Problem(file=file, line=line, code="file.not_utf8",
                                                  message="hồ sơ chấm điểm không phải UTF-8; tệp đã bị sửa hoặc hỏng")], raw)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, start=1):
        def problem(message: str, value: str | None = None, *, code: str) -> None:
            problems.append(Problem(file=file, line=number, code=code, message=message, value=value))

        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            problem("dòng này không phải một mục hồ sơ hợp lệ (JSON hỏng); tệp đã bị sửa hoặc hỏng", line[:80],
                    code="record.bad_line")
            expected_prev = None
            continue
        if not isinstance(data, dict) or not isinstance(data.get("hash"), str) or not isinstance(data.get("prev"), str):
            problem("dòng này thiếu mã kiểm tra của hồ sơ; tệp đã bị sửa hoặc hỏng", line[:80], code="record.bad_line")
            expected_prev = None
            continue
        if line_hash(data) != data["hash"]:
            problem(code="record.changed_line", message="dòng này đã bị sửa sau khi ghi (mã kiểm tra không khớp nội dung)")
        elif expected_prev is not None and data["prev"] != expected_prev:
            problem(code="record.broken_chain", message="dòng này không nối tiếp dòng trước: có dòng bị xóa, chèn thêm "
                                           "hoặc đổi thứ tự ở trước dòng này")
        expected_prev = data["hash"]
        fields = {k: v for k, v in data.items() if k not in ("prev", "hash")}
        try:
            entry = Entry.model_validate(fields)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                where = " / ".join(ENTRY_FIELD_LABELS.get(str(part), f"mục thứ {part + 1}" if isinstance(part, int)
                                                          else "trường không có trong định dạng") for part in err["loc"])
                problem(code="record.invalid_entry", message=f"mục hồ sơ không hợp lệ ở '{where}': {pydantic_message(err)}")
            continue
        if entry.unit != unit or entry.assessment != assessment:
            problem(code="record.other_unit", message=f"mục này thuộc hồ sơ của đơn vị '{entry.unit}' trong đợt đánh giá "
                                         f"'{entry.assessment}', không phải đơn vị '{unit}' của đợt '{assessment}'")
            continue
        entries.append((number, entry))
    head = expected_prev if expected_prev is not None else GENESIS
    return Record(file, entries, head, problems, raw)
