"""AppState: one window's view of the task file, and every mutation as one durable transaction."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.errors import AppError, ConflictError, InvalidValueError, TaskNotFound
from core.events import EventSink, InvalidRecords, ignore
from core.file_safety import SafeFileManager, Snapshot
from core.maintenance.backups import Edit, restore_into
from core.model import (
    InvalidRecord,
    Record,
    Task,
    check_due,
    check_name,
    new_record,
    utc_now,
)
from core.storage.document import Document
from core.storage.fsops import DEFAULT_OPS, FileOps
from core.vocabulary import check_tags, clean_text, parse_priority

T = TypeVar("T")
EDITABLE = ("name", "description", "comment", "priority", "tags", "due", "status")
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": check_name,
    "description": clean_text,
    "comment": clean_text,
    "priority": parse_priority,
    "tags": check_tags,
    "due": check_due,
}


@dataclass(frozen=True)
class Change:
    """What one transaction did to each task it touched: (uuid, before, after); None = absent."""

    label: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Changes:
    """What another window changed, by kind, for a one-line notice."""

    added: int = 0
    removed: int = 0
    completed: int = 0
    reopened: int = 0
    edited: int = 0

    def __bool__(self) -> bool:
        return any((self.added, self.removed, self.completed, self.reopened, self.edited))


@dataclass
class Journal:
    """One transaction's working document, and each touched task's first and last record.

    Records are never edited in place (they are shared with the window's snapshot), so the journal
    keeps references, not copies: the `before` it holds is the record the snapshot still has.
    """

    doc: Document
    edits: dict[str, tuple[Record | None, Record | None]] = field(default_factory=dict)

    def touch(self, uuid: str, before: Record | None, after: Record | None) -> None:
        first = self.edits[uuid][0] if uuid in self.edits else before
        self.edits[uuid] = (first, after)

    def change(self, label: str) -> Change:
        return Change(label, tuple((u, b, a) for u, (b, a) in self.edits.items()))


MissingRecords = Callable[[Sequence[Record], list[Any]], Sequence[Record]]


def missing_by_uuid(records: Sequence[Record], current: list[Any]) -> list[Record]:
    """The records whose uuid no current record has."""
    uuids = {r.get("uuid") for r in current if isinstance(r, dict)}
    return [r for r in records if r.get("uuid") not in uuids]


class AppState:
    """The tasks as this window last saw them; each mutation re-reads under the lock."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        lock_timeout: float = 5.0,
        backup_count: int = 3,
        on_event: EventSink = ignore,
        ops: FileOps = DEFAULT_OPS,
    ) -> None:
        self.files = SafeFileManager(path, lock_timeout, backup_count, on_event, ops)
        self.on_event = on_event
        self._snap: Snapshot | None = None
        self._tasks: list[Task] | None = None
        self.problems: tuple[tuple[int, object, str], ...] = ()
        self._reported: tuple[tuple[int, object, str], ...] = ()
        self.undo_stack: list[Change] = []
        self.redo_stack: list[Change] = []

    @property
    def path(self) -> str:
        return self.files.path

    # --- reading ---

    def load(self) -> None:
        """Read the file (recovering it if damaged) and report invalid records."""
        self._set_snapshot(self.files.load())
        _ = self.tasks

    def _set_snapshot(self, snap: Snapshot | None) -> None:
        self._snap = snap
        self._tasks = None

    @property
    def snapshot(self) -> Snapshot:
        if self._snap is None:
            self._set_snapshot(self.files.load())
        assert self._snap is not None
        return self._snap

    @property
    def tasks(self) -> list[Task]:
        """The valid tasks, in file order (built lazily: the hot path of a save never needs them)."""
        if self._tasks is None:
            self._tasks, self.problems = _validate(self.snapshot.doc.records)
            if self.problems and self.problems != self._reported:
                self._reported = self.problems  # once per distinct set, not on every rebuild
                self.on_event(InvalidRecords(self.path, self.problems))
        return self._tasks

    def get(self, task_id: int) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise TaskNotFound(task_id)

    def changed_elsewhere(self) -> bool:
        """Whether the file differs from this window's snapshot (a stat, no read)."""
        return self._snap is None or self.files.signature() != self._snap.signature

    def refresh(self) -> Changes | None:
        """Reload if the file changed since our snapshot; say what changed (None: nothing did)."""
        if not self.changed_elsewhere():
            return None
        old = self._snap.doc.records if self._snap else []
        self._set_snapshot(self.files.load())
        return diff_records(old, self.snapshot.doc.records) or None

    # --- the transaction every mutation goes through ---

    def transact(self, label: str, mutate: Callable[[Journal], T], undoable: bool = True) -> T:
        """Run `mutate` on the latest document under the lock; durable when it returns."""

        def apply(doc: Document) -> tuple[T, Change]:
            journal = Journal(doc)
            return mutate(journal), journal.change(label)

        if self._snap is None:
            # Read first without the lock: a damaged file with no valid backup is then refused
            # without creating even the lock file, and under the lock a stat shows it unchanged.
            self._set_snapshot(self.files.load())
        # If this raises, the snapshot is still what this window last saw (the mutation worked
        # on a copy), so refresh() diffs against it.
        (result, change), snap = self.files.transaction(apply, self._snap)
        self._set_snapshot(snap)
        if undoable and change.edits:
            self.undo_stack.append(change)
            self.redo_stack.clear()
        return result

    # --- mutations ---

    def add_task(
        self,
        name: str,
        priority: int = 2,
        tags: Iterable[str] = (),
        due: str | None = None,
        description: str = "",
        comment: str = "",
    ) -> Task:
        fields = dict(
            name=name,
            priority=priority,
            tags=tuple(tags),
            due=due,
            description=description,
            comment=comment,
        )
        return self.add_tasks([fields])[0]

    def add_tasks(self, items: Sequence[Mapping[str, Any]], label: str = "add") -> list[Task]:
        """Add several tasks in one transaction: all or none."""
        _check_new(items)  # before the lock: bad input never waits for or touches the file

        def mutate(j: Journal) -> list[Task]:
            added = []
            for item in items:
                rec = new_record(j.doc.allocate_id(), **item)
                j.doc.records.append(rec)
                j.touch(rec["uuid"], None, rec)
                added.append(Task.from_record(rec))
            return added

        return self.transact(label, mutate)

    def update_task(
        self,
        task_id: int,
        expect: Mapping[str, Any] | None = None,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        **fields: Any,
    ) -> Task:
        """Change only the given fields; `expect` raises ConflictError if another window changed them.

        Tags added or removed are applied to the tags on disk, so another window's new tag stays.
        """
        unknown = set(fields) - set(EDITABLE)
        if unknown:
            raise InvalidValueError(f"cannot edit {', '.join(sorted(unknown))}")
        checked = {k: _check(k, v) for k, v in fields.items()}
        plus, minus = _check("tags", add_tags), _check("tags", remove_tags)

        def mutate(j: Journal) -> Task:
            rec = _find(j.doc, task_id)
            now = _field_values(rec)
            theirs = {k: now.get(k) for k, v in (expect or {}).items() if now.get(k) != v}
            if theirs:
                raise ConflictError(task_id, theirs)
            if plus or minus:
                tags = checked.get("tags", rec.get("tags"))
                current = tags if isinstance(tags, list) else []
                kept = [t for t in current if t not in minus]
                checked["tags"] = kept + [t for t in plus if t not in kept]
            return _apply(j, rec, checked)

        return self.transact(f"edit {task_id}", mutate)

    def complete(self, task_id: int) -> Task:
        return self.set_status([task_id], "done")[0]

    def reopen(self, task_id: int) -> Task:
        return self.set_status([task_id], "pending")[0]

    def set_status(self, ids: Sequence[int], status: str) -> list[Task]:
        """Mark several tasks done or pending in one transaction; any unknown id changes nothing."""
        label = ("done " if status == "done" else "undone ") + " ".join(map(str, ids))
        return self.transact(
            label, lambda j: [_apply(j, _find(j.doc, i), {"status": status}) for i in ids]
        )

    def delete(self, task_id: int) -> Task:
        return self.delete_many([task_id])[0]

    def delete_many(self, ids: Sequence[int]) -> list[Task]:
        def mutate(j: Journal) -> list[Task]:
            gone = [_find(j.doc, i) for i in ids]
            tasks = [_task_of(r) for r in gone]
            leaving = {id(rec) for rec in gone}
            j.doc.records[:] = [r for r in j.doc.records if id(r) not in leaving]
            for rec in gone:
                j.touch(rec["uuid"], rec, None)
            return tasks

        return self.transact("delete " + " ".join(map(str, ids)), mutate)

    def restore_backup(self, backup: Document, label: str) -> list[Edit]:
        """Make the file hold a kept copy's tasks, as one undoable transaction; what it did."""

        def mutate(j: Journal) -> list[Edit]:
            applied = restore_into(j.doc, backup)
            for uuid, before, after in applied:
                j.touch(uuid, before, after)
            return applied

        return self.transact(label, mutate)

    def add_records(
        self, records: Sequence[Record], label: str, missing: MissingRecords = missing_by_uuid
    ) -> list[Task]:
        """Add copies of whole records (recovered or imported), each under a new id.

        `missing` picks, under the lock, those the file still lacks: another window may have
        added some since they were shown.
        """

        def mutate(j: Journal) -> list[Task]:
            added = []
            for rec in missing(records, j.doc.records):
                new = {**rec, "id": j.doc.allocate_id()}
                j.doc.records.append(new)
                j.touch(new["uuid"], None, new)
                added.append(Task.from_record(new))
            return added

        return self.transact(label, mutate)

    # --- undo / redo ---

    def undo(self) -> Change:
        return self._replay(self.undo_stack, self.redo_stack, backwards=True)

    def redo(self) -> Change:
        return self._replay(self.redo_stack, self.undo_stack, backwards=False)

    def _replay(self, source: list[Change], target: list[Change], backwards: bool) -> Change:
        if not source:
            raise AppError(f"nothing to {'undo' if backwards else 'redo'} in this window")
        change = source[-1]
        steps = [(u, a, b) if backwards else (u, b, a) for u, b, a in change.edits]
        self.transact(change.label, lambda j: _restore(j.doc, steps, change.label), undoable=False)
        source.pop()
        target.append(change)
        return change


