"""rich's tables and texts, imported when a table is first drawn: a run that writes files never pays for rich."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters a terminal would act on (ESC starts colour, title and screen-clearing sequences); tab and line
break stay."""


def terminal_safe(value: str) -> str:
    """Text from a file as a terminal shows it: each control character becomes U+FFFD, visible and inert."""
    return TERMINAL_CONTROL.sub("\ufffd", value)


def rich_table(*args: Any, **kwargs: Any) -> Table:
    from rich.table import Table

    for key in ("title", "caption"):
        if isinstance(kwargs.get(key), str):
            kwargs[key] = terminal_safe(kwargs[key])
    return Table(*args, **kwargs)


def rich_text(*args: Any, **kwargs: Any) -> Text:
    """Plain text for a cell: never read as markup or emoji, nor as terminal control sequences."""
    from rich.text import Text

    if args and isinstance(args[0], str):
        args = (terminal_safe(args[0]), *args[1:])
    return Text(*args, **kwargs)


def escape(markup: str) -> str:
    from rich.markup import escape

    return escape(markup)
