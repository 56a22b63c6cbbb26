"""The writer lock: a dedicated `<file>.lock`, exclusive, non-blocking, polled until a timeout.

tasksafe never replaces or deletes the lock file, so the lock always means the same inode; locking
the data file itself (as the original plan did) stops excluding once that file is replaced.
Another program may still delete or replace it (a cleanup script, a sync tool, `git clean`); the next
writer then locks a new inode and both write (measured: 46 of 98 acknowledged adds lost, issue 16).
So a lock counts only while the path still names the locked inode: checked after flock, and again
by `still_ours()` just before a save replaces the data file.

On POSIX we call fcntl.flock directly, the same call portalocker makes there: importing portalocker
costs 85 ms (importlib.metadata in its __about__), most of a one-shot command's budget. On Windows
portalocker (msvcrt) takes the lock.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import msgspec

from core.errors import (
    FileLockTimeoutError,
    LockFileNotRegularError,
    LockLostError,
    LocksUnsupportedError,
    storage_error,
)
from core.storage.reading import file_kind

# Polling starts fast (a save at 1k tasks takes ~2 ms) and backs off to stay cheap while waiting.
_FIRST_POLL = 0.001
_MAX_POLL = 0.005  # short: a window polling slowly starves behind a busy writer
_WAIT_REPORT_EVERY = 0.1

OnWait = Callable[[str, float], None]

# O_NOFOLLOW: a symlinked lock file once made us overwrite the data file it pointed to (issue 16).
# O_NONBLOCK: a FIFO or a device named .lock opens at once, to be refused, instead of hanging.
# Never O_TRUNC: a lock file is only written once it is locked (its holder's line is in it).
_OPEN_FLAGS = (
    os.O_RDWR
    | os.O_CREAT
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# What flock says on a file system that cannot lock (NFS without lockd, some FUSE mounts).
_NO_LOCKS = frozenset(
    getattr(errno, name)
    for name in ("ENOLCK", "EOPNOTSUPP", "ENOTSUP", "ENOSYS")
    if hasattr(errno, name)
)


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
        "host": host_name(),
        "command": " ".join([os.path.basename(sys.argv[0] or "python"), *sys.argv[1:]])[:200],
        "since": time.time(),
    }


def host_name() -> str:
    """This machine's name, as platform.node() says it (whose import costs 1 ms of every save)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import platform  # pragma: no cover - Windows

    return platform.node()  # pragma: no cover


def describe_holder(lock_path: str) -> str:
    """'pid 4242 `python main.py` on host, for 1.2 s' from the lock file, or 'another process'."""
    try:
        info = msgspec.json.decode(_read_lock_file(lock_path) or b"{}")
        held = time.time() - float(info["since"])
        if info["host"] == host_name() and not _alive(int(info["pid"])):
            # Issue 13: a record left by a holder that died (or by a version that did not clear
            # it) would blame a process that is gone; the lock is held by someone else.
            return "another process"
        return f"pid {info['pid']} `{info['command']}` on {info['host']}, for {held:.1f} s"
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        return "another process"


