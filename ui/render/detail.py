"""Rich rendering of `show` (commands.results.TaskDetail): every field of one task, its notes
with their age, what it waits for and what waits for it, its subtasks and its next occurrence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from commands.results import TaskDetail
from commands.words import day_label, when_label
from core.model import Task
from core.vocabulary import PRIORITY_LABELS
from ui.render.base import data, one_line, priority_text, render


@render.register
def _(result: TaskDetail, console: Console) -> None:
    console.print(task_panel(result))


def due_text(task: Task, now: datetime) -> Text:
    """`in 3 days`, red when overdue (and not done); the stored date follows it."""
    if task.due is None:
        return Text("")
    from core.dates import describe_due

    words, overdue = describe_due(task.due, now)
    return Text(words, style="bold red" if overdue and not task.done else "")


def task_panel(detail: TaskDetail) -> Panel:
    task, now = detail.task, detail.now or datetime.now()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("name", data(task.name))
    label = PRIORITY_LABELS.get(task.priority, "")
    grid.add_row("priority", priority_text(task.priority) + Text(f" {label}"))
    grid.add_row("status", status_text(detail, now))
    if task.project:
        grid.add_row("project", data(task.project))
    grid.add_row("tags", data(" ".join(f"#{t}" for t in task.tags)))
    grid.add_row(
        "due", due_text(task, now) + Text(f"  {task.due}" if task.due else "", style="dim")
    )
    for key in ("wait", "scheduled"):
        value = getattr(task, key)
        if value:
            grid.add_row(key, Text(when_label(value, now)))
    if task.recur:
        grid.add_row("recurs", recurrence_text(detail, now))
    grid.add_row("description", data(task.description))
    grid.add_row("comment", data(task.comment))
    for name, text in link_rows(detail):
        grid.add_row(name, text)
    for number, note in enumerate(task.annotations, 1):
        age = Text(f"{number}. {age_text(note.entry, now)}  ", style="dim")
        grid.add_row("notes" if number == 1 else "", age + data(note.text))
    if detail.urgency is not None:
        grid.add_row("urgency", Text(f"{detail.urgency:.1f}", style="dim"))
    for key in ("created", "modified", "completed"):
        value = getattr(task, key)
        if value:
            grid.add_row(key, Text(value, style="dim"))
    grid.add_row("uuid", Text(task.uuid, style="dim"))
    return Panel(grid, title=Text(f"task {task.id}"), title_align="left", expand=False)


def status_text(detail: TaskDetail, now: datetime) -> Text:
    """`pending · active since 2 hours ago · blocked`, `done`, `pending · waiting`."""
    task = detail.task
    words = [task.status]
    if task.is_active and task.start:
        words.append(f"active since {age_text(task.start, now)}")
    if task.is_waiting(now):
        words.append("waiting")  # until when: the wait row
    if detail.blocked:
        words.append("blocked")
    return Text(" · ".join(words), style="green" if task.done else "")


def recurrence_text(detail: TaskDetail, now: datetime) -> Text:
    """`monthly · until Mon 2027-06-01 · next: Fri 2027-01-01` (next: when done now)."""
    task = detail.task
    words = [task.recur or ""]
    if task.until:
        words.append(f"until {day_label(task.until)}")
    if detail.next_due:
        words.append(f"next: {day_label(detail.next_due)}")
    elif task.pending:
        words.append("last occurrence")
    return Text(" · ".join(words))


def link_rows(detail: TaskDetail) -> list[tuple[str, Text]]:
    """The rows of the tasks it is linked to, each with its status."""
    rows: list[tuple[str, Text]] = []
    if detail.parent is not None:
        rows.append(("subtask of", _linked(detail.parent)))
    missing = len(detail.task.depends) - len(detail.depends)
    rows += _listed("depends on", detail.depends)
    if missing > 0:
        rows.append(
            (
                "" if detail.depends else "depends on",
                Text(f"{missing} task(s) no longer in the file", style="dim"),
            )
        )
    rows += _listed("needed by", detail.needed_by)
    rows += _listed("subtasks", detail.subtasks)
    return rows


def _listed(name: str, tasks: Sequence[Task]) -> list[tuple[str, Text]]:
    return [(name if i == 0 else "", _linked(t)) for i, t in enumerate(tasks)]


def _linked(task: Task) -> Text:
    mark = Text("✓ ", style="green") if task.done else Text("· ", style="dim")
    return mark + Text(f"{task.id} ", style="bold") + data(one_line(task.name))


def age_text(stamp: str, now: datetime) -> str:
    """How long ago a UTC time was: `just now`, `5 minutes ago`, `3 days ago`, or its date."""
    try:
        then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    here = now if now.tzinfo is not None else now.astimezone()
    seconds = (here - then).total_seconds()
    if seconds < 60:
        return "just now"
    for below, size, unit in _AGES:
        if seconds < below:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return then.date().isoformat()


_DAY = 86400
# (below this many seconds, count in units of, unit): as core.dates words due dates.
_AGES = (
    (3600, 60, "minute"),
    (_DAY, 3600, "hour"),
    (14 * _DAY, _DAY, "day"),
    (63 * _DAY, 7 * _DAY, "week"),
)
