"""core/interop/todotxt: lines <-> records."""

from __future__ import annotations

import pytest

from core.interop import read, write
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
