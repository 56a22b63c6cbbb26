"""Rich rendering of the task commands' results (commands/results.py): tables, panels, lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

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
from core.model import Task
from core.vocabulary import PRIORITY_LABELS
from ui.layout import PROMPT_ROWS
from ui.render.base import data, one_line, priority_text, render

MESSAGE_STYLES = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red"}
MESSAGE_MARKS = {"info": "", "ok": "✓ ", "warning": "! ", "error": "✗ "}
# Screen rows that are not task rows: the table's title, header and borders and the two summary
# lines, and the REPL's prompt with its menu space and toolbar, so the header stays on screen.
_TABLE_FRAME_ROWS = 7
_TABLE_CHROME = _TABLE_FRAME_ROWS + PROMPT_ROWS


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
    return Text(f"{task.id} ", style="bold") + data(one_line(task.name))


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
            data(one_line(task.name)),
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
        "priority", priority_text(task.priority) + Text(f" {PRIORITY_LABELS[task.priority]}")
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


def render_tasks_to_go(console: Console, tasks: Sequence[Task], title: str = "to delete") -> None:
    """The tasks a confirmation is about (to delete, to add, to replace), shown before asking."""
    if tasks:
        console.print(task_table(tasks, datetime.now(), title))
