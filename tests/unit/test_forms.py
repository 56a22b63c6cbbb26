"""ui.forms and ui/task_form.py: the one-screen task form, the edit-conflict choice, the delete
confirmation.

Keys go in through prompt_toolkit's pipe input (as questionary's own tests do); the resulting
fields, the file the edit flow writes, or the form's layout written to a screen are asserted.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.application.current import set_app
from prompt_toolkit.input import PipeInput
from prompt_toolkit.layout.mouse_handlers import MouseHandlers
from prompt_toolkit.layout.screen import Screen, WritePosition
from rich.console import Console

from commands import Context, build_parser, dispatch
from commands.results import Message, TaskEdited
from core.dates import EXAMPLES, parse_due
from core.state import AppState
from ui.forms import QuestionaryForms
from ui.task_form import TaskForm

DUE_HELP = f" ({EXAMPLES})"

ENTER, DOWN, UP, CTRL_C, CTRL_U = "\r", "\x1b[B", "\x1b[A", "\x03", "\x15"
TAB, SHIFT_TAB, CTRL_S, ESC, LEFT = "\t", "\x1b[Z", "\x13", "\x1b", "\x1b[D"
NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday


@pytest.fixture
def forms(screen: io.StringIO) -> QuestionaryForms:
    return QuestionaryForms(Console(file=screen, width=100, color_system=None), lambda: NOW)


def _form(initial: dict[str, Any] | None = None, known: list[str] | None = None) -> TaskForm:
    return TaskForm(initial, known or [], lambda: NOW)


def screen_lines(form: TaskForm, width: int = 80) -> list[str]:
    """The form as the terminal shows it at this width: its layout written to a screen."""
    screen = Screen()
    with set_app(form.app):
        root = form.app.layout.container
        height = root.preferred_height(width, 24).preferred
        root.write_to_screen(
            screen, MouseHandlers(), WritePosition(0, 0, width, height), "", False, None
        )
        screen.draw_all_floats()
    row = screen.data_buffer
    return ["".join(row[y][x].char for x in range(width)).rstrip() for y in range(height)]


# --- the task form: one screen ---


def test_add_form_returns_each_field_as_typed(keys: PipeInput, forms: QuestionaryForms) -> None:
    keys.send_text("Buy milk" + TAB + "3")  # priority: 3 low
    keys.send_text(TAB + "home errands" + TAB + "tomorrow 9am")
    keys.send_text(TAB + "two litres" + TAB + "from the corner shop" + ENTER)  # Enter on the last
    fields = forms.task_form(None, ["home", "work"])
    assert fields == {
        "name": "Buy milk",
        "priority": 3,
        "tags": ["home", "errands"],
        "due": "2026-11-26T09:00",
        "description": "two litres",
        "comment": "from the corner shop",
    }


def test_shift_tab_goes_back_to_a_field_already_filled(keys: PipeInput) -> None:
    keys.send_text("Buy milk" + TAB + TAB + "home")  # name, priority, tags
    keys.send_text(SHIFT_TAB + SHIFT_TAB + CTRL_U + "Buy oat milk" + CTRL_S)
    fields = _form().run()
    assert fields is not None
    assert (fields["name"], fields["tags"], fields["priority"]) == ("Buy oat milk", ["home"], 2)


def test_enter_and_the_arrows_move_between_fields(keys: PipeInput) -> None:
    keys.send_text("Call" + ENTER + "1" + DOWN + "family" + UP + LEFT + "\x1b[C")  # 1, then 2
    keys.send_text(UP + " mum" + DOWN + DOWN + DOWN + "fri" + CTRL_S)
    fields = _form().run()
    assert fields is not None
    assert fields["name"] == "Call mum" and fields["priority"] == 2
    assert fields["tags"] == ["family"] and fields["due"] == parse_due("fri", NOW)


def test_the_save_button_saves(keys: PipeInput) -> None:
    keys.send_text("Water plants" + TAB * 6 + ENTER)  # past comment: the Save button
    fields = _form().run()
    assert fields is not None and fields["name"] == "Water plants"


@pytest.mark.parametrize("key", [ESC, CTRL_C], ids=["esc", "ctrl-c"])
def test_esc_or_ctrl_c_cancels_and_returns_nothing(
    key: str, keys: PipeInput, forms: QuestionaryForms
) -> None:
    keys.send_text("Half typed" + TAB + TAB + "tag" + key)
    assert forms.task_form(None, []) is None


def test_the_cancel_button_cancels(keys: PipeInput) -> None:
    keys.send_text("Half typed" + TAB * 7 + ENTER)
    assert _form().run() is None


def test_an_empty_name_is_refused_and_save_goes_to_it(keys: PipeInput) -> None:
    keys.send_text(TAB + TAB + "home" + CTRL_S)  # refused: the focus goes back to the name
    keys.send_text("Pay rent" + CTRL_S)
    form = _form()
    fields = form.run()
    assert fields is not None and fields["name"] == "Pay rent" and fields["tags"] == ["home"]


def test_a_due_that_cannot_be_read_is_not_saved_and_says_why(keys: PipeInput) -> None:
    keys.send_text("Call mum" + TAB * 3 + "someday" + SHIFT_TAB + CTRL_S)  # Save from the tags
    keys.send_text(ESC)
    form = _form()
    assert form.run() is None
    assert form.app.layout.has_focus(form.areas["due"])
    assert form.errors == {"due": "cannot read 'someday' as a due date" + DUE_HELP}
    shown = " ".join(" ".join(screen_lines(form)).split())
    assert "› due someday cannot read 'someday' as a due date (try" in shown


def test_a_refused_due_fixed_in_place_saves(keys: PipeInput) -> None:
    keys.send_text("Call mum" + TAB * 3 + "someday" + TAB + CTRL_S)
    keys.send_text(CTRL_U + "fri" + CTRL_S)  # typed into the due: the focus was moved there
    fields = _form().run()
    assert fields is not None and fields["due"] == parse_due("fri", NOW)


def test_a_tag_with_a_space_inside_cannot_be_typed(keys: PipeInput) -> None:
    keys.send_text("x" + TAB + TAB + "#ok good" + CTRL_S)
    fields = _form().run()
    assert fields is not None
    assert fields["tags"] == ["ok", "good"]  # `#` is dropped, words split


def test_known_tags_complete_as_you_type(keys: PipeInput) -> None:
    form = _form(known=["home", "work", "hobby"])
    menu = form.areas["tags"].buffer

    def type_along() -> None:
        # The menu comes a moment after the typing, as on a terminal: Down once it is there.
        for typed, offered in (("x" + TAB + TAB + "ho", "home"), (ENTER + " w", "work")):
            keys.send_text(typed)
            deadline = time.monotonic() + 5
            while offered not in [c.text for c in getattr(menu.complete_state, "completions", [])]:
                assert time.monotonic() < deadline, f"{offered} not offered"
                time.sleep(0.01)
            keys.send_text(DOWN)
        keys.send_text(CTRL_S)

    typist = threading.Thread(target=type_along)
    typist.start()
    fields = form.run()
    typist.join()
    assert fields is not None and fields["tags"] == ["home", "work"]


@pytest.mark.parametrize(
    ("typed", "preview"),
    [
        ("", "no due date · e.g. tomorrow, fri 9am"),
        ("fri 9", "not a date yet"),
        ("fri 9am", "Fri 11-27 09:00 · in 2 days"),
        ("in 3 days", "Sat 11-28 · in 3 days"),
        ("2026-11-23", "Mon 11-23 · 2 days ago"),
        ("2020-01-31 8:00", "Fri 2020-01-31 08:00 · past"),  # another year: the year is shown
        ("2027-06-01", "Tue 2027-06-01"),
    ],
)
def test_the_due_preview_says_what_is_typed_so_far(
    typed: str, preview: str, keys: PipeInput
) -> None:
    keys.send_text("x" + TAB * 3 + typed + CTRL_C)
    form = _form()
    form.run()
    due_line = screen_lines(form).index(("› due         " + typed).rstrip()) + 1
    assert screen_lines(form)[due_line].strip().startswith(preview)


@pytest.mark.parametrize("width", [80, 50])
def test_every_field_and_both_buttons_fit_the_width(keys: PipeInput, width: int) -> None:
    keys.send_text(ESC)
    form = _form({"name": "A name far too long to fit in fifty columns " * 2, "due": None})
    form.run()
    lines = screen_lines(form, width)
    assert lines[0] == "edit task  Tab ⇧Tab · Ctrl-S save · Esc cancel"  # one line, even at 50
    labels = [line.split()[0] for line in lines[1:] if line.strip() and "<" not in line]
    assert labels[:7] == ["›", "priority", "tags", "due", "no", "description", "comment"]
    assert "Save" in lines[-1] and "Cancel" in lines[-1]
    assert len(lines) <= 12  # inline, under the line the user typed: well inside 24 rows


def test_edit_form_is_prefilled_and_unchanged_gives_back_every_value(keys: PipeInput) -> None:
    opened = {
        "name": "Old report",
        "priority": 1,
        "tags": ["work"],
        "due": "2020-01-31T08:00",  # past, and kept as stored
        "description": "draft\nsecond line",
        "comment": "from the meeting",
    }
    keys.send_text(ENTER * 6)  # through every field; Enter on the last saves
    form = _form(dict(opened), ["work"])
    assert form.run() == opened
    assert form.areas["due"].text == "2020-01-31 08:00"  # as the user would type it


def test_edit_form_opened_and_saved_unchanged_is_nothing_changed(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path
) -> None:
    state = AppState(tasks_path)
    state.add_task("Report", 1, ["work"], parse_due("2026-12-04 09:00", NOW), "draft", "note")
    before = tasks_path.read_bytes()
    keys.send_text(CTRL_S)
    ctx = Context(state, forms.confirm, interactive=True, forms=forms)
    result = dispatch(ctx, build_parser("tasksafe", interactive=True).parse_args(["edit", "1"]))
    assert isinstance(result, Message) and result.text == "nothing changed"
    assert tasks_path.read_bytes() == before


def test_edit_form_saves_only_what_was_changed(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path
) -> None:
    state = AppState(tasks_path)
    state.add_task("Report", 1, ["work"], "2026-12-04T09:00", "draft", "note")
    keys.send_text(TAB * 5 + CTRL_U + "a new comment" + CTRL_S)
    ctx = Context(state, forms.confirm, interactive=True, forms=forms)
    result = dispatch(ctx, build_parser("tasksafe", interactive=True).parse_args(["edit", "1"]))
    assert isinstance(result, TaskEdited)
    task = AppState(tasks_path).get(1)
    assert (task.comment, task.description, task.due) == (
        "a new comment",
        "draft",
        "2026-12-04T09:00",
    )


def test_the_form_reports_back_when_it_closes(keys: PipeInput, screen: io.StringIO) -> None:
    closed: list[bool] = []
    forms = QuestionaryForms(Console(file=screen), lambda: NOW, after=lambda: closed.append(True))
    keys.send_text(CTRL_C)
    forms.task_form(None, [])
    assert closed == [True]


# --- the edit conflict ---


def _conflict(forms: QuestionaryForms, tasks_path: Path) -> dict[str, object] | None:
    state = AppState(tasks_path)
    task = state.add_task("Report")
    mine = {"name": "Report (mine)", "tags": ["a"]}
    theirs = {"name": "Report (theirs)", "tags": ["b", "c"]}
    return forms.resolve_conflict(task, mine, theirs)


def test_conflict_shows_both_values_of_each_field(
    keys: PipeInput, forms: QuestionaryForms, screen: io.StringIO, tasks_path: Path
) -> None:
    keys.send_text(ENTER + ENTER)
    _conflict(forms, tasks_path)
    shown = screen.getvalue()
    assert "changed in another window" in shown
    for value in ("Report (mine)", "Report (theirs)", "#a", "#b #c"):
        assert value in shown


def test_conflict_keep_mine_and_keep_theirs_per_field(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path
) -> None:
    keys.send_text(ENTER)  # name: keep mine
    keys.send_text(DOWN + ENTER)  # tags: keep theirs
    assert _conflict(forms, tasks_path) == {"name": "Report (mine)", "tags": ["b", "c"]}


@pytest.mark.parametrize("answer", [DOWN + DOWN + ENTER, CTRL_C], ids=["cancel", "ctrl-c"])
def test_conflict_cancel_answers_none(
    answer: str, keys: PipeInput, forms: QuestionaryForms, tasks_path: Path
) -> None:
    keys.send_text(answer)
    assert _conflict(forms, tasks_path) is None


def _edit_while_another_window_renames(
    tasks_path: Path, forms: QuestionaryForms
) -> tuple[object, AppState]:
    """`edit 1` in this window; another window renames task 1 while the form is open."""
    mine = AppState(tasks_path)
    mine.add_task("Report", tags=["work"])
    other = AppState(tasks_path)

    def rename_elsewhere() -> None:
        other.update_task(1, name="Report (theirs)")

    forms.after = rename_elsewhere
    ctx = Context(mine, forms.confirm, interactive=True, forms=forms)
    result = dispatch(ctx, build_parser("tasksafe", interactive=True).parse_args(["edit", "1"]))
    return result, AppState(tasks_path)


def test_edit_conflict_keep_theirs_writes_only_the_fields_nobody_else_changed(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path
) -> None:
    keys.send_text(CTRL_U + "Report (mine)" + TAB + "3" + CTRL_S)
    keys.send_text(DOWN + ENTER)  # name was changed elsewhere: keep theirs
    result, disk = _edit_while_another_window_renames(tasks_path, forms)
    assert isinstance(result, TaskEdited)
    task = disk.get(1)
    assert task.name == "Report (theirs)"
    assert task.priority == 3  # this window's own change is still saved
    assert task.tags == ["work"]


def test_edit_conflict_keep_mine_overwrites_only_after_being_asked(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path
) -> None:
    keys.send_text(CTRL_U + "Report (mine)" + CTRL_S)
    keys.send_text(ENTER)  # keep mine
    _edit_while_another_window_renames(tasks_path, forms)
    assert AppState(tasks_path).get(1).name == "Report (mine)"


def test_edit_conflict_cancel_saves_nothing(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path
) -> None:
    keys.send_text(CTRL_U + "Report (mine)" + TAB + "3" + CTRL_S)
    keys.send_text(DOWN + DOWN + ENTER)  # cancel
    result, disk = _edit_while_another_window_renames(tasks_path, forms)
    assert isinstance(result, Message) and "nothing was saved" in result.text
    assert disk.get(1).name == "Report (theirs)"
    assert disk.get(1).priority == 2


def test_edit_without_a_conflict_never_asks(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path, screen: io.StringIO
) -> None:
    # Another window renames; this window changes only the priority: both are kept, no prompt.
    keys.send_text(TAB + "3" + CTRL_S)
    result, disk = _edit_while_another_window_renames(tasks_path, forms)
    assert isinstance(result, TaskEdited)
    assert (disk.get(1).name, disk.get(1).priority) == ("Report (theirs)", 3)
    assert "changed in another window" not in screen.getvalue()


# --- delete confirmation ---


@pytest.mark.parametrize(("answer", "expected"), [("y", True), (ENTER, False), (CTRL_C, False)])
def test_confirm_shows_what_will_go_and_defaults_to_no(
    answer: str,
    expected: bool,
    keys: PipeInput,
    forms: QuestionaryForms,
    screen: io.StringIO,
    tasks_path: Path,
) -> None:
    state = AppState(tasks_path)
    doomed = [state.add_task("Old plan"), state.add_task("Older plan")]
    keys.send_text(answer)
    assert forms.confirm("delete 2 task(s)?", doomed) is expected
    assert "Old plan" in screen.getvalue() and "Older plan" in screen.getvalue()
