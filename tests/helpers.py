"""Shared test helpers: run the real program as a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pexpect

ROOT = Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "main.py")


def child_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child tasksafe: no developer settings, no keys, no colour."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TASKS_", "OPENAI_"))
        and k not in ("NO_COLOR", "FORCE_COLOR", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
    }
    env.update(
        HOME=str(home),
        XDG_STATE_HOME=str(home / "state"),
        PYTHONPATH=str(ROOT),
        COLUMNS="100",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
        # pexpect never answers prompt_toolkit's cursor-position request (~2.7 s per prompt).
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    env.update(extra or {})
    return env


def run_cli(
    path: Path,
    *args: str,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """`python main.py --file PATH ARGS...` in PATH's directory (so no developer .env is read)."""
    return subprocess.run(
        [sys.executable, MAIN, "--file", str(path), *args],
        input=input,
        capture_output=True,
        text=True,
        cwd=path.parent,
        env=child_env(path.parent, env),
        timeout=timeout,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def spawn_repl(path: Path, extra: Mapping[str, str] | None = None) -> pexpect.spawn:
    """The REPL (`python main.py --file PATH`) on a real 40x120 pty."""
    import pexpect

    terminal = {"TERM": "xterm", "COLUMNS": "120", "LINES": "40", **(extra or {})}
    return pexpect.spawn(
        sys.executable,
        [MAIN, "--file", str(path)],
        cwd=str(path.parent),
        env=child_env(path.parent, terminal),
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=10,
    )
