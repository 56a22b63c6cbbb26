"""AppState: one window's view of the task file, and every mutation as one durable transaction."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from msgspec import Struct, field
from msgspec.structs import replace

from core.edits import (
    MissingRecords,
    OpenSubtasksError,
    add_checked,
    add_new,
    annotate_record,
    change_depends,
    check_field,
    check_new,
    check_subtasks,
    checked_changes,
    edit_record,
    missing_by_uuid,
    note_moved,
    pick_note,
)
from core.errors import AppError, ConflictError, InvalidValueError, TaskNotFound
from core.events import EventSink, InvalidRecords, ignore
from core.file_safety import BackupTiers, SafeFileManager, Snapshot
from core.journal import (
    Journal,
    apply_fields,
    field_values,
    find_record,
    is_unset,
    put_record,
    set_fields,
    task_of,
)
from core.maintenance.backups import restore_into
from core.model import (
    Annotation,
    InvalidRecord,
    Record,
    Task,
    utc_now,
)
from core.series import pending_of_series, skip_occurrences
from core.storage.document import Document, gc_paused
from core.storage.fsops import DEFAULT_OPS, FileOps
from core.storage.history import Change, Edit, Entry
from core.undo import StepConflict, next_after, pick_step, revert

T = TypeVar("T")


class Changes(Struct, frozen=True):
    """What another window changed, by kind, for a one-line notice."""

    added: int = 0
    removed: int = 0
    completed: int = 0
    reopened: int = 0
    edited: int = 0
    by: str = ""  # "sync" when every step since the window's snapshot was a sync

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def total(self) -> int:
        return self.added + self.removed + self.completed + self.reopened + self.edited


class Finished(Struct, frozen=True):
    """Tasks completed (or deleted), and the next occurrence of each recurring one, by its uuid.

    A recurring task completed (or deleted without stopping its series) is followed by a new
    pending occurrence, made in the same transaction: `next[task.uuid]` is that Task. A series
    past its `until` has none.
    """

    tasks: list[Task]
    next: dict[str, Task] = field(default_factory=dict)


# What apply_proposal may change on a pending task: no status but done, and nothing that deletes.
CHANGEABLE = ("name", "priority", "due")


class TaskChange(Struct, frozen=True):
    """One reviewed change to one pending task (issue 15): what `ai` proposed and the user kept.

    `fields` are of CHANGEABLE; `expect` holds the values the review showed for them (another
    window's change meanwhile refuses the whole proposal); `note` is a note to add. There is no
    way to say "delete": the most a change can do is complete.
    """

    task_id: int
    fields: Mapping[str, Any] = field(default_factory=dict)
    complete: bool = False
    add_tags: Sequence[str] = ()
    remove_tags: Sequence[str] = ()
    note: str | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)


class Applied(Struct, frozen=True):
    """What apply_proposal did: tasks added, tasks changed, and each next occurrence by uuid."""

    added: list[Task]
    changed: list[Task]
    next: dict[str, Task] = field(default_factory=dict)


class StaleChangeError(InvalidValueError):
    """A proposed change to a task that is no longer what the review showed: nothing applied."""

    def __init__(self, task_id: int, why: str) -> None:
        super().__init__(
            f"task {task_id} {why} since the proposal was made; nothing was applied"
            " (run `ai` again to see the tasks as they are)"
        )
        self.task_id = task_id


class AppState:
    """The tasks as this window last saw them; each mutation re-reads under the lock."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        lock_timeout: float = 5.0,
        backup_count: int = 3,
        on_event: EventSink = ignore,
        ops: FileOps = DEFAULT_OPS,
        tiers: BackupTiers | None = None,
    ) -> None:
        self.files = SafeFileManager(path, lock_timeout, backup_count, on_event, ops, tiers)
        self.on_event = on_event
        self._snap: Snapshot | None = None
        self._tasks: list[Task] | None = None
        self.problems: tuple[tuple[int, object, str], ...] = ()
        self._reported: tuple[tuple[int, object, str], ...] = ()
        self.undo_stack: list[Change] = []
        self.redo_stack: list[Change] = []
        self._made_changes = False  # then undo/redo mean this window's steps, not the file's

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

    def tasks_with_ids(self, ids: Collection[int]) -> list[Task]:
        """The valid tasks with these ids, in file order, checking only their records: `done 5`
        at 100k tasks need not check the other 99,999. When one is missing, invalid or its id
        repeated, every task is checked instead (`tasks`), so that is reported as always."""
        if self._tasks is not None:
            return [t for t in self._tasks if t.id in ids]
        wanted = set(ids)
        records = [
            r for r in self.snapshot.doc.records if type(r) is dict and r.get("id") in wanted
        ]
        try:
            found = [Task.from_record(r) for r in records]
        except InvalidRecord:
            found = []
        if len(found) != len(wanted) or len({t.id for t in found}) != len(found):
            return [t for t in self.tasks if t.id in wanted]
        return found

    def get(self, task_id: int) -> Task:
        found = self.tasks_with_ids((task_id,))
        if not found:
            raise TaskNotFound(task_id)
        return found[0]

    def changed_elsewhere(self) -> bool:
        """Whether the file differs from this window's snapshot (a stat, no read)."""
        return self._snap is None or self.files.signature() != self._snap.signature

    def refresh(self) -> Changes | None:
        """Reload if the file changed since our snapshot; say what changed (None: nothing did)."""
        if not self.changed_elsewhere():
            return None
        old = self._snap.doc if self._snap else None
        self._set_snapshot(self.files.load())
        changes = diff_records(old.records if old else [], self.snapshot.doc.records)
        if changes and old is not None and self._all_syncs(old.step, self.snapshot.doc.step):
            changes = replace(changes, by="sync")
        return changes or None

    def _all_syncs(self, after: int, upto: int) -> bool:
        """Whether every step in (after, upto] is labelled `sync` (read from the history's tail)."""
        if upto <= after:
            return False  # written without a step (e.g. git's own checkout): not known as a sync
        labels = self.files.history.labels_between(after, upto)
        return labels is not None and all(label == "sync" for label in labels)

    # --- the transaction every mutation goes through ---

    def transact(
        self,
        label: str,
        mutate: Callable[[Journal], T],
        undoable: bool = True,
        undoes: int | None = None,
        redoes: int | None = None,
    ) -> T:
        """Run `mutate` on the latest document under the lock; durable when it returns.

        The change becomes the history's next step; `undoes` / `redoes` name the step an undo or
        redo takes back or applies again.
        """

        def apply(doc: Document) -> tuple[tuple[T, Change], Change]:
            journal = Journal(doc)
            result, change = mutate(journal), journal.change(label, undoes, redoes)
            return (result, change), change

        if self._snap is None:
            # Read first without the lock: a damaged file with no valid backup is then refused
            # without creating even the lock file, and under the lock a stat shows it unchanged.
            self._set_snapshot(self.files.load())
        # If this raises, the snapshot is still what this window last saw (the mutation worked
        # on a copy), so refresh() diffs against it.
        (result, change), snap = self.files.transaction(apply, self._snap)
        self._set_snapshot(snap)
        if undoable and change.edits:
            self.undo_stack.append(replace(change, step=snap.doc.step))
            self.redo_stack.clear()
            self._made_changes = True
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
        *,
        project: str | None = None,
        wait: str | None = None,
        scheduled: str | None = None,
        recur: str | None = None,
        until: str | None = None,
        parent: int | None = None,
        depends: Sequence[int] = (),
        annotations: Sequence[str] = (),
    ) -> Task:
        """Add one task; `parent` and `depends` name tasks by id, stored as their uuids."""
        fields: dict[str, Any] = dict(
            name=name,
            priority=priority,
            tags=tuple(tags),
            due=due,
            description=description,
            comment=comment,
        )
        optional: dict[str, Any] = dict(project=project, wait=wait, scheduled=scheduled)
        optional.update(recur=recur, until=until, parent=parent)
        optional.update(depends=tuple(depends), annotations=tuple(annotations))
        fields.update({k: v for k, v in optional.items() if v is not None and v != ()})
        return self.add_tasks([fields])[0]

    def add_tasks(self, items: Sequence[Mapping[str, Any]], label: str = "add") -> list[Task]:
        """Add several tasks in one transaction: all or none.

        Each item holds new_record's fields; `parent` (an id) and `depends` (ids) are resolved to
        uuids under the lock, so a task deleted meanwhile is TaskNotFound, not a dangling link.
        """
        # Before the lock: bad input never waits for or touches the file.
        checked = check_new(items)

        return self.transact(label, lambda j: add_checked(j, checked))

    def apply_proposal(
        self,
        adds: Sequence[Mapping[str, Any]],
        changes: Sequence[TaskChange],
        label: str = "ai",
    ) -> Applied:
        """Add new tasks and change pending ones in one transaction and one undo step (issue 15).

        Each change is checked as an edit is, before the lock; under it, its task must still be
        pending with the values the review showed (`expect`), else StaleChangeError and nothing
        is applied. Completing goes as `done` does: a recurring task's next occurrence is made,
        open subtasks refuse it. Nothing here can delete a task.
        """
        checked = check_new(adds)
        edits = [_checked_task_change(c) for c in changes]

        def mutate(j: Journal) -> Applied:
            added = add_checked(j, checked)
            tasks = [task_of(_pending_for_change(j.doc, c)) for c, _ in edits]
            _refuse_open_subtasks(
                j.doc, [t for t, (c, _) in zip(tasks, edits, strict=True) if c.complete]
            )
            changed, following = [], {}
            for change, (fields, plus, minus) in edits:
                task, after = edit_record(
                    j, find_record(j.doc, change.task_id), fields, plus, minus
                )
                if change.note is not None:
                    task = annotate_record(j, find_record(j.doc, change.task_id), change.note)
                changed.append(task)
                if after is not None:
                    following[task.uuid] = after
            return Applied(added, changed, following)

        return self.transact(label, mutate)

    def update_task(
        self,
        task_id: int,
        expect: Mapping[str, Any] | None = None,
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        force: bool = False,
        **fields: Any,
    ) -> Task:
        """Change only the given fields; `expect` raises ConflictError if another window changed them.

        Tags added or removed are applied to the tags on disk, so another window's new tag stays.
        `parent` is a task id (None clears it), `depends` a list of ids replacing the list: a
        cycle raises DependencyCycleError. `status="done"` completes the task as `complete_many`
        does (the next occurrence of a recurring task; OpenSubtasksError unless `force`).
        """
        checked, plus, minus = checked_changes(fields, add_tags, remove_tags)

        def mutate(j: Journal) -> Task:
            rec = find_record(j.doc, task_id)
            now = field_values(rec)
            theirs = {k: now.get(k) for k, v in (expect or {}).items() if now.get(k) != v}
            if theirs:
                raise ConflictError(task_id, theirs)
            if checked.get("status") == "done" and not force:
                check_subtasks(j.doc, [task_of(rec)])
            return edit_record(j, rec, checked, plus, minus)[0]

        return self.transact(f"edit {task_id}", mutate)

    def modify_many(
        self,
        ids: Sequence[int],
        changes: Mapping[str, Any],
        add_tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        force: bool = False,
        add_depends: Iterable[int] = (),
        remove_depends: Iterable[int] = (),
    ) -> list[Task]:
        """The same changes (fields as in update_task, tags added and removed) to several tasks.

        `add_depends` / `remove_depends` (ids) change each task's dependencies as set_depends
        does, in the same transaction. One undo step; any unknown id or refused value (a cycle)
        changes nothing.
        """
        checked, plus, minus = checked_changes(changes, add_tags, remove_tags)
        more, fewer = check_field("depends", add_depends), check_field("depends", remove_depends)
        label = "modify " + " ".join(map(str, ids))

        def mutate(j: Journal) -> list[Task]:
            tasks = [task_of(find_record(j.doc, i)) for i in ids]
            if checked.get("status") == "done" and not force:
                check_subtasks(j.doc, tasks)
            edited = [edit_record(j, find_record(j.doc, i), checked, plus, minus)[0] for i in ids]
            if not more and not fewer:
                return edited
            return [change_depends(j, find_record(j.doc, i), more, fewer) for i in ids]

        return self.transact(label, mutate)

    def complete(self, task_id: int, force: bool = False) -> Task:
        return self.complete_many([task_id], force).tasks[0]

    def reopen(self, task_id: int) -> Task:
        return self.set_status([task_id], "pending")[0]

    def set_status(self, ids: Sequence[int], status: str, force: bool = False) -> list[Task]:
        """Mark several tasks done or pending in one transaction; any unknown id changes nothing.

        Done goes through `complete_many` (next occurrences, open subtasks).
        """
        if status == "done":
            return self.complete_many(ids, force).tasks
        label = "undone " + " ".join(map(str, ids))
        return self.transact(
            label,
            lambda j: [apply_fields(j, find_record(j.doc, i), {"status": status}) for i in ids],
        )

    def complete_many(self, ids: Sequence[int], force: bool = False) -> Finished:
        """Complete tasks in one transaction; each recurring one gets its next occurrence in it.

        Exactly once: the task is re-read under the lock, and one already done (by another window)
        makes no second occurrence; nor does one whose next due the series already holds (done,
        reopened and done again). Open subtasks of a completed task raise OpenSubtasksError
        (nothing is changed) unless `force`; subtasks completed in the same call do not count.
        Completing stops a started task.
        """

        def mutate(j: Journal) -> Finished:
            if not force:
                check_subtasks(j.doc, [task_of(find_record(j.doc, i)) for i in ids])
            finished, following = [], {}
            for i in ids:  # found again each time: an id given twice is done once
                task, after = edit_record(j, find_record(j.doc, i), {"status": "done"})
                finished.append(task)
                if after is not None:
                    following[task.uuid] = after
            return Finished(finished, following)

        return self.transact("done " + " ".join(map(str, ids)), mutate)

    def delete(self, task_id: int) -> Task:
        return self.delete_many([task_id])[0]

    def delete_many(self, ids: Sequence[int], series: bool = False) -> list[Task]:
        """Delete tasks (see delete_tasks); the deleted tasks."""
        return self.delete_tasks(ids, series).tasks

    def delete_tasks(self, ids: Sequence[int], series: bool = False) -> Finished:
        """Delete tasks in one transaction; what was deleted and what follows.

        A recurring task's series goes on by default, as in Taskwarrior: deleting a pending
        occurrence skips it, and its next occurrence is made (the latest one deleted of each
        series makes it). `series=True` stops the series: every pending occurrence of it goes too
        (they are in `tasks`) and none follows. Done occurrences are history and stay.
        """

        def mutate(j: Journal) -> Finished:
            gone = [find_record(j.doc, i) for i in ids]
            tasks = [task_of(r) for r in gone]
            if series:
                extra = pending_of_series(j.doc, tasks, exclude=gone)
                gone += extra
                tasks += [task_of(r) for r in extra]
            leaving = {id(rec) for rec in gone}
            j.doc.records[:] = [r for r in j.doc.records if id(r) not in leaving]
            for rec in gone:
                j.touch(rec["uuid"], rec, None)
            return Finished(tasks, {} if series else skip_occurrences(j, tasks))

        return self.transact("delete " + " ".join(map(str, ids)), mutate)

    # --- notes, start and stop, dependencies, subtasks ---

    def annotate(self, task_id: int, text: str) -> Task:
        """Add a dated note; another window's note added meanwhile stays."""
        note = check_field("annotations", [text])[0]

        return self.transact(
            f"annotate {task_id}", lambda j: annotate_record(j, find_record(j.doc, task_id), note)
        )

    def denotate(self, task_id: int, which: int | str) -> tuple[Task, Annotation]:
        """Remove one note: by number (1 is the oldest) or by its text or the unique start of it.

        A number is checked against the notes this window showed: if another window changed them
        so that the number means another note, ConflictError, nothing removed. More than one note
        matching a text raises InvalidValueError naming their numbers.
        """
        seen = self._seen_notes(task_id)

        def mutate(j: Journal) -> tuple[Task, Annotation]:
            rec = find_record(j.doc, task_id)
            task = task_of(rec)
            if isinstance(which, int) and note_moved(task.annotations, seen, which):
                raise ConflictError(task_id, {"annotations": [a.text for a in task.annotations]})
            index = pick_note(task, which)
            notes = list(rec["annotations"])
            del notes[index]
            return set_fields(j, rec, {"annotations": notes}), task.annotations[index]

        return self.transact(f"denotate {task_id}", mutate)

    def _seen_notes(self, task_id: int) -> list[Annotation] | None:
        """The task's notes as this window last showed them (None: it showed none)."""
        if self._snap is None:
            return None
        try:
            return self.get(task_id).annotations
        except TaskNotFound:
            return None

    def start(self, ids: Sequence[int]) -> list[Task]:
        """Mark tasks active (the UTC time they started); a started one keeps its start time."""

        def start_one(j: Journal, task_id: int) -> Task:
            rec = find_record(j.doc, task_id)
            task = task_of(rec)
            if task.done:
                raise InvalidValueError(f"task {task_id} is done; `undone {task_id}` to start it")
            return task if task.start else set_fields(j, rec, {"start": utc_now()})

        label = "start " + " ".join(map(str, ids))
        return self.transact(label, lambda j: [start_one(j, i) for i in ids])

    def stop(self, ids: Sequence[int]) -> list[Task]:
        """End tasks' active time (the `start` field goes); a task not started is unchanged."""
        label = "stop " + " ".join(map(str, ids))
        return self.transact(
            label, lambda j: [set_fields(j, find_record(j.doc, i), {"start": None}) for i in ids]
        )

    def set_depends(
        self,
        task_id: int,
        ids: Iterable[int],
        mode: Literal["replace", "add", "remove"] = "replace",
    ) -> Task:
        """Set, add to or remove from the tasks `task_id` waits for; stored by uuid.

        A cycle (or the task itself) raises DependencyCycleError naming the chain; nothing changes.
        """
        refs = check_field("depends", ids)

        def mutate(j: Journal) -> Task:
            rec = find_record(j.doc, task_id)
            if mode == "replace":
                return edit_record(j, rec, {"depends": refs})[0]
            more, fewer = (refs, []) if mode == "add" else ([], refs)
            return change_depends(j, rec, more, fewer)

        return self.transact(f"depends {task_id}", mutate)

    def subtasks_of(self, task: Task | int) -> list[Task]:
        """The tasks whose parent is `task`, done ones too, in file order (this window's view)."""
        parent = task if isinstance(task, Task) else self.get(task)
        return [t for t in self.tasks if t.parent == parent.uuid]

    def by_uuid(self, uuid: str) -> Task | None:
        """The task with this uuid (as `depends` and `parent` name them), or None."""
        return next((t for t in self.tasks if t.uuid == uuid), None)

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

        return self.transact(label, lambda j: add_new(j, records, missing))

    def import_records(
        self,
        new: Sequence[Record],
        updated: Mapping[str, Mapping[str, Any]],
        label: str = "import",
    ) -> tuple[list[Task], list[Task]]:
        """Add `new` records (each under a new id) and set `updated[uuid]`'s fields (None: unset)
        on the latest record of that uuid, in one transaction: (added, updated).

        Field by field under the lock: a field another window changed meanwhile and the import
        does not set is kept; a new record whose uuid arrived meanwhile is not added twice.
        """

        def mutate(j: Journal) -> tuple[list[Task], list[Task]]:
            added = add_new(j, new)
            by_uuid = {r.get("uuid"): r for r in j.doc.records if isinstance(r, dict)}
            changed = []
            for uuid, fields in updated.items():
                if (rec := by_uuid.get(uuid)) is None:
                    continue  # deleted in another window meanwhile: not brought back
                merged = {**rec, **fields, "modified": utc_now()}
                merged = {k: v for k, v in merged.items() if not (k in fields and is_unset(v))}
                if any(merged.get(k) != rec.get(k) for k in fields):
                    task = task_of(merged)
                    put_record(j, uuid, rec, merged)
                    changed.append(task)
            return added, changed

        return self.transact(label, mutate)

    # --- undo / redo: steps of the history, field by field (core/undo.py) ---

    def undo(self, step: int | None = None) -> Entry:
        """Take back `step`; with none, this window's newest change (a window that has made
        changes), else the file's newest step not undone (a one-shot command, a new window)."""
        if step is None and self._made_changes:
            if not self.undo_stack:
                raise AppError("nothing to undo in this window (`undo STEP` takes back any step)")
            step = self.undo_stack[-1].step
        return self._move(step, backwards=True)

    def redo(self, step: int | None = None) -> Entry:
        """Apply again `step`; with none, what this window undid last, else the newest undone."""
        if step is None and self._made_changes:
            if not self.redo_stack:
                raise AppError("nothing to redo in this window")
            step = self.redo_stack[-1].step
        return self._move(step, backwards=False)

    def _move(self, step: int | None, backwards: bool) -> Entry:
        source, target = (
            (self.undo_stack, self.redo_stack) if backwards else (self.redo_stack, self.undo_stack)
        )
        entry = pick_step(self._applied_steps(), step, backwards)

        def mutate(j: Journal) -> Entry:
            # Again under the lock: another window may have taken it back meanwhile.
            chosen = pick_step(self.files.history.read().applied(j.doc.step), entry.step, backwards)
            for uuid, before, after in revert(j.doc.records, chosen, backwards):
                put_record(j, uuid, before, after)
            return chosen

        verb, links = ("undo", (entry.step, None)) if backwards else ("redo", (None, entry.step))
        try:
            self.transact(f"{verb} {entry.step}", mutate, False, *links)
        except StepConflict as e:
            if source and source[-1].step == entry.step:
                source.pop()  # a refused step never blocks older ones
            raise StepConflict(self._refusal(e, entry, backwards)) from None
        if source and source[-1].step == entry.step:
            target.append(source.pop())
        return entry

    def state_at(self, step: int) -> list[Any]:
        """The records as they were after `step` (ValueError when the history cannot tell)."""
        from core.timeline import state_at  # restore --at and log only: not on the add path

        doc = self.snapshot.doc
        try:
            return state_at(doc.records, self._applied_steps(), doc.step, step)
        except ValueError as e:
            raise AppError(str(e)) from None

    def restore_step(self, step: int) -> list[Edit]:
        """Make the file hold what it held after `step`, as one undoable step; what it did.

        Rebuilt under the lock from the latest file, so another window's newer change is
        taken back too only if it came after `step` (it is then in the history, undoable)."""

        from core.timeline import state_at

        def mutate(j: Journal) -> list[Edit]:
            entries = self.files.history.read().applied(j.doc.step)
            try:
                records = state_at(j.doc.records, entries, j.doc.step, step)
            except ValueError as e:
                raise AppError(str(e)) from None
            past = Document(records, j.doc.next_id)
            past.extra = dict(j.doc.extra)
            applied = restore_into(j.doc, past)
            for uuid, before, after in applied:
                j.touch(uuid, before, after)
            return applied

        return self.transact(f"restore step {step}", mutate)

    def _applied_steps(self) -> list[Entry]:
        return self.files.history.read().applied(self.snapshot.doc.step)

    def _refusal(self, conflict: StepConflict, entry: Entry, backwards: bool) -> str:
        after = next_after(self._applied_steps(), entry.step, backwards)
        verb = "undo" if backwards else "redo"
        hint = f"; `{verb} {after.step}` takes back `{after.label}`" if after and backwards else ""
        return f"{conflict}{hint}"


