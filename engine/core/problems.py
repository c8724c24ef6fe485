"""One record for every problem found in user input, so all readers report the same way.

A problem names the file and the place (YAML path and line, or sheet, row and column), the
value and the reason in Vietnamese, and carries a stable code ("yaml.duplicate_key") so that
programs and tests can tell problems apart without reading the Vietnamese. Readers collect
problems and go on reading, so the user sees every problem of an input in one pass. Every
code is listed in docs/problems.md; a test keeps that list and the code in step.
"""

from __future__ import annotations

import errno
from typing import Literal

from pydantic import Field
from pydantic_core import PydanticCustomError

from engine.core.base import Frozen

Severity = Literal["error", "warning"]

CODE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class Problem(Frozen):
    """A problem in user input; `error` makes the input invalid, `warning` is reported only."""

    code: str = Field(pattern=CODE_PATTERN, description="Stable dotted identifier, e.g. 'yaml.duplicate_key'")
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


def invalid(message: str, *, code: str) -> PydanticCustomError:
    """A model validator's error that keeps its problem code through pydantic (raise invalid(...))."""
    return PydanticCustomError(code, message)


_OS_ERRORS_VI: tuple[tuple[type[OSError], str], ...] = (
    (FileNotFoundError, "không tìm thấy tệp hoặc thư mục"),
    (IsADirectoryError, "đường dẫn là một thư mục, không phải tệp"),
    (NotADirectoryError, "một phần của đường dẫn là tệp, không phải thư mục"),
    (FileExistsError, "đã có một tệp trùng tên ở chỗ cần tạo thư mục"),
    (PermissionError, "không có quyền truy cập"),
)
_OS_ERROR_CODES: dict[type[OSError], str] = {
    FileNotFoundError: "file.not_found",
    IsADirectoryError: "file.is_directory",
    NotADirectoryError: "file.not_directory",
    FileExistsError: "file.exists",
    PermissionError: "file.permission",
}
_ERRNO_VI = {
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EROFS: "ổ đĩa chỉ cho phép đọc",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.EINVAL: "tên tệp không hợp lệ",
    errno.ELOOP: "đường dẫn có liên kết vòng",
    errno.EIO: "lỗi đọc/ghi thiết bị",
    errno.EBUSY: "tệp đang được chương trình khác sử dụng",
}
_ERRNO_CODES = {
    errno.ENOSPC: "file.disk_full",
    errno.EROFS: "file.read_only",
    errno.ENAMETOOLONG: "file.name_too_long",
    errno.EINVAL: "file.bad_name",
    errno.ELOOP: "file.link_loop",
    errno.EIO: "file.device",
    errno.EBUSY: "file.busy",
}
_OTHER_OS_ERROR_CODE = "file.os_error"


def os_error_vi(exc: OSError) -> str:
    """The reason of an OSError in Vietnamese; the operating system's own text is English."""
    for kind, text in _OS_ERRORS_VI:
        if isinstance(exc, kind):
            return text
    if exc.errno in _ERRNO_VI:
        return _ERRNO_VI[exc.errno]
    return f"lỗi hệ điều hành (mã {exc.errno})" if exc.errno else "lỗi hệ điều hành"


def os_error_code(exc: OSError) -> str:
    """The problem code of an OSError, told apart the same way as os_error_vi words it."""
    for kind, _ in _OS_ERRORS_VI:
        if isinstance(exc, kind):
            return _OS_ERROR_CODES[kind]
    return _ERRNO_CODES.get(exc.errno, _OTHER_OS_ERROR_CODE)
