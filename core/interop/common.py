"""What every format shares: the parse result, record checks, and the two kinds of time.

tasksafe keeps two kinds of time (core.model): a *due-like* value (`due`, `wait`, `scheduled`,
`until`) is local wall-clock `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`; a *stamp* (`created`,
`modified`, `completed`, `start`, a note's `entry`) is UTC `YYYY-MM-DDTHH:MM:SSZ`. Taskwarrior
and iCalendar give instants: a due at local midnight becomes a date, as `task add due:fri` meant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from msgspec import Struct, field

from core.errors import AppError
from core.model import (
    InvalidRecord,
    Record,
    Task,
    check_annotation,
    check_date,
    check_name,
    check_project,
    check_recur,
)
from core.vocabulary import check_tags, clean_text, parse_priority

MAX_TEXT = 100_000  # characters in one text field: more is a hostile or broken input
MAX_UUID = 200
# The fields every format maps (a format adds its own kept-verbatim key): an imported record
# sets these, and one that is absent there is unset (see core.state.AppState.import_records).
MODEL_FIELDS = (
    *("name", "description", "comment", "priority", "tags", "status", "due", "created"),
    *("completed", "project", "annotations", "wait", "scheduled", "start", "depends"),
    *("parent", "recur", "until", "series"),
)


class ReadError(AppError):
    """The input as a whole cannot be read (not the format, not UTF-8, empty): nothing imported."""


class Parsed(Struct):
    """A format's records (no ids yet) and, one line each, the records it could not take."""

    fmt: str
    records: list[Record] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # deleted/cancelled: tasksafe keeps none
    fields: tuple[str, ...] = MODEL_FIELDS
    # A format whose records carry no uuid of their own (todo.txt) matches them to the tasks
    # already there: align(records, current) sets each record's uuid in place (core.interop.plan).
    align: Callable[[list[Record], Sequence[Any]], None] | None = None

    def take(self, where: str, build: Callable[[], Record | None]) -> None:
        """Add the record `build` makes, or one line naming `where` and what is wrong."""
        try:
            rec = build()
        except (ValueError, TypeError, KeyError, AttributeError, InvalidRecord, OverflowError) as e:
            self.problems.append(f"{where}: {short(str(e) or type(e).__name__)}")
            return
        if rec is not None:
            self.records.append(rec)

    def refuse_repeated_uuids(self) -> None:
        """A uuid given twice cannot be two tasks: the first is kept, each later one refused."""
        seen: set[str] = set()
        kept = []
        for rec in self.records:
            if rec["uuid"] in seen:
                self.problems.append(
                    f"uuid {rec['uuid']}: given more than once ({rec['name']:.40})"
                )
            else:
                seen.add(rec["uuid"])
                kept.append(rec)
        self.records = kept


def short(text: str, limit: int = 160) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def text(value: Any, key: str) -> str:
    """A text field of the input, cleaned; too long or not text is the record's problem."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, not {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{key} is {len(value):,} characters long (at most {MAX_TEXT:,})")
    return clean_text(value)


def uuid_of(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_UUID:
        raise ValueError(f"uuid must be a non-empty text of at most {MAX_UUID} characters")
    return value.strip()


def finish(rec: Record) -> Record:
    """The record checked as tasksafe's own input is (names, tags, projects, dates, rules)."""
    rec["name"] = check_name(text(rec.get("name"), "name"))
    rec["tags"] = check_tags(rec.get("tags") or [])
    rec["priority"] = parse_priority(rec.get("priority", 2))
    for key in ("description", "comment"):
        rec[key] = text(rec.get(key), key)
    optional: dict[str, Any] = {
        "project": check_project(rec.get("project")),
        "recur": check_recur(rec.get("recur")),
        **{k: check_date(rec.get(k), k) for k in ("wait", "scheduled", "until")},
    }
    notes = [
        {"entry": n["entry"], "text": check_annotation(text(n["text"], "annotation"))}
        for n in rec.get("annotations") or []
    ]
    optional["annotations"] = notes
    for key, value in optional.items():
        if value is None or value == []:
            rec.pop(key, None)
        else:
            rec[key] = value
    for key in [k for k, v in rec.items() if v is None or v == [] or v == {}]:
        if key not in ("tags", "due", "created", "modified", "completed"):
            del rec[key]
    Task.from_record({**rec, "id": 1})  # every other rule of the model
    return rec


# --- time ---


def stamp(moment: datetime) -> str:
    """A UTC stamp as tasksafe stores `created`, `completed`, `start`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_stamp(value: str) -> datetime:
    """A stored stamp (UTC, `Z` or an offset) as an aware datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def wall(moment: datetime | date) -> str:
    """An instant (or a date) as a stored due-like value: local time; midnight is the date."""
    if not isinstance(moment, datetime):
        return moment.isoformat()
    local = moment.astimezone() if moment.tzinfo else moment
    if local.time() == time(0):
        return local.date().isoformat()
    return local.strftime("%Y-%m-%dT%H:%M")


def instant(value: str) -> datetime:
    """A stored due-like value (local wall clock) as an aware instant; a date is its midnight."""
    moment = datetime.fromisoformat(value) if len(value) > 10 else _midnight(value)
    return moment.astimezone() if moment.tzinfo is None else moment


def _midnight(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), time(0))


def priority_from_rank(rank: int) -> int:
    """RFC 5545's 1-9 (0 none) and todo.txt's A-Z as a position: 1-4 high, 5/0 medium, else low."""
    return 2 if rank in (0, 5) else 1 if rank < 5 else 3


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
