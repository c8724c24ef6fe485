"""Machine-readable outputs (JSON, CSV) and the atomic file writer; cells that a spreadsheet would run as formulas are neutralised."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from engine.core.problems import InputError, Problem, os_error_code, os_error_vi
from engine.model.results import RunResult, UnitResult
from engine.score.run import UnitKey

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise text that a spreadsheet would run as a formula (CSV/XLSX injection)."""
    if isinstance(value, str) and (value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START[:4])):
        return "'" + value
    return value


def write_atomic(path: Path, data: bytes | str | Iterable[bytes]) -> None:
    """Write to a temporary file beside the target, then rename: a reader never sees half a file.

    `data` may be chunks, written as they come (a run written unit by unit is never whole in memory).

    The file gets the permissions a plain open() would give (0o666 less the umask), not mkstemp's
    owner-only 0600; a failure is an InputError naming the file with a Vietnamese reason.
    """
    write_atomic_set({Path(path): data})


def write_atomic_set(files: Mapping[Path, bytes | str | Iterable[bytes]]) -> None:
    """Several files written as one: each to a temporary file beside its target, and only when every one is written
    are they renamed into place; on any failure (a full disk, say) no target changes and no temporary file stays."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            staged.append((_stage(Path(path), data), Path(path)))
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise _not_written(path, exc) from None
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)


def _not_written(path: Path, exc: OSError) -> InputError:
    return InputError([Problem(code=os_error_code(exc), file=str(path), message=f"không ghi được tệp: {os_error_vi(exc)}")])


def _stage(path: Path, data: bytes | str | Iterable[bytes]) -> str:
    """`data` in a new temporary file beside `path`, with a plain file's permissions; its name."""
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isfile(path) and not os.path.isdir(path)):
        raise InputError([Problem(code="output.not_regular_file", file=str(path),
                                  message="chỗ ghi kết quả là một liên kết hoặc tệp đặc biệt (thiết bị, đường ống); "
                                          "không ghi thay nó, chọn một tên tệp thường")])
    chunks = [data.encode("utf-8")] if isinstance(data, str) else [data] if isinstance(data, bytes) else data
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        umask = os.umask(0)
        os.umask(umask)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        os.chmod(tmp, 0o666 & ~umask)
        return tmp
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise _not_written(path, exc) from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def to_json(run: RunResult) -> str:
    """Deterministic JSON: fixed key order from the models, no timestamps, UTF-8 text.

    pydantic's own writer gives the same bytes as json.dumps(indent=2, ensure_ascii=False), several times faster.
    """
    return run.model_dump_json(indent=2) + "\n"


_UNIT_INDENT = "    "
_UNIT_INDENT_BYTES = _UNIT_INDENT.encode()
_UNITS_EMPTY = '"units": []'


def unit_json(unit: UnitResult) -> bytes:
    """One unit as to_json writes it inside a run (indented for its place in the list), to write a run unit by unit.

    JSON text never holds a raw line break, so indenting every line is safe.
    """
    data = UnitResult.__pydantic_serializer__.to_json(unit, indent=2)  # model_dump_json's bytes, not yet decoded
    return _UNIT_INDENT_BYTES + data.replace(b"\n", b"\n" + _UNIT_INDENT_BYTES)


def unit_record(unit: UnitResult) -> tuple[UnitKey, bytes]:
    """What a run written unit by unit keeps of a unit: its ranking key and its JSON (made where it was scored)."""
    return UnitKey.of(unit), unit_json(unit)


def with_rank(fragment: bytes, rank: int | None) -> bytes:
    """A unit_json fragment of a unit written before the ranking, with its rank (its one top-level "rank" key)."""
    old = b'\n' + _UNIT_INDENT.encode() + b'  "rank": null,'
    return fragment.replace(old, old.replace(b"null", str(rank).encode() if rank is not None else b"null"), 1)


