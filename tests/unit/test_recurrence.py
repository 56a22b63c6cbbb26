"""core.recurrence: rules as typed, their one stored spelling, and the next due of a series."""

from __future__ import annotations

import calendar
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.recurrence import check_rule, days_between, next_due, parse_rule, shift

# --- reading rules ---


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("daily", "daily"),
        ("Daily", "daily"),
        ("every day", "daily"),
        ("every 1 days", "daily"),
        ("weekdays", "weekdays"),
        ("every weekday", "weekdays"),
        ("every mon,tue,wed,thu,fri", "weekdays"),
        ("weekly", "weekly"),
        ("every week", "weekly"),
        ("biweekly", "biweekly"),
        ("every 2 weeks", "biweekly"),
        ("every other week", "biweekly"),
        ("monthly", "monthly"),
        ("every month", "monthly"),
        ("quarterly", "quarterly"),
        ("every 3 months", "quarterly"),
        ("yearly", "yearly"),
        ("annually", "yearly"),
        ("every year", "yearly"),
        ("every 5 days", "every 5 days"),
        ("every 6 weeks", "every 6 weeks"),
        ("every 2 months", "every 2 months"),
        ("every 2 years", "every 2 years"),
        ("every mon,thu", "every mon,thu"),
        ("every Thursday, Monday", "every mon,thu"),
        ("every monday and thursday", "every mon,thu"),
        ("EVERY FRI", "every fri"),
        ("  every   sat,sun ", "every sat,sun"),
        ("every mon,tue,wed,thu,fri,sat,sun", "daily"),
    ],
)
def test_a_rule_is_stored_in_one_normalised_spelling(typed: str, stored: str) -> None:
    assert check_rule(typed) == stored
    assert check_rule(stored) == stored  # the stored text reads back as itself


@pytest.mark.parametrize(
    "bad", ["", "sometimes", "every", "every 0 days", "every -1 weeks", "every 2", "every blue"]
)
def test_an_unknown_rule_names_what_is_accepted(bad: str) -> None:
    with pytest.raises(ValueError, match="try daily, weekdays, weekly") as e:
        parse_rule(bad)
    assert "every N days|weeks|months|years" in str(e.value)
    assert "every mon,thu" in str(e.value)


def test_checking_a_rule_does_not_import_dateutil() -> None:
    # check_rule is on every command's import path (core.vocabulary): rrule loads only on use.
    code = "import sys, core.recurrence as r; r.check_rule('monthly'); print('dateutil' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "False"


# --- the next due ---


@pytest.mark.parametrize(
    ("due", "rule", "expected"),
    [
        ("2026-12-01", "daily", "2026-12-02"),
        ("2026-12-04", "weekdays", "2026-12-07"),  # Friday -> Monday
        ("2026-12-05", "weekdays", "2026-12-07"),  # a Saturday due -> Monday
        ("2026-12-01", "weekly", "2026-12-08"),
        ("2026-12-01", "biweekly", "2026-12-15"),
        ("2026-12-01", "every 10 days", "2026-12-11"),
        ("2026-11-15", "monthly", "2026-12-15"),
        ("2026-11-15", "quarterly", "2027-02-15"),
        ("2026-11-15", "yearly", "2027-11-15"),
        ("2026-12-03", "every mon,thu", "2026-12-07"),  # Thursday -> Monday
        ("2026-12-07", "every mon,thu", "2026-12-10"),  # Monday -> Thursday
        ("2026-12-02", "every mon,thu", "2026-12-03"),  # a Wednesday due -> Thursday
        ("2026-12-31", "daily", "2027-01-01"),  # year end
        ("2026-12-31", "weekly", "2027-01-07"),
        ("2026-12-15", "monthly", "2027-01-15"),
    ],
)
def test_next_due_moves_from_the_due_by_the_rule(due: str, rule: str, expected: str) -> None:
    assert next_due(due, rule) == expected


def test_the_time_of_day_is_kept() -> None:
    assert next_due("2026-12-01T18:30", "daily") == "2026-12-02T18:30"
    assert next_due("2026-12-04T09:00", "weekdays") == "2026-12-07T09:00"
    assert next_due("2026-01-31T07:15", "monthly") == "2026-02-28T07:15"


def test_a_monthly_series_keeps_its_day_clamped_at_month_ends() -> None:
    assert next_due("2026-01-31", "monthly") == "2026-02-28"
    # Feb 28 does not say the series meant the 31st: the anchor (its first due) does.
    assert next_due("2026-02-28", "monthly", anchor="2026-01-31") == "2026-03-31"
    assert next_due("2026-03-31", "monthly", anchor="2026-01-31") == "2026-04-30"
    assert next_due("2026-04-30", "monthly", anchor="2026-01-31") == "2026-05-31"
    assert next_due("2026-02-28", "monthly", anchor="2026-01-30") == "2026-03-30"
    assert next_due("2026-02-28", "monthly") == "2026-03-28"  # no anchor: its own day
    assert next_due("2026-01-30", "every 2 months") == "2026-03-30"
    assert next_due("2026-11-30", "quarterly", anchor="2026-08-31") == "2027-02-28"


def test_leap_years() -> None:
    assert next_due("2028-01-31", "monthly") == "2028-02-29"
    assert next_due("2028-02-29", "monthly") == "2028-03-29"
    assert next_due("2028-02-29", "monthly", anchor="2028-01-31") == "2028-03-31"
    assert next_due("2028-02-29", "yearly") == "2029-02-28"
    assert next_due("2031-02-28", "yearly", anchor="2028-02-29") == "2032-02-29"
    assert next_due("2028-02-28", "daily") == "2028-02-29"
    assert next_due("2027-02-28", "daily") == "2027-03-01"


