"""`list` and `next` in the one-shot CLI: aligned plain lines, written without Rich.

Rich lays out ~1 ms per row (issue 13: 8 s for 10k tasks), so the one-shot table is computed in
one pass: column widths, then one line per row. Off a terminal every row is written (`| grep`);
on a terminal what fits, names cut with `…` to the width, and how many more; `--all` there goes
through $PAGER (`less -R`, as git does). Colours only for a terminal (or FORCE_COLOR), never with
NO_COLOR. Task text goes through clean_text, as everywhere: never an escape sequence.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import IO

from msgspec import Struct
from msgspec.structs import replace

from commands.results import TasksAdded, TaskTable
from core.model import Task
from core.vocabulary import clean_text

MARKERS = {"active": "▶", "blocked": "⊘", "waiting": "◷", "recurring": "↻"}
PRIORITY_STYLES = {1: "1;31", 2: "33", 3: "2"}
RESET = "\033[0m"
# Screen rows that are not task rows: the header, the "more" and summary lines, the shell prompt.
FRAME_ROWS = 4
TAGS_WIDTH = 24  # on a terminal; off one every tag is written


def colour_wanted(stream: IO[str], environ: Mapping[str, str]) -> bool:
    """As Rich decides: a terminal, or FORCE_COLOR / TTY_COMPATIBLE; never NO_COLOR or TERM=dumb."""
    if environ.get("NO_COLOR", "") != "" or environ.get("TERM") == "dumb":
        return False
    forced = environ.get("FORCE_COLOR", "") != "" or environ.get("TTY_COMPATIBLE") == "1"
    return forced or stream.isatty()


def width_of(text: str) -> int:
    """Terminal cells: East Asian wide characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    wide = ("W", "F")
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in wide else 1
        for c in text
    )


def cut(text: str, width: int) -> str:
    """`text` in at most `width` cells, ending in `…` when cut."""
    if width_of(text) <= width:
        return text
    out, used = [], 0
    for c in text:
        w = width_of(c)
        if used + w > width - 1:
            break
        out.append(c)
        used += w
    return "".join(out) + "…"


def shown(text: str) -> str:
    """User text on one line: control characters removed, new lines and tabs as spaces."""
    if text.isprintable():  # nothing to remove or replace: the common case, in C
        return text
    return clean_text(text).replace("\n", " ⏎ ").replace("\t", " ")


class Column(Struct, frozen=True):
    title: str
    right: bool = False
    limit: int | None = None  # cells on a terminal


def columns_for(table: TaskTable, now: datetime) -> tuple[list[Column], list[list[str]]]:
    """The columns the rows need (markers, status, urgency, project only when used) and the
    cells, name last so a long name never pushes the others out of line."""
    tasks, blocked = table.tasks, table.blocked
    marks = ["".join(MARKERS[n] for n in states(t, now, blocked)) for t in tasks]
    cols = [Column("id", right=True), Column("pri")]
    with_marks = any(marks)
    with_status = any(t.done for t in tasks)
    with_project = any(t.project for t in tasks)
    urgency = table.urgency
    if with_marks:
        cols.append(Column(""))
    if with_status:
        cols.append(Column("status"))
    if urgency is not None:
        cols.append(Column("urg", right=True))
    cols.append(Column("due"))
    if with_project:
        cols.append(Column("project", limit=16))
    cols += [Column("tags", limit=TAGS_WIDTH), Column("name")]
    rows = []
    for task, mark in zip(tasks, marks, strict=True):
        cells = [str(task.id), f"P{task.priority}"]
        if with_marks:
            cells.append(mark)
        if with_status:
            cells.append("done" if task.done else "pending")
        if urgency is not None:
            cells.append(f"{urgency.get(task.uuid, 0.0):.1f}")
        cells.append("" if task.due is None else due_words(task, now))
        if with_project:
            cells.append(shown(task.project or ""))
        tags = " ".join(["#" + t for t in task.tags])
        cells += [shown(tags), shown(task.name)]
        rows.append(cells)
    return cols, rows


def due_words(task: Task, now: datetime) -> str:
    if task.due is None:
        return ""
    from core.dates import describe_due

    return describe_due(task.due, now)[0]


def states(task: Task, now: datetime, blocked: Collection[str]) -> list[str]:
    """Which MARKERS a task shows (as ui/render/tasks.py's table)."""
    if not (task.is_active or task.is_recurring or task.wait or task.uuid in blocked):
        return []  # the common case, without building the table below
    found = {
        "active": task.is_active,
        "blocked": task.pending and task.uuid in blocked,
        "waiting": task.is_waiting(now),
        "recurring": task.is_recurring,
    }
    return [name for name in MARKERS if found[name]]