class UnitSpool:
    """Units written to an anonymous temporary file as they are scored, read back in rank order with their rank.

    A province's run is then never whole in memory: only one unit's objects and every unit's key.
    """

    def __init__(self, output: Path):
        """Spooled beside `output` (which needs the room anyway); a full disk is an InputError naming the output."""
        self._output = Path(output)
        self._guard(lambda: self._output.parent.mkdir(parents=True, exist_ok=True))
        self._file = self._guard(lambda: tempfile.TemporaryFile(dir=self._output.parent))
        self._places: list[tuple[int, int]] = []

    def _guard(self, action):
        try:
            return action()
        except OSError as exc:
            raise InputError([Problem(code=os_error_code(exc), file=str(self._output),
                                      message=f"không ghi được tệp: {os_error_vi(exc)}")]) from None

    def add(self, fragment: bytes) -> None:
        """A unit_json fragment, in the order ranking will refer to."""
        self._places.append((self._file.tell(), len(fragment)))
        self._guard(lambda: self._file.write(fragment))

    def fragments(self, order: Iterable[tuple[int, int | None]]) -> Iterator[bytes]:
        """(position in the order added, rank) → each unit's fragment with its rank."""
        for index, rank in order:
            offset, size = self._places[index]
            self._file.seek(offset)
            yield with_rank(self._file.read(size), rank)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "UnitSpool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_json_chunks(head: RunResult, units: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes of to_json for `head` with `units` (unit_json fragments, in order) as its units.

    The head's own units list must be empty: its place in the text is where the fragments go.
    """
    if head.units:
        raise ValueError("run head must have no units")
    before, after = to_json(head).split(_UNITS_EMPTY, 1)
    yield before.encode("utf-8") + b'"units": ['
    first = True
    for fragment in units:
        yield (b"\n" if first else b",\n") + fragment
        first = False
    yield (b"]" if first else b"\n  ]") + after.encode("utf-8")


def to_csv(run: RunResult) -> str:
    """One row per unit with the index per area; cells are neutralised against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    area_ids = [a.id for a in run.units[0].areas] if run.units else []
    area_titles = {a.id: a.title for a in run.units[0].areas} if run.units else {}
    for unit in run.units:  # a block's own areas (an area scored for one level only) get their column too
        for area in unit.areas:
            if area.id not in area_titles:
                area_ids.append(area.id)
                area_titles[area.id] = area.title
    blocks = any(u.block for u in run.units)
    compared = run.previous is not None
    assessed = any(u.assessment is not None for u in run.units)
    extra = ["Điểm tự chấm", "Điểm thẩm định", "Điểm cuối cùng", "Chỉ số cuối cùng (%)", "Trạng thái"] if assessed else []
    writer.writerow(["Hạng", "Mã đơn vị", "Tên đơn vị", "Cấp"] + (["Khối"] if blocks else [])
                    + ["Điểm đạt", "Điểm tối đa áp dụng", "Chỉ số (%)", "Xếp loại", "Lỗi dữ liệu"] + extra
                    + [f"{i}. {area_titles[i]} (%)" for i in area_ids]
                    + (["Hạng kỳ trước", "Thay đổi hạng", "Chỉ số kỳ trước (%)", "Thay đổi chỉ số"] if compared else []))
    for unit in run.units:
        areas = {a.id: (a.final_index_pct if assessed else a.index_pct) for a in unit.areas}
        rounds = [unit.self_points, "" if unit.appraised_points is None else unit.appraised_points, unit.final_points,
                  "" if unit.final_index_pct is None else unit.final_index_pct, unit.assessment_state_label or ""]
        writer.writerow([safe_cell(x) for x in [
            unit.rank, unit.unit_id, unit.name, unit.level] + ([unit.block or ""] if blocks else []) + [
            unit.points, unit.max_points, unit.index_pct,
            unit.band or "", unit.data_problems] + (rounds if assessed else [])
            + ["" if areas.get(i) is None else areas[i] for i in area_ids]
            + ([_blank(unit.previous_rank), _blank(unit.rank_change), _blank(unit.previous_index_pct),
                _blank(unit.index_change)] if compared else [])])
    return buffer.getvalue()


def _blank(value):
    return "" if value is None else value


