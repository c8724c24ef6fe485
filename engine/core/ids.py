"""One order for criterion and task ids: official numbering is read as numbers, so 1.2 < 1.10 < 1.a < 1.b.

Every sort by id uses `natural_key`. Parts are tagged (0 for a number, 1 for text) so a number is
never compared with a string: ids such as "1.2" and "1.a" sort without error.
"""

from __future__ import annotations

import re
from functools import lru_cache

_DIGITS = re.compile(r"([0-9]+)")

Key = tuple[tuple[tuple[tuple[int, int, str], ...], ...], str]


@lru_cache(maxsize=65536)
def natural_key(text: str) -> Key:
    """Dotted parts in order, digit runs within a part compared as numbers (2 < 2a < 10); the text breaks ties
    ("01" and "1"), so the order is total."""
    parts = tuple(tuple((0, int(run), "") if _DIGITS.fullmatch(run) else (1, 0, run) for run in _DIGITS.split(part) if run)
                  for part in text.split("."))
    return parts, text
