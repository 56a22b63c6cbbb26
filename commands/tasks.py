"""The task commands of one task at a time: add, subtask, list, next, show, edit, undone, start,
stop, annotate, denotate. Those taking a filter (done, delete, modify) are in commands/bulk.py."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from msgspec.structs import replace

from commands import filters
from commands.filters import SORT_ORDERS
from commands.options import EVERY
from commands.registry import Context, arg, command, flatten_ids, parse_ids, task_id
from commands.results import (
    Annotated,
    EntryAdded,
    JsonOutput,
    Message,
    StatusChanged,
    TaskDetail,
    TaskEdited,
    TasksAdded,
    TaskTable,
)
from commands.words import add_fields, entry_parts, option_tags, read_entry
from core.errors import ConflictError, InvalidValueError, UsageError
from core.model import Task
from core.urgency import dependency_states
from core.vocabulary import Taken, parse_priority, same_tag


def priority(text: str) -> int:
    """argparse type: a priority as core.vocabulary reads it (2, p1, !3, urgent, low).

    A wrong priority is an invalid value (exit 1), not a usage error: InvalidValueError is not
    one of the exceptions argparse turns into a usage message.
    """
    try:
        return parse_priority(text)
    except ValueError as e:
        raise InvalidValueError(str(e)) from None


def due_value(text: str, now: datetime) -> str | None:
    """What the user typed after --due, as a stored due (`none` or empty clears it)."""
    if text.strip().lower() in ("", "none", "-"):
        return None
    from core.dates import parse_due

    try:
        return parse_due(text, now)
    except ValueError as e:
        raise InvalidValueError(str(e)) from None


def known_tags(ctx: Context) -> list[str]:
    return sorted({tag for t in ctx.state.tasks for tag in t.tags})


# Another window may change the task again while the user decides; ask at most this often.
_CONFLICT_ROUNDS = 3
JSON = arg("--json", action="store_true", help="print the records exactly as stored, as JSON")
IDS = arg("ids", nargs="+", type=parse_ids, metavar="ID", help="task ids or ranges: 3 5-7")
# What `add` and `subtask` take beside NAME: both read it through add_from_words.
ENTRY_OPTIONS = (
    arg(
        "-p",
        "--priority",
        type=priority,
        help="1 high, 2 normal (default), 3 low; also p1, !1, urgent",
    ),
    arg("-t", "--tag", action="append", default=[], dest="tags", help="a tag (a,b: two); repeat"),
    arg("--due", help="a date: 2026-12-01, tomorrow, fri, in 3 days, eom"),
    arg("-d", "--description", default="", help="a longer description"),
    arg("-c", "--comment", default="", help="a comment"),
    arg("--raw", action="store_true", help="keep NAME exactly as typed: no attribute words"),
)


@command(
    "add",
    "add a task: add pay rent due:1st recur:monthly project:home p1 (no NAME in the REPL: a form)",
    arg("name", nargs="*", metavar="NAME", help="what to do, with attribute words: `help words`"),
    *ENTRY_OPTIONS,
)
def add(ctx: Context, args: argparse.Namespace) -> Any:
    if not args.name:
        return _add_with_form(ctx)
    return add_from_words(ctx, args, args.name)


def add_from_words(
    ctx: Context, args: argparse.Namespace, words: Sequence[str], parent: int | None = None
) -> EntryAdded:
    """Add one task from its words and the options; an option beats a word for the same field.

    The options are read as the last attribute words (`--due fri` is `due:fri` at the end), so
    the last one wins, as with a repeated word, and a due given with --due leaves a date phrase
    at the end of the name in the name.
    """
    now = ctx.now()
    options = _option_words(args, now) + ([f"parent:{parent}"] if parent is not None else [])
    if args.raw:
        entry = replace(read_entry(options, now, "modify"), name=" ".join(words))
    else:
        entry = read_entry([*words, *options], now)
    tags = option_tags(args.tags)
    fields = add_fields(entry, tags, args.description, args.comment)
    extra = tuple(
        Taken("tags_add", t, t) for t in tags if not any(same_tag(t, x) for x in entry.tags_add)
    )
    parts = entry_parts(replace(entry, taken=entry.taken + extra), now)
    task = ctx.state.add_task(**fields)
    return EntryAdded([task], parts, entry.hints, _notes(ctx, task, parts, entry.hints))


def _option_words(args: argparse.Namespace, now: datetime) -> list[str]:
    words = [f"pri:{args.priority}"] if args.priority is not None else []
    due = due_value(args.due, now) if args.due else None
    return words + ([f"due:{due}"] if due else [])


def _notes(ctx: Context, task: Task, parts: Sequence[str], hints: Sequence[str]) -> tuple[str, ...]:
    """What the one-shot CLI says on stderr: the hints, and on a terminal what was read."""
    if ctx.interactive:
        return ()  # the REPL's renderer says it all
    said = (f"added {task.id} {task.name} · " + " · ".join(parts),) if parts else ()
    return (*said, *hints) if sys.stderr.isatty() else tuple(hints)


def _add_with_form(ctx: Context) -> Any:
    if ctx.forms is None:
        raise UsageError("add: a task needs a NAME")
    fields = ctx.forms.task_form(None, known_tags(ctx))
    if fields is None:
        return Message("cancelled; nothing was saved")
    return TasksAdded([ctx.state.add_task(**fields)])


@command(
    "subtask",
    "add a subtask: subtask 3 buy nails p1 (as add NAME parent:3)",
    arg("parent", type=task_id, metavar="ID", help="the task it is a part of"),
    arg("name", nargs="+", metavar="NAME", help="what to do, with attribute words"),
    *ENTRY_OPTIONS,
)
def subtask(ctx: Context, args: argparse.Namespace) -> Any:
    return add_from_words(ctx, args, args.name, parent=args.parent)


@command(
    "list",
    "list tasks: list project:home or +urgent, list waiting, list blocked (pending unless --all)",
    arg(
        "filters",
        nargs="*",
        metavar="FILTER",
        help="+tag -tag project:X p1 due:today overdue waiting blocked ready, and/or/not (...)",
    ),
    arg("-a", "--all", action="store_true", help="include done and waiting tasks; every row"),
    arg("--tag", help="only tasks with this tag"),
    arg("--priority", type=priority, help="only tasks of this priority"),
    arg("--sort", choices=SORT_ORDERS, default="priority", help="the order (default: priority)"),
    EVERY,
    JSON,
    aliases=("ls",),
    dash_words=True,
)
def list_tasks(ctx: Context, args: argparse.Namespace) -> Any:
    everything, now = ctx.state.tasks, ctx.now()
    words = filters.in_context(args.filters, ctx.environ, now)
    chosen = filters.select(everything, words, now, args.all, args.tag, args.priority)
    chosen = filters.sort_tasks(chosen, args.sort, now, everything)
    if args.json:
        return JsonOutput([t.raw for t in chosen])
    title = " ".join(["tasks", *args.filters])
    scores = filters.urgencies(everything, now) if args.sort == "urgency" else None
    again = ["list", *args.filters]
    again += ["--tag", args.tag] if args.tag else []
    again += ["--priority", str(args.priority)] if args.priority is not None else []
    again += ["--sort", args.sort] if args.sort != "priority" else []
    everyone = args.all or args.every
    return task_table(ctx, chosen, title, everyone, scores, tuple(again))


@command(
    "next",
    "what to do next: ready tasks (not waiting, blocked or scheduled later), most urgent first",
    arg("filters", nargs="*", metavar="FILTER", help="narrow them: project:home +work"),
    EVERY,
    JSON,
    dash_words=True,
)
def next_tasks(ctx: Context, args: argparse.Namespace) -> Any:
    everything, now = ctx.state.tasks, ctx.now()
    query = filters.read_filter(filters.in_context(args.filters, ctx.environ, now), now)
    blocked = dependency_states(everything).blocked
    ready = [t for t in query.select(everything, now) if t.is_ready(now, blocked=t.uuid in blocked)]
    chosen = filters.sort_tasks(ready, "urgency", now, everything)
    if args.json:
        return JsonOutput([t.raw for t in chosen])
    title = " ".join(["next", *args.filters])
    scores = filters.urgencies(everything, now)
    return task_table(ctx, chosen, title, args.every, scores, ("next", *args.filters))


def task_table(
    ctx: Context,
    chosen: list[Task],
    title: str,
    show_all: bool = False,
    urgency: dict[str, float] | None = None,
    again: tuple[str, ...] = (),
) -> TaskTable:
    """The rows of a view (list, next) within the context in effect, which the table names."""
    everything = ctx.state.tasks
    done = sum(t.done for t in everything)
    blocked = dependency_states(everything).blocked
    context = " ".join(filters.context_of(ctx.environ))
    return TaskTable(
        chosen, title, len(everything) - done, done, show_all, blocked, urgency, ctx.now(), again,
        context,
    )  # fmt: skip


@command(
    "show",
    "show one task in full: notes, dependencies, subtasks, recurrence",
    arg("id", type=task_id, metavar="ID"),
    JSON,
)
def show(ctx: Context, args: argparse.Namespace) -> Any:
    task = ctx.state.get(args.id)
    if args.json:
        return JsonOutput(task.raw)
    return task_detail(ctx, task)


def task_detail(ctx: Context, task: Task) -> TaskDetail:
    everything, now = ctx.state.tasks, ctx.now()
    deps = dependency_states(everything)
    waits_for = [t for u in task.depends if (t := ctx.state.by_uuid(u)) is not None]
    return TaskDetail(
        task,
        depends=tuple(waits_for),
        needed_by=tuple(t for t in everything if task.uuid in t.depends),
        parent=ctx.state.by_uuid(task.parent) if task.parent else None,
        subtasks=tuple(ctx.state.subtasks_of(task)),
        next_due=_next_due(task, everything),
        blocked=task.uuid in deps.blocked,
        urgency=deps.urgency(task, now) if task.pending else None,
        now=now,
    )


def _next_due(task: Task, everything: Sequence[Task]) -> str | None:
    """The due the next occurrence gets when the task is done (from the series' first due)."""
    if task.recur is None or task.due is None or not task.pending:
        return None
    from core.recurrence import next_due

    dues = [t.due for t in everything if t.series == task.series and t.due] if task.series else []
    anchor = min([*dues, task.due], key=lambda d: d if len(d) > 10 else d + "T00:00")
    try:
        return next_due(task.due, task.recur, task.until, anchor=anchor)
    except ValueError:
        return None


@command(
    "edit",
    "change a task's fields (with only an ID in the REPL: a form); many at once: modify",
    arg("id", type=task_id, metavar="ID"),
    arg("--name", help="a new name"),
    arg("-p", "--priority", type=priority, help="1 high, 2 normal, 3 low"),
    arg("--due", help="a new due date; `none` clears it"),
    arg("-d", "--description", help="a new description"),
    arg("-c", "--comment", help="a new comment"),
    arg("--project", help="a project: home.garden; `none` clears it"),
    arg("-t", "--add-tag", action="append", default=[], metavar="TAG", help="add a tag (a,b: two)"),
    arg("-T", "--remove-tag", action="append", default=[], metavar="TAG", help="remove a tag"),
    arg("--depends", type=parse_ids, metavar="IDS", help="wait for these tasks: 3,5 (replaces)"),
    arg("--no-depends", action="store_true", help="wait for no task"),
)
def edit(ctx: Context, args: argparse.Namespace) -> Any:
    fields: dict[str, Any] = {
        k: getattr(args, k)
        for k in ("name", "priority", "description", "comment")
        if getattr(args, k) is not None
    }
    if args.due is not None:
        fields["due"] = due_value(args.due, ctx.now())
    if args.project is not None:
        fields["project"] = None if args.project.lower() in ("", "none", "-") else args.project
    if args.depends is not None or args.no_depends:
        fields["depends"] = [] if args.no_depends else args.depends
    add_tags, remove_tags = option_tags(args.add_tag), option_tags(args.remove_tag)
    if not fields and not add_tags and not remove_tags:
        return _edit_with_form(ctx, args.id)
    task = ctx.state.update_task(args.id, add_tags=add_tags, remove_tags=remove_tags, **fields)
    return TaskEdited(task)


def _edit_with_form(ctx: Context, task_id: int) -> Any:
    if ctx.forms is None:
        raise UsageError("edit: say what to change, e.g. --name, -p, --due, --add-tag")
    task = ctx.state.get(task_id)
    opened = {
        k: getattr(task, k) for k in ("name", "priority", "tags", "due", "description", "comment")
    }
    fields = ctx.forms.task_form(dict(opened), known_tags(ctx))
    if fields is None:
        return Message("cancelled; nothing was saved")
    mine = {k: v for k, v in fields.items() if opened.get(k) != v}
    if not mine:
        return Message("nothing changed")
    return _save_edit(ctx, task_id, mine, {k: opened[k] for k in mine})


def _save_edit(ctx: Context, task_id: int, mine: dict[str, Any], expect: dict[str, Any]) -> Any:
    """Save the form's changes; a field another window changed meanwhile is the user's call."""
    for _ in range(_CONFLICT_ROUNDS - 1):
        try:
            return TaskEdited(ctx.state.update_task(task_id, expect=expect, **mine))
        except ConflictError as e:
            resolved = _resolve_conflict(ctx, task_id, mine, expect, e.theirs)
        if isinstance(resolved, Message):
            return resolved
        mine, expect = resolved
    return TaskEdited(ctx.state.update_task(task_id, expect=expect, **mine))


def _resolve_conflict(
    ctx: Context, task_id: int, mine: dict[str, Any], expect: dict[str, Any], theirs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]] | Message:
    """Ask which value wins where both windows changed a field; return what to write and expect."""
    assert ctx.forms is not None
    asked = {k: mine[k] for k in theirs}
    chosen = ctx.forms.resolve_conflict(ctx.state.get(task_id), asked, dict(theirs))
    if chosen is None:
        return Message("cancelled; nothing was saved")
    # Their value is what is on disk now; a field where the user kept theirs is not written.
    wanted = {k: chosen.get(k, v) for k, v in mine.items()}
    mine = {k: v for k, v in wanted.items() if k not in theirs or v != theirs[k]}
    if not mine:
        return Message(f"kept the other window's version of task {task_id}; nothing to save")
    return mine, {k: theirs.get(k, expect[k]) for k in mine}


