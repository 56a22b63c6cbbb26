"""Power loss: a FileOps that records every step of a save, and the disks a power cut can leave.

The model of a power cut after the first k recorded steps:
- File data: an inode holds its last fsynced content or, if it changed since, its current
  content or the first half of what changed (a torn write; an append keeps the bytes an fsync
  made durable); a file never fsynced may come back empty.
  All are tried.
- Directory entries: operations (create, rename, link, unlink) before the last fsync of the
  directory are durable. Each of those after it may be lost: every subset, in order, is tried
  (at most 2**MAX_SUBSET_OPS disks; beyond that every prefix, which is what a journal that
  commits metadata in order, like ext4's, can leave; `ordered=True` tries only those). Every
  subset is stricter than ext4 and XFS, and is what POSIX allows without a directory fsync.
- An fsync of a file makes its data durable, not its name (POSIX; ext4 commits the name too).
A disk after the whole log (the transaction returned) must hold the new state; any earlier one
the old or the new.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.storage.fsops import FileOps

MAX_SUBSET_OPS = 8
Disk = dict[str, bytes]


@dataclass(frozen=True)
class Op:
    """One recorded step: `name` and `dst` are entries of the data file's directory."""

    kind: str  # create open_append write fchmod fsync close replace link unlink fsync_dir
    name: str = ""
    dst: str = ""
    fd: int = -1
    data: bytes = b""

    def __str__(self) -> str:
        if self.kind == "write":
            return f"write {len(self.data)} bytes"
        return " ".join(filter(None, (self.kind, self.name, self.dst and f"-> {self.dst}")))


class RecordingOps(FileOps):
    """Real operations on one directory, each logged with its arguments after it succeeds."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.path.realpath(directory)
        self.log: list[Op] = []

    def _entry(self, path: str) -> str:
        assert os.path.dirname(os.path.realpath(path)) == self.directory, path
        return os.path.basename(path)

    def create(self, path: str) -> int:
        fd = super().create(path)
        self.log.append(Op("create", self._entry(path), fd=fd))
        return fd

    def open_append(self, path: str, mode: int = 0o600) -> int:
        fd = super().open_append(path, mode)
        self.log.append(Op("open_append", self._entry(path), fd=fd))
        return fd

    def write(self, fd: int, data: bytes) -> None:
        super().write(fd, data)
        self.log.append(Op("write", fd=fd, data=bytes(data)))

    def fchmod(self, fd: int, mode: int) -> None:
        super().fchmod(fd, mode)
        self.log.append(Op("fchmod", fd=fd))

    def fsync(self, fd: int) -> None:
        super().fsync(fd)
        self.log.append(Op("fsync", fd=fd))

    def close(self, fd: int) -> None:
        super().close(fd)
        self.log.append(Op("close", fd=fd))

    def replace(self, src: str, dst: str) -> None:
        super().replace(src, dst)
        self.log.append(Op("replace", self._entry(src), self._entry(dst)))

    def link_or_copy(self, src: str, dst: str) -> None:
        super().link_or_copy(src, dst)
        self.log.append(Op("link", self._entry(src), self._entry(dst)))

    def unlink(self, path: str) -> None:
        super().unlink(path)
        self.log.append(Op("unlink", self._entry(path)))

    def fsync_dir(self, path: str) -> None:
        super().fsync_dir(path)
        self.log.append(Op("fsync_dir"))


class NoTempFsync(RecordingOps):
    """A broken protocol for the checker's own test: the temp file is never fsynced."""

    def fsync(self, fd: int) -> None:
        pass


class NoDirFsync(RecordingOps):
    """A broken protocol for the checker's own test: the directory is never fsynced."""

    def fsync_dir(self, path: str) -> None:
        pass


@dataclass(frozen=True)
class DirOp:
    kind: str
    name: str
    dst: str
    inode: int


def _apply(names: dict[str, int], op: DirOp) -> None:
    """What one directory operation does to the entries, by inode (as the journal records it)."""
    if op.kind in ("replace", "unlink") and names.get(op.name) == op.inode:
        del names[op.name]
    if op.kind == "create":
        names[op.name] = op.inode
    elif op.kind in ("replace", "link"):
        names[op.dst] = op.inode


