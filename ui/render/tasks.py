"""Rich rendering of the task commands' results (commands/results.py): the table and the lines.

`show`'s panel is in ui/render/detail.py.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from commands.results import (
    Annotated,
    EntryAdded,
    Message,
    StatusChanged,
    TaskEdited,
    TasksAdded,
    TasksDeleted,
    TasksModified,
    TaskTable,
)
from commands.words import day_label
from core.model import Task
from ui.layout import PROMPT_ROWS
from ui.render.base import PRIORITY_STYLES, data, one_line, render
from ui.rows import (
    RIGHT,
    TITLES,
    Columns,
    Layout,
    columns_of,
    fit,
    more_line,
    nothing_listed,
    plan,
    states,
    summary_line,
)

MESSAGE_STYLES = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red"}
MESSAGE_MARKS = {"info": "", "ok": "✓ ", "warning": "! ", "error": "✗ "}
STATUS_VERBS = {"done": "done", "pending": "reopened", "started": "started", "stopped": "stopped"}
# The table's columns in the order drawn, and their styles; which columns, their cells and
# widths are ui/rows.py's, shared with the one-shot CLI's plain lines.
ORDER = ("id", "pri", "marks", "name", "project", "tags", "due", "status", "urg")
COLUMN_STYLES = {"id": "bold", "marks": "cyan", "project": "magenta", "tags": "cyan"}
NARROW = 100  # below this many columns the table has no box lines
# Lines of a table that are not rows: a header and its rule; boxed, the top and bottom too.
_NARROW_FRAME = 2
_BOXED_FRAME = 4
# Cells between columns and around them all: open (padding 1, collapsed), boxed (│ and padding).
_OPEN = (2, 0)
_BOXED = (3, 4)


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
def _(result: EntryAdded, console: Console) -> None:
    for task in result.tasks:
        console.print(Text("✓ added ", style="green") + _ref(task) + _parts(result.parts))
    for hint in result.hints:
        console.print(Text("! ", style="yellow") + data(hint))


@render.register
def _(result: TaskEdited, console: Console) -> None:
    console.print(Text("✓ saved ", style="green") + _ref(result.task))


@render.register
def _(result: TasksModified, console: Console) -> None:
    count = len(result.tasks)
    head = f"✓ modified {count} task{'s' if count != 1 else ''}"
    console.print(Text(head, style="green") + _parts(result.parts, first=": "))
    for task in result.tasks:
        console.print(Text("  ") + _ref(task))
    for hint in result.hints:
        console.print(Text("! ", style="yellow") + data(hint))


@render.register
def _(result: StatusChanged, console: Console) -> None:
    verb = STATUS_VERBS.get(result.status, result.status)
    for task in result.tasks:
        line = Text(f"✓ {verb} ", style="green") + _ref(task)
        console.print(line + _next(result.next.get(task.uuid)))


@render.register
def _(result: TasksDeleted, console: Console) -> None:
    for task in result.tasks:
        line = Text("✓ deleted ", style="green") + _ref(task)
        console.print(line + _next(result.next.get(task.uuid)))


@render.register
def _(result: Annotated, console: Console) -> None:
    verb = "removed a note from" if result.removed else "noted on"
    console.print(
        Text(f"✓ {verb} ", style="green")
        + _ref(result.task)
        + Text(": ")
        + data(one_line(result.text))
    )


def _parts(parts: Sequence[str], first: str = " · ") -> Text:
    """` · p1 · #errands · due tomorrow (Wed 2026-12-02)`: what was read from the words."""
    return Text(first + " · ".join(parts), style="cyan") if parts else Text("")


def _next(following: Task | None) -> Text:
    """` · next: Mon 2026-12-07 (task 9)`, after a recurring task done or skipped."""
    if following is None or following.due is None:
        return Text("")
    return Text(f" · next: {day_label(following.due)} (task {following.id})", style="cyan")


@render.register
def _(result: TaskTable, console: Console) -> None:
    if not result.tasks:  # one line, never an empty table
        console.print(Text(nothing_listed(result), style="dim"))
        return
    rows, now, width = result.tasks, result.now or datetime.now(), console.width
    # The look is chosen on the rows a screen can hold, and kept for those shown.
    first = columns_of(rows[: console.size.height], now, result.blocked, result.urgency)
    boxed = _boxed(first, width)
    limit = None if result.show_all else _screenful(result, now, console, boxed)
    shown = rows if limit is None else rows[:limit]
    columns = columns_of(shown, now, result.blocked, result.urgency)
    table, layout = _table(shown, columns, width, boxed)
    console.print(Text(result.title, style="table.title"))
    console.print(table)
    if len(shown) < len(rows):
        console.print(Text(more_line(result, len(shown)), style="dim"))
    console.print(Text(summary_line(result, len(shown), layout.markers(columns)), style="dim"))


def _screenful(result: TaskTable, now: datetime, console: Console, boxed: bool) -> int | None:
    """How many rows fit the screen: its lines less the title, the table's frame, the "more"
    and summary lines (as many lines as they wrap to) and the prompt's rows. Each row is one
    line (cut, never wrapped). None off a terminal: a script wants every row."""
    if not console.is_terminal:
        return None
    rows, height = result.tasks, console.size.height
    markers = {name for t in rows[:height] for name in states(t, now, result.blocked)}
    texts = [
        result.title,
        more_line(result, 0),
        summary_line(result, max(0, len(rows) - 1), markers | {"done"}),  # the longest it gets
    ]
    taken = sum(len(console.render_lines(Text(t), pad=False)) for t in texts)
    frame = _BOXED_FRAME if boxed else _NARROW_FRAME
    return max(5, height - taken - frame - PROMPT_ROWS)


def _ref(task: Task) -> Text:
    return Text(f"{task.id} ", style="bold") + data(one_line(task.name))


def task_table(
    tasks: Sequence[Task],
    now: datetime,
    blocked: Collection[str] = frozenset(),
    urgency: Mapping[str, float] | None = None,
    width: int = 120,
) -> Table:
    """The rows, one line each, in `width` cells: the columns ui/rows.py says they need."""
    columns = columns_of(tasks, now, blocked, urgency)
    return _table(tasks, columns, width, _boxed(columns, width))[0]


def _boxed(columns: Columns, width: int) -> bool:
    """A box only from NARROW columns on, and only if it costs the other columns nothing: the
    lines cost 3 cells a column, the name's room."""
    if width < NARROW:
        return False
    return plan(columns, width, *_BOXED).step <= plan(columns, width, *_OPEN).step


