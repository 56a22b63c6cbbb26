"""Proposed tasks: what quick-add or a model suggests, validated and cleaned before anyone sees it.

Everything here treats its input as untrusted text: core.vocabulary.clean_text removes control
characters and terminal escape sequences (they could rewrite the screen), while Rich markup such
as `[red]` is kept as literal text, because the UI renders task text as data, never as markup.
Priorities and tags follow core.vocabulary, so a model's answer means what the same words typed
into `add` mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from msgspec import Struct

from core.dates import describe_due, find_due, parse_due, split_words
from core.errors import InvalidValueError
from core.model import Task
from core.values import LeavesOut
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


class ProposedTask(LeavesOut, Struct, frozen=True, eq=False):
    """One task to show for review; nothing is saved until the user accepts it."""

    not_compared = ("due_text",)  # the model's date words: how the due was found

    name: str
    description: str = ""
    priority: int = DEFAULT_PRIORITY  # 1 high, 2 normal, 3 low
    tags: tuple[str, ...] = ()
    due: str | None = None  # as core.dates.parse_due returns it
    project: str | None = None  # typed as `project:home` (core.vocabulary), never the model's
    # A model's words for the date as the note has them; tasksafe's parser reads them (issue 15).
    due_text: str | None = None


class ProposedChange(LeavesOut, Struct, frozen=True, eq=False):
    """One change to one pending task, for review; None/() means the field is left as it is.

    There is no field for deleting: the most a change can do is complete (issue 15).
    """

    not_compared = ("was",)  # the task as it was: the review's "before"

    task_id: int
    name: str  # the task's name now, for the review's diff
    complete: bool = False
    priority: int | None = None
    due: str | None = None
    rename: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    note: str | None = None
    # The task as it was when proposed: the review's "before", and what apply expects on disk.
    was: Task | None = None

    @property
    def empty(self) -> bool:
        """Whether the change changes nothing."""
        fields = (self.priority, self.due, self.rename, self.note)
        return not (self.complete or self.add_tags or self.remove_tags) and fields == (None,) * 4


class Proposal(Struct, frozen=True):
    """The tasks proposed for one input, where they came from, and what the user should know.

    `changes` are to pending tasks; `duplicates` pair a proposed task (its index in `tasks`)
    with the pending task it nearly matches, for the review's "update the existing one instead".
    """

    tasks: tuple[ProposedTask, ...]
    source: str  # "gpt-4o-mini at https://api.openai.com/v1" or "offline parser"
    notes: tuple[str, ...] = ()
    changes: tuple[ProposedChange, ...] = ()
    duplicates: tuple[tuple[int, Task], ...] = ()


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
        project=_project(item.get("project"), index),
    )


def _project(value: Any, index: int) -> str | None:
    if value is None or value == "":
        return None
    from core.model import check_project

    try:
        return check_project(value) if isinstance(value, str) else _no_project(value, index)
    except ValueError as e:
        raise ProposalError(str(e), "project", index) from None


def _no_project(value: Any, index: int) -> str:
    raise ProposalError(f"project must be text, not {type(value).__name__}", "project", index)


def _due_text(value: Any) -> str | None:
    """The model's date words, kept only as a hint: anything odd is dropped, never an error."""
    if not isinstance(value, str):
        return None
    text = " ".join(clean_text(value).split())
    return text if 0 < len(text) <= 100 else None


def _name(value: Any, index: int | None) -> str:
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


def _description(value: Any, index: int | None) -> str:
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


def _priority(value: Any, index: int | None) -> int:
    """What core.vocabulary reads as a priority; missing means normal."""
    if value is None:
        return DEFAULT_PRIORITY
    try:
        return parse_priority(value)
    except ValueError as exc:
        raise ProposalError(str(exc), "priority", index) from None


def _tags(value: Any, index: int | None) -> tuple[str, ...]:
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


def _due(value: Any, index: int | None, now: datetime) -> str | None:
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


# A model's words for deleting: never representable, so a change that says it is dropped whole.
_DELETE_KEYS = ("delete", "deleted", "remove", "removed")
_DELETE_WORDS = frozenset({"delete", "deleted", "remove", "removed", "purge", "drop"})
_DONE_STATUS = frozenset({"done", "completed", "complete"})


