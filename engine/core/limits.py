"""Size limits checked before a file is parsed, so a hostile input ends in a message, not a hang or a memory blow-up.

Every reader of user files goes through `read_limited` (a regular file, not larger than its limit) and,
for Excel files, `xlsx_problem` (a real .xlsx whose unpacked size is bounded) before any parser sees
the bytes. The limits are far above what a unit's evidence, a criteria set or a plan table needs.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from engine.core.problems import Problem, os_error_code, os_error_vi

MB = 1024 * 1024
MAX_YAML_BYTES = 5 * MB
MAX_YAML_DEPTH = 40
"""Nesting levels of mappings and lists; the deepest shipped criteria set uses about 12."""
MAX_YAML_NODES = 200_000
"""Values after aliases are expanded; a criteria set has a few thousand."""
MAX_TABLE_BYTES = 20 * MB
MAX_TABLE_ROWS = 50_000
"""Rows of a bundle's CSV table or of a plan table; a plan has at most a few hundred tasks."""
MAX_XLSX_BYTES = 50 * MB
MAX_XLSX_UNPACKED = 200 * MB
MAX_XLSX_ENTRIES = 2_000

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def _size(limit: int) -> str:
    return f"{limit // MB} MB" if limit >= MB else f"{limit} byte"


def read_limited(path: Path, limit: int, what: str = "tệp") -> tuple[bytes | None, Problem | None]:
    """The bytes of a regular file no larger than `limit`; a pipe, a device or a huge file is a problem, not a hang."""
    file = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        return None, Problem(file=file, code=os_error_code(exc), message=f"không đọc được {what}: {os_error_vi(exc)}")
    if stat.S_ISDIR(info.st_mode):
        return None, Problem(file=file, code="file.is_directory",
                             message=f"không đọc được {what}: đường dẫn là một thư mục, không phải tệp")
    if not stat.S_ISREG(info.st_mode):
        return None, Problem(file=file, code="file.not_regular",
                             message=f"{what} không phải tệp thông thường (thiết bị, ống dẫn hoặc socket); không đọc")
    if info.st_size > limit:
        return None, Problem(file=file, code="file.too_large", value=f"{info.st_size / MB:.1f} MB",
                             message=f"{what} quá lớn (tối đa {_size(limit)}); tách thành nhiều tệp nhỏ hơn")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, Problem(file=file, code=os_error_code(exc), message=f"không đọc được {what}: {os_error_vi(exc)}")
    if len(data) > limit:  # the file grew between stat and read
        return None, Problem(file=file, code="file.too_large", value=f"{len(data) / MB:.1f} MB",
                             message=f"{what} quá lớn (tối đa {_size(limit)}); tách thành nhiều tệp nhỏ hơn")
    return data, None


def row_count_problem(file: str, data: bytes, limit: int = MAX_TABLE_ROWS) -> Problem | None:
    """Too many lines for a table, counted on the bytes before any parsing."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if lines > limit + 1:
        return Problem(file=file, code="csv.too_many_rows", value=str(lines),
                       message=f"bảng có quá nhiều dòng (tối đa {limit:,} dòng dữ liệu)".replace(",", "."))
    return None


def xlsx_problem(file: str, data: bytes) -> Problem | None:
    """Why these bytes must not reach openpyxl: an old .xls, a password, not an .xlsx, or a zip bomb; None when fine."""
    if data.startswith(_OLE2):
        if _ENCRYPTED_STREAM in data:
            return Problem(file=file, code="xlsx.encrypted",
                           message="tệp Excel được đặt mật khẩu; gỡ mật khẩu (File > Info > Protect Workbook) rồi lưu lại")
        return Problem(file=file, code="xlsx.old_format",
                       message="tệp là Excel cũ (.xls) được đổi đuôi thành .xlsx; mở bằng Excel và lưu lại dạng "
                               "Excel Workbook (.xlsx)")
    if not data.startswith(b"PK"):
        return Problem(file=file, code="xlsx.not_xlsx",
                       message="tệp không phải Excel .xlsx (có thể là tệp khác được đổi đuôi); mở bằng Excel và lưu "
                               "lại dạng Excel Workbook (.xlsx)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return Problem(file=file, code="xlsx.damaged", message="tệp Excel bị hỏng (không giải nén được); lưu lại tệp "
                                                                 "từ Excel hoặc gửi lại bản khác")
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        return Problem(file=file, code="xlsx.not_xlsx",
                       message="tệp không phải Excel .xlsx (không có bảng tính bên trong); lưu lại dạng Excel Workbook (.xlsx)")
    if "xl/workbook.bin" in names:
        return Problem(file=file, code="xlsx.not_xlsx",
                       message="tệp là Excel nhị phân (.xlsb) được đổi đuôi; lưu lại dạng Excel Workbook (.xlsx)")
    if any(entry.flag_bits & 0x1 for entry in entries):
        return Problem(file=file, code="xlsx.encrypted", message="tệp Excel được mã hóa; gỡ mật khẩu rồi lưu lại")
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_XLSX_ENTRIES or unpacked > MAX_XLSX_UNPACKED:
        return Problem(file=file, code="xlsx.too_large_unpacked", value=f"{unpacked / MB:.0f} MB",
                       message=f"tệp Excel khi giải nén quá lớn (tối đa {_size(MAX_XLSX_UNPACKED)}, "
                               f"{MAX_XLSX_ENTRIES} phần); không đọc")
    return None


def has_formulas(data: bytes) -> bool:
    """Whether any worksheet of an .xlsx holds a formula (an <f> element); checked before a second, formula-aware read."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for entry in archive.infolist():
            if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
                with archive.open(entry) as handle:
                    tail = b""
                    while chunk := handle.read(1 << 20):
                        if b"<f>" in tail + chunk or b"<f " in tail + chunk or b":f>" in tail + chunk \
                                or b":f " in tail + chunk:
                            return True
                        tail = chunk[-8:]
    return False
