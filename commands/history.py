"""The history commands: `log` (the file's steps, newest first) and `history ID` (one task's)."""

from __future__ import annotations

import argparse
from typing import Any

from msgspec import Struct

from commands.registry import Context, arg, command, task_id
from commands.results import JsonOutput
from core.errors import UsageError
from core.storage.history import Entry
from core.timeline import Step, TaskChange, steps, versions_of


class LogView(Struct, frozen=True):
    """Steps of the history, newest first, and how many were left out."""

    steps: list[Step]
    more: int
    problem: str | None = None  # the history could not be read as a whole


class TaskHistory(Struct, frozen=True):
    """Every version of one task: each step that touched it, oldest first."""

    task_id: int
    name: str
    versions: list[tuple[Entry, TaskChange]]


@command(
    "log",
    "the file's change history, newest first: step, when, who, what changed",
    arg("-n", "--limit", type=int, default=20, metavar="N", help="how many steps (default 20)"),
    arg("--json", action="store_true", help="every step as JSON, tasks named by uuid and id"),
    arg("filter", nargs="*", metavar="FILTER", help="only steps that touched matching tasks"),
)
def log(ctx: Context, args: argparse.Namespace) -> Any:
    read = ctx.state.files.history.read()
    shown = steps(read.entries)
    if args.filter:
        shown = [s for s in shown if _touches(ctx, s, args.filter)]
    if args.json:
        return JsonOutput([_step_json(s) for s in shown[: args.limit]])
    return LogView(shown[: max(args.limit, 0)], max(len(shown) - args.limit, 0), read.problem)


@command(
    "history",
    "every version of one task: who changed which field when, from what to what",
    arg("id", type=task_id, metavar="ID", help="a task id"),
)
def history(ctx: Context, args: argparse.Namespace) -> Any:
    uuid, name = _task_uuid(ctx, args.id)
    versions = versions_of(ctx.state.files.history.read().entries, uuid)
    return TaskHistory(args.id, name, versions)


def _task_uuid(ctx: Context, task_id: int) -> tuple[str, str]:
    """The uuid of task ID, also when it was deleted (the history still knows it)."""
    for task in ctx.state.tasks:
        if task.id == task_id:
            return task.uuid, task.name
    for entry in reversed(ctx.state.files.history.read().entries):
        for uuid, before, after in entry.edits:
            rec = after or before or {}
            if rec.get("id") == task_id:
                return uuid, str(rec.get("name", ""))
    raise UsageError(f"no task {task_id}, now or in the history")


def _touches(ctx: Context, step: Step, words: list[str]) -> bool:
    from core.model import InvalidRecord, Task
    from core.query import QueryContext, QueryError, parse_query

    try:
        query = parse_query(words, ctx.now()).with_default("all")
    except QueryError as e:
        raise UsageError(str(e)) from None
    qctx = QueryContext.of(ctx.state.tasks, ctx.now())
    for _, before, after in step.entry.edits:
        for rec in (before, after):
            try:
                if rec is not None and query.matches(Task.from_record(rec), qctx):
                    return True
            except InvalidRecord:
                continue
    return False


def _step_json(step: Step) -> dict[str, Any]:
    e = step.entry
    return {
        "step": e.step,
        "at": e.at,
        **e.who,
        "label": e.label,
        "undone": step.undone,
        **({"undoes": e.undoes} if e.undoes else {}),
        **({"redoes": e.redoes} if e.redoes else {}),
        "tasks": [
            {
                "uuid": t.uuid,
                "id": t.task_id,
                "change": t.kind,
                "fields": {f.field: {"from": f.before, "to": f.after} for f in t.fields},
            }
            for t in step.tasks
        ],
    }
