"""The change history beside the data file: one JSON line per transaction, appended under the lock.

`<real path>.history` starts with a header line, then one entry per saved transaction:
`{"step": 42, "at": "2026-12-01T12:00:00Z", "pid": 4242, "host": "laptop", "command": "add x",
"label": "add", "next_id": 43, "wrote": "391022:5f1c07aa", "edits": [{"uuid": ..., "id": 5,
"before": {...}, "after": null}]}` (`undoes` / `redoes` name the step an undo or redo reverted or
applied again; `wrote` is the fingerprint of the data file's bytes the step wrote).

The order with the data file (design.md, issue 10): the entry is appended and fsynced *before*
the new file replaces the old one (write-ahead), and the file's envelope names the step it holds
(`"step": 42`). After a crash at any point the two agree or the disagreement is visible:
- torn last line: the append never finished; it is ignored and the next append starts a new line;
- an entry whose step is above the file's: its replace never landed; it is "not applied", and the
  next transaction writes that step number again (for a step, the last line wins).
An append costs O(change): one write of one line and one fsync, never a read of the history.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import msgspec
from msgspec import Struct, field

from core.storage.fsops import FileOps

HISTORY_FORMAT = "tasksafe-history"
HISTORY_VERSION = 1
HEADER = b'{"format":"tasksafe-history","version":1}'  # what every usable history starts with

Record = dict[str, Any]
Edit = tuple[str, Record | None, Record | None]  # (uuid, before, after); None = absent


class Change(Struct, frozen=True):
    """What one transaction did to each task it touched, with the label `log` shows."""

    label: str
    edits: tuple[Edit, ...]
    undoes: int | None = None  # the step this change reverts
    redoes: int | None = None  # the step this change applies again
    step: int = 0  # the step it became, once saved


class Entry(Struct, frozen=True):
    """One step of the history, as read back."""

    step: int
    at: str
    label: str
    edits: tuple[Edit, ...]
    next_id: int
    who: Mapping[str, Any] = field(default_factory=dict)  # pid, host, command
    undoes: int | None = None
    redoes: int | None = None

    def touched(self) -> set[str]:
        return {uuid for uuid, _, _ in self.edits}


class HistoryRead(Struct, frozen=True):
    """Every readable entry (for a step, its last line), and what was wrong with the file."""

    entries: tuple[Entry, ...]
    torn_tail: bool = False
    bad_lines: tuple[int, ...] = ()  # 1-based line numbers that are not entries
    problem: str | None = None  # the file as a whole is unusable (not a history, newer version)

    def applied(self, file_step: int) -> list[Entry]:
        """The steps the data file holds: at or below its step."""
        return [e for e in self.entries if e.step <= file_step]

    def newest_step(self) -> int:
        return max((e.step for e in self.entries), default=0)


def entry_line(
    step: int,
    at: str,
    who: Mapping[str, Any],
    change: Change,
    next_id: int,
    wrote: bytes | None = None,
) -> bytes:
    """The JSON line for one step (ends with a newline); `wrote`: the data file's new bytes."""
    value: dict[str, Any] = {"step": step, "at": at, **who, "label": change.label}
    value["next_id"] = next_id
    if wrote is not None:
        value["wrote"] = fingerprint(wrote)
    value["edits"] = [_edit_value(e) for e in change.edits]
    if change.undoes is not None:
        value["undoes"] = change.undoes
    if change.redoes is not None:
        value["redoes"] = change.redoes
    return _dumps(value) + b"\n"


def _edit_value(edit: Edit) -> dict[str, Any]:
    uuid, before, after = edit
    rec = after if after is not None else before
    task_id = rec.get("id") if isinstance(rec, dict) else None
    return {"uuid": uuid, "id": task_id, "before": before, "after": after}


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder()


def _dumps(value: Any) -> bytes:
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError):
        import json  # lone surrogates, deep nesting: what the data file also allows

        return json.dumps(value, ensure_ascii=True).encode("ascii")


def fingerprint(data: bytes) -> str:
    """`<size>:<crc32>` of a data file's bytes (a 4 MB file in ~1 ms).

    A step records the one of the file it wrote. Bytes with the newest step's fingerprint are
    tasksafe's own encoding, which repeats no key: decode need not prove it again (document.py;
    that proof re-encodes the whole file, ~7 ms at 10k tasks). A hand edit, a merge or a
    checkout changes them, and then the proof runs.
    """
    return f"{len(data)}:{zlib.crc32(data):08x}"


TAIL_BUDGET = 1 << 20  # bytes of the history's tail a window reads to name who changed the file
LAST_WROTE_BUDGET = 1 << 16  # a last line longer than this (a big import) is not looked at


