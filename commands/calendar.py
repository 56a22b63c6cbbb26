"""`calendar`: months as grids, each day marked with the pending tasks due on it, as Taskwarrior's
`task calendar` shows them; the days that have any are listed under each grid."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from msgspec import Struct

from commands import filters
from commands.registry import Context, arg, command
from core.dates import MONTHS, days_in_month, parse_due
from core.errors import UsageError
from core.model import Task

MAX_MONTHS = 12
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


class Month(Struct, frozen=True):
    """One month: its weeks (Monday first; 0 outside the month) and what falls due on its days."""

    year: int
    month: int
    weeks: list[list[int]]
    due: dict[int, list[Task]]  # day of the month -> pending tasks due that day, earliest first


class Calendar(Struct, frozen=True):
    months: list[Month]
    today: date
    overdue: int  # pending tasks due before today
    context: str = ""  # the context's filter words the tasks were chosen within


@command(
    "calendar",
    "months as grids with the pending tasks due each day: calendar, calendar mar, "
    "calendar 2027-01 --months 3",
    arg("when", nargs="*", help="a day of the first month (default today): mar, 2027-01, eom"),
    arg("--months", type=int, default=1, metavar="N", help=f"how many months, 1 to {MAX_MONTHS}"),
    aliases=("cal",),
)
def calendar(ctx: Context, args: argparse.Namespace) -> Any:
    now = ctx.now()
    if not 1 <= args.months <= MAX_MONTHS:
        raise UsageError(f"--months takes 1 to {MAX_MONTHS}, not {args.months}")
    first = first_month(args.when, now)
    tasks, context = ctx.state.tasks, filters.context_of(ctx.environ)
    if context:
        tasks = filters.select(tasks, filters.in_context([], ctx.environ, now), now)
    return month_grids(tasks, first, args.months, now.date(), " ".join(context))


def first_month(words: Sequence[str], now: datetime) -> date:
    """The first day of the month the words name: a month's name (the next one, this month
    included), `2027-01`, or any date (`eom`, `next month`, `2027-03-15`); today's without any."""
    text = " ".join(words).strip().lower()
    if not text:
        return now.date().replace(day=1)
    if text in MONTHS:
        month = MONTHS[text]
        return date(now.year + (month < now.month), month, 1)
    if found := _YEAR_MONTH.fullmatch(text):
        year, month = int(found.group(1)), int(found.group(2))
        if 1 <= month <= 12 and 1970 <= year <= 9999:
            return date(year, month, 1)
        raise UsageError(f"{text} is not a month (YYYY-MM)")
    try:
        return date.fromisoformat(parse_due(text, now)[:10]).replace(day=1)
    except ValueError as e:
        raise UsageError(f"calendar: {e}; or a month: mar, 2027-01") from None


def month_grids(
    tasks: Sequence[Task], first: date, count: int, today: date, context: str = ""
) -> Calendar:
    """`count` months from `first`, with the pending tasks due in each (chosen within `context`)."""
    months = []
    year, month = first.year, first.month
    for _ in range(count):
        months.append(_month(tasks, year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    overdue = sum(1 for t in tasks if t.pending and t.due and t.due[:10] < today.isoformat())
    return Calendar(months, today, overdue, context)


def _month(tasks: Sequence[Task], year: int, month: int) -> Month:
    prefix = f"{year:04d}-{month:02d}-"
    due: dict[int, list[Task]] = {}
    for task in sorted((t for t in tasks if t.pending and t.due), key=lambda t: (t.due, t.id)):
        if task.due and task.due.startswith(prefix):
            due.setdefault(int(task.due[8:10]), []).append(task)
    lead = date(year, month, 1).weekday()  # cells before the 1st in its week (Monday first)
    cells = [0] * lead + list(range(1, days_in_month(year, month) + 1))
    cells += [0] * (-len(cells) % 7)
    weeks = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    return Month(year, month, weeks, due)
