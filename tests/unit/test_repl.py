"""ui.repl: the loop survives everything, and tells what other windows changed.

The real loop runs on prompt_toolkit's pipe input with DummyOutput; what it prints goes to a Rich
console on a StringIO; the data file is real.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.input import PipeInput
from prompt_toolkit.validation import ValidationError
from rich.console import Console

from commands.registry import REGISTRY, Command, commands
from core.config import Settings, state_dir
from core.state import AppState, Changes
from ui.events import describe_changes
from ui.layout import PROMPT_ROWS
from ui.repl import Repl
from ui.validation import CommandValidator, problem

ENTER, CTRL_C, CTRL_D, CTRL_U, F1 = "\r", "\x03", "\x04", "\x15", "\x1bOP"


def make_repl(path: Path, screen: io.StringIO, timeout: float = 5.0) -> Repl:
    console = Console(file=screen, width=100, color_system=None)
    return Repl(Settings(str(path), lock_timeout=timeout), {}, console=console)


def run(path: Path, keys: PipeInput, screen: io.StringIO, *lines: str) -> int:
    for line in lines:
        keys.send_text(line)
    return make_repl(path, screen).run()


def test_commands_run_and_quit_exits_0(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    code = run(tasks_path, keys, screen, "add Buy milk -t home\r", "list\r", "quit\r")
    assert code == 0
    assert [t.name for t in AppState(tasks_path).tasks] == ["Buy milk"]
    out = screen.getvalue()
    assert "✓ added 1 Buy milk" in out
    assert "#home" in out  # the table of `list`
    assert "saved" in out


def test_ctrl_d_exits_0(keys: PipeInput, screen: io.StringIO, tasks_path: Path) -> None:
    assert run(tasks_path, keys, screen, CTRL_D) == 0


def test_an_error_is_one_red_line_and_the_loop_goes_on(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    code = run(tasks_path, keys, screen, "done 9\r", "add -p 7 x\r", "add After\r", "quit\r")
    assert code == 0
    out = screen.getvalue()
    assert "✗ task 9 not found" in out
    assert "priority must be" in out
    assert "Traceback" not in out
    assert [t.name for t in AppState(tasks_path).tasks] == ["After"]


def test_a_failed_command_is_not_reported_as_another_windows_change(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    AppState(tasks_path).add_task("Only one")
    run(tasks_path, keys, screen, "done 1 9\r", ENTER, "quit\r")
    assert "↻" not in screen.getvalue()
    assert AppState(tasks_path).get(1).status == "pending"  # all or nothing


def test_a_bug_is_one_line_and_its_traceback_goes_to_the_log(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ctx: Any, args: Any) -> Any:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setitem(REGISTRY, "boom", Command("boom", "fails", broken))
    code = run(tasks_path, keys, screen, "boom\r", "add Still works\r", "quit\r")
    assert code == 0
    out = screen.getvalue()
    assert "unexpected RuntimeError: a bug in a handler" in out
    assert "Traceback" not in out
    log = Path(state_dir(), "error.log").read_text()
    assert "Traceback" in log and "a bug in a handler" in log
    assert [t.name for t in AppState(tasks_path).tasks] == ["Still works"]


def test_ctrl_c_at_the_prompt_cancels_the_line(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    run(tasks_path, keys, screen, "add Never saved", CTRL_C, "quit\r")
    assert not tasks_path.exists()


def test_ctrl_c_in_the_add_form_writes_nothing(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    AppState(tasks_path).add_task("Existing")
    before = tasks_path.read_bytes()
    run(tasks_path, keys, screen, "add\r", "Half a task\r", CTRL_C, "quit\r")
    assert tasks_path.read_bytes() == before
    assert "cancelled; nothing was saved" in screen.getvalue()


def test_add_alone_opens_the_form(keys: PipeInput, screen: io.StringIO, tasks_path: Path) -> None:
    run(tasks_path, keys, screen, "add\r", "From the form\t\tx y", "\x13", "quit\r")  # Ctrl-S
    task = AppState(tasks_path).get(1)
    assert (task.name, task.tags) == ("From the form", ["x", "y"])


def test_delete_shows_what_will_go_and_n_keeps_it(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    AppState(tasks_path).add_task("Keep me")
    run(tasks_path, keys, screen, "delete 1\r", "n", "quit\r")
    assert "Keep me" in screen.getvalue()
    assert [t.name for t in AppState(tasks_path).tasks] == ["Keep me"]


def test_help_quit_and_clear_are_commands(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    run(tasks_path, keys, screen, "help\r", "help done\r", "add -h\r", "clear\r", "exit\r")
    out = screen.getvalue()
    for name, text in ((c.name, c.help) for c in commands()):
        assert name in out and text[:30] in out  # generated from the registry
    assert "usage: done" in out


def test_list_fits_one_screen_with_its_header_above_the_prompt(
    keys: PipeInput, tasks_path: Path
) -> None:
    AppState(tasks_path).add_tasks([{"name": f"task {i}"} for i in range(100)])
    screen = io.StringIO()
    console = Console(file=screen, width=100, height=40, force_terminal=True, color_system=None)
    keys.send_text("list\r" + "quit\r")
    Repl(Settings(str(tasks_path)), {}, console=console).run()
    lines = screen.getvalue().splitlines()
    shown = lines[[line.strip() for line in lines].index("tasks") :]  # from the table's title on
    assert len(shown) + PROMPT_ROWS <= 40  # the prompt line, the menu space under it, the toolbar
    assert "name" in shown[2]  # the header row
    assert shown[-2] == "… 74 more: list --every shows them all"  # 40 - 14 = 26 rows shown


def test_list_every_shows_the_rest_of_these_rows_and_no_match_is_one_line(
    keys: PipeInput, tasks_path: Path
) -> None:
    AppState(tasks_path).add_tasks([{"name": f"task {i}", "tags": ["home"]} for i in range(60)])
    AppState(tasks_path).complete(1)
    screen = io.StringIO()
    console = Console(file=screen, width=80, height=30, force_terminal=True, color_system=None)
    keys.send_text("list #home\r" + "list #home --every\r" + "list #nosuchtag\r" + "quit\r")
    Repl(Settings(str(tasks_path)), {}, console=console).run()
    out = screen.getvalue()
    assert "more: list '#home' --every shows them all" in out  # quoted as the line splitter reads
    first, every = out.split("tasks #home")[1:]  # the two tables, by their titles
    assert "… 41 more" in first  # 30 lines: 7 for the prompt, 5 around the table, 18 rows
    assert "59 shown · 59 pending · 1 done" in every  # every pending one, no done task added
    assert "more:" not in every and "✓" not in every
    assert "no tasks match #nosuchtag" in every
    assert "id " not in every[every.index("1 done") :]  # no empty table


def test_commands_read_their_settings_from_the_environment_the_repl_was_given(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    keys.send_text("ai --yes buy milk\r" + "quit\r")
    console = Console(file=screen, width=100, color_system=None)
    Repl(Settings(str(tasks_path)), {"TASKS_AI_TIMEOUT": "soon"}, console=console).run()
    assert "TASKS_AI_TIMEOUT must be seconds" in screen.getvalue()  # not in os.environ
    assert not tasks_path.exists()


def test_f1_shows_help_from_anywhere_on_the_line(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    run(tasks_path, keys, screen, "half typed", F1, "quit\r")
    assert "what it does" in screen.getvalue()
    assert not tasks_path.exists()


def test_the_loop_reports_changes_made_in_another_window(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    AppState(tasks_path).add_task("Shared")
    other = AppState(tasks_path)
    keys.send_text("list\r")
    repl = make_repl(tasks_path, screen)
    done = _start(repl)
    _wait_for(lambda: "1 shown" in screen.getvalue() and repl.session.app.is_running)
    other.add_task("From the other window")
    other.complete(1)
    keys.send_text(ENTER + "quit\r")
    assert done.wait(10)
    assert "↻ 1 added, 1 completed in another window" in screen.getvalue()


def test_the_notice_comes_before_the_command_typed_meanwhile(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    # The other window saves while this one is at the prompt; the user then runs `list`.
    repl = make_repl(tasks_path, screen)
    done = _start(repl)
    _wait_for(lambda: repl.session.app.is_running)  # waiting at the prompt
    AppState(tasks_path).add_task("Added elsewhere")
    keys.send_text("list\r" + "quit\r")
    assert done.wait(10)
    out = screen.getvalue()
    assert out.index("↻ 1 added in another window") < out.index("Added elsewhere")


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def _start(repl: Repl) -> threading.Event:
    """Run the loop in a thread, so another window can act while it waits at the prompt."""
    done = threading.Event()

    def loop() -> None:
        repl.run()
        done.set()

    threading.Thread(target=loop, daemon=True).start()
    return done


def test_an_unreadable_file_is_reported_and_the_loop_still_runs(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    tasks_path.write_text("{ this is not json")
    code = run(tasks_path, keys, screen, "list\r", "help\r", "quit\r")
    assert code == 0
    out = screen.getvalue()
    assert "✗" in out and "commands" in out  # the error, then `help` still answered
    assert tasks_path.read_text() == "{ this is not json"  # nothing written over it


def test_history_is_kept_in_the_state_directory(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    run(tasks_path, keys, screen, "list --all\r", "quit\r")
    history = Path(state_dir(), "history").read_text()
    assert "list --all" in history


# --- the phrase and the watcher behind the notice ---


def test_describe_changes_names_each_kind_once() -> None:
    assert (
        describe_changes(Changes(added=2, completed=1))
        == "↻ 2 added, 1 completed in another window"
    )
    assert describe_changes(Changes(removed=3, edited=1, reopened=1)) == (
        "↻ 1 reopened, 1 edited, 3 deleted in another window"
    )
    assert describe_changes(Changes()) == ""
    assert describe_changes(Changes(added=2, edited=1, by="sync")) == (
        "↻ 3 changed by sync (2 added, 1 edited)"
    )


def test_refresh_names_a_sync_when_only_syncs_wrote_since(tasks_path: Path) -> None:
    mine, other = AppState(tasks_path), AppState(tasks_path)
    mine.load()
    other.add_tasks([{"name": "From the laptop"}, {"name": "And another"}], label="sync")
    assert mine.refresh() == Changes(added=2, by="sync")
    other.add_tasks([{"name": "Merged"}], label="sync")
    other.add_task("Typed in another window")
    assert mine.refresh() == Changes(added=2)  # not all syncs: another window, as before


def test_refresh_ignores_this_windows_own_saves(tasks_path: Path) -> None:
    mine, other = AppState(tasks_path), AppState(tasks_path)
    mine.load()
    mine.add_task("Mine")
    assert mine.refresh() is None
    other.add_task("Theirs")
    other.delete(1)
    assert mine.refresh() == Changes(added=1, removed=1)
    assert mine.refresh() is None


# --- the validator ---


@pytest.mark.parametrize("line", ["", "   ", "# a note", "list", "ls #work", "add 'quoted name'"])
def test_validator_accepts_known_commands(line: str) -> None:
    CommandValidator().validate(Document(line))


def test_validator_flags_an_unknown_command_with_a_hint() -> None:
    with pytest.raises(ValidationError) as caught:
        CommandValidator().validate(Document("lst"))
    assert "unknown command 'lst'" in caught.value.message
    assert "did you mean `list`" in caught.value.message
    assert "help" in (problem("frobnicate") or "")
    assert problem("ai call mom's doctor") is None  # an apostrophe is text, not a quote


def test_an_unknown_command_stays_at_the_prompt_instead_of_running(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    # Enter is refused; the line is still there, so Ctrl-U clears it and a real command follows.
    run(tasks_path, keys, screen, "frobnicate\r", CTRL_U + "add ok\r", "quit\r")
    assert [t.name for t in AppState(tasks_path).tasks] == ["ok"]
    assert "frobnicate" not in screen.getvalue()


def test_the_loop_does_not_import_ai_libraries() -> None:
    code = (
        "import sys; import ui.repl, ui.session, ui.forms, ui.completion; "
        "print(sorted(m for m in ('openai', 'pydantic', 'questionary') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_a_windows_context_narrows_its_list_and_stays_on_its_toolbar(
    keys: PipeInput, screen: io.StringIO, tasks_path: Path
) -> None:
    state = AppState(tasks_path)
    state.add_task("fix fence", project="home")
    state.add_task("file taxes", project="admin")
    for line in ("context project:home\r", "list\r", "quit\r"):
        keys.send_text(line)
    repl = make_repl(tasks_path, screen)
    assert repl.run() == 0
    out = screen.getvalue()
    assert (
        "fix fence" in out.split("✓ context")[1] and "file taxes" not in out.split("✓ context")[1]
    )
    assert "context project:home" in repl._status()  # the toolbar's status part
    assert "context" not in make_repl(tasks_path, io.StringIO())._status()  # not another window's
