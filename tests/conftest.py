"""Fixtures for every test: an isolated home and environment, and a data file path."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's settings, keys, history and .env out of every test."""
    import os

    for name in list(os.environ):
        if name.startswith(("TASKS_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / "state"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tasks_path(tmp_path: Path) -> Path:
    """Where the data file of a test lives (not created)."""
    return tmp_path / "tasks.json"
