"""core.model: what a valid task is, how input becomes a record, and how legacy records upgrade."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from core.model import InvalidRecord, Task, legacy_to_record, new_record

VALID: dict[str, Any] = {
    "id": 7,
    "uuid": "5d3c1a52-95c4-4a47-9d3e-0d2b1b0a6c11",
    "name": "write report",
    "description": "quarterly",
    "comment": "ask Ana",
    "priority": 1,
    "tags": ["work", "q4"],
    "status": "done",
    "due": "2026-12-01T18:00",
    "created": "2026-11-01T10:00:00Z",
    "modified": "2026-11-02T10:00:00Z",
    "completed": "2026-11-02T10:00:00Z",
}
UTC_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def test_from_record_reads_every_field_of_a_valid_record() -> None:
    task = Task.from_record(dict(VALID))
    assert (task.id, task.uuid, task.name, task.priority) == (7, VALID["uuid"], "write report", 1)
    assert (task.description, task.comment, task.tags) == ("quarterly", "ask Ana", ["work", "q4"])
    assert (task.status, task.done, task.due) == ("done", True, "2026-12-01T18:00")
    assert (task.created, task.modified, task.completed) == (
        VALID["created"],
        VALID["modified"],
        VALID["completed"],
    )


def test_from_record_fills_defaults_and_keeps_the_record_with_unknown_fields() -> None:
    rec = {"id": 1, "uuid": "u-1", "name": "x", "colour": {"rgb": [1, 2, 3]}}
    task = Task.from_record(rec)
    assert (task.priority, task.tags, task.status, task.due) == (2, [], "pending", None)
    assert (task.description, task.comment) == ("", "")
    assert task.raw is rec  # the stored record, unknown fields and all


def test_from_record_accepts_null_text_and_a_plain_date_due() -> None:
    task = Task.from_record(
        {"id": 1, "uuid": "u", "name": "x", "description": None, "due": "2026-12-01"}
    )
    assert (task.description, task.due) == ("", "2026-12-01")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 0),
        ("id", -3),
        ("id", "1"),
        ("id", True),
        ("id", 1.0),
        ("id", None),
        ("uuid", None),
        ("uuid", 12),
        ("name", None),
        ("name", ""),
        ("name", "   "),
        ("name", 5),
        ("description", 3),
        ("comment", ["a"]),
        ("priority", 0),
        ("priority", 4),
        ("priority", "1"),
        ("priority", 2.0),
        ("priority", True),
        ("tags", "work"),
        ("tags", [""]),
        ("tags", ["ok", 3]),
        ("status", "open"),
        ("status", None),
        ("due", "tomorrow"),
        ("due", "2026-13-01"),
        ("due", 20261201),
        ("created", 5),
        ("modified", ["x"]),
        ("completed", {"at": 1}),
    ],
)
def test_from_record_rejects_each_invalid_field_naming_it(field: str, value: Any) -> None:
    rec = dict(VALID)
    if value is None and field in ("id", "uuid", "name"):
        del rec[field]
    else:
        rec[field] = value
    with pytest.raises(InvalidRecord) as exc:
        Task.from_record(rec)
    assert field in str(exc.value)


@pytest.mark.parametrize("rec", ["a string", 3, None, ["id", 1]])
def test_from_record_rejects_a_non_object(rec: Any) -> None:
    with pytest.raises(InvalidRecord, match="not an object"):
        Task.from_record(rec)


def test_to_record_round_trips_through_from_record() -> None:
    task = Task.from_record(dict(VALID))
    assert Task.from_record(task.to_record()) == task
    assert task.to_record() == VALID


LEGACY: dict[str, Any] = {
    "id": 3,
    "name": "buy milk",
    "comment": "",
    "description": "2 litres",
    "priority": "2",
    "tag": "home",
}


def test_legacy_record_becomes_a_valid_task() -> None:
    rec = legacy_to_record(dict(LEGACY))
    task = Task.from_record(rec)
    assert (task.id, task.name, task.description, task.priority) == (3, "buy milk", "2 litres", 2)
    assert (task.tags, task.status) == (["home"], "pending")
    assert "tag" not in rec


@pytest.mark.parametrize("tag", ["", "   ", None])
def test_legacy_empty_tag_becomes_no_tags(tag: Any) -> None:
    rec = legacy_to_record({**LEGACY, "tag": tag})
    assert rec["tags"] == []
    assert Task.from_record(rec).tags == []


@pytest.mark.parametrize(("given", "stored"), [("1", 1), (" 3 ", 3), (2, 2)])
def test_legacy_priority_as_text_becomes_a_number(given: Any, stored: int) -> None:
    assert legacy_to_record({**LEGACY, "priority": given})["priority"] == stored


def test_legacy_priority_that_is_not_a_priority_is_kept_for_validation_to_report() -> None:
    rec = legacy_to_record({**LEGACY, "priority": "urgent"})
    assert rec["priority"] == "urgent"
    with pytest.raises(InvalidRecord, match="priority"):
        Task.from_record(rec)


def test_legacy_null_texts_become_empty() -> None:
    rec = legacy_to_record({**LEGACY, "comment": None, "description": None})
    assert (rec["comment"], rec["description"]) == ("", "")


def test_legacy_uuid_is_deterministic_and_differs_between_tasks() -> None:
    first = legacy_to_record(dict(LEGACY))["uuid"]
    again = legacy_to_record(dict(LEGACY))["uuid"]
    other = legacy_to_record({**LEGACY, "id": 4})["uuid"]
    renamed = legacy_to_record({**LEGACY, "name": "buy bread"})["uuid"]
    assert first == again
    assert len({first, other, renamed}) == 3
    assert uuid.UUID(first).version == 5


def test_legacy_keeps_unknown_fields_and_leaves_current_records_alone() -> None:
    rec = legacy_to_record({**LEGACY, "estimate": "2h"})
    assert rec["estimate"] == "2h"
    current = dict(VALID)
    assert legacy_to_record(current) is current
    assert legacy_to_record("not a record") == "not a record"


def test_new_record_is_a_valid_fresh_pending_task() -> None:
    rec = new_record(5, "call mum", priority=1, tags=["home"], due="2026-12-01")
    task = Task.from_record(rec)
    assert (task.id, task.name, task.priority, task.tags) == (5, "call mum", 1, ["home"])
    assert (task.status, task.due, task.completed) == ("pending", "2026-12-01", None)
    assert uuid.UUID(task.uuid).version == 4
    assert task.created is not None and UTC_STAMP.fullmatch(task.created)
    assert task.modified == task.created


def test_new_records_get_distinct_uuids() -> None:
    assert new_record(1, "a")["uuid"] != new_record(1, "a")["uuid"]


def test_new_record_cleans_text_and_normalises_input() -> None:
    rec = new_record(
        1,
        "pay\u202e bill",
        priority="urgent",  # type: ignore[arg-type]  # what a user types
        tags=["#work", "work", "home"],
        description="a\x1b[1mb",
        comment="c\u200bd",
        due="",
    )
    assert (rec["name"], rec["description"], rec["comment"]) == ("pay bill", "ab", "cd")
    assert (rec["priority"], rec["tags"], rec["due"]) == (1, ["work", "home"], None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "needs a name"),
        ({"name": "  \n "}, "needs a name"),
        ({"name": "\u202e\x00"}, "needs a name"),
        ({"priority": 4}, "priority"),
        ({"priority": "highest"}, "priority"),
        ({"tags": ["two words"]}, "tag"),
        ({"tags": ["x" * 41]}, "tag"),
        ({"tags": ["#"]}, "tag"),
        ({"due": "next year"}, "due"),
        ({"due": "2026-02-30"}, "due"),
    ],
)
def test_new_record_refuses_invalid_input(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"name": "ok", **kwargs}
    with pytest.raises(ValueError, match=message):
        new_record(1, **args)
