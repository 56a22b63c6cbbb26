"""Proposed tasks: what quick-add or a model suggests, validated and cleaned before anyone sees it.

Everything here treats its input as untrusted text: control characters and terminal escape
sequences are removed (they could rewrite the screen), while Rich markup such as `[red]` is kept
as literal text, because the UI renders task text as data, never as markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.dates import parse_due
from core.errors import InvalidValueError
from core.model import clean_text as model_clean_text

MAX_TASKS = 20
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_TAGS = 10
MAX_TAG = 30
DUE_PAST = timedelta(days=366)
DUE_FUTURE = timedelta(days=3653)  # ten years
PRIORITY_NAMES = {"high": 1, "urgent": 1, "normal": 2, "medium": 2, "low": 3}

# ECMA-48 escapes: CSI (`ESC [` or 0x9b) ... final byte; OSC/DCS/SOS/PM/APC strings up to BEL or
# ST (or the end of the text, so an unterminated one cannot swallow what a later write prints);
# and the two-byte `ESC x` forms.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_TAG = re.compile(rf"[\w-]{{1,{MAX_TAG}}}")


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
    priority: int = 2  # 1 high, 2 normal, 3 low
    tags: tuple[str, ...] = ()
    due: str | None = None  # as core.dates.parse_due returns it


@dataclass(frozen=True)
class Proposal:
    """The tasks proposed for one input, where they came from, and what the user should know."""

    tasks: tuple[ProposedTask, ...]
    source: str  # "gpt-4o-mini at https://api.openai.com/v1" or "offline parser"
    notes: tuple[str, ...] = ()


def clean_text(text: str) -> str:
    """Remove whole terminal escape sequences, then what core.model.clean_text removes."""
    return model_clean_text(_ESCAPES.sub("", text))


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
    )


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
    """1, 2 or 3; also "p1", "1", "high"/"normal"/"low"; missing means normal."""
    if value is None:
        return 2
    priority: Any = value
    if isinstance(value, str):
        word = value.strip().lower().removeprefix("p")
        priority = PRIORITY_NAMES.get(word, int(word) if word.isdigit() else None)
    elif isinstance(value, float) and value.is_integer():
        priority = int(value)
    if isinstance(priority, bool) or priority not in (1, 2, 3):
        raise ProposalError(
            f"priority must be 1 (high), 2 (normal) or 3 (low), not {value!r:.40}",
            "priority",
            index,
        )
    return int(priority)


def _tags(value: Any, index: int) -> tuple[str, ...]:
    """Lowercase words of letters, digits, `_` or `-`, without `#`, at most 10, no duplicates."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(t, str) for t in items):
        raise ProposalError("tags must be a list of words", "tags", index)
    tags: list[str] = []
    for item in items:
        tag = "-".join(clean_text(item).strip().lstrip("#").lower().split())
        if not _TAG.fullmatch(tag):
            raise ProposalError(
                f"tag {item!r:.40} must be 1-{MAX_TAG} letters, digits, _ or -", "tags", index
            )
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
