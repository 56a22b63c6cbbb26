"""Due dates: what a user types (`fri 9am`, `in 3 days`, `dec 1`) to a stored wall-clock value.

A stored due is `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, local time without an offset: a task due
"friday 09:00" stays at 09:00 when the machine's time zone changes.

Rules where English is ambiguous (the review step shows the resolved date before saving):
- a weekday (`fri`, `friday`) is the first one strictly after today: on a Friday, `fri` is in
  7 days; `today` is the word for today;
- `next fri` is the Friday of next week (weeks start on Monday): on a Wednesday that is in 9 days,
  on a Saturday it is the same day as `fri`;
- `dec 1` / `1 dec` / `december 1` is the next such day, today included, rolling into next year;
- an ordinal alone (`1st`, `the 15th`, as Taskwarrior's `due:1st`) is the next such day of a
  month, today included, skipping months too short for it (`31st` on Nov 5 is Dec 31); in free
  text (quick-add, strict) it needs a cue word (`by the 1st`): "buy 1st edition" is a name;
- a duration alone (`3d`, `2w`, `1mo`, `1y`, as Taskwarrior's `due:3d`) is that long after
  today; in free text it needs a cue word too (`print 3d model` is a name);
- a time alone (`18:00`, `9am`, `at noon`) is its next occurrence: today, or tomorrow once passed;
- `tonight` is today 20:00; `morning` 09:00, `noon` 12:00, `afternoon` 15:00, `evening` 18:00,
  `night` 20:00; `this evening` is today 18:00;
- periods (weeks start on Monday), as Taskwarrior's named dates read for a due: `eod`, `eow`,
  `eoww`, `eom`, `eoq`, `eoy` (and `end of [the] day|week|month|quarter|year`) are the last day
  of the current one (`eoww` the first Friday from today); `end of next month` the last day of
  the next one; `sow`, `som`, `soq`, `soy` (`start of next …`, `next month|quarter|year`) the
  first day of the next one; `weekend` / `this weekend` the coming Saturday (today on a weekend),
  `next weekend` the Saturday of next week.
Numeric forms other than ISO (`12/1`, `1.12.`) are refused: day and month order differ by locale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from msgspec import Struct

WEEKDAYS = {
    "monday": 0, "mon": 0,
    "tuesday": 1, "tue": 1, "tues": 1,
    "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3,
    "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
NAMED_TIMES = {
    "morning": time(9),
    "noon": time(12),
    "afternoon": time(15),
    "evening": time(18),
    "night": time(20),
}
TONIGHT = time(20)
COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 0, "months": 0}
DATE_CUES = frozenset({"on", "by", "due", "until"})
MONTH_NAMES = (
    *("January", "February", "March", "April", "May", "June", "July", "August", "September"),
    *("October", "November", "December"),
)
PERIODS = ("day", "week", "month", "quarter", "year")
PERIOD_ENDS = {
    "eod": "day", "eow": "week", "eocw": "week", "eom": "month", "eocm": "month",
    "eoq": "quarter", "eocq": "quarter", "eoy": "year", "eocy": "year",
}  # fmt: skip
PERIOD_STARTS = {"sow": "week", "soww": "week", "som": "month", "soq": "quarter", "soy": "year"}
# Words that are also ordinary English ("sun cream", "sat nav", "may"): in free text (quick-add)
# they count as a date only after a cue word or at the very end of the text.
AMBIGUOUS = frozenset({"sun", "sat", "wed", "mar", "may", "jan", "weekend"})
EXAMPLES = (
    "try 2026-12-01, 2026-12-01 18:00, today, tomorrow 18:00, fri 9am, next fri, in 3 days or dec 1"
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}t\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})?")
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)?")
_DAY = re.compile(r"(\d{1,2})(st|nd|rd|th)?")
_ORDINAL = re.compile(r"(\d{1,2})(st|nd|rd|th)")
# No bare `m`: Taskwarrior reads it as minutes, others as months.
_DURATION = re.compile(r"(\d{1,4})(d|days?|w|wks?|weeks?|mo|mos|months?|y|yrs?|years?)")
_YEAR = re.compile(r"\d{4}")
_EARLIEST_YEAR = 1970
_MAX_YEARS_AHEAD = 100


class DueSpan(Struct, frozen=True):
    """A due phrase found in a list of words: words[start:end], meaning `value`."""

    start: int
    end: int
    value: str


class _Hit(Struct, frozen=True):
    """A date or time matched at some position; `end` is the first word after it."""

    end: int
    day: date | None = None
    at: time | None = None


def parse_due(text: str, now: datetime) -> str:
    """Turn what a user typed into a stored due; ValueError says what to type instead."""
    words = split_words(text)
    if not words:
        raise ValueError(f"a due date cannot be empty ({EXAMPLES})")
    span = match_due(words, 0, now)
    if span is None or span.end != len(words):
        raise ValueError(f"cannot read {text.strip()!r} as a due date ({EXAMPLES})")
    return span.value


def validate_due(value: str, now: datetime) -> str:
    """Normalise an ISO due from a file or a model; refuse years before 1970 or 100 years ahead."""
    text = value.strip()
    try:
        if len(text) <= 10:
            return _checked(date.fromisoformat(text), None, now)
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-12-01 or 2026-12-01T18:00") from None
    moment = _local_moment(moment, now)
    return _checked(moment.date(), moment.time(), now)


class DueParts(Struct, frozen=True):
    """A stored due as wall-clock parts: its day, its time (None for a date), the day relative to
    today ('tomorrow', 'in 3 days', '2 weeks ago', or the date itself when far) and if overdue."""

    day: date
    at: time | None
    relative: str
    overdue: bool


def due_parts(value: str, now: datetime) -> DueParts:
    """A stored due as its parts, for describe_due and the task table's due cell."""
    wall = _wall(now)
    if len(value) <= 10:
        day, at = date.fromisoformat(value), None
        overdue = day < wall.date()
    else:
        moment = _wall(_local_moment(datetime.fromisoformat(value), now))
        day, at = moment.date(), moment.time()
        overdue = moment < wall
    return DueParts(day, at, _relative_day(day, wall.date()), overdue)


