"""ui/plain.py: the one-shot `list` as plain aligned lines (issue 13)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from commands.results import TaskTable
from core.model import Task, new_record
from ui.plain import colour_wanted, cut, table_lines, width_of

NOW = datetime(2026, 12, 1, 12, 0)


def tasks(*names: str, **fields: object) -> list[Task]:
    return [
        Task.from_record(new_record(k, name, **fields))  # type: ignore[arg-type]
        for k, name in enumerate(names, 1)
    ]


def table(rows: list[Task]) -> TaskTable:
    return TaskTable(rows, "tasks", len(rows), 0, now=NOW)


def test_every_row_is_one_aligned_line_without_box_drawing() -> None:
    rows = tasks(*(f"task {k}" for k in range(1, 12)), tags=["x"])
    lines = table_lines(table(rows), NOW, None, False)
    assert lines[0].split() == ["id", "pri", "tags", "name"]  # no row has a due: no column
    assert len(lines) == 1 + 11 + 1  # header, every row, the summary
    assert lines[-1] == "11 shown · 11 pending · 0 done"
    assert {line.index("task") for line in lines[1:-1]} == {lines[0].index("name")}
    assert not any(c in "".join(lines) for c in "│─╭╰┃")


def test_a_name_is_never_cut_off_a_terminal_and_cut_with_an_ellipsis_on_one() -> None:
    rows = tasks("a" * 200, "short")
    assert "a" * 200 in table_lines(table(rows), NOW, None, False)[1]
    on_screen = table_lines(table(rows), NOW, 50, False)
    assert all(width_of(line) <= 50 for line in on_screen[:-1])
    assert on_screen[1].endswith("a…")


def test_a_screenful_says_how_many_more_and_the_command_for_these_rows() -> None:
    rows = tasks(*(f"t{k}" for k in range(30)))
    lines = table_lines(TaskTable(rows, "tasks +home", 30, 0, now=NOW), NOW, 80, False, limit=5)
    assert len(lines) == 1 + 5 + 2
    assert lines[-2] == "… 25 more: tasksafe list +home --every shows them all"  # no --all
    assert lines[-1].startswith("5 of 30 shown")


def test_user_text_loses_control_characters_and_stays_on_one_line() -> None:
    (row,) = table_lines(table(tasks("esc \x1b[31mRED\nnext\tx")), NOW, None, False)[1:2]
    assert "\x1b" not in row and "\t" not in row
    assert row.endswith("esc RED ⏎ next x")


def test_wide_characters_take_two_cells() -> None:
    assert width_of("日本") == 4 and width_of("e\u0301") == 1
    assert cut("日本語の名前", 5) == "日本…"


def test_colour_follows_no_color_and_the_forcing_variables() -> None:
    pipe = io.StringIO()
    assert not colour_wanted(pipe, {})
    assert colour_wanted(pipe, {"FORCE_COLOR": "1"})
    assert not colour_wanted(pipe, {"FORCE_COLOR": "1", "NO_COLOR": "1"})
    (row,) = table_lines(table(tasks("x", priority=1)), NOW, None, True)[1:2]
    assert "\033[1;31mP1" in row


def test_a_change_is_one_line_per_task_as_the_rich_renderer_says_it() -> None:
    from commands.results import Message, StatusChanged, TaskEdited, TaskTable
    from ui.plain import change_lines

    (one,) = tasks("buy milk")
    assert change_lines(TaskEdited(one), False) == ["✓ saved 1 buy milk"]
    assert change_lines(StatusChanged([one], "done"), False) == ["✓ done 1 buy milk"]
    assert change_lines(Message("nothing was changed"), False) == ["nothing was changed"]
    assert change_lines(TaskTable([one]), False) is None  # not a change: the caller renders it
    coloured = change_lines(StatusChanged([one], "pending"), True)
    assert coloured == ["\033[32m✓ reopened \033[0m\033[1m1\033[0m buy milk"]


def test_nothing_to_list_is_said_in_one_line() -> None:
    assert table_lines(TaskTable([], "tasks", 0, 0), NOW, None, False) == [
        "no tasks yet — add one with: tasksafe add NAME"
    ]
    nothing = table_lines(TaskTable([], "tasks +nosuchtag", 3, 1), NOW, 80, False)
    assert nothing == ["no tasks match +nosuchtag"]


LONG = "call the plumber about the leaking kitchen tap before the weekend, and the boiler too"


def fitting(**fields: object) -> TaskTable:
    rows = [
        *tasks(LONG, tags=["home", "errands"], project="home.garden", due="2026-12-04"),
        *tasks("dentist", due="2026-12-02T18:00", tags=["health"]),
    ]
    rows[1] = Task.from_record({**rows[1].raw, "id": 2, "uuid": "u2", **fields})
    return table(rows)


@pytest.mark.parametrize("width", [50, 80, 120])
def test_on_a_terminal_each_row_is_one_line_and_the_name_gets_half_or_more(width: int) -> None:
    lines = table_lines(fitting(), NOW, width, False)
    assert len(lines) == 1 + 2 + 1 and all(width_of(line) <= width for line in lines)
    name = lines[1][lines[0].index("name") :]
    assert name.startswith("call the") and name.endswith("…")
    assert len(name) >= width // 2, (len(name), width)
    assert "#health" in lines[2]  # a column, or after the name when there is no room


def test_due_cells_in_full_off_a_terminal_and_short_on_a_narrow_one() -> None:
    full = "\n".join(table_lines(fitting(), NOW, None, False))
    assert "Fri 12-04 · in 3 days" in full and "Wed 12-02 18:00 · tomorrow" in full
    narrow = "\n".join(table_lines(fitting(), NOW, 50, False))
    assert "Fri 12-04 " in narrow and "12-02 18:00" in narrow and "in 3 days" not in narrow
    late = table(tasks("late", due="2026-11-28"))
    (row,) = table_lines(late, NOW, None, True)[1:2]
    assert "\033[1;31mSat 11-28 · 3 days ago" in row


def test_the_status_column_only_for_rows_of_more_than_one_status() -> None:
    done = TaskTable([Task.from_record({**t.raw, "status": "done"}) for t in tasks("a", "b")])
    assert "status" not in table_lines(done, NOW, None, False)[0]
    mixed = fitting(status="done")
    assert table_lines(mixed, NOW, None, False)[0].split()[2] == "status"
    narrow = table_lines(mixed, NOW, 50, False)  # folded into the markers' column
    assert "status" not in narrow[0] and "✓" in narrow[2] and narrow[-1].endswith("✓ done")


def test_a_screenful_counts_the_lines_the_terminal_wraps_the_summary_to() -> None:
    from ui.plain import screen_rows

    rows = tasks(*(f"t{k}" for k in range(100)), recur="weekly", series="s", due="2026-12-04")
    wide = TaskTable(rows, "tasks", 100, 0, now=NOW)
    assert screen_rows(wide, NOW, 120, 24) == 24 - 4  # header, more, summary, shell prompt
    assert screen_rows(wide, NOW, 40, 24) == 24 - 6  # at 40 columns both lines take two
