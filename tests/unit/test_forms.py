"""ui.forms: the questionary task form, the edit-conflict choice and the delete confirmation.

Keys go in through prompt_toolkit's pipe input (as questionary's own tests do); the resulting
fields, or the file the edit flow writes, are asserted.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from prompt_toolkit.input import PipeInput
from rich.console import Console

from commands import Context, build_parser, dispatch
from commands.results import Message, TaskEdited
from core.dates import parse_due
from core.state import AppState
from ui.forms import QuestionaryForms

ENTER, DOWN, CTRL_C, CTRL_U = "\r", "\x1b[B", "\x03", "\x15"
NOW = datetime(2026, 11, 25, 10, 0)


@pytest.fixture
def forms(screen: io.StringIO) -> QuestionaryForms:
    return QuestionaryForms(Console(file=screen, width=100, color_system=None), lambda: NOW)


def test_add_form_returns_each_field_as_typed(keys: PipeInput, forms: QuestionaryForms) -> None:
    keys.send_text("Buy milk" + ENTER)
    keys.send_text(DOWN + ENTER)  # priority: from 2 normal down to 3 low
    keys.send_text("home errands" + ENTER)
    keys.send_text("tomorrow 9am" + ENTER)
    keys.send_text("two litres" + ENTER)
    fields = forms.task_form(None, ["home", "work"])
    assert fields == {
        "name": "Buy milk",
        "priority": 3,
        "tags": ["home", "errands"],
        "due": "2026-11-26T09:00",
        "description": "two litres",
    }


def test_empty_name_is_refused_until_one_is_typed(keys: PipeInput, forms: QuestionaryForms) -> None:
    keys.send_text("   " + ENTER + CTRL_U + "Pay rent" + ENTER + ENTER + ENTER + ENTER + ENTER)
    fields = forms.task_form(None, [])
    assert fields is not None
    assert fields["name"] == "Pay rent"
    assert fields["priority"] == 2 and fields["tags"] == [] and fields["due"] is None


def test_a_due_that_cannot_be_read_is_refused(keys: PipeInput, forms: QuestionaryForms) -> None:
    keys.send_text("Call mum" + ENTER + ENTER + ENTER)
    keys.send_text("someday" + ENTER + CTRL_U + "fri" + ENTER + ENTER)
    fields = forms.task_form(None, [])
    assert fields is not None
    assert fields["due"] == parse_due("fri", NOW)


def test_a_tag_with_a_space_inside_cannot_be_typed(
    keys: PipeInput, forms: QuestionaryForms
) -> None:
    keys.send_text("x" + ENTER + ENTER + "#ok good" + ENTER + ENTER + ENTER)
    fields = forms.task_form(None, [])
    assert fields is not None
    assert fields["tags"] == ["ok", "good"]  # `#` is dropped, words split


def test_edit_form_is_prefilled_and_enter_keeps_every_value(
    keys: PipeInput, forms: QuestionaryForms
) -> None:
    opened = {
        "name": "Old report",
        "priority": 1,
        "tags": ["work"],
        "due": "2020-01-31T08:00",  # past, and kept as stored
        "description": "draft",
        "comment": "not in the form",
    }
    keys.send_text(ENTER * 5)
    fields = forms.task_form(dict(opened), ["work"])
    assert fields == {k: v for k, v in opened.items() if k != "comment"}


def test_ctrl_c_anywhere_in_the_form_cancels_it(keys: PipeInput, forms: QuestionaryForms) -> None:
    keys.send_text("Half typed" + ENTER + CTRL_C)
    assert forms.task_form(None, []) is None


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
    keys.send_text(CTRL_U + "Report (mine)" + ENTER + DOWN + ENTER + ENTER + ENTER + ENTER)
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
    keys.send_text(CTRL_U + "Report (mine)" + ENTER + ENTER * 4)
    keys.send_text(ENTER)  # keep mine
    _edit_while_another_window_renames(tasks_path, forms)
    assert AppState(tasks_path).get(1).name == "Report (mine)"


def test_edit_conflict_cancel_saves_nothing(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path
) -> None:
    keys.send_text(CTRL_U + "Report (mine)" + ENTER + DOWN + ENTER + ENTER * 3)
    keys.send_text(DOWN + DOWN + ENTER)  # cancel
    result, disk = _edit_while_another_window_renames(tasks_path, forms)
    assert isinstance(result, Message) and "nothing was saved" in result.text
    assert disk.get(1).name == "Report (theirs)"
    assert disk.get(1).priority == 2


def test_edit_without_a_conflict_never_asks(
    keys: PipeInput, forms: QuestionaryForms, tasks_path: Path, screen: io.StringIO
) -> None:
    # Another window renames; this window changes only the priority: both are kept, no prompt.
    keys.send_text(ENTER + DOWN + ENTER + ENTER * 3)
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
