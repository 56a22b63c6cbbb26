"""The AppState a Settings names; the per-user list keeps itself private.

Its directory is made (0700) by the first change, never by a command that only reads, and a file
created there is 0600: one list per user, readable by that user alone (issue 14).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from core.config import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, Settings
from core.errors import storage_error
from core.events import EventSink, ignore
from core.file_safety import BackupTiers
from core.journal import Journal
from core.state import AppState

T = TypeVar("T")


def open_state(settings: Settings, on_event: EventSink = ignore) -> AppState:
    """An AppState on the settings' data file (nothing is read until a command needs it)."""
    tiers = BackupTiers(*settings.backup_tiers)
    kind = PerUserState if settings.per_user else AppState
    state = kind(settings.path, settings.lock_timeout, settings.backup_count, on_event, tiers=tiers)
    state.files.history_days = settings.history_days
    if settings.per_user:
        state.files.new_file_mode = settings.new_file_mode or PRIVATE_FILE_MODE
    return state


class PerUserState(AppState):
    """Every change goes through transact (CLAUDE.md), so the directory appears with the first one."""

    def transact(self, label: str, mutate: Callable[[Journal], T], *args: Any, **kwargs: Any) -> T:
        make_private_directory(self.files.directory)
        return super().transact(label, mutate, *args, **kwargs)


def make_private_directory(directory: str) -> None:
    """`mkdir -p` with the last directory 0700 (parents as the umask says, like ~/.local/share)."""
    try:
        os.makedirs(directory, PRIVATE_DIR_MODE, exist_ok=True)
    except OSError as e:
        raise storage_error(e, f"cannot create {directory} for the task list") from e