def validate_changes(
    raw: Any, shown: Mapping[int, Task], now: datetime
) -> tuple[tuple[ProposedChange, ...], tuple[str, ...]]:
    """A model's changes to the pending tasks it was shown, checked field by field as an edit is.

    Unlike new tasks, a bad change does not spoil the answer: it is dropped with a note, and so
    is one naming a task the model was not shown, one that says delete, and one that changes
    nothing. At most MAX_TASKS are read.
    """
    if raw is None:
        return (), ()
    if not isinstance(raw, list | tuple):
        return (), (f"the model's changes are not a list ({type(raw).__name__}): ignored",)
    changes: list[ProposedChange] = []
    notes: list[str] = []
    if len(raw) > MAX_TASKS:
        notes.append(f"the model proposed {len(raw)} changes; only the first {MAX_TASKS} are read")
    for number, item in enumerate(raw[:MAX_TASKS], 1):
        change, note = _read_change(item, number, shown, now)
        if change is not None and any(c.task_id == change.task_id for c in changes):
            notes.append(f"change {number}: task {change.task_id} a second time: dropped")
        elif change is not None:
            changes.append(change)
        notes += [note] if note else []
    return tuple(changes), tuple(notes)


def _read_change(
    item: Any, number: int, shown: Mapping[int, Task], now: datetime
) -> tuple[ProposedChange | None, str | None]:
    if not isinstance(item, dict):
        return None, f"change {number}: not an object: dropped"
    task_id = _task_id(item.get("id"))
    if task_id is None or task_id not in shown:
        named = one_value(item.get("id"))
        return None, (
            f"change {number}: the model named task {named}, not one of the pending tasks"
            " it was shown: dropped"
        )
    if _says_delete(item):
        return (
            None,
            f"change {number}: the model asked to delete task {task_id}: `ai` never deletes; dropped",
        )
    task = shown[task_id]
    try:
        change = _change_fields(item, task, now)
    except ProposalError as exc:
        return None, f"change {number} (task {task_id}): {exc}: dropped"
    if change.empty:
        return None, f"change {number} (task {task_id}) changes nothing: dropped"
    return change, None


def _change_fields(item: Mapping[str, Any], task: Task, now: datetime) -> ProposedChange:
    """The fields of one change that differ from the task, each checked as an edit is."""
    status = item.get("status")
    complete = item.get("complete") is True or (
        isinstance(status, str) and status.lower() in _DONE_STATUS
    )
    due = _due(item.get("due"), None, now)
    said = _due_text(item.get("due_text"))
    if said:  # the model's words for the date, read by tasksafe's parser, win (as for adds)
        try:
            span = find_due(split_words(said), now)
        except ValueError:
            span = None
        due = span.value if span is not None else due
    priority = None if item.get("priority") is None else _priority(item.get("priority"), None)
    rename = None if item.get("name") in (None, "") else _name(item.get("name"), None)
    have = {t.casefold() for t in task.tags}
    plus = tuple(t for t in _tags(item.get("add_tags"), None) if t.casefold() not in have)
    minus = tuple(t for t in _tags(item.get("remove_tags"), None) if t.casefold() in have)
    note = _description(item.get("note"), None) or None
    return ProposedChange(
        task.id,
        task.name,
        complete=complete,
        priority=priority if priority != task.priority else None,
        due=due if due != task.due else None,
        rename=rename if rename != task.name else None,
        add_tags=plus,
        remove_tags=minus,
        note=note,
        was=task,
    )


def _task_id(value: Any) -> int | None:
    """An id as a model writes it: 5 or "5" (a small model quotes numbers)."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value) < 10:
        return int(value)
    return None


def _says_delete(item: Mapping[str, Any]) -> bool:
    if any(item.get(key) for key in _DELETE_KEYS):
        return True
    words = (item.get(key) for key in ("action", "status", "op", "operation", "type"))
    return any(isinstance(w, str) and w.strip().lower() in _DELETE_WORDS for w in words)


def one_value(value: Any) -> str:
    """A model's value in a note: short, one line, clean."""
    text = " ".join(clean_text(repr(value)).split())
    return text if len(text) <= 40 else text[:39] + "…"
