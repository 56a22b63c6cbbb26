"""Recover the tasks a damaged file still holds: repair the JSON, find task-like objects, normalise.

Pure: bytes and the current records in, candidate records out. The JSON is repaired by json-repair,
a maintained library, instead of a home-made parser: on a 20-task file it recovered every task but
at most one (the one whose bytes were hit) for every single-byte flip tried.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from core.model import (
    OPTIONAL_FIELDS,
    STATUSES,
    InvalidRecord,
    Record,
    Task,
    is_iso_due,
    legacy_to_record,
)
from core.vocabulary import check_tag, clean_text, parse_priority


class SalvageError(ValueError):
    """Nothing could be read from the bytes at all; the message says why."""


class Candidate(Struct, frozen=True):
    """A task found in a damaged file, made valid; its id is allocated anew when it is added."""

    record: Record
    old_id: int | None  # the id it had in the damaged file, if that survived
    notes: tuple[str, ...] = ()  # what had to be fixed to make it a valid task

    def task(self) -> Task:
        """A typed view for display, under the id it had (0 when that was lost)."""
        return replace(Task.from_record({**self.record, "id": 1}), id=self.old_id or 0)


class Salvage(Struct, frozen=True):
    """What a damaged file holds, compared with the current file."""

    found: int  # distinct tasks found in the damaged file
    missing: list[Candidate]  # those the current file lacks
    present: int  # those the current file already has


def salvage(data: bytes, current: Sequence[Any]) -> Salvage:
    """The tasks in `data` (a damaged file) and which of them `current` lacks."""
    found = unique(c for c in map(normalise, task_like(repair(data))) if c is not None)
    missing = still_missing(found, current)
    return Salvage(len(found), missing, len(found) - len(missing))


def repair(data: bytes) -> Any:
    """The bytes as a JSON value, repaired as far as json-repair can; SalvageError if not at all."""
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff").replace("\x00", "")
    import json_repair  # only salvage needs it

    try:
        return json_repair.loads(text)
    except Exception as e:  # hostile bytes may break a parser in any way; none is a crash of ours
        raise SalvageError(f"json-repair could not read it ({type(e).__name__}: {e})") from None


def task_like(value: Any) -> list[Record]:
    """Objects with a name, anywhere in the value, in document order; not inside one another."""
    found: list[Record] = []
    stack = [value]
    while stack:  # iterative: a damaged file may nest deeper than the recursion limit
        item = stack.pop()
        if isinstance(item, dict):
            if _has_name(item):
                found.append(item)
            else:
                stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def _has_name(rec: Record) -> bool:
    name = rec.get("name")
    return isinstance(name, str) and bool(clean_text(name).strip())


def normalise(raw: Record) -> Candidate | None:
    """A valid task record from a task-like object, keeping every field that is still valid."""
    rec = legacy_to_record(raw)  # the original app's records: `tag` to `tags`, a derived uuid
    if not isinstance(rec, dict) or not _has_name(rec):
        return None
    old_id = rec.get("id") if type(rec.get("id")) is int and rec["id"] >= 1 else None
    out = dict(rec)
    notes: list[str] = []
    out["name"] = clean_text(rec["name"])
    out["uuid"] = _uuid(rec.get("uuid"), notes)
    for key, fix in _FIXES.items():
        if key in out:
            _fix_field(out, key, fix, notes)
    _drop_damaged_optional_fields(out, notes)
    if out.get("status") not in STATUSES:
        out["status"] = "done" if isinstance(out.get("completed"), str) else "pending"
        notes.append(f"status was damaged; set to {out['status']}")
    try:
        Task.from_record({**out, "id": 1})
    except InvalidRecord:  # pragma: no cover - every field was fixed above; be safe all the same
        return None
    return Candidate(out, old_id, tuple(notes))


def _drop_damaged_optional_fields(out: Record, notes: list[str]) -> None:
    """An optional field that is damaged is dropped (unset), as if never given."""
    for key in OPTIONAL_FIELDS:
        if key not in out:
            continue
        try:
            Task.from_record({"id": 1, "uuid": out["uuid"], "name": out["name"], key: out[key]})
        except InvalidRecord:
            notes.append(f"{key} was damaged ({out[key]!r:.30}); left unset")
            del out[key]


def _uuid(value: Any, notes: list[str]) -> str:
    if isinstance(value, str):
        try:
            uuidlib.UUID(value)
            return value  # as stored, so it still matches the same task elsewhere
        except ValueError:
            pass
    notes.append("its uuid was damaged; it gets a new one")
    return str(uuidlib.uuid4())


def _fix_field(out: Record, key: str, fix: Callable[[Any], Any], notes: list[str]) -> None:
    try:
        out[key] = fix(out[key])
    except (ValueError, TypeError):
        default = _DEFAULTS.get(key)
        notes.append(f"{key} was damaged ({out[key]!r:.30}); set to {default!r}")
        out[key] = default


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(value)
    return clean_text(value)


def _optional_text(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(value)
    return value


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise TypeError(value)
    tags: list[str] = []
    for tag in value:
        try:
            cleaned = check_tag(tag) if isinstance(tag, str) else None
        except ValueError:
            cleaned = None
        if cleaned and cleaned not in tags:
            tags.append(cleaned)
    return tags


def _due(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and is_iso_due(value)):
        return value
    raise ValueError(value)


_FIXES: dict[str, Callable[[Any], Any]] = {
    "description": _text,
    "comment": _text,
    "priority": parse_priority,
    "tags": _tags,
    "due": _due,
    "created": _optional_text,
    "modified": _optional_text,
    "completed": _optional_text,
}
_DEFAULTS: dict[str, Any] = {"description": "", "comment": "", "priority": 2, "tags": []}


def _identity(rec: Any) -> tuple[str, str] | None:
    """Name and creation time: the same task even when a damaged byte changed its uuid."""
    if not isinstance(rec, dict):
        return None
    name, created = rec.get("name"), rec.get("created")
    if isinstance(name, str) and isinstance(created, str):
        return clean_text(name), created
    return None


def unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Each task once (by uuid, and by name and creation time), the first kept."""
    kept: list[Candidate] = []
    uuids: set[str] = set()
    identities: set[tuple[str, str]] = set()
    for c in candidates:
        identity = _identity(c.record)
        if c.record["uuid"] in uuids or identity in identities:
            continue
        uuids.add(c.record["uuid"])
        if identity is not None:
            identities.add(identity)
        kept.append(c)
    return kept


def still_missing(candidates: Sequence[Candidate], records: Sequence[Any]) -> list[Candidate]:
    """The candidates `records` lacks, by uuid and by name and creation time."""
    missing = {id(r) for r in missing_records([c.record for c in candidates], records)}
    return [c for c in candidates if id(c.record) in missing]


def missing_records(records: Sequence[Record], current: Sequence[Any]) -> list[Record]:
    """The records `current` lacks, by uuid and by name and creation time (AppState.add_records)."""
    uuids = {r.get("uuid") for r in current if isinstance(r, dict)}
    identities = {i for i in map(_identity, current) if i is not None}
    return [r for r in records if r["uuid"] not in uuids and _identity(r) not in identities]
