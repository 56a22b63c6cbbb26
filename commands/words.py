"""Attribute words typed inline (`add pay rent due:1st recur:monthly p1`): read into the fields
`add` and `modify` save, and said back in the confirmation, so a surprise is visible at once.

The words themselves are core.vocabulary's (`parse_entry`); this module only joins them with the
options of `add` and `edit` and words the result for a person: `p1 · #errands · due tomorrow
(Wed 2026-12-02)`. Plain text, no Rich: the one-shot `add` path imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from msgspec import Struct, field

from core.errors import InvalidValueError
from core.vocabulary import DEFAULT_PRIORITY, Entry, Taken, WordError, apply_tags, check_tags

WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The order a confirmation says the attributes in, whatever order they were typed in.
PART_ORDER = (
    *("priority", "tags_add", "tags_remove", "project", "due", "wait", "scheduled", "until"),
    *("recur", "depends", "depends_remove", "parent"),
)
DATE_LABELS = {"due": "due", "wait": "waits until", "scheduled": "scheduled", "until": "until"}


def read_entry(words: Sequence[str], now: datetime, mode: str = "add") -> Entry:
    """parse_entry, its WordError as the one line an invalid value gets (exit 1)."""
    from core.vocabulary import parse_entry

    try:
        return parse_entry(words, now, mode)
    except WordError as e:
        raise InvalidValueError(str(e)) from None


def option_tags(values: Iterable[str]) -> list[str]:
    """Tags given with -t: `-t a,b` is two tags, each checked as every tag is."""
    try:
        return check_tags(t for value in values for t in value.split(",") if t.strip())
    except ValueError as e:
        raise InvalidValueError(str(e)) from None


def day_label(value: str) -> str:
    """A stored date as `Wed 2026-12-02` (`Fri 2026-12-04 18:00` with a time)."""
    day = date.fromisoformat(value[:10])
    text = f"{WEEKDAY_LABELS[day.weekday()]} {day.isoformat()}"
    return f"{text} {value[11:16]}" if len(value) > 10 else text


def when_label(value: str, now: datetime, day_first: bool = False) -> str:
    """`tomorrow (Wed 2026-12-02)`, or `Wed 2026-12-02 (tomorrow)`; a far date only once."""
    from core.dates import describe_due

    words, _ = describe_due(value, now)
    if words.startswith(value[:10]):
        return day_label(value)
    return f"{day_label(value)} ({words})" if day_first else f"{words} ({day_label(value)})"


def entry_parts(entry: Entry, now: datetime) -> tuple[str, ...]:
    """What was read from the words, in PART_ORDER: `p1`, `#errands`, `due tomorrow (Wed ...)`."""
    parts: list[str] = []
    for name in PART_ORDER:
        taken = [t for t in entry.taken if t.field == name]
        if name in ("depends", "depends_remove"):
            parts.extend(_depends_parts(name, taken))
        elif name in ("tags_add", "tags_remove"):
            parts.extend(t.label for t in taken)
        else:
            parts.extend(_part(t, now) for t in taken)
    return tuple(parts)


def _part(taken: Taken, now: datetime) -> str:
    if taken.value is None:
        return f"no {taken.field}"
    if taken.field in DATE_LABELS:
        when = when_label(str(taken.value), now, day_first=taken.field != "due")
        return f"{DATE_LABELS[taken.field]} {when}"
    if taken.field == "recur":
        return f"recurs {taken.value}"
    return taken.label


def _depends_parts(name: str, taken: list[Taken]) -> list[str]:
    parts = ["no dependencies"] if any(t.value is None for t in taken) else []
    ids = ", ".join(str(t.value) for t in taken if t.value is not None)
    if ids:
        parts.append(f"depends on {ids}" if name == "depends" else f"no longer depends on {ids}")
    return parts


def add_fields(
    entry: Entry, tags: Sequence[str] = (), description: str = "", comment: str = ""
) -> dict[str, Any]:
    """AppState.add_task's keyword arguments for the words of `add` and its options."""
    fields: dict[str, Any] = dict(
        name=entry.name,
        priority=entry.priority or DEFAULT_PRIORITY,
        tags=apply_tags(entry.tags_add, tags),
        description=description,
        comment=comment,
    )
    for key in ("due", "project", "wait", "scheduled", "recur", "until", "parent"):
        value = getattr(entry, key)
        if value is not None:
            fields[key] = value
    if entry.depends:
        fields["depends"] = list(entry.depends)
    return fields


class Modification(Struct, frozen=True):
    """AppState.modify_many's arguments for `modify`'s change words."""

    changes: dict[str, Any] = field(default_factory=dict)
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    add_depends: tuple[int, ...] = ()
    remove_depends: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.changes
            or self.add_tags
            or self.remove_tags
            or self.add_depends
            or self.remove_depends
        )


def modification(entry: Entry) -> Modification:
    """The changes `modify` makes: `depends:` alone clears the list (then `depends:3` refills it)."""
    changes = dict(entry.changes)
    if entry.parent is not None or "parent" in entry.cleared:
        changes["parent"] = entry.parent
    add_depends, remove_depends = entry.depends, entry.depends_remove
    if "depends" in entry.cleared:
        changes["depends"] = list(entry.depends)
        add_depends, remove_depends = (), ()
    return Modification(changes, entry.tags_add, entry.tags_remove, add_depends, remove_depends)
