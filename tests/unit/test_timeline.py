"""core/timeline.py: summaries of steps, one task's versions, past states, moments (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.storage.history import Change, entry_line, parse
from core.timeline import parse_moment, state_at, step_at, steps, versions_of

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def rec(task_id: int, name: str, **more: Any) -> dict[str, Any]:
    return {"id": task_id, "uuid": f"u{task_id}", "name": name, **more}


def history(*changes: tuple[str, Change]) -> list[Any]:
    data = b'{"format":"tasksafe-history","version":1}\n'
    for step, (at, change) in enumerate(changes, 1):
        data += entry_line(step, at, {}, change, 9)
    return list(parse(data).entries)


ENTRIES = history(
    ("2026-11-30T09:00:00Z", Change("add", (("u1", None, rec(1, "milk")),))),
    ("2026-12-01T09:00:00Z", Change("add", (("u2", None, rec(2, "eggs")),))),
    ("2026-12-01T10:00:00Z", Change("edit 1", (("u1", rec(1, "milk"), rec(1, "oat milk")),))),
    ("2026-12-02T09:00:00Z", Change("delete 1", (("u1", rec(1, "oat milk"), None),))),
)
NOW_RECORDS = [rec(2, "eggs")]


def test_each_step_is_summarised_in_a_few_words() -> None:
    shown = steps(ENTRIES)
    assert [s.entry.step for s in shown] == [4, 3, 2, 1]
    assert [s.summary() for s in shown] == [
        "-1 deleted",
        'name of 1: "milk" → "oat milk"',
        "+1 added",
        "+1 added",
    ]


def test_every_past_state_is_rebuilt_by_taking_later_steps_back() -> None:
    assert state_at(NOW_RECORDS, ENTRIES, 4, 3) == [rec(2, "eggs"), rec(1, "oat milk")]
    assert state_at(NOW_RECORDS, ENTRIES, 4, 2) == [rec(2, "eggs"), rec(1, "milk")]
    assert state_at(NOW_RECORDS, ENTRIES, 4, 0) == []
    with pytest.raises(ValueError, match="lacks step 3"):
        state_at(NOW_RECORDS, [e for e in ENTRIES if e.step != 3], 4, 1)


def test_the_step_at_a_moment_is_the_last_one_made_by_then() -> None:
    assert step_at(ENTRIES, datetime(2026, 12, 1, 9, 30, tzinfo=UTC)) == 2
    assert step_at(ENTRIES, datetime(2026, 11, 1, tzinfo=UTC)) == 0
    assert step_at(ENTRIES, NOW) == 4


def test_one_task_s_versions_oldest_first() -> None:
    kinds = [(e.step, c.kind) for e, c in versions_of(ENTRIES, "u1")]
    assert kinds == [(1, "added"), (3, "changed"), (4, "deleted")]


def test_moments_people_type() -> None:
    assert parse_moment("step 40", NOW) == 40
    assert parse_moment("2 hours ago", NOW) == NOW - timedelta(hours=2)
    assert parse_moment("90 minutes ago", NOW) == NOW - timedelta(minutes=90)
    yesterday = parse_moment("yesterday 18:00", NOW)
    assert isinstance(yesterday, datetime)
    assert (yesterday.date(), yesterday.hour) == ((NOW.astimezone() - timedelta(days=1)).date(), 18)
    moment = parse_moment("2026-11-30 18:00", NOW)
    assert isinstance(moment, datetime) and moment.tzinfo is not None
    with pytest.raises(ValueError, match="not a moment"):
        parse_moment("the day before", NOW)
