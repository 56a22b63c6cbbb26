"""What every renderer builds on: the `render` dispatcher, user text as data, the console.

Task text always goes through `data()`: a Text with control characters removed, never markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import singledispatch
from typing import IO, Any

from rich.console import Console
from rich.text import Text

from core.vocabulary import clean_text

PRIORITY_STYLES = {1: "bold red", 2: "yellow", 3: "dim"}


def console_for(stream: IO[str], environ: Mapping[str, str]) -> Console:
    """A console on `stream`; NO_COLOR in `environ` means no styles at all (Rich keeps bold, dim)."""
    plain = environ.get("NO_COLOR", "") != ""
    return Console(file=stream, highlight=False, color_system=None if plain else "auto")


def data(text: str) -> Text:
    """User text as a Text: never parsed as markup, control characters removed."""
    return Text(clean_text(text))


def one_line(text: str) -> str:
    """A multi-line name on one row of a table."""
    return text.replace("\n", " ⏎ ")


def priority_text(priority: int) -> Text:
    return Text(f"P{priority}", style=PRIORITY_STYLES.get(priority, ""))


@singledispatch
def render(result: Any, console: Console) -> None:
    """Draw one command result on the console; each result type registers its own renderer."""
    console.print(data(str(result)))
