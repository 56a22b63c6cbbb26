"""core.urgency: Taskwarrior's urgency formula, and which tasks are blocked or blocking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from core.model import Task
from core.urgency import (
    COEFFICIENTS,
    Dependencies,
    age_factor,
    dependency_states,
    due_factor,
    urgency,
)

NOW = datetime(2026, 12, 1, 12, 0)
CREATED = "2026-12-01T11:00:00Z"  # an hour old: age counts for nearly nothing


def make(task_id: int = 1, **fields: Any) -> Task:
    rec = {"id": task_id, "uuid": f"u{task_id}", "name": f"t{task_id}", "created": CREATED}
    return Task.from_record(rec | fields)


def test_overdue_high_beats_due_next_week_normal_beats_no_due_low() -> None:
    overdue = make(priority=1, due="2026-11-28")
    next_week = make(priority=2, due="2026-12-08")
    no_due = make(priority=3)
    scores = [urgency(t, NOW) for t in (overdue, next_week, no_due)]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 3


def test_blocked_sinks_below_the_same_task_unblocked_and_blocking_rises() -> None:
    task = make(priority=1, due="2026-12-02")
    assert urgency(task, NOW, blocked=True) < urgency(task, NOW) < urgency(task, NOW, blocking=True)
    assert urgency(task, NOW) - urgency(task, NOW, blocked=True) == pytest.approx(5.0)
    assert urgency(task, NOW, blocking=True) - urgency(task, NOW) == pytest.approx(8.0)


def test_an_active_task_sorts_above_the_same_task_not_started() -> None:
    idle = make(due="2026-12-10")
    active = make(due="2026-12-10", start="2026-12-01T09:00:00Z")
    assert urgency(active, NOW) - urgency(idle, NOW) == pytest.approx(4.0)


def test_each_term_adds_its_coefficient() -> None:
    base = urgency(make(), NOW)
    assert base == pytest.approx(COEFFICIENTS["priority.2"], abs=0.01)  # normal, an hour old
    cases = {
        "project": make(project="home"),
        "waiting": make(wait="2026-12-05"),
        "scheduled": make(scheduled="2026-11-30"),
    }
    for term, task in cases.items():
        assert urgency(task, NOW) - base == pytest.approx(COEFFICIENTS[term], abs=0.01), term
    not_yet = make(scheduled="2026-12-05")
    assert urgency(not_yet, NOW) == pytest.approx(base)


def test_priorities_follow_taskwarriors_h_m_l() -> None:
    high, normal, low = (urgency(make(priority=p), NOW) for p in (1, 2, 3))
    assert high - low == pytest.approx(6.0 - 1.8)
    assert normal - low == pytest.approx(3.9 - 1.8)


@pytest.mark.parametrize(("count", "factor"), [(0, 0.0), (1, 0.8), (2, 0.9), (3, 1.0), (5, 1.0)])
def test_tags_and_notes_count_like_taskwarrior(count: int, factor: float) -> None:
    tags = make(tags=[f"t{i}" for i in range(count)])
    notes = make(annotations=[{"entry": CREATED, "text": str(i)} for i in range(count)])
    base = urgency(make(), NOW)
    assert urgency(tags, NOW) - base == pytest.approx(factor * COEFFICIENTS["tags"])
    assert urgency(notes, NOW) - base == pytest.approx(factor * COEFFICIENTS["annotations"])


@pytest.mark.parametrize(
    ("due", "factor"),
    [
        (None, 0.0),
        ("2026-11-20T12:00", 1.0),  # 11 days overdue
        ("2026-11-24T12:00", 1.0),  # 7 days overdue: the top
        ("2026-12-01T12:00", 0.2 + 14 * 0.8 / 21),  # due now
        ("2026-12-15T12:00", 0.2),  # 14 days ahead: the floor
        ("2027-03-01", 0.2),
    ],
)
def test_due_proximity_is_linear_from_a_week_overdue_to_two_weeks_ahead(
    due: str | None, factor: float
) -> None:
    assert due_factor(due, NOW) == pytest.approx(factor)


def test_a_date_without_a_time_is_due_at_the_end_of_its_day() -> None:
    assert due_factor("2026-12-01", NOW) == pytest.approx(due_factor("2026-12-01T23:59", NOW))


def test_age_grows_to_one_over_a_year() -> None:
    assert age_factor("2026-06-03T12:00:00Z", NOW.astimezone()) == pytest.approx(181 / 365, 0.01)
    assert age_factor("2020-01-01T00:00:00Z", NOW) == 1.0
    assert age_factor(None, NOW) == 0.0
    assert age_factor("garbage", NOW) == 0.0
    assert age_factor("2026-11-01T00:00", NOW) == 0.0  # no zone: not a time the app wrote
    assert age_factor("2030-01-01T00:00:00Z", NOW) == 0.0  # a clock that was wrong


def test_a_done_task_has_no_urgency() -> None:
    done = make(status="done", priority=1, due="2026-11-01", completed=CREATED)
    assert urgency(done, NOW, blocking=True) == 0.0


def test_dependency_states_finds_blocked_and_blocking_tasks() -> None:
    tasks = [
        make(1),
        make(2, depends=["u1"]),  # waits for 1 (pending): blocked; 1 is blocking
        make(3, depends=["u4"]),  # waits for 4 (done): not blocked
        make(4, status="done"),
        make(5, depends=["u-gone"]),  # waits for a task no longer there
        make(6, depends=["u2", "u1"]),
        make(7, status="done", depends=["u1"]),  # done: neither blocked nor making 1 blocking
    ]
    states = dependency_states(tasks)
    assert states == Dependencies(frozenset({"u2", "u6"}), frozenset({"u1", "u2"}))
    assert states.urgency(tasks[1], NOW) == urgency(tasks[1], NOW, blocking=True, blocked=True)
    assert dependency_states([]) == Dependencies(frozenset(), frozenset())
    only_done_waits = [make(1), make(7, status="done", depends=["u1"])]
    assert dependency_states(only_done_waits) == Dependencies(frozenset(), frozenset())