# --- helpers that run inside a transaction ---


def _checked_task_change(
    change: TaskChange,
) -> tuple[TaskChange, tuple[dict[str, Any], list[str], list[str]]]:
    """A proposed change checked as an edit is, before the lock: (it, its checked edit)."""
    unknown = set(change.fields) - set(CHANGEABLE)
    if unknown:
        raise InvalidValueError(f"a proposed change cannot set {', '.join(sorted(unknown))}")
    fields = {**change.fields, **({"status": "done"} if change.complete else {})}
    checked = checked_changes(fields, change.add_tags, change.remove_tags)
    note = None if change.note is None else check_field("annotations", [change.note])[0]
    return replace(change, note=note), checked


def _pending_for_change(doc: Document, change: TaskChange) -> Record:
    """The record a change is for, still pending and as the review showed it; else refused."""
    try:
        rec = find_record(doc, change.task_id)
    except TaskNotFound:
        raise StaleChangeError(change.task_id, "was deleted in another window") from None
    task = task_of(rec)
    if not task.pending:
        raise StaleChangeError(change.task_id, f"({task.name}) was completed in another window")
    now = field_values(rec)
    moved = sorted(k for k, v in change.expect.items() if now.get(k) != v)
    if moved:
        raise StaleChangeError(
            change.task_id, f"({task.name}) had its {', '.join(moved)} changed in another window"
        )
    return rec


def _refuse_open_subtasks(doc: Document, completing: Sequence[Task]) -> None:
    """As `done` refuses, but no --yes gets past it here: the subtasks need a look first."""
    try:
        check_subtasks(doc, completing)
    except OpenSubtasksError as e:
        ids = ", ".join(str(t.id) for t in e.subtasks)
        raise InvalidValueError(
            f"task {e.task_id} has open subtasks ({ids}); nothing was applied: complete them"
            f" first, or `done {e.task_id} --yes`"
        ) from None


def _validate(records: list[Any]) -> tuple[list[Task], tuple[tuple[int, object, str], ...]]:
    """Typed views of the valid records, and (position, id, why) for each invalid one."""
    tasks: list[Task] = []
    problems: list[tuple[int, object, str]] = []
    seen_ids: set[int] = set()
    seen_uuids: set[str] = set()
    with gc_paused():
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
    counts: dict[str, Any] = dict(added=0, removed=0, completed=0, reopened=0, edited=0)
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
