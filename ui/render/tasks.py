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
from ui.render.base import data, one_line, priority_text, render

MESSAGE_STYLES = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red"}
MESSAGE_MARKS = {"info": "", "ok": "✓ ", "warning": "! ", "error": "✗ "}
# Markers of a row's state, in the order shown; the column and the legend appear only when a
# row has one. One cell wide each, in fonts without emoji too.
MARKERS = {"active": "▶", "blocked": "⊘", "waiting": "◷", "recurring": "↻"}
STATUS_VERBS = {"done": "done", "pending": "reopened", "started": "started", "stopped": "stopped"}
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
    rows = result.tasks
    now = result.now or datetime.now()
    limit = None if result.show_all else max(5, _screen_height(console) - _TABLE_CHROME)
    shown = rows if limit is None else rows[:limit]
    table = task_table(shown, now, result.title, result.blocked, result.urgency, console.width)
    console.print(table)
    legend = marker_legend(shown, now, result.blocked)
    if len(rows) > len(shown):
        console.print(
            Text(f"… {len(rows) - len(shown)} more (list --all shows every task)", style="dim")
        )
    count = f"{len(shown)} of {len(rows)}" if len(shown) < len(rows) else f"{len(rows)}"
    summary = f"{count} shown · {result.total_pending} pending · {result.total_done} done"
    console.print(Text(summary + (f" · {legend}" if legend else ""), style="dim"))


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


def states(task: Task, now: datetime, blocked: Collection[str]) -> list[str]:
    """Which MARKERS a task shows: active, blocked, waiting, recurring."""
    found = {
        "active": task.is_active,
        "blocked": task.uuid in blocked and task.pending,
        "waiting": task.is_waiting(now),
        "recurring": task.is_recurring,
    }
    return [name for name in MARKERS if found[name]]


def marker_legend(tasks: Sequence[Task], now: datetime, blocked: Collection[str]) -> str:
    """`▶ active · ↻ recurring`: the markers these rows show, explained."""
    shown = {name for t in tasks for name in states(t, now, blocked)}
    return " · ".join(f"{MARKERS[n]} {n}" for n in MARKERS if n in shown)


def task_table(
    tasks: Sequence[Task],
    now: datetime,
    title: str = "tasks",
    blocked: Collection[str] = frozenset(),
    urgency: Mapping[str, float] | None = None,
    width: int = 120,
) -> Table:
    """The rows; the markers, project and status columns only when a row needs them (a
    project, a marker, a done task), urgency when given."""
    marks = {t.uuid: "".join(MARKERS[n] for n in states(t, now, blocked)) for t in tasks}
    with_marks = any(marks.values())
    with_project = any(t.project for t in tasks)
    with_status = any(t.done for t in tasks)  # all pending: the column would say only that
    table = Table(title=Text(title), title_justify="left", expand=False, box=box.ROUNDED)
    table.add_column("id", justify="right", style="bold", no_wrap=True)
    table.add_column("pri", no_wrap=True)
    if with_marks:
        table.add_column("", no_wrap=True, style="cyan")
    # One line per row (issue 13): a screenful counts rows, and the name keeps the room; `show`
    # has it in full. The other columns take what they need, project and tags within a limit.
    # The columns stay wrappable, so Rich narrows them to fit; each cell is cut, never wrapped.
    # On a narrow console the name keeps most of the width: project and tags get a share of it.
    table.add_column("name", ratio=1)
    if with_project:
        table.add_column("project", max_width=min(16, max(8, width // 6)), style="magenta")
    table.add_column("tags", max_width=min(24, max(8, width // 6)), style="cyan")
    table.add_column("due", no_wrap=True)
    if with_status:
        table.add_column("status", no_wrap=True)
    if urgency is not None:
        table.add_column("urg", justify="right", no_wrap=True)
    for task in tasks:
        cells: list[Text | str] = [str(task.id), priority_text(task.priority)]
        if with_marks:
            cells.append(marks[task.uuid])
        cells.append(_cut(data(one_line(task.name))))
        if with_project:
            cells.append(_cut(data(task.project or "")))
        cells += [_cut(data(" ".join(f"#{t}" for t in task.tags))), due_text(task, now)]
        if with_status:
            cells.append(Text("✓ done", style="green") if task.done else Text("pending"))
        if urgency is not None:
            cells.append(f"{urgency.get(task.uuid, 0.0):.1f}")
        table.add_row(*cells, style="dim" if task.done else "")
    return table


def _cut(text: Text) -> Text:
    """A cell on one line, ending in `…` when it is cut."""
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def render_tasks_to_go(console: Console, tasks: Sequence[Task], title: str = "to delete") -> None:
    """The tasks a confirmation is about (to delete, to add, to replace), shown before asking."""
    if tasks:
        console.print(task_table(tasks, datetime.now(), title, width=console.width))
