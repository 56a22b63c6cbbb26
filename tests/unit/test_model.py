"""core.model: what a valid task is, how input becomes a record, and how legacy records upgrade."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from core.model import (
    Annotation,
    InvalidRecord,
    Task,
    check_annotation,
    check_date,
    check_project,
    check_recur,
    in_project,
    legacy_to_record,
    new_record,
)

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


# --- the fields of issue 9: project, notes, wait, scheduled, start, links, recurrence ---

RICH: dict[str, Any] = {
    **VALID,
    "status": "pending",
    "completed": None,
    "project": "home.garden",
    "annotations": [{"entry": "2026-11-03T09:00:00Z", "text": "bought seeds"}],
    "wait": "2026-11-20",
    "scheduled": "2026-11-25T08:00",
    "start": "2026-11-26T10:00:00Z",
    "depends": ["0b1e2c3d-0000-4000-8000-000000000001"],
    "parent": "0b1e2c3d-0000-4000-8000-000000000002",
    "recur": "weekly",
    "until": "2027-06-30",
    "series": "0b1e2c3d-0000-4000-8000-000000000003",
}
NEW_FIELDS = ("project", "annotations", "wait", "scheduled", "start", "depends", "parent")
NEW_FIELDS += ("recur", "until", "series")


def test_the_new_fields_are_read_and_round_trip() -> None:
    task = Task.from_record(dict(RICH))
    assert (task.project, task.wait, task.scheduled, task.start) == (
        "home.garden",
        "2026-11-20",
        "2026-11-25T08:00",
        "2026-11-26T10:00:00Z",
    )
    assert task.annotations == [Annotation("2026-11-03T09:00:00Z", "bought seeds")]
    assert (task.depends, task.parent) == (RICH["depends"], RICH["parent"])
    assert (task.recur, task.until, task.series) == ("weekly", "2027-06-30", RICH["series"])
    assert task.to_record() == RICH
    assert Task.from_record(task.to_record()) == task


def test_an_old_record_without_the_new_fields_is_valid_and_stays_without_them() -> None:
    task = Task.from_record(dict(VALID))
    assert (task.project, task.annotations, task.wait, task.scheduled) == (None, [], None, None)
    assert (task.start, task.depends, task.parent) == (None, [], None)
    assert (task.recur, task.until, task.series) == (None, None, None)
    assert not set(NEW_FIELDS) & set(task.to_record())


def test_null_and_empty_new_fields_read_as_unset() -> None:
    empty: dict[str, Any] = {k: None for k in NEW_FIELDS} | {"project": "", "depends": []}
    task = Task.from_record({**VALID, **empty, "annotations": []})
    assert (task.project, task.annotations, task.depends, task.recur) == (None, [], [], None)
    assert not set(NEW_FIELDS) & set(task.to_record())  # written back without them


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project", 3),
        ("project", ["home"]),
        ("annotations", "a note"),
        ("annotations", ["a note"]),
        ("annotations", [{"text": "no entry"}]),
        ("annotations", [{"entry": "2026-11-03T09:00:00Z", "text": 5}]),
        ("wait", "monday"),
        ("wait", 20261201),
        ("scheduled", "2026-02-30"),
        ("until", True),
        ("start", 1764000000),
        ("depends", "uuid-1"),
        ("depends", ["uuid-1", 7]),
        ("depends", [""]),
        ("parent", 5),
        ("recur", {"freq": "weekly"}),
        ("series", 12),
    ],
)
def test_a_wrong_type_in_a_new_field_makes_the_record_invalid_naming_it(
    field: str, value: Any
) -> None:
    with pytest.raises(InvalidRecord) as exc:
        Task.from_record({**VALID, field: value})
    name = "annotation" if field == "annotations" else field
    assert name in str(exc.value)


def test_stored_text_fields_are_read_leniently() -> None:
    # By hand or by another tool: a project with a space, a rule this version cannot read.
    task = Task.from_record({**VALID, "project": "Home Garden", "recur": "every blue moon"})
    assert (task.project, task.recur, task.is_recurring) == ("Home Garden", "every blue moon", True)


def test_annotations_keep_unknown_keys_in_the_raw_record() -> None:
    note = {"entry": "2026-11-03T09:00:00Z", "text": "x", "by": "import"}
    rec = {**VALID, "annotations": [note]}
    assert Task.from_record(rec).raw["annotations"] == [note]


NOW = datetime(2026, 12, 1, 12, 0)


def pending(**fields: Any) -> Task:
    return Task.from_record({**VALID, "status": "pending", "completed": None, **fields})


def test_waiting_until_its_time_comes() -> None:
    assert pending(wait="2026-12-02").is_waiting(NOW)
    assert pending(wait="2026-12-01T12:30").is_waiting(NOW)
    assert not pending(wait="2026-12-01T12:00").is_waiting(NOW)
    assert not pending(wait="2026-12-01").is_waiting(NOW)  # a date: from its midnight
    assert not pending().is_waiting(NOW)
    assert not Task.from_record({**VALID, "wait": "2027-01-01"}).is_waiting(NOW)  # done


def test_active_while_started_and_pending() -> None:
    assert pending(start="2026-12-01T08:00:00Z").is_active
    assert not pending().is_active
    assert not Task.from_record({**VALID, "start": "2026-12-01T08:00:00Z"}).is_active


def test_ready_when_pending_not_waiting_not_blocked_and_scheduled_reached() -> None:
    assert pending().is_ready(NOW)
    assert pending(scheduled="2026-12-01").is_ready(NOW)
    assert pending(scheduled="2026-12-01T11:59").is_ready(NOW)
    assert not pending(scheduled="2026-12-01T12:01").is_ready(NOW)
    assert not pending(scheduled="2026-12-02").is_ready(NOW)
    assert not pending(wait="2026-12-05").is_ready(NOW)
    assert not pending().is_ready(NOW, blocked=True)
    assert not Task.from_record(dict(VALID)).is_ready(NOW)  # done


def test_an_aware_now_is_compared_as_wall_clock_time() -> None:
    aware = datetime(2026, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert pending(wait="2026-12-01T12:30").is_waiting(aware)
    assert not pending(wait="2026-12-01T11:30").is_waiting(aware)


def test_recurring_when_it_has_a_rule() -> None:
    assert pending(recur="weekly", due="2026-12-01").is_recurring
    assert not pending().is_recurring


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("home", "home"),
        ("home.garden", "home.garden"),
        ("  Work.Q4 ", "Work.Q4"),
        ("café.été", "café.été"),
        ("a\u200bb", "ab"),
        ("", None),
        (None, None),
    ],
)
def test_check_project_keeps_dotted_words(given: str | None, stored: str | None) -> None:
    assert check_project(given) == stored


@pytest.mark.parametrize(
    "bad", ["home garden", "home..garden", ".home", "home.", "a.\tb", "x" * 101]
)
def test_check_project_refuses_spaces_and_empty_parts(bad: str) -> None:
    with pytest.raises(ValueError, match=r"dotted words like home\.garden"):
        check_project(bad)


def test_in_project_includes_subprojects_only_at_a_dot() -> None:
    assert in_project("home.garden", "home")
    assert in_project("home", "home")
    assert in_project("Home.Garden", "home.garden")  # matching ignores case
    assert not in_project("homework", "home")
    assert not in_project("home", "home.garden")
    assert not in_project(None, "home")


def test_check_annotation_cleans_and_refuses_empty_notes() -> None:
    assert check_annotation("  call\x1b[31m back ") == "call back"
    with pytest.raises(ValueError, match="needs some text"):
        check_annotation(" \u200b ")


def test_check_recur_and_check_date_name_the_field() -> None:
    assert check_recur("Every 2 Weeks") == "biweekly"
    assert check_recur("") is None
    with pytest.raises(ValueError, match="every N days"):
        check_recur("now and then")
    assert check_date("2026-12-01", "wait") == "2026-12-01"
    with pytest.raises(ValueError, match="scheduled must be an ISO date"):
        check_date("soon", "scheduled")


def test_new_record_carries_only_the_new_fields_that_are_set() -> None:
    plain = new_record(1, "plain")
    assert not set(NEW_FIELDS) & set(plain)
    rich = new_record(
        2,
        "water plants",
        due="2026-12-01T08:00",
        project="home.garden",
        wait="2026-11-30",
        scheduled="2026-12-01",
        recur="every 3 days",
        until="2027-01-01",
        parent="p-uuid",
        depends=["d-uuid", "d-uuid"],
        annotations=["use the rain barrel"],
    )
    task = Task.from_record(rich)
    assert (task.project, task.recur, task.until, task.parent) == (
        "home.garden",
        "every 3 days",
        "2027-01-01",
        "p-uuid",
    )
    assert task.depends == ["d-uuid"]
    assert [a.text for a in task.annotations] == ["use the rain barrel"]
    assert task.annotations[0].entry == task.created
    assert task.series is not None and uuid.UUID(task.series).version == 4
    assert "start" not in rich


def test_new_record_refuses_a_recurrence_without_a_due_and_bad_new_fields() -> None:
    with pytest.raises(ValueError, match="needs a due date"):
        new_record(1, "x", recur="weekly")
    for bad, message in (
        ({"project": "a b"}, "project"),
        ({"wait": "monday"}, "wait"),
        ({"annotations": [" "]}, "note"),
        ({"recur": "sometimes", "due": "2026-12-01"}, "recurrence"),
    ):
        with pytest.raises(ValueError, match=message):
            new_record(1, "x", **bad)
