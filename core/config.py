"""Settings from the command line, the environment and `.env`, in that order of precedence."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import UsageError

DEFAULT_FILE = "tasks.json"


@dataclass(frozen=True)
class Settings:
    path: str
    lock_timeout: float = 5.0
    backup_count: int = 3


def load_dotenv_file(path: str = ".env") -> None:
    """Load `.env` into os.environ without overriding what is already set.

    python-dotenv is imported only when the file exists: its import costs ~30 ms of a one-shot
    command's budget.
    """
    if os.path.isfile(path):
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def resolve_settings(
    environ: Mapping[str, str], file_arg: str | None = None, timeout_arg: float | None = None
) -> Settings:
    """--file, else TASKS_FILE, else ./tasks.json; likewise the lock timeout and backup count."""
    path = file_arg or environ.get("TASKS_FILE") or DEFAULT_FILE
    timeout = (
        timeout_arg if timeout_arg is not None else _number(environ, "TASKS_LOCK_TIMEOUT", 5.0)
    )
    if not 0 <= timeout < math.inf:
        raise UsageError(f"the lock timeout must be 0 or more seconds, not {timeout}")
    backups = _number(environ, "TASKS_BACKUP_COUNT", 3)
    if not 0 <= backups < math.inf or backups != int(backups):
        raise UsageError(f"TASKS_BACKUP_COUNT must be a whole number of 0 or more, not {backups}")
    return Settings(os.path.expanduser(path), float(timeout), int(backups))


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number, not {raw!r}") from None


def state_dir(environ: Mapping[str, str] = os.environ) -> str:
    """Where history and the error log live: $XDG_STATE_HOME/tasksafe or ~/.local/state/tasksafe."""
    base = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "tasksafe")