def test_an_anchor_does_not_pull_a_due_moved_by_hand() -> None:
    # An occurrence moved to the 15th goes on from the 15th: the anchor only extends a month end.
    assert next_due("2026-04-15", "monthly", anchor="2026-01-31") == "2026-05-15"
    assert next_due("2026-04-30", "monthly", anchor="2026-01-20") == "2026-05-30"
    assert next_due("2026-02-28", "monthly", anchor="not a date") == "2026-03-28"


def test_until_ends_the_series_and_includes_its_day() -> None:
    assert next_due("2026-12-30", "daily", until="2026-12-31") == "2026-12-31"
    assert next_due("2026-12-30T18:00", "daily", until="2026-12-31") == "2026-12-31T18:00"
    assert next_due("2026-12-31", "daily", until="2026-12-31") is None
    assert next_due("2026-12-30T18:00", "daily", until="2026-12-31T17:00") is None
    assert next_due("2026-12-01", "monthly", until="2026-12-31") is None


def test_a_series_past_year_9999_has_no_next_due() -> None:
    assert next_due("9999-12-31", "daily") is None
    assert next_due("9999-06-01", "yearly") is None


@pytest.fixture
def berlin() -> Iterator[None]:
    """The process in Europe/Berlin, where clocks change on 2026-03-29 and 2026-10-25."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is POSIX only")
@pytest.mark.usefixtures("berlin")
def test_dst_changes_in_berlin_do_not_shift_the_hour() -> None:
    assert time.localtime(datetime(2026, 7, 1).timestamp()).tm_isdst == 1  # the zone is in effect
    assert next_due("2026-03-28T09:00", "daily") == "2026-03-29T09:00"  # spring forward
    assert next_due("2026-03-29T02:30", "daily") == "2026-03-30T02:30"  # a missing hour that day
    assert next_due("2026-10-24T09:00", "daily") == "2026-10-25T09:00"  # fall back
    assert next_due("2026-10-25T02:30", "daily") == "2026-10-26T02:30"  # a repeated hour
    assert next_due("2026-03-22T09:00", "weekly") == "2026-03-29T09:00"
    assert next_due("2026-02-28T08:00", "monthly", anchor="2026-01-31T08:00") == "2026-03-31T08:00"


def test_shift_and_days_between_keep_each_format() -> None:
    assert shift("2026-12-01", 7) == "2026-12-08"
    assert shift("2026-12-01T09:00", 31) == "2027-01-01T09:00"
    assert days_between("2026-12-01T23:00", "2026-12-02") == 1
    assert days_between("2026-01-31", "2026-02-28") == 28


# --- properties ---

RULES = st.sampled_from(
    [
        *("daily", "weekdays", "weekly", "biweekly", "monthly", "quarterly", "yearly"),
        *("every 3 days", "every 5 weeks", "every 7 months", "every 2 years", "every mon,thu"),
        *("every sun", "every tue,sat"),
    ]
)
DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2200, 12, 31))
CLOCKS = st.one_of(st.none(), st.tuples(st.integers(0, 23), st.integers(0, 59)))


def _stored(day: date, clock: tuple[int, int] | None) -> str:
    return day.isoformat() if clock is None else f"{day.isoformat()}T{clock[0]:02d}:{clock[1]:02d}"


@given(day=DAYS, clock=CLOCKS, rule=RULES)
def test_every_rules_next_due_is_after_the_due_in_the_same_format(
    day: date, clock: tuple[int, int] | None, rule: str
) -> None:
    due = _stored(day, clock)
    after = next_due(due, rule)
    assert after is not None
    assert len(after) == len(due)
    assert after > due  # ISO text of one format sorts in time order
    assert after[10:] == due[10:]  # the time of day is kept
    gap = days_between(due, after)
    limit = {"daily": 1, "weekdays": 3, "weekly": 7, "biweekly": 14, "every mon,thu": 4}
    assert gap <= limit.get(rule, 7 * 5 if "week" in rule else 2 * 366 + 31)


@given(day=DAYS, rule=st.sampled_from(["every mon,thu", "weekdays", "every sun", "every tue,sat"]))
def test_weekday_rules_land_on_their_weekdays(day: date, rule: str) -> None:
    after = date.fromisoformat(next_due(day.isoformat(), rule) or "")
    wanted = {"every mon,thu": {0, 3}, "weekdays": {0, 1, 2, 3, 4}, "every sun": {6}}
    assert after.weekday() in wanted.get(rule, {1, 5})
    between = [day + timedelta(days=k) for k in range(1, (after - day).days)]
    assert not any(d.weekday() in wanted.get(rule, {1, 5}) for d in between)  # none skipped


@given(first=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_a_monthly_series_followed_for_two_years_keeps_its_day(first: date) -> None:
    due, anchor = first.isoformat(), first.isoformat()
    for _ in range(24):
        nxt = next_due(due, "monthly", anchor=anchor)
        assert nxt is not None
        day = date.fromisoformat(nxt)
        assert day.day == min(first.day, calendar.monthrange(day.year, day.month)[1])
        assert days_between(due, nxt) <= 31
        due = nxt


@given(day=DAYS, rule=RULES, span=st.integers(0, 400))
def test_nothing_comes_after_until(day: date, rule: str, span: int) -> None:
    until = (day + timedelta(days=span)).isoformat()
    after = next_due(day.isoformat(), rule, until=until)
    unbounded = next_due(day.isoformat(), rule)
    assert after == (unbounded if unbounded is not None and unbounded <= until else None)
