"""Proposed tasks: what quick-add or a model suggests, validated and cleaned before anyone sees it.

Everything here treats its input as untrusted text: core.vocabulary.clean_text removes control
characters and terminal escape sequences (they could rewrite the screen), while Rich markup such
as `[red]` is kept as literal text, because the UI renders task text as data, never as markup.
Priorities and tags follow core.vocabulary, so a model's answer means what the same words typed
into `add` mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.dates import describe_due, parse_due
from core.errors import InvalidValueError
from core.vocabulary import DEFAULT_PRIORITY, check_tag, clean_text, parse_priority

MAX_TASKS = 20
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_TAGS = 10
DUE_PAST = timedelta(days=366)
DUE_FUTURE = timedelta(days=3653)  # ten years


class ProposalError(InvalidValueError, ValueError):
    """A proposed task that cannot be shown; the message names the task and field."""

    def __init__(self, message: str, field: str, index: int | None = None) -> None:
        super().__init__(message if index is None else f"task {index}: {message}")
        self.field = field
        self.index = index


@dataclass(frozen=True)
class ProposedTask:
    """One task to show for review; nothing is saved until the user accepts it."""

    name: str
    description: str = ""
    priority: int = DEFAULT_PRIORITY  # 1 high, 2 normal, 3 low
    tags: tuple[str, ...] = ()
    due: str | None = None  # as core.dates.parse_due returns it
    # A model's words for the date as the note has them; tasksafe's parser reads them (issue 15).
    due_text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Proposal:
    """The tasks proposed for one input, where they came from, and what the user should know."""

    tasks: tuple[ProposedTask, ...]
    source: str  # "gpt-4o-mini at https://api.openai.com/v1" or "offline parser"
    notes: tuple[str, ...] = ()


def validate_proposed(raw: Sequence[Any], now: datetime) -> tuple[ProposedTask, ...]:
    """Check and clean raw task objects (from JSON); ProposalError names the first bad field."""
    if not isinstance(raw, list | tuple):
        raise ProposalError(f"expected a list of tasks, not {type(raw).__name__}", "tasks")
    if len(raw) > MAX_TASKS:
        raise ProposalError(f"at most {MAX_TASKS} tasks at once, not {len(raw)}", "tasks")
    return tuple(_task(item, index, now) for index, item in enumerate(raw, 1))


def _task(item: Any, index: int, now: datetime) -> ProposedTask:
    if not isinstance(item, dict):
        raise ProposalError(f"expected an object, not {type(item).__name__}", "tasks", index)
    # Only the known fields are read: whatever else a model adds ("action": "delete") is ignored.
    return ProposedTask(
        name=_name(item.get("name"), index),
        description=_description(item.get("description"), index),
        priority=_priority(item.get("priority"), index),
        tags=_tags(item.get("tags"), index),
        due=_due(item.get("due"), index, now),
        due_text=_due_text(item.get("due_text")),
    )


def _due_text(value: Any) -> str | None:
    """The model's date words, kept only as a hint: anything odd is dropped, never an error."""
    if not isinstance(value, str):
        return None
    text = " ".join(clean_text(value).split())
    return text if 0 < len(text) <= 100 else None


def _name(value: Any, index: int) -> str:
    if not isinstance(value, str):
        raise ProposalError("name must be text", "name", index)
    name = " ".join(clean_text(value).split())
    if not name:
        raise ProposalError("name is empty", "name", index)
    if len(name) > MAX_NAME:
        raise ProposalError(
            f"name is {len(name)} characters; at most {MAX_NAME} (put details in the description)",
            "name",
            index,
        )
    return name


def _description(value: Any, index: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ProposalError("description must be text", "description", index)
    description = clean_text(value).strip()
    if len(description) > MAX_DESCRIPTION:
        raise ProposalError(
            f"description is {len(description)} characters; at most {MAX_DESCRIPTION}",
            "description",
            index,
        )
    return description


def _priority(value: Any, index: int) -> int:
    """What core.vocabulary reads as a priority; missing means normal."""
    if value is None:
        return DEFAULT_PRIORITY
    try:
        return parse_priority(value)
    except ValueError as exc:
        raise ProposalError(str(exc), "priority", index) from None


def _tags(value: Any, index: int) -> tuple[str, ...]:
    """Tags by core.vocabulary's rule, at most MAX_TAGS, each once; one text is one tag."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(t, str) for t in items):
        raise ProposalError("tags must be a list of words", "tags", index)
    tags: list[str] = []
    for item in items:
        try:
            tag = check_tag(item)
        except ValueError as exc:
            raise ProposalError(str(exc), "tags", index) from None
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ProposalError(f"at most {MAX_TAGS} tags, not {len(tags)}", "tags", index)
    return tuple(tags)


def _due(value: Any, index: int, now: datetime) -> str | None:
    """A due within a year back and ten years ahead: a model's year typo must not get through."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProposalError("due must be a date like 2026-12-01 or null", "due", index)
    try:
        due = parse_due(clean_text(value), now)
    except ValueError as exc:
        raise ProposalError(f"due: {exc}", "due", index) from None
    wall = now.replace(tzinfo=None)
    moment = datetime.fromisoformat(due)
    if not wall - DUE_PAST <= moment <= wall + DUE_FUTURE:
        raise ProposalError(
            f"due {due} is out of range ({(wall - DUE_PAST).date()} to {(wall + DUE_FUTURE).date()})",
            "due",
            index,
        )
    return due


def past_due_notes(tasks: Sequence[ProposedTask], now: datetime) -> tuple[str, ...]:
    """A note for each proposed due already past (a model's "January" became last January)."""
    notes = []
    for index, task in enumerate(tasks, 1):
        if task.due and describe_due(task.due, now)[1]:
            notes.append(f"task {index}: due {task.due.replace('T', ' ')} is in the past")
    return tuple(notes)