def _alive(pid: int) -> bool:
    """Whether a process `pid` runs on this host (signal 0 checks without sending anything)."""
    if os.name != "posix":  # pragma: no cover - os.kill would end the process on Windows
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _read_lock_file(lock_path: str) -> bytes:
    """The start of a regular lock file; never through a link, never waiting on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(lock_path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, 4096)
    finally:
        os.close(fd)


class FileLock:
    """Exclusive writer lock on `lock_path`; a context manager."""

    def __init__(
        self,
        lock_path: str,
        timeout: float,
        on_wait: OnWait | None = None,
        owner: tuple[int, int] | None = None,
    ) -> None:
        self.lock_path = lock_path
        self.timeout = timeout
        self.on_wait = on_wait
        # Who the lock file should belong to (the data file's owner): a lock file that root
        # created for a user's list would otherwise lock that user out (issue 16).
        self.owner = owner
        self._fd: int | None = None

    @property
    def data_path(self) -> str:
        return self.lock_path.removesuffix(".lock")

    def acquire(self) -> None:
        start = time.monotonic()
        while True:
            fd = _open_lock_file(self.lock_path)
            try:
                self._wait_for(fd, start)
                if _names(self.lock_path, fd):
                    self._give_to_owner(fd)
                    _write_holder(fd)  # only now: never write into a lock file we do not hold
                    self._fd = fd
                    return
            except BaseException:
                os.close(fd)
                raise
            # Removed or replaced since we opened it: its lock excludes nobody. Lock the new one.
            _unlock_and_close(fd)
            if time.monotonic() - start > self.timeout:
                raise self._timeout(time.monotonic() - start)

    def _give_to_owner(self, fd: int) -> None:
        if self.owner is None or sys.platform == "win32":
            return
        st = os.fstat(fd)
        if (st.st_uid, st.st_gid) != self.owner:
            with suppress(OSError):  # only root may give a file away; then it must
                os.fchown(fd, *self.owner)

    def still_ours(self) -> bool:
        """Whether the lock is held and `lock_path` still names the locked file.

        False once another program removed or replaced the lock file: a newcomer may then hold
        the lock on the new file, so a save must not replace the data file (see `verify`).
        """
        return self._fd is not None and _names(self.lock_path, self._fd)

    def verify(self, path: str | None = None) -> None:
        """Raise LockLostError (naming `path`, or the data file) unless `still_ours()`."""
        if not self.still_ours():
            raise LockLostError(path or self.data_path, self.lock_path)

    def _wait_for(self, fd: int, start: float) -> None:
        poll = _FIRST_POLL
        next_report = start + _WAIT_REPORT_EVERY
        while not self._try_lock(fd):
            now = time.monotonic()
            waited = now - start
            if waited >= self.timeout:
                raise self._timeout(waited)
            if self.on_wait is not None and now >= next_report:
                self.on_wait(describe_holder(self.lock_path), waited)
                next_report = now + _WAIT_REPORT_EVERY
            time.sleep(min(poll, max(self.timeout - waited, 0.0)))
            poll = min(poll * 2, _MAX_POLL)

    def _try_lock(self, fd: int) -> bool:
        try:
            return try_lock(fd)
        except OSError as e:
            if e.errno in _NO_LOCKS:
                raise LocksUnsupportedError(self.data_path) from e
            raise storage_error(e, f"cannot take the lock {self.lock_path}") from e

    def _timeout(self, waited: float) -> FileLockTimeoutError:
        return FileLockTimeoutError(self.data_path, waited, describe_holder(self.lock_path))

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        _clear_holder(fd)  # before the unlock: the record never outlives our hold (issue 13)
        _unlock_and_close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _open_lock_file(lock_path: str) -> int:
    """A descriptor of the regular file `lock_path` (created if missing); never a link's target."""
    try:
        fd = os.open(lock_path, _OPEN_FLAGS, 0o666)
    except OSError as e:
        kind = unusable_lock_file(lock_path)
        if kind is not None:  # a symlink (ELOOP), a directory (EISDIR), a socket (ENXIO)
            raise LockFileNotRegularError(lock_path, kind) from None
        raise storage_error(e, f"cannot take the lock {lock_path}") from e
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # a FIFO or a device opens; it is still no lock file
        os.close(fd)
        raise LockFileNotRegularError(lock_path, file_kind(mode))
    return fd


def unusable_lock_file(lock_path: str) -> str | None:
    """What `lock_path` is when it exists but is no regular file ('a symbolic link'...), else None.

    Every save refuses such a lock file (LockFileNotRegularError); doctor can say so up front.
    """
    try:
        mode = os.lstat(lock_path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else file_kind(mode)


def _names(lock_path: str, fd: int) -> bool:
    """Whether `lock_path` itself (not a link's target) is the file open as `fd`."""
    try:
        on_disk = os.lstat(lock_path)
    except OSError:  # removed
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _unlock_and_close(fd: int) -> None:
    try:
        unlock(fd)
    finally:
        os.close(fd)


def _clear_holder(fd: int) -> None:
    # Best effort, as the write: a waiting window then says "another process", never us.
    with suppress(OSError):
        os.ftruncate(fd, 0)


def _write_holder(fd: int) -> None:
    # Best effort: the holder's name helps a waiting window but the lock does not depend on it.
    try:
        data = msgspec.json.encode(holder_info())
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0) if hasattr(os, "pwrite") else os.write(fd, data)
    except OSError:
        pass
