"""core.state: AppState's mutations as transactions, between several windows on one file."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from core.edits import OpenSubtasksError
from core.errors import (
    AppError,
    ConflictError,
    DiskFullError,
    InvalidValueError,
    TaskNotFound,
)
from core.events import Event, InvalidRecords
from core.links import DependencyCycleError
from core.model import Task
from core.state import (
    AppState,
    Changes,
    StaleChangeError,
    TaskChange,
)
from core.storage.fsops import FileOps

UTC_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def records(path: Path) -> list[Any]:
    return list(json.loads(path.read_bytes())["tasks"])


def on_disk(path: Path, task_id: int) -> dict[str, Any]:
    (rec,) = [r for r in records(path) if isinstance(r, dict) and r.get("id") == task_id]
    return dict(rec)


def window(path: Path, **kwargs: Any) -> AppState:
    """One terminal window on the file, loaded."""
    state = AppState(path, **kwargs)
    state.load()
    return state


def write_envelope(path: Path, tasks: list[Any], next_id: int = 1) -> None:
    value = {"format": "tasksafe", "version": 1, "next_id": next_id, "tasks": tasks}
    path.write_text(json.dumps(value, indent=2))


def task(task_id: int, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "uuid": f"uuid-{task_id}", "name": f"task {task_id}", **fields}


# --- adding and ids ---


def test_add_task_returns_the_task_with_a_fresh_id_and_uuid(tasks_path: Path) -> None:
    state = window(tasks_path)
    first = state.add_task("write report", priority=1, tags=["work"], due="2026-12-01")
    second = state.add_task("call Ana", description="about the trip", comment="after 6")
    assert (first.id, second.id) == (1, 2)
    assert uuid.UUID(first.uuid) != uuid.UUID(second.uuid)
    assert (first.name, first.priority, first.tags, first.due) == (
        "write report",
        1,
        ["work"],
        "2026-12-01",
    )
    assert (second.description, second.comment, second.priority) == ("about the trip", "after 6", 2)
    assert first.created is not None and UTC_STAMP.fullmatch(first.created)
    assert [t.name for t in state.tasks] == ["write report", "call Ana"]
    assert [r["uuid"] for r in records(tasks_path)] == [first.uuid, second.uuid]


def test_add_task_refuses_invalid_input_before_touching_the_file(tasks_path: Path) -> None:
    state = window(tasks_path)
    for bad in ({"name": "  "}, {"name": "x", "priority": 7}, {"name": "x", "due": "soon"}):
        with pytest.raises(InvalidValueError):
            state.add_task(**bad)
    assert not tasks_path.exists()
    assert not Path(f"{tasks_path}.lock").exists()


def test_ids_are_never_reused_after_a_delete(tasks_path: Path) -> None:
    state = window(tasks_path)
    for name in ("a", "b", "c"):
        state.add_task(name)
    state.delete(3)
    assert state.add_task("d").id == 4
    other = window(tasks_path)
    other.delete(4)
    assert state.add_task("e").id == 5  # the stale window allocates past the other's delete


def test_two_windows_adding_get_distinct_ids_and_keep_both_tasks(tasks_path: Path) -> None:
    left, right = window(tasks_path), window(tasks_path)
    ids = [left.add_task("l1").id, right.add_task("r1").id, left.add_task("l2").id]
    assert ids == [1, 2, 3]
    assert [r["name"] for r in records(tasks_path)] == ["l1", "r1", "l2"]


def test_a_name_with_an_undecodable_byte_is_refused_or_cleaned(tasks_path: Path) -> None:
    state = window(tasks_path)
    with contextlib.suppress(InvalidValueError):
        state.add_task("bad \udcff byte")
    for rec in records(tasks_path) if tasks_path.exists() else []:
        assert "\udcff" not in rec["name"]


# --- editing ---


def test_update_task_changes_only_the_given_fields(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("old name", priority=3, tags=["home"], description="d", comment="c")
    before = on_disk(tasks_path, 1)
    edited = state.update_task(1, name="new name")
    after = on_disk(tasks_path, 1)
    assert edited.name == after["name"] == "new name"
    assert {k: v for k, v in after.items() if k not in ("name", "modified")} == {
        k: v for k, v in before.items() if k not in ("name", "modified")
    }


def test_update_task_cleans_and_checks_values(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("x")
    task = state.update_task(1, name="y\u202e", priority="p1", tags=["#a", "a"], due="2026-01-02")
    assert (task.name, task.priority, task.tags, task.due) == ("y", 1, ["a"], "2026-01-02")
    before = tasks_path.read_bytes()
    for bad in ({"priority": 0}, {"name": ""}, {"due": "later"}, {"status": "maybe"}):
        with pytest.raises(InvalidValueError):
            state.update_task(1, **bad)
    with pytest.raises(InvalidValueError, match="cannot edit uuid"):
        state.update_task(1, uuid="mine")
    assert tasks_path.read_bytes() == before


def test_a_stale_window_keeps_the_other_windows_change_to_another_field(tasks_path: Path) -> None:
    left = window(tasks_path)
    left.add_task("shared", priority=2)
    right = window(tasks_path)
    right.update_task(1, priority=1)
    left.update_task(1, description="from left")  # left never saw the new priority
    rec = on_disk(tasks_path, 1)
    assert (rec["priority"], rec["description"]) == (1, "from left")
    assert left.get(1).priority == 1  # and left now sees it


def test_expect_raises_a_conflict_naming_the_field_and_writes_nothing(tasks_path: Path) -> None:
    left = window(tasks_path)
    left.add_task("original")
    right = window(tasks_path)
    right.update_task(1, name="renamed elsewhere")
    before = tasks_path.read_bytes()
    with pytest.raises(ConflictError) as exc:
        left.update_task(1, expect={"name": "original", "priority": 2}, name="mine")
    assert "name" in str(exc.value) and "priority" not in str(exc.value)
    assert exc.value.theirs == {"name": "renamed elsewhere"}
    assert tasks_path.read_bytes() == before


def test_expect_passes_when_nobody_changed_the_field(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("original")
    other = window(tasks_path)
    other.update_task(1, priority=3)  # a different field
    assert state.update_task(1, expect={"name": "original"}, name="mine").name == "mine"


def test_added_tags_merge_with_another_windows_new_tag(tasks_path: Path) -> None:
    left = window(tasks_path)
    left.add_task("x", tags=["start"])
    right = window(tasks_path)
    right.update_task(1, add_tags=["theirs"])
    left.update_task(1, add_tags=["mine"])
    assert on_disk(tasks_path, 1)["tags"] == ["start", "theirs", "mine"]


def test_removed_tags_keep_another_windows_new_tag(tasks_path: Path) -> None:
    left = window(tasks_path)
    left.add_task("x", tags=["old", "keep"])
    right = window(tasks_path)
    right.update_task(1, add_tags=["theirs"])
    left.update_task(1, remove_tags=["old"])
    assert on_disk(tasks_path, 1)["tags"] == ["keep", "theirs"]


def test_unknown_task_fields_survive_update_task(tasks_path: Path) -> None:
    extra = {"colour": {"rgb": [1, 2, 3]}, "estimate": "2h", "links": [None, 2.5]}
    write_envelope(tasks_path, [task(1, **extra)], next_id=2)
    state = window(tasks_path)
    state.update_task(1, name="renamed")
    state.complete(1)
    rec = on_disk(tasks_path, 1)
    assert {k: rec[k] for k in extra} == extra
    assert rec["name"] == "renamed"


@pytest.mark.parametrize(
    "mutation",
    [
        lambda s: s.update_task(1, name="x"),
        lambda s: s.complete(1),
        lambda s: s.reopen(1),
        lambda s: s.delete(1),
    ],
)
def test_a_task_another_window_deleted_raises_task_not_found(
    tasks_path: Path, mutation: Any
) -> None:
    stale = window(tasks_path)
    stale.add_task("doomed")
    stale.add_task("kept")
    window(tasks_path).delete(1)
    before = tasks_path.read_bytes()
    with pytest.raises(TaskNotFound) as exc:
        mutation(stale)
    assert exc.value.exit_code == 1
    assert "task 1 not found" in str(exc.value)
    assert "another window may have deleted it" in str(exc.value)
    assert tasks_path.read_bytes() == before
    changes = stale.refresh()  # the window then learns what the other one did, as a removal
    assert changes is not None and (changes.removed, changes.added) == (1, 0)
    assert [t.id for t in stale.tasks] == [2]


# --- status ---


def test_complete_sets_completed_and_reopen_clears_it(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("x")
    done = state.complete(1)
    assert done.status == "done" and done.completed is not None
    assert UTC_STAMP.fullmatch(done.completed)
    assert on_disk(tasks_path, 1)["completed"] == done.completed
    again = state.reopen(1)
    assert (again.status, again.completed) == ("pending", None)
    assert on_disk(tasks_path, 1)["completed"] is None


def test_set_status_with_one_unknown_id_changes_nothing(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("a")
    state.add_task("b")
    before = tasks_path.read_bytes()
    with pytest.raises(TaskNotFound, match="task 99"):
        state.set_status([1, 99, 2], "done")
    assert tasks_path.read_bytes() == before
    assert [t.status for t in state.tasks] == ["pending", "pending"]  # memory agrees with disk


def test_set_status_marks_several_tasks_in_one_save(tasks_path: Path) -> None:
    events: list[Event] = []
    state = window(tasks_path, on_event=events.append)
    state.add_tasks([{"name": "a"}, {"name": "b"}, {"name": "c"}])
    events.clear()
    state.set_status([1, 3], "done")
    assert [r["status"] for r in records(tasks_path)] == ["done", "pending", "done"]
    assert len(events) == 1  # one Saved: one transaction


# --- refresh ---


def test_refresh_returns_none_when_nothing_changed(tasks_path: Path) -> None:
    state = window(tasks_path)
    assert state.refresh() is None
    state.add_task("mine")
    assert state.refresh() is None  # our own save is not a change from elsewhere


def test_refresh_counts_what_another_window_changed(tasks_path: Path) -> None:
    mine = window(tasks_path)
    mine.add_tasks([{"name": n} for n in ("a", "b", "c", "d")])
    mine.complete(4)
    other = window(tasks_path)
    other.add_task("new")
    other.delete(1)
    other.complete(2)
    other.reopen(4)
    other.update_task(3, name="renamed")
    changes = mine.refresh()
    assert changes == Changes(added=1, removed=1, completed=1, reopened=1, edited=1)
    assert [t.name for t in mine.tasks] == ["b", "renamed", "d", "new"]
    assert mine.refresh() is None


def test_refresh_of_a_rewrite_with_the_same_tasks_reports_no_change(tasks_path: Path) -> None:
    mine = window(tasks_path)
    mine.add_task("a")
    tasks_path.write_bytes(tasks_path.read_bytes() + b"\n")  # an editor saving it again
    assert mine.refresh() is None  # re-read, but no task changed: nothing to tell


# --- invalid records ---


INVALID = [
    task(1),
    {"id": 2, "uuid": "uuid-2", "name": "", "note": "empty name"},
    "a stray string",
    task(4, priority=2.0),  # a float where an integer belongs
    None,
    task(5, status="started", due="soon"),
]


def test_invalid_records_are_reported_with_position_id_and_why(tasks_path: Path) -> None:
    write_envelope(tasks_path, INVALID, next_id=6)
    events: list[Event] = []
    state = window(tasks_path, on_event=events.append)
    assert [t.id for t in state.tasks] == [1]
    assert [(pos, rid) for pos, rid, _ in state.problems] == [
        (1, 2),
        (2, None),
        (3, 4),
        (4, None),
        (5, 5),
    ]
    why = [w for _, _, w in state.problems]
    assert "name" in why[0] and "not an object" in why[1] and "priority" in why[2]
    assert "status" in why[4]
    reported = [e for e in events if isinstance(e, InvalidRecords)]
    assert reported and reported[0].problems == state.problems


def test_invalid_records_are_kept_verbatim_through_later_saves(tasks_path: Path) -> None:
    write_envelope(tasks_path, INVALID, next_id=6)
    state = window(tasks_path)
    state.add_task("new")
    state.update_task(1, name="edited")
    state.delete(6)
    stored = records(tasks_path)
    for pos in (1, 2, 3, 4, 5):
        assert json.dumps(stored[pos]) == json.dumps(INVALID[pos])
    assert b'"priority": 2.0' in tasks_path.read_bytes()


def test_editing_an_invalid_record_is_refused_and_writes_nothing(tasks_path: Path) -> None:
    write_envelope(tasks_path, INVALID, next_id=6)
    state = window(tasks_path)
    before = tasks_path.read_bytes()
    with pytest.raises(InvalidValueError, match="task 5 is not a valid task"):
        state.update_task(5, name="fixed?")
    assert tasks_path.read_bytes() == before


def test_duplicate_ids_and_uuids_are_reported(tasks_path: Path) -> None:
    twin = {**task(1), "uuid": "other"}
    write_envelope(tasks_path, [task(1), twin, {**task(2), "uuid": "uuid-1"}], next_id=3)
    state = window(tasks_path)
    assert [t.id for t in state.tasks] == [1]
    assert state.problems == ((1, 1, "duplicate id 1"), (2, 2, "duplicate uuid uuid-1"))


# --- undo / redo ---


def test_undo_and_redo_an_add(tasks_path: Path) -> None:
    state = window(tasks_path)
    added = state.add_task("oops")
    state.undo()
    assert records(tasks_path) == []
    state.redo()
    assert [(r["id"], r["uuid"]) for r in records(tasks_path)] == [(1, added.uuid)]
    assert state.add_task("next").id == 2


def test_undo_and_redo_an_edit(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("before", priority=3)
    original = on_disk(tasks_path, 1)
    state.update_task(1, name="after", priority=1)
    state.undo()
    assert on_disk(tasks_path, 1) == original
    state.redo()
    assert (on_disk(tasks_path, 1)["name"], state.get(1).priority) == ("after", 1)


def test_undo_a_done(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("x")
    state.complete(1)
    state.undo()
    rec = on_disk(tasks_path, 1)
    assert (rec["status"], rec["completed"]) == ("pending", None)
    state.redo()
    assert on_disk(tasks_path, 1)["status"] == "done"


def test_undo_a_delete_restores_the_record_exactly(tasks_path: Path) -> None:
    write_envelope(tasks_path, [task(1, colour="red"), task(2)], next_id=3)
    state = window(tasks_path)
    original = on_disk(tasks_path, 1)
    state.delete(1)
    state.undo()
    assert on_disk(tasks_path, 1) == original
    state.redo()
    assert [r["id"] for r in records(tasks_path)] == [2]


def test_undo_is_refused_when_another_window_changed_the_task_since(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("x")
    state.update_task(1, name="mine")
    window(tasks_path).update_task(1, name="theirs")
    before = tasks_path.read_bytes()
    with pytest.raises(AppError, match=r"cannot undo step 2 .*name of task 1 .* changed since"):
        state.undo()
    assert tasks_path.read_bytes() == before


def test_undo_takes_back_only_the_fields_its_step_changed(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("x")
    state.update_task(1, name="mine")
    window(tasks_path).update_task(1, comment="theirs")
    state.undo()
    task = window(tasks_path).get(1)
    assert (task.name, task.comment) == ("x", "theirs")


def test_a_refused_step_never_blocks_older_ones(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("a")
    state.add_task("b")
    state.update_task(1, comment="mine")
    window(tasks_path).update_task(1, comment="theirs")
    with pytest.raises(AppError, match=r"comment of task 1 .*; `undo 2` takes back `add`"):
        state.undo()
    state.undo()  # the refused step is dropped from this window's list: the next one goes
    assert [(t.name, t.comment) for t in state.tasks] == [("a", "theirs")]


def test_undo_is_fine_when_another_window_changed_a_different_task(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_tasks([{"name": "a"}, {"name": "b"}])
    state.update_task(1, name="mine")
    window(tasks_path).update_task(2, name="theirs")
    state.undo()
    assert [r["name"] for r in records(tasks_path)] == ["a", "theirs"]


def test_nothing_to_undo_or_redo(tasks_path: Path) -> None:
    state = window(tasks_path)
    with pytest.raises(AppError, match="nothing to undo"):
        state.undo()
    with pytest.raises(AppError, match="nothing to redo"):
        state.redo()


def test_a_new_change_clears_redo(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("a")
    state.undo()
    state.add_task("b")
    with pytest.raises(AppError, match="nothing to redo"):
        state.redo()


def test_undo_keeps_invalid_null_records(tasks_path: Path) -> None:
    write_envelope(tasks_path, [None, task(1)], next_id=2)
    state = window(tasks_path)
    state.add_task("oops")
    state.undo()
    assert records(tasks_path) == [None, task(1)]


# --- failures leave memory consistent with the disk ---


class FullDiskOnce(FileOps):
    """Real file operations; the next rename fails as on a full disk."""

    fail_next = False

    def replace(self, src: str, dst: str) -> None:
        if self.fail_next and not dst.endswith((".backup", ".1", ".2")):
            self.fail_next = False
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        super().replace(src, dst)


def test_after_a_failed_write_memory_matches_the_disk(tasks_path: Path) -> None:
    ops = FullDiskOnce()
    state = window(tasks_path, ops=ops)
    state.add_task("kept")
    ops.fail_next = True
    with pytest.raises(DiskFullError):
        state.add_task("lost")
    assert [t.name for t in state.tasks] == ["kept"]
    ops.fail_next = True
    with pytest.raises(DiskFullError):
        state.update_task(1, name="lost edit")
    assert state.get(1).name == "kept"
    assert len(state.undo_stack) == 1  # only the add that was saved
    state.add_task("after")
    assert [r["name"] for r in records(tasks_path)] == ["kept", "after"]


def test_after_a_failed_write_refresh_reports_nothing_and_the_next_save_reuses_the_snapshot(
    tasks_path: Path,
) -> None:
    ops = FullDiskOnce()
    state = window(tasks_path, ops=ops)
    state.add_task("kept")
    state.complete(1)
    ops.fail_next = True
    with pytest.raises(DiskFullError):
        state.set_status([1], "pending")
    assert state.refresh() is None  # not "1 added": nothing changed on disk
    assert not state.changed_elsewhere()
    assert state.snapshot.doc.records == records(tasks_path)  # the failed edit worked on a copy
    assert state.get(1).status == "done"


def test_expect_compares_fields_as_a_task_sees_them(tasks_path: Path) -> None:
    """A hand-written record without description or tags is no conflict for a form that opened
    with the Task's "" and []."""
    rec = {"id": 1, "uuid": str(uuid.uuid4()), "name": "hand-written"}
    tasks_path.write_text(
        json.dumps({"format": "tasksafe", "version": 1, "next_id": 2, "tasks": [rec]})
    )
    state = window(tasks_path)
    task = state.update_task(1, expect={"description": "", "tags": []}, description="d", tags=["t"])
    assert (task.description, task.tags) == ("d", ["t"])


