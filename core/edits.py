"""What one transaction does to records: fields checked before the lock, new tasks added, edits
merged with what is on disk, links resolved to uuids, notes picked, open subtasks refused.

Functions of a Journal (core.journal) or a Document: AppState (core.state) runs them inside
its transactions.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from core.errors import AppError, InvalidValueError
from core.journal import (
    EDITABLE,
    Journal,
    find_record,
    set_fields,
    task_of,
)
from core.links import linked_uuids, parent_uuid, refuse_cycle
from core.model import (
    Annotation,
    InvalidRecord,
    Record,
    Task,
    check_annotation,
    check_date,
    check_due,
    check_name,
    check_project,
    check_recur,
    new_record,
    utc_now,
)
from core.series import follow
from core.storage.document import Document
from core.vocabulary import apply_tags, check_tags, clean_text, parse_priority


def check_task_ref(value: Any) -> int | None:
    """A task id given for `parent` (None clears it)."""
    if value is None or value == "":
        return None
    if type(value) is not int or value < 1:
        raise ValueError(f"a task is named by its id (a positive number), not {value!r:.40}")
    return value


def check_task_refs(values: Iterable[Any]) -> list[int]:
    """Task ids given for `depends`, each once, in order."""
    if isinstance(values, str | int):
        raise ValueError("depends takes a list of task ids")
    refs = [check_task_ref(v) for v in values]
    return list(dict.fromkeys(r for r in refs if r is not None))


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": check_name,
    "description": clean_text,
    "comment": clean_text,
    "priority": parse_priority,
    "tags": check_tags,
    "due": check_due,
    "project": check_project,
    "wait": partial(check_date, key="wait"),
    "scheduled": partial(check_date, key="scheduled"),
    "until": partial(check_date, key="until"),
    "recur": check_recur,
    "parent": check_task_ref,
    "depends": check_task_refs,
    "annotations": lambda texts: [check_annotation(t) for t in texts],
}


class OpenSubtasksError(AppError):
    """Completing a task whose subtasks are not done: the commands ask, or need --yes."""

    def __init__(self, task_id: int, subtasks: Sequence[Task]) -> None:
        ids = ", ".join(str(t.id) for t in subtasks)
        noun = "subtask" if len(subtasks) == 1 else "subtasks"
        super().__init__(
            f"task {task_id} has {len(subtasks)} open {noun} ({ids}); complete them first, "
            f"or confirm (--yes) to complete {task_id} anyway"
        )
        self.task_id = task_id
        self.subtasks = list(subtasks)


MissingRecords = Callable[[Sequence[Record], list[Any]], Sequence[Record]]


def missing_by_uuid(records: Sequence[Record], current: list[Any]) -> list[Record]:
    """The records whose uuid no current record has."""
    uuids = {r.get("uuid") for r in current if isinstance(r, dict)}
    return [r for r in records if r.get("uuid") not in uuids]


def add_checked(j: Journal, checked: Sequence[Mapping[str, Any]]) -> list[Task]:
    """Add new tasks from checked fields (`parent`/`depends` ids resolved under the lock)."""
    added = []
    for item in checked:
        rec = new_record(j.doc.allocate_id(), **resolve_refs(j.doc, item))
        j.doc.records.append(rec)
        j.touch(rec["uuid"], None, rec)
        added.append(Task.from_record(rec))
    return added


def annotate_record(j: Journal, rec: Record, note: str) -> Task:
    """Add a dated note (checked already) to the notes on disk: another window's stay."""
    task_of(rec)
    notes = list(rec.get("annotations") or [])
    return set_fields(j, rec, {"annotations": [*notes, {"entry": utc_now(), "text": note}]})


def add_new(
    j: Journal, records: Sequence[Record], missing: MissingRecords = missing_by_uuid
) -> list[Task]:
    """Add copies of the records the file lacks (`missing` decides), each under a new id."""
    added = []
    wanted = missing(records, j.doc.records)
    # One allocate_id (a scan of every id), then the next ones in a row: 10k imports stay O(n).
    first = j.doc.allocate_id() if wanted else 0
    j.doc.next_id = first + len(wanted) if wanted else j.doc.next_id
    for number, rec in enumerate(wanted, first):
        new = {**rec, "id": number}
        j.doc.records.append(new)
        j.touch(new["uuid"], None, new)
        added.append(Task.from_record(new))
    return added


def edit_record(
    j: Journal,
    rec: Record,
    checked: Mapping[str, Any],
    plus: Sequence[str] = (),
    minus: Sequence[str] = (),
) -> tuple[Task, Task | None]:
    """Apply checked changes to one record, merged with what is on disk; (task, next occurrence).

    Ids in `parent` and `depends` become uuids (cycles refused); a recurring task keeps a due and
    gets a series; a change to done completes it as complete_many does. An invalid record may be
    edited (the edit may be what fixes it): the result is checked.
    """
    task = task_or_none(rec) or _lenient(rec)
    changes = dict(checked)
    if plus or minus:
        tags = changes.get("tags", rec.get("tags"))
        current = tags if isinstance(tags, list) else []
        changes["tags"] = apply_tags(current, plus, minus)  # matched without case
    if "parent" in changes:
        changes["parent"] = parent_uuid(j.doc, task, changes["parent"])
    if "depends" in changes:
        changes["depends"] = [task_of(find_record(j.doc, i)).uuid for i in changes["depends"]]
        refuse_cycle(j.doc, task, changes["depends"])
    recur = changes.get("recur", task.recur)
    if recur is not None and changes.get("due", task.due) is None:
        raise InvalidValueError(f"task {task.id} recurs ({recur}), so it needs a due date")
    if recur is not None and task.series is None:
        changes["series"] = str(uuidlib.uuid4())
    if changes.get("status") != "done" or task.done:
        return set_fields(j, rec, changes), None  # already done (another window?): no second next
    done = set_fields(j, rec, {**changes, "start": None})
    return done, follow(j, done)


