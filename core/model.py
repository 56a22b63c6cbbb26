"""The task model and the file format, as plain data.

Records are kept as the JSON objects they were read as, so fields this version does not know
survive every save and an invalid record is kept verbatim. `Task` is a typed view of a valid one.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from core.vocabulary import DEFAULT_PRIORITY, PRIORITIES, check_tags, clean_text, parse_priority

FORMAT_NAME = "tasksafe"
FORMAT_VERSION = 1
STATUSES = ("pending", "done")
# Legacy (the original app's) records carry a uuid derived from their content, so two loads of
# the same never-written legacy file agree on identity.
_LEGACY_NAMESPACE = uuidlib.UUID("6f1d8a4e-1f3b-4c59-9d8e-7a2b5c0e4d11")

Record = dict[str, Any]


def utc_now() -> str:
    """Now as UTC ISO-8601, second precision: `2026-11-25T23:50:12Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class InvalidRecord(ValueError):
    """A record that cannot be a task; the message says why."""


@dataclass(slots=True)
class Task:
    """A typed view of one valid task record."""

    id: int
    uuid: str
    name: str
    description: str = ""
    comment: str = ""
    priority: int = DEFAULT_PRIORITY
    tags: list[str] = field(default_factory=list)
    status: str = "pending"
    due: str | None = None
    created: str | None = None
    modified: str | None = None
    completed: str | None = None
    raw: Record = field(
        default_factory=dict, repr=False, compare=False
    )  # as stored, unknown fields too

    @property
    def done(self) -> bool:
        return self.status == "done"

    @classmethod
    def from_record(cls, rec: Any) -> Task:
        """Check a record and return its Task; raise InvalidRecord naming the problem."""
        if not isinstance(rec, dict):
            raise InvalidRecord(f"not an object but {type(rec).__name__}")
        return cls(
            id=_positive_int(rec, "id"),
            uuid=_str(rec, "uuid", required=True),
            name=_name(rec),
            description=_str(rec, "description"),
            comment=_str(rec, "comment"),
            priority=_priority(rec.get("priority", DEFAULT_PRIORITY)),
            tags=_tags(rec.get("tags", [])),
            status=_status(rec.get("status", "pending")),
            due=_optional_due(rec.get("due")),
            created=_optional_str(rec, "created"),
            modified=_optional_str(rec, "modified"),
            completed=_optional_str(rec, "completed"),
            raw=rec,
        )

    def to_record(self) -> Record:
        return {
            "id": self.id,
            "uuid": self.uuid,
            "name": self.name,
            "description": self.description,
            "comment": self.comment,
            "priority": self.priority,
            "tags": list(self.tags),
            "status": self.status,
            "due": self.due,
            "created": self.created,
            "modified": self.modified,
            "completed": self.completed,
        }


def _positive_int(rec: Record, key: str) -> int:
    value = rec.get(key)
    if type(value) is not int or value < 1:
        raise InvalidRecord(f"{key} must be a positive integer, not {value!r:.40}")
    return value


def _str(rec: Record, key: str, required: bool = False) -> str:
    value = rec.get(key, None if required else "")
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidRecord(f"{key} must be text, not {type(value).__name__}")
    return value


def _optional_str(rec: Record, key: str) -> str | None:
    value = rec.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidRecord(f"{key} must be text or null, not {type(value).__name__}")
    return value


def _name(rec: Record) -> str:
    name = _str(rec, "name", required=True)
    if not name.strip():
        raise InvalidRecord("name is empty")
    return name


def _priority(value: Any) -> int:
    if type(value) is not int or value not in PRIORITIES:
        raise InvalidRecord(f"priority must be 1, 2 or 3, not {value!r:.40}")
    return int(value)


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise InvalidRecord("tags must be a list of non-empty texts")
    return list(value)


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise InvalidRecord(f"status must be pending or done, not {value!r:.40}")
    return str(value)


def _optional_due(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not is_iso_due(value):
        raise InvalidRecord(f"due must be an ISO date or date and time, not {value!r:.40}")
    return value


def is_iso_due(value: str) -> bool:
    """A stored due: `YYYY-MM-DD` or an ISO date and time."""
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- input: what a user or a model gives, checked and cleaned before it reaches a record ---
# Priorities, tags and text follow core.vocabulary's rules; a name and a due are the model's.


def check_name(name: str) -> str:
    name = clean_text(name)
    if not name.strip():
        raise ValueError("a task needs a name")
    return name


def check_due(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not is_iso_due(value):
        raise ValueError(f"due must be an ISO date (2026-12-01) or date and time, not {value!r}")
    return value


def new_record(
    task_id: int,
    name: str,
    priority: int = DEFAULT_PRIORITY,
    tags: Any = (),
    due: str | None = None,
    description: str = "",
    comment: str = "",
) -> Record:
    """A fresh pending task record, its input checked and cleaned."""
    now = utc_now()
    return Task(
        id=task_id,
        uuid=str(uuidlib.uuid4()),
        name=check_name(name),
        description=clean_text(description),
        comment=clean_text(comment),
        priority=parse_priority(priority),
        tags=check_tags(tags),
        due=check_due(due),
        created=now,
        modified=now,
    ).to_record()


def legacy_to_record(rec: Any) -> Any:
    """Upgrade one record of the original app's list format; anything else is kept verbatim."""
    if not isinstance(rec, dict) or "uuid" in rec or ("tag" not in rec and "tags" in rec):
        return rec
    out = {k: v for k, v in rec.items() if k != "tag"}
    tag = rec.get("tag")
    if "tag" in rec:
        out["tags"] = [tag] if isinstance(tag, str) and tag.strip() else []
        if tag is not None and not isinstance(tag, str):
            out["tag"] = tag  # keep what we cannot interpret, so validation reports it
    priority = rec.get("priority", 2)
    if isinstance(priority, str) and priority.strip() in ("1", "2", "3"):
        out["priority"] = int(priority)
    out.setdefault("status", "pending")
    seed = f"{rec.get('id')}\x00{rec.get('name')}"
    out["uuid"] = str(uuidlib.uuid5(_LEGACY_NAMESPACE, seed))
    for key in ("description", "comment"):
        if out.get(key) is None:
            out[key] = ""
    return out
