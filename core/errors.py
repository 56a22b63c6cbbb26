"""Every error a user can see: each owns its sentence and its exit code."""

from __future__ import annotations

import errno
import os

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_LOCK_TIMEOUT = 3
EXIT_UNREADABLE = 4


class AppError(Exception):
    """An error with a sentence the user can act on; never shown as a traceback."""

    exit_code = EXIT_ERROR


class InvalidValueError(AppError):
    """A value given by the user (or a model) that a task cannot hold."""


class UsageError(AppError):
    exit_code = EXIT_USAGE


class TaskNotFound(AppError):
    def __init__(self, task_id: int) -> None:
        super().__init__(
            f"task {task_id} not found (another window may have deleted it; `list --all` shows what is there)"
        )
        self.task_id = task_id


class ConflictError(AppError):
    """Another window changed fields this window was about to overwrite."""

    def __init__(self, task_id: int, theirs: dict[str, object]) -> None:
        names = ", ".join(sorted(theirs))
        super().__init__(f"task {task_id} was changed in another window meanwhile: {names}")
        self.task_id = task_id
        self.theirs = theirs


class StorageError(AppError):
    """The data file could not be read or written; the old file is intact."""


class FileLockTimeoutError(StorageError):
    exit_code = EXIT_LOCK_TIMEOUT

    def __init__(self, path: str, waited: float, holder: str) -> None:
        super().__init__(
            f"{path} is locked by {holder}; gave up after {waited:.1f} s "
            "(finish or close that window, or raise --lock-timeout)"
        )
        self.path = path
        self.waited = waited
        self.holder = holder


class LockLostError(StorageError):
    """The lock file was removed or replaced while a save held it: another writer may be in."""

    def __init__(self, path: str, lock_path: str) -> None:
        super().__init__(
            f"{path}'s lock file was removed or replaced while this save held it; nothing was "
            f"changed (another program is deleting {os.path.basename(lock_path)}: stop it)"
        )
        self.path = path
        self.lock_path = lock_path


class LockFileNotRegularError(StorageError):
    """`<file>.lock` is a symlink, a directory, a FIFO...: writing through it could hit anything.

    A symlinked lock pointed at the data file once had its newest task overwritten (issue 16).
    """

    exit_code = EXIT_UNREADABLE

    def __init__(self, lock_path: str, kind: str) -> None:
        super().__init__(
            f"{lock_path} is {kind}, not a lock file; tasksafe will not use it "
            "(move it away: tasksafe creates a new one)"
        )
        self.lock_path = lock_path
        self.kind = kind


class LocksUnsupportedError(StorageError):
    """flock is refused by the file system (ENOLCK, EOPNOTSUPP, ENOSYS): no writer can exclude."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path} is on a file system that does not support locks (e.g. some network mounts); "
            "tasksafe cannot keep it safe there: move it to a local disk or use --file"
        )
        self.path = path


class FileCorruptionError(StorageError):
    """The file does not decode or validate and no valid backup exists."""

    exit_code = EXIT_UNREADABLE


class DiskFullError(StorageError):
    pass


class PermissionDeniedError(StorageError):
    pass


class ReadOnlyFileSystemError(StorageError):
    pass


def storage_error(e: OSError, what: str) -> StorageError:
    """One sentence a user can act on, by the kind of failure."""
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return DiskFullError(f"{what}: the disk is full (free some space and try again)")
    if e.errno == errno.EROFS:
        return ReadOnlyFileSystemError(
            f"{what}: the file system is read-only (remount it read-write)"
        )
    if e.errno in (errno.EACCES, errno.EPERM):
        return PermissionDeniedError(
            f"{what}: permission denied (check the file's and directory's permissions)"
        )
    if e.errno == errno.EISDIR:
        return StorageError(f"{what}: it is a directory, not a file")
    return StorageError(f"{what}: {e.strerror or e}")