def change_depends(j: Journal, rec: Record, more: Sequence[int], fewer: Sequence[int]) -> Task:
    """Add and remove dependencies (ids) of one task; a cycle is refused."""
    task = task_of(rec)
    adding = [task_of(find_record(j.doc, i)).uuid for i in more]
    dropping = {task_of(find_record(j.doc, i)).uuid for i in fewer}
    kept = [u for u in task.depends if u not in dropping]
    wanted = kept + [u for u in dict.fromkeys(adding) if u not in kept and u not in dropping]
    refuse_cycle(j.doc, task, wanted)
    return set_fields(j, rec, {"depends": wanted})


def checked_changes(
    fields: Mapping[str, Any], add_tags: Iterable[str], remove_tags: Iterable[str]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Changes checked before the lock: (fields, tags to add, tags to remove)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise InvalidValueError(f"cannot edit {', '.join(sorted(unknown))}")
    checked = {k: check_field(k, v) for k, v in fields.items()}
    return checked, check_field("tags", add_tags), check_field("tags", remove_tags)


def resolve_refs(doc: Document, item: Mapping[str, Any]) -> dict[str, Any]:
    """A new task's fields with `parent` and `depends` ids turned into the uuids of those tasks."""
    out = dict(item)
    if out.get("parent") is not None:
        out["parent"] = task_of(find_record(doc, out["parent"])).uuid
    if out.get("depends"):
        out["depends"] = [task_of(find_record(doc, i)).uuid for i in out["depends"]]
    return out


def check_subtasks(doc: Document, tasks: Sequence[Task]) -> None:
    """Refuse to complete a pending task with pending subtasks not completed along with it."""
    completing = {t.uuid for t in tasks if t.pending}
    if not completing:
        return
    open_children: dict[str, list[Task]] = {}
    for rec in doc.records:
        if type(rec) is not dict or rec.get("parent") not in completing:
            continue
        child = task_or_none(rec)
        if child is not None and child.pending and child.uuid not in completing:
            open_children.setdefault(child.parent or "", []).append(child)
    for task in tasks:
        if task.uuid in open_children:
            raise OpenSubtasksError(task.id, open_children[task.uuid])


def task_or_none(rec: Any) -> Task | None:
    try:
        return Task.from_record(rec)
    except InvalidRecord:
        return None


def _lenient(rec: Record) -> Task:
    """What `edit_record` needs of a record that is not a valid task: its identity and links."""

    def text(key: str) -> str | None:
        value = rec.get(key)
        return value if isinstance(value, str) and value else None

    return Task(
        id=rec["id"],  # find_record found it by this id
        uuid=str(rec.get("uuid")),
        name=text("name") or "?",
        status="done" if rec.get("status") == "done" else "pending",
        due=text("due"),
        depends=linked_uuids(rec, "depends"),
        recur=text("recur"),
        series=text("series"),
        raw=rec,
    )


def note_moved(notes: list[Annotation], seen: list[Annotation] | None, number: int) -> bool:
    """Whether note `number` on disk is not the one this window showed as that number."""
    if seen is None or not 1 <= number <= len(seen):
        return False
    return notes[number - 1 : number] != seen[number - 1 : number]


def pick_note(task: Task, which: int | str) -> int:
    """The index of the note `which` names: a 1-based number, its text, or a unique start of it."""
    notes = task.annotations
    if not notes:
        raise InvalidValueError(f"task {task.id} has no notes")
    if isinstance(which, int):
        if not 1 <= which <= len(notes):
            raise InvalidValueError(
                f"task {task.id} has {len(notes)} note{'s' if len(notes) > 1 else ''}: "
                f"give a number from 1 to {len(notes)} or the start of its text"
            )
        return which - 1
    text = which.strip()
    exact = [i for i, n in enumerate(notes) if n.text == text]
    found = exact or [
        i for i, n in enumerate(notes) if n.text.casefold().startswith(text.casefold())
    ]
    if not text or not found:
        raise InvalidValueError(f"no note of task {task.id} starts with {which!r:.40}")
    if len(found) > 1:
        numbers = ", ".join(str(i + 1) for i in found)
        raise InvalidValueError(
            f"{len(found)} notes of task {task.id} match {which!r:.40} ({numbers}): "
            "give its number or more of its text"
        )
    return found[0]


def check_field(key: str, value: Any) -> Any:
    if key == "status":
        if value not in ("pending", "done"):
            raise InvalidValueError(f"status must be pending or done, not {value!r}")
        return value
    try:
        return _CHECKS[key](value)
    except ValueError as e:
        raise InvalidValueError(str(e)) from None


def check_new(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """New tasks' fields checked and cleaned; a recurring one needs a due."""
    checked = []
    for item in items:
        fields = {key: check_field(key, value) for key, value in item.items()}
        if fields.get("recur") and not fields.get("due"):
            raise InvalidValueError("a recurring task needs a due date")
        checked.append(fields)
    return checked
