"""ui.toolbar and ui.events: what the bottom toolbar and the event lines tell the user."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from core.errors import FileLockTimeoutError
from core.events import LockWaiting, Recovered, Saved
from core.state import AppState
from ui.events import ReplEvents, error_text
from ui.toolbar import Toolbar, short_path


def text_of(toolbar: Toolbar) -> str:
    return "".join(fragment[1] for fragment in toolbar())


def wide(state: AppState, status: str = "") -> Toolbar:
    """A toolbar in a terminal wide enough for a temporary directory's whole path."""
    return Toolbar(state, lambda: status, width=lambda: 300)


def test_shows_the_file_and_the_counts(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_task("a")
    state.add_task("b")
    state.complete(2)
    shown = text_of(wide(state))
    assert str(tasks_path) in shown
    assert "1 pending · 1 done" in shown
    assert "another window" not in shown


def test_shows_the_last_save_or_recovery_status(tasks_path: Path) -> None:
    shown = text_of(Toolbar(AppState(tasks_path), lambda: "saved 14:02:11"))
    assert "saved 14:02:11" in shown


def test_says_when_another_window_changed_the_file_without_reloading(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    state.add_task("mine")
    toolbar = wide(state)
    AppState(tasks_path).add_task("theirs")
    shown = text_of(toolbar)
    assert "changed in another window" in shown
    assert "pending" not in shown  # this window's counts are known to be stale: not shown
    state.refresh()
    shown = text_of(toolbar)
    assert "2 pending" in shown and "another window" not in shown


@pytest.mark.parametrize("columns", [50, 80, 120])
def test_fits_one_line_of_the_terminal_cutting_the_status_then_the_path(
    tmp_path: Path, columns: int
) -> None:
    path = tmp_path / "a-rather-long-directory-name" / "another-one-below-it" / "tasks.json"
    path.parent.mkdir(parents=True)
    state = AppState(path)
    state.add_task("a")
    status = "saved 14:02:11 · synced 2 min ago"
    shown = text_of(Toolbar(state, lambda: status, width=lambda: columns))
    assert len(shown) <= columns
    assert "1 pending · 0 done" in shown  # the counts are never cut
    assert "tasks.json" in shown  # a path cut from the left keeps its file name
    if columns >= 120:
        assert status in shown  # room for it: only the path is cut


def test_an_unreadable_file_is_said_not_raised(tasks_path: Path) -> None:
    tasks_path.write_text("[{ broken")
    assert "cannot be read" in text_of(Toolbar(AppState(tasks_path), lambda: ""))


def test_short_path_abbreviates_the_home_directory(tmp_path: Path) -> None:
    home = os.path.expanduser("~")
    assert short_path(os.path.join(home, "notes", "tasks.json")) == "~/notes/tasks.json"
    assert short_path("/srv/tasks.json") == "/srv/tasks.json"


# --- ui.events: storage events in the REPL ---


def console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=100, color_system=None), out


def test_a_save_is_confirmed_in_one_line_after_the_command(tasks_path: Path) -> None:
    con, out = console()
    events = ReplEvents(con)
    events(Saved(str(tasks_path), 12, 0.004))
    assert out.getvalue() == ""  # not before the command's own output
    events.finish()
    assert "saved" in out.getvalue() and "12 tasks" in out.getvalue()
    assert events.status.startswith("saved ")
    events.finish()
    assert out.getvalue().count("saved") == 1


def test_recovery_is_a_panel_naming_the_backup_count_and_corrupt_copy() -> None:
    con, out = console()
    events = ReplEvents(con)
    events(
        Recovered("tasks.json", "not valid JSON", "tasks.json.backup", 41, "tasks.json.corrupt-X")
    )
    shown = out.getvalue()
    for part in ("tasks.json.backup", "41 tasks", "tasks.json.corrupt-X", "not valid JSON", "╭"):
        assert part in shown
    assert "recovered" in events.status


def test_lock_wait_shows_a_spinner_naming_the_holder_until_the_command_ends() -> None:
    out = io.StringIO()
    con = Console(file=out, width=120, color_system=None, force_terminal=True)
    events = ReplEvents(con)
    events(LockWaiting("tasks.json", "pid 4242 `python main.py` on box, for 1.2 s", 0.3))
    events(LockWaiting("tasks.json", "pid 4242 `python main.py` on box, for 1.5 s", 0.6))
    events.finish()
    shown = out.getvalue()
    assert "waiting for tasks.json, held by pid 4242 `python main.py`" in shown
    # The spinner really stopped: Rich allows one live display at a time.
    events(LockWaiting("tasks.json", "pid 7", 0.1))
    events(Saved("tasks.json", 1, 0.2))
    events.finish()


def test_lock_timeout_is_a_red_line_that_says_what_to_do() -> None:
    line = error_text(FileLockTimeoutError("tasks.json", 5.0, "pid 4242 `python main.py`"))
    assert "nothing was saved" in line.plain
    assert "pid 4242" in line.plain
    assert "--lock-timeout" in line.plain
    assert "red" in str(line.style)


def test_invalid_records_are_a_warning_pointing_at_doctor_said_once(tasks_path: Path) -> None:
    con, out = console()
    events = ReplEvents(con)
    good = {"id": 1, "uuid": "u1", "name": "fine"}
    bad = [{"id": 2, "uuid": "u2", "name": "x", "priority": 9}, "not a task"]
    tasks_path.write_text(
        json.dumps({"format": "tasksafe", "version": 1, "next_id": 3, "tasks": [good, *bad]})
    )
    state = AppState(tasks_path, on_event=events)
    state.load()
    state.update_task(1, name="renamed")  # every save and reload validates again
    _ = state.tasks
    assert out.getvalue().count("2 record(s)") == 1 and "doctor" in out.getvalue()
    state.update_task(2, priority=1)  # one record fixed: the new set is said
    _ = state.tasks
    assert "1 record(s)" in out.getvalue()


def test_event_text_from_a_file_is_data_not_markup() -> None:
    con, out = console()
    ReplEvents(con)(Recovered("[bold]x[/bold]", "r", "b", 1, "c"))
    assert "[bold]x[/bold]" in out.getvalue()
