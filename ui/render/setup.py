"""Rich rendering of `config` and `completion` (commands/setup.py)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from commands.setup import ConfigReport, Script
from core.config import FROM_DEFAULT
from ui.render.base import data, render


@render.register
def _(result: ConfigReport, console: Console) -> None:
    where = "" if result.config_exists else " (not present: every value is a default or given)"
    table = Table(
        title=Text("settings · config file ") + data(result.config_path) + Text(where, style="dim"),
        title_justify="left",
    )
    table.add_column("setting", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("from", overflow="fold")
    for s in result.settings:
        name = Text(s.key) + (Text(f"\n{s.env}", style="dim") if s.env != s.key else Text(""))
        value = Text(s.unset, style="dim") if s.value is None else data(_shown(s.value))
        shown = "config file" if s.origin == result.config_path else s.origin
        origin = Text(shown, style="dim" if s.origin == FROM_DEFAULT else "")
        table.add_row(name, value, origin)
    console.print(table)


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@render.register
def _(result: Script, console: Console) -> None:
    console.print(Text(result.text), soft_wrap=True, end="")
