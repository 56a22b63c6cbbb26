"""Rich rendering of the `ai` command: the proposal table, the changes as diff lines, the source
and notes, what was added and changed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.status import Status
from rich.table import Table
from rich.text import Text

from commands.ai import ChangeMade, ProposalAdded, ProposalShown, proposed_fields
from commands.results import TasksAdded
from core.ai.proposal import Proposal, ProposedChange
from ui.render.base import data, priority_text, render


def proposal_table(drafts: Sequence[Mapping[str, Any]], now: datetime) -> Table:
    """Proposed tasks (as field dicts) numbered for review; every value is data, never markup.

    A column no draft fills (project, tags, due, description) is left out: the name gets the room.
    """
    table = Table(title="proposed tasks", title_justify="left", box=box.ROUNDED)
    table.add_column("#", justify="right", style="bold", no_wrap=True)
    table.add_column("name", overflow="fold", ratio=2)
    table.add_column("pri", no_wrap=True)
    optional = {
        "project": lambda d: data(d.get("project") or ""),
        "tags": lambda d: data(" ".join(f"#{t}" for t in d.get("tags", ()))),
        "due": lambda d: due_cell(d.get("due"), now),
        "description": lambda d: data(d.get("description", "")),
    }
    shown = [key for key in optional if any(draft.get(key) for draft in drafts)]
    styles = {"project": "magenta", "tags": "cyan"}
    for key in shown:
        if key == "due":
            table.add_column("due", no_wrap=True)
        else:
            table.add_column(key, overflow="fold", style=styles.get(key), ratio=1)
    for number, draft in enumerate(drafts, 1):
        cells = [optional[key](draft) for key in shown]
        table.add_row(
            str(number), data(draft["name"]), priority_text(draft.get("priority", 2)), *cells
        )
    return table


def change_lines(changes: Sequence[ProposedChange], now: datetime) -> Text:
    """`proposed changes` and one diff line each: `5 dentist appointment: due Wed 12-02 → Fri 12-04`."""
    from core.ai.changes import describe_change

    text = Text("proposed changes", style="bold")
    for change in changes:
        text += Text("\n  ") + change_line(
            change.task_id, change.name, describe_change(change, now)
        )
    return text


def change_line(task_id: int, name: str, what: str) -> Text:
    """One change: the id in bold, the task's name and what changes, as data."""
    return Text(str(task_id), style="bold") + Text(" ") + data(name) + Text(": ") + data(what)


def due_cell(due: str | None, now: datetime) -> Text:
    """`Tue 2027-01-05 18:00 (in 5 days)`: the weekday and date checkable at a glance."""
    if not due:
        return Text("")
    from core.dates import describe_due

    day = date.fromisoformat(due[:10])
    relative, _ = describe_due(due[:10], now)
    cell = Text(f"{day:%a} {due.replace('T', ' ')}") + Text(f" ({relative})", style="dim")
    if describe_due(due, now)[1]:  # past: a model's "January" that became last January
        cell += Text(" ! past", style="bold red")
    return cell


def proposal_source(proposal: Proposal) -> Text:
    """Where the proposal came from, then each note on its own line."""
    text = Text(f"from {proposal.source}", style="dim")
    for note in proposal.notes:
        text += Text("\n") + note_text(note)
    return text


def note_text(note: str) -> Text:
    text = Text("! ") + data(note)
    text.stylize("yellow")
    return text


class Spinner:
    """What `with spinner(...)` gives: progress(tokens, seconds) updates its line."""

    def __init__(self, status: Status, message: str) -> None:
        self.status, self.message = status, message

    def progress(self, tokens: int, seconds: float) -> None:
        """`asking … (Ctrl-C cancels) · 42 tokens, 7 s`: a long wait is seen to move."""
        self.status.update(data(f"{self.message} · {tokens} tokens, {seconds:.0f} s"))


@contextmanager
def _spinning(console: Console, message: str) -> Iterator[Spinner]:
    with console.status(data(message), spinner="dots") as status:
        yield Spinner(status, message)


def spinner(console: Console, message: str) -> AbstractContextManager[object]:
    """A spinner with message while the caller waits; gone when the block ends or raises."""
    return _spinning(console, message)


@render.register
def _(result: ProposalShown, console: Console) -> None:
    now = datetime.now()
    if result.proposal.tasks:
        drafts = [proposed_fields(t) for t in result.proposal.tasks]
        console.print(proposal_table(drafts, now))
    if result.proposal.changes:
        console.print(change_lines(result.proposal.changes, now))
    console.print(proposal_source(result.proposal))
    console.print(Text(result.hint, style="yellow"))


@render.register
def _(result: ProposalAdded, console: Console) -> None:
    for note in result.notes:
        console.print(note_text(note))
    if result.tasks:
        render.dispatch(TasksAdded)(result, console)  # registered by ui/render/tasks.py
    for made in result.changed:
        console.print(Text("✓ changed ", style="green") + _made(made))
    for task in result.next:
        console.print(Text(f"  next occurrence: {task.id} ", style="dim") + data(task.name))


def _made(made: ChangeMade) -> Text:
    return change_line(made.task_id, made.name, made.what)