class History:
    """The history file of one data file: append under the lock, read without it."""

    def __init__(
        self, path: str, ops: FileOps, owner: Callable[[], tuple[int, int] | None] = lambda: None
    ) -> None:
        self.path = path
        self.ops = ops
        self.owner = owner  # who a new history belongs to: the data file's owner
        self.set_aside: str | None = None  # where an unusable history was moved, once

    def append(self, line: bytes) -> int:
        """Append one entry line and make it durable; a torn last line is closed first.

        Returns the size before, for `cut`. If the write fails (a full disk), what it added is
        cut off again: the history stays as it was, like the data file.
        """
        fd = self.ops.open_append(self.path)
        if not self._usable(fd):
            self.ops.close(fd)
            self.set_aside = self._set_aside()  # started afresh; the old one kept, reported
            fd = self.ops.open_append(self.path)
        try:
            size = os.fstat(fd).st_size
            if size == 0:
                line = _header() + line
                if (owner := self.owner()) is not None:
                    self.ops.fchown(fd, *owner)
            elif os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # the last append was torn: start on a clean line
            try:
                self.ops.write(fd, line)
                self.ops.fsync(fd)
            except BaseException:
                with suppress(OSError):
                    os.ftruncate(fd, size)
                raise
        finally:
            self.ops.close(fd)
        if size == 0:
            # A new file's name is durable only once its directory is fsynced; without this a
            # power cut could keep the data file's step and lose the history that names it.
            self.ops.fsync_dir(os.path.dirname(self.path))
        return size

    def _usable(self, fd: int) -> bool:
        """Empty, or starting with this version's header (a read of its first bytes: O(1))."""
        size = os.fstat(fd).st_size
        return size == 0 or os.pread(fd, len(HEADER), 0) == HEADER

    def _set_aside(self) -> str:
        """Move an unusable history to `<history>.corrupt-<UTC stamp>`; never deleted."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = f"{self.path}.corrupt-{stamp}"
        self.ops.replace(self.path, target)
        self.ops.fsync_dir(os.path.dirname(self.path))
        return target

    def compact(self, keep_after: str) -> int:
        """Drop the steps made before `keep_after` (a UTC time) by an atomic, durable rewrite;
        how many were dropped. Under the lock, and never on every save (see file_safety)."""
        try:
            with open(self.path, "rb") as f:
                lines = f.read().split(b"\n")
        except FileNotFoundError:
            return 0
        if not lines or lines[0] != HEADER:
            return 0
        kept = [line for line in lines[1:] if line and not _older(line, keep_after)]
        dropped = sum(1 for line in lines[1:] if line) - len(kept)
        if dropped:
            self._rewrite(b"\n".join([HEADER, *kept]) + b"\n")
        return dropped

    def _rewrite(self, data: bytes) -> None:
        directory, name = os.path.split(self.path)
        tmp = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        fd = self.ops.create(tmp)
        try:
            self.ops.write(fd, data)
            self.ops.fsync(fd)
        finally:
            self.ops.close(fd)
        try:
            self.ops.replace(tmp, self.path)
        except BaseException:
            with suppress(OSError):
                self.ops.unlink(tmp)
            raise
        self.ops.fsync_dir(directory)

    def cut(self, size: int) -> None:
        """Take back an append whose save then failed: the step never happened (under the lock)."""
        with suppress(OSError):
            fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
            try:
                os.ftruncate(fd, size)
                os.fsync(fd)
            finally:
                os.close(fd)

    def labels_between(self, after: int, upto: int, budget: int = TAIL_BUDGET) -> list[str] | None:
        """The labels of steps after..upto, read from the file's tail only (a window's notice
        must stay cheap); None when they are not all within the last `budget` bytes."""
        tail = self._tail(budget)
        if tail is None:
            return None
        start, data = tail
        lines = data.split(b"\n")
        if start > 0:
            lines.pop(0)  # the part of a line before the budget
        labels: dict[int, str] = {}
        for line in lines:
            entry = _entry(line) if line else None
            if entry is not None and after < entry.step <= upto:
                labels[entry.step] = entry.label
        return list(labels.values()) if len(labels) == upto - after else None

    def last_wrote(self) -> str | None:
        """The `wrote` fingerprint of the last complete line, read from the tail; None if there
        is none (no history, a step without one, or a line past LAST_WROTE_BUDGET)."""
        found = self._tail(LAST_WROTE_BUDGET)
        if found is None:
            return None
        start, tail = found
        lines = tail.split(b"\n")
        lines.pop()  # after the final newline, or a torn append (its save never replaced)
        if not lines or (start > 0 and len(lines) == 1):
            return None  # no line, or only the end of one longer than the budget
        try:
            value = _DECODER.decode(lines[-1])
        except (msgspec.DecodeError, RecursionError):
            return None
        wrote = value.get("wrote") if isinstance(value, dict) else None
        return wrote if isinstance(wrote, str) else None

    def _tail(self, budget: int) -> tuple[int, bytes] | None:
        """(where it starts, the last `budget` bytes of the file), or None if it cannot be read."""
        try:
            with open(self.path, "rb") as f:
                start = max(f.seek(0, os.SEEK_END) - budget, 0)
                f.seek(start)
                return start, f.read()
        except OSError:
            return None

    def read(self) -> HistoryRead:
        """Every entry; a missing file is an empty history."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return HistoryRead(())
        return parse(data)


