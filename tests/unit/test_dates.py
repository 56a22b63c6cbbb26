"""core.dates: what people type for a due date lands on the day they meant."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.dates import (
    describe_due,
    find_due,
    find_due_at_end,
    parse_due,
    split_words,
    validate_due,
)

# The week around a year end: Monday 2026-12-28 .. Sunday 2027-01-03 (2026-12-31 is a Thursday).
WEEK = [datetime(2026, 12, 28, 10, 30) + timedelta(days=n) for n in range(7)]
NYE = datetime(2026, 12, 31, 10, 30)


@pytest.mark.parametrize(
    ("now", "fri", "next_fri", "mon", "next_mon"),
    [
        (WEEK[0], "2027-01-01", "2027-01-08", "2027-01-04", "2027-01-04"),  # Monday
        (WEEK[1], "2027-01-01", "2027-01-08", "2027-01-04", "2027-01-04"),  # Tuesday
        (WEEK[2], "2027-01-01", "2027-01-08", "2027-01-04", "2027-01-04"),  # Wednesday
        (WEEK[3], "2027-01-01", "2027-01-08", "2027-01-04", "2027-01-04"),  # Thursday
        (WEEK[4], "2027-01-08", "2027-01-08", "2027-01-04", "2027-01-04"),  # Friday
        (WEEK[5], "2027-01-08", "2027-01-08", "2027-01-04", "2027-01-04"),  # Saturday
        (WEEK[6], "2027-01-08", "2027-01-08", "2027-01-04", "2027-01-04"),  # Sunday
    ],
    ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
)
def test_weekdays_on_each_day_of_the_week(
    now: datetime, fri: str, next_fri: str, mon: str, next_mon: str
) -> None:
    # A weekday is the first one strictly after today; `next` is the one in next week.
    assert parse_due("fri", now) == fri
    assert parse_due("Friday", now) == fri
    assert parse_due("next fri", now) == next_fri
    assert parse_due("mon", now) == mon
    assert parse_due("next monday", now) == next_mon


@pytest.mark.parametrize("now", WEEK, ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
def test_today_and_tomorrow_on_each_day(now: datetime) -> None:
    assert parse_due("today", now) == now.date().isoformat()
    assert parse_due("tomorrow", now) == (now.date() + timedelta(days=1)).isoformat()
    assert parse_due("yesterday", now) == (now.date() - timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("now", "text", "due"),
    [
        (NYE, "tomorrow", "2027-01-01"),  # year end
        (datetime(2027, 2, 28, 9), "tomorrow", "2027-03-01"),  # month end, not a leap year
        (datetime(2028, 2, 28, 9), "tomorrow", "2028-02-29"),  # leap year
        (NYE, "in 3 days", "2027-01-03"),
        (NYE, "in 2 weeks", "2027-01-14"),
        (NYE, "in a week", "2027-01-07"),
        (datetime(2027, 1, 31, 9), "in a month", "2027-02-28"),  # clamped to the month's end
        (datetime(2026, 11, 30, 9), "in 1 day", "2026-12-01"),
        (NYE, "next week", "2027-01-04"),
    ],
)
def test_relative_dates_cross_month_and_year_ends(now: datetime, text: str, due: str) -> None:
    assert parse_due(text, now) == due


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("dec 1", "2027-12-01"),  # passed this year: next year
        ("1 dec", "2027-12-01"),
        ("december 1st", "2027-12-01"),
        ("Dec 31", "2026-12-31"),  # today counts
        ("jan 1", "2027-01-01"),
        ("jan 15 2028", "2028-01-15"),
        ("feb 29", "2028-02-29"),  # waits for the next leap year
    ],
)
def test_month_and_day_is_the_next_such_day(text: str, due: str) -> None:
    assert parse_due(text, NYE) == due


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("2027-03-01", "2027-03-01"),
        ("2027-03-01 18:00", "2027-03-01T18:00"),
        ("2027-03-01T18:00", "2027-03-01T18:00"),
        ("2027-03-01t07:05", "2027-03-01T07:05"),
        ("tomorrow 18:00", "2027-01-01T18:00"),
        ("TOMORROW at 6pm", "2027-01-01T18:00"),
        ("fri 9am", "2027-01-01T09:00"),
        ("fri 9 pm", "2027-01-01T21:00"),
        ("fri 12am", "2027-01-01T00:00"),
        ("fri 12pm", "2027-01-01T12:00"),
        ("9:30am tomorrow", "2027-01-01T09:30"),
        ("at 5pm on friday", "2027-01-01T17:00"),
        ("tonight", "2026-12-31T20:00"),
        ("tonight 22:15", "2026-12-31T22:15"),
        ("tomorrow evening", "2027-01-01T18:00"),
        ("next tuesday morning", "2027-01-05T09:00"),
        ("this evening", "2026-12-31T18:00"),
        ("dec 1 18:00", "2027-12-01T18:00"),
        ("on jan 2 at noon", "2027-01-02T12:00"),
    ],
)
def test_dates_with_times(text: str, due: str) -> None:
    assert parse_due(text, NYE) == due


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("18:00", "2026-12-31T18:00"),  # later today
        ("9am", "2027-01-01T09:00"),  # already passed at 10:30: tomorrow
        ("evening", "2026-12-31T18:00"),
        ("morning", "2027-01-01T09:00"),
    ],
)
def test_a_time_alone_is_its_next_occurrence(text: str, due: str) -> None:
    assert parse_due(text, NYE) == due


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "empty"),
        ("someday", "try"),
        ("12/1", "try"),  # day/month order differs by locale: refused, not guessed
        ("fri fri", "try"),
        ("13pm", "try"),
        ("25:00", "try"),
        ("feb 30", "February has no day 30"),
        ("apr 31", "April has no day 31"),
        ("2026-02-30", "not a real date"),
        ("feb 29 2027", "has no day 29"),
        ("1969-12-31", "out of range"),
        ("2200-01-01", "out of range"),
    ],
)
def test_unreadable_dates_say_what_to_do(text: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint) as caught:
        parse_due(text, NYE)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2027-03-01", "2027-03-01"),
        (" 2027-03-01 ", "2027-03-01"),
        ("2027-03-01T18:00:45", "2027-03-01T18:00"),
        ("2027-03-01 18:00", "2027-03-01T18:00"),
    ],
)
def test_validate_due_normalises_iso(value: str, stored: str) -> None:
    assert validate_due(value, NYE) == stored


def test_validate_due_turns_an_offset_into_local_wall_clock() -> None:
    berlin = NYE.replace(tzinfo=ZoneInfo("Europe/Berlin"))
    assert validate_due("2027-03-01T17:00Z", berlin) == "2027-03-01T18:00"
    assert validate_due("2027-07-01T17:00+00:00", berlin) == "2027-07-01T19:00"  # summer time


@pytest.mark.parametrize("value", ["tomorrow", "2027-13-01", "1969-12-31", "2127-01-01", ""])
def test_validate_due_refuses_what_is_not_a_sane_iso_date(value: str) -> None:
    with pytest.raises(ValueError):
        validate_due(value, NYE)


@pytest.mark.parametrize(
    ("value", "text", "overdue"),
    [
        ("2026-12-31", "today", False),
        ("2027-01-01", "tomorrow", False),
        ("2026-12-30", "yesterday", True),
        ("2027-01-02", "in 2 days", False),
        ("2026-12-28", "3 days ago", True),
        ("2027-01-21", "in 3 weeks", False),
        ("2027-06-01", "2027-06-01", False),
        ("2027-01-01T18:00", "tomorrow 18:00", False),
        ("2026-12-31T09:00", "today 09:00", True),  # earlier today: overdue already
        ("2026-12-31T18:00", "today 18:00", False),
    ],
)
def test_describe_due_for_the_table(value: str, text: str, overdue: bool) -> None:
    assert describe_due(value, NYE) == (text, overdue)


def test_describe_due_converts_a_stored_offset() -> None:
    berlin = NYE.replace(tzinfo=ZoneInfo("Europe/Berlin"))
    assert describe_due("2027-01-01T17:00:00Z", berlin) == ("tomorrow 18:00", False)


@pytest.mark.parametrize(
    ("now", "text", "due"),
    [
        (datetime(2026, 11, 25, 9), "1st", "2026-12-01"),
        (datetime(2026, 11, 25, 9), "25th", "2026-11-25"),  # today counts, as `dec 1` does
        (datetime(2026, 11, 25, 9), "24th", "2026-12-24"),
        (datetime(2026, 11, 25, 9), "the 30th", "2026-11-30"),
        (datetime(2026, 11, 25, 9), "31st", "2026-12-31"),  # November has no 31st
        (datetime(2027, 1, 31, 9), "30th", "2027-03-30"),  # nor has February a 30th
        (datetime(2027, 2, 1, 9), "29th", "2027-03-29"),  # not a leap year
        (datetime(2028, 2, 1, 9), "29th", "2028-02-29"),
        (NYE, "1st", "2027-01-01"),  # into the next year
        (NYE, "2nd 18:00", "2027-01-02T18:00"),
        (NYE, "1st dec", "2027-12-01"),  # with a month it is that month's day
    ],
)
def test_an_ordinal_alone_is_the_next_such_day_of_a_month(
    now: datetime, text: str, due: str
) -> None:
    assert parse_due(text, now) == due


@pytest.mark.parametrize("text", ["0th", "32nd", "99th"])
def test_an_ordinal_no_month_has_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="a month has no day"):
        parse_due(text, NYE)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("buy 1st edition", None),  # in free text an ordinal needs a cue
        ("watch the 2nd season", None),
        ("pay rent by the 15th", "2027-01-15"),
        ("pay rent on 15th", "2027-01-15"),
    ],
)
def test_in_free_text_an_ordinal_needs_a_cue(text: str, found: str | None) -> None:
    span = find_due(split_words(text), NYE, strict=True)
    assert (span.value if span else None) == found


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("call mom fri 6pm", 2, "2027-01-01T18:00"),
        ("call mom tomorrow", 2, "2027-01-01"),
        ("fri call mom tomorrow", 3, "2027-01-01"),  # only the phrase that ends the words
        ("pay rent by fri", 2, "2027-01-01"),  # the cue word belongs to the phrase
        ("renew it in 3 days", 2, "2027-01-03"),
        ("fri standup notes", None, None),
        ("meet at noon", 1, "2026-12-31T12:00"),
        ("meet bob 9am", None, None),  # a lone time needs `at`, as in quick-add
    ],
)
def test_find_due_at_end_takes_the_phrase_that_ends_the_words(
    text: str, start: int | None, due: str | None
) -> None:
    span = find_due_at_end(split_words(text), NYE)
    assert ((span.start, span.value) if span else (None, None)) == (start, due)


# --- periods: Taskwarrior's named dates and their English phrases, across a year end ---


@pytest.mark.parametrize(
    ("text", "on_monday", "on_thursday", "on_saturday", "on_sunday"),
    [
        # The end of the current period (`eoww`: the first Friday from today).
        ("eod", "2026-12-28", "2026-12-31", "2027-01-02", "2027-01-03"),
        ("eow", "2027-01-03", "2027-01-03", "2027-01-03", "2027-01-03"),
        ("eoww", "2027-01-01", "2027-01-01", "2027-01-08", "2027-01-08"),
        ("eom", "2026-12-31", "2026-12-31", "2027-01-31", "2027-01-31"),
        ("eoq", "2026-12-31", "2026-12-31", "2027-03-31", "2027-03-31"),
        ("eoy", "2026-12-31", "2026-12-31", "2027-12-31", "2027-12-31"),
        ("end of the month", "2026-12-31", "2026-12-31", "2027-01-31", "2027-01-31"),
        ("end of week", "2027-01-03", "2027-01-03", "2027-01-03", "2027-01-03"),
        ("end of next month", "2027-01-31", "2027-01-31", "2027-02-28", "2027-02-28"),
        ("end of this year", "2026-12-31", "2026-12-31", "2027-12-31", "2027-12-31"),
        # The first day of the next period.
        ("sow", "2027-01-04", "2027-01-04", "2027-01-04", "2027-01-04"),
        ("som", "2027-01-01", "2027-01-01", "2027-02-01", "2027-02-01"),
        ("soq", "2027-01-01", "2027-01-01", "2027-04-01", "2027-04-01"),
        ("soy", "2027-01-01", "2027-01-01", "2028-01-01", "2028-01-01"),
        ("next month", "2027-01-01", "2027-01-01", "2027-02-01", "2027-02-01"),
        ("next year", "2027-01-01", "2027-01-01", "2028-01-01", "2028-01-01"),
        ("start of next week", "2027-01-04", "2027-01-04", "2027-01-04", "2027-01-04"),
        ("beginning of next quarter", "2027-01-01", "2027-01-01", "2027-04-01", "2027-04-01"),
        # The weekend: the coming Saturday, today on a weekend day.
        ("weekend", "2027-01-02", "2027-01-02", "2027-01-02", "2027-01-03"),
        ("this weekend", "2027-01-02", "2027-01-02", "2027-01-02", "2027-01-03"),
        ("next weekend", "2027-01-09", "2027-01-09", "2027-01-09", "2027-01-09"),
    ],
)
def test_periods_are_read_as_taskwarrior_reads_a_due(
    text: str, on_monday: str, on_thursday: str, on_saturday: str, on_sunday: str
) -> None:
    days = (WEEK[0], WEEK[3], WEEK[5], WEEK[6])
    for now, due in zip(days, (on_monday, on_thursday, on_saturday, on_sunday), strict=True):
        assert parse_due(text, now) == due, f"{text} on {now:%A}"


def test_a_period_takes_a_time_like_any_date() -> None:
    assert parse_due("eom 17:00", NYE) == "2026-12-31T17:00"
    assert parse_due("end of the month at 5pm", NYE) == "2026-12-31T17:00"


def test_the_start_of_a_period_that_has_begun_is_no_due() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_due("start of the month", NYE)


@pytest.mark.parametrize(
    ("text", "name_ends", "due"),
    [
        ("send the report by the end of the month", 3, "2026-12-31"),
        ("pay rent eom", 2, "2026-12-31"),
        ("clean the garage this weekend", 3, "2027-01-02"),
        ("clean the garage by the weekend", 3, "2027-01-02"),
        ("plan the weekend trip", None, None),  # `weekend` mid-sentence is a word of the name
        ("at the end of the sprint", None, None),  # no period tasksafe knows
    ],
)
def test_periods_in_free_text(text: str, name_ends: int | None, due: str | None) -> None:
    span = find_due_at_end(split_words(text), NYE)
    assert ((span.start, span.value) if span else (None, None)) == (name_ends, due)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("3d", "2027-01-03"),
        ("10days", "2027-01-10"),
        ("2w", "2027-01-14"),
        ("2weeks", "2027-01-14"),
        ("1mo", "2027-01-31"),
        ("2months", "2027-02-28"),  # clamped to the month's end, as `in 2 months`
        ("1y", "2027-12-31"),
        ("3d 9am", "2027-01-03T09:00"),
    ],
)
def test_a_duration_alone_is_that_long_after_today(text: str, due: str) -> None:
    assert parse_due(text, NYE) == due


def test_a_bare_m_is_no_duration_and_in_free_text_a_duration_needs_a_cue() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_due("1m", NYE)  # minutes to Taskwarrior, months to others
    assert find_due_at_end(split_words("print the 3d"), NYE) is None  # `print 3d model`
    span = find_due_at_end(split_words("renew it by 3d"), NYE)
    assert span is not None and span.value == "2027-01-03"
