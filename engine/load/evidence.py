"""Evidence files and folders: each file read by the reader of its format (YAML bundle or Excel workbook), all problems in one pass."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, NamedTuple

from engine.core.limits import MAX_YAML_BYTES, read_limited
from engine.core.parallel import default_workers, ordered_map
from engine.core.problems import InputError, Problem
from engine.core.yamlsource import YamlDoc, load_yaml
from engine.load.bundles import load_bundle
from engine.load.workbook import load_workbook_bundle
from engine.model.evidence import LoadedBundle

BUNDLE_SUFFIXES = (".yaml", ".yml")
LOCK_PREFIX = "~$"
"""Excel's lock file beside an open workbook: 165 bytes of owner name, never a bundle."""


def find_bundle_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Files to read: each path is a bundle or a folder of bundles (read in sorted order)."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*")
                                if p.suffix.lower() in BUNDLE_SUFFIXES + EXTRA_SUFFIXES and p.is_file())
            found = [p for p in candidates if not p.name.startswith(LOCK_PREFIX)]
            locks = [p for p in candidates if p.name.startswith(LOCK_PREFIX)]
            if not found and locks:
                problems.append(Problem(
                    file=str(path), value=", ".join(p.name for p in locks[:5]), code="evidence.only_lock_files",
                    message="thư mục chỉ có tệp khóa tạm của Excel (tên bắt đầu bằng '~$', tạo ra khi tệp đang mở), "
                            "không có biểu mẫu minh chứng nào; đóng Excel và kiểm tra các tệp .xlsx đã được lưu vào "
                            "thư mục này"))
            elif not found:
                problems.append(Problem(file=str(path), code="evidence.empty_folder",
                                        message="thư mục không có bộ minh chứng nào (.yaml, .yml, .xlsx)"))
            files += found
        elif path.is_file():
            files.append(path)
        elif path.exists():
            problems.append(Problem(file=str(path), code="file.not_regular",
                                    message="minh chứng không phải tệp thông thường (thiết bị, ống dẫn hoặc socket); không đọc"))
        else:
            problems.append(Problem(code="file.not_found", file=str(path), message="không tìm thấy tệp hoặc thư mục minh chứng"))
    return files, problems


EXTRA_SUFFIXES: tuple[str, ...] = (".xlsx",)
LOADERS: dict[str, Any] = {".yaml": load_bundle, ".yml": load_bundle, ".xlsx": load_workbook_bundle}


def _parse_bundle_yaml(path: Path) -> tuple[YamlDoc | None, list[Problem]]:
    """A bundle's YAML read in a worker: plain data back, validated where it is used (in file order)."""
    return load_yaml(path, vi_numbers=True)


def load_bundles(paths: list[Path]) -> list[LoadedBundle]:
    """Load every bundle; raise InputError with all problems of all files if any is invalid."""
    loaded, problems = read_bundles(paths)
    if problems:
        raise InputError(problems)
    return loaded


_SCALAR_BEFORE = r"(?<![^\s\"'\[{,:?|>!&*-])"
_SCALAR_AFTER = r"(?![^\s\"'\]},:#])"
"""What may stand right before and after a whole YAML scalar (space, line break, quote, flow or block indicator): a
longer name that merely contains the id (phuong-1 in phuong-10) is no match. Generous on purpose: a file wrongly kept
is only read."""


class UnitScan(NamedTuple):
    """A cheap look at a YAML file's text for one unit id, before reading it as a bundle."""

    unit: str
    pattern: re.Pattern[str]

    def may_hold(self, path: Path) -> bool:
        """False only when the file surely does not name the unit: its text is searched in NFC, so ids written composed,
        decomposed or in a mix match alike. A file that could hide the id (a backslash escape, a tag such as !!binary,
        NUL bytes of UTF-16 or UTF-32 text, text that is not UTF-8, a file too large or unreadable) is kept, to be read
        and checked."""
        raw, _ = read_limited(path, MAX_YAML_BYTES)
        if raw is None or b"\\" in raw or b"\0" in raw or b"!" in raw:
            return True
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return True
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        return self.unit in text and self.pattern.search(text) is not None  # the plain search first: it is fast


def unit_scan(unit: str) -> UnitScan | None:
    """The scan for `unit` (NFC, as typed ids are compared); None when the id could be written without its characters
    appearing together (whitespace folds across lines, a quote doubles inside single quotes): then every file is read."""
    if not unit or "'" in unit or any(ch.isspace() for ch in unit) or not unicodedata.is_normalized("NFC", unit):
        return None
    return UnitScan(unit, re.compile(_SCALAR_BEFORE + re.escape(unit) + _SCALAR_AFTER))


def read_bundles(paths: list[Path], snapshots: bool = False, unit: str | None = None
                 ) -> tuple[list[LoadedBundle], list[Problem]]:
    """The bundles that load and the errors of all files, so a caller can check the valid ones in the same pass.

    With `snapshots`, a unit may have several bundles at different as-of dates (the in-year watch reads a trend from them).
    With `unit` (an NFC id), only the files that may hold that unit are read (see UnitScan; workbooks always are):
    its bundles, duplicates of its id and the problems of those files, not of the other units' files.
    """
    files, problems = find_bundle_files(paths)
    scan = unit_scan(unit) if unit is not None else None
    if scan is not None:
        files = [f for f in files if f.suffix.lower() not in BUNDLE_SUFFIXES or scan.may_hold(f)]
    loaded: list[LoadedBundle] = []
    yaml_files = [f for f in files if f.suffix.lower() in BUNDLE_SUFFIXES]
    parsed = ordered_map(_parse_bundle_yaml, yaml_files, default_workers(len(yaml_files)))  # taken in file order
    for file in files:
        loader = LOADERS.get(file.suffix.lower())
        if loader is None:
            problems.append(Problem(code="evidence.unsupported_format", file=str(file),
                                    message="định dạng minh chứng không được hỗ trợ (dùng .yaml hoặc .xlsx)"))
            continue
        if file.suffix.lower() in BUNDLE_SUFFIXES:
            bundle, file_problems = load_bundle(file, next(parsed))
        else:
            bundle, file_problems = loader(file)
        problems += [p for p in file_problems if p.severity == "error"]
        if bundle is not None:
            loaded.append(bundle)
    ids: dict[str, str] = {}
    for item in loaded:
        key = item.bundle.unit.id + (f"@{item.bundle.as_of.isoformat()}" if snapshots else "")
        if key in ids:
            problems.append(Problem(code="bundle.duplicate_unit", file=item.file, path="unit.id", value=item.bundle.unit.id,
                                    message=f"mã đơn vị trùng với bộ minh chứng {ids[key]}"
                                    + (" (cùng ngày chốt số liệu)" if snapshots else "")))
        ids.setdefault(key, item.file)
    return loaded, problems


