"""`list` and `next` in the one-shot CLI: aligned plain lines, written without Rich.

Rich lays out ~1 ms per row (issue 13: 8 s for 10k tasks), so the one-shot table is computed a
column at a time, then one line per row. Off a terminal every row is written in full (`| grep`);
on a terminal what fits: the name gets the room (ui/rows.py's plan, as the REPL's table), cut
with `…`, and a line says how many more and the command that shows them; `--all` and `--every`
there go through $PAGER (`less -R`, as git does). Colours only for a terminal (or FORCE_COLOR), never with
NO_COLOR. Task text goes through clean_text, as everywhere: never an escape sequence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import IO

from commands.results import TasksAdded, TaskTable
from core.model import Task
from ui.rows import (
    RIGHT,
    TITLES,
    Columns,
    columns_of,
    cut,
    fit,
    more_line,
    natural,
    nothing_listed,
    one_line,
    plan,
    states,
    summary_line,
    width_of,
)

__all__ = ["cut", "table_lines", "width_of"]  # cut and width_of: ui.rows', used from here too

PRIORITY_STYLES = {1: "1;31", 2: "33", 3: "2"}
RESET = "\033[0m"
# The columns in the order written: the name last, so a long one never pushes the others out
# of line (off a terminal it is never cut).
ORDER = ("id", "pri", "marks", "status", "urg", "due", "project", "tags", "name")
PREFIX = "tasksafe "  # the commands the lines name are typed in a shell
STYLES = {"id": "1", "marks": "36", "tags": "36", "project": "35"}


def colour_wanted(stream: IO[str], environ: Mapping[str, str]) -> bool:
    """As Rich decides: a terminal, or FORCE_COLOR / TTY_COMPATIBLE; never NO_COLOR or TERM=dumb."""
    if environ.get("NO_COLOR", "") != "" or environ.get("TERM") == "dumb":
        return False
    forced = environ.get("FORCE_COLOR", "") != "" or environ.get("TTY_COMPATIBLE") == "1"
    return forced or stream.isatty()


def table_lines(
    table: TaskTable, now: datetime, width: int | None, colour: bool, limit: int | None = None
) -> list[str]:
    """Header, rows (the first `limit`), a "more" line, the summary; `width`: fit to it (the
    name gets the room, ui/rows.py's plan), else nothing is cut."""
    if not table.tasks:
        return [_style(nothing_listed(table, PREFIX), "2", colour)]
    chosen = table.tasks if limit is None else table.tasks[:limit]
    columns = columns_of(chosen, now, table.blocked, table.urgency)
    if width is None:
        cells, widths, markers = columns.cells, natural(columns), columns.states
    else:
        layout = plan(columns, width, gap=1)
        cells, widths, markers = fit(columns, layout), layout.widths, layout.markers(columns)
    keys = [k for k in ORDER if k in widths]
    lines = [_style(_line([TITLES[k] for k in keys], keys, widths), "1", colour)]
    rows = list(zip(*(cells[k] for k in keys), strict=True))
    extras = cells.get("extras")
    if colour:
        lines += [
            _row(task, row, keys, widths, columns, k, extras)
            for k, (task, row) in enumerate(zip(chosen, rows, strict=True))
        ]
    elif extras is not None:
        lines += [_line(row, keys, widths) + extra for row, extra in zip(rows, extras, strict=True)]
    else:
        lines += _plain_rows(rows, keys, widths, cells)
    if len(chosen) < len(table.tasks):
        lines.append(_style(more_line(table, len(chosen), PREFIX), "2", colour))
    lines.append(_style(summary_line(table, len(chosen), markers), "2", colour))
    return lines


def _plain_rows(
    rows: list[tuple[str, ...]],
    keys: list[str],
    widths: dict[str, int],
    cells: Mapping[str, list[str]],
) -> list[str]:
    """Rows without colour: one format applied in C (a pipe: 100k rows); a row with a cell
    whose cells are not its characters (wide, combining) padded by cells."""
    fmt = " ".join(f"{{:{'>' if k in RIGHT else '<'}{widths[k]}}}" for k in keys[:-1])
    fmt = f"{fmt} {{}}" if fmt else "{}"
    # Each distinct cell measured once: a due's `·` is one cell, a tag in 漢字 two a character.
    odd = {c for k in keys[:-1] for c in set(cells[k]) if not c.isascii() and width_of(c) != len(c)}
    if not odd:
        return [fmt.format(*row) for row in rows]
    return [
        _line(row, keys, widths) if odd.intersection(row[:-1]) else fmt.format(*row) for row in rows
    ]


def _pad(cell: str, width: int, right: bool) -> str:
    pad = " " * (width - width_of(cell))
    return pad + cell if right else cell + pad


def _line(cells: Sequence[str], keys: Sequence[str], widths: Mapping[str, int]) -> str:
    parts = [_pad(c, widths[k], k in RIGHT) for c, k in zip(cells[:-1], keys, strict=False)]
    return " ".join([*parts, cells[-1]]).rstrip()


def _row(
    task: Task,
    row: Sequence[str],
    keys: Sequence[str],
    widths: Mapping[str, int],
    columns: Columns,
    k: int,
    extras: Sequence[str] | None,
) -> str:
    styles = {**STYLES, "pri": PRIORITY_STYLES.get(task.priority, "")}
    styles["due"] = "1;31" if columns.late[k] else ""
    styles["status"] = "32" if task.done else ""
    out = []
    for key, cell in zip(keys, row, strict=True):
        text = cell if key == "name" else _pad(cell, widths[key], key in RIGHT)
        style = styles.get(key, "")
        out.append(_style(text, style, True) if style and cell else text)
    line = " ".join(out).rstrip()
    if extras is not None and extras[k]:
        line += _style(extras[k], "2", True)
    return _style(line, "2", True) if task.done else line


def _style(text: str, sgr: str, colour: bool) -> str:
    return f"\033[{sgr}m{text}{RESET}" if colour and sgr else text


def screen_rows(table: TaskTable, now: datetime, columns: int, lines: int) -> int:
    """Rows that fit a terminal of `lines` under the header and above the "more" line, the
    summary (as many lines as the terminal wraps them to) and the shell's next prompt."""
    first = table.tasks[:lines]
    markers = {name for t in first for name in states(t, now, table.blocked)}
    total = len(table.tasks)
    longest = summary_line(table, max(0, total - 1), markers | {"done"})
    footer = [more_line(table, 0, PREFIX), longest]
    taken = 2 + sum(-(-width_of(text) // columns) for text in footer)  # header, prompt
    return max(5, lines - taken)


def write_table(table: TaskTable, environ: Mapping[str, str], everything: bool) -> None:
    """`list`/`next` on stdout: every row off a terminal, a screenful on one, or all in $PAGER
    (`--all`, `--every`)."""
    out = sys.stdout
    now = table.now or datetime.now()
    colour = colour_wanted(out, environ)
    if not out.isatty():
        out.write("\n".join(table_lines(table, now, None, colour)) + "\n")
        out.flush()
        return
    size = os.get_terminal_size(out.fileno())
    if not everything:
        limit = screen_rows(table, now, size.columns, size.lines)
        out.write("\n".join(table_lines(table, now, size.columns, colour, limit)) + "\n")
        out.flush()
        return
    page("\n".join(table_lines(table, now, size.columns, colour)) + "\n", environ)


def page(text: str, environ: Mapping[str, str]) -> None:
    """Through $PAGER (`less -R` when unset); LESS=FRX unless set: one screen just prints."""
    import shlex
    import subprocess  # the pager only: a one-shot add or list | grep does not pay for it

    pager = environ.get("PAGER") or "less -R"
    env = {**os.environ, **environ}
    env.setdefault("LESS", "FRX")
    try:
        proc = subprocess.Popen(shlex.split(pager), stdin=subprocess.PIPE, env=env)
    except OSError:  # no such pager: print it all
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode())
        proc.stdin.close()
    except BrokenPipeError:  # the user quit the pager before the end
        pass
    proc.wait()


GREEN = "32"
STATUS_VERBS = {"done": "done", "pending": "reopened", "started": "started", "stopped": "stopped"}
MESSAGE_STYLES = {"info": "", "ok": "32", "warning": "33", "error": "1;31"}
MESSAGE_MARKS = {"info": "", "ok": "✓ ", "warning": "! ", "error": "✗ "}


def change_lines(result: object, colour: bool) -> list[str] | None:
    """The lines of a one-task change (edit, done, undone, start, stop, delete) or a message,
    as ui/render/tasks.py draws them, without Rich; None for any other result."""
    from commands.results import Message, StatusChanged, TaskEdited, TasksDeleted

    if isinstance(result, Message):
        mark = MESSAGE_MARKS.get(result.kind, "")
        return [_style(mark + one_line(result.text), MESSAGE_STYLES.get(result.kind, ""), colour)]
    if isinstance(result, TaskEdited):
        return [_style("✓ saved ", GREEN, colour) + _ref(result.task, colour)]
    if isinstance(result, StatusChanged | TasksDeleted):
        verb = "deleted" if isinstance(result, TasksDeleted) else STATUS_VERBS[result.status]
        return [
            _style(f"✓ {verb} ", GREEN, colour)
            + _ref(task, colour)
            + _next(result.next.get(task.uuid), colour)
            for task in result.tasks
        ]
    return None


def _ref(task: Task, colour: bool) -> str:
    return _style(f"{task.id}", "1", colour) + " " + one_line(task.name)


def _next(following: Task | None, colour: bool) -> str:
    if following is None or following.due is None:
        return ""
    from commands.words import day_label

    return _style(f" · next: {day_label(following.due)} (task {following.id})", "36", colour)


def added_lines(result: TasksAdded) -> list[str]:
    """The id of each task added, one a line; `ai` adds a line per change: `5 dentist: due …`.

    Every line starts with the id of a task the command touched (`cut -d' ' -f1`).
    """
    lines = [str(t.id) for t in result.tasks]
    for made in getattr(result, "changed", ()):
        lines.append(f"{made.task_id} {one_line(made.name)}: {one_line(made.what)}")
    lines += [f"{t.id} {one_line(t.name)}: next occurrence" for t in getattr(result, "next", ())]
    return lines


def write_change(result: object, environ: Mapping[str, str]) -> bool:
    """Print `result` if change_lines knows it; whether it did."""
    lines = change_lines(result, colour_wanted(sys.stdout, environ))
    if lines is None:
        return False
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
    return True
