"""The task model and the file format, as plain data.

Records are kept as the JSON objects they were read as, so fields this version does not know
survive every save and an invalid record is kept verbatim. `Task` is a typed view of a valid one.

The fields of issue 9 (`project`, `annotations`, `wait`, `scheduled`, `start`, `depends`, `parent`,
`recur`, `until`, `series`) are optional: absent or null means unset, and `to_record` writes one
only when it is set, so records of older versions, hand-written ones and (later) Taskwarrior and
iCalendar imports, where absent means unset, read alike and records stay small. They are read
leniently (any text where a format is not needed) but a wrong type makes the record invalid, with
the field named. `series` is the id every occurrence of one recurring task shares (a uuid of its
own, not any task's); `parent` and `depends` hold uuids, never ids, so they survive a renumbering.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from msgspec import Struct, field

from core.dates import due_moment, wall_clock
from core.recurrence import check_rule
from core.values import LeavesOut
from core.vocabulary import DEFAULT_PRIORITY, PRIORITIES, check_tags, clean_text, parse_priority

FORMAT_NAME = "tasksafe"
FORMAT_VERSION = 1
STATUSES = ("pending", "done")
# The optional fields of issue 9: a record holds one only while it is set (Task.to_record).
OPTIONAL_FIELDS = (
    *("project", "annotations", "wait", "scheduled", "start"),
    *("depends", "parent", "recur", "until", "series"),
)
_OPTIONAL_KEYS = frozenset(OPTIONAL_FIELDS)
# Legacy (the original app's) records carry a uuid derived from their content, so two loads of
# the same never-written legacy file agree on identity.
_LEGACY_NAMESPACE = uuidlib.UUID("6f1d8a4e-1f3b-4c59-9d8e-7a2b5c0e4d11")

Record = dict[str, Any]


def utc_now() -> str:
    """Now as UTC ISO-8601, second precision: `2026-11-25T23:50:12Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class InvalidRecord(ValueError):
    """A record that cannot be a task; the message says why."""


# gc=False: the cyclic GC does not track these (msgspec). A list of 100k tasks is otherwise 100k
# more objects every full collection scans, and the first one after a load (the GC is paused
# while it builds them) was a third of the REPL's first `list` at 100k tasks. Neither can be in
# a reference cycle: their fields are text, numbers, lists of text or notes, and the stored
# record, which never refers back to its Task.


class Annotation(Struct, frozen=True, gc=False):
    """A dated note on a task: `entry` is when it was written (UTC ISO), `text` the note."""

    entry: str
    text: str

    def to_record(self) -> Record:
        return {"entry": self.entry, "text": self.text}


class Task(LeavesOut, Struct, eq=False, gc=False):
    """A typed view of one valid task record."""

    not_compared = ("raw",)  # the stored record the fields were read from

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
    project: str | None = None  # dotted: `home.garden` is inside `home`
    annotations: list[Annotation] = field(default_factory=list)
    wait: str | None = None  # hidden until then; stored like `due`
    scheduled: str | None = None  # not to be started before; stored like `due`
    start: str | None = None  # UTC time it was started: active while set
    depends: list[str] = field(default_factory=list)  # uuids of tasks to be done first
    parent: str | None = None  # uuid of the task this is a subtask of
    recur: str | None = None  # a rule's normalised text (core.recurrence.check_rule)
    until: str | None = None  # the last due a recurrence may reach; stored like `due`
    series: str | None = None  # the id every occurrence of a recurring task shares
    raw: Record = field(default_factory=dict)  # as stored, unknown fields too

    __hash__ = None  # type: ignore[assignment]  # mutable: never a dict key or in a set

    @property
    def done(self) -> bool:
        return self.status == "done"

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @property
    def is_active(self) -> bool:
        """Started and not yet done."""
        return self.start is not None and self.pending

    @property
    def is_recurring(self) -> bool:
        return self.recur is not None

    def is_waiting(self, now: datetime) -> bool:
        """Pending and hidden until `wait`, which has not come yet (now is local time)."""
        return self.pending and self.wait is not None and _before(now, self.wait)

    def is_scheduled_later(self, now: datetime) -> bool:
        """Scheduled to start at a time that has not come yet."""
        return self.scheduled is not None and _before(now, self.scheduled)

    def is_ready(self, now: datetime, blocked: bool = False) -> bool:
        """Pending, not waiting, its scheduled time reached (or none), not blocked.

        Whether it is blocked depends on other tasks: see core.urgency.dependency_states.
        """
        return (
            self.pending
            and not blocked
            and not self.is_waiting(now)
            and not self.is_scheduled_later(now)
        )

    @classmethod
    def from_record(cls, rec: Any) -> Task:
        """Check a record and return its Task; raise InvalidRecord naming the problem."""
        if not isinstance(rec, dict):
            raise InvalidRecord(f"not an object but {type(rec).__name__}")
        # Most records set none of the optional fields: one check of the keys spares ten.
        optional = {} if _OPTIONAL_KEYS.isdisjoint(rec) else _optional_values(rec)
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
            **optional,
        )

    def to_record(self) -> Record:
        """The stored record; an optional field of issue 9 only when it is set."""
        return self._base_record() | self._optional_fields()

    def _optional_fields(self) -> Record:
        values: Record = {
            "project": self.project,
            "annotations": [a.to_record() for a in self.annotations],
            "wait": self.wait,
            "scheduled": self.scheduled,
            "start": self.start,
            "depends": list(self.depends),
            "parent": self.parent,
            "recur": self.recur,
            "until": self.until,
            "series": self.series,
        }
        return {k: v for k, v in values.items() if v is not None and v != []}

    def _base_record(self) -> Record:
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


def _optional_values(rec: Record) -> dict[str, Any]:
    """The optional fields (OPTIONAL_FIELDS) of a record that sets at least one, checked."""
    return {
        "project": _optional_text(rec, "project"),
        "annotations": _annotations(rec.get("annotations")),
        "wait": _optional_date(rec, "wait"),
        "scheduled": _optional_date(rec, "scheduled"),
        "start": _optional_text(rec, "start"),
        "depends": _uuids(rec.get("depends")),
        "parent": _optional_text(rec, "parent"),
        "recur": _optional_text(rec, "recur"),
        "until": _optional_date(rec, "until"),
        "series": _optional_text(rec, "series"),
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


def _optional_text(rec: Record, key: str) -> str | None:
    """An optional field of issue 9: absent, null and "" are unset."""
    return _optional_str(rec, key) or None


def _optional_date(rec: Record, key: str) -> str | None:
    value = rec.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not is_iso_due(value):
        raise InvalidRecord(f"{key} must be an ISO date or date and time, not {value!r:.40}")
    return value


def _annotations(value: Any) -> list[Annotation]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRecord(f"annotations must be a list, not {type(value).__name__}")
    notes = []
    for note in value:
        if not isinstance(note, dict):
            raise InvalidRecord(f"an annotation must be an object, not {type(note).__name__}")
        entry, text = note.get("entry"), note.get("text")
        if not isinstance(entry, str) or not isinstance(text, str):
            raise InvalidRecord("an annotation needs an entry time and a text, both text")
        notes.append(Annotation(entry, text))
    return notes


def _uuids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(u, str) and u for u in value):
        raise InvalidRecord("depends must be a list of task uuids (non-empty texts)")
    return list(value)


def _before(now: datetime, stored: str) -> bool:
    """Whether `now` (local time) is before a stored due-like value."""
    return wall_clock(now) < due_moment(stored, now)


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
    return check_date(value, "due")


MAX_PROJECT = 100
_PROJECT_RULE = "dotted words like home.garden: no spaces, no empty part"


def check_project(value: str | None) -> str | None:
    """A project as stored (`home.garden`), case kept; None or "" clears it."""
    if value is None:
        return None
    project = clean_text(value).strip()
    if not project:
        return None
    parts = project.split(".")
    if len(project) > MAX_PROJECT or any(not p or any(c.isspace() for c in p) for p in parts):
        raise ValueError(f"project {value!r:.50} must be {_PROJECT_RULE}")
    return project


def in_project(task_project: str | None, project: str) -> bool:
    """Whether a task's project is `project` or inside it: `home.garden` is in `home`, not `ho`."""
    if task_project is None:
        return False
    a, b = task_project.casefold(), project.casefold()
    return a == b or a.startswith(b + ".")


def check_annotation(text: str) -> str:
    """The text of a note, cleaned; it cannot be empty."""
    note = clean_text(text).strip()
    if not note:
        raise ValueError("a note needs some text")
    return note


def check_date(value: str | None, key: str = "due") -> str | None:
    """A due-like field (`due`, `wait`, `scheduled`, `until`): an ISO date or date-time, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not is_iso_due(value):
        raise ValueError(f"{key} must be an ISO date (2026-12-01) or date and time, not {value!r}")
    return value


def check_recur(value: str | None) -> str | None:
    """A recurrence rule's normalised text (core.recurrence); None or "" clears it."""
    if value is None or not value.strip():
        return None
    return check_rule(value)


def new_record(
    task_id: int,
    name: str,
    priority: int = DEFAULT_PRIORITY,
    tags: Any = (),
    due: str | None = None,
    description: str = "",
    comment: str = "",
    *,
    project: str | None = None,
    wait: str | None = None,
    scheduled: str | None = None,
    recur: str | None = None,
    until: str | None = None,
    parent: str | None = None,
    depends: Sequence[str] = (),
    annotations: Sequence[str] = (),
    series: str | None = None,
) -> Record:
    """A fresh pending task record, its input checked and cleaned.

    `parent` and `depends` are uuids (AppState resolves ids under the lock); `annotations` are
    note texts, dated now. A recurring task needs a due and gets a new `series` unless given one.
    """
    now = utc_now()
    rule = check_recur(recur)
    checked_due = check_due(due)
    if rule is not None and checked_due is None:
        raise ValueError("a recurring task needs a due date")
    return Task(
        id=task_id,
        uuid=str(uuidlib.uuid4()),
        name=check_name(name),
        description=clean_text(description),
        comment=clean_text(comment),
        priority=parse_priority(priority),
        tags=check_tags(tags),
        due=checked_due,
        created=now,
        modified=now,
        project=check_project(project),
        annotations=[Annotation(now, check_annotation(t)) for t in annotations],
        wait=check_date(wait, "wait"),
        scheduled=check_date(scheduled, "scheduled"),
        depends=list(dict.fromkeys(depends)),
        parent=parent,
        recur=rule,
        until=check_date(until, "until"),
        series=(series or str(uuidlib.uuid4())) if rule is not None else series,
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
