"""Recurrence rules: what a user types (`monthly`, `every 2 weeks`, `every mon,thu`) and the next due.

Pure: text and stored dues in, a `Rule` or a stored due out. `Rule.text` is the one normalised
spelling stored in a task's `recur` field, so two spellings of one rule (`every 2 weeks`,
`biweekly`) are stored alike: `every 1 month` is `monthly`, `annually` is `yearly`,
`every mon,tue,wed,thu,fri` is `weekdays`.

The next due is computed by python-dateutil's rrule (RFC 5545), moved from the due date, not from
today, on naive wall-clock times: a task due 09:00 stays at 09:00 across a DST change, the way a
stored due carries no offset (core.dates).

Month ends: a monthly (or yearly) series keeps its day of the month, clamped at a month's end:
Jan 31 -> Feb 28 (29 in a leap year) -> Mar 31, as Taskwarrior does. A clamped due (Feb 28) does
not say which day the series meant, so `next_due` takes an `anchor`, the first due of the series,
when the caller knows it; the anchor only ever extends a due that sits on its month's last day, so
an occurrence moved by hand to the 15th goes on from the 15th.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, cast

from msgspec import Struct

from core.dates import WEEKDAYS, days_in_month

# dateutil.rrule's frequencies (RFC 5545 order). dateutil is imported only when a next due is
# computed: check_rule is on every command's import path through core.vocabulary.
YEARLY, MONTHLY, WEEKLY, DAILY = 0, 1, 2, 3

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WORKDAYS = (0, 1, 2, 3, 4)
# unit -> (rrule frequency, its singular name)
_UNITS = {
    "day": (DAILY, "day"),
    "days": (DAILY, "day"),
    "week": (WEEKLY, "week"),
    "weeks": (WEEKLY, "week"),
    "month": (MONTHLY, "month"),
    "months": (MONTHLY, "month"),
    "year": (YEARLY, "year"),
    "years": (YEARLY, "year"),
}
# (frequency, interval) -> the named rule that means it
_NAMED = {
    "daily": (DAILY, 1),
    "weekly": (WEEKLY, 1),
    "biweekly": (WEEKLY, 2),
    "fortnightly": (WEEKLY, 2),
    "monthly": (MONTHLY, 1),
    "quarterly": (MONTHLY, 3),
    "yearly": (YEARLY, 1),
    "annually": (YEARLY, 1),
}
_CANONICAL = {
    (DAILY, 1): "daily",
    (WEEKLY, 1): "weekly",
    (WEEKLY, 2): "biweekly",
    (MONTHLY, 1): "monthly",
    (MONTHLY, 3): "quarterly",
    (YEARLY, 1): "yearly",
}
_MAX_INTERVAL = 1000
ACCEPTED = (
    "daily, weekdays, weekly, biweekly, monthly, quarterly, yearly, "
    "every N days|weeks|months|years (every 2 weeks, every day) or every mon,thu"
)


class Rule(Struct, frozen=True):
    """A parsed rule: every `interval` periods of `freq`, on `weekdays` (0 = Monday) if given."""

    text: str
    freq: int
    interval: int = 1
    weekdays: tuple[int, ...] = ()


def parse_rule(text: str) -> Rule:
    """Read a rule as a user types it (any case); ValueError says what is accepted."""
    words = re.findall(r"[^\s,]+", text.lower().replace(" and ", ","))
    rule = _named(words) or _every(words)
    if rule is None:
        raise ValueError(f"cannot read {text.strip()!r:.60} as a recurrence; try {ACCEPTED}")
    return rule


def check_rule(text: str) -> str:
    """The normalised text of a rule, as stored in `recur`; ValueError says what is accepted."""
    return parse_rule(text).text


def _named(words: list[str]) -> Rule | None:
    if len(words) != 1:
        return None
    if words[0] == "weekdays":
        return _weekday_rule(_WORKDAYS)
    if words[0] in _NAMED:
        return _interval_rule(*_NAMED[words[0]])
    return None


def _every(words: list[str]) -> Rule | None:
    """`every N days|weeks|months|years`, `every day`, `every other week`, `every mon,thu`."""
    if len(words) < 2 or words[0] != "every":
        return None
    rest = words[1:]
    if rest in (["weekday"], ["workday"]):
        return _weekday_rule(_WORKDAYS)
    if all(w in WEEKDAYS for w in rest):
        return _weekday_rule(tuple(WEEKDAYS[w] for w in rest))
    if len(rest) == 1 and rest[0] in _UNITS:
        return _interval_rule(_UNITS[rest[0]][0], 1)
    if len(rest) != 2 or rest[1] not in _UNITS:
        return None
    count = 2 if rest[0] == "other" else int(rest[0]) if rest[0].isdigit() else 0
    if not 1 <= count <= _MAX_INTERVAL:
        return None
    return _interval_rule(_UNITS[rest[1]][0], count)


def _interval_rule(freq: int, interval: int) -> Rule:
    text = _CANONICAL.get((freq, interval))
    if text is None:
        unit = next(name for f, name in _UNITS.values() if f == freq)
        text = f"every {interval} {unit}" + ("" if interval == 1 else "s")
    return Rule(text, freq, interval)


def _weekday_rule(days: tuple[int, ...]) -> Rule:
    ordered = tuple(sorted(set(days)))
    if ordered == _WORKDAYS:
        text = "weekdays"
    elif len(ordered) == 7:
        return _interval_rule(DAILY, 1)
    else:
        text = "every " + ",".join(WEEKDAY_NAMES[d] for d in ordered)
    freq = DAILY if ordered == _WORKDAYS else WEEKLY
    return Rule(text, freq, 1, ordered)


# --- the next occurrence ---


def next_due(
    due: str, rule: Rule | str, until: str | None = None, *, anchor: str | None = None
) -> str | None:
    """The due after `due` by `rule`, in due's stored format; None once past `until` (inclusive).

    `anchor` is the series' first due, which keeps a month-end series on its day (see above).
    """
    if isinstance(rule, str):
        rule = parse_rule(rule)
    from dateutil import rrule as rr

    start = _moment(due)
    month, days, setpos = _month_day(rule, start, anchor)
    recurrence = rr.rrule(
        cast(Any, rule.freq),  # the stubs want a Literal of the seven frequencies
        dtstart=start,
        interval=rule.interval,
        byweekday=rule.weekdays or None,
        bymonth=month,
        bymonthday=days,
        bysetpos=setpos,
    )
    try:
        after = recurrence.after(start)
    except (ValueError, OverflowError):  # past year 9999: no next occurrence
        return None
    if after is None or (until is not None and after.replace(tzinfo=None) > _end_of(until)):
        return None
    return _format(after, due)


def shift(value: str, days: int) -> str:
    """A stored due (or wait, scheduled) moved by whole days, in its own format."""
    return _format(_moment(value) + timedelta(days=days), value)


def days_between(earlier: str, later: str) -> int:
    """Whole calendar days from one stored due to another."""
    return (_moment(later).date() - _moment(earlier).date()).days


def _month_day(
    rule: Rule, start: datetime, anchor: str | None
) -> tuple[int | None, tuple[int, ...] | None, int | None]:
    """rrule's bymonth, bymonthday and bysetpos that keep a monthly or yearly series on its day, clamped at month end.

    `bymonthday=(28, ..., day), bysetpos=-1` is RFC 5545's way to say "day N, or the month's last
    day when it is shorter": plain `bymonthday=31` would skip every shorter month.
    """
    if rule.freq not in (MONTHLY, YEARLY) or rule.weekdays:
        return None, None, None
    day = _series_day(start, anchor)
    month = start.month if rule.freq == YEARLY else None
    if day <= 28:
        return month, (day,), None
    return month, tuple(range(28, day + 1)), -1


def _series_day(start: datetime, anchor: str | None) -> int:
    """The day of the month the series means: due's own, or the anchor's when due was clamped."""
    if anchor is None:
        return start.day
    try:
        wanted = _moment(anchor).day
    except ValueError:
        return start.day
    month_end = days_in_month(start.year, start.month)
    return wanted if start.day == month_end and wanted > start.day else start.day


def _moment(value: str) -> datetime:
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    return datetime.fromisoformat(value)


def _end_of(until: str) -> datetime:
    """`until` as the last moment it includes: a date means the whole of that day."""
    if len(until) == 10:
        return datetime.combine(date.fromisoformat(until), datetime.max.time())
    moment = datetime.fromisoformat(until)
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def _format(moment: datetime, like: str) -> str:
    """A moment in the stored format of `like`: a date, `YYYY-MM-DDTHH:MM`, or full ISO."""
    if len(like) == 10:
        return moment.date().isoformat()
    if len(like) == 16:
        return moment.strftime("%Y-%m-%dT%H:%M")
    return moment.isoformat()
