"""Rich rendering of `calendar`: a grid per month, then the days that have tasks due, one line
each (`Fri 04  pay rent · call mom`), cut to the terminal's width."""

from __future__ import annotations

from datetime import date

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from commands.calendar import Calendar, Month
from core.dates import MONTH_NAMES
from ui.render.base import data, one_line, render

_DAY_NAMES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@render.register
def _(result: Calendar, console: Console) -> None:
    parts: list[Table | Text] = []
    for number, month in enumerate(result.months):
        parts += [Text("")] if number else []
        parts += [grid(month, result.today), *due_lines(month, result.today)]
    if result.overdue:
        noun = "task" if result.overdue == 1 else "tasks"
        parts.append(Text(f"{result.overdue} overdue {noun}: list overdue", style="red"))
    if result.context:
        parts.append(Text(f"context {result.context}", style="dim"))
    console.print(Group(*parts))


def grid(month: Month, today: date) -> Table:
    """The month's weeks, Monday first: today reversed, a day with tasks due in bold (red once
    past), weekends dim."""
    title = Text(f"{MONTH_NAMES[month.month - 1]} {month.year}", style="bold")
    table = Table(title=title, title_justify="left", box=None, pad_edge=False, padding=(0, 1))
    for name in _DAY_NAMES:
        table.add_column(name, justify="right", no_wrap=True, style="dim" if name in "SaSu" else "")
    for week in month.weeks:
        table.add_row(*(_cell(month, day, today) for day in week))
    return table


def _cell(month: Month, day: int, today: date) -> Text:
    if not day:
        return Text("")
    when = date(month.year, month.month, day)
    style = ""
    if day in month.due:
        style = "bold red" if when < today else "bold yellow"
    if when == today:
        style = f"{style} reverse".strip()
    return Text(str(day), style=style)


def due_lines(month: Month, today: date) -> list[Text]:
    """One line per day with tasks due: its weekday and number, then the names."""
    lines = []
    for day, tasks in sorted(month.due.items()):
        when = date(month.year, month.month, day)
        line = Text(f"{_WEEKDAYS[when.weekday()]} {day:02d}  ", style="red" if when < today else "")
        for number, task in enumerate(tasks):
            line += Text(" · ", style="dim") if number else Text("")
            line += data(one_line(task.name))
        line.no_wrap = True
        line.overflow = "ellipsis"
        lines.append(line)
    return lines
