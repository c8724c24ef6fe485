"""One record for every problem found in user input, so all readers report the same way.

A problem names the file and the place (YAML path and line, or sheet, row and column), the
value and the reason in Vietnamese. Readers collect problems and go on reading, so the user
sees every problem of an input in one pass.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]


class Problem(BaseModel):
    """A problem in user input; `error` makes the input invalid, `warning` is reported only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    message: str
    path: str | None = None
    line: int | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: Severity = "error"

    def place(self) -> str:
        """The place in words, e.g. "sheet 'Tài liệu', dòng 5, cột C" or "criteria[0].id (dòng 12)"."""
        parts: list[str] = []
        if self.sheet is not None:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column is not None:
            parts.append(f"cột {self.column}")
        if self.path:
            parts.append(self.path)
        if self.line is not None and self.row is None:
            parts.append(f"dòng {self.line}")
        return ", ".join(parts)

    def render(self) -> str:
        """One line for the terminal: file, place, value and reason."""
        head = self.file
        place = self.place()
        if place:
            head += f" [{place}]"
        text = f"{head}: {self.message}"
        if self.value is not None:
            text += f" (giá trị: {self.value!r})"
        return text


class InputError(Exception):
    """Raised with every problem of an input at once; the CLI turns it into exit code 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))
