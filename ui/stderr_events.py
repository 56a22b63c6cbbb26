"""Storage events off the REPL (one-shot commands, scripts): notices on stderr, one line each."""

from __future__ import annotations

import sys

from core.events import Event, HistoryReset, InvalidRecords, LockWaiting, Recovered, Upgraded
from core.vocabulary import clean_text


class StderrEvents:
    """Notices on stderr, so --json output on stdout stays clean; a lock wait is said once."""

    def __init__(self) -> None:
        self.waiting_reported = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, LockWaiting) and not self.waiting_reported:
            self.waiting_reported = True
            note(f"waiting for {event.path}, held by {event.holder}")
        elif isinstance(event, Recovered):
            lost = (
                f"; NOT recovered: {event.unrecovered} (see `doctor --salvage`)"
                if event.unrecovered
                else ""
            )
            note(
                f"{event.path} was damaged ({event.reason}); restored {event.backup} "
                f"({recovery_summary(event)}){lost}; the damaged file is kept as "
                f"{event.corrupt_copy}"
            )
        elif isinstance(event, Upgraded):
            note(
                f"upgraded {event.path} to the tasksafe format; the original is kept as {event.legacy_copy}"
            )
        elif isinstance(event, HistoryReset):
            note(history_reset_text(event))
        elif isinstance(event, InvalidRecords):
            note(
                f"{len(event.problems)} record(s) in {event.path} are not valid tasks; kept as they are (`doctor` lists them)"
            )


def history_reset_text(event: HistoryReset) -> str:
    return (
        f"the change history of {event.path} could not be used; it is kept as {event.kept_as} "
        "and a new one was started (the tasks are not affected)"
    )


def note(text: str) -> None:
    """`tasksafe: TEXT` on stderr, control characters removed."""
    print(f"tasksafe: {clean_text(text)}", file=sys.stderr)


def recovery_summary(event: Recovered) -> str:
    """`saved 2026-12-01 12:00 UTC, + 3 later steps replayed: 12 tasks`."""
    parts = []
    if event.backup_saved_at:
        parts.append(f"saved {event.backup_saved_at.replace('T', ' ').removesuffix('Z')} UTC")
    if event.replayed:
        parts.append(f"+ {event.replayed} later step(s) from the history")
    parts.append(f"{event.task_count} tasks")
    return ", ".join(parts)
