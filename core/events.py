"""What storage reports while it works; the UI decides how to show it."""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct


class LockWaiting(Struct, frozen=True):
    path: str
    holder: str
    waited: float


class Saved(Struct, frozen=True):
    path: str
    task_count: int
    seconds: float


class Recovered(Struct, frozen=True):
    """The data file did not decode; it was quarantined and a backup restored."""

    path: str
    reason: str
    backup: str
    task_count: int
    corrupt_copy: str
    replayed: int = 0  # later steps of the history applied on top of the backup
    backup_saved_at: str | None = None  # when the backup's state was saved (UTC), if known
    unrecovered: str | None = None  # what could not be brought back, or None: nothing lost


class Upgraded(Struct, frozen=True):
    """A legacy list was written in the current format; its bytes stay as a backup."""

    path: str
    legacy_copy: str


class HistoryReset(Struct, frozen=True):
    """The history could not be used (damaged, or a newer format): kept aside, started afresh."""

    path: str
    kept_as: str


class InvalidRecords(Struct, frozen=True):
    """Records that are not valid tasks, kept verbatim: (position, id or None, why)."""

    path: str
    problems: tuple[tuple[int, object, str], ...]


Event = LockWaiting | Saved | Recovered | Upgraded | HistoryReset | InvalidRecords
EventSink = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The default sink."""
