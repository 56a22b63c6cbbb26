"""Rich rendering of command results. Task text is always data: Text objects, never markup."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from functools import singledispatch
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from commands.results import (
    Message,
    StatusChanged,
    TaskDetail,
    TaskEdited,
    TasksAdded,
    TasksDeleted,
    TaskTable,
)
from commands.session import HelpIndex, HelpTopic
from core.model import PRIORITY_NAMES, Task, clean_text

PRIORITY_STYLES = {1: "bold red", 2: "yellow", 3: "dim"}
MESSAGE_STYLES = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red"}
MESSAGE_MARKS = {"info": "", "ok": "✓ ", "warning": "! ", "error": "✗ "}
# Screen rows that are not task rows: the table's title, header and borders and the two summary
# lines (7), and the REPL's prompt line, the space it keeps for the completion menu and its
# toolbar (7, ui/session.py MENU_ROWS + 1), so the table's header stays on screen.
_TABLE_CHROME = 14


def console_for(stream: IO[str]) -> Console:
    """A console on `stream`; NO_COLOR means no styles at all (Rich alone keeps bold and dim)."""
    plain = os.environ.get("NO_COLOR", "") != ""
    return Console(file=stream, highlight=False, color_system=None if plain else "auto")


def data(text: str) -> Text:
    """User text as a Text: never parsed as markup, control characters removed."""
    return Text(clean_text(text))


@singledispatch
def render(result: Any, console: Console) -> None:
    """Draw one command result on the console."""
    console.print(data(str(result)))


@render.register
def _(result: Message, console: Console) -> None:
    console.print(
        Text(MESSAGE_MARKS[result.kind]) + data(result.text), style=MESSAGE_STYLES[result.kind]
    )


@render.register
def _(result: TasksAdded, console: Console) -> None:
    for task in result.tasks:
        console.print(Text("✓ added ", style="green") + _ref(task))


@render.register
def _(result: TaskEdited, console: Console) -> None:
    console.print(Text("✓ saved ", style="green") + _ref(result.task))


@render.register
def _(result: StatusChanged, console: Console) -> None:
    verb = "done" if result.status == "done" else "reopened"
    for task in result.tasks:
        console.print(Text(f"✓ {verb} ", style="green") + _ref(task))


@render.register
def _(result: TasksDeleted, console: Console) -> None:
    for task in result.tasks:
        console.print(Text("✓ deleted ", style="green") + _ref(task))


@render.register
def _(result: TaskDetail, console: Console) -> None:
    console.print(task_panel(result.task, datetime.now()))


@render.register
def _(result: TaskTable, console: Console) -> None:
    rows = result.tasks
    limit = None if result.show_all else max(5, _screen_height(console) - _TABLE_CHROME)
    shown = rows if limit is None else rows[:limit]
    console.print(task_table(shown, datetime.now(), result.title))
    if len(rows) > len(shown):
        console.print(
            Text(f"… {len(rows) - len(shown)} more (list --all shows every task)", style="dim")
        )
    count = f"{len(shown)} of {len(rows)}" if len(shown) < len(rows) else f"{len(rows)}"
    console.print(
        Text(
            f"{count} shown · {result.total_pending} pending · {result.total_done} done",
            style="dim",
        )
    )


def _screen_height(console: Console) -> int:
    # Piped output is not paged: a script wants every row.
    return console.size.height if console.is_terminal else 1_000_000_000


def _ref(task: Task) -> Text:
    return Text(f"{task.id} ", style="bold") + data(_one_line(task.name))


def _one_line(text: str) -> str:
    return text.replace("\n", " ⏎ ")


def priority_text(priority: int) -> Text:
    return Text(f"P{priority}", style=PRIORITY_STYLES.get(priority, ""))


def due_text(task: Task, now: datetime) -> Text:
    if task.due is None:
        return Text("")
    from core.dates import describe_due

    words, overdue = describe_due(task.due, now)
    return Text(words, style="bold red" if overdue and not task.done else "")


def task_table(tasks: Sequence[Task], now: datetime, title: str = "tasks") -> Table:
    table = Table(title=Text(title), title_justify="left", expand=False, box=box.ROUNDED)
    table.add_column("id", justify="right", style="bold", no_wrap=True)
    table.add_column("pri", no_wrap=True)
    table.add_column("name", overflow="fold", ratio=1)
    table.add_column("tags", overflow="fold", style="cyan")
    table.add_column("due", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for task in tasks:
        table.add_row(
            str(task.id),
            priority_text(task.priority),
            data(_one_line(task.name)),
            data(" ".join(f"#{t}" for t in task.tags)),
            due_text(task, now),
            Text("✓ done", style="green") if task.done else Text("pending"),
            style="dim" if task.done else "",
        )
    return table


def task_panel(task: Task, now: datetime) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("name", data(task.name))
    grid.add_row(
        "priority", priority_text(task.priority) + Text(f" {PRIORITY_NAMES[task.priority]}")
    )
    grid.add_row("status", Text(task.status))
    grid.add_row("tags", data(" ".join(f"#{t}" for t in task.tags)))
    grid.add_row(
        "due", due_text(task, now) + Text(f"  {task.due}" if task.due else "", style="dim")
    )
    grid.add_row("description", data(task.description))
    grid.add_row("comment", data(task.comment))
    for label in ("created", "modified", "completed"):
        value = getattr(task, label)
        if value:
            grid.add_row(label, Text(value, style="dim"))
    grid.add_row("uuid", Text(task.uuid, style="dim"))
    return Panel(grid, title=Text(f"task {task.id}"), title_align="left", expand=False)


@render.register
def _(result: HelpIndex, console: Console) -> None:
    table = Table(title="commands", title_justify="left", box=None, pad_edge=False)
    table.add_column("command", style="bold cyan", no_wrap=True)
    table.add_column("what it does")
    for name, aliases, text in result.rows:
        also = Text(f" ({', '.join(aliases)})", style="dim") if aliases else Text("")
        table.add_row(Text(name) + also, Text(text))
    console.print(table)
    console.print(Text("help COMMAND shows its options", style="dim"))


@render.register
def _(result: HelpTopic, console: Console) -> None:
    panel = Panel(Text(result.text), title=Text(result.name), title_align="left", expand=False)
    console.print(panel)


def render_tasks_to_go(console: Console, tasks: Sequence[Task], title: str = "to delete") -> None:
    """The tasks a confirmation is about (to delete, to add, to replace), shown before asking."""
    if tasks:
        console.print(task_table(tasks, datetime.now(), title))


from ui import render_admin as _render_admin  # noqa: E402,F401
from ui import render_ai as _render_ai  # noqa: E402,F401