def describe_due(value: str, now: datetime) -> tuple[str, bool]:
    """When a stored due is, relative to now ('tomorrow 18:00', '3 days ago'), and if overdue."""
    parts = due_parts(value, now)
    text = parts.relative
    return (f"{text} {parts.at:%H:%M}" if parts.at is not None else text), parts.overdue


def split_words(text: str) -> list[str]:
    """Lowercase words of text, commas dropped, as the matchers expect them."""
    return [normalise_word(w) for w in re.findall(r"[^\s,]+", text)]


def normalise_word(word: str) -> str:
    """One word as the matchers see it: lowercase, sentence punctuation at its end removed."""
    lowered = word.lower()
    if lowered in ("a.m.", "p.m."):
        return lowered
    return lowered.rstrip(".!?:")


def find_due(words: Sequence[str], now: datetime, *, strict: bool = False) -> DueSpan | None:
    """The first due phrase in words (see split_words), or None; strict is for free text."""
    for i in range(len(words)):
        span = match_due(words, i, now, strict=strict)
        if span is not None:
            return span
    return None


def find_due_at_end(words: Sequence[str], now: datetime) -> DueSpan | None:
    """The longest due phrase that ends the words (see split_words), or None; strict as free text.

    `add call mom fri 6pm` ends with a due; in `add fri standup notes` the date is part of a name.
    """
    for i in range(len(words)):
        span = match_due(words, i, now, strict=True)
        if span is not None and span.end == len(words):
            return span
    return None


def match_due(
    words: Sequence[str], i: int, now: datetime, *, strict: bool = False
) -> DueSpan | None:
    """The due phrase starting at words[i], longest first, or None."""
    wall = _wall(now)
    first = _skip(words, i, DATE_CUES)
    cued = first > i
    if first < len(words) and _ISO_DATETIME.fullmatch(words[first]):
        return DueSpan(i, first + 1, validate_due(words[first], now))
    loose = cued or not strict
    hit = _date_then_time(words, first, wall, loose) or _time_then_date(words, first, wall, loose)
    if hit is None:
        return None
    if strict and not cued and hit.end != len(words) and AMBIGUOUS.intersection(words[i : hit.end]):
        return None
    return DueSpan(i, hit.end, _checked(_resolve(hit, wall), hit.at, now))


