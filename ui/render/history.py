"""Renderers of the history commands (commands/history.py): `log` and `history ID`."""

from __future__ import annotations

import platform
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from commands.history import LogView, TaskHistory
from core.storage.history import Entry
from core.timeline import TaskChange
from ui.render.base import data, one_line, render


@render.register
def _(result: LogView, console: Console) -> None:
    if result.problem:
        console.print(Text(f"the history could not be read: {result.problem}", style="yellow"))
    if not result.steps:
        console.print(Text("no steps yet: each change to the file becomes one", style="dim"))
        return
    table = Table(title="history, newest first", title_justify="left", expand=True)
    table.add_column("step", justify="right", no_wrap=True)
    table.add_column("when", no_wrap=True)
    table.add_column("who", max_width=18, overflow="ellipsis", no_wrap=True)
    table.add_column("what", max_width=18, overflow="fold")
    table.add_column("changed", ratio=1, min_width=20, overflow="fold")
    now = datetime.now(UTC)
    for step in result.steps:
        what = data(one_line(step.entry.label))
        if step.undone:
            what.append(" (undone)", style="dim")
        table.add_row(
            str(step.entry.step), when(step.entry, now), who(step.entry), what, data(step.summary())
        )
    console.print(table)
    if result.more:
        console.print(Text(f"{result.more} older step(s): `log -n N` shows more", style="dim"))


@render.register
def _(result: TaskHistory, console: Console) -> None:
    title = Text(f"task {result.task_id} ") + data(one_line(result.name))
    if not result.versions:
        console.print(title + Text(": no step in the history touched it", style="dim"))
        return
    table = Table(title=title, title_justify="left", expand=True)
    table.add_column("step", justify="right", no_wrap=True)
    table.add_column("when", no_wrap=True)
    table.add_column("who", max_width=18, overflow="ellipsis", no_wrap=True)
    table.add_column("what changed", ratio=1, min_width=20, overflow="fold")
    now = datetime.now(UTC)
    for entry, change in result.versions:
        table.add_row(str(entry.step), when(entry, now), who(entry), describe(change))
    console.print(table)


def describe(change: TaskChange) -> Text:
    """`added`, `deleted`, or one line per field: `name: "a" → "b"`."""
    if change.kind != "changed":
        return Text(change.kind, style="green" if change.kind == "added" else "red")
    lines = [f"{f.field}: {_value(f.before)} → {_value(f.after)}" for f in change.fields]
    return data("\n".join(lines) or "no field changed")


def when(entry: Entry, now: datetime) -> Text:
    """`12:03 (5 min ago)` today, else `2026-11-30 18:00 (yesterday)`, in local time."""
    try:
        at = datetime.strptime(entry.at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return data(entry.at)
    local, seconds = at.astimezone(), (now - at).total_seconds()
    shown = local.strftime("%H:%M" if local.date() == now.astimezone().date() else "%Y-%m-%d %H:%M")
    return Text(shown) + Text(f" ({_ago(seconds)})", style="dim")


def who(entry: Entry) -> Text:
    """The command without the program and its --file (`done 3`), or `repl`; `@host` if another."""
    words = str(entry.who.get("command", "")).split()[1:]
    kept = [w for i, w in enumerate(words) if not _is_global(words, i)]
    host = str(entry.who.get("host", ""))
    elsewhere = f" @{host}" if host and host != platform.node() else ""
    return data(" ".join(kept) or "repl") + Text(elsewhere, style="dim")


def _is_global(words: list[str], i: int) -> bool:
    """--file PATH and --lock-timeout S (also `--file=PATH`) say where, not what."""
    options = ("--file", "--lock-timeout")
    return words[i].startswith(options) or (i > 0 and words[i - 1] in options)


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now" if seconds < 5 else f"{int(seconds)} s ago"


def _value(value: object) -> str:
    text = "—" if value is None else f'"{value}"' if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"