def table_lines(
    table: TaskTable, now: datetime, width: int | None, colour: bool, limit: int | None = None
) -> list[str]:
    """Header, rows (the first `limit`), a "more" line, the summary; `width`: cut to it."""
    if not table.tasks:
        return [_style(nothing_listed(table), "2", colour)]
    chosen = table.tasks if limit is None else table.tasks[:limit]
    cols, rows = columns_for(replace(table, tasks=list(chosen)), now)
    if width is not None:
        for row in rows:
            for k, col in enumerate(cols[:-1]):
                if col.limit is not None:
                    row[k] = cut(row[k], col.limit)
    columns = list(zip(*rows, strict=True)) or [() for _ in cols]
    widths = [_widest(c.title, cells) for c, cells in zip(cols[:-1], columns[:-1], strict=True)]
    widths += [0]
    name_room = None if width is None else max(10, width - sum(widths[:-1]) - len(widths) + 1)
    lines = [_style(_line([c.title for c in cols], cols, widths, name_room), "1", colour)]
    if not colour and name_room is None:  # a pipe or a file: one format, applied in C
        fmt = " ".join(
            f"{{:{'>' if c.right else '<'}{w}}}" for c, w in zip(cols, widths, strict=True)
        )
        for row in rows:
            ascii_row = "".join(row[:-1]).isascii()
            lines.append(fmt.format(*row) if ascii_row else _line(row, cols, widths, None))
    else:
        for task, row in zip(chosen, rows, strict=True):
            lines.append(_row(task, row, cols, widths, name_room, colour, now))
    more = len(table.tasks) - len(chosen)
    if more:
        lines.append(
            _style(f"… {more} more: {rest_command(table.title)} shows them all", "2", colour)
        )
    count = f"{len(chosen)} of {len(table.tasks)}" if more else f"{len(table.tasks)}"
    summary = f"{count} shown · {table.total_pending} pending · {table.total_done} done"
    with_marks = cols[2].title == ""  # the markers' column, when a row has one
    legend = {n for n, m in MARKERS.items() if with_marks and any(m in row[2] for row in rows)}
    if legend:
        summary += " · " + " · ".join(f"{MARKERS[n]} {n}" for n in MARKERS if n in legend)
    lines.append(_style(summary, "2", colour))
    return lines


def nothing_listed(table: TaskTable) -> str:
    """One line instead of an empty table."""
    if table.total_pending + table.total_done == 0:
        return "no tasks yet — add one with: tasksafe add NAME"
    words = table.title.split()[1:]
    if words:
        return f"no tasks match {' '.join(words)}"
    return "no tasks to show (list --all includes done and waiting tasks)"


def _widest(title: str, cells: Sequence[str]) -> int:
    widest = max(map(len, cells), default=0)
    if not "".join(cells).isascii():
        widest = max(map(width_of, cells))
    return max(widest, width_of(title))


def rest_command(title: str) -> str:
    """`tasksafe list +home | less`: these rows, every one (`--all` would add done tasks)."""
    words = title.split()
    name = "list" if words[:1] == ["tasks"] else (words[:1] or ["list"])[0]
    import shlex

    return " ".join(["tasksafe", name, *(shlex.quote(w) for w in words[1:]), "| less -R"])


def _line(
    cells: Sequence[str], cols: Sequence[Column], widths: Sequence[int], room: int | None
) -> str:
    parts = []
    for cell, col, w in zip(cells[:-1], cols, widths, strict=False):
        if not cell.isascii():
            w += len(cell) - width_of(cell)  # str.ljust counts characters, not cells
        parts.append(cell.rjust(w) if col.right else cell.ljust(w))
    parts.append(cells[-1] if room is None else cut(cells[-1], room))
    return " ".join(parts).rstrip()


def _row(
    task: Task,
    row: list[str],
    cols: Sequence[Column],
    widths: Sequence[int],
    room: int | None,
    colour: bool,
    now: datetime,
) -> str:
    if not colour:
        return _line(row, cols, widths, room)
    styles = {"id": "1", "pri": PRIORITY_STYLES.get(task.priority, ""), "": "36", "tags": "36"}
    styles["project"] = "35"
    if task.due is not None and not task.done:
        from core.dates import describe_due

        styles["due"] = "1;31" if describe_due(task.due, now)[1] else ""
    out = []
    for k, (cell, col) in enumerate(zip(row, cols, strict=True)):
        if k == len(cols) - 1:
            text = cell if room is None else cut(cell, room)
        else:
            pad = " " * (widths[k] - width_of(cell))
            text = pad + cell if col.right else cell + pad
        style = styles.get(col.title, "")
        out.append(_style(text, style, True) if style and cell else text)
    line = " ".join(out).rstrip()
    return _style(line, "2", True) if task.done else line


def _style(text: str, sgr: str, colour: bool) -> str:
    return f"\033[{sgr}m{text}{RESET}" if colour and sgr else text


def write_table(table: TaskTable, environ: Mapping[str, str], everything: bool) -> None:
    """`list`/`next` on stdout: every row off a terminal, a screenful on one, or all in $PAGER."""
    out = sys.stdout
    now = table.now or datetime.now()
    colour = colour_wanted(out, environ)
    if not out.isatty():
        out.write("\n".join(table_lines(table, now, None, colour)) + "\n")
        out.flush()
        return
    size = os.get_terminal_size(out.fileno())
    if not everything:
        limit = max(5, size.lines - FRAME_ROWS)
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
        return [_style(mark + shown(result.text), MESSAGE_STYLES.get(result.kind, ""), colour)]
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
    return _style(f"{task.id}", "1", colour) + " " + shown(task.name)


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
        lines.append(f"{made.task_id} {shown(made.name)}: {shown(made.what)}")
    lines += [f"{t.id} {shown(t.name)}: next occurrence" for t in getattr(result, "next", ())]
    return lines


def write_change(result: object, environ: Mapping[str, str]) -> bool:
    """Print `result` if change_lines knows it; whether it did."""
    lines = change_lines(result, colour_wanted(sys.stdout, environ))
    if lines is None:
        return False
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
    return True
