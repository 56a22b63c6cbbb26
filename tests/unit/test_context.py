"""A context (TASKS_CONTEXT, or a window's `context` command): what list, next and calendar show
at most, said in each of them; other commands (done, search, show) are not narrowed."""

from __future__ import annotations

import shlex
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from commands import Context, build_parser, dispatch
from commands.calendar import Calendar
from commands.results import Message, TaskTable
from core.errors import AppError, UsageError
from core.state import AppState
from ui.rows import nothing_listed, summary_line

NOW = datetime(2026, 12, 1, 10, 0)


@pytest.fixture
def state(tasks_path: Path) -> AppState:
    state = AppState(tasks_path)
    state.add_task("fix fence", project="home.garden", due="2026-12-04")
    state.add_task("file taxes", project="admin", due="2026-12-10")
    state.add_task("buy milk", tags=["errands"])
    state.add_task("mow lawn", project="home")
    return state


def window(state: AppState, context: str | None = None, interactive: bool = True) -> Context:
    environ = {} if context is None else {"TASKS_CONTEXT": context}
    return Context(
        state, lambda q, t: False, interactive=interactive, now=lambda: NOW, environ=environ
    )


def run(ctx: Context, line: str) -> Any:
    args = build_parser("tasksafe", interactive=ctx.interactive).parse_args(shlex.split(line))
    return dispatch(ctx, args)


def names(result: TaskTable) -> list[str]:
    return sorted(t.name for t in result.tasks)


def test_list_and_next_show_only_the_context_and_say_so(state: AppState) -> None:
    ctx = window(state, "project:home")
    listed = run(ctx, "list")
    assert names(listed) == ["fix fence", "mow lawn"]
    assert summary_line(listed, 2, ()) == "2 shown · 4 pending · 0 done · context project:home"
    assert names(run(ctx, "list +errands or due.before:eow")) == ["fix fence"]  # and-ed with it
    assert names(run(ctx, "next")) == ["fix fence", "mow lawn"]
    nothing = run(ctx, "list +errands")
    assert nothing_listed(nothing) == "no tasks match +errands in context project:home"


def test_a_context_with_or_is_kept_whole(state: AppState) -> None:
    ctx = window(state, "project:admin or +errands")
    assert names(run(ctx, "list")) == ["buy milk", "file taxes"]
    assert names(run(ctx, "list due.before:eom")) == ["file taxes"]  # not `admin or (errands and…)`


def test_the_calendar_shows_the_context_only(state: AppState) -> None:
    cal = run(window(state, "project:home"), "calendar")
    assert isinstance(cal, Calendar) and cal.context == "project:home"
    assert {d: [t.name for t in ts] for d, ts in cal.months[0].due.items()} == {4: ["fix fence"]}


def test_other_commands_are_not_narrowed(state: AppState) -> None:
    ctx = window(state, "project:home")
    assert [t.name for t in run(ctx, "search milk").tasks] == ["buy milk"]
    run(ctx, "done 3")  # by id: whatever the context
    assert state.get(3).done


def test_a_window_sets_shows_and_clears_its_own_context(state: AppState) -> None:
    ctx = window(state)
    assert run(ctx, "context") == Message("no context: list, next and calendar show every task")
    set_it = run(ctx, "context project:admin")
    assert isinstance(set_it, Message) and set_it.kind == "ok"
    assert names(run(ctx, "list")) == ["file taxes"]
    assert run(ctx, "context").text == "context: project:admin (context none clears it)"
    with pytest.raises(AppError):
        run(ctx, "context ( +x")  # a filter that does not read is refused...
    assert names(run(ctx, "list")) == ["file taxes"]  # ...and the context stays as it was
    run(ctx, "context none")
    assert len(run(ctx, "list").tasks) == 4
    assert window(state).environ == {}  # another window never saw it


def test_a_context_that_does_not_read_is_one_line_naming_it(state: AppState) -> None:
    with pytest.raises(UsageError, match=r"^the context \(TASKS_CONTEXT or `context`\): "):
        run(window(state, "due:tomorow"), "list +errands")


def test_a_one_shot_command_shows_the_context_but_cannot_set_it(state: AppState) -> None:
    ctx = window(state, "+errands", interactive=False)
    assert run(ctx, "context").text == "context: +errands (context none clears it)"
    with pytest.raises(UsageError, match="TASKS_CONTEXT"):
        run(ctx, "context project:home")
