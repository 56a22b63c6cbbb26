"""The real program on a real pty (pexpect): two windows, Tab, the task form, conflicts, quit.

Every wait is an `expect` for text on the screen, with a timeout; none is a fixed sleep.
"""

from __future__ import annotations

import itertools
import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

import pexpect
import pytest

from core.dates import parse_due
from core.state import AppState
from tests.helpers import MAIN, child_env, spawn_repl

PROMPT = "tasksafe> "
DOWN, TAB, ESC, CTRL_C, CTRL_S = "\x1b[B", "\t", "\x1b", "\x03", "\x13"


class Window:
    """One terminal running `python main.py --file PATH`."""

    def __init__(self, path: Path) -> None:
        self.child = spawn_repl(path)
        self.prompt()

    def prompt(self) -> None:
        self.child.expect_exact(PROMPT)

    def run(self, line: str, *expected: str) -> None:
        """Type a line, wait for each expected text in order, then for the next prompt."""
        self.child.send(line + "\r")
        for text in expected:
            self.child.expect_exact(text)
        self.prompt()

    def exit_code(self) -> int | None:
        self.child.expect(pexpect.EOF)
        self.child.close()
        status: int | None = self.child.exitstatus
        return status


@pytest.fixture
def windows(tasks_path: Path) -> Iterator[list[Window]]:
    opened: list[Window] = []
    yield opened
    for window in opened:
        if window.child.isalive():
            window.child.terminate(force=True)


def open_window(windows: list[Window], path: Path) -> Window:
    window = Window(path)
    windows.append(window)
    return window


def test_a_task_added_in_one_window_appears_in_the_other(
    windows: list[Window], tasks_path: Path
) -> None:
    a, b = open_window(windows, tasks_path), open_window(windows, tasks_path)
    a.run("add Shared task -t team", "Shared task", "saved")
    b.run("", "↻ 1 added in another window")
    b.run("list", "Shared task", "#team")
    a.run(
        "",
    )  # nothing changed elsewhere for A: no notice
    assert "↻" not in a.child.before


_WINDOWS = itertools.count()


class TmuxWindow:
    """The program in a tmux pane: a real terminal whose screen can be read back as text.

    The completion menu is redrawn by prompt_toolkit as screen differences, so the text of the
    menu is not in the raw byte stream pexpect sees; tmux renders it.
    """

    def __init__(
        self,
        path: Path,
        extra: Mapping[str, str] | None = None,
        columns: int = 120,
        rows: int = 40,
    ) -> None:
        # A socket of its own: kill-server returns before the server has gone, and a window
        # opened next on the same socket found the dying one ("server exited unexpectedly").
        self.socket = str(path.parent / f"tmux-{next(_WINDOWS)}.sock")
        self.cwd = path.parent
        size = {"COLUMNS": str(columns), "LINES": str(rows)}
        terminal = {"TERM": "xterm", **size, **(extra or {})}
        env = child_env(path.parent, terminal)
        # tmux answers cursor-position requests as a real terminal does; without the answers
        # prompt_toolkit never shows the bottom toolbar.
        env.pop("PROMPT_TOOLKIT_NO_CPR", None)
        command = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), sys.executable, MAIN]
        self.tmux(
            "-f",
            "/dev/null",  # no config of the user's
            "new-session",
            "-d",
            "-x",
            str(columns),
            "-y",
            str(rows),
            shlex.join([*command, "--file", str(path)]),
        )

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", self.socket, *args], capture_output=True, text=True, cwd=self.cwd
        )
        assert done.returncode == 0, f"tmux {' '.join(args[:3])}: {done.stderr.strip()}"
        return done.stdout

    def wait_for(self, text: str, timeout: float = 10.0) -> str:
        """The screen, once `text` is on it."""
        deadline = time.monotonic() + timeout
        while text not in (screen := self.tmux("capture-pane", "-p")):
            assert time.monotonic() < deadline, f"{text!r} not on screen:\n{screen}"
            time.sleep(0.02)
        return screen

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_tab_completes_a_command_and_a_task_id(tasks_path: Path) -> None:
    AppState(tasks_path).add_task("Buy oat milk")
    window = TmuxWindow(tasks_path)
    try:
        window.wait_for(PROMPT.strip())  # capture-pane drops trailing blanks
        window.tmux("send-keys", "sho")
        window.wait_for("show one task in full")  # the menu, with each command's help
        window.tmux("send-keys", "Tab")
        window.wait_for(PROMPT + "show")
        window.tmux("send-keys", " oat")
        window.wait_for("Buy oat milk")  # a word of the name finds the task
        window.tmux("send-keys", "Tab")
        window.wait_for(PROMPT + "show 1")
        window.tmux("send-keys", "Enter")
        window.wait_for("uuid")  # the panel of `show 1`
    finally:
        window.close()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_idle_toolbar_says_when_another_window_saved(tasks_path: Path) -> None:
    window = TmuxWindow(tasks_path)
    try:
        window.wait_for("0 pending")
        AppState(tasks_path).add_task("From elsewhere")
        window.wait_for("changed in another window")  # no key pressed: refresh_interval
        window.tmux("send-keys", "Enter")
        window.wait_for("↻ 1 added in another window")
        window.wait_for("1 pending")
    finally:
        window.close()


