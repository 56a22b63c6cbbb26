"""The writer lock: a dedicated `<file>.lock`, exclusive, non-blocking, polled until a timeout.

The lock file is never replaced or deleted, so the lock always means the same inode; locking the
data file itself (as the original plan did) stops excluding once that file is replaced.
On POSIX we call fcntl.flock directly, the same call portalocker makes there: importing portalocker
costs 85 ms (importlib.metadata in its __about__), most of a one-shot command's budget. On Windows
portalocker (msvcrt) takes the lock.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from core.errors import FileLockTimeoutError, storage_error

# Polling starts fast (a save at 1k tasks takes ~2 ms) and backs off to stay cheap while waiting.
_FIRST_POLL = 0.001
_MAX_POLL = 0.005  # short: a window polling slowly starves behind a busy writer
_WAIT_REPORT_EVERY = 0.1

OnWait = Callable[[str, float], None]


def try_lock(fd: int) -> bool:
    """Take the exclusive lock without blocking; False when another process holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import portalocker

        try:
            portalocker.lock(_win_handle(fd), portalocker.LOCK_EX | portalocker.LOCK_NB)
        except portalocker.LockException:
            _WIN_HANDLES.pop(fd).close()  # only held locks keep a handle
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import portalocker

        handle = _win_handle(fd)
        try:
            portalocker.unlock(handle)
        finally:
            del _WIN_HANDLES[fd]
            handle.close()  # closefd=False: the descriptor stays the caller's to close
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


# Windows locks belong to a file handle: lock and unlock must go through the same object.
_WIN_HANDLES: dict[int, Any] = {}


def _win_handle(fd: int) -> Any:  # pragma: no cover
    if fd not in _WIN_HANDLES:
        _WIN_HANDLES[fd] = os.fdopen(fd, "rb", closefd=False)
    return _WIN_HANDLES[fd]


def holder_info() -> dict[str, Any]:
    """Who we are, written into the lock file so a waiting window can name us."""
    return {
        "pid": os.getpid(),
        "host": platform.node(),
        "command": " ".join([os.path.basename(sys.argv[0] or "python"), *sys.argv[1:]])[:200],
        "since": time.time(),
    }


def describe_holder(lock_path: str) -> str:
    """'pid 4242 `python main.py` on host, for 1.2 s' from the lock file, or 'another process'."""
    try:
        with open(lock_path, "rb") as f:
            info = json.loads(f.read(4096) or b"{}")
        held = time.time() - float(info["since"])
        return f"pid {info['pid']} `{info['command']}` on {info['host']}, for {held:.1f} s"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


class FileLock:
    """Exclusive writer lock on `lock_path`; a context manager."""

    def __init__(self, lock_path: str, timeout: float, on_wait: OnWait | None = None) -> None:
        self.lock_path = lock_path
        self.timeout = timeout
        self.on_wait = on_wait
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = _open_lock_file(self.lock_path)
        try:
            self._wait_for(fd)
            _write_holder(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _wait_for(self, fd: int) -> None:
        start = time.monotonic()
        poll = _FIRST_POLL
        next_report = start + _WAIT_REPORT_EVERY
        while not try_lock(fd):
            now = time.monotonic()
            waited = now - start
            if waited >= self.timeout:
                raise FileLockTimeoutError(
                    self.lock_path.removesuffix(".lock"), waited, describe_holder(self.lock_path)
                )
            if self.on_wait is not None and now >= next_report:
                self.on_wait(describe_holder(self.lock_path), waited)
                next_report = now + _WAIT_REPORT_EVERY
            time.sleep(min(poll, max(self.timeout - waited, 0.0)))
            poll = min(poll * 2, _MAX_POLL)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _open_lock_file(lock_path: str) -> int:
    try:
        return os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as e:
        raise storage_error(e, f"cannot take the lock {lock_path}") from e


def _write_holder(fd: int) -> None:
    # Best effort: the holder's name helps a waiting window but the lock does not depend on it.
    try:
        data = json.dumps(holder_info()).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0) if hasattr(os, "pwrite") else os.write(fd, data)
    except OSError:
        pass
