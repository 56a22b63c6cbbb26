"""Rich rendering of `sync`'s report and the merge driver's line (commands/sync.py)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from commands.sync import DriverResult
from core.sync.git import SyncResult
from ui.render.base import data, one_line, render

SIDES = {"local": "this machine", "remote": "the remote"}


@render.register
def _(result: SyncResult, console: Console) -> None:
    head = "set up and synced" if result.initialized else "synced"
    console.print(
        Text(f"{head} with ", style="green")
        + data(result.remote)
        + Text(f" ({result.branch}): pulled {result.pulled} change(s), pushed {result.pushed}")
    )
    for c in result.conflicts:
        line = _task(c.task_id, c.name) + Text(f" {c.field}: kept ")
        other = "the remote" if c.kept_side == "local" else "this machine"
        line += data(_value(c.kept)) + Text(f" ({SIDES[c.kept_side]}, changed later) over ")
        line += data(_value(c.other)) + Text(f" ({other})")
        console.print(Text("conflict: ", style="yellow") + line)
    for r in result.revived:
        where = "here" if r.deleted_on == "local" else "on the remote"
        console.print(
            Text("kept: ", style="yellow")
            + _task(r.task_id, r.name)
            + Text(f" was deleted {where} but edited on the other side")
        )
    for d in result.duplicates:
        console.print(
            _task(d.task_id, d.name)
            + Text(" was made here and on the remote as the same next occurrence: one kept")
        )
    for n in result.renumbered:
        console.print(_task(n.old_id, n.name) + Text(f" is now {n.new_id}"))
    for note in result.notes:
        console.print(Text("note: ", style="yellow") + data(note))


@render.register
def _(result: DriverResult, console: Console) -> None:
    if result.problem:
        console.print(Text(f"tasksafe merge: {result.problem}", style="red"))
        return
    console.print(
        Text(
            f"tasksafe merge: {result.conflicts} conflict(s) (later change kept), "
            f"{result.renumbered} id(s) renumbered, {result.revived} deleted task(s) kept"
        )
    )


def _task(task_id: int | None, name: str) -> Text:
    return Text(f"task {task_id} " if task_id else "task ") + data(f'"{one_line(name)}"')


def _value(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return one_line(str(value))