def _date_then_time(words: Sequence[str], i: int, wall: datetime, loose: bool) -> _Hit | None:
    """A date, optionally followed by `[at] TIME`: `tomorrow 18:00`, `fri at 9am`."""
    day = _match_date(words, i, wall.date(), loose=loose)
    if day is None:
        return None
    after = _skip(words, day.end, {"at"})
    clock = _match_time(words, after)
    if clock is None:
        return day
    return _Hit(clock.end, day.day, clock.at)


def _time_then_date(words: Sequence[str], i: int, wall: datetime, cued: bool) -> _Hit | None:
    """`[at] TIME [on] [DATE]`: `9am tomorrow`, `at 5pm`; a lone time needs `at` unless cued."""
    start = _skip(words, i, {"at"})
    clock = _match_time(words, start)
    if clock is None:
        return None
    day = _match_date(words, _skip(words, clock.end, DATE_CUES), wall.date(), loose=cued)
    if day is not None:
        return _Hit(day.end, day.day, clock.at)
    if not cued and start == i:
        return None
    return _Hit(clock.end, None, clock.at)


def _resolve(hit: _Hit, wall: datetime) -> date:
    """The day of a hit; a time alone means its next occurrence."""
    if hit.day is not None:
        return hit.day
    assert hit.at is not None
    today = wall.date()
    return today if datetime.combine(today, hit.at) > wall else today + timedelta(days=1)


def _match_date(words: Sequence[str], i: int, today: date, loose: bool = True) -> _Hit | None:
    """A date word or phrase at words[i]; an ordinal (`15th`) or a duration (`3d`) alone only
    when `loose`: in free text they are words of a name (`buy 1st edition`, `print 3d model`)."""
    if i >= len(words):
        return None
    for matcher in (_match_word_date, _match_period, _match_weekday, _match_in, _match_month_day):
        hit = matcher(words, i, today)
        if hit is not None:
            return hit
    if not loose:
        return None
    return _match_ordinal(words, i, today) or _match_duration(words, i, today)


def _match_word_date(words: Sequence[str], i: int, today: date) -> _Hit | None:
    """`today`, `tomorrow`, `yesterday`, `tonight`, `this evening`, an ISO date or date-time."""
    word = words[i]
    relative = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if word in relative:
        return _Hit(i + 1, today + timedelta(days=relative[word]))
    if word == "tonight":
        return _Hit(i + 1, today, TONIGHT)
    if word == "this" and i + 1 < len(words) and words[i + 1] in NAMED_TIMES:
        return _Hit(i + 2, today, NAMED_TIMES[words[i + 1]])
    if _ISO_DATE.fullmatch(word):
        return _Hit(i + 1, _iso_date(word))
    return None


def _match_period(words: Sequence[str], i: int, today: date) -> _Hit | None:
    """`eom`, `end of the month`, `end of next week`, `som`, `start of next year`, `next month`,
    `eoww`, `this weekend`, `next weekend`, `by the end of the month` (see the module's rules)."""
    if words[i] == "the" and i + 1 < len(words) and words[i + 1] in _AFTER_THE:
        i += 1
    word = words[i]
    if word in PERIOD_ENDS:
        return _Hit(i + 1, _period_end(PERIOD_ENDS[word], today))
    if word in PERIOD_STARTS:
        return _Hit(i + 1, _next_period(PERIOD_STARTS[word], today))
    if word == "eoww":
        return _Hit(i + 1, today + timedelta(days=(4 - today.weekday()) % 7))
    if word in ("end", "start", "beginning") and _at(words, i + 1, "of"):
        j = _skip(words, i + 2, {"the"})
        ahead = _at(words, j, "next")
        j += 1 if ahead or _at(words, j, "this") else 0
        if j >= len(words) or words[j] not in PERIODS or (word != "end" and not ahead):
            return None  # `start of the month` has begun: only `start of next month` is ahead
        unit = words[j]
        if word != "end":
            return _Hit(j + 1, _next_period(unit, today))
        return _Hit(j + 1, _period_end(unit, _next_period(unit, today) if ahead else today))
    if word == "next" and i + 1 < len(words) and words[i + 1] in ("month", "quarter", "year"):
        return _Hit(i + 2, _next_period(words[i + 1], today))
    saturday = today + timedelta(days=5 - today.weekday())  # this week's; passed on a Sunday
    if word == "weekend" or (word == "this" and _at(words, i + 1, "weekend")):
        return _Hit(i + (1 if word == "weekend" else 2), max(saturday, today))
    if word == "next" and _at(words, i + 1, "weekend"):
        return _Hit(i + 2, saturday + timedelta(days=7))
    return None


