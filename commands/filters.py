"""Which tasks a `list` shows and in what order: pure functions over Task.

The filter words are core.query's; `select` keeps the signature `list` has always called.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from core.errors import UsageError
from core.model import Task
from core.query import QueryError, parse_query
from core.query import is_overdue as is_overdue
from core.vocabulary import tag_key

FILTER_WORDS = ("done", "pending", "all", "overdue", "due:today", "due:week")


def due_date(task: Task) -> date | None:
    if task.due is None:
        return None
    return date.fromisoformat(task.due[:10])


def sort_key(task: Task) -> tuple[int, int, str, int]:
    """Pending first, then by priority, then by due (none last), then by id."""
    return (task.done, task.priority, task.due or "\uffff", task.id)


def select(
    tasks: Iterable[Task],
    words: Iterable[str],
    now: datetime,
    include_done: bool = False,
    tag: str | None = None,
    priority: int | None = None,
) -> list[Task]:
    """Apply `list` filters (core.query's language): pending ones unless the words name a status."""
    everything = list(tasks)
    try:
        query = parse_query(list(words), now)
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    query = query.with_default(None if include_done else "pending")
    key = tag_key(tag.removeprefix("#")) if tag else None
    chosen = [
        t
        for t in query.select(everything, now)
        if (priority is None or t.priority == priority)
        and (key is None or any(tag_key(tg) == key for tg in t.tags))
    ]
    return sorted(chosen, key=sort_key)


def search(tasks: Iterable[Task], text: str) -> list[Task]:
    """Tasks whose name, description, comment or tags contain `text`, case-insensitively."""
    needle = text.casefold()
    return sorted(
        (
            t
            for t in tasks
            if needle in t.name.casefold()
            or needle in t.description.casefold()
            or needle in t.comment.casefold()
            or any(needle in tag.casefold() for tag in t.tags)
        ),
        key=sort_key,
    )
