"""ui/rows.py: the rules both task tables share (issue 13): due cells, the widths that give the
name the room, the line for nothing listed, the command for the rest of the rows."""

from __future__ import annotations

from datetime import datetime

import pytest

from commands.results import TaskTable
from core.model import Task
from ui.rows import (
    DueCell,
    columns_of,
    due_cell,
    fit,
    fit_name,
    nothing_listed,
    plan,
    rest_command,
    width_of,
)

NOW = datetime(2026, 12, 1, 10, 0)  # a Tuesday


def make(task_id: int, **fields: object) -> Task:
    return Task.from_record({"id": task_id, "uuid": f"u{task_id}", "name": f"t{task_id}", **fields})


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("2026-12-04", DueCell("Fri 12-04 · in 3 days", "Fri 12-04", False)),
        ("2026-12-01", DueCell("Tue 12-01 · today", "Tue 12-01", False)),
        ("2026-12-01T09:00", DueCell("Tue 12-01 09:00 · today", "12-01 09:00", True)),
        ("2026-11-28", DueCell("Sat 11-28 · 3 days ago", "Sat 11-28", True)),
        ("2027-01-08", DueCell("Fri 2027-01-08 · in 5 weeks", "2027-01-08", False)),
        ("2027-03-01", DueCell("Mon 2027-03-01", "2027-03-01", False)),  # far: the date alone
        ("2026-06-01", DueCell("Mon 06-01 · past", "Mon 06-01", True)),
    ],
)
def test_a_due_cell_has_the_weekday_the_date_and_the_relative_words(
    value: str, cell: DueCell
) -> None:
    assert due_cell(value, NOW) == cell


def test_the_name_keeps_half_the_width_and_the_others_give_way_in_turn() -> None:
    long = "n" * 90
    rows = [make(1, name=long, project="home.garden", tags=["errands", "x"], due="2026-12-04")]
    columns = columns_of(rows, NOW)
    roomy = plan(columns, 200, gap=1)
    assert (roomy.step, roomy.widths["name"]) == (0, 90)  # everything fits: nothing cut
    wide = plan(columns, 120, gap=1)
    assert wide.step == 0 and wide.widths["name"] >= 60 and wide.widths["tags"] <= 24
    middle = plan(columns, 80, gap=1)
    assert (middle.inline, middle.short_due) == (True, False)  # tags after the name, then...
    assert "project" not in middle.widths and middle.widths["name"] >= 40
    narrow = plan(columns, 50, gap=1)
    assert (narrow.inline, narrow.short_due) == (True, True)  # ...the due's words go
    assert narrow.widths["name"] >= 25
    assert sum(narrow.widths.values()) + len(narrow.widths) - 1 <= 50


def test_short_names_leave_the_other_columns_what_they_need() -> None:
    rows = [make(1, name="milk", tags=["errands", "shop"], due="2026-12-04")]
    layout = plan(columns_of(rows, NOW), 50, gap=1)
    assert layout.step == 0 and layout.widths["tags"] == len("#errands #shop")


def test_the_name_is_cut_last_when_project_and_tags_follow_it() -> None:
    rows = [make(1, name="buy paint", project="home", tags=["diy"]), make(2, name="x" * 60)]
    columns = columns_of(rows, NOW)
    layout = plan(columns, 30, gap=1)
    cells = fit(columns, layout)
    assert layout.inline and cells["name"][0] == "buy paint"
    assert cells["extras"][0] == " home #diy" or cells["extras"][0].endswith("…")
    assert cells["name"][1].endswith("…") and cells["extras"][1] == ""


def test_nothing_listed_and_the_rest_of_these_rows() -> None:
    assert nothing_listed(TaskTable([])) == "no tasks yet — add one with: add NAME"
    assert nothing_listed(TaskTable([], "tasks #nosuchtag", 2, 0)) == "no tasks match #nosuchtag"
    assert nothing_listed(TaskTable([], "tasks", 0, 3), "tasksafe ").startswith(
        "no pending tasks (tasksafe list --all"
    )
    assert nothing_listed(TaskTable([], "next", 2, 0)).startswith("no task is ready now")
    again = TaskTable([], "tasks +home", again=("list", "+home", "--sort", "due"))
    assert rest_command(again) == "list +home --sort due --every"
    assert rest_command(TaskTable([], "tasks (a or b)"), "tasksafe ") == (
        "tasksafe list '(a' or 'b)' --every"
    )


def test_what_follows_a_name_that_fills_the_cell_is_still_marked_as_cut() -> None:
    name = "call the plumber about the leaking kitchen tap"  # 46 cells, and #home follows
    for width in (30, 46, 47, 48):
        shown, extras = fit_name(name, "#home", width)
        row = shown + extras
        assert width_of(row) <= width
        assert row.endswith("…")  # never dropped without a sign
        assert row.count("…") == 1, row  # one sign, not `tap… …`
    assert fit_name(name, "#home", 60) == (name, " #home")


def test_no_match_names_the_options_it_matched_on() -> None:
    from commands.results import TaskTable

    table = TaskTable([], total_pending=2, again=("list", "--tag", "nosuch"))
    assert nothing_listed(table) == "no tasks match --tag nosuch"
