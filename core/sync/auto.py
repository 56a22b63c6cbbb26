"""Background sync for the REPL (TASKS_SYNC=auto): after changes (debounced) and every few
minutes, on a thread of its own, so the prompt never waits on the network.

The thread syncs through its own AppState: to the window it is another window (its lock is taken
on its own file descriptor), so the window sees the merge as `↻ ... changed` like any other.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.errors import AppError
from core.state import AppState
from core.sync.git import SyncResult

DEBOUNCE = 5.0  # seconds after the last change
PERIOD = 300.0  # and every five minutes


class AutoSync:
    """Syncs `path` in the background; `describe()` is the toolbar's words for how it went."""

    def __init__(
        self,
        path: str,
        debounce: float = DEBOUNCE,
        period: float = PERIOD,
        lock_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.debounce, self.period, self.clock = debounce, period, clock
        self.lock_timeout = lock_timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._due = clock()  # the first sync right away
        self.last_ok: float | None = None
        self.last_error = ""
        self.last_result: SyncResult | None = None
        self.running = False
        self._thread = threading.Thread(target=self._loop, name="tasksafe-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def poke(self) -> None:
        """A change was saved: sync once changes have paused for `debounce` seconds."""
        self._due = self.clock() + self.debounce
        self._wake.set()

    def describe(self, now: float | None = None) -> str:
        now = self.clock() if now is None else now
        if self.running:
            return "syncing…"
        if self.last_error:
            return f"sync failed: {self.last_error}"
        if self.last_ok is None:
            return ""
        minutes = int((now - self.last_ok) // 60)
        return "synced just now" if minutes < 1 else f"synced {minutes} min ago"

    def sync_now(self) -> None:
        """One sync, its outcome kept for describe(); never raises an AppError."""
        from core.sync.run import sync

        self.running = True
        try:
            self.last_result = sync(AppState(self.path, lock_timeout=self.lock_timeout))
            self.last_ok, self.last_error = self.clock(), ""
        except AppError as e:
            self.last_error = _line(e)
        finally:
            self.running = False

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self._due - self.clock()
            if wait > 0:
                self._wake.wait(timeout=wait)
                self._wake.clear()
                continue
            self._due = self.clock() + self.period
            try:
                self.sync_now()
            except Exception as e:  # a bug must not end the thread silently: say it
                self.last_error = f"unexpected {type(e).__name__}: {e}"


def _line(error: AppError) -> str:
    """The toolbar's words for a failed sync: git's own line for a git failure."""
    from core.sync.git import GitFailed

    text = f"git {error.what}: {error.last_line}" if isinstance(error, GitFailed) else str(error)
    return " ".join(text.split())  # one line, whatever git printed
