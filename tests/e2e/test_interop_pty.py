"""`import FILE` in the real REPL on a real pty (pexpect): the plan, the question, no and yes, undo.

Every wait is an `expect` for text on the screen, with a timeout; none is a fixed sleep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.helpers import run_cli, spawn_repl

PROMPT = "tasksafe> "


@pytest.fixture
def repl(tasks_path: Path) -> Iterator[pexpect.spawn]:
    child = spawn_repl(tasks_path)
    child.expect_exact(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def tasks_in(path: Path) -> list[tuple[str, str]]:
    records = json.loads(run_cli(path, "list", "--all", "--json").stdout)
    return sorted((r["name"], r["status"]) for r in records)


@pytest.fixture
def todo_txt(tasks_path: Path) -> Path:
    """A todo.txt of this file's two tasks, one done there since, two new lines, a bad one."""
    assert run_cli(tasks_path, "add", "Call Mom", "p1", "project:Family").returncode == 0
    assert run_cli(tasks_path, "add", "Stretch").returncode == 0
    lines = run_cli(tasks_path, "export", "--to", "todotxt").stdout.splitlines()
    assert lines[1].endswith(" Stretch")
    lines[1] = f"x 2026-12-01 {lines[1]}"
    lines += ["Buy milk @shop", "Sort photos +home", "Fix the tap due:someday"]
    source = tasks_path.parent / "todo.txt"
    source.write_text("\n".join(lines) + "\n")
    return source


def ask(repl: pexpect.spawn, source: Path) -> None:
    """Type the import and wait for the plan, then for its question."""
    repl.send(f"import {source} --skip-invalid\r")
    for text in (
        "format: todo.txt (detected)",
        "2 new, 1 updated, 1 unchanged, 1 invalid, 0 skipped",
        "line 5: due:someday is not a date",
        "Stretch",
        "status, completed",
        "new tasks",
        "Buy milk",
        "Sort photos",
        "import from todotxt (detected): 2 new, 1 updated, 1 unchanged, 1 invalid left out.",
        "(y/N)",
    ):
        repl.expect_exact(text)


def test_no_writes_nothing_and_yes_imports_as_one_undo_step(
    repl: pexpect.spawn, tasks_path: Path, todo_txt: Path
) -> None:
    before = tasks_path.read_bytes()
    history = tasks_path.with_name(tasks_path.name + ".history")
    history_before = history.read_bytes()
    ask(repl, todo_txt)
    repl.send("n")
    repl.expect_exact("nothing imported")
    repl.expect_exact(PROMPT)
    assert tasks_path.read_bytes() == before and history.read_bytes() == history_before

    ask(repl, todo_txt)
    repl.send("y")
    repl.expect_exact("imported: 2 new, 1 updated")
    repl.expect_exact(PROMPT)
    assert tasks_in(tasks_path) == [
        ("Buy milk", "pending"), ("Call Mom", "pending"), ("Sort photos", "pending"),
        ("Stretch", "done"),
    ]  # fmt: skip
    steps = json.loads(run_cli(tasks_path, "log", "--json").stdout)
    assert [s["label"] for s in steps[:1]] == ["import todotxt"]

    repl.send("undo\r")
    repl.expect_exact("undid")
    repl.expect_exact(PROMPT)
    assert tasks_in(tasks_path) == [("Call Mom", "pending"), ("Stretch", "pending")]
