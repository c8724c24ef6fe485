"""Where files may be read from and written to, so no command ever overwrites or pollutes what it reads."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from engine.core.problems import Problem

READ_AS_EVIDENCE = (".yaml", ".yml", ".xlsx")
"""Suffixes an evidence folder is searched for; an output with one of them inside such a folder would be read back."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def output_problems(output: Path, inputs: Iterable[str | Path], option: str = "--output") -> list[Problem]:
    """Why `output` must not be written: it is an input (also through a symlink or hard link), or lies in an input
    folder where it would be read back as evidence, or reaches an input folder through a symbolic link."""
    output = Path(output)
    target = Path(os.path.realpath(output))
    lexical = Path(os.path.abspath(output))
    shown = str(output)
    sibling: Problem | None = None
    for item in inputs:
        source = Path(item)
        real = Path(os.path.realpath(source))
        if source.is_dir():
            if not _inside(target, real):
                continue
            if target.is_file():
                return [Problem(file="(tham số)", path=option, value=shown, code="output.overwrites_input",
                                message=f"tệp kết quả trùng với một tệp có sẵn trong thư mục minh chứng '{source}'; "
                                        "không ghi đè dữ liệu đầu vào, chọn tên tệp khác (--output)")]
            if target.suffix.lower() in READ_AS_EVIDENCE:
                return [Problem(file="(tham số)", path=option, value=shown, code="output.inside_input_folder",
                                message=f"tệp kết quả nằm trong thư mục minh chứng '{source}' nên lần chạy sau sẽ bị đọc "
                                        "như minh chứng; chọn nơi ghi khác (--output)")]
            if not _inside(lexical, Path(os.path.abspath(source))):
                return [Problem(file="(tham số)", path=option, value=shown, code="output.through_symlink_into_input",
                                message=f"đường dẫn ghi kết quả đi qua liên kết tượng trưng vào thư mục minh chứng "
                                        f"'{source}'; chọn nơi ghi khác (--output)")]
            continue
        if sibling is None and target.suffix.lower() in READ_AS_EVIDENCE and target.parent == real.parent:
            sibling = Problem(file="(tham số)", path=option, value=shown, code="output.inside_input_folder",
                              message=f"tệp kết quả nằm cạnh tệp minh chứng '{source}' nên lần chạy sau trên thư mục này "
                                      "sẽ đọc nó như minh chứng; chọn nơi ghi khác (--output)")
        same = target == real
        if not same and output.exists() and source.exists():
            try:
                same = os.path.samefile(output, source)
            except OSError:
                same = False
        if same:
            return [Problem(file="(tham số)", path=option, value=shown, code="output.overwrites_input",
                            message=f"tệp kết quả trùng với tệp đầu vào '{source}'; không ghi đè dữ liệu đầu vào, "
                                    "chọn tên tệp khác (--output)")]
    return [sibling] if sibling is not None else []


def inside_folder(base: Path, relative: str) -> bool:
    """Whether a file named relative to a bundle stays inside the bundle's folder (symbolic links followed)."""
    if os.path.isabs(relative):
        return False
    root = Path(os.path.realpath(base))
    return _inside(Path(os.path.realpath(base / relative)), root)
