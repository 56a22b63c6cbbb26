"""`ai` in the real REPL on a real pty (pexpect), against a real HTTP server.

Every wait is an `expect` for text on the screen or for a request at the server, with a timeout.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pexpect
import pytest

from core.state import AppState
from tests.fake_openai_server import (
    Canned,
    FakeOpenAIServer,
    change,
    openai_server_fixture,  # noqa: F401 (provides the openai_server fixture)
    proposal_answer,
    tasks_answer,
)
from tests.helpers import spawn_repl

PROMPT = "tasksafe> "
MOM = {"name": "call mom", "description": "", "priority": 1, "tags": [], "due": None}
MILK = {"name": "buy milk", "description": "", "priority": 2, "tags": ["errands"], "due": None}


@pytest.fixture
def repl(openai_server: FakeOpenAIServer, tasks_path: Path) -> Iterator[pexpect.spawn]:
    """The REPL on tasks_path, its model the fake server."""
    extra = {"OPENAI_BASE_URL": openai_server.base_url, "TASKS_AI_MODEL": "test-model"}
    child = spawn_repl(tasks_path, extra)
    child.expect_exact(PROMPT)
    yield child
    if child.isalive():
        child.terminate(force=True)


def names(path: Path) -> list[str]:
    return [t["name"] for t in json.loads(path.read_bytes())["tasks"]]


def test_ai_shows_the_proposal_adds_all_and_one_undo_takes_them_back(
    repl: pexpect.spawn, openai_server: FakeOpenAIServer, tasks_path: Path
) -> None:
    openai_server.enqueue(tasks_answer(MOM, MILK))
    repl.send("ai call mom and buy milk #errands\r")
    for text in ("proposed tasks", "call mom", "buy milk", "#errands", "add these tasks?"):
        repl.expect_exact(text)
    repl.send("\r")  # add all 2
    repl.expect_exact("added ")
    repl.expect_exact("1 call mom")  # after the green "✓ added ", in bold: escapes between
    repl.expect_exact("2 buy milk")
    repl.expect_exact(PROMPT)
    assert names(tasks_path) == ["call mom", "buy milk"]
    repl.send("undo\r")
    repl.expect_exact("undid")
    repl.expect_exact(PROMPT)
    assert names(tasks_path) == []


def test_ctrl_c_while_the_model_thinks_cancels_and_the_repl_goes_on(
    repl: pexpect.spawn, openai_server: FakeOpenAIServer, tasks_path: Path
) -> None:
    AppState(str(tasks_path)).add_task("Existing")
    before = tasks_path.read_bytes()
    openai_server.enqueue(Canned(status=200, body=b"{}", delay=30))
    repl.send("ai call mom --yes\r")
    wait_for(lambda: bool(openai_server.requests), "the request to reach the server")
    repl.sendcontrol("c")
    repl.expect_exact("cancelled")
    repl.expect_exact(PROMPT)
    assert tasks_path.read_bytes() == before
    repl.send("list\r")
    repl.expect_exact("Existing")
    repl.expect_exact(PROMPT)


def wait_for(condition: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_a_change_is_reviewed_as_a_diff_applied_with_enter_and_undone(
    repl: pexpect.spawn, openai_server: FakeOpenAIServer, tasks_path: Path
) -> None:
    # The REPL was started on an empty file; the tasks come from another window, as in life.
    AppState(str(tasks_path)).add_task("buy milk")
    friday = date.today() + timedelta(days=(4 - date.today().weekday()) % 7 or 7)
    due = (friday + timedelta(days=3)).isoformat()  # never Friday itself
    AppState(str(tasks_path)).add_task("dentist appointment", due=due)
    moved = change(2, due=friday.isoformat(), due_text="friday")
    openai_server.enqueue(proposal_answer(changes=(change(1, complete=True), moved)))
    repl.send("ai I bought the milk and move the dentist to friday\r")
    for text in ("proposed changes", "buy milk: done", "dentist appointment: due ", " → Fri "):
        repl.expect_exact(text)
    for text in ("apply these changes?", "apply all 2", "pick which to apply"):
        repl.expect_exact(text)
    repl.send("\r")  # apply all 2
    repl.expect_exact("changed ")
    repl.expect_exact("buy milk: done")
    repl.expect_exact("dentist appointment: due")
    repl.expect_exact(PROMPT)
    milk, dentist = json.loads(tasks_path.read_bytes())["tasks"]
    assert (milk["status"], dentist["due"]) == ("done", friday.isoformat())
    (request,) = openai_server.requests
    assert '{"id":1,"name":"buy milk"}' in request.json["messages"][1]["content"]
    repl.send("undo\r")
    repl.expect_exact("undid")
    repl.expect_exact(PROMPT)
    after = json.loads(tasks_path.read_bytes())["tasks"]
    assert [(t["status"], t["due"]) for t in after] == [("pending", None), ("pending", due)]