# --- helpers that run inside a transaction ---


def _find(doc: Document, task_id: int) -> Record:
    """The one record with this id; a duplicate id is refused, never guessed at."""
    found = [r for r in doc.records if type(r) is dict and _is_id(r.get("id"), task_id)]
    if not found:
        raise TaskNotFound(task_id)
    if len(found) > 1:
        raise InvalidValueError(
            f"the file holds {len(found)} records with id {task_id}; nothing was changed "
            "(`doctor` lists them: give one of them another id by hand)"
        )
    return found[0]


def _is_id(value: Any, task_id: int) -> bool:
    return type(value) is int and value == task_id  # 3.0 == 3 and True == 1: neither is an id


def _task_of(rec: Record) -> Task:
    """The Task of a stored record, or one line saying why it is not one."""
    try:
        return Task.from_record(rec)
    except InvalidRecord as e:
        raise InvalidValueError(
            f"task {rec.get('id')} is not a valid task ({e}); fix it in the file (see `doctor`)"
        ) from None


def _apply(j: Journal, rec: Record, fields: Mapping[str, Any]) -> Task:
    """Set fields on the stored record (unknown fields untouched) and check the result."""
    changed = {k: v for k, v in fields.items() if rec.get(k) != v}
    if "status" in changed:
        changed["completed"] = utc_now() if changed["status"] == "done" else None
    if changed:
        changed["modified"] = utc_now()
    new = {**rec, **changed} if changed else rec
    task = _task_of(new)  # checked before anything is touched
    if changed:
        _replace(j.doc, rec, new)
        j.touch(task.uuid, rec, new)
    return task