def test_no_operation_edits_a_record_of_the_window_s_snapshot(tasks_path: Path) -> None:
    """Transactions replace records, never edit them: the snapshot each one started from (and
    every undo step holding its records) stays exactly as it was."""
    state = window(tasks_path)
    state.add_tasks([{"name": "one", "tags": ["a"]}, {"name": "two"}, {"name": "three"}])
    early = decode_file(tasks_path)
    operations = [
        lambda: state.update_task(1, name="renamed", add_tags=["b"]),
        lambda: state.set_status([1, 2], "done"),
        lambda: state.delete_many([3]),
        state.undo,
        state.redo,
        lambda: state.restore_backup(early, "restore"),
    ]
    for operation in operations:
        before = state.snapshot.doc.records
        frozen = json.loads(json.dumps(before))
        operation()
        assert json.loads(json.dumps(before)) == frozen
        assert state.snapshot.doc.records is not before


def decode_file(path: Path) -> Any:
    from core.storage.document import decode

    return decode(path.read_bytes())


def test_restore_backup_is_one_undoable_step_that_names_each_task(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_tasks([{"name": "kept"}, {"name": "leaves"}])
    backup = decode_file(tasks_path)
    state.delete(2)
    state.add_task("added after")
    applied = state.restore_backup(backup, "restore backup")
    assert [t.name for t in state.tasks] == ["kept", "leaves"]
    assert sorted(before is None for _, before, _ in applied) == [False, True]  # 1 back, 1 gone
    state.add_task("next")
    assert state.get(4).name == "next"  # the id of `added after` is never handed out again
    state.undo()
    state.undo()
    assert [t.name for t in state.tasks] == ["kept", "added after"]


def test_add_records_adds_only_what_the_file_lacks_under_new_ids(tasks_path: Path) -> None:
    state = window(tasks_path)
    first = state.add_task("already here")
    elsewhere = {**first.raw, "id": 7, "uuid": str(uuid.uuid4()), "name": "from elsewhere"}
    added = state.add_records([first.raw, elsewhere], "salvage")
    assert [(t.id, t.name) for t in added] == [(2, "from elsewhere")]
    assert [t.name for t in state.tasks] == ["already here", "from elsewhere"]
    assert state.add_records([first.raw, elsewhere], "salvage") == []
    state.undo()
    assert [t.name for t in state.tasks] == ["already here"]


def test_a_duplicate_id_is_refused_with_a_line_naming_it_never_acted_on(tasks_path: Path) -> None:
    """The first copy invalid, the second valid: `delete 2` used to crash with InvalidRecord."""
    state = window(tasks_path)
    state.add_tasks([{"name": "one"}, {"name": "two"}])
    data = json.loads(tasks_path.read_text())
    data["tasks"].insert(0, {"id": 2, "name": ""})
    tasks_path.write_text(json.dumps(data))
    before = tasks_path.read_bytes()
    state = window(tasks_path)
    for operation in (
        lambda: state.delete(2),
        lambda: state.complete(2),
        lambda: state.update_task(2, name="x"),
    ):
        with pytest.raises(InvalidValueError, match=r"2 records with id 2.*doctor"):
            operation()
    assert tasks_path.read_bytes() == before
    assert state.delete(1).name == "one"  # the other tasks are fine


def test_deleting_an_invalid_record_is_one_line_not_a_crash(tasks_path: Path) -> None:
    tasks_path.write_text(json.dumps({"format": "tasksafe", "version": 1, "tasks": [{"id": 1}]}))
    with pytest.raises(InvalidValueError, match="task 1 is not a valid task"):
        window(tasks_path).delete(1)


# --- issue 9: the new fields through add and edit ---


def uuid_of(path: Path, task_id: int) -> str:
    return str(on_disk(path, task_id)["uuid"])


def test_add_task_takes_the_new_fields_and_stores_links_by_uuid(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("garden")
    state.add_task("buy seeds")
    sub = state.add_task(
        "sow",
        due="2026-12-01T08:00",
        project="home.garden",
        wait="2026-11-30",
        scheduled="2026-12-01",
        recur="every 2 weeks",
        until="2027-06-30",
        parent=1,
        depends=[2, 2],
        annotations=["rain barrel"],
    )
    rec = on_disk(tasks_path, 3)
    assert (rec["project"], rec["recur"], rec["until"]) == ("home.garden", "biweekly", "2027-06-30")
    assert (rec["parent"], rec["depends"]) == (uuid_of(tasks_path, 1), [uuid_of(tasks_path, 2)])
    assert rec["series"] == sub.series and uuid.UUID(rec["series"])
    assert [a["text"] for a in rec["annotations"]] == ["rain barrel"]
    assert "start" not in rec
    assert not {"project", "depends", "series", "annotations"} & set(on_disk(tasks_path, 1))


def test_add_refuses_a_recurrence_without_a_due_before_touching_the_file(
    tasks_path: Path,
) -> None:
    state = window(tasks_path)
    for bad in (
        {"recur": "weekly"},
        {"recur": "sometimes", "due": "2026-12-01"},
        {"project": "two words"},
        {"parent": "1"},
        {"depends": [0]},
    ):
        with pytest.raises(InvalidValueError):
            state.add_task("x", **bad)
    assert not tasks_path.exists()


def test_add_with_an_unknown_parent_or_dependency_adds_nothing(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("a")
    before = tasks_path.read_bytes()
    with pytest.raises(TaskNotFound, match="task 9"):
        state.add_tasks([{"name": "b"}, {"name": "c", "parent": 9}])
    with pytest.raises(TaskNotFound, match="task 8"):
        state.add_task("d", depends=[1, 8])
    assert tasks_path.read_bytes() == before


def test_update_task_sets_and_clears_the_new_fields(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("a")
    state.add_task("b")
    task = state.update_task(2, project="Work.Q4", wait="2026-12-03", parent=1, depends=[1])
    assert (task.project, task.wait, task.parent, task.depends) == (
        "Work.Q4",
        "2026-12-03",
        uuid_of(tasks_path, 1),
        [uuid_of(tasks_path, 1)],
    )
    cleared = state.update_task(2, project=None, wait="", parent=None, depends=[])
    assert (cleared.project, cleared.wait, cleared.parent, cleared.depends) == (
        None,
        None,
        None,
        [],
    )
    assert not {"project", "wait", "parent", "depends"} & set(on_disk(tasks_path, 2))  # absent


def test_update_task_gives_a_new_recurrence_a_series_and_keeps_its_due(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("a")
    with pytest.raises(InvalidValueError, match="needs a due date"):
        state.update_task(1, recur="weekly")
    task = state.update_task(1, recur="Weekly", due="2026-12-01")
    assert task.recur == "weekly" and task.series is not None
    assert state.update_task(1, recur="monthly").series == task.series  # the same series
    with pytest.raises(InvalidValueError, match=r"task 1 recurs \(monthly\), so it needs a due"):
        state.update_task(1, due=None)
    with pytest.raises(InvalidValueError, match="try daily"):
        state.update_task(1, recur="now and then")


def test_a_task_cannot_be_its_own_subtask_or_its_subtasks(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_tasks([{"name": n} for n in ("a", "b", "c")])
    state.update_task(2, parent=1)
    state.update_task(3, parent=2)
    before = tasks_path.read_bytes()
    with pytest.raises(DependencyCycleError, match="task 1 cannot be its own subtask"):
        state.update_task(1, parent=1)
    with pytest.raises(DependencyCycleError) as exc:
        state.update_task(1, parent=3)
    assert str(exc.value) == (
        "task 1 would be a subtask of 3, which is a subtask of 2, which is a subtask of 1: a cycle"
    )
    assert tasks_path.read_bytes() == before


def test_subtasks_of_lists_done_and_open_subtasks(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("parent")
    state.add_tasks([{"name": "one", "parent": 1}, {"name": "two", "parent": 1}, {"name": "x"}])
    state.complete(2)
    assert [(t.id, t.status) for t in state.subtasks_of(1)] == [(2, "done"), (3, "pending")]
    assert state.subtasks_of(state.get(4)) == []
    assert state.by_uuid(uuid_of(tasks_path, 3)) == state.get(3)
    assert state.by_uuid("nope") is None


def test_completing_a_parent_with_open_subtasks_asks_first(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("parent")
    state.add_tasks([{"name": "one", "parent": 1}, {"name": "two", "parent": 1}])
    state.complete(2)
    before = tasks_path.read_bytes()
    for attempt in (
        lambda: state.complete(1),
        lambda: state.set_status([1], "done"),
        lambda: state.update_task(1, status="done"),
        lambda: state.modify_many([1], {"status": "done"}),
    ):
        with pytest.raises(OpenSubtasksError) as exc:
            attempt()
        assert [t.id for t in exc.value.subtasks] == [3]
        assert "task 1 has 1 open subtask (3)" in str(exc.value)
    assert tasks_path.read_bytes() == before
    assert state.complete(1, force=True).done
    assert state.get(3).pending  # forcing completes the parent only


def test_a_parent_completed_with_its_open_subtasks_needs_no_force(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("parent")
    state.add_task("child", parent=1)
    finished = state.complete_many([2, 1])
    assert [t.status for t in finished.tasks] == ["done", "done"]


# --- notes ---


def test_annotate_adds_dated_notes_and_keeps_another_windows_note(tasks_path: Path) -> None:
    left = window(tasks_path)
    left.add_task("x")
    right = window(tasks_path)
    right.annotate(1, "from right")
    task = left.annotate(1, "  from left\x1b[1m ")
    assert [a.text for a in task.annotations] == ["from right", "from left"]
    assert all(UTC_STAMP.fullmatch(a.entry) for a in task.annotations)
    with pytest.raises(InvalidValueError, match="needs some text"):
        left.annotate(1, " ")


def test_denotate_by_number_text_or_unique_start(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("x")
    for note in ("call Ana", "call Ben", "buy milk", "Buy bread", "call"):
        state.annotate(1, note)
    task, removed = state.denotate(1, 2)
    assert removed.text == "call Ben"
    assert state.denotate(1, "call")[1].text == "call"  # an exact text wins over a prefix
    with pytest.raises(InvalidValueError, match=r"2 notes of task 1 match 'BU' \(2, 3\)"):
        state.denotate(1, "BU")
    assert state.denotate(1, "buy b")[1].text == "Buy bread"  # a unique start, any case
    task, removed = state.denotate(1, "buy milk")
    assert [a.text for a in task.annotations] == ["call Ana"]
    with pytest.raises(InvalidValueError, match="task 1 has 1 note: give a number from 1 to 1"):
        state.denotate(1, 3)
    with pytest.raises(InvalidValueError, match="no note of task 1 starts with 'zz'"):
        state.denotate(1, "zz")
    state.denotate(1, 1)
    assert "annotations" not in on_disk(tasks_path, 1)
    with pytest.raises(InvalidValueError, match="task 1 has no notes"):
        state.denotate(1, 1)


def test_denotate_by_a_number_another_window_shifted_is_a_conflict(tasks_path: Path) -> None:
    left = window(tasks_path)
    left.add_task("x")
    left.annotate(1, "first")
    left.annotate(1, "second")
    window(tasks_path).denotate(1, "first")  # "second" is now number 1
    before = tasks_path.read_bytes()
    with pytest.raises(ConflictError, match="annotations"):
        left.denotate(1, 2)  # left showed "second" as 2
    assert tasks_path.read_bytes() == before
    left.refresh()
    assert left.denotate(1, 1)[1].text == "second"


# --- start and stop ---


def test_start_and_stop(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_tasks([{"name": "a"}, {"name": "b"}])
    started = state.start([1, 2])
    assert all(t.is_active and UTC_STAMP.fullmatch(t.start or "") for t in started)
    first = on_disk(tasks_path, 1)["start"]
    assert state.start([1])[0].start == first  # already started: its start time stays
    stopped = state.stop([1])
    assert not stopped[0].is_active and "start" not in on_disk(tasks_path, 1)
    assert state.stop([1])[0].start is None  # not started: unchanged
    done = state.complete(2)
    assert done.start is None and "start" not in on_disk(tasks_path, 2)  # done stops it
    with pytest.raises(InvalidValueError, match="task 2 is done"):
        state.start([2])


# --- dependencies ---


def test_set_depends_replaces_adds_and_removes_by_uuid(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_tasks([{"name": n} for n in ("a", "b", "c", "d")])
    u = {i: uuid_of(tasks_path, i) for i in (1, 2, 3, 4)}
    assert state.set_depends(1, [2, 3]).depends == [u[2], u[3]]
    assert state.set_depends(1, [4, 2], mode="add").depends == [u[2], u[3], u[4]]
    assert state.set_depends(1, [3], mode="remove").depends == [u[2], u[4]]
    assert state.set_depends(1, [3]).depends == [u[3]]
    assert state.set_depends(1, []).depends == []
    assert "depends" not in on_disk(tasks_path, 1)


def test_a_dependency_cycle_is_refused_with_its_chain(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_tasks([{"name": n} for n in ("a", "b", "c", "d")])
    state.set_depends(3, [1])
    state.set_depends(1, [2, 4])
    before = tasks_path.read_bytes()
    with pytest.raises(DependencyCycleError) as exc:
        state.set_depends(2, [3])
    assert str(exc.value) == "task 2 depends on 3, which depends on 1, which depends on 2: a cycle"
    with pytest.raises(DependencyCycleError, match=r"^task 2 depends on 1, which depends on 2: a"):
        state.set_depends(2, [4, 1], mode="add")
    with pytest.raises(DependencyCycleError, match="task 2 depends on 1, which depends on 2"):
        state.update_task(2, depends=[1])
    with pytest.raises(DependencyCycleError, match="task 2 depends on 1, which depends on 2"):
        state.modify_many([3, 2], {"depends": [1]})
    with pytest.raises(DependencyCycleError, match="task 2 cannot depend on itself"):
        state.update_task(2, depends=[2])
    assert tasks_path.read_bytes() == before
    assert state.set_depends(2, [4]).depends  # 3 -> 1 -> 2 -> 4: a chain, not a loop
    assert state.set_depends(1, [4], mode="remove").depends == [uuid_of(tasks_path, 2)]


def test_a_cycle_written_by_hand_does_not_hang_the_check(tasks_path: Path) -> None:
    write_envelope(
        tasks_path,
        [task(1, depends=["uuid-2"]), task(2, depends=["uuid-1"]), task(3)],
        next_id=4,
    )
    state = window(tasks_path)
    assert state.set_depends(3, [1]).depends == ["uuid-1"]  # 1 and 2 loop, but not through 3
    with pytest.raises(DependencyCycleError, match="task 1 depends on 3, which depends on 1"):
        state.set_depends(1, [3], mode="add")


# --- recurrence ---


def test_completing_a_recurring_task_makes_its_next_occurrence(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("parent")
    state.add_task(
        "water plants",
        priority=1,
        tags=["home"],
        due="2026-12-03T08:00",
        project="home.garden",
        wait="2026-12-02",
        scheduled="2026-12-03T07:00",
        recur="every mon,thu",
        parent=1,
        annotations=["the first time only"],
    )
    state.start([2])
    finished = state.complete_many([2])
    done, following = finished.tasks[0], finished.next[finished.tasks[0].uuid]
    assert (done.status, following.status, following.id) == ("done", "pending", 3)
    assert following.due == "2026-12-07T08:00"  # Thursday -> Monday, the hour kept
    assert (following.wait, following.scheduled) == ("2026-12-06", "2026-12-07T07:00")
    assert following.series == done.series is not None
    assert (following.name, following.priority, following.tags, following.project) == (
        "water plants",
        1,
        ["home"],
        "home.garden",
    )
    assert (following.parent, following.recur) == (done.parent, "every mon,thu")
    assert (following.annotations, following.start, following.completed) == ([], None, None)
    assert following.uuid != done.uuid
    assert [t.id for t in state.tasks] == [1, 2, 3]


def test_the_next_occurrence_copies_fields_this_version_does_not_know(tasks_path: Path) -> None:
    write_envelope(
        tasks_path,
        [task(1, due="2026-12-01", recur="daily", series="s-1", estimate="2h", start="x")],
        next_id=2,
    )
    state = window(tasks_path)
    state.complete(1)
    rec = on_disk(tasks_path, 2)
    assert (rec["estimate"], rec["series"], rec["due"]) == ("2h", "s-1", "2026-12-02")
    assert "start" not in rec


def test_a_monthly_series_from_the_31st_comes_back_to_the_31st(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("rent", due="2026-01-31", recur="monthly")
    dues = []
    for task_id in (1, 2, 3, 4):
        finished = state.complete_many([task_id])
        dues.append(finished.next[finished.tasks[0].uuid].due)
    assert dues == ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]


def test_a_series_ends_at_until(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("daily", due="2026-12-30", recur="daily", until="2026-12-31")
    assert state.complete_many([1]).next  # the 31st
    last = state.complete_many([2])
    assert last.next == {} and [t.id for t in state.tasks] == [1, 2]


def test_an_unreadable_stored_rule_is_refused_when_completing(tasks_path: Path) -> None:
    write_envelope(tasks_path, [task(1, due="2026-12-01", recur="every blue moon")], next_id=2)
    state = window(tasks_path)
    before = tasks_path.read_bytes()
    with pytest.raises(InvalidValueError, match="task 1's recurrence cannot be read"):
        state.complete(1)
    assert tasks_path.read_bytes() == before


def test_done_undone_done_makes_one_next_occurrence(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("weekly", due="2026-12-01", recur="weekly")
    state.complete(1)
    state.reopen(1)
    again = state.complete_many([1])
    assert again.next == {}
    assert [r["due"] for r in records(tasks_path)] == ["2026-12-01", "2026-12-08"]


def test_two_windows_completing_one_recurring_task_make_one_next_occurrence(
    tasks_path: Path,
) -> None:
    left = window(tasks_path)
    left.add_task("weekly", due="2026-12-01", recur="weekly")
    right = window(tasks_path)
    assert left.complete_many([1]).next
    late = right.complete_many([1])  # right still shows it pending
    assert late.next == {} and late.tasks[0].done
    assert [(r["id"], r["due"]) for r in records(tasks_path)] == [
        (1, "2026-12-01"),
        (2, "2026-12-08"),
    ]


def test_completing_while_another_window_edits_keeps_the_edit_and_one_occurrence(
    tasks_path: Path,
) -> None:
    left = window(tasks_path)
    left.add_task("weekly", due="2026-12-01", recur="weekly")
    left.add_task("other", due="2026-12-01", recur="weekly")
    right = window(tasks_path)
    left.complete(1)
    right.update_task(1, name="renamed in right", expect={"name": "weekly"})  # stale
    assert on_disk(tasks_path, 1)["name"] == "renamed in right"
    assert on_disk(tasks_path, 1)["status"] == "done"
    # The other order: the edit first, then a stale window completes: the next one has the edit.
    right.update_task(2, name="edited first")
    left.complete(2)
    dues = [(r["name"], r["due"], r["status"]) for r in records(tasks_path)]
    assert dues == [
        ("renamed in right", "2026-12-01", "done"),
        ("edited first", "2026-12-01", "done"),
        ("weekly", "2026-12-08", "pending"),
        ("edited first", "2026-12-08", "pending"),
    ]


def test_deleting_an_occurrence_skips_it_and_the_series_goes_on(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("weekly", due="2026-12-01", recur="weekly")
    state.add_task("plain")
    gone = state.delete_tasks([1, 2])
    assert [t.id for t in gone.tasks] == [1, 2]
    following = gone.next[gone.tasks[0].uuid]
    assert (following.id, following.due) == (3, "2026-12-08")
    assert [r["id"] for r in records(tasks_path)] == [3]


def test_deleting_with_series_stops_it_and_keeps_done_occurrences(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("weekly", due="2026-12-01", recur="weekly")
    state.complete(1)  # 2 is due 2026-12-08
    state.reopen(1)  # two pending occurrences now
    state.complete(2)  # 3 is due 2026-12-15
    gone = state.delete_tasks([3], series=True)
    assert sorted(t.id for t in gone.tasks) == [1, 3] and gone.next == {}
    assert [(r["id"], r["status"]) for r in records(tasks_path)] == [(2, "done")]
    assert state.delete_many([2], series=True)[0].id == 2  # the old signature still works


def test_deleting_two_occurrences_of_one_series_makes_one_next(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("weekly", due="2026-12-01", recur="weekly")
    state.complete(1)
    state.reopen(1)  # 1 (Dec 1) and 2 (Dec 8) pending
    gone = state.delete_tasks([1, 2])
    assert len(gone.next) == 1
    assert [(r["id"], r["due"]) for r in records(tasks_path)] == [(3, "2026-12-15")]


# --- bulk changes ---


def test_modify_many_changes_several_tasks_in_one_undo_step(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_tasks([{"name": "a", "tags": ["old"]}, {"name": "b"}, {"name": "c"}])
    before = tasks_path.read_bytes()
    changed = state.modify_many(
        [1, 2], {"project": "home", "due": "2026-12-05"}, add_tags=["garden"], remove_tags=["old"]
    )
    assert [(t.project, t.due, t.tags) for t in changed] == [
        ("home", "2026-12-05", ["garden"]),
        ("home", "2026-12-05", ["garden"]),
    ]
    assert state.get(3).project is None
    state.undo()
    assert [Task_fields(r) for r in records(tasks_path)] == [
        Task_fields(r) for r in json.loads(before)["tasks"]
    ]


def Task_fields(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k != "modified"}


def test_modify_many_with_one_bad_id_or_value_changes_nothing(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_tasks([{"name": "a"}, {"name": "b"}])
    before = tasks_path.read_bytes()
    with pytest.raises(TaskNotFound):
        state.modify_many([1, 9], {"priority": 1})
    with pytest.raises(InvalidValueError, match="cannot edit uuid"):
        state.modify_many([1], {"uuid": "x"})
    with pytest.raises(InvalidValueError, match="project"):
        state.modify_many([1, 2], {"project": "a b"})
    assert tasks_path.read_bytes() == before


def test_modify_many_to_done_makes_next_occurrences(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("weekly", due="2026-12-01", recur="weekly")
    state.modify_many([1], {"status": "done"})
    assert [(r["due"], r["status"]) for r in records(tasks_path)] == [
        ("2026-12-01", "done"),
        ("2026-12-08", "pending"),
    ]


# --- undo and redo of each new operation ---


def _setup_rich(state: AppState) -> None:
    state.add_task("parent")
    state.add_task("weekly", due="2026-12-01", recur="weekly", parent=1)
    state.add_task("plain")
    state.annotate(3, "a note")
    state.start([1])


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.annotate(3, "another"),
        lambda s: s.denotate(3, 1),
        lambda s: s.start([2, 3]),
        lambda s: s.stop([1]),
        lambda s: s.set_depends(3, [1, 2]),
        lambda s: s.update_task(3, parent=1, project="home", recur="daily", due="2026-12-02"),
        lambda s: s.complete_many([2]),
        lambda s: s.complete_many([1], force=True),
        lambda s: s.delete_tasks([2]),
        lambda s: s.delete_tasks([2], series=True),
        lambda s: s.modify_many([1, 3], {"wait": "2026-12-24"}, add_tags=["x"]),
    ],
)
def test_undo_and_redo_of_each_new_operation(tasks_path: Path, operation: Any) -> None:
    state = window(tasks_path)
    _setup_rich(state)
    before = records(tasks_path)
    steps = len(state.undo_stack)
    operation(state)
    after = records(tasks_path)
    assert after != before
    assert len(state.undo_stack) == steps + 1  # one undo step
    state.undo()
    assert by_id(records(tasks_path)) == by_id(before)  # an undone delete comes back at the end
    state.redo()
    assert by_id(records(tasks_path)) == by_id(after)


def by_id(recs: list[Any]) -> list[Any]:
    # `modified` is bookkeeping (core.undo.BOOKKEEPING): an undo made a second later stamps its own.
    return sorted(
        ({k: v for k, v in r.items() if k != "modified"} for r in recs), key=lambda r: r["id"]
    )


def test_every_saved_change_is_one_step_in_the_history_and_the_file_names_it(
    tasks_path: Path,
) -> None:
    state = window(tasks_path)
    first = state.add_task("one")
    state.update_task(first.id, name="renamed")
    state.undo()
    entries = state.files.history.read().entries
    assert [(e.step, e.label, e.undoes) for e in entries] == [
        (1, "add", None),
        (2, f"edit {first.id}", None),
        (3, "undo 2", 2),
    ]
    (uuid, before, after) = entries[1].edits[0]
    assert uuid == first.uuid and before["name"] == "one" and after["name"] == "renamed"
    assert entries[2].edits[0][2]["name"] == "one"  # the undo's own change is recorded too
    assert json.loads(tasks_path.read_text())["step"] == 3


def test_a_change_that_changes_nothing_writes_nothing(tasks_path: Path) -> None:
    state = window(tasks_path)
    state.add_task("one")
    state.complete(1)

    def files() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in tasks_path.parent.iterdir() if p.suffix != ".lock"}

    before = files()
    state.complete(1)  # already done
    state.update_task(1, name="one")
    assert files() == before  # no backup pushed out, no step
    assert len(state.files.history.read().entries) == 2


def test_modify_many_adds_and_removes_dependencies_in_one_step(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_tasks([{"name": n} for n in ("a", "b", "c", "d")])
    state.set_depends(3, [1])
    uuid = {t.id: t.uuid for t in state.tasks}
    steps = len(state.undo_stack)
    changed = state.modify_many([3, 4], {"priority": 1}, add_depends=[2], remove_depends=[1])
    assert [t.depends for t in changed] == [[uuid[2]], [uuid[2]]]
    assert [t.priority for t in changed] == [1, 1]
    assert len(state.undo_stack) == steps + 1  # one transaction, one undo step
    with pytest.raises(DependencyCycleError, match="a cycle"):
        state.modify_many([2], {}, add_depends=[3])
    assert state.get(2).depends == []


def test_tags_removed_or_added_match_without_case(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_task("x", tags=["Work", "home"])
    assert state.update_task(1, add_tags=["work"], remove_tags=["HOME"]).tags == ["Work"]


# --- apply_proposal: what `ai` proposed and the user kept, as one step (issue 15) ---


def proposal_file(path: Path) -> AppState:
    state = window(path)
    state.add_task("buy milk", tags=["errands"])
    state.add_task("dentist appointment", due="2026-12-02")
    state.add_task("water plants", due="2026-12-01", recur="weekly")
    return window(path)


def test_apply_proposal_adds_and_changes_in_one_step_that_one_undo_takes_back(
    tasks_path: Path,
) -> None:
    state = proposal_file(tasks_path)
    before = records(tasks_path)
    step = state.snapshot.doc.step
    applied = state.apply_proposal(
        [{"name": "call mom", "priority": 1}],
        [
            TaskChange(1, complete=True),
            TaskChange(2, {"due": "2026-12-04", "priority": 1}, expect={"due": "2026-12-02"}),
            TaskChange(3, {"name": "water the plants"}, add_tags=["home"], note="the big one"),
        ],
    )
    assert [t.name for t in applied.added] == ["call mom"]
    assert [t.id for t in applied.changed] == [1, 2, 3]
    assert on_disk(tasks_path, 1)["status"] == "done"
    assert (on_disk(tasks_path, 2)["due"], on_disk(tasks_path, 2)["priority"]) == ("2026-12-04", 1)
    rec = on_disk(tasks_path, 3)
    assert (rec["name"], rec["tags"]) == ("water the plants", ["home"])
    assert [n["text"] for n in rec["annotations"]] == ["the big one"]
    assert window(tasks_path).snapshot.doc.step == step + 1  # one step, one history entry
    state.undo()
    assert records(tasks_path) == before


def test_apply_proposal_completing_a_recurring_task_makes_its_next_occurrence_once(
    tasks_path: Path,
) -> None:
    state = proposal_file(tasks_path)
    applied = state.apply_proposal([], [TaskChange(3, complete=True)])
    (following,) = applied.next.values()
    assert (following.name, following.due, following.pending) == (
        "water plants",
        "2026-12-08",
        True,
    )
    assert len([r for r in records(tasks_path) if r["name"] == "water plants"]) == 2
    state.undo()
    assert len([r for r in records(tasks_path) if r["name"] == "water plants"]) == 1


@pytest.mark.parametrize(
    ("elsewhere", "words"),
    [
        (lambda s: s.complete(1), "task 1 (buy milk) was completed in another window"),
        (lambda s: s.delete(1), "task 1 was deleted in another window"),
        (
            lambda s: s.update_task(1, due="2026-12-24"),
            "task 1 (buy milk) had its due changed in another window",
        ),
    ],
)
def test_a_stale_change_is_one_line_and_nothing_is_applied(
    tasks_path: Path, elsewhere: Any, words: str
) -> None:
    state = proposal_file(tasks_path)
    _ = state.tasks  # the review saw them so
    elsewhere(window(tasks_path))
    before = tasks_path.read_bytes()
    with pytest.raises(StaleChangeError) as caught:
        state.apply_proposal(
            [{"name": "call mom"}],
            [
                TaskChange(2, {"priority": 1}),
                TaskChange(1, {"due": "2026-12-05"}, expect={"due": None}),
            ],
        )
    assert words in str(caught.value) and "nothing was applied" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert tasks_path.read_bytes() == before


def test_apply_proposal_checks_each_change_as_an_edit_before_the_lock(tasks_path: Path) -> None:
    state = proposal_file(tasks_path)
    before = tasks_path.read_bytes()
    for bad in (
        TaskChange(1, {"priority": 7}),
        TaskChange(1, {"due": "someday soon"}),
        TaskChange(1, {"status": "deleted"}),
        TaskChange(1, add_tags=["two words"]),
        TaskChange(1, note="   "),
        TaskChange(99, complete=True),
    ):
        with pytest.raises(AppError):
            state.apply_proposal([{"name": "call mom"}], [bad])
    assert tasks_path.read_bytes() == before


def test_apply_proposal_refuses_to_complete_a_task_with_open_subtasks(tasks_path: Path) -> None:
    state = proposal_file(tasks_path)
    state.add_task("buy oat milk", parent=1)
    with pytest.raises(InvalidValueError, match=r"open subtasks \(4\); nothing was applied"):
        state.apply_proposal([], [TaskChange(1, complete=True)])
    assert on_disk(tasks_path, 1)["status"] == "pending"


def test_tasks_with_ids_checks_only_the_named_records(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = window(tasks_path)
    for name in ("a", "b", "c", "d"):
        writer.add_task(name)
    checked: list[Any] = []
    real = Task.from_record

    def counted(rec: Any) -> Task:
        checked.append(rec)
        return real(rec)

    monkeypatch.setattr(Task, "from_record", counted)
    state = AppState(tasks_path)  # as a one-shot command: not loaded before it needs tasks
    assert [t.name for t in state.tasks_with_ids({3, 1})] == ["a", "c"]
    assert [r["id"] for r in checked] == [1, 3]  # `done 3` at 100k tasks checks one record


def test_tasks_with_ids_checks_every_task_when_one_is_missing_or_invalid(tasks_path: Path) -> None:
    writer = window(tasks_path)
    writer.add_task("a")
    writer.add_task("b")
    doc = json.loads(tasks_path.read_text())
    doc["tasks"][1]["priority"] = "high"  # task 2 is invalid now
    tasks_path.write_text(json.dumps(doc))
    seen: list[Event] = []
    state = AppState(tasks_path, on_event=seen.append)
    assert [t.id for t in state.tasks_with_ids({1, 2})] == [1]  # as `tasks` has them
    assert any(isinstance(e, InvalidRecords) for e in seen)  # and reported, as always
    assert state.tasks_with_ids({9}) == []
