"""The watch's state file: the warnings raised by earlier runs, so a warning is raised once and closed when resolved."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from engine.core.problems import Problem, os_error_vi
from engine.model.planning import WatchState


def read_state(path: Path) -> tuple[WatchState, list[Problem]]:
    """An absent file is a first run (no warnings yet); an unreadable or invalid one is a problem, never ignored."""
    if not path.exists():
        return WatchState(), []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = os_error_vi(exc) if isinstance(exc, OSError) else "tệp không phải UTF-8"
        return WatchState(), [Problem(code="watch.unreadable_state", file=str(path),
                                       message=f"không đọc được tệp trạng thái cảnh báo: {reason}")]
    try:
        return WatchState.model_validate_json(text), []
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return WatchState(), [Problem(code="watch.bad_state", file=str(path), path=where or None,
                                      message="tệp trạng thái cảnh báo không hợp lệ (không phải tệp do 'parindex watch' ghi); "
                                              "xóa tệp để bắt đầu lại")]