def _table(
    tasks: Sequence[Task], columns: Columns, width: int, boxed: bool
) -> tuple[Table, Layout]:
    layout = plan(columns, width, *(_BOXED if boxed else _OPEN))
    cells = fit(columns, layout)
    if boxed:
        table = Table(box=box.ROUNDED)
    else:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    keys = [k for k in ORDER if k in layout.widths]
    for key in keys:
        table.add_column(
            TITLES[key],
            justify="right" if key in RIGHT else "left",
            width=layout.widths[key],
            no_wrap=True,
            overflow="ellipsis",
            style=COLUMN_STYLES.get(key, ""),
        )
    extras = cells.get("extras")
    for k, task in enumerate(tasks):
        row = [Text(cells[key][k], style=_cell_style(key, task, columns.late[k])) for key in keys]
        if extras is not None and extras[k]:
            row[keys.index("name")].append(extras[k], style="dim")
        table.add_row(*row, style="dim" if task.done else "")
    return table, layout


def _cell_style(key: str, task: Task, late: bool) -> str:
    if key == "pri":
        return PRIORITY_STYLES.get(task.priority, "")
    if key == "due":
        return "bold red" if late else ""
    if key == "status":
        return "green" if task.done else ""
    return ""


def render_tasks_to_go(console: Console, tasks: Sequence[Task], title: str = "to delete") -> None:
    """The tasks a confirmation is about (to delete, to add, to replace), shown before asking."""
    if tasks:
        console.print(Text(title, style="table.title"))
        console.print(task_table(tasks, datetime.now(), width=console.width))
