"""What both task tables share: ui/render/tasks.py draws them with Rich (the REPL, the batch),
ui/plain.py writes them as plain lines (the one-shot `list`, `next`, `search`).

One place for each rule (issue 13): the columns the rows need and their cells, the markers and
their legend, the due cell (`Fri 12-04 · in 3 days`), the widths that give the name the room,
the line said instead of an empty table, the summary, and the command that shows the rest.
No Rich here: the one-shot path imports it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from itertools import pairwise

from msgspec import Struct

from commands.results import TaskTable
from commands.words import WEEKDAY_LABELS
from core.model import Task
from core.vocabulary import clean_text

# Markers of a row's state, in the order shown; the column and the legend appear only when a
# row has one. One cell wide each, in fonts without emoji too.
# `done` is a marker only where a narrow table folds the status column into this one.
MARKERS = {"active": "▶", "blocked": "⊘", "waiting": "◷", "recurring": "↻", "done": "✓"}
STATES = ("active", "blocked", "waiting", "recurring")
TITLES = {
    "id": "id", "pri": "pri", "marks": "", "status": "status", "urg": "urg", "due": "due",
    "project": "project", "tags": "tags", "name": "name",
}  # fmt: skip
RIGHT = frozenset({"id", "urg"})
# Project and tags take what they need up to these widths, and are the first to give way to the
# name: below FLEX_MIN cells each they move into the name's cell, after the name.
CAPS = {"project": 16, "tags": 24}
FLEX_MIN = 8
EVERY = "--every"  # the option of list, next and search that lifts the screenful limit


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


def one_line(text: str) -> str:
    """User text on one line: control characters removed, new lines and tabs as spaces."""
    if text.isprintable():  # nothing to remove or replace: the common case, in C
        return text
    return clean_text(text).replace("\n", " ⏎ ").replace("\t", " ")


def widest(title: str, cells: Sequence[str]) -> int:
    """The cells a column needs: its widest cell or its title."""
    most = max(map(len, cells), default=0)
    if not "".join(cells).isascii():  # `·` in every due: each distinct cell measured once
        most = max(map(width_of, set(cells)))
    return max(most, width_of(title))


# --- markers, due dates, status ---


def states(task: Task, now: datetime, blocked: Collection[str]) -> list[str]:
    """Which MARKERS a task shows: active, blocked, waiting, recurring."""
    if not (task.is_active or task.is_recurring or task.wait or task.uuid in blocked):
        return []  # the common case, without building the table below
    found = {
        "active": task.is_active,
        "blocked": task.pending and task.uuid in blocked,
        "waiting": task.is_waiting(now),
        "recurring": task.is_recurring,
    }
    return [name for name in STATES if found[name]]


def legend(names: Collection[str]) -> str:
    """`▶ active · ↻ recurring`: the markers shown, explained."""
    return " · ".join(f"{MARKERS[n]} {n}" for n in MARKERS if n in names)


class DueCell(Struct, frozen=True):
    long: str  # `Fri 12-04 · in 3 days`, `Fri 12-04 18:00 · tomorrow`, `Mon 2027-03-01`
    short: str  # `Fri 12-04`, `12-04 18:00`, `2027-03-01`: for a narrow table
    overdue: bool


@lru_cache(maxsize=4096)  # a list has few distinct dues; a row's cell is then a look-up
def due_cell(value: str, now: datetime) -> DueCell:
    """A stored due as the task table and the form's preview show it: weekday and date (the
    year only when it is not this year's, the time when it has one), then the relative words
    (a far date: none, or `past`)."""
    from core.dates import due_parts, wall_clock  # not on a one-shot add's path

    parts = due_parts(value, now)
    day, at = parts.day, "" if parts.at is None else f" {parts.at:%H:%M}"
    this_year = day.year == wall_clock(now).year
    when = f"{day:%m-%d}" if this_year else day.isoformat()
    text = f"{WEEKDAY_LABELS[day.weekday()]} {when}{at}"
    relative = parts.relative
    if relative == day.isoformat():  # describe_due's words for a far date: the date itself
        relative = "past" if parts.overdue else ""
    # Short, at most 11 cells: the weekday gives way to a time or a year.
    short = f"{when}{at}" if at or not this_year else text
    return DueCell(f"{text} · {relative}" if relative else text, short, parts.overdue)


def mixed_status(tasks: Sequence[Task]) -> bool:
    """The status column is shown only when the rows have more than one status."""
    return any(t.done for t in tasks) and not all(t.done for t in tasks)


# --- the columns and their widths ---


class Columns(Struct, frozen=True):
    """The columns some row needs (markers, status, urgency, due, project, tags only then), by
    key, one cell per row; the name always."""

    cells: dict[str, list[str]]
    dues: list[DueCell | None]
    late: list[bool]  # overdue and not done: red
    states: frozenset[str]  # the markers shown, for the legend


def columns_of(
    tasks: Sequence[Task],
    now: datetime,
    blocked: Collection[str] = frozenset(),
    urgency: Mapping[str, float] | None = None,
) -> Columns:
    """The cells of `tasks`, a column at a time (one pass each: 100k rows for a pipe)."""
    cells = {"id": [str(t.id) for t in tasks], "pri": [f"P{t.priority}" for t in tasks]}
    found = [states(t, now, blocked) for t in tasks]
    if any(found):
        cells["marks"] = ["".join(MARKERS[n] for n in names) for names in found]
    if mixed_status(tasks):
        cells["status"] = ["done" if t.done else "pending" for t in tasks]
    if urgency is not None:
        cells["urg"] = [f"{urgency.get(t.uuid, 0.0):.1f}" for t in tasks]
    dues = [None if t.due is None else due_cell(t.due, now) for t in tasks]
    if any(dues):
        cells["due"] = ["" if d is None else d.long for d in dues]
    if any(t.project for t in tasks):
        cells["project"] = [one_line(t.project or "") for t in tasks]
    if any(t.tags for t in tasks):
        cells["tags"] = [one_line(" ".join(["#" + tag for tag in t.tags])) for t in tasks]
    cells["name"] = [one_line(t.name) for t in tasks]
    late = [d is not None and d.overdue and not t.done for d, t in zip(dues, tasks, strict=True)]
    return Columns(cells, dues, late, frozenset(n for names in found for n in names))


class Layout(Struct, frozen=True):
    """The width of each column drawn, by key, and how the table was made to fit (`step`: how
    many of STEPS it took, 0 when every column kept its form)."""

    widths: dict[str, int]
    step: int = 0
    short_due: bool = False  # the due cells without their relative words
    inline: bool = False  # project and tags in the name's cell, after the name, not columns
    folded: bool = False  # the status column as a `✓` in the markers' column

    def markers(self, columns: Columns) -> frozenset[str]:
        """The markers these rows show, for the legend."""
        done = self.folded and "done" in columns.cells.get("status", ())
        return columns.states | {"done"} if done else columns.states


# What gives way, in turn, to keep the name its room: (short due, inline, folded). Before them,
# project and tags are narrowed (to FLEX_MIN).
STEPS = ((False, False, False), (False, True, False), (True, True, False), (True, True, True))


def natural(columns: Columns) -> dict[str, int]:
    """Every column at the width of its widest cell: nothing cut (a pipe)."""
    return {key: widest(TITLES[key], cells) for key, cells in columns.cells.items()}


def plan(columns: Columns, width: int, gap: int, edge: int = 0) -> Layout:
    """Widths for a table of `width` cells with `gap` cells between columns and `edge` around.

    The name gets the room: the other columns take what they need, and the name keeps at least
    half the width (or all it needs), the other columns giving way as STEPS says; if even the
    last step leaves it less, it gets what is left.
    """
    want = natural(columns)
    floor = min(want["name"], width // 2)
    for step, (short, inline, folded) in enumerate(STEPS):
        widths = dict(want)
        if short and "due" in widths:
            widths["due"] = widest("due", [d.short for d in columns.dues if d is not None])
        if inline:
            widths = {k: w for k, w in widths.items() if k not in CAPS}
            widths["name"] = widest("name", [f"{n} {x}" if x else n for n, x in _named(columns)])
        if folded and "status" in widths:
            del widths["status"]
            widths["marks"] = widest("", _folded_marks(columns))
        flex = [k for k in CAPS if k in widths]
        fixed = sum(w for k, w in widths.items() if k not in flex and k != "name")
        room = width - edge - gap * (len(widths) - 1) - fixed
        for key in flex:
            widths[key] = min(widths[key], CAPS[key])
        if _narrowed(widths, flex, room - floor) or step == len(STEPS) - 1:
            widths["name"] = max(3, min(widths["name"], room - sum(widths[k] for k in flex)))
            return Layout(widths, step, short, inline, folded)
    raise AssertionError("the last step always returns")


def _narrowed(widths: dict[str, int], flex: Sequence[str], room: int) -> bool:
    """Narrow the widest of `flex` until they fit `room`, none below FLEX_MIN; whether they do."""
    while sum(widths[k] for k in flex) > room:
        if not flex:
            return False
        key = max(flex, key=lambda k: widths[k])
        if widths[key] <= FLEX_MIN:
            return False
        widths[key] -= 1
    return True


def _named(columns: Columns) -> list[tuple[str, str]]:
    """Each row's name with its project and tags, as the name's cell shows them after it."""
    parts = [columns.cells[k] for k in CAPS if k in columns.cells]
    if not parts:
        return [(name, "") for name in columns.cells["name"]]
    rows = zip(columns.cells["name"], *parts, strict=True)
    return [(name, " ".join(p for p in rest if p)) for name, *rest in rows]


def _folded_marks(columns: Columns) -> list[str]:
    marks = columns.cells.get("marks") or ["" for _ in columns.cells["name"]]
    done = columns.cells["status"]
    return [m + MARKERS["done"] if s == "done" else m for m, s in zip(marks, done, strict=True)]


def fit(columns: Columns, layout: Layout) -> dict[str, list[str]]:
    """The cells cut to the layout (`…`); when inline, `extras` holds what follows each name."""
    cells = {}
    for key, width in layout.widths.items():
        if key == "due" and layout.short_due:
            source = ["" if d is None else d.short for d in columns.dues]
        elif key == "marks" and layout.folded and "status" in columns.cells:
            source = _folded_marks(columns)
        else:
            source = columns.cells[key]
        cells[key] = [cut(cell, width) for cell in source]
    if layout.inline:
        room = layout.widths["name"]
        pairs = [fit_name(n, x, room) for n, x in _named(columns)]
        cells["name"], cells["extras"] = [p[0] for p in pairs], [p[1] for p in pairs]
    return cells


def fit_name(name: str, extras: str, width: int) -> tuple[str, str]:
    """A name and what follows it (` home #errands`) in `width` cells: the name is cut last.

    One `…` says something is hidden: when no cell is left for what follows, the name ends in
    it (cut by a cell if it fits), never `name… …`.
    """
    shown = cut(name, width)
    room = width - width_of(shown) - 1
    if not extras or room >= 1:
        return shown, (" " + cut(extras, room) if extras else "")
    return (shown if shown != name else cut(name, max(width_of(name) - 1, 1))), ""


# --- the lines around the table ---


def command_words(table: TaskTable) -> list[str]:
    """The command that lists these rows again: `list +home --sort due`."""
    if table.again:
        return list(table.again)
    words = table.title.split()
    return ["list", *words[1:]] if words[:1] == ["tasks"] or not words else words


def rest_command(table: TaskTable, prefix: str = "") -> str:
    """`list +home --every`: every one of these rows (`--all` would add done tasks)."""
    import shlex

    return prefix + " ".join(shlex.quote(w) for w in [*command_words(table), EVERY])


def more_line(table: TaskTable, shown: int, prefix: str = "") -> str:
    return f"… {len(table.tasks) - shown} more: {rest_command(table, prefix)} shows them all"


def summary_line(table: TaskTable, shown: int, markers: Collection[str]) -> str:
    """`5 of 30 shown · 30 pending · 2 done · ▶ active`."""
    total = len(table.tasks)
    count = f"{shown} of {total}" if shown < total else f"{total}"
    summary = f"{count} shown · {table.total_pending} pending · {table.total_done} done"
    if table.context:
        summary += f" · context {table.context}"
    explained = legend(markers)
    return f"{summary} · {explained}" if explained else summary


def _options_said(table: TaskTable) -> list[str]:
    """`--tag x` / `--priority 1` of the command: what it matched on, when no filter word did."""
    words = command_words(table)[1:]
    return [f"{w} {value}" for w, value in pairwise(words) if w in ("--tag", "--priority")]


def nothing_listed(table: TaskTable, prefix: str = "") -> str:
    """One line instead of an empty table; `prefix` is `tasksafe ` for the one-shot CLI."""
    if table.total_pending + table.total_done == 0:
        return f"no tasks yet — add one with: {prefix}add NAME"
    words = table.title.split()[1:] or _options_said(table)
    within = f" in context {table.context}" if table.context else ""
    if words:
        return f"no tasks match {' '.join(words)}{within}"
    if within:
        return f"no tasks{within} (`context none` in the REPL, or TASKS_CONTEXT=, shows every task)"
    if command_words(table)[0] == "next" and table.total_pending:
        return "no task is ready now: the pending ones are blocked, waiting or scheduled later"
    if table.total_pending == 0:
        return f"no pending tasks ({prefix}list --all shows the done ones)"
    return f"no tasks to show ({prefix}list --all includes done and waiting tasks)"
