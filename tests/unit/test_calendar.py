"""`calendar`: the grid of a month, the tasks due on its days, the month the words name."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from rich.console import Console

from commands.calendar import first_month, month_grids
from core.errors import UsageError
from core.model import Task
from ui.render import render

NOW = datetime(2026, 12, 1, 10, 0)  # a Tuesday


def task(task_id: int, name: str, due: str | None, status: str = "pending") -> Task:
    return Task(id=task_id, uuid=f"u{task_id}", name=name, due=due, status=status)


TASKS = [
    task(1, "pay rent", "2026-12-31"),
    task(2, "call mom", "2026-12-04T18:00"),
    task(3, "buy milk", "2026-12-04"),  # the date alone comes before 18:00 that day
    task(4, "done already", "2026-12-10", status="done"),
    task(5, "old thing", "2026-11-20"),
    task(6, "no date", None),
    task(7, "next year", "2027-01-15"),
]


def test_a_month_is_weeks_from_monday_with_the_pending_tasks_due_each_day() -> None:
    cal = month_grids(TASKS, date(2026, 12, 1), 1, NOW.date())
    (month,) = cal.months
    assert month.weeks[0] == [0, 1, 2, 3, 4, 5, 6]  # December 2026 starts on a Tuesday
    assert month.weeks[-1] == [28, 29, 30, 31, 0, 0, 0]
    assert {day: [t.name for t in ts] for day, ts in month.due.items()} == {
        4: ["buy milk", "call mom"],
        31: ["pay rent"],
    }
    assert cal.overdue == 1  # old thing; a done task is no longer due


def test_months_follow_one_another_across_a_year_end() -> None:
    cal = month_grids(TASKS, date(2026, 12, 1), 3, NOW.date())
    assert [(m.year, m.month) for m in cal.months] == [(2026, 12), (2027, 1), (2027, 2)]
    assert [t.name for t in cal.months[1].due[15]] == ["next year"]
    assert len(cal.months[2].weeks) == 4  # February 2027: Monday 1st to Sunday 28th


@pytest.mark.parametrize(
    ("words", "first"),
    [
        ([], date(2026, 12, 1)),
        (["mar"], date(2027, 3, 1)),  # the next March
        (["December"], date(2026, 12, 1)),  # this month counts
        (["2027-01"], date(2027, 1, 1)),
        (["next", "month"], date(2027, 1, 1)),
        (["2027-05-17"], date(2027, 5, 1)),
    ],
)
def test_the_words_name_the_first_month(words: list[str], first: date) -> None:
    assert first_month(words, NOW) == first


@pytest.mark.parametrize("words", [["blah"], ["2027-13"], ["1969-01"]])
def test_words_that_name_no_month_are_one_line(words: list[str]) -> None:
    with pytest.raises(UsageError) as e:
        first_month(words, NOW)
    assert "\n" not in str(e.value)


def test_the_grid_and_the_days_with_tasks_due_fit_fifty_columns() -> None:
    out = io.StringIO()
    console = Console(file=out, width=50, color_system=None)
    long = task(8, "a name far too long for fifty columns of terminal " * 2, "2026-12-31")
    render(month_grids([*TASKS, long], date(2026, 12, 1), 1, NOW.date()), console)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("December 2026")
    assert lines[1].split() == ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
    assert lines[2].split() == ["1", "2", "3", "4", "5", "6"]
    assert "Fri 04  buy milk · call mom" in lines
    assert any(
        line.startswith("Thu 31  pay rent · a name") and line.endswith("…") for line in lines
    )
    assert all(len(line) <= 50 for line in lines)
    assert lines[-1] == "1 overdue task: list overdue"
