"""The working state of one transaction, and the edits every mutation makes to its records.

A mutation (core.state.AppState.transact) works on a Journal: the document as it is under the
lock, and each touched task's first and last record, which become the history's step. Records
are replaced, never edited in place (the window's snapshot and undo steps share them), and a
record is checked as a Task before it goes in: an edit that would make it invalid is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import Struct, field

from core.errors import InvalidValueError, TaskNotFound
from core.model import OPTIONAL_FIELDS, InvalidRecord, Record, Task, utc_now
from core.storage.document import Document
from core.storage.history import Change

EDITABLE = (
    "name",
    "description",
    "comment",
    "priority",
    "tags",
    "due",
    "status",
    "project",
    "wait",
    "scheduled",
    "recur",
    "until",
    "parent",  # given as a task id (or None), stored as its uuid
    "depends",  # given as task ids (replacing the list), stored as uuids
)


class Journal(Struct):
    """One transaction's working document, and each touched task's first and last record.

    Records are never edited in place (they are shared with the window's snapshot), so the journal
    keeps references, not copies: the `before` it holds is the record the snapshot still has.
    """

    doc: Document
    edits: dict[str, tuple[Record | None, Record | None]] = field(default_factory=dict)

    def touch(self, uuid: str, before: Record | None, after: Record | None) -> None:
        first = self.edits[uuid][0] if uuid in self.edits else before
        self.edits[uuid] = (first, after)

    def change(self, label: str, undoes: int | None = None, redoes: int | None = None) -> Change:
        """The Change for the history (an undo or redo names the step it takes back or redoes)."""
        edits = tuple((u, b, a) for u, (b, a) in self.edits.items())
        return Change(label, edits, undoes=undoes, redoes=redoes)


def find_record(doc: Document, task_id: int) -> Record:
    """The one record with this id; a duplicate id is refused, never guessed at."""
    # Compared inline, not through is_id: a call per record was a tenth of `done` at 10k tasks.
    found = [r for r in doc.records if type(r) is dict and r.get("id") == task_id]
    found = [r for r in found if type(r["id"]) is int]  # 3.0 == 3 and True == 1: not ids
    if not found:
        raise TaskNotFound(task_id)
    if len(found) > 1:
        raise InvalidValueError(
            f"the file holds {len(found)} records with id {task_id}; nothing was changed "
            "(`doctor` lists them: give one of them another id by hand)"
        )
    return found[0]


def is_id(value: Any, task_id: int) -> bool:
    return type(value) is int and value == task_id  # 3.0 == 3 and True == 1: neither is an id


def task_of(rec: Record) -> Task:
    """The Task of a stored record, or one line saying why it is not one."""
    try:
        return Task.from_record(rec)
    except InvalidRecord as e:
        raise InvalidValueError(
            f"task {rec.get('id')} is not a valid task ({e}); fix it in the file (see `doctor`)"
        ) from None


def apply_fields(j: Journal, rec: Record, fields: Mapping[str, Any]) -> Task:
    """Set fields on the stored record (unknown fields untouched) and check the result."""
    changed = {k: v for k, v in fields.items() if rec.get(k) != v}
    if "status" in changed:
        changed["completed"] = utc_now() if changed["status"] == "done" else None
    if changed:
        changed["modified"] = utc_now()
    new = {**rec, **changed} if changed else rec
    task = task_of(new)  # checked before anything is touched
    if changed:
        replace_record(j.doc, rec, new)
        j.touch(task.uuid, rec, new)
    return task


def replace_record(doc: Document, old: Record, new: Record) -> None:
    """Put `new` where `old` is: records are replaced, never edited (the snapshot shares them)."""
    at = next(i for i, r in enumerate(doc.records) if r is old)
    doc.records[at] = new


def field_values(rec: Record) -> Mapping[str, Any]:
    """A record's fields as a Task sees them (a missing description is "", not None)."""
    try:
        task = Task.from_record(rec)
    except InvalidRecord:
        return rec
    return {k: getattr(task, k) for k in EDITABLE}


def put_record(j: Journal, uuid: str, before: Record | None, after: Record | None) -> None:
    """Make the task `uuid` hold `after` (None: remove it), from `before`; journaled."""
    at = next((i for i, r in enumerate(j.doc.records) if r is before), None) if before else None
    if at is None and after is not None:
        j.doc.records.append(after)
    elif at is not None and after is None:
        del j.doc.records[at]
    elif at is not None and after is not None:
        j.doc.records[at] = after
    j.touch(uuid, before, after)


def set_fields(j: Journal, rec: Record, fields: Mapping[str, Any]) -> Task:
    """`apply_fields`, but an optional field set to None or [] leaves the record (absent = unset)."""
    wanted = {
        k: v
        for k, v in fields.items()
        if not (k in OPTIONAL_FIELDS and is_unset(v) and is_unset(rec.get(k)))
    }
    task = apply_fields(j, rec, wanted)
    new = task.raw
    cleared = [k for k in OPTIONAL_FIELDS if k in new and is_unset(new[k]) and k in wanted]
    if not cleared:
        return task
    kept = {k: v for k, v in new.items() if k not in cleared}
    replace_record(j.doc, new, kept)
    j.touch(task.uuid, new, kept)
    return Task.from_record(kept)


def is_unset(value: Any) -> bool:
    return value is None or value == []
