"""The commands that take a filter: done, delete, modify (`done 3 5-7`, `done milk`,
`modify project:home -- +garden p3 due:sat`).

Ids name tasks exactly; any other filter matches pending tasks (waiting ones too). When a filter
matches more than one task, the REPL shows them and asks, and off a terminal `--yes` is needed.
Each command is one transaction and one undo step.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from commands import filters
from commands.registry import Context, arg, command
from commands.results import Message, StatusChanged, TasksDeleted, TasksModified
from commands.words import entry_parts, modification, read_entry
from core.edits import OpenSubtasksError
from core.errors import InvalidValueError, UsageError
from core.model import Task

YES = arg("-y", "--yes", action="store_true", help="do not ask (needed off a terminal)")
FILTER = arg("filters", nargs="+", metavar="FILTER", help="ids (3 5-7) or a filter: +tag milk")
_NAMED = 5  # tasks named in a question; the REPL shows them all in a table above it


def chosen(ctx: Context, words: Sequence[str], verb: str, yes: bool) -> list[Task] | None:
    """The tasks `words` name; None when the user said no to acting on several of them."""
    found = targets(ctx, words)
    if not found.tasks:
        raise InvalidValueError(f"no pending task matches {' '.join(words)!r:.60}")
    if found.by_id or len(found.tasks) == 1 or yes:
        return found.tasks
    return found.tasks if ctx.confirm(question(verb, found.tasks), found.tasks) else None


def targets(ctx: Context, words: Sequence[str]) -> filters.Targets:
    """What `words` name. Ids alone check only their tasks' records (`done 5` at 100k tasks)."""
    now = ctx.now()
    query = filters.read_filter(words, now)
    pool = ctx.state.tasks if query.ids is None else ctx.state.tasks_with_ids(query.ids)
    return filters.targets(query, pool, now)


def question(verb: str, tasks: Sequence[Task]) -> str:
    """`done: 2 tasks match (3 buy milk, 5 oat milk)?`: off a terminal, the line that refuses."""
    names = ", ".join(f"{t.id} {t.name}" for t in tasks[:_NAMED]).replace("\n", " ")
    more = f", and {len(tasks) - _NAMED} more" if len(tasks) > _NAMED else ""
    return f"{verb} {len(tasks)} tasks ({names:.200}{more})?"


@command(
    "done",
    "mark tasks done: done 3 5-7, done milk (asks if several match)",
    FILTER,
    YES,
    dash_words=True,
)
def done(ctx: Context, args: argparse.Namespace) -> Any:
    tasks = chosen(ctx, args.filters, "complete", args.yes)
    if tasks is None:
        return Message("nothing was changed")
    ids = [t.id for t in tasks]
    try:
        finished = ctx.state.complete_many(ids, force=args.yes)
    except OpenSubtasksError as e:
        open_ones = ", ".join(str(t.id) for t in e.subtasks)
        ask = f"task {e.task_id} has open subtasks ({open_ones}): complete it anyway?"
        if not ctx.confirm(ask, e.subtasks):
            return Message("nothing was changed")
        finished = ctx.state.complete_many(ids, force=True)
    return StatusChanged(finished.tasks, "done", finished.next)


@command(
    "delete",
    "delete tasks (asks first; --yes when not on a terminal): delete 3, delete +old",
    FILTER,
    YES,
    arg("--series", action="store_true", help="a recurring task: stop its series (no next one)"),
    aliases=("rm",),
    dash_words=True,
)
def delete(ctx: Context, args: argparse.Namespace) -> Any:
    found = targets(ctx, args.filters)
    doomed = found.tasks
    if not doomed:
        raise InvalidValueError(f"no pending task matches {' '.join(args.filters)!r:.60}")
    if not args.yes and not ctx.confirm(f"delete {len(doomed)} task(s)?", doomed):
        return Message("nothing was deleted")
    series = args.series or (not args.yes and _stop_series(ctx, doomed))
    deleted = ctx.state.delete_tasks([t.id for t in doomed], series=series)
    return TasksDeleted(deleted.tasks, deleted.next)


def _stop_series(ctx: Context, doomed: Sequence[Task]) -> bool:
    """Ask whether a recurring task's series ends too (no: the next occurrence is made)."""
    recurring = [t for t in doomed if t.is_recurring and t.pending]
    if not recurring:
        return False
    which = ", ".join(str(t.id) for t in recurring)
    who = f"task {which} recurs" if len(recurring) == 1 else f"tasks {which} recur"
    question = f"{who}: stop the series too? (no: the next occurrence is made)"
    return ctx.confirm(question, ())


@command(
    "modify",
    "change several tasks at once: modify project:home -- +garden p3 due:sat",
    arg(
        "words",
        nargs=argparse.REMAINDER,
        metavar="FILTER -- CHANGES",
        help="which tasks (ids or a filter), `--`, then attribute words; `modify 3 p1` for ids",
    ),
    YES,
    dash_words=True,
)
def modify(ctx: Context, args: argparse.Namespace) -> Any:
    words, yes = _without_yes(args.words, args.yes)
    where, changes = split_changes(words)
    now = ctx.now()
    entry = read_entry(changes, now, "modify")
    wanted = modification(entry)
    if not wanted:
        raise UsageError("modify: say what to change after `--`: modify +someday -- wait:monday")
    tasks = chosen(ctx, where, "modify", yes)
    if tasks is None:
        return Message("nothing was changed")
    changed = ctx.state.modify_many(
        [t.id for t in tasks],
        wanted.changes,
        wanted.add_tags,
        wanted.remove_tags,
        add_depends=wanted.add_depends,
        remove_depends=wanted.remove_depends,
    )
    return TasksModified(changed, entry_parts(entry, now), entry.hints)


def _without_yes(words: Sequence[str], yes: bool) -> tuple[list[str], bool]:
    """`--yes` anywhere, `-y` before `--` (after it, `-y` removes the tag y)."""
    cut = words.index("--") if "--" in words else len(words)
    kept = [w for i, w in enumerate(words) if not (w == "--yes" or (w == "-y" and i < cut))]
    return kept, yes or len(kept) < len(words)


def split_changes(words: Sequence[str]) -> tuple[list[str], list[str]]:
    """(filter, changes) at the first `--`; without one, leading ids are the filter: `modify 3 p1`."""
    if "--" in words:
        cut = words.index("--")
        where, changes = list(words[:cut]), list(words[cut + 1 :])
    else:
        count = next((i for i, w in enumerate(words) if not _is_ids(w)), len(words))
        if count == 0:
            raise UsageError(
                "modify: put `--` between the filter and the changes: modify +someday -- wait:monday"
            )
        where, changes = list(words[:count]), list(words[count:])
    if not where:
        raise UsageError("modify: say which tasks before `--` (ids or a filter)")
    return where, changes


def _is_ids(word: str) -> bool:
    return bool(word) and all(part.replace("-", "").isdigit() for part in word.split(",") if part)
