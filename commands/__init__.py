"""The command registry shared by the one-shot CLI and the REPL.

Importing this package registers every command; handlers call core and return data (results.py).
"""

from commands import admin as _admin  # noqa: F401  (undo, redo, search, backups, restore, doctor, stats)
from commands import ai as _ai  # noqa: F401  (ai: free text to reviewed tasks)
from commands import bulk as _bulk  # noqa: F401  (done, delete, modify: by ids or a filter)
from commands import history as _history  # noqa: F401  (log, history ID)
from commands import session as _session  # noqa: F401  (help, clear, quit: REPL only)
from commands import setup as _setup  # noqa: F401  (config, completion)
from commands import tasks as _tasks  # noqa: F401  (registers the task commands)
from commands.registry import REGISTRY, Command, Context, build_parser, dispatch

__all__ = ["REGISTRY", "Command", "Context", "build_parser", "dispatch"]
