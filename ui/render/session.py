"""Rich rendering of `help` (commands/session.py): the command index and one command's usage."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from commands.session import HelpIndex, HelpTopic
from ui.render.base import render


@render.register
def _(result: HelpIndex, console: Console) -> None:
    table = Table(title="commands", title_justify="left", box=None, pad_edge=False)
    table.add_column("command", style="bold cyan", no_wrap=True)
    table.add_column("what it does")
    for name, aliases, text in result.rows:
        also = Text(f" ({', '.join(aliases)})", style="dim") if aliases else Text("")
        table.add_row(Text(name) + also, Text(text))
    console.print(table)
    console.print(
        Text(
            "help COMMAND shows its options · help words: what add and the filters read",
            style="dim",
        )
    )


@render.register
def _(result: HelpTopic, console: Console) -> None:
    panel = Panel(Text(result.text), title=Text(result.name), title_align="left", expand=False)
    console.print(panel)
