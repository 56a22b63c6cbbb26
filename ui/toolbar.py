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

    def __init__(
        self, state: AppState, status: Callable[[], str], width: Callable[[], int] | None = None
    ) -> None:
        self.state = state
        self.status = status
        self.width = width or _terminal_width
        self._counted: list[Task] | None = None
        self._counts = (0, 0)

    def __call__(self) -> StyleAndTextTuples:
        path = clean_text(short_path(self.state.path))
        try:
            pending, done = self.counts()
            elsewhere = self.state.changed_elsewhere()
        except (AppError, OSError):
            return [("class:toolbar.file", f" {path} "), ("class:toolbar.alert", ALERT_UNREADABLE)]
        # Counts of a file another window has changed are known to be stale: not shown.
        middle = ALERT_ELSEWHERE if elsewhere else f"{pending} pending · {done} done"
        style = "class:toolbar.alert" if elsewhere else "class:toolbar"
        status = clean_text(self.status())
        # One line in any width: the status is cut first, then the path from its left end.
        room = self.width() - len(middle) - 4 - (len(status) + 2 if status else 0)
        if room < min(len(path), 12) and status:
            status = _cut(status, max(len(status) + room - min(len(path), 12), 0))
            room = self.width() - len(middle) - 4 - (len(status) + 2 if status else 0)
        parts: StyleAndTextTuples = [
            ("class:toolbar.file", f" {_cut_left(path, max(room, 1))} "),
            (style, f" {middle} "),
        ]
        if status:
            parts.append(("class:toolbar.status", f" {status} "))
        return parts

    def counts(self) -> tuple[int, int]:
        """(pending, done), recounted only when the state holds a new list of tasks."""
        tasks = self.state.tasks
        if tasks is not self._counted:
            done = sum(t.done for t in tasks)
            self._counted, self._counts = tasks, (len(tasks) - done, done)
        return self._counts


ALERT_ELSEWHERE = "changed in another window: Enter reloads"
ALERT_UNREADABLE = " ✗ the file cannot be read "


def _terminal_width() -> int:
    from prompt_toolkit.application.current import get_app_or_none

    app = get_app_or_none()
    return app.output.get_size().columns if app is not None else 80


def _cut(text: str, width: int) -> str:
    """The text cut to `width` with `…` (nothing at all when there is no room for a letter)."""
    if len(text) <= width:
        return text
    return text[: width - 1] + "…" if width > 1 else ""


def _cut_left(text: str, width: int) -> str:
    """A path cut from its left end, which says least: `…/notes/tasks.json`."""
    if len(text) <= width:
        return text
    return "…" + text[len(text) - width + 1 :] if width > 1 else "…"
