"""The PromptSession: history, suggestions, completion, validation, toolbar and key bindings."""

from __future__ import annotations

import os
from collections.abc import Callable

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output
from prompt_toolkit.styles import Style

from core.config import state_dir
from core.state import AppState
from ui.completion import TaskCompleter
from ui.layout import MENU_ROWS
from ui.toolbar import Toolbar
from ui.validation import CommandValidator

PROMPT = "tasksafe> "
# How often the toolbar redraws while the user is idle, so "changed in another window" shows up.
TOOLBAR_REFRESH = 1.0
STYLE = Style.from_dict(
    {
        "prompt": "bold ansicyan",
        "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
        "toolbar.file": "bold",
        "toolbar.status": "#87d787",
        "toolbar.alert": "bold #ffaf00",
    }
)


def history() -> History:
    """Persistent history in the state directory; in memory if that cannot be created."""
    directory = state_dir()
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(os.path.join(directory, "history"))


def key_bindings() -> KeyBindings:
    """F1 shows the commands from anywhere on the line."""
    bindings = KeyBindings()

    @bindings.add("f1")
    def _(event: KeyPressEvent) -> None:
        event.current_buffer.text = "help"
        event.current_buffer.validate_and_handle()

    return bindings


def build_session(
    state: AppState,
    status: Callable[[], str],
    input: Input | None = None,
    output: Output | None = None,
) -> PromptSession[str]:
    """A session bound to this window's state; input/output default to the terminal."""
    return PromptSession(
        [("class:prompt", PROMPT)],
        history=history(),
        auto_suggest=AutoSuggestFromHistory(),
        completer=TaskCompleter(state),
        complete_while_typing=True,
        complete_in_thread=True,
        reserve_space_for_menu=MENU_ROWS,
        validator=CommandValidator(),
        validate_while_typing=False,
        bottom_toolbar=Toolbar(state, status),
        refresh_interval=TOOLBAR_REFRESH,
        key_bindings=key_bindings(),
        style=STYLE,
        input=input,
        output=output,
    )
