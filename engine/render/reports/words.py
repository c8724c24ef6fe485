"""Plain Vietnamese for what a person reads: labels instead of evidence names, sentences instead of arrows.

The engine's explanations are written for auditors and the JSON results keep them as they are;
a signed document, the HTML report and the gap list show them through `plain_words`, which also
drops file paths and content hashes (they stay in the JSON; documents carry a short check code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
HASH = re.compile(r"\b[0-9a-fA-F]{12,}\b")
PATH = re.compile(r"(?<![\w/\\.-])(?:[A-Za-z]:)?(?:\.{0,2}[/\\])?(?:[\w.-]+[/\\])*[\w.-]+"
                  r"\.(?:ya?ml|xlsx|xls|csv|json|docx|md|html)\b")
"""A file name with any folders before it: relative, absolute (/…) or a Windows drive (C:\\…)."""
YAML_PLACE = re.compile(r"(?<=\[)[A-Za-z_]\w*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*, (?=dòng \d+)")
"""The YAML path in a problem's place ("[metrics[0].value, dòng 56]"): a person needs only the line."""

_LABELLED = re.compile(r"(?:(?:chỉ số|dữ kiện|văn bản|loại tài liệu|tài liệu)\s+)?'([^'\n]+)'\s+\(([a-z][a-z0-9_]*)\)")
_NAME_IN_PARENS = re.compile(r"\s*\(([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\)")
_QUOTED_NAME = re.compile(r"(?:(chỉ số|dữ kiện|văn bản|loại tài liệu|tài liệu)\s+)?'([a-z][a-z0-9]*(?:_[a-z0-9]+)+)'")
_TIER = re.compile(r"mức '([^'\n]+)'")
_ARROW_POINTS = re.compile(r"\s*→\s*(được\s+)?(trọn\s+)?(\d[\d.,]*\s+điểm)")
_ARROW = re.compile(r"\s*→\s*")
_QUOTED = re.compile(r"'([^'\n]+)'")
_BLANKS = re.compile(r"[ \t]{2,}")
_ENTRY_PREFIX = {"manual:": "Điểm chấm thủ công:", "survey:": "Điểm điều tra xã hội học:",
                 "not_applicable:": "Khai báo không áp dụng:"}


def _name(name: str, labels: Mapping[str, str]) -> str:
    return labels.get(name) or "một mục không có trong danh mục của bộ chỉ số"


def plain_words(text: str, labels: Mapping[str, str] | None = None) -> str:
    """The same sentence with evidence names as their labels, arrows as words, no paths or hashes."""
    labels = labels or {}
    for prefix, words in _ENTRY_PREFIX.items():
        if text.startswith(prefix):
            text = words + text[len(prefix):]
    # Each pattern needs a character the text may not have (checked on the text as it stands at that step): a
    # pattern that cannot match is not run; a province's documents ask this of about a thousand distinct texts.
    if "'" in text:
        text = _LABELLED.sub(lambda m: m.group(1), text)
    if "(" in text:
        text = _NAME_IN_PARENS.sub("", text)
    if "'" in text:
        text = _QUOTED_NAME.sub(lambda m: (m.group(1) + " " if m.group(1) else "") + f"“{_name(m.group(2), labels)}”",
                                text)
        text = _TIER.sub(lambda m: f"mức {m.group(1)}", text)
    if "→" in text:
        text = _ARROW_POINTS.sub(lambda m: ", được " + (m.group(2) or "") + m.group(3), text)
        text = _ARROW.sub(": ", text)
    if "." in text:
        text = PATH.sub("tệp minh chứng", text)
    if "[" in text:
        text = YAML_PLACE.sub("", text)
    text = HASH.sub("", text)
    if "_" in text:
        text = SNAKE.sub(lambda m: _name(m.group(0), labels), text)
    if "'" in text:
        text = _QUOTED.sub(lambda m: f"“{m.group(1)}”", text)
    if "  " in text or "\t" in text:
        text = _BLANKS.sub(" ", text)
    return text.strip()


def engine_words(text: str) -> list[str]:
    """Engine vocabulary left in a text: snake_case names, arrows, file paths, hashes (for tests and checks)."""
    found = SNAKE.findall(text) + HASH.findall(text) + PATH.findall(text) + YAML_PLACE.findall(text)
    if "→" in text:
        found.append("→")
    return found
