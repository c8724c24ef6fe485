"""An earlier run's JSON (`parindex score --format json`), read for the changes of rank and index since then.

Only what the comparison needs is read (each unit's id, level, rank and index), so a file written
by an older or newer parindex still compares; anything else in it is ignored.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ConfigDict, Field, ValidationError

from engine.core.base import Frozen
from engine.core.problems import InputError, Problem, os_error_vi
from engine.core.yamlsource import format_loc, pydantic_message


class _Lenient(Frozen):
    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)


class PreviousUnit(_Lenient):
    unit_id: str
    level: str
    rank: int | None = None
    index_pct: float | None = None
    final_index_pct: float | None = None

    @property
    def index(self) -> float | None:
        """The index the unit was ranked by: the final one when the run had it."""
        return self.final_index_pct if self.final_index_pct is not None else self.index_pct


class PreviousSet(_Lenient):
    id: str
    year: int


class PreviousRun(_Lenient):
    """The parts of an earlier run the comparison reads."""

    criteria_set: PreviousSet
    units: list[PreviousUnit] = Field(min_length=1)


def load_previous(path: Path) -> PreviousRun:
    """Read an earlier run's JSON or raise InputError naming the file, the place and the reason."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(file=file, code="previous.unreadable",
                                  message=f"không đọc được kết quả kỳ trước: {os_error_vi(exc)}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(file=file, code="previous.unreadable",
                                  message="kết quả kỳ trước không phải tệp JSON UTF-8")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(file=file, line=exc.lineno, code="previous.not_json",
                                  message=f"kết quả kỳ trước không phải JSON hợp lệ: {exc.msg}")]) from None
    try:
        return PreviousRun.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(file=file, path=format_loc(tuple(err["loc"])) or None, code="previous.not_a_run",
                            message="không phải kết quả chấm điểm của parindex (tạo bằng 'parindex score --format json'): "
                                    + pydantic_message(err))
                    for err in exc.errors(include_url=False)]
        raise InputError(problems) from None
