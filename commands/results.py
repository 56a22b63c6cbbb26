"""What commands return: plain data that ui/ renders (Rich) or prints (JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.model import Task


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
