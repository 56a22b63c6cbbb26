"""The copies kept next to the data file, and restoring one of them.

Rotated backups (`.backup`, `.backup.N`), the original app's file (`.legacy`) and quarantined
damaged files (`.corrupt-<UTC stamp>`) all live beside the real path of the data file.
"""

from __future__ import annotations

import os
import re
from typing import Any

from msgspec import Struct

from core.errors import AppError, UsageError
from core.file_safety import TIER_STAMPS, SafeFileManager
from core.model import InvalidRecord, Record, Task
from core.storage.document import Document, decode
from core.storage.history import Edit
from core.storage.reading import read_regular

_ROTATED = re.compile(r"backup(\.\d+)?")
KINDS = ("backup", "hourly", "daily", "weekly", "legacy", "corrupt")


class BackupFile(Struct, frozen=True):
    """One kept copy: where it is, what it holds, and whether it decodes."""

    path: str
    short_name: str  # what `backups` shows and `restore` accepts: backup.1, legacy, corrupt-...
    kind: str  # one of KINDS
    size: int
    mtime: float  # when this version was written (a hard-linked backup keeps the original's)
    tasks: int  # valid tasks; 0 when it does not decode
    invalid: int  # records that are not valid tasks
    problem: str | None  # why it does not decode; None when it does

    @property
    def valid(self) -> bool:
        return self.problem is None


def backup_files(files: SafeFileManager) -> list[BackupFile]:
    """Every kept copy: rotated backups, then the hourly, daily and weekly tiers (each newest
    first), then legacy, then corrupt newest first."""
    return [inspect_copy(path, short, kind) for path, short, kind in kept_copies(files)]


def kept_copies(files: SafeFileManager) -> list[tuple[str, str, str]]:
    """(path, short name, kind) of each kept copy, in `backup_files` order, without reading them."""
    prefix = files.name + "."
    try:
        names = os.listdir(files.directory)
    except OSError:
        return []
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    for entry in names:
        if not entry.startswith(prefix):
            continue
        suffix = entry[len(prefix) :]
        kind = _kind(suffix)
        if kind is not None:
            found[kind].append((suffix, os.path.join(files.directory, entry)))
    found["backup"].sort(key=lambda item: _rotation_number(item[0]))
    # The stamp sorts as text; `-N` marks a later quarantine within the same second.
    for newest_first in ("hourly", "daily", "weekly", "corrupt"):
        found[newest_first].sort(key=lambda item: item[0], reverse=True)
    return [(path, short, kind) for kind in KINDS for short, path in found[kind]]


def _kind(suffix: str) -> str | None:
    if _ROTATED.fullmatch(suffix):
        return "backup"
    if suffix == "legacy":
        return "legacy"
    tier = suffix.partition("-")[0]
    if tier in TIER_STAMPS:
        return tier
    if suffix.startswith("corrupt-"):
        return "corrupt"
    return None


def _rotation_number(suffix: str) -> int:
    return int(suffix.rpartition(".")[2]) if "." in suffix else 0


def inspect_copy(path: str, short_name: str, kind: str) -> BackupFile:
    """Read one kept copy and say what it holds."""
    try:
        size, mtime = _size_and_mtime(path)
        doc = read_document(path)
    except AppError as e:
        return BackupFile(path, short_name, kind, size, mtime, 0, 0, str(e))
    except OSError as e:
        return BackupFile(path, short_name, kind, 0, 0.0, 0, 0, e.strerror or str(e))
    valid = count_valid(doc.records)
    return BackupFile(path, short_name, kind, size, mtime, valid, len(doc.records) - valid, None)


def _size_and_mtime(path: str) -> tuple[int, float]:
    st = os.stat(path)
    return st.st_size, st.st_mtime


def read_document(path: str) -> Document:
    """Decode a kept copy; AppError naming why when it is not a tasksafe file."""
    data, _ = read_regular(path)  # a FIFO or device as a kept copy must not hang or flood us
    try:
        return decode(data)
    except (ValueError, RecursionError) as e:
        raise AppError(f"does not decode: {e}") from None


def count_valid(records: list[Any]) -> int:
    """How many records are valid tasks (a duplicate id or uuid counts once)."""
    ids: set[int] = set()
    uuids: set[str] = set()
    for rec in records:
        try:
            task = Task.from_record(rec)
        except InvalidRecord:
            continue
        if task.id not in ids and task.uuid not in uuids:
            ids.add(task.id)
            uuids.add(task.uuid)
    return len(ids)


def find_backup(files: SafeFileManager, name: str) -> BackupFile:
    """The kept copy a user named: its short name, its file name or its path."""
    wanted = os.path.realpath(name) if os.sep in name else None
    copies = kept_copies(files)
    for path, short, kind in copies:
        if name in (short, os.path.basename(path)) or wanted == os.path.realpath(path):
            return inspect_copy(path, short, kind)
    names = ", ".join(short for _, short, _ in copies) or "none yet"
    raise UsageError(f"no backup called {name!r} next to {files.path} (kept copies: {names})")


# --- restoring: pure changes to a Document, run inside a transaction by the caller ---


def restore_into(doc: Document, backup: Document) -> list[Edit]:
    """Make `doc` hold the backup's records and envelope; return (uuid, before, after) per task.

    next_id never goes down, so the ids of tasks added after the backup are never handed out again.
    Records without a uuid cannot be journaled; they are replaced like the rest.
    """
    edits = restore_edits(doc.records, backup.records)
    highest = max([*doc.ids(), *backup.ids()], default=0)
    doc.next_id = max(doc.next_id, backup.next_id, highest + 1)
    doc.records[:] = list(backup.records)
    doc.extra = dict(backup.extra)
    return edits


def restore_edits(current: list[Any], restored: list[Any]) -> list[Edit]:
    """What a restore does to each task, by uuid: removed, brought back or changed."""
    before, after = _by_uuid(current), _by_uuid(restored)
    edits: list[Edit] = []
    for uuid in [*before, *(u for u in after if u not in before)]:
        old, new = before.get(uuid), after.get(uuid)
        if old != new:
            edits.append((uuid, old, new))
    return edits


def _by_uuid(records: list[Any]) -> dict[str, Record]:
    return {r["uuid"]: r for r in records if isinstance(r, dict) and isinstance(r.get("uuid"), str)}
