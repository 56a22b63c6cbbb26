"""Fixtures for every test: an isolated home and environment, and a data file path."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's settings, keys, history and .env out of every test."""
    import os

    for name in list(os.environ):
        if name.startswith(("TASKS_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):  # a developer's config.toml and list
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / "state"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tasks_path(tmp_path: Path) -> Path:
    """Where the data file of a test lives (not created)."""
    return tmp_path / "tasks.json"


@pytest.fixture
def keys() -> Iterator[PipeInput]:
    """Typed keys for every prompt a test opens (prompt_toolkit and questionary); no screen."""
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        yield pipe


@pytest.fixture
def screen() -> io.StringIO:
    """Where a test's Rich console writes."""
    return io.StringIO()


@pytest.fixture
def hold_lock() -> Iterator[Callable[[Path], subprocess.Popen[str]]]:
    """Start a live child process that holds a data file's writer lock until the test ends."""
    from tests.integration import workers

    holders: list[subprocess.Popen[str]] = []

    def start(data_path: Path) -> subprocess.Popen[str]:
        proc = workers.start("hold-lock", data_path)
        holders.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().split() == ["locked", str(proc.pid)]
        return proc

    yield start
    for proc in holders:
        workers.kill(proc)
