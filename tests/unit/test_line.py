"""commands.line: a REPL or script line split as a shell would, then run as a command."""

from __future__ import annotations

import shlex
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import commands  # noqa: F401  (registers the real commands)
from commands.line import run_line, split_line
from commands.registry import Context, build_parser
from commands.results import TasksAdded
from core.state import AppState


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab #-'\"\\ \t\n\u00a0é")), max_size=30))
def test_split_line_gives_the_words_shlex_gives(line: str) -> None:
    try:
        expected = shlex.split(line)
    except ValueError:  # an unbalanced quote: plain words instead, never an error
        assert split_line(line) == line.split()
        return
    assert split_line(line) == expected


def test_split_line_is_linear_in_a_long_quoted_word() -> None:
    """shlex took 49 s for a quoted 1 MB name typed into the REPL."""
    name = "x" * 1_000_000
    assert split_line(f'add "{name}" -p 1') == ["add", name, "-p", "1"]


def test_a_line_with_an_apostrophe_runs_as_plain_words(tasks_path: Path) -> None:
    state = AppState(tasks_path)
    ctx = Context(state, lambda question, tasks: True)
    run_line("add call mom's doctor -p 1", ctx, build_parser("tasksafe", interactive=True))
    assert [(t.name, t.priority) for t in state.tasks] == [("call mom's doctor", 1)]


def test_a_line_returns_what_its_command_returned(tasks_path: Path) -> None:
    ctx = Context(AppState(tasks_path), lambda question, tasks: True)
    result = run_line("add 'Pay rent' -p 1", ctx, build_parser("tasksafe", interactive=True))
    assert isinstance(result, TasksAdded) and [t.name for t in result.tasks] == ["Pay rent"]


def test_a_blank_line_and_help_run_nothing(tasks_path: Path) -> None:
    ctx = Context(AppState(tasks_path), lambda question, tasks: True)
    parser = build_parser("tasksafe", interactive=True)
    assert run_line("   ", ctx, parser) is None
    assert run_line("add -h", ctx, parser) is None  # argparse printed the help
    assert not tasks_path.exists()