_AFTER_THE = frozenset({"end", "start", "beginning", "weekend"})


def _at(words: Sequence[str], i: int, word: str) -> bool:
    return i < len(words) and words[i] == word


def _period_start(unit: str, day: date) -> date:
    """The first day of the day, week (Monday), month, quarter or year `day` is in."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def _next_period(unit: str, day: date) -> date:
    """The first day of the period after the one `day` is in."""
    start = _period_start(unit, day)
    steps = {"day": 1, "week": 7}
    if unit in steps:
        return start + timedelta(days=steps[unit])
    return _add_months(start, {"month": 1, "quarter": 3, "year": 12}[unit])


def _period_end(unit: str, day: date) -> date:
    """The last day of the period `day` is in."""
    return _next_period(unit, day) - timedelta(days=1)


def _match_weekday(words: Sequence[str], i: int, today: date) -> _Hit | None:
    """`fri` (the first Friday after today) or `next fri` (the Friday of next week)."""
    if words[i] == "next" and i + 1 < len(words) and words[i + 1] in WEEKDAYS:
        next_monday = today + timedelta(days=7 - today.weekday())
        return _Hit(i + 2, next_monday + timedelta(days=WEEKDAYS[words[i + 1]]))
    if words[i] == "next" and i + 1 < len(words) and words[i + 1] == "week":
        return _Hit(i + 2, today + timedelta(days=7 - today.weekday()))
    if words[i] in WEEKDAYS:
        ahead = (WEEKDAYS[words[i]] - today.weekday() - 1) % 7 + 1
        return _Hit(i + 1, today + timedelta(days=ahead))
    return None


def _match_in(words: Sequence[str], i: int, today: date) -> _Hit | None:
    """`in 3 days`, `in a week`, `in 2 months`."""
    if words[i] != "in" or i + 2 >= len(words):
        return None
    count_word, unit = words[i + 1], words[i + 2]
    count = int(count_word) if count_word.isdigit() else COUNT_WORDS.get(count_word)
    if count is None or unit not in UNITS or count > 100 * 366:
        return None
    if UNITS[unit] == 0:
        return _Hit(i + 3, _add_months(today, count))
    return _Hit(i + 3, today + timedelta(days=count * UNITS[unit]))


def _match_month_day(words: Sequence[str], i: int, today: date) -> _Hit | None:
    """`dec 1`, `1 dec`, `december 1st`, optionally followed by a year: `dec 1 2027`."""
    if i + 1 >= len(words):
        return None
    first, second = words[i], words[i + 1]
    if first in MONTHS and (found := _DAY.fullmatch(second)):
        month = MONTHS[first]
    elif second in MONTHS and (found := _DAY.fullmatch(first)):
        month = MONTHS[second]
    else:
        return None
    day = int(found.group(1))
    year_given = i + 2 < len(words) and _YEAR.fullmatch(words[i + 2]) is not None
    if year_given:
        return _Hit(i + 3, _calendar_date(int(words[i + 2]), month, day))
    return _Hit(i + 2, _next_month_day(month, day, today))


def _match_duration(words: Sequence[str], i: int, today: date) -> _Hit | None:
    """`3d`, `2w`, `1mo`, `1y`, `2weeks` (Taskwarrior's `due:3d`): that long after today."""
    found = _DURATION.fullmatch(words[i])
    if found is None:
        return None
    count, unit = int(found.group(1)), found.group(2)[0]
    if unit in "my":
        return _Hit(i + 1, _add_months(today, count * (12 if unit == "y" else 1)))
    return _Hit(i + 1, today + timedelta(days=count * (7 if unit == "w" else 1)))


def _match_ordinal(words: Sequence[str], i: int, today: date) -> _Hit | None:
    """`1st`, `the 15th`: the next such day of a month, today included."""
    start = i + 1 if words[i] == "the" and i + 1 < len(words) else i
    found = _ORDINAL.fullmatch(words[start])
    if found is None:
        return None
    return _Hit(start + 1, _next_day_of_month(int(found.group(1)), today))


def _match_time(words: Sequence[str], i: int) -> _Hit | None:
    """`18:00`, `9am`, `9:30 pm`, `noon`, `evening`; a bare number is not a time."""
    if i >= len(words):
        return None
    if words[i] in NAMED_TIMES:
        return _Hit(i + 1, at=NAMED_TIMES[words[i]])
    clock = _CLOCK.fullmatch(words[i])
    if clock is None:
        return None
    hour_text, minute_text, suffix = clock.groups()
    end = i + 1
    if suffix is None and end < len(words) and words[end] in ("am", "pm", "a.m.", "p.m."):
        suffix, end = words[end], end + 1
    if suffix is None and minute_text is None:
        return None
    at = _clock_time(int(hour_text), int(minute_text or 0), suffix)
    return None if at is None else _Hit(end, at=at)


def _clock_time(hour: int, minute: int, suffix: str | None) -> time | None:
    """A wall-clock time, or None when the numbers are not one (`25:00`, `13pm`)."""
    if minute > 59:
        return None
    if suffix is None:
        return time(hour, minute) if hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    hour %= 12
    return time(hour + 12 if suffix.startswith("p") else hour, minute)


def _next_month_day(month: int, day: int, today: date) -> date:
    """The next `month day` on or after today; February 29 waits for a leap year."""
    if day > days_in_month(2024, month):  # 2024: a leap year, the largest month
        raise ValueError(f"{MONTH_NAMES[month - 1]} has no day {day}")
    for year in range(today.year, today.year + 9):
        if day <= days_in_month(year, month) and date(year, month, day) >= today:
            return date(year, month, day)
    raise ValueError(f"{MONTH_NAMES[month - 1]} {day} does not come up in the next years")


def _next_day_of_month(day: int, today: date) -> date:
    """The next `day` of a month on or after today, in the first month that has it."""
    if not 1 <= day <= 31:
        raise ValueError(f"a month has no day {day}")
    year, month = today.year, today.month
    while day > days_in_month(year, month) or date(year, month, day) < today:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, day)


