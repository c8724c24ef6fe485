"""One order for criterion and task ids: official numbering is read as numbers, so 1.2 < 1.10 < 1.a < 1.b.

Every sort by id uses `natural_key`. Parts are tagged (0 for a number, 1 for text) so a number is
never compared with a string: ids such as "1.2" and "1.a" sort without error.
"""

from __future__ import annotations

import re

_RUNS = re.compile(r"([0-9]+)")


def natural_key(text: str) -> tuple[tuple[tuple[int, int, str], ...], ...]:
    """A sort key: dotted parts in order; within a part, digit runs compare as numbers, so 2 < 2a < 10."""
    return tuple(
        tuple((0, int(run), "") if run.isascii() and run.isdigit() else (1, 0, run) for run in _RUNS.split(part) if run)
        for part in text.split(".")
    )
