"""core.ai.proposal: nothing a model or a paste produces reaches the screen unchecked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from core.ai.proposal import ProposalError, ProposedTask, validate_proposed
from core.errors import AppError

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
