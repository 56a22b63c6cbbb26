"""The AppState a Settings names; the per-user list keeps itself private.

Its directory is made (0700) by the first change, never by a command that only reads, and a file
created there is 0600: one list per user, readable by that user alone (issue 14).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

from core.config import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, Settings
from core.errors import storage_error
from core.events import EventSink, ignore
from core.state import AppState, Journal

T = TypeVar("T")


def open_state(settings: Settings, on_event: EventSink = ignore) -> AppState:
    """An AppState on the settings' data file (nothing is read until a command needs it)."""
    args = (settings.path, settings.lock_timeout, settings.backup_count, on_event)
    if not settings.per_user:
        return AppState(*args)
    state = PerUserState(*args)
    state.new_file_mode = settings.new_file_mode or PRIVATE_FILE_MODE
    return state


class PerUserState(AppState):
    """Every change goes through transact (CLAUDE.md), so the directory appears with the first one."""

    new_file_mode = PRIVATE_FILE_MODE

    def transact(self, label: str, mutate: Callable[[Journal], T], *args: Any, **kwargs: Any) -> T:
        make_private_directory(self.files.directory)
        created = self.files.signature() is None
        result = super().transact(label, mutate, *args, **kwargs)
        if created:
            # The storage code gives a new file 0o666 & ~umask; in the 0700 directory no one else
            # could reach it meanwhile. Until SafeFileManager takes a new-file mode, set it here.
            keep_private(self.files.real_path, self.new_file_mode)
        return result


def make_private_directory(directory: str) -> None:
    """`mkdir -p` with the last directory 0700 (parents as the umask says, like ~/.local/share)."""
    try:
        os.makedirs(directory, PRIVATE_DIR_MODE, exist_ok=True)
    except OSError as e:
        raise storage_error(e, f"cannot create {directory} for the task list") from e


def keep_private(path: str, mode: int) -> None:
    # The change is saved: failing now would invite the user to make it twice.
    with suppress(OSError):
        os.chmod(path, mode)
