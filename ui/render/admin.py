"""Rich rendering of the maintenance commands' results (commands/admin_results.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import date, datetime

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from commands.admin_results import (
    BackupList,
    DoctorReport,
    Replayed,
    Restored,
    RestoredAt,
    SalvageReport,
    Stats,
)
from core.maintenance.doctor import INFO, OK, PROBLEM, WARNING
from core.maintenance.salvage import Candidate
from ui.render.base import data, one_line, render

STATUS_MARKS = {
    OK: Text("✓ ok", style="green"),
    INFO: Text("· info", style="cyan"),
    WARNING: Text("! warning", style="yellow"),
    PROBLEM: Text("✗ problem", style="bold red"),
}
BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


@render.register
def _(result: Replayed, console: Console) -> None:
    verb = "↷ redid" if result.redo else "↶ undid"
    console.print(
        Text(f"{verb} ", style="green")
        + data(result.label)
        + Text(f" ({result.tasks} task{'s' if result.tasks != 1 else ''})", style="dim")
    )


# --- backups ---


@render.register
def _(result: BackupList, console: Console) -> None:
    if not result.copies:
        console.print(
            Text("no backups yet next to ") + data(result.path) + Text("; each save keeps one")
        )
        return
    console.print(backup_table(result))
    console.print(
        Text(
            "restore NAME brings one back · doctor --salvage NAME recovers tasks from a damaged one",
            style="dim",
        )
    )


def backup_table(result: BackupList) -> Table:
    table = Table(title=Text("kept copies of ") + data(result.path), title_justify="left")
    table.add_column("name", style="bold", overflow="fold")
    table.add_column("age", justify="right", no_wrap=True)
    table.add_column("written", no_wrap=True, style="dim")
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("tasks", justify="right", no_wrap=True)
    table.add_column("valid", overflow="fold")
    for copy in result.copies:
        valid = (
            Text("✓ valid", style="green")
            if copy.valid
            else Text("✗ ", style="bold red") + data(copy.problem or "")
        )
        if copy.valid and copy.invalid:
            valid += Text(f" ({copy.invalid} invalid records)", style="yellow")
        table.add_row(
            data(copy.short_name),
            Text(age(result.now - copy.mtime)),
            Text(time.strftime("%Y-%m-%d %H:%M", time.localtime(copy.mtime))),
            Text(size(copy.size)),
            Text(str(copy.tasks) if copy.valid else "–"),
            valid,
        )
    return table


def age(seconds: float) -> str:
    """`just now`, `42 s`, `5 min`, `3 h`, `2 days`."""
    if seconds < 1:
        return "just now"
    for unit, length in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            n = int(seconds // length)
            return f"{n} {'day' if unit == 'days' and n == 1 else unit}"
    return f"{int(seconds)} s"


def size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KiB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MiB"


@render.register
def _(result: Restored, console: Console) -> None:
    line = Text("✓ restored ", style="green") + data(result.backup.short_name)
    line += Text(
        f": {result.brought_back} came back, {result.removed} left, {result.changed} changed; "
        f"{result.task_count} tasks now"
    )
    console.print(line)
    if result.kept_as:
        console.print(
            Text("the previous version is kept as ", style="dim")
            + data(os.path.basename(result.kept_as))
            + Text(" · undo reverts the restore", style="dim")
        )


@render.register
def _(result: RestoredAt, console: Console) -> None:
    console.print(
        Text(f"✓ restored the file as it was after step {result.step}", style="green")
        + Text(
            f": {result.brought_back} came back, {result.removed} left, {result.changed} changed;"
            f" {result.task_count} tasks now · undo reverts the restore"
        )
    )


# --- doctor ---


@render.register
def _(result: DoctorReport, console: Console) -> None:
    diagnosis = result.diagnosis
    table = Table(title=Text("doctor: ") + data(diagnosis.path), title_justify="left")
    table.add_column("check", style="bold", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("finding", overflow="fold")
    for check in diagnosis.checks:
        finding = data(check.summary)
        for line in check.details:
            finding += Text("\n  ") + data(line)
        table.add_row(Text(check.name), STATUS_MARKS[check.status], finding)
    console.print(table)
    problems = sum(c.status == PROBLEM for c in diagnosis.checks)
    if problems:
        console.print(Text(f"✗ {problems} problem(s) found", style="bold red"))
    else:
        console.print(Text("✓ healthy", style="green"))


@render.register
def _(result: SalvageReport, console: Console) -> None:
    source = data(os.path.basename(result.source))
    if result.found == 0:
        console.print(Text("! no tasks found in ", style="yellow") + source)
        return
    if not result.candidates:
        console.print(
            Text("✓ nothing to salvage: ", style="green")
            + Text(f"the {result.found} task(s) found in ")
            + source
            + Text(" are all in the file already")
        )
        return
    if result.declined:
        console.print(candidate_table(result.candidates, "found, not added"))
        console.print(Text("nothing was added", style="yellow"))
        return
    console.print(added_table(result))
    skipped = f"; {result.present} already in the file" if result.present else ""
    console.print(
        Text(f"✓ added {len(result.added)} task(s) salvaged from ", style="green")
        + source
        + Text(skipped, style="dim")
    )


def candidate_table(candidates: Sequence[Candidate], title: str) -> Table:
    table = _salvage_columns(title, new_ids=False)
    for c in candidates:
        table.add_row(*_salvage_row(c))
    return table


def added_table(result: SalvageReport) -> Table:
    table = _salvage_columns("salvaged", new_ids=True)
    by_uuid = {c.record["uuid"]: c for c in result.candidates}
    for task in result.added:
        table.add_row(Text(str(task.id)), *_salvage_row(by_uuid[task.uuid]))
    return table


def _salvage_columns(title: str, new_ids: bool) -> Table:
    table = Table(title=Text(title), title_justify="left")
    if new_ids:
        table.add_column("id", justify="right", style="bold", no_wrap=True)
    table.add_column("was", justify="right", style="dim", no_wrap=True)
    table.add_column("name", overflow="fold", ratio=1)
    table.add_column("status", no_wrap=True)
    table.add_column("repairs", overflow="fold", style="yellow")
    return table


def _salvage_row(c: Candidate) -> tuple[Text, Text, Text, Text]:
    return (
        Text(str(c.old_id) if c.old_id else "?"),
        data(one_line(str(c.record["name"]))),
        Text(str(c.record.get("status", "pending"))),
        data("; ".join(c.notes)),
    )


# --- stats ---


@render.register
def _(result: Stats, console: Console) -> None:
    if result.total == 0:
        console.print(Text("no tasks yet"))
        return
    console.print(
        Group(
            bar_chart("by status", result.by_status),
            bar_chart("by priority", result.by_priority),
            bar_chart("by tag", result.by_tag, more=result.other_tags),
            bar_chart("pending by project", result.by_project, more=result.other_projects),
            bar_chart("completed per day", [(_day(d), n) for d, n in result.completed_per_day]),
        )
    )


def bar_chart(title: str, rows: Sequence[tuple[str, int]], more: int = 0) -> Table:
    """Label, count and a bar scaled to the largest count, in plain Unicode blocks."""
    table = Table(
        title=Text(title), title_justify="left", box=None, pad_edge=False, show_header=False
    )
    table.add_column("label", no_wrap=True)
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("bar", no_wrap=True, style="cyan", min_width=BAR_WIDTH)
    top = max((n for _, n in rows), default=0)
    for label, n in rows:
        table.add_row(data(label), Text(str(n)), Text(bar(n, top)))
    if not rows:
        table.add_row(Text("none", style="dim"), Text(""), Text(""))
    if more:
        table.add_row(Text(f"… {more} more", style="dim"), Text(""), Text(""))
    return table


def bar(n: int, top: int, width: int = BAR_WIDTH) -> str:
    """A bar of `n` against `top`, with eighth blocks for the fraction; a sliver for any n > 0."""
    if n <= 0 or top <= 0:
        return ""
    eighths = max(1, round(n / top * width * 8))
    return "█" * (eighths // 8) + _EIGHTHS[eighths % 8].strip()


def _day(d: date) -> str:
    return datetime(d.year, d.month, d.day).strftime("%a %m-%d")