@command("undone", "mark done tasks pending again", IDS, aliases=("reopen",))
def undone(ctx: Context, args: argparse.Namespace) -> Any:
    return StatusChanged(ctx.state.set_status(flatten_ids(args.ids), "pending"), "pending")


@command("start", "mark tasks active (started now): start 3", IDS)
def start(ctx: Context, args: argparse.Namespace) -> Any:
    return StatusChanged(ctx.state.start(flatten_ids(args.ids)), "started")


@command("stop", "end tasks' active time: stop 3", IDS)
def stop(ctx: Context, args: argparse.Namespace) -> Any:
    return StatusChanged(ctx.state.stop(flatten_ids(args.ids)), "stopped")


@command(
    "annotate",
    "add a dated note to a task: annotate 3 called, left a message",
    arg("id", type=task_id, metavar="ID"),
    arg("text", nargs="+", metavar="TEXT", help="the note"),
    aliases=("note",),
)
def annotate(ctx: Context, args: argparse.Namespace) -> Any:
    text = " ".join(args.text)
    return Annotated(ctx.state.annotate(args.id, text), text)


@command(
    "denotate",
    "remove a note from a task: by its number in `show` (1 the oldest) or its text",
    arg("id", type=task_id, metavar="ID"),
    arg("which", nargs="+", metavar="N|TEXT", help="the note's number, or its text or its start"),
)
def denotate(ctx: Context, args: argparse.Namespace) -> Any:
    text = " ".join(args.which)
    which: int | str = int(text) if text.isdigit() else text
    task, note = ctx.state.denotate(args.id, which)
    return Annotated(task, note.text, removed=True)