def _calendar_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{MONTH_NAMES[month - 1]} {year} has no day {day}") from None


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def days_in_month(year: int, month: int) -> int:
    """28 to 31 (calendar.monthrange without importing calendar, which imports locale: ~1 ms of
    every command)."""
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def _add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if year > 9999:
        raise ValueError("that is too far ahead")
    return date(year, month, min(day.day, days_in_month(year, month)))


def _checked(day: date, at: time | None, now: datetime) -> str:
    """Format a due, refusing years before 1970 or more than 100 years ahead."""
    latest = _wall(now).year + _MAX_YEARS_AHEAD
    if not _EARLIEST_YEAR <= day.year <= latest:
        raise ValueError(f"{day.isoformat()} is out of range (years {_EARLIEST_YEAR} to {latest})")
    if at is None:
        return day.isoformat()
    return f"{day.isoformat()}T{at.hour:02d}:{at.minute:02d}"


def _relative_day(day: date, today: date) -> str:
    """`today`, `tomorrow`, `in 3 days`, `2 weeks ago`, or the date itself when far away."""
    delta = (day - today).days
    names = {0: "today", 1: "tomorrow", -1: "yesterday"}
    if delta in names:
        return names[delta]
    size = abs(delta)
    if size < 14:
        amount = f"{size} days"
    elif size < 63:
        amount = f"{size // 7} weeks"
    else:
        return day.isoformat()
    return f"in {amount}" if delta > 0 else f"{amount} ago"


def _skip(words: Sequence[str], i: int, skippable: frozenset[str] | set[str]) -> int:
    """The first index from i whose word is not one of `skippable`."""
    while i < len(words) and words[i] in skippable:
        i += 1
    return i


def _local_moment(moment: datetime, now: datetime) -> datetime:
    """A moment as wall-clock time in now's zone: stored dues carry no offset."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(now.tzinfo if now.tzinfo else None).replace(tzinfo=None)


def _wall(now: datetime) -> datetime:
    """Now as local wall-clock time without an offset, to compare with stored dues."""
    return now.replace(tzinfo=None, second=0, microsecond=0)


def due_moment(value: str, now: datetime) -> datetime:
    """A stored due (or wait, scheduled, until) as local wall-clock time; a date is its midnight."""
    if len(value) <= 10:
        return datetime.combine(date.fromisoformat(value), time())
    return _local_moment(datetime.fromisoformat(value), now)


def wall_clock(now: datetime) -> datetime:
    """Now as the wall-clock time stored dues are compared with (no offset, whole minutes)."""
    return _wall(now)
