"""core.ai.proposal: nothing a model or a paste produces reaches the screen unchecked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from core.ai.proposal import (
    ProposalError,
    ProposedChange,
    ProposedTask,
    validate_changes,
    validate_proposed,
)
from core.errors import AppError
from core.model import Task

NOW = datetime(2026, 12, 31, 10, 30)


def test_defaults_fill_missing_fields() -> None:
    assert validate_proposed([{"name": "buy milk"}], NOW) == (ProposedTask("buy milk"),)


def test_a_full_task_is_cleaned() -> None:
    raw = {
        "name": "  call\n  mom\x1b[5m \x1b]0;title\x07",
        "description": " ask about\n sunday \x07",
        "priority": "high",
        "tags": ["#Family", "C++", "Family", "family"],  # core.vocabulary's tag rule
        "due": "2027-01-05T18:00:00",
        "action": "delete_all",  # unknown keys are ignored, never acted on
    }
    assert validate_proposed([raw], NOW) == (
        ProposedTask(
            name="call mom",
            description="ask about\n sunday",
            priority=1,
            tags=("Family", "C++", "family"),
            due="2027-01-05T18:00",
        ),
    )


@pytest.mark.parametrize(
    ("value", "priority"),
    [(1, 1), (3, 3), ("p2", 2), ("3", 3), ("low", 3), ("urgent", 1), (1.0, 1), (None, 2)],
)
def test_priority_forms(value: Any, priority: int) -> None:
    (task,) = validate_proposed([{"name": "x", "priority": value}], NOW)
    assert task.priority == priority


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 201),
        ("name", "   "),
        ("name", "\x1b[31m\x1b[0m"),  # nothing left once escapes go
        ("name", 42),
        ("description", "x" * 2001),
        ("description", ["not", "text"]),
        ("priority", 7),
        ("priority", 0),
        ("priority", True),
        ("priority", "urgent!!"),
        ("tags", ["has space!"]),
        ("tags", ["Phone Calls"]),  # one word: not turned into phone-calls
        ("tags", ["x" * 41]),
        ("tags", [f"t{n}" for n in range(11)]),
        ("tags", [1, 2]),
        ("tags", {"a": 1}),
        ("due", "someday"),
        ("due", "2025-12-01"),  # more than a year ago: a model's year typo
        ("due", "2037-01-01"),  # more than ten years ahead
        ("due", 20270101),
    ],
)
def test_bad_fields_are_named(field: str, value: Any) -> None:
    raw: list[Any] = [{"name": "fine"}, {"name": "x", field: value}]
    with pytest.raises(ProposalError) as caught:
        validate_proposed(raw, NOW)
    assert caught.value.field == field
    assert caught.value.index == 2
    # The repair request sends this line back to the model: it must say which task and field.
    assert str(caught.value).startswith("task 2: ")
    assert field.rstrip("s") in str(caught.value)
    assert "\n" not in str(caught.value)


def test_limits_that_are_allowed() -> None:
    raw = [{"name": "x" * 200, "tags": [f"t{n}" for n in range(10)], "due": "2036-12-01"}] * 20
    assert len(validate_proposed(raw, NOW)) == 20


def test_due_words_and_iso_are_accepted() -> None:
    tasks = validate_proposed(
        [{"name": "a", "due": "tomorrow 18:00"}, {"name": "b", "due": "2027-01-05"}], NOW
    )
    assert [t.due for t in tasks] == ["2027-01-01T18:00", "2027-01-05"]


@pytest.mark.parametrize("raw", [[{"name": "x"}] * 21, "tasks", [["name", "x"]]])
def test_the_list_itself_is_checked(raw: Any) -> None:
    with pytest.raises(ProposalError) as caught:
        validate_proposed(raw, NOW)
    assert caught.value.field == "tasks"


def test_proposal_errors_are_user_errors_and_value_errors() -> None:
    with pytest.raises(ProposalError) as caught:
        validate_proposed([{"name": ""}], NOW)
    assert isinstance(caught.value, AppError) and isinstance(caught.value, ValueError)


# --- changes to pending tasks (issue 15) ---

SHOWN = {
    3: Task(id=3, uuid="u3", name="buy milk", tags=["errands"]),
    5: Task(id=5, uuid="u5", name="dentist appointment", due="2027-01-04", priority=1),
}


def test_a_change_is_read_field_by_field_and_only_what_differs_is_kept() -> None:
    raw = [
        {
            "id": "3",  # a small model quotes numbers
            "complete": True,
            "priority": "high",
            "add_tags": ["#Errands", "shop"],  # errands is there already
            "remove_tags": ["errands", "nothere"],
            "name": "buy oat milk",
            "note": " skimmed \x1b[2J",
        },
        {"id": 5, "due": "2027-01-04", "due_text": "friday", "priority": 1},
    ]
    changes, notes = validate_changes(raw, SHOWN, NOW)
    assert notes == ()
    assert changes == (
        ProposedChange(
            3,
            "buy milk",
            complete=True,
            priority=1,
            rename="buy oat milk",
            add_tags=("shop",),
            remove_tags=("errands",),
            note="skimmed",
        ),
        ProposedChange(5, "dentist appointment", due="2027-01-01"),  # friday read by tasksafe
    )
    assert changes[0].was is SHOWN[3]


@pytest.mark.parametrize(
    ("item", "note"),
    [
        ({"id": 4, "complete": True}, "named task 4, not one of the pending tasks it was shown"),
        ({"id": True, "complete": True}, "named task True"),
        ({"complete": True}, "named task None"),
        ({"id": 3, "delete": True}, "asked to delete task 3: `ai` never deletes; dropped"),
        ({"id": 3, "status": "Deleted"}, "asked to delete task 3"),
        ({"id": 3, "action": "remove"}, "asked to delete task 3"),
        ({"id": 3, "priority": 9}, "change 1 (task 3): priority"),
        ({"id": 3, "due": "2099-01-01"}, "change 1 (task 3): due 2099-01-01 is out of range"),
        ({"id": 3, "add_tags": ["two words"]}, "change 1 (task 3): "),
        ({"id": 5, "priority": 1, "due": "2027-01-04"}, "changes nothing: dropped"),
        ("complete 3", "change 1: not an object: dropped"),
    ],
)
def test_a_bad_change_is_dropped_with_a_note(item: Any, note: str) -> None:
    changes, notes = validate_changes([item], SHOWN, NOW)
    assert changes == () and len(notes) == 1 and note in notes[0]


def test_a_task_changed_twice_and_too_many_changes_are_noted() -> None:
    raw = [{"id": 3, "complete": True}, {"id": 3, "priority": 1}]
    changes, notes = validate_changes(raw, SHOWN, NOW)
    assert len(changes) == 1 and notes == ("change 2: task 3 a second time: dropped",)
    many = [{"id": 3, "complete": True}] * 25
    assert "only the first 20 are read" in validate_changes(many, SHOWN, NOW)[1][0]
    assert validate_changes("all", SHOWN, NOW) == (
        (),
        ("the model's changes are not a list (str): ignored",),
    )
