"""The bottom toolbar: data file, counts, last save or recovery, and changes made elsewhere."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.errors import AppError
from core.model import Task
from core.state import AppState
from core.vocabulary import clean_text

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples


def short_path(path: str) -> str:
    """The path with the home directory as `~`."""
    home = os.path.expanduser("~")
    full = os.path.abspath(path)
    return "~" + full[len(home) :] if full.startswith(home + os.sep) else full


class Toolbar:
    """Called by prompt_toolkit on every redraw (and every refresh_interval): must be cheap."""

    def __init__(self, state: AppState, status: Callable[[], str]) -> None:
        self.state = state
        self.status = status
        self._counted: list[Task] | None = None
        self._counts = (0, 0)

    def __call__(self) -> StyleAndTextTuples:
        parts: StyleAndTextTuples = [
            ("class:toolbar.file", f" {clean_text(short_path(self.state.path))} ")
        ]
        try:
            pending, done = self.counts()
            elsewhere = self.state.changed_elsewhere()
        except (AppError, OSError):
            return [*parts, ("class:toolbar.alert", " ✗ the file cannot be read ")]
        parts.append(("class:toolbar", f" {pending} pending · {done} done "))
        if self.status():
            parts.append(("class:toolbar.status", f" {self.status()} "))
        if elsewhere:
            parts.append(("class:toolbar.alert", " changed in another window: Enter reloads "))
        return parts

    def counts(self) -> tuple[int, int]:
        """(pending, done), recounted only when the state holds a new list of tasks."""
        tasks = self.state.tasks
        if tasks is not self._counted:
            done = sum(t.done for t in tasks)
            self._counted, self._counts = tasks, (len(tasks) - done, done)
        return self._counts
