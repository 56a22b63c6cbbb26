"""ui.crash: a bug's traceback goes to the error log in the state directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import state_dir
from ui.crash import log_crash


def crash(message: str) -> str:
    try:
        raise RuntimeError(message)
    except RuntimeError:
        return log_crash()


def test_the_traceback_is_appended_to_the_log_and_its_path_returned() -> None:
    first, second = crash("first bug"), crash("second bug")
    assert first == second == str(Path(state_dir(), "error.log"))
    log = Path(first).read_text()
    assert log.count("Traceback") == 2
    assert log.index("first bug") < log.index("second bug")


def test_a_log_that_cannot_be_written_is_said_instead_of_raising(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))  # the state directory cannot be made
    assert crash("a bug") == "(the log could not be written)"
