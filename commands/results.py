"""What commands return: plain data that ui/ renders (Rich) or prints (JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from msgspec import Struct, field

from core.errors import EXIT_OK
from core.model import Task


@runtime_checkable
class HasExitCode(Protocol):
    """A result that sets the exit code (`doctor` finding a problem: 1); others exit 0."""

    @property
    def exit_code(self) -> int: ...


@runtime_checkable
class HasNotes(Protocol):
    """A result with lines the user has not seen yet (`ai --yes`: "used the offline parser")."""

    @property
    def notes(self) -> tuple[str, ...]: ...


def exit_code_of(result: object) -> int:
    """The exit code a result asks for: its `exit_code`, else 0."""
    return result.exit_code if isinstance(result, HasExitCode) else EXIT_OK


def notes_of(result: object) -> tuple[str, ...]:
    """The notes a result carries, else none."""
    return result.notes if isinstance(result, HasNotes) else ()


class TasksAdded(Struct, frozen=True):
    tasks: list[Task]


class EntryAdded(TasksAdded, frozen=True):
    """One task added from words (`add`, `subtask`): what was read from them, said back.

    `parts` are the attributes taken (`p1`, `#errands`, `due tomorrow (Wed 2026-12-02)`);
    `hints` name words kept in the name that look like a misspelt attribute; `notes` is what the
    one-shot CLI says on stderr (stdout is only the id).
    """

    parts: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


class TaskTable(Struct, frozen=True):
    """Rows of `list`, `next` or `search`; `blocked` (uuids) and `now` are for the markers,
    `urgency` (by uuid) adds its column; `again` is the command that lists these rows again
    (`list +home --sort due`), for the hint when a screenful cuts them."""

    tasks: list[Task]
    title: str = "tasks"
    total_pending: int = 0
    total_done: int = 0
    show_all: bool = False  # --all or --every: no screenful limit
    blocked: frozenset[str] = frozenset()
    urgency: Mapping[str, float] | None = None
    now: datetime | None = None
    again: tuple[str, ...] = ()
    context: str = ""  # the context's filter words the rows were chosen within (TASKS_CONTEXT)


class TaskDetail(Struct, frozen=True):
    """`show`: the task and what it is linked to, as this window sees them."""

    task: Task
    depends: tuple[Task, ...] = ()  # the tasks it waits for
    needed_by: tuple[Task, ...] = ()  # the tasks that wait for it
    parent: Task | None = None
    subtasks: tuple[Task, ...] = ()
    next_due: str | None = None  # the due its next occurrence will get
    blocked: bool = False
    urgency: float | None = None
    now: datetime | None = None


class TaskEdited(Struct, frozen=True):
    task: Task


class TasksModified(Struct, frozen=True):
    """`modify FILTER -- CHANGES`: the tasks changed and the changes, as words."""

    tasks: list[Task]
    parts: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


class StatusChanged(Struct, frozen=True):
    """Tasks done, reopened, started or stopped; `next` maps a done recurring task's uuid to its
    next occurrence."""

    tasks: list[Task]
    status: str  # done, pending, started, stopped
    next: Mapping[str, Task] = field(default_factory=dict)


class TasksDeleted(Struct, frozen=True):
    """Tasks deleted; a recurring one skipped has its next occurrence in `next` (by uuid)."""

    tasks: list[Task]
    next: Mapping[str, Task] = field(default_factory=dict)


class Annotated(Struct, frozen=True):
    """A note added to a task (`annotate`) or removed from it (`denotate`)."""

    task: Task
    text: str
    removed: bool = False


class Message(Struct, frozen=True):
    """A line of feedback; `kind` is info, ok, warning or error."""

    text: str
    kind: str = "info"


class JsonOutput(Struct, frozen=True):
    """Records exactly as stored, printed as JSON (a list, or one object)."""

    value: Any = field(default=None)
