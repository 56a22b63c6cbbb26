"""Commands from a file or a pipe, one a line: `python main.py < commands.txt`.

No prompt_toolkit: each line runs as in the REPL, its result is printed, and an error is reported
with its line number. Every line runs; the exit code is the first error's (0 when none failed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from commands import Context, build_parser
from commands.line import run_line
from commands.results import JsonOutput, exit_code_of
from commands.session import ClearScreen, QuitRequested
from core.config import Settings
from core.datafile import open_state
from core.errors import EXIT_ERROR, AppError, UsageError
from core.model import Task
from core.vocabulary import clean_text
from ui.crash import log_crash
from ui.stderr_events import StderrEvents


def refuse_to_confirm(question: str, tasks: Sequence[Task]) -> bool:
    """No one is there to answer: a script says --yes."""
    raise UsageError(f"{question.rstrip('?')}: not on a terminal, so confirm with --yes")


def run_batch(
    settings: Settings,
    lines: Iterable[str],
    environ: Mapping[str, str],
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Run each command line; return the first error's exit code, or 0."""
    out, err = out or sys.stdout, err or sys.stderr
    state = open_state(settings, StderrEvents())  # the per-user list makes its directory
    ctx = Context(state, refuse_to_confirm, interactive=True, environ=environ)
    parser = build_parser("tasksafe", interactive=True)
    first_error = 0
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        result, code = _run(text, number, ctx, parser, err)
        first_error = first_error or code or exit_code_of(result)  # e.g. doctor
        if isinstance(result, QuitRequested):
            break
        _print(result, out, environ)
    return first_error


def _run(text: str, number: int, ctx: Context, parser: Any, err: IO[str]) -> tuple[Any, int]:
    try:
        return run_line(text, ctx, parser), 0
    except AppError as e:
        print(f"error: line {number}: {clean_text(str(e))}", file=err)
        return None, e.exit_code
    except Exception as e:  # a bug: one line for the user, the traceback in the log
        where = log_crash()
        print(
            f"error: line {number}: unexpected {type(e).__name__}: {e} (details in {where})",
            file=err,
        )
        return None, EXIT_ERROR


def _print(result: Any, out: IO[str], environ: Mapping[str, str]) -> None:
    if result is None or isinstance(result, (ClearScreen, QuitRequested)):
        return
    if isinstance(result, JsonOutput):
        from core.storage.document import dumps  # falls back to the stdlib for ids past 64 bits

        out.write(dumps(result.value).decode())
        return
    from ui.render import console_for, render

    render(result, console_for(out, environ))
    out.flush()
