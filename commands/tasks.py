"""The task commands: add, list, show, edit, done, undone, delete."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from commands import filters
from commands.registry import Context, arg, command, flatten_ids, parse_ids, task_id
from commands.results import (
    JsonOutput,
    Message,
    StatusChanged,
    TaskDetail,
    TaskEdited,
    TasksAdded,
    TasksDeleted,
    TaskTable,
)
from core.errors import ConflictError, InvalidValueError, UsageError
from core.vocabulary import DEFAULT_PRIORITY, parse_priority


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


@command(
    "add",
    "add a task (with no name in the REPL: a form)",
    arg("name", nargs="*", metavar="NAME", help="what to do"),
    arg(
        "-p",
        "--priority",
        type=priority,
        default=DEFAULT_PRIORITY,
        help="1 high, 2 normal (default), 3 low; also p1, !1, urgent",
    ),
    arg("-t", "--tag", action="append", default=[], dest="tags", help="a tag; repeat for more"),
    arg("--due", help="a date: 2026-12-01, tomorrow, fri, in 3 days"),
    arg("-d", "--description", default="", help="a longer description"),
    arg("-c", "--comment", default="", help="a comment"),
)
def add(ctx: Context, args: argparse.Namespace) -> Any:
    if not args.name:
        return _add_with_form(ctx)
    fields = dict(
        name=" ".join(args.name),
        priority=args.priority,
        tags=args.tags,
        due=due_value(args.due, ctx.now()) if args.due else None,
        description=args.description,
        comment=args.comment,
    )
    return TasksAdded([ctx.state.add_task(**fields)])


def _add_with_form(ctx: Context) -> Any:
    if ctx.forms is None:
        raise UsageError("add: a task needs a NAME")
    fields = ctx.forms.task_form(None, known_tags(ctx))
    if fields is None:
        return Message("cancelled; nothing was saved")
    return TasksAdded([ctx.state.add_task(**fields)])


@command(
    "list",
    "list tasks: pending unless --all; filters #tag p1 done overdue due:today",
    arg(
        "filters",
        nargs="*",
        metavar="FILTER",
        help="#tag, p1-p3, done, pending, all, overdue, due:today, due:week",
    ),
    arg("-a", "--all", action="store_true", help="include done tasks and show every row"),
    arg("--tag", help="only tasks with this tag"),
    arg("--priority", type=priority, help="only tasks of this priority"),
    JSON,
    aliases=("ls",),
)
def list_tasks(ctx: Context, args: argparse.Namespace) -> Any:
    everything = ctx.state.tasks
    chosen = filters.select(everything, args.filters, ctx.now(), args.all, args.tag, args.priority)
    if args.json:
        return JsonOutput([t.raw for t in chosen])
    done = sum(t.done for t in everything)
    title = " ".join(["tasks", *args.filters]) if args.filters else "tasks"
    return TaskTable(chosen, title, len(everything) - done, done, show_all=args.all)


@command("show", "show one task in full", arg("id", type=task_id, metavar="ID"), JSON)
def show(ctx: Context, args: argparse.Namespace) -> Any:
    task = ctx.state.get(args.id)
    return JsonOutput(task.raw) if args.json else TaskDetail(task)


@command(
    "edit",
    "change a task's fields (with only an ID in the REPL: a form)",
    arg("id", type=task_id, metavar="ID"),
    arg("--name", help="a new name"),
    arg("-p", "--priority", type=priority, help="1 high, 2 normal, 3 low"),
    arg("--due", help="a new due date; `none` clears it"),
    arg("-d", "--description", help="a new description"),
    arg("-c", "--comment", help="a new comment"),
    arg("--add-tag", action="append", default=[], metavar="TAG", help="add a tag; repeat for more"),
    arg("--remove-tag", action="append", default=[], metavar="TAG", help="remove a tag"),
)
def edit(ctx: Context, args: argparse.Namespace) -> Any:
    fields: dict[str, Any] = {
        k: getattr(args, k)
        for k in ("name", "priority", "description", "comment")
        if getattr(args, k) is not None
    }
    if args.due is not None:
        fields["due"] = due_value(args.due, ctx.now())
    if not fields and not args.add_tag and not args.remove_tag:
        return _edit_with_form(ctx, args.id)
    task = ctx.state.update_task(
        args.id, add_tags=args.add_tag, remove_tags=args.remove_tag, **fields
    )
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


@command("done", "mark tasks done: done 3 5-7", IDS)
def done(ctx: Context, args: argparse.Namespace) -> Any:
    return StatusChanged(ctx.state.set_status(flatten_ids(args.ids), "done"), "done")


@command("undone", "mark done tasks pending again", IDS, aliases=("reopen",))
def undone(ctx: Context, args: argparse.Namespace) -> Any:
    return StatusChanged(ctx.state.set_status(flatten_ids(args.ids), "pending"), "pending")


@command(
    "delete",
    "delete tasks (asks first; --yes when not on a terminal)",
    IDS,
    arg("-y", "--yes", action="store_true", help="do not ask"),
    aliases=("rm",),
)
def delete(ctx: Context, args: argparse.Namespace) -> Any:
    ids = flatten_ids(args.ids)
    doomed = [ctx.state.get(i) for i in ids]
    if not args.yes and not ctx.confirm(f"delete {len(doomed)} task(s)?", doomed):
        return Message("nothing was deleted")
    return TasksDeleted(ctx.state.delete_many(ids))
