"""Reading the history back (pure): what each step changed, one task's versions, past states.

`log` shows steps with a short summary; `history ID` shows every version of one task; `restore
--at WHEN` rebuilds the file as it was after the last step at or before WHEN, by taking back the
later steps one by one (their `before` records) from the current state. Moments are compared as
UTC times from the history's own clock, never file mtimes, so this works under `faketime`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from msgspec import Struct

from core.storage.history import Edit, Entry
from core.undo import BOOKKEEPING, undone_steps

_AGO = re.compile(r"(\d+)\s*(minute|min|hour|h|day|d|week|w)s?\s+ago", re.IGNORECASE)
_UNITS = {"minute": 60, "min": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400}
_UNITS |= {"week": 604800, "w": 604800}
_SHOWN = 40  # characters of a value in a summary


class FieldChange(Struct, frozen=True):
    """One field of one task changed by one step."""

    field: str
    before: Any
    after: Any


class TaskChange(Struct, frozen=True):
    """What one step did to one task: added, deleted, or which fields changed."""

    uuid: str
    task_id: Any
    name: str
    kind: str  # "added", "deleted", "changed"
    fields: tuple[FieldChange, ...] = ()


class Step(Struct, frozen=True):
    """One step as `log` shows it."""

    entry: Entry
    tasks: tuple[TaskChange, ...]
    undone: bool

    def summary(self) -> str:
        """`+2 added`, `name of 5: "a" → "b"`, `-1 deleted`, `status of 3, 4`."""
        added = sum(t.kind == "added" for t in self.tasks)
        deleted = sum(t.kind == "deleted" for t in self.tasks)
        changed = [t for t in self.tasks if t.kind == "changed"]
        parts = [f"+{added} added"] if added else []
        parts += [f"-{deleted} deleted"] if deleted else []
        if len(changed) == 1 and len(changed[0].fields) == 1:
            (f,) = changed[0].fields
            parts.append(
                f"{f.field} of {changed[0].task_id}: {_shown(f.before)} → {_shown(f.after)}"
            )
        elif changed:
            fields = ", ".join(dict.fromkeys(f.field for t in changed for f in t.fields))
            parts.append(f"{fields} of {', '.join(str(t.task_id) for t in changed[:5])}")
        return "; ".join(parts) or "no change"


def steps(entries: Sequence[Entry]) -> list[Step]:
    """Every step, newest first, with what it did to each task."""
    undone = undone_steps(entries)
    return [
        Step(e, tuple(task_change(edit) for edit in e.edits), e.step in undone)
        for e in sorted(entries, key=lambda e: -e.step)
    ]


def task_change(edit: Edit) -> TaskChange:
    uuid, before, after = edit
    rec = after if after is not None else before or {}
    name = str(rec.get("name", ""))
    if before is None:
        return TaskChange(uuid, rec.get("id"), name, "added")
    if after is None:
        return TaskChange(uuid, rec.get("id"), name, "deleted")
    keys = [k for k in dict.fromkeys([*before, *after]) if k not in BOOKKEEPING]
    fields = tuple(
        FieldChange(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)
    )
    return TaskChange(uuid, rec.get("id"), name, "changed", fields)


def versions_of(entries: Iterable[Entry], uuid: str) -> list[tuple[Entry, TaskChange]]:
    """Every step that touched one task, oldest first."""
    return [
        (e, task_change(edit))
        for e in sorted(entries, key=lambda e: e.step)
        for edit in e.edits
        if edit[0] == uuid
    ]


def step_at(entries: Sequence[Entry], moment: datetime) -> int:
    """The last step made at or before `moment` (UTC); 0 if none was."""
    wanted = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return max((e.step for e in entries if e.at and e.at <= wanted), default=0)


def state_at(records: list[Any], entries: Sequence[Entry], file_step: int, step: int) -> list[Any]:
    """The records as they were after `step`, from the current ones (after `file_step`).

    Raises ValueError when the history lacks a step between them.
    """
    later = {e.step: e for e in entries if step < e.step <= file_step}
    missing = [s for s in range(step + 1, file_step + 1) if s not in later]
    if missing:
        raise ValueError(f"the history lacks step {missing[0]}, so step {step} cannot be rebuilt")
    out = list(records)
    for s in range(file_step, step, -1):
        out = _take_back(out, later[s])
    return out


def _take_back(records: list[Any], entry: Entry) -> list[Any]:
    at = {r.get("uuid"): i for i, r in enumerate(records) if isinstance(r, dict)}
    out = list(records)
    gone = set()
    for uuid, before, _ in reversed(entry.edits):
        if uuid in at and before is None:
            gone.add(at[uuid])
        elif uuid in at:
            out[at[uuid]] = before
        elif before is not None:
            at[uuid] = len(out)
            out.append(before)
    return [r for i, r in enumerate(out) if i not in gone]


def parse_moment(text: str, now: datetime) -> datetime | int:
    """`step 40` (an int), `2 hours ago`, `yesterday 18:00`, `2026-11-30 18:00` (local)."""
    words = text.strip().lower()
    if words.startswith("step"):
        number = words.removeprefix("step").strip()
        if number.isdigit():
            return int(number)
    found = _AGO.fullmatch(words)
    if found:
        return now - timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2)])
    local = now.astimezone()
    day, _, clock = words.partition(" ")
    base = {"today": local.date(), "yesterday": local.date() - timedelta(days=1)}.get(day)
    try:
        if base is not None:
            at = datetime.strptime(clock, "%H:%M").time() if clock else None
            wall = datetime.combine(base, at) if at else datetime.combine(base, datetime.max.time())
            return wall.replace(microsecond=0, tzinfo=local.tzinfo)
        moment = datetime.fromisoformat(words.replace(" ", "T"))
    except ValueError:
        raise ValueError(
            f"not a moment: {text!r}; try `step 40`, `2 hours ago`, `yesterday 18:00` "
            "or `2026-11-30 18:00`"
        ) from None
    if len(words) == 10:  # a date alone: the end of that day
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo else moment.replace(tzinfo=local.tzinfo)


def _shown(value: Any) -> str:
    text = "—" if value is None else f'"{value}"' if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
