"""core/interop/todotxt: lines <-> records."""

from __future__ import annotations

import pytest

from core.interop import read, write
from core.interop.plan import Plan, plan
from core.interop.todotxt import line, rule_in, rule_out
from core.model import Task


def one(text: str) -> dict[str, object]:
    result = read(text.encode(), "todotxt")
    assert result.problems == []
    return result.records[0]


def test_a_full_line() -> None:
    rec = one(
        "(A) 2026-11-30 Call Mom +Family +Extra @phone due:2026-12-03 t:2026-12-02 rec:1w x:y"
    )
    assert rec["name"] == "Call Mom"
    assert (rec["priority"], rec["project"], rec["tags"]) == (1, "Family", ["phone"])
    assert (rec["due"], rec["wait"], rec["recur"]) == ("2026-12-03", "2026-12-02", "weekly")
    assert rec["created"] == "2026-11-30T00:00:00Z"
    assert rec["todotxt"] == {"projects": ["Extra"], "ext": {"x": "y"}}
    back = line(Task.from_record({**rec, "id": 1}))
    assert (
        back
        == "(A) 2026-11-30 Call Mom +Family +Extra @phone due:2026-12-03 t:2026-12-02 rec:1w x:y"
    )


@pytest.mark.parametrize(("letter", "want"), [("A", 1), ("B", 2), ("C", 3), ("Z", 3)])
def test_priorities(letter: str, want: int) -> None:
    assert one(f"({letter}) x")["priority"] == want


def test_export_writes_a_b_c_and_nothing_for_a_default() -> None:
    recs = read(b"(A) a\n(B) b\n(D) d\nplain\n", "todotxt").records
    lines = write([Task.from_record({**r, "id": i}) for i, r in enumerate(recs, 1)], "todotxt")
    assert lines.decode().splitlines() == ["(A) a", "(B) b", "(C) d", "plain"]


def test_done_lines() -> None:
    rec = one("x 2026-12-01 2026-11-30 Buy milk @shop")
    assert (rec["status"], rec["completed"], rec["created"]) == (
        "done",
        "2026-12-01T00:00:00Z",
        "2026-11-30T00:00:00Z",
    )
    assert line(Task.from_record({**rec, "id": 1})) == "x 2026-12-01 2026-11-30 Buy milk @shop"


def test_identity_is_the_name_and_creation_date() -> None:
    first = one("2026-11-30 Buy milk @shop")
    assert one("x 2026-12-02 2026-11-30 Buy milk @shop")["uuid"] == first["uuid"]
    assert one("2026-11-29 Buy milk")["uuid"] != first["uuid"]
    twice = read(b"same\nsame\n", "todotxt").records
    assert twice[0]["uuid"] != twice[1]["uuid"]


def test_urls_stay_in_the_name_and_bad_values_are_lines() -> None:
    assert one("read https://example.com/x")["name"] == "read https://example.com/x"
    result = read(b"a due:someday\nb rec:often\n", "todotxt")
    assert [p.split(":")[0] for p in result.problems] == ["line 1", "line 2"]


@pytest.mark.parametrize(
    ("rec", "rule"),
    [
        ("1d", "daily"),
        ("+2w", "biweekly"),
        ("3m", "quarterly"),
        ("1b", "weekdays"),
        ("4d", "every 4 days"),
    ],
)
def test_recurrences(rec: str, rule: str) -> None:
    assert rule_in(rec) == rule
    assert rule_in(rule_out(rule) or "") == rule


def stored(*records: dict[str, object]) -> list[dict[str, object]]:
    """Records as a data file holds them: ids, uuids, full stamps."""
    base = {"priority": 2, "tags": [], "status": "pending", "due": None, "completed": None}
    return [
        {**base, "id": i, "uuid": f"uuid-{i}", "created": "2026-11-30T09:15:42Z", **rec}
        for i, rec in enumerate(records, 1)
    ]


def planned(text: str, current: list[dict[str, object]]) -> Plan:
    return plan(read(text.encode(), "todotxt"), current)


def test_an_export_read_back_into_the_same_file_changes_nothing() -> None:
    current = stored(
        {"name": "Call Mom", "priority": 1, "project": "Family", "tags": ["phone"]},
        {"name": "meet at 10:30 about +budget", "due": "2026-12-04T15:30"},
        {"name": "Water plants", "recur": "every mon,thu", "due": "2026-12-03"},
        {"name": "Buy milk", "status": "done", "completed": "2026-12-01T18:02:03Z"},
    )
    exported = write([Task.from_record(r) for r in current], "todotxt").decode()
    found = planned(exported, current)
    assert (found.new, found.updated, found.unchanged) == ([], {}, 4)


def test_a_line_completed_in_todo_txt_updates_its_task() -> None:
    current = stored({"name": "Call Mom", "project": "Family", "due": "2026-12-03"})
    found = planned("x 2026-12-02 2026-11-30 Call Mom +Family due:2026-12-05", current)
    assert found.new == []
    assert found.updated == {
        "uuid-1": {"status": "done", "completed": "2026-12-02T00:00:00Z", "due": "2026-12-05"}
    }


def test_two_identical_lines_are_two_tasks_one_to_one() -> None:
    current = stored({"name": "Stretch"}, {"name": "Stretch"})
    found = planned("2026-11-30 Stretch\nx 2026-12-01 2026-11-30 Stretch\n", current)
    assert found.new == [] and found.unchanged == 1
    assert found.updated == {"uuid-2": {"status": "done", "completed": "2026-12-01T00:00:00Z"}}
    three = planned("2026-11-30 Stretch\n2026-11-30 Stretch\n2026-11-30 Stretch\n", current)
    assert (len(three.new), three.unchanged) == (1, 2)
    assert three.new[0]["uuid"] not in {"uuid-1", "uuid-2"}


def test_a_line_first_imported_from_todo_txt_is_found_by_its_name_after_a_new_project() -> None:
    first = read(b"2026-11-30 Buy milk\n", "todotxt").records[0]
    current = [{**first, "id": 1}]
    found = planned("2026-11-30 Buy milk +home\n", current)
    assert found.new == [] and found.updated == {first["uuid"]: {"project": "home"}}
    other = planned("2026-11-30 Buy bread\n", current)
    assert len(other.new) == 1


def test_a_line_done_with_todo_sh_keeps_the_priority_it_dropped() -> None:
    current = stored({"name": "Call Mom", "priority": 1})
    found = planned("x 2026-12-02 2026-11-30 Call Mom", current)
    assert found.updated == {"uuid-1": {"status": "done", "completed": "2026-12-02T00:00:00Z"}}
    kept = planned("x 2026-12-02 2026-11-30 Call Mom pri:C", current)
    assert kept.updated["uuid-1"]["priority"] == 3
