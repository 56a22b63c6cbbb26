"""core.ai.quickadd: the offline parser turns a typed line into the tasks the user meant."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.ai.proposal import ProposalError, ProposedTask
from core.ai.quickadd import parse_quickadd
from core.errors import AppError

NYE = datetime(2026, 12, 31, 10, 30)  # a Thursday at a year end
WEEK = [datetime(2026, 12, 28, 10, 30) + timedelta(days=n) for n in range(7)]  # Mon..Sun


def names(text: str, now: datetime = NYE) -> list[str]:
    return [task.name for task in parse_quickadd(text, now)]


def test_the_issue_example_becomes_two_tasks() -> None:
    tasks = parse_quickadd(
        "call mom next tuesday evening, high priority, and buy milk #errands", NYE
    )
    assert tasks == (
        ProposedTask(name="call mom", priority=1, due="2027-01-05T18:00"),
        ProposedTask(name="buy milk", tags=("errands",)),
    )


def test_markers_are_removed_from_the_name() -> None:
    (task,) = parse_quickadd("Dentist #Health fri 9am p1 #teeth", NYE)
    assert task == ProposedTask(
        name="Dentist", priority=1, tags=("Health", "teeth"), due="2027-01-01T09:00"
    )


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("pay rent p1", 1),
        ("pay rent P3", 3),
        ("pay rent !2", 2),
        ("pay rent low priority", 3),
        ("pay rent, urgent priority", 1),
    ],
)
def test_priority_markers(text: str, priority: int) -> None:
    (task,) = parse_quickadd(text, NYE)
    assert (task.name, task.priority) == ("pay rent", priority)


def test_a_number_only_hash_stays_in_the_name() -> None:
    (task,) = parse_quickadd("close bug #123 #work", NYE)
    assert (task.name, task.tags) == ("close bug #123", ("work",))


def test_an_inline_tag_is_the_tag_add_t_gives() -> None:
    (task,) = parse_quickadd("learn templates #C++ #errands.", NYE)
    assert (task.name, task.tags) == ("learn templates", ("C++", "errands"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call mom and buy milk", ["call mom", "buy milk"]),
        ("call mom, email bob, and then buy milk", ["call mom", "email bob", "buy milk"]),
        ("buy milk; water plants\nread book", ["buy milk", "water plants", "read book"]),
        ("buy salt and pepper", ["buy salt and pepper"]),
        ("call mom and dad", ["call mom and dad"]),
        ("buy milk, eggs and bread", ["buy milk, eggs and bread"]),
        ("and buy milk", ["and buy milk"]),  # nothing before the separator: no split
        ("buy milk;;  ; ", ["buy milk"]),
    ],
)
def test_splitting_into_tasks(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_markers_belong_to_the_task_they_are_written_in() -> None:
    first, second = parse_quickadd("call mom tomorrow p1 and buy milk #errands", NYE)
    assert (first.name, first.due, first.priority, first.tags) == ("call mom", "2027-01-01", 1, ())
    assert (second.name, second.due, second.priority, second.tags) == (
        "buy milk",
        None,
        2,
        ("errands",),
    )


@pytest.mark.parametrize(
    ("text", "name", "due"),
    [
        ("buy sun cream", "buy sun cream", None),  # "sun" is not Sunday mid-sentence
        ("fix the sat nav tomorrow", "fix the sat nav", "2027-01-01"),
        ("call mom sat", "call mom", "2027-01-02"),  # ...but is at the end
        ("call mom on sun", "call mom", "2027-01-03"),  # ...or after a cue word
        ("morning run", "morning run", None),  # a time word alone is not a due in free text
        ("meet bob at 5pm", "meet bob", "2026-12-31T17:00"),
        ("read chapter 2 may 5", "read chapter 2", "2027-05-05"),
        ("tomorrow: dentist", "dentist", "2027-01-01"),
        ("pay rent by jan 1", "pay rent", "2027-01-01"),
        ("renew passport 2027-03-01", "renew passport", "2027-03-01"),
        ("water plants in 3 days", "water plants", "2027-01-03"),
        ("party tonight", "party", "2026-12-31T20:00"),
    ],
)
def test_dates_inside_free_text(text: str, name: str, due: str | None) -> None:
    (task,) = parse_quickadd(text, NYE)
    assert (task.name, task.due) == (name, due)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (WEEK[0], "2027-01-01T09:00"),
        (WEEK[1], "2027-01-01T09:00"),
        (WEEK[2], "2027-01-01T09:00"),
        (WEEK[3], "2027-01-01T09:00"),
        (WEEK[4], "2027-01-08T09:00"),  # on a Friday, "fri" is next week's
        (WEEK[5], "2027-01-08T09:00"),
        (WEEK[6], "2027-01-08T09:00"),
    ],
    ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
)
def test_weekday_in_quickadd_on_each_day(now: datetime, due: str) -> None:
    (task,) = parse_quickadd("standup fri 9am #work", now)
    assert (task.name, task.due, task.tags) == ("standup", due, ("work",))


@pytest.mark.parametrize(
    ("now", "text", "due"),
    [
        (datetime(2026, 11, 30, 12), "pay rent tomorrow", "2026-12-01"),  # month end
        (NYE, "pay rent tomorrow", "2027-01-01"),  # year end
        (NYE, "pay rent next mon", "2027-01-04"),  # week end crossing the year
        (NYE, "pay rent dec 1", "2027-12-01"),
        (datetime(2027, 1, 3, 12), "pay rent next mon", "2027-01-04"),  # Sunday: tomorrow
        (datetime(2027, 1, 4, 12), "pay rent next mon", "2027-01-11"),  # Monday: in a week
    ],
)
def test_quickadd_across_week_month_and_year_ends(now: datetime, text: str, due: str) -> None:
    (task,) = parse_quickadd(text, now)
    assert task.due == due


def test_markup_is_kept_and_escapes_are_removed() -> None:
    (task,) = parse_quickadd("[bold]pay[/bold] \x1b[31mrent\x1b[0m tomorrow", NYE)
    assert task.name == "[bold]pay[/bold] rent"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "name"),
        ("  ;  ", "name"),
        ("p1 #work tomorrow", "name"),  # markers only: no name left
        ("feb 30 party", "due"),
        ("read #" + "x" * 41, "tags"),  # meant as a tag, too long: said, not kept in the name
        (";".join(f"task {n}" for n in range(21)), "tasks"),
    ],
)
def test_bad_input_is_a_clear_error(text: str, field: str) -> None:
    with pytest.raises(ProposalError) as caught:
        parse_quickadd(text, NYE)
    assert caught.value.field == field
    assert isinstance(caught.value, AppError)  # shown as one line, never a traceback


def test_a_project_is_read_as_add_reads_it_and_leaves_the_name() -> None:
    (fence, mum) = parse_quickadd("fix the fence project:home p1; call mum proj:family.mum", NYE)
    assert (fence.name, fence.project, fence.priority) == ("fix the fence", "home", 1)
    assert (mum.name, mum.project) == ("call mum", "family.mum")


def test_a_project_add_refuses_is_refused_here_too() -> None:
    with pytest.raises(ProposalError, match="project"):
        parse_quickadd("fix the fence project:home..garden", NYE)
