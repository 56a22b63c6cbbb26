"""ui.cli: `run(argv, environ)` in this process: settings come from the mapping it is given.

The real program as a child process is tests/integration/test_cli.py; these call `run` directly,
so what is in `environ` is exactly what the test passed and os.environ does not have it.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from commands.registry import REGISTRY, Command
from core.state import AppState
from tests.fake_openai_server import (
    FakeOpenAIServer,
    openai_server_fixture,  # noqa: F401 (provides the openai_server fixture)
    tasks_answer,
)
from tests.helpers import run_cli
from ui.cli import run


@dataclass(frozen=True)
class Flagged:
    """A result that declares an exit code and notes (commands.results.HasExitCode, HasNotes)."""

    exit_code: int = 3
    notes: tuple[str, ...] = ("looked twice",)


def test_a_result_sets_the_exit_code_and_its_notes_go_to_stderr(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(REGISTRY, "flag", Command("flag", "exits 3", lambda ctx, args: Flagged()))
    assert run(["--file", str(tasks_path), "flag"], {}) == 3
    assert "tasksafe: looked twice" in capsys.readouterr().err


def test_no_color_in_the_mapping_given_drops_every_style(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich would colour even a captured stdout
    monkeypatch.setenv("TERM", "xterm-256color")
    AppState(tasks_path).add_task("urgent", priority=1)
    assert run(["--file", str(tasks_path), "list"], {}) == 0
    assert "\x1b[" in capsys.readouterr().out
    assert "NO_COLOR" not in os.environ
    assert run(["--file", str(tasks_path), "list"], {"NO_COLOR": "1"}) == 0
    plain = capsys.readouterr().out
    assert "urgent" in plain and "\x1b[" not in plain


def test_ai_settings_in_the_mapping_given_reach_the_model(
    openai_server: FakeOpenAIServer, tasks_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_server.enqueue(tasks_answer({"name": "buy milk", "description": "semi-skimmed"}))
    environ = {"OPENAI_BASE_URL": openai_server.base_url, "TASKS_AI_MODEL": "test-model"}
    assert "TASKS_AI_MODEL" not in os.environ
    assert run(["--file", str(tasks_path), "ai", "--yes", "buy some milk"], environ) == 0
    assert openai_server.requests and openai_server.requests[0].json["model"] == "test-model"
    assert capsys.readouterr().out.strip() == "1"
    assert [t.description for t in AppState(tasks_path).tasks] == ["semi-skimmed"]  # the model's


def test_commands_from_a_pipe_see_the_mapping_given_too(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("ai --yes buy milk\n"))  # not a tty: batch mode
    assert run(["--file", str(tasks_path)], {"TASKS_AI_TIMEOUT": "soon"}) == 1
    assert "line 1: TASKS_AI_TIMEOUT must be seconds" in capsys.readouterr().err
    assert not tasks_path.exists()


def test_a_one_shot_add_never_imports_rich_or_prompt_toolkit(tasks_path: Path) -> None:
    # -X importtime lists every module the child imported on its stderr.
    result = run_cli(tasks_path, "add", "x", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert (result.returncode, result.stdout) == (0, "1\n")
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "commands.tasks" in imported  # the listing is there
    assert not {m for m in imported if m.split(".")[0] in ("rich", "prompt_toolkit")}


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["add", "x"], "add"),
        (["--file", "list", "add", "x"], "add"),  # a global option's value is not the command
        (["--fi=t.json", "--lock-timeout", "3", "ls"], "ls"),
        (["--lock", "3", "done", "1"], "done"),  # an abbreviation takes its value too
        (["--file", "t.json"], None),  # the REPL
        (["-h", "add"], None),  # the whole help
        (["--", "add"], "add"),
    ],
)
def test_the_command_word_skips_global_options_and_their_values(
    argv: list[str], word: str | None
) -> None:
    from ui.cli import command_word

    assert command_word(argv) == word
