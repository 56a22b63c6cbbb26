"""Rich rendering of import's plan and outcome and of export (commands/interop_results.py)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from commands.interop_results import Exported, ImportReport
from core.model import Record
from ui.render.base import data, one_line, priority_text, render

NAMES = {"taskwarrior": "Taskwarrior JSON", "todotxt": "todo.txt", "ical": "iCalendar"}
NAMES |= {"tasksafe": "tasksafe JSON", "json": "tasksafe JSON"}
SHOWN_NEW = 50  # rows of the new tasks' table; the count says how many more


@render.register
def _(result: ImportReport, console: Console) -> None:
    if not result.shown:
        _plan(result, console)
    if result.outcome:
        style = "green" if result.applied else "red" if result.code else "yellow"
        console.print(Text(result.outcome, style=style), soft_wrap=True)


def _plan(result: ImportReport, console: Console) -> None:
    """The format, the counts, each invalid and skipped record, the new tasks."""
    plan, parsed = result.plan, result.plan.parsed
    how = "detected" if result.detected else "as given"
    console.print(Text(f"format: {NAMES[parsed.fmt]} ({how})", style="bold"))
    counts = (
        f"{len(plan.new)} new, {len(plan.updated)} updated, {plan.unchanged} unchanged, "
        f"{len(parsed.problems)} invalid, {len(parsed.skipped)} skipped"
    )
    if plan.newer_here:
        counts += f"; {plan.newer_here} changed here since (kept as they are)"
    console.print(Text(counts))
    for line in parsed.problems:
        console.print(Text("✗ ", style="red") + data(line), soft_wrap=True)
    for line in parsed.skipped:
        console.print(Text("· skipped ", style="dim") + data(line), soft_wrap=True)
    if not result.applied:
        for uuid, fields in list(plan.updated.items())[:SHOWN_NEW]:
            name = data(one_line(plan.names.get(uuid, uuid)))
            console.print(Text("~ ", style="yellow") + name + Text(f": {', '.join(fields)}"))
        if len(plan.updated) > SHOWN_NEW:
            console.print(Text(f"~ and {len(plan.updated) - SHOWN_NEW} more updated"))
    if plan.new and not result.applied:
        console.print(_table(plan.new))


def _table(records: list[Record]) -> Table:
    table = Table(title="new tasks", title_justify="left")
    for name in ("name", "pri", "project", "tags", "due", "status"):
        table.add_column(name)
    for rec in records[:SHOWN_NEW]:
        table.add_row(
            data(one_line(rec["name"])),
            priority_text(rec.get("priority", 2)),
            data(rec.get("project") or ""),
            data(" ".join(rec.get("tags") or [])),
            data(rec.get("due") or ""),
            data(rec.get("status", "pending")),
        )
    if len(records) > SHOWN_NEW:
        table.caption = f"and {len(records) - SHOWN_NEW} more"
    return table


@render.register
def _(result: Exported, console: Console) -> None:
    if result.path is None:
        console.file.write(result.data.decode())  # the format exactly, never through Rich
        console.file.flush()
        return
    line = Text(f"exported {result.count} task(s) as {NAMES[result.fmt]} to ") + data(result.path)
    console.print(line, soft_wrap=True)
