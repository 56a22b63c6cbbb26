"""core/interop/ical: VTODO <-> records (icalendar builds and reads the files)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar, Todo, vRecur

from core.interop import read, write
from core.interop.ical import rule_in, rule_out
from core.model import Task


def calendar(*todos: Todo) -> bytes:
    cal = Calendar()
    cal.add("PRODID", "-//t//EN")
    cal.add("VERSION", "2.0")
    for t in todos:
        cal.add_component(t)
    return bytes(cal.to_ical())


def todo(**props: object) -> Todo:
    t = Todo()
    for key, value in props.items():
        t.add(key.replace("_", "-"), value)
    return t


@pytest.mark.parametrize(("given", "want"), [(1, 1), (4, 1), (5, 2), (0, 2), (6, 3), (9, 3)])
def test_priorities(given: int, want: int) -> None:
    rec = read(calendar(todo(UID="u", SUMMARY="x", PRIORITY=given)), "ical").records[0]
    assert rec["priority"] == want


def test_every_field_both_ways() -> None:
    source = todo(
        UID="u1", SUMMARY="Plan", DESCRIPTION="long", STATUS="COMPLETED", PRIORITY=2,
        DUE=date(2026, 12, 10), DTSTART=date(2026, 12, 1), CATEGORIES=["a", "b"],
        COMPLETED=datetime(2026, 12, 2, 8, tzinfo=UTC), CREATED=datetime(2026, 11, 1, tzinfo=UTC),
        LAST_MODIFIED=datetime(2026, 12, 2, 8, tzinfo=UTC),
    )  # fmt: skip
    source.add("RELATED-TO", "p", parameters={"RELTYPE": "PARENT"})
    source.add("RELATED-TO", "d", parameters={"RELTYPE": "DEPENDS-ON"})
    rec = read(calendar(source), "ical").records[0]
    assert (rec["name"], rec["description"], rec["status"], rec["priority"]) == (
        "Plan",
        "long",
        "done",
        1,
    )
    assert (rec["due"], rec["scheduled"], rec["tags"]) == ("2026-12-10", "2026-12-01", ["a", "b"])
    assert (rec["parent"], rec["depends"]) == ("p", ["d"])
    assert rec["completed"] == "2026-12-02T08:00:00Z" and rec["created"] == "2026-11-01T00:00:00Z"
    again = read(write([Task.from_record({**rec, "id": 1})], "ical"), "ical").records[0]
    assert {k: v for k, v in again.items() if k != "modified"} == {
        k: v for k, v in rec.items() if k != "modified"
    }


def test_cancelled_is_skipped_and_in_process_is_started() -> None:
    result = read(
        calendar(
            todo(UID="c", SUMMARY="no", STATUS="CANCELLED"),
            todo(UID="s", SUMMARY="go", STATUS="IN-PROCESS"),
        ),
        "ical",
    )
    assert [r["uuid"] for r in result.records] == ["s"] and result.records[0]["start"]
    assert result.skipped[0].endswith("cancelled")


@pytest.mark.parametrize(
    ("parts", "rule"),
    [({"FREQ": "DAILY"}, "daily"), ({"FREQ": "WEEKLY", "INTERVAL": 2}, "biweekly"),
     ({"FREQ": "MONTHLY", "INTERVAL": 3}, "quarterly"), ({"FREQ": "DAILY", "INTERVAL": 4}, "every 4 days"),
     ({"FREQ": "WEEKLY", "BYDAY": ["MO", "TU", "WE", "TH", "FR"]}, "weekdays"),
     ({"FREQ": "WEEKLY", "BYDAY": ["MO", "TH"]}, "every mon,thu")],
)  # fmt: skip
def test_rrules(parts: dict[str, object], rule: str) -> None:
    assert rule_in(vRecur(parts))[0] == rule
    assert rule_in(vRecur(rule_out(rule, None)))[0] == rule


def test_a_bad_file_and_bad_todos() -> None:
    bad = read(calendar(todo(UID="u", SUMMARY="", PRIORITY=1), todo(SUMMARY="no uid")), "ical")
    assert len(bad.problems) == 2 and bad.problems[0].startswith("VTODO 1 (u): ")


def test_what_tasksafe_has_no_field_for_is_kept_verbatim_and_written_back() -> None:
    from datetime import timedelta

    from icalendar import Alarm

    source = todo(UID="k", SUMMARY="Pick up parcel", DUE=date(2026, 12, 10))
    for key, value in (
        ("X-APPLE-SORT-ORDER", 712), ("GEO", (52.52, 13.405)), ("URL", "https://example.com/a,b"),
        ("CLASS", "PRIVATE"), ("LOCATION", "Post office, 2nd desk; left"),
        ("PERCENT-COMPLETE", 40),
    ):  # fmt: skip
        source.add(key, value)
    source.add("X-TAG", "one", parameters={"X-WHO": "me"})
    source.add("X-TAG", "two")
    source.add("RELATED-TO", "sib", parameters={"RELTYPE": "SIBLING"})
    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("TRIGGER", timedelta(minutes=-15))
    alarm.add("DESCRIPTION", "Reminder")
    source.add_component(alarm)
    rec = read(calendar(source), "ical").records[0]
    assert {"X-APPLE-SORT-ORDER:712", "GEO:52.52;13.405"} <= set(rec["ical"]["props"])
    assert len(rec["ical"]["components"]) == 1

    out = Calendar.from_ical(write([Task.from_record({**rec, "id": 1})], "ical"))
    back = out.walk("VTODO")[0]
    assert str(back["X-APPLE-SORT-ORDER"]) == "712" and back["GEO"].latitude == 52.52
    assert (str(back["URL"]), str(back["CLASS"]), int(back["PERCENT-COMPLETE"])) == (
        "https://example.com/a,b",
        "PRIVATE",
        40,
    )
    assert str(back["LOCATION"]) == "Post office, 2nd desk; left"
    assert [(str(v), v.params.get("X-WHO")) for v in back["X-TAG"]] == [
        ("one", "me"),
        ("two", None),
    ]
    assert (str(back["RELATED-TO"]), back["RELATED-TO"].params["RELTYPE"]) == ("sib", "SIBLING")
    alarms = back.walk("VALARM")
    assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0]["TRIGGER"].dt == timedelta(minutes=-15)
    assert str(back["SUMMARY"]) == "Pick up parcel" and back["DUE"].dt == date(2026, 12, 10)
    again = read(out.to_ical(), "ical").records[0]
    assert again["ical"] == rec["ical"]  # a second trip changes nothing


def test_kept_lines_that_are_not_icalendar_do_not_stop_an_export() -> None:
    rec = {"id": 1, "uuid": "u", "name": "x", "ical": {"props": ["no colon here"]}}
    back = Calendar.from_ical(write([Task.from_record(rec)], "ical")).walk("VTODO")[0]
    assert str(back["SUMMARY"]) == "x"


def test_rrule_parts_tasksafe_does_not_follow_go_back_while_the_rule_is_the_same() -> None:
    source = todo(UID="r", SUMMARY="bins", DUE=date(2026, 12, 15))
    source.add("RRULE", vRecur({"FREQ": "MONTHLY", "BYMONTHDAY": 15, "COUNT": 6}))
    rec = read(calendar(source), "ical").records[0]
    assert rec["recur"] == "monthly"

    def rrule_of(record: dict[str, object]) -> dict[str, list[object]]:
        out = Calendar.from_ical(write([Task.from_record({**record, "id": 1})], "ical"))
        return dict(out.walk("VTODO")[0]["RRULE"])

    assert rrule_of(rec) == {"FREQ": ["MONTHLY"], "COUNT": [6], "BYMONTHDAY": [15]}
    assert rrule_of({**rec, "recur": "weekly"}) == {"FREQ": ["WEEKLY"]}  # changed here: ours


@pytest.mark.parametrize(("given", "written"), [(None, None), (0, None), (5, 5), (7, 7), (2, 2)])
def test_a_priority_goes_back_as_it_came(given: int | None, written: int | None) -> None:
    props = {} if given is None else {"PRIORITY": given}
    rec = read(calendar(todo(UID="p", SUMMARY="x", **props)), "ical").records[0]
    back = Calendar.from_ical(write([Task.from_record({**rec, "id": 1})], "ical"))
    value = back.walk("VTODO")[0].get("PRIORITY")
    assert (None if value is None else int(value)) == written


def test_a_priority_changed_here_is_written_1_none_or_9() -> None:
    rec = read(calendar(todo(UID="p", SUMMARY="x", PRIORITY=5)), "ical").records[0]
    for priority, written in ((1, 1), (3, 9)):
        task = Task.from_record({**rec, "id": 1, "priority": priority})
        assert (
            int(Calendar.from_ical(write([task], "ical")).walk("VTODO")[0]["PRIORITY"]) == written
        )
    made_here = Task.from_record({"id": 1, "uuid": "h", "name": "x"})
    assert "PRIORITY" not in Calendar.from_ical(write([made_here], "ical")).walk("VTODO")[0]
