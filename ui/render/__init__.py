"""Rich rendering of command results: `render(result, console)`, one renderer per result type.

`base` holds the dispatcher and what every renderer uses, and imports none of them; each other
module renders the results of its namesake in commands/ (tasks: commands/results.py; detail:
its `show`). Importing the package imports them all, so every renderer is registered before
anything is drawn.
"""

from ui.render import admin, ai, calendar, detail, history, interop, session, setup, sync, tasks
from ui.render.ai import change_lines, proposal_source, proposal_table, spinner
from ui.render.base import console_for, data, render
from ui.render.tasks import render_tasks_to_go

__all__ = [
    "admin",
    "ai",
    "calendar",
    "change_lines",
    "console_for",
    "data",
    "detail",
    "history",
    "interop",
    "proposal_source",
    "proposal_table",
    "render",
    "render_tasks_to_go",
    "session",
    "setup",
    "spinner",
    "sync",
    "tasks",
]
