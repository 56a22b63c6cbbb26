"""Child-process workers for the integration tests: `python workers.py MODE ARGS...`.

Each worker is a separate tasksafe window in its own process. Workers that must start together
import everything first, touch a `ready` file, then wait for a `go` file (a start barrier).
Every line a worker prints is flushed at once: a line printed is a fact the test may rely on,
even if the worker is killed with SIGKILL right after.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.state import AppState  # noqa: E402
from core.storage.fsops import FileOps  # noqa: E402
from core.storage.lock import FileLock  # noqa: E402

_POLL = 0.002


def say(*words: object) -> None:
    """One line on stdout, flushed now: it must survive a SIGKILL that follows."""
    print(*words, flush=True)


def wait_for_file(path: str | Path, timeout: float = 30.0) -> None:
    """Block until `path` exists (a start barrier or a handshake)."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(_POLL)


def barrier(ready: str, go: str) -> None:
    Path(ready).touch()
    wait_for_file(go)


def add_many(path: str, count: str, prefix: str, ready: str, go: str) -> None:
    """Add `count` tasks named PREFIX-K after the barrier; print `id name` for each."""
    state = AppState(path, lock_timeout=60)
    barrier(ready, go)
    for k in range(int(count)):
        task = state.add_task(f"{prefix}-{k}")
        say(task.id, task.name)


def add_forever(path: str, prefix: str) -> None:
    """Add tasks until killed; print the id of each add as soon as it has returned."""
    state = AppState(path, lock_timeout=60)
    k = 0
    while True:
        say(state.add_task(f"{prefix}-{k}").id)
        k += 1


def stale_edit(path: str, task_id: str, new_name: str, ready: str, go: str) -> None:
    """Load, wait (the window goes stale while another changes the file), then rename a task."""
    state = AppState(path)
    state.load()
    barrier(ready, go)
    task = state.update_task(int(task_id), name=new_name)
    say(task.id, task.name)


def hold_lock(path: str) -> None:
    """Take the data file's writer lock and keep it until killed."""
    lock = FileLock(os.path.realpath(path) + ".lock", timeout=5)
    lock.acquire()
    say("locked", os.getpid())
    while True:
        signal.pause()


class _PauseInFsync(FileOps):
    """Real file operations that stop for good at the first fsync: the temp file is written."""

    def fsync(self, fd: int) -> None:
        say("paused")
        while True:
            signal.pause()


def pause_mid_save(path: str) -> None:
    """Start adding a task and stop inside the save, holding the lock, with the temp on disk."""
    AppState(path, ops=_PauseInFsync()).add_task("never saved")


MODES: dict[str, Callable[..., None]] = {
    "add-many": add_many,
    "add-forever": add_forever,
    "stale-edit": stale_edit,
    "hold-lock": hold_lock,
    "pause-mid-save": pause_mid_save,
}


def start(mode: str, *args: object) -> subprocess.Popen[str]:
    """Run a worker in a child process, its stdout a pipe of lines."""
    from tests.helpers import child_env

    return subprocess.Popen(
        [sys.executable, __file__, mode, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=child_env(Path(str(args[0])).parent if args else ROOT),
    )


def kill(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGKILL a worker (if still running) and return everything it printed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    return out, err


if __name__ == "__main__":
    MODES[sys.argv[1]](*sys.argv[2:])
