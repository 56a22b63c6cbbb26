"""The interactive loop: read a line, run it through the registry, render the result, repeat.

It survives everything (ptpython's rule): Ctrl-C cancels the line or form, Ctrl-D or `quit` ends
it, an AppError is one red line, and any other exception is one red line plus a logged traceback.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from commands import Context, build_parser
from commands.filters import context_of
from commands.line import run_line
from commands.session import ClearScreen, QuitRequested
from core.config import Settings
from core.datafile import open_state
from core.errors import AppError
from core.vocabulary import clean_text
from ui.crash import log_crash
from ui.events import ReplEvents, describe_changes, error_text
from ui.render import console_for, render, spinner
from ui.toolbar import short_path

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output

    from core.state import AppState
    from core.sync.auto import AutoSync


def run_repl(settings: Settings, environ: Mapping[str, str]) -> int:
    """The task manager on a terminal; a script reader when stdin is a file or a pipe."""
    from core.storage.document import use_orjson

    use_orjson()  # a process that lives: the faster encoder is worth its import (document.py)
    if not sys.stdin.isatty():
        from ui.batch import run_batch

        return run_batch(settings, sys.stdin, environ)
    return Repl(settings, environ).run()


def _auto_sync(state: AppState, environ: Mapping[str, str]) -> AutoSync | None:
    """TASKS_SYNC=auto: sync in the background after changes and every few minutes."""
    if environ.get("TASKS_SYNC", "").strip().lower() != "auto":
        return None
    from core.sync.auto import AutoSync

    auto = AutoSync(state.path, lock_timeout=state.files.lock_timeout)
    auto.start()
    return auto


class Repl:
    """One window: its state, console, forms and prompt."""

    def __init__(
        self,
        settings: Settings,
        environ: Mapping[str, str],
        console: Console | None = None,
        input: Input | None = None,
        output: Output | None = None,
    ) -> None:
        # prompt_toolkit is imported here, not at the top: batch mode (ui/batch.py) never needs it.
        from ui.forms import QuestionaryForms
        from ui.session import build_session

        self.console = console or console_for(sys.stdout, environ)
        self.events = ReplEvents(self.console)
        self.state = open_state(settings, self.events)  # the per-user list makes its directory
        forms = QuestionaryForms(self.console, after=self._notice_changes)
        busy = partial(spinner, self.console)
        self.ctx = Context(
            self.state,
            forms.confirm,
            interactive=True,
            forms=forms,
            busy=busy,
            environ=environ,
            show=partial(_draw, self.console),
        )
        self.parser = build_parser("tasksafe", interactive=True)
        self.auto = _auto_sync(self.state, environ)
        self.session = build_session(self.state, self._status, input, output)
        self._last_refresh_error = ""

    def _status(self) -> str:
        """The toolbar's status: the context in effect, the last save or recovery, and how
        background sync went."""
        words = context_of(self.ctx.environ)
        context = clean_text(f"context {' '.join(words)}") if words else ""
        synced = clean_text(self.auto.describe()) if self.auto else ""  # git's words: data
        return " · ".join(part for part in (context, self.events.status, synced) if part)

    def run(self) -> int:
        """Loop until Ctrl-D or `quit`; always 0: every error was shown where it happened."""
        self._guard(self._welcome)
        while True:
            self._notice_changes()
            try:
                line = self.session.prompt()
            except KeyboardInterrupt:
                continue
            except EOFError:
                return 0
            if isinstance(self._guard(self._execute, line), QuitRequested):
                return 0

    def _execute(self, line: str) -> Any:
        self._notice_changes()  # what changed while the user typed comes before the command
        saved = self.state.files.changes_saved
        result = run_line(line, self.ctx, self.parser)
        if self.auto and self.state.files.changes_saved != saved:
            self.auto.poke()
        if isinstance(result, ClearScreen):
            self.console.clear()
        elif result is not None and not isinstance(result, QuitRequested):
            render(result, self.console)
        self.events.finish()  # the save's confirmation comes after what was saved
        return result

    def _guard(self, step: Callable[..., Any], *args: Any) -> Any:
        """Run one step of the loop; show what went wrong and carry on."""
        try:
            return step(*args)
        except AppError as e:
            self.events.finish()
            self.console.print(error_text(e))
        except KeyboardInterrupt:
            self.events.finish()
            self.console.print(Text("cancelled", style="yellow"))
        except Exception as e:  # a bug: one line here, the traceback in the log
            self.events.finish()
            where = log_crash()
            self.console.print(
                Text(
                    f"✗ unexpected {type(e).__name__}: {clean_text(str(e))} (details in {where})",
                    style="bold red",
                )
            )
        return None

    def _welcome(self) -> None:
        try:
            self.state.load()
        except AppError as e:
            self._report_once(e)
            return
        done = sum(t.done for t in self.state.tasks)
        # What start-up built (the modules, the file's records and tasks) is the bulk of the heap
        # and lives on: frozen, no later collection scans it (the first one after the load was
        # half of the first `list` at 100k tasks). Records and tasks hold no reference cycles, so
        # those a reload replaces are still freed, by their reference counts.
        gc.freeze()
        self.console.print(
            Text.assemble(
                ("tasksafe", "bold cyan"),
                f" · {short_path(self.state.path)} · {len(self.state.tasks) - done} pending, "
                f"{done} done · `help` lists the commands, Ctrl-D quits",
            )
        )

    def _notice_changes(self) -> None:
        """Print what other windows changed; an unreadable file is reported once, not every time."""
        try:
            changes = self.state.refresh()  # this window's own saves are not news
        except AppError as e:
            self._report_once(e)
            return
        self._last_refresh_error = ""
        line = describe_changes(changes) if changes else ""
        if line:
            self.console.print(Text(line, style="cyan"))

    def _report_once(self, error: AppError) -> None:
        if str(error) != self._last_refresh_error:
            self.console.print(error_text(error))
        self._last_refresh_error = str(error)


def _draw(console: Console, result: Any) -> None:
    """A result drawn while its command still runs (import's plan before its question)."""
    render(result, console)
