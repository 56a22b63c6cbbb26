"""Which tasks a `list` shows and in what order: pure functions over Task."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime

from core.errors import UsageError
from core.model import Task

FILTER_WORDS = ("done", "pending", "all", "overdue", "due:today", "due:week")


def due_date(task: Task) -> date | None:
    if task.due is None:
        return None
    return date.fromisoformat(task.due[:10])


def is_overdue(task: Task, now: datetime) -> bool:
    if task.due is None or task.done:
        return False
    if len(task.due) == 10:
        return date.fromisoformat(task.due) < now.date()
    return datetime.fromisoformat(task.due).replace(tzinfo=None) < now.replace(tzinfo=None)


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
    """Apply `list` filters: `#tag`, `p1`, `done`, `pending`, `all`, `overdue`, `due:today`, `due:week`."""
    status: str | None = None if include_done else "pending"
    tags = [tag.removeprefix("#")] if tag else []
    preds: list[Callable[[Task], bool]] = []
    for word in words:
        w = word.lower()
        if w.startswith("#") and len(w) > 1:
            tags.append(word[1:])
        elif w in ("p1", "p2", "p3"):
            priority = int(w[1])
        elif w in ("done", "pending"):
            status = w
        elif w == "all":
            status = None
        elif w == "overdue":
            preds.append(lambda t: is_overdue(t, now))
        elif w == "due:today":
            preds.append(lambda t: (d := due_date(t)) is not None and d <= now.date())
        elif w == "due:week":
            preds.append(lambda t: (d := due_date(t)) is not None and (d - now.date()).days < 7)
        else:
            raise UsageError(f"unknown filter {word!r}: use #tag, p1-p3, {', '.join(FILTER_WORDS)}")
    chosen = [
        t
        for t in tasks
        if (status is None or t.status == status)
        and (priority is None or t.priority == priority)
        and all(tg in t.tags for tg in tags)
        and all(p(t) for p in preds)
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
