"""core.config: where the data file is and how long to wait, from flags, environment and .env."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Settings, load_dotenv_file, resolve_settings, state_dir
from core.errors import UsageError
from tests.helpers import MAIN, child_env


def test_defaults() -> None:
    assert resolve_settings({}) == Settings("tasks.json", 5.0, 3)


def test_file_flag_beats_tasks_file_beats_the_default() -> None:
    env = {"TASKS_FILE": "from-env.json"}
    assert resolve_settings(env).path == "from-env.json"
    assert resolve_settings(env, file_arg="from-flag.json").path == "from-flag.json"
    assert resolve_settings({"TASKS_FILE": ""}).path == "tasks.json"


def test_a_home_relative_path_is_expanded(tmp_path: Path) -> None:
    # conftest points HOME at tmp_path/home
    assert resolve_settings({}, file_arg="~/t.json").path == str(tmp_path / "home" / "t.json")


@pytest.mark.parametrize(("raw", "seconds"), [("2.5", 2.5), (" 0 ", 0.0), ("10", 10.0), ("", 5.0)])
def test_tasks_lock_timeout(raw: str, seconds: float) -> None:
    assert resolve_settings({"TASKS_LOCK_TIMEOUT": raw}).lock_timeout == seconds


def test_the_lock_timeout_flag_beats_the_environment() -> None:
    settings = resolve_settings({"TASKS_LOCK_TIMEOUT": "9"}, timeout_arg=0.5)
    assert settings.lock_timeout == 0.5
    assert resolve_settings({"TASKS_LOCK_TIMEOUT": "9"}, timeout_arg=0).lock_timeout == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [("soon", "TASKS_LOCK_TIMEOUT must be a number, not 'soon'"), ("-1", "0 or more seconds")],
)
def test_a_bad_tasks_lock_timeout_is_a_usage_error(raw: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as exc:
        resolve_settings({"TASKS_LOCK_TIMEOUT": raw})
    assert exc.value.exit_code == 2


def test_a_negative_lock_timeout_flag_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="0 or more seconds"):
        resolve_settings({}, timeout_arg=-0.1)


def test_a_nan_lock_timeout_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        resolve_settings({"TASKS_LOCK_TIMEOUT": "nan"})


@pytest.mark.parametrize(("raw", "count"), [("0", 0), ("1", 1), (" 5 ", 5), ("2.0", 2), ("", 3)])
def test_tasks_backup_count(raw: str, count: int) -> None:
    settings = resolve_settings({"TASKS_BACKUP_COUNT": raw})
    assert settings.backup_count == count
    assert type(settings.backup_count) is int


@pytest.mark.parametrize("raw", ["-1", "1.5", "many"])
def test_a_bad_tasks_backup_count_is_a_usage_error(raw: str) -> None:
    with pytest.raises(UsageError, match="TASKS_BACKUP_COUNT"):
        resolve_settings({"TASKS_BACKUP_COUNT": raw})


@pytest.mark.parametrize("raw", ["nan", "inf"])
def test_a_non_finite_backup_count_is_a_usage_error(raw: str) -> None:
    with pytest.raises(UsageError):
        resolve_settings({"TASKS_BACKUP_COUNT": raw})


@pytest.fixture
def clean_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables a .env may set, restored (unset) after the test."""
    for name in ("TASKS_FILE", "TASKS_LOCK_TIMEOUT", "TASKS_BACKUP_COUNT"):
        monkeypatch.setenv(name, "placeholder")  # registers the original (unset) for undo
        monkeypatch.delenv(name)


def test_load_dotenv_file_does_not_override_what_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_vars: None
) -> None:
    (tmp_path / ".env").write_text(
        "TASKS_FILE=from-dotenv.json\nTASKS_LOCK_TIMEOUT=9\nTASKS_BACKUP_COUNT=1\n"
    )
    monkeypatch.setenv("TASKS_FILE", "already-set.json")
    monkeypatch.setenv("TASKS_BACKUP_COUNT", "")
    load_dotenv_file(str(tmp_path / ".env"))
    assert os.environ["TASKS_FILE"] == "already-set.json"
    assert os.environ["TASKS_BACKUP_COUNT"] == ""  # set, even if empty
    assert os.environ["TASKS_LOCK_TIMEOUT"] == "9"


def test_load_dotenv_file_without_a_file_does_nothing(tmp_path: Path, clean_vars: None) -> None:
    load_dotenv_file(str(tmp_path / "missing.env"))
    assert "TASKS_FILE" not in os.environ


def run_main(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """The real program, with no --file unless given: `add` must succeed."""
    result = subprocess.run(
        [sys.executable, MAIN, *args],
        cwd=cwd,
        env=child_env(cwd, env),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("dotenv", "env", "flag", "expected"),
    [
        (None, None, None, "tasks.json"),
        ("from-dotenv.json", None, None, "from-dotenv.json"),
        ("from-dotenv.json", "from-env.json", None, "from-env.json"),
        ("from-dotenv.json", "from-env.json", "from-flag.json", "from-flag.json"),
    ],
)
def test_the_program_picks_the_data_file_by_precedence(
    tmp_path: Path, dotenv: str | None, env: str | None, flag: str | None, expected: str
) -> None:
    if dotenv:
        (tmp_path / ".env").write_text(f"TASKS_FILE={dotenv}\n")
    run_main(
        tmp_path,
        *(["--file", flag] if flag else []),
        "add",
        "hello",
        env={"TASKS_FILE": env} if env else None,
    )
    data_files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert data_files == [expected]


def test_state_dir_follows_xdg_state_home(tmp_path: Path) -> None:
    assert state_dir({"XDG_STATE_HOME": "/x/state"}) == "/x/state/tasksafe"
    assert state_dir({}) == str(tmp_path / "home" / ".local" / "state" / "tasksafe")