@dataclass
class PowerCutModel:
    """Replays a log step by step; `disks()` gives what a power cut at this point can leave."""

    content: dict[int, bytearray] = field(default_factory=dict)  # the page cache
    synced: dict[int, bytes | None] = field(default_factory=dict)  # None: never fsynced
    names: dict[str, int] = field(default_factory=dict)
    durable_names: dict[str, int] = field(default_factory=dict)
    pending: list[DirOp] = field(default_factory=list)
    fds: dict[int, int] = field(default_factory=dict)
    ordered: bool = False  # only prefixes of the pending directory operations survive

    @classmethod
    def starting_from(cls, initial: Disk, ordered: bool = False) -> PowerCutModel:
        model = cls(ordered=ordered)
        for inode, (name, data) in enumerate(sorted(initial.items())):
            model.content[inode] = bytearray(data)
            model.synced[inode] = data
            model.names[name] = inode
        model.durable_names = dict(model.names)
        return model

    def step(self, op: Op) -> None:
        if op.kind == "create":
            inode = len(self.content)
            self.content[inode], self.synced[inode] = bytearray(), None
            self.fds[op.fd] = inode
            self._dir_op(DirOp("create", op.name, "", inode))
        elif op.kind == "open_append" and op.name in self.names:
            self.fds[op.fd] = self.names[op.name]
        elif op.kind == "open_append":  # a new file, as create makes one
            self.step(Op("create", op.name, fd=op.fd))
        elif op.kind == "write":
            self.content[self.fds[op.fd]] += op.data
        elif op.kind == "fsync":
            inode = self.fds[op.fd]
            self.synced[inode] = bytes(self.content[inode])
        elif op.kind == "close":
            del self.fds[op.fd]
        elif op.kind in ("replace", "link", "unlink"):
            self._dir_op(DirOp(op.kind, op.name, op.dst, self.names[op.name]))
        elif op.kind == "fsync_dir":
            self.durable_names, self.pending = dict(self.names), []

    def _dir_op(self, op: DirOp) -> None:
        _apply(self.names, op)
        self.pending.append(op)

    def disks(self) -> Iterator[Disk]:
        """Every disk a power cut now can leave (with repeats)."""
        for kept in self._surviving_dir_ops():
            names = dict(self.durable_names)
            for op in kept:
                _apply(names, op)
            inodes = sorted(set(names.values()))
            for contents in itertools.product(*(self._contents(i) for i in inodes)):
                by_inode = dict(zip(inodes, contents, strict=True))
                yield {name: by_inode[inode] for name, inode in names.items()}

    def _surviving_dir_ops(self) -> Iterator[list[DirOp]]:
        ops = self.pending
        if self.ordered or len(ops) > MAX_SUBSET_OPS:
            yield from (ops[:n] for n in range(len(ops) + 1))
            return
        for mask in itertools.product((False, True), repeat=len(ops)):
            yield [op for op, keep in zip(ops, mask, strict=True) if keep]

    def _contents(self, inode: int) -> list[bytes]:
        """Durable, current, or (data written but not fsynced) only the first half of it."""
        current = bytes(self.content[inode])
        synced = self.synced[inode] or b""
        if synced == current:
            return [synced]
        # Bytes an fsync made durable stay: a torn append keeps them and half of what followed.
        kept = len(synced) if current.startswith(synced) else 0
        torn = current[: kept + (len(current) - kept) // 2]
        return list(dict.fromkeys([synced, torn, current]))


def snapshot(directory: Path) -> Disk:
    """The files of a directory (not the lock file, which holds no data), as durable content."""
    return {
        p.name: p.read_bytes()
        for p in directory.iterdir()
        if p.is_file() and not p.name.endswith(".lock")
    }


def materialise(disk: Disk, directory: Path) -> Path:
    """Write a disk into a new directory (hard links become copies: content is what counts)."""
    directory.mkdir(parents=True)
    for name, data in disk.items():
        (directory / name).write_bytes(data)
    return directory
