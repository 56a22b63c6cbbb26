"""core/undo.py: which step undo means, and taking one back field by field (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import AppError
from core.storage.history import Change, entry_line, parse
from core.undo import StepConflict, pick_step, revert


def rec(name: str, **more: Any) -> dict[str, Any]:
    return {"id": 1, "uuid": "u1", "name": name, "modified": "t", **more}


def entries(*changes: Change) -> list[Any]:
    data = b'{"format":"tasksafe-history","version":1}\n'
    for step, change in enumerate(changes, 1):
        data += entry_line(step, "2026-12-01T12:00:00Z", {}, change, 2)
    return list(parse(data).entries)


ADD = Change("add", (("u1", None, rec("a")),))
RENAME = Change("edit 1", (("u1", rec("a"), rec("b")),))


def test_undo_without_a_step_walks_back_and_never_undoes_an_undo() -> None:
    history = entries(ADD, RENAME, Change("undo 2", (), undoes=2))
    assert pick_step(history, None, backwards=True).step == 1
    assert pick_step(history, None, backwards=False).step == 2  # redo: the one undone
    with pytest.raises(AppError, match="itself an undo"):
        pick_step(history, 3, backwards=True)
    with pytest.raises(AppError, match="already undone"):
        pick_step(history, 2, backwards=True)


def test_a_step_is_taken_back_by_its_fields_only() -> None:
    (step,) = [e for e in entries(ADD, RENAME) if e.step == 2]
    now = rec("b", comment="added later", modified="later")
    ((_, before, after),) = revert([now], step)
    assert before is now and after == rec("a", comment="added later", modified="later")


def test_a_later_change_to_the_same_field_refuses_naming_it() -> None:
    (step,) = [e for e in entries(ADD, RENAME) if e.step == 2]
    with pytest.raises(StepConflict, match=r"name of task 1 \('c'\) changed since"):
        revert([rec("c")], step)


def test_undoing_an_add_deletes_the_task_only_if_untouched_since() -> None:
    (add,) = [e for e in entries(ADD) if e.step == 1]
    assert revert([rec("a", modified="x")], add) == [("u1", rec("a", modified="x"), None)]
    with pytest.raises(StepConflict, match="name of task 1"):
        revert([rec("z")], add)
