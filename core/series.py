"""Recurring tasks inside a transaction: the next occurrence of one done, deleted or skipped.

Exactly one occurrence per due: a series that already holds a task due then gets no second one
(done twice, or skipped and done), and `until` ends it (core.recurrence reads the rules).
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence

from core.errors import InvalidValueError
from core.journal import Journal, task_of
from core.model import Record, Task, utc_now
from core.recurrence import days_between, next_due, parse_rule, shift
from core.storage.document import Document

# Fields of one occurrence that its next occurrence does not copy.
_PER_OCCURRENCE = ("start", "annotations")


def follow(j: Journal, task: Task) -> Task | None:
    """The next occurrence of a recurring task just completed (or deleted), made once.

    Its due is the task's moved by the rule (from the due, not from today), wait and scheduled
    moved by as many days; it copies the task's other fields (unknown ones too), not its notes,
    and shares its series. None when the series ends (`until`) or when the series already has
    a task due then (done twice, or skipped and done: exactly one occurrence per due).
    """
    if task.recur is None or task.due is None:
        return None
    try:
        rule = parse_rule(task.recur)
    except ValueError as e:
        raise InvalidValueError(f"task {task.id}'s recurrence cannot be read: {e}") from None
    series = task.series or str(uuidlib.uuid4())
    siblings = [r for r in j.doc.records if type(r) is dict and r.get("series") == series]
    dues = [r["due"] for r in siblings if isinstance(r.get("due"), str)]
    anchor = min([*dues, task.due], key=sortable_due)
    due = next_due(task.due, rule, task.until, anchor=anchor)
    if due is None or due in dues:
        return None
    delta = days_between(task.due, due)
    now = utc_now()
    rec = {k: v for k, v in task.raw.items() if k not in _PER_OCCURRENCE}
    rec.update(id=j.doc.allocate_id(), uuid=str(uuidlib.uuid4()), status="pending", due=due)
    rec.update(created=now, modified=now, completed=None, series=series)
    for key in ("wait", "scheduled"):
        value = getattr(task, key)
        if value is not None:
            rec[key] = shift(value, delta)
    j.doc.records.append(rec)
    j.touch(rec["uuid"], None, rec)
    return task_of(rec)


def sortable_due(due: str) -> str:
    """A stored due as text that sorts in time order (a date is its midnight)."""
    return due if len(due) > 10 else due + "T00:00"


def skip_occurrences(j: Journal, deleted: Sequence[Task]) -> dict[str, Task]:
    """After deleting pending occurrences: each series goes on after its latest one deleted."""
    latest: dict[str, Task] = {}
    for task in deleted:
        if task.pending and task.is_recurring and task.due is not None:
            key = task.series or task.uuid
            if key not in latest or sortable_due(task.due) > sortable_due(latest[key].due or ""):
                latest[key] = task
    following = {t.uuid: follow(j, t) for t in latest.values()}
    return {u: t for u, t in following.items() if t is not None}


def pending_of_series(
    doc: Document, tasks: Sequence[Task], exclude: Sequence[Record]
) -> list[Record]:
    """The pending records of the series of `tasks`, but those in `exclude`."""
    series = {t.series for t in tasks if t.series is not None}
    skipped = {id(r) for r in exclude}
    return [
        r
        for r in doc.records
        if type(r) is dict
        and id(r) not in skipped
        and r.get("series") in series
        and r.get("status", "pending") == "pending"
    ]
