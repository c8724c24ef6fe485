"""rich's tables and texts, imported when a table is first drawn: a run that writes files never pays for rich."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text


def rich_table(*args: Any, **kwargs: Any) -> Table:
    from rich.table import Table

    return Table(*args, **kwargs)


def rich_text(*args: Any, **kwargs: Any) -> Text:
    """Plain text for a cell: never read as markup or emoji."""
    from rich.text import Text

    return Text(*args, **kwargs)


def escape(markup: str) -> str:
    from rich.markup import escape

    return escape(markup)