def _replace(doc: Document, old: Record, new: Record) -> None:
    """Put `new` where `old` is: records are replaced, never edited (the snapshot shares them)."""
    at = next(i for i, r in enumerate(doc.records) if r is old)
    doc.records[at] = new


def _field_values(rec: Record) -> Mapping[str, Any]:
    """A record's fields as a Task sees them (a missing description is "", not None)."""
    try:
        task = Task.from_record(rec)
    except InvalidRecord:
        return rec
    return {k: getattr(task, k) for k in EDITABLE}


def _restore(doc: Document, steps: list[Edit], label: str) -> None:
    """Put each task back from `expected` to `wanted`, refusing if another window moved it."""
    by_uuid = {r.get("uuid"): i for i, r in enumerate(doc.records) if isinstance(r, dict)}
    for uuid, expected, _ in steps:
        now = doc.records[by_uuid[uuid]] if uuid in by_uuid else None
        if now != expected:
            raise AppError(f"cannot undo `{label}`: another window has changed those tasks since")
    gone = set()
    for uuid, _, wanted in steps:
        if uuid in by_uuid and wanted is None:
            gone.add(by_uuid[uuid])
        elif uuid in by_uuid:
            doc.records[by_uuid[uuid]] = wanted
        elif wanted is not None:
            doc.records.append(wanted)
    if gone:
        doc.records[:] = [r for i, r in enumerate(doc.records) if i not in gone]