def test_add_alone_opens_the_form_tab_moves_between_fields_and_save_adds(
    windows: list[Window], tasks_path: Path
) -> None:
    a = open_window(windows, tasks_path)
    a.child.send("add\r")
    a.child.expect_exact("new task")  # one screen with every field
    a.child.send("Form task" + TAB + "1" + TAB + "home" + TAB + "in 3 days")
    a.child.send(TAB + TAB + "from the form\r")  # description left empty; Enter on the last saves
    a.child.expect_exact("saved")
    a.prompt()
    record = json.loads(tasks_path.read_text())["tasks"][0]
    assert (record["name"], record["priority"], record["tags"]) == ("Form task", 1, ["home"])
    assert record["due"] == parse_due("in 3 days", datetime.now())
    assert (record["description"], record["comment"]) == ("", "from the form")


@pytest.mark.parametrize("key", [ESC, CTRL_C], ids=["esc", "ctrl-c"])
def test_esc_or_ctrl_c_in_the_add_form_writes_nothing(
    key: str, windows: list[Window], tasks_path: Path
) -> None:
    AppState(tasks_path).add_task("Existing")
    before = tasks_path.read_bytes()
    a = open_window(windows, tasks_path)
    a.child.send("add\r")
    a.child.expect_exact("new task")
    a.child.send("Half a task" + TAB + TAB + "sometag" + key)
    a.child.expect_exact("cancelled; nothing was saved")
    a.prompt()
    assert tasks_path.read_bytes() == before


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_form_opens_inline_at_50_columns_with_the_due_preview_live(tasks_path: Path) -> None:
    window = TmuxWindow(tasks_path, columns=50, rows=24)
    try:
        window.wait_for(PROMPT.strip())
        window.tmux("send-keys", "add Kept on screen", "Enter")
        window.wait_for("saved")
        window.tmux("send-keys", "edit 1", "Enter")
        window.wait_for("Cancel >")
        window.tmux("send-keys", "Tab", "Tab", "Tab", "in 3 days")
        screen = window.wait_for("· in 3 days")  # the preview follows the typing
        assert "✓ added 1 Kept on screen" in screen  # inline: what was above is still there
        for label in ("name        Kept on screen", "priority", "tags", "› due", "comment"):
            assert label in screen
        assert max(len(line) for line in screen.splitlines()) <= 50
        window.tmux("send-keys", "Escape")
        window.wait_for("cancelled; nothing was saved")
    finally:
        window.close()


def test_edit_conflict_asks_and_keep_theirs_keeps_theirs(
    windows: list[Window], tasks_path: Path
) -> None:
    AppState(tasks_path).add_task("Quarterly report", tags=["work"])
    a, b = open_window(windows, tasks_path), open_window(windows, tasks_path)
    a.child.send("edit 1\r")
    a.child.expect_exact("name")
    b.run("edit 1 --name 'Report from B'", "Report from B")
    a.child.send("\x15Report from A" + CTRL_S)  # Ctrl-U clears the prefilled name
    a.child.expect_exact("changed in another window")
    a.child.expect_exact("keep theirs")
    a.child.send(DOWN + "\r")
    a.child.expect_exact("kept the other window's version")
    a.prompt()
    record = json.loads(tasks_path.read_text())["tasks"][0]
    assert record["name"] == "Report from B"
    assert record["tags"] == ["work"]


def test_quit_exits_0(windows: list[Window], tasks_path: Path) -> None:
    a = open_window(windows, tasks_path)
    a.child.send("quit\r")
    assert a.exit_code() == 0


def test_ctrl_d_exits_0(windows: list[Window], tasks_path: Path) -> None:
    a = open_window(windows, tasks_path)
    a.child.sendcontrol("d")
    assert a.exit_code() == 0


def _one_shot_on_a_pty(path: Path, *args: str, extra: dict[str, str] | None = None) -> str:
    """The one-shot CLI on a real 20x50 pty: everything it wrote, once it exited 0."""
    child = pexpect.spawn(
        sys.executable,
        [MAIN, "--file", str(path), *args],
        cwd=str(path.parent),
        env=child_env(path.parent, {"TERM": "dumb", **(extra or {})}),
        dimensions=(20, 50),
        encoding="utf-8",
        timeout=30,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return str(child.before).replace("\r\n", "\n")


def test_one_shot_list_on_a_narrow_terminal_fits_and_names_the_rest(tasks_path: Path) -> None:
    long = "call the plumber about the leaking kitchen tap before the weekend"
    rows = [{"name": f"{long} {k}", "tags": ["home"], "due": "2030-01-04"} for k in range(40)]
    AppState(tasks_path).add_tasks(rows)
    lines = _one_shot_on_a_pty(tasks_path, "list", "#home").splitlines()
    task_lines = [line for line in lines if line.split()[1:2] == ["P2"]]
    assert all(len(line) <= 50 for line in task_lines)  # one line each
    more = f"… {40 - len(task_lines)} more: tasksafe list '#home' --every shows them all"
    assert lines[-2] == more
    # 20 lines: the header, the rows, the "more" line (wrapped to two at 50), the summary and
    # the shell's next prompt.
    assert len(task_lines) == 20 - 1 - 2 - 1 - 1
    name_at = lines[0].index("name")
    assert all(len(line[name_at:]) >= 25 for line in task_lines)  # half the width, or more
    every = _one_shot_on_a_pty(tasks_path, "list", "#home", "--every", extra={"PAGER": "cat"})
    assert "40 shown · 40 pending · 0 done" in every
