"""The error log: where a bug's traceback goes, so the user sees one line and not a stack."""

from __future__ import annotations

import os

from core.config import state_dir


def log_crash() -> str:
    """Append the current traceback to the error log; return its path."""
    import traceback  # only when something went wrong: a one-shot `add` should not pay for it

    directory = state_dir()
    path = os.path.join(directory, "error.log")
    try:
        os.makedirs(directory, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(traceback.format_exc() + "\n")
    except OSError:
        return "(the log could not be written)"
    return path
