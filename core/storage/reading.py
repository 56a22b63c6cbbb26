"""Reading a data file or a kept copy: regular files only, never more bytes than they hold.

A FIFO named tasks.json made every command (doctor too) wait forever for a writer, and a symlink
to /dev/zero read until MemoryError (3 GB in 12 s; issue 16). So the file is opened without
blocking and checked to be a regular file before a byte is read; a regular file is finite, so it
is read to its end (stopping at the size fstat gave could cut a file another program is growing,
and a cut file looks damaged).
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),  # seen only through lstat or O_NOFOLLOW (the lock file)
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_CHUNK = 1 << 20


class NotRegularFileError(OSError):
    """The path is a directory, a FIFO, a device or a socket; `kind` says which."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__(errno.EINVAL, f"{kind}, not a regular file", path)
        self.kind = kind


def read_regular(path: str) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file and its stat; NotRegularFileError for anything else."""
    try:
        # O_NONBLOCK: a FIFO opens at once instead of waiting for a writer (no effect on files).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == errno.ENXIO:  # a socket cannot be opened
            raise NotRegularFileError(path, "a socket") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(path, file_kind(st.st_mode))
        return _read_to_end(fd, st.st_size), st
    finally:
        os.close(fd)


def file_kind(mode: int) -> str:
    """`a directory`, `a named pipe (FIFO)`, ... for what a stat mode says is no regular file."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _read_to_end(fd: int, size: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, max(size, _CHUNK)):
        chunks.append(chunk)
    return b"".join(chunks)
