"""What commands return: plain data that ui/ renders (Rich) or prints (JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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


@dataclass(frozen=True)
class TasksAdded:
    tasks: list[Task]


@dataclass(frozen=True)
class TaskTable:
    tasks: list[Task]
    title: str = "tasks"
    total_pending: int = 0
    total_done: int = 0
    show_all: bool = False  # --all: no screenful limit


@dataclass(frozen=True)
class TaskDetail:
    task: Task


@dataclass(frozen=True)
class TaskEdited:
    task: Task


@dataclass(frozen=True)
class StatusChanged:
    tasks: list[Task]
    status: str


@dataclass(frozen=True)
class TasksDeleted:
    tasks: list[Task]


@dataclass(frozen=True)
class Message:
    """A line of feedback; `kind` is info, ok, warning or error."""

    text: str
    kind: str = "info"


@dataclass(frozen=True)
class JsonOutput:
    """Records exactly as stored, printed as JSON (a list, or one object)."""

    value: Any = field(default=None)
