"""Which tasks a command works on and in what order: pure functions over Task.

The filter words are core.query's (`list project:home or +urgent`, `done milk`, `modify +someday
-- wait:monday`); a word that is not a filter is a usage error (exit 2), as an unknown option is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from msgspec import Struct

from core.errors import TaskNotFound, UsageError
from core.model import Task
from core.query import FILTER_NAMES as FILTER_NAMES
from core.query import FILTER_WORDS as FILTER_WORDS
from core.query import Query, QueryError, parse_query
from core.query import is_overdue as is_overdue
from core.urgency import dependency_states
from core.vocabulary import tag_key

SORT_ORDERS = ("priority", "urgency", "due", "id")


def due_date(task: Task) -> date | None:
    if task.due is None:
        return None
    return date.fromisoformat(task.due[:10])


def sort_key(task: Task) -> tuple[int, int, str, int]:
    """Pending first, then by priority, then by due (none last), then by id."""
    return (task.done, task.priority, task.due or "\uffff", task.id)


def read_filter(words: Sequence[str], now: datetime) -> Query:
    """The filter the words say; a word that cannot be read is one usage line naming it."""
    try:
        return parse_query(list(words), now)
    except QueryError as exc:
        raise UsageError(str(exc)) from None


CONTEXT = "TASKS_CONTEXT"


def context_of(environ: Mapping[str, str]) -> list[str]:
    """The filter words of the context in effect (TASKS_CONTEXT, or a window's `context`)."""
    return environ.get(CONTEXT, "").split()


def in_context(words: Sequence[str], environ: Mapping[str, str], now: datetime) -> list[str]:
    """The words of a view (list, next, calendar) within the context: `(context) (words)`; a
    context that does not read is one line naming TASKS_CONTEXT, not the command's words."""
    context = context_of(environ)
    if not context:
        return list(words)
    try:
        read_filter(context, now)
    except UsageError as e:
        raise UsageError(f"the context ({CONTEXT} or `context`): {e}") from None
    return ["(", *context, ")", *(["(", *words, ")"] if words else [])]


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
    query = read_filter(list(words), now).with_default(None if include_done else "pending")
    key = tag_key(tag.removeprefix("#")) if tag else None
    chosen = [
        t
        for t in query.select(everything, now)
        if (priority is None or t.priority == priority)
        and (key is None or any(tag_key(tg) == key for tg in t.tags))
    ]
    return sorted(chosen, key=sort_key)


class Targets(Struct, frozen=True):
    """The tasks `done`, `delete` or `modify` act on; `by_id` when each was named by its id."""

    tasks: list[Task]
    by_id: bool


def targets(query: Query, tasks: Sequence[Task], now: datetime) -> Targets:
    """Ids (`3 5-7`: each must exist) or a filter over the pending tasks, waiting ones too.

    A filter naming a status (`status:done +old`) reaches beyond the pending ones.
    """
    if query.ids is not None:
        by_id = {t.id: t for t in tasks}
        missing = [i for i in query.ids if i not in by_id]
        if missing:
            raise TaskNotFound(missing[0])
        return Targets([by_id[i] for i in dict.fromkeys(query.ids)], by_id=True)
    chosen = query.select(tasks, now)
    if not query.names_status:
        chosen = [t for t in chosen if t.pending]
    return Targets(sorted(chosen, key=sort_key), by_id=False)


def sort_tasks(
    tasks: Sequence[Task], order: str, now: datetime, everything: Sequence[Task]
) -> list[Task]:
    """Tasks in `order` (SORT_ORDERS); urgency highest first, as `next` shows them."""
    if order == "urgency":
        scores = urgencies(everything, now)
        return sorted(tasks, key=lambda t: (-scores.get(t.uuid, 0.0), sort_key(t)))
    if order == "due":
        return sorted(tasks, key=lambda t: (t.done, t.due is None, t.due or "", sort_key(t)))
    if order == "id":
        return sorted(tasks, key=lambda t: t.id)
    return sorted(tasks, key=sort_key)


def urgencies(everything: Sequence[Task], now: datetime) -> dict[str, float]:
    """Each pending task's urgency by uuid (blocked and blocking from the whole list)."""
    deps = dependency_states(everything)
    return {t.uuid: deps.urgency(t, now) for t in everything if t.pending}


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
