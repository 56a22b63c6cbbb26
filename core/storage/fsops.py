"""The file-system calls a save makes, one method each.

Storage code does its I/O only through a FileOps, so tests can swap in one that records every
step (to rebuild the disk a power cut would leave) or dies after a chosen step (crash points).
"""

from __future__ import annotations

import errno
import os
import sys
import time

# Windows refuses os.replace onto a file another process has open; it clears within milliseconds.
_REPLACE_RETRIES = 20
_REPLACE_RETRY_DELAY = 0.01
# Errors meaning "this file system cannot hard-link": fall back to a copy.
_NO_LINK_ERRNOS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


class FileOps:
    """Real, durable file-system operations."""

    platform = sys.platform

    def read(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def create(self, path: str) -> int:
        """Create a new file exclusively, readable only by us until fchmod gives it its mode."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        return os.open(path, flags | getattr(os, "O_BINARY", 0), 0o600)

    def open_append(self, path: str, mode: int = 0o600) -> int:
        """Open (creating) a file to append to, and to read its last byte: the history."""
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)  # read: the tail
        return os.open(path, flags | getattr(os, "O_BINARY", 0), mode)

    def write(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def fsync(self, fd: int) -> None:
        if self.platform == "darwin":
            # macOS fsync does not empty the drive's cache; F_FULLFSYNC does.
            import fcntl

            try:
                fcntl.fcntl(fd, fcntl.F_FULLFSYNC)  # type: ignore[attr-defined,unused-ignore]
                return
            except OSError:
                pass
        os.fsync(fd)

    def fchmod(self, fd: int, mode: int) -> None:
        if self.platform != "win32":
            os.fchmod(fd, mode)

    def fchown(self, fd: int, uid: int, gid: int) -> None:
        """Give a new file this owner and group where permitted (root saving a user's file);
        else at least the group (a member of it); else it stays ours, its mode still kept."""
        if self.platform == "win32" or (os.fstat(fd).st_uid, os.fstat(fd).st_gid) == (uid, gid):
            return
        for wanted in ((uid, gid), (-1, gid)):
            try:
                os.fchown(fd, *wanted)
                return
            except PermissionError:
                continue

    def close(self, fd: int) -> None:
        os.close(fd)

    def replace(self, src: str, dst: str) -> None:
        if self.platform != "win32":
            os.replace(src, dst)
            return
        for attempt in range(_REPLACE_RETRIES):
            try:
                os.replace(src, dst)
                return
            except PermissionError:
                if attempt == _REPLACE_RETRIES - 1:
                    raise
                time.sleep(_REPLACE_RETRY_DELAY)

    def link_or_copy(self, src: str, dst: str) -> None:
        """Hard-link src to dst (O(1), no bytes); copy where the file system has no links."""
        try:
            os.link(src, dst)
            return
        except OSError as e:
            if e.errno not in _NO_LINK_ERRNOS:
                raise
        self.copy(src, dst)

    def copy(self, src: str, dst: str) -> None:
        data = self.read(src)
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
        try:
            self.write(fd, data)
            self.fsync(fd)
        finally:
            os.close(fd)

    def unlink(self, path: str) -> None:
        os.unlink(path)

    def fsync_dir(self, path: str) -> None:
        """Make renames and links in `path` durable; Windows cannot open a directory to fsync it."""
        if self.platform == "win32":
            return
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def listdir(self, path: str) -> list[str]:
        return os.listdir(path)


DEFAULT_OPS = FileOps()
