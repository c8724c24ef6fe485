"""Frame files: the issuer, signer and recipients texts of signed reports, read with file and line in every problem."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from engine.core.problems import Problem
from engine.core.yamlsource import load_yaml, validation_problems
from engine.model.frame import FrameSettings


def load_frame(path: Path) -> tuple[FrameSettings | None, list[Problem]]:
    """Read a frame file; every problem of it in one pass, the file is only read."""
    doc, problems = load_yaml(Path(path))
    if doc is None:
        return None, problems
    if doc.data is None:
        return FrameSettings(), problems
    if not isinstance(doc.data, dict):
        return None, problems + [doc.problem((), "tệp khung văn bản phải là một bảng khóa–giá trị "
                                                  "(date, office, government, units, unit)", code="frame.not_mapping")]
    try:
        settings = FrameSettings.model_validate(doc.data)
    except ValidationError as exc:
        return None, problems + validation_problems(doc, exc)
    return (settings if not problems else None), problems


def unknown_units(settings: FrameSettings, unit_ids: list[str], file: str) -> list[Problem]:
    """Units named in the frame file that are not in the run: a typo would silently leave the defaults."""
    known = set(unit_ids)
    return [Problem(code="frame.unknown_unit", file=file, path=f"unit.{unit_id}", value=unit_id, severity="warning",
                    message="không có đơn vị này trong minh chứng; phần khung văn bản của mã này không được dùng")
            for unit_id in settings.unit if unit_id not in known]