def _check(key: str, value: Any) -> Any:
    if key == "status":
        if value not in ("pending", "done"):
            raise InvalidValueError(f"status must be pending or done, not {value!r}")
        return value
    try:
        return _CHECKS[key](value)
    except ValueError as e:
        raise InvalidValueError(str(e)) from None


def _check_new(items: Sequence[Mapping[str, Any]]) -> None:
    for item in items:
        for key, value in item.items():
            _check(key, value)


def _validate(records: list[Any]) -> tuple[list[Task], tuple[tuple[int, object, str], ...]]:
    """Typed views of the valid records, and (position, id, why) for each invalid one."""
    tasks: list[Task] = []
    problems: list[tuple[int, object, str]] = []
    seen_ids: set[int] = set()
    seen_uuids: set[str] = set()
    for pos, rec in enumerate(records):
        rid = rec.get("id") if isinstance(rec, dict) else None
        try:
            task = Task.from_record(rec)
            if task.id in seen_ids:
                raise InvalidRecord(f"duplicate id {task.id}")
            if task.uuid in seen_uuids:
                raise InvalidRecord(f"duplicate uuid {task.uuid}")
        except InvalidRecord as e:
            problems.append((pos, rid, str(e)))
            continue
        seen_ids.add(task.id)
        seen_uuids.add(task.uuid)
        tasks.append(task)
    return tasks, tuple(problems)


def diff_records(old: list[Any], new: list[Any]) -> Changes:
    """Count what changed between two versions of the file, by task uuid."""
    before = {r.get("uuid"): r for r in old if isinstance(r, dict)}
    after = {r.get("uuid"): r for r in new if isinstance(r, dict)}
    counts = dict(added=0, removed=0, completed=0, reopened=0, edited=0)
    counts["added"] = sum(1 for u in after if u not in before)
    counts["removed"] = sum(1 for u in before if u not in after)
    for uuid, rec in after.items():
        prev = before.get(uuid)
        if prev is None or prev == rec:
            continue
        if prev.get("status") != rec.get("status"):
            counts["completed" if rec.get("status") == "done" else "reopened"] += 1
        else:
            counts["edited"] += 1
    return Changes(**counts)