def _header() -> bytes:
    return HEADER + b"\n"


def _older(line: bytes, keep_after: str) -> bool:
    """Whether an entry line was made before `keep_after`; a line that is not an entry stays."""
    try:
        at = _DECODER.decode(line).get("at")
    except (msgspec.DecodeError, RecursionError, AttributeError):
        return False
    return isinstance(at, str) and at < keep_after


def parse(data: bytes) -> HistoryRead:
    """The entries of a history file's bytes (pure)."""
    lines = data.split(b"\n")
    torn = lines[-1] != b""  # no final newline: the last append did not finish
    lines.pop()  # the torn part, or the empty text after the final newline
    if not lines:
        return HistoryRead((), torn_tail=torn)
    problem = _header_problem(lines[0])
    if problem:
        return HistoryRead((), problem=problem)
    by_step: dict[int, Entry] = {}
    bad: list[int] = []
    for number, line in enumerate(lines[1:], 2):
        entry = _entry(line)
        if entry is None:
            bad.append(number)
        else:
            by_step.pop(entry.step, None)  # the last line for a step wins, in file order
            by_step[entry.step] = entry
    entries = tuple(sorted(by_step.values(), key=lambda e: e.step))
    return HistoryRead(entries, torn_tail=torn, bad_lines=tuple(bad))


def _header_problem(line: bytes) -> str | None:
    try:
        header = _DECODER.decode(line)
    except (msgspec.DecodeError, RecursionError):
        return "its first line is not a history header"
    if not isinstance(header, dict) or header.get("format") != HISTORY_FORMAT:
        return "it is not a tasksafe history"
    version = header.get("version")
    if type(version) is not int or version > HISTORY_VERSION:
        return f"it was written by a newer tasksafe (history format {version!r:.20})"
    return None


def _entry(line: bytes) -> Entry | None:
    try:
        value = _DECODER.decode(line)
    except (msgspec.DecodeError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    step, edits = value.get("step"), value.get("edits")
    if type(step) is not int or step < 1 or not isinstance(edits, list):
        return None
    parsed = list(_edits(edits))
    if len(parsed) != len(edits):
        return None
    return Entry(
        step=step,
        at=str(value.get("at", "")),
        label=str(value.get("label", "")),
        edits=tuple(parsed),
        next_id=value["next_id"] if type(value.get("next_id")) is int else 1,
        who={k: value[k] for k in ("pid", "host", "command") if k in value},
        undoes=_optional_step(value.get("undoes")),
        redoes=_optional_step(value.get("redoes")),
    )


def _edits(values: Iterable[Any]) -> Iterator[Edit]:
    for v in values:
        if not isinstance(v, dict) or not isinstance(v.get("uuid"), str):
            continue
        before, after = v.get("before"), v.get("after")
        if (before is None or isinstance(before, dict)) and (
            after is None or isinstance(after, dict)
        ):
            yield (v["uuid"], before, after)


def _optional_step(value: Any) -> int | None:
    return value if type(value) is int and value > 0 else None


def replay(records: list[Any], entries: Iterable[Entry]) -> tuple[list[Any], int]:
    """The records after applying each entry's `after` by uuid, in step order, and the highest
    next_id the entries name (pure). An entry's records are whole, so replay needs no `before`."""
    out = list(records)
    at = {r.get("uuid"): i for i, r in enumerate(out) if isinstance(r, dict)}
    gone: set[int] = set()
    next_id = 1
    for entry in entries:
        next_id = max(next_id, entry.next_id)
        for uuid, _, after in entry.edits:
            if uuid in at and after is None:
                gone.add(at.pop(uuid))
            elif uuid in at:
                out[at[uuid]] = after
            elif after is not None:
                at[uuid] = len(out)
                out.append(after)
    return [r for i, r in enumerate(out) if i not in gone], next_id
