"""Storage events as the REPL shows them: a spinner while waiting, a panel on recovery, a green save."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.panel import Panel
from rich.text import Text

from core.errors import AppError, FileLockTimeoutError
from core.events import (
    Event,
    HistoryReset,
    InvalidRecords,
    LockWaiting,
    Recovered,
    Saved,
    Upgraded,
)
from core.state import Changes
from core.vocabulary import clean_text
from ui.stderr_events import history_reset_text, recovery_summary

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status

_CHANGE_WORDS = (
    ("added", "added"),
    ("completed", "completed"),
    ("reopened", "reopened"),
    ("edited", "edited"),
    ("removed", "deleted"),
)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def describe_changes(changes: Changes) -> str:
    """`↻ 2 added, 1 completed in another window` (`↻ 3 changed by sync (...)` when only syncs
    wrote since); empty when nothing a user would notice changed."""
    parts = [f"{n} {word}" for attr, word in _CHANGE_WORDS if (n := getattr(changes, attr))]
    if not parts:
        return ""
    if changes.by == "sync":  # the other machine's changes, merged in by a sync step
        return f"↻ {changes.total} changed by sync ({', '.join(parts)})"
    return f"↻ {', '.join(parts)} in another window"


def error_text(error: AppError) -> Text:
    """One red line for an error the user can act on."""
    if isinstance(error, FileLockTimeoutError):
        return Text(
            f"✗ nothing was saved: {clean_text(error.path)} is held by {clean_text(error.holder)} "
            f"(waited {error.waited:.1f} s). Finish or close that window and try again, "
            "or start tasksafe with a longer --lock-timeout.",
            style="bold red",
        )
    return Text(f"✗ {clean_text(str(error))}", style="bold red")


def recovery_panel(event: Recovered) -> Panel:
    """What happened when the file did not decode: the backup used and where the damage is kept."""
    body = Text()
    body.append(f"{clean_text(event.path)} could not be read: {clean_text(event.reason)}\n")
    body.append("restored from ")
    body.append(clean_text(event.backup), style="bold")
    body.append(f" ({recovery_summary(event)})\n")
    if event.unrecovered:
        body.append(f"not recovered: {clean_text(event.unrecovered)}", style="bold red")
        body.append(" (`doctor --salvage` finds what the damaged file still holds)\n")
    body.append("the damaged file is kept as ")
    body.append(clean_text(event.corrupt_copy), style="bold")
    return Panel(body, title="recovered from a backup", title_align="left", border_style="yellow")


class ReplEvents:
    """The REPL's event sink; also remembers the last save or recovery for the toolbar."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.status = ""
        self._spinner: Status | None = None
        self._saved: Saved | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, LockWaiting):
            self._waiting(event)
            return
        self._stop_spinner()
        if isinstance(event, Saved):
            self._saved = event
            self.status = f"saved {time.strftime('%H:%M:%S')}"
        elif isinstance(event, Recovered):
            self.console.print(recovery_panel(event))
            self.status = f"recovered from {event.backup} {time.strftime('%H:%M:%S')}"
        elif isinstance(event, Upgraded):
            self._note(
                f"upgraded to the tasksafe format; the original is kept as {event.legacy_copy}"
            )
        elif isinstance(event, HistoryReset):
            self._note(history_reset_text(event))
        elif isinstance(event, InvalidRecords):  # AppState says it once per distinct set
            count = len(event.problems)
            self._note(
                f"{count} record(s) are not valid tasks; kept as they are (`doctor` lists them)"
            )

    def finish(self) -> None:
        """A command ended: stop any spinner and confirm its save."""
        self._stop_spinner()
        if self._saved is not None:
            saved, self._saved = self._saved, None
            self.console.print(
                Text(
                    f"  saved {clean_text(saved.path)} · {plural(saved.task_count, 'task')} · "
                    f"{saved.seconds * 1000:.0f} ms",
                    style="green",
                )
            )

    def _waiting(self, event: LockWaiting) -> None:
        text = Text(
            f"waiting for {clean_text(event.path)}, held by {clean_text(event.holder)} "
            f"(waited {event.waited:.1f} s; Ctrl-C gives up)"
        )
        if self._spinner is None:
            self._spinner = self.console.status(text)
            self._spinner.start()
        else:
            self._spinner.update(text)

    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            spinner, self._spinner = self._spinner, None
            spinner.stop()

    def _note(self, text: str) -> None:
        self.console.print(Text(f"! {clean_text(text)}", style="yellow"))
