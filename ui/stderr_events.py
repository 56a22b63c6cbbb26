"""Storage events off the REPL (one-shot commands, scripts): notices on stderr, one line each."""

from __future__ import annotations

import sys

from core.events import Event, InvalidRecords, LockWaiting, Recovered, Upgraded
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
            note(
                f"{event.path} was damaged ({event.reason}); restored {event.backup} "
                f"({event.task_count} tasks); the damaged file is kept as {event.corrupt_copy}"
            )
        elif isinstance(event, Upgraded):
            note(
                f"upgraded {event.path} to the tasksafe format; the original is kept as {event.legacy_copy}"
            )
        elif isinstance(event, InvalidRecords):
            note(
                f"{len(event.problems)} record(s) in {event.path} are not valid tasks; kept as they are (`doctor` lists them)"
            )


def note(text: str) -> None:
    """`tasksafe: TEXT` on stderr, control characters removed."""
    print(f"tasksafe: {clean_text(text)}", file=sys.stderr)
