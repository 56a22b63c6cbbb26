"""The one-shot command line: parse, run one command, print its result, exit with its code.

Only what the command needs is imported: `add` prints plain text and never loads Rich.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from functools import partial
from typing import Any

from commands.options import GLOBAL_OPTIONS, VERSION_OPTION
from commands.registry import REGISTRY, Command, Context, build_parser, dispatch, load
from commands.results import JsonOutput, TasksAdded, TaskTable, exit_code_of, notes_of
from core.config import load_environ, resolve_settings
from core.datafile import open_state
from core.errors import EXIT_ERROR, AppError, ConflictError, StorageError, TaskNotFound, UsageError
from core.model import Task
from core.state import AppState
from core.version import __version__, missing_extra
from ui.crash import log_crash
from ui.stderr_events import StderrEvents, note

EXIT_INTERRUPTED = 130  # Ctrl-C before anything was saved (128 + SIGINT, as shells report it)


def run(argv: Sequence[str], environ: Mapping[str, str], exiting: bool = False) -> int:
    """Run tasksafe with these arguments; return the exit code.

    `exiting` (the program, not a test calling in): once the code is known, Ctrl-C is ignored,
    so a late one cannot turn "saved" into a traceback or a misleading exit code.
    """
    opened: list[AppState] = []
    try:
        code = _run(argv, environ, opened)
        if exiting:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        return code
    except AppError as e:
        print(f"error: {naming_the_file(e, opened)}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return _interrupted(opened)
    except BrokenPipeError:  # `tasksafe list | head`: the reader has what it wanted
        _quiet_stdout()
        return 0
    except Exception as e:  # a bug: one line for the user, the traceback in the log
        extra = missing_extra(e)  # `ai` installed without its extra: say how to add it
        if extra is not None:
            print(f"error: {extra}", file=sys.stderr)
            return extra.exit_code
        print(
            f"error: unexpected {type(e).__name__}: {e} (details in {log_crash()})", file=sys.stderr
        )
        return EXIT_ERROR


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail a second time."""
    with suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _interrupted(opened: Sequence[AppState]) -> int:
    """The exit code says whether the change was saved: 0 if it was, 130 if nothing was."""
    if any(state.files.changes_saved for state in opened):
        note("interrupted, but the change was saved")
        return 0
    print("cancelled; nothing was changed", file=sys.stderr)
    return EXIT_INTERRUPTED


def naming_the_file(e: AppError, opened: Sequence[AppState]) -> str:
    """The error's line, with the data file in use when it is about the file and does not say it."""
    text = str(e)
    if not opened or not isinstance(e, StorageError | TaskNotFound | ConflictError):
        return text
    from ui.toolbar import short_path

    path = opened[0].path
    named = {path, os.path.abspath(path), short_path(path)}
    return text if any(p in text for p in named) else f"{text} (file: {short_path(path)})"


def _run(argv: Sequence[str], environ: Mapping[str, str], opened: list[AppState]) -> int:
    if argv[:1] == ["_complete"]:
        return _complete(argv[1:], environ)
    parser = build_parser("tasksafe", only=the_command(argv))
    add_global_options(parser)
    parser.add_argument(*VERSION_OPTION.flags, **VERSION_OPTION.options)
    args = parser.parse_args(list(argv))
    if args.version:
        print(f"tasksafe {__version__}")
        return 0
    env = load_environ(environ)
    settings = resolve_settings(env, args.file, args.lock_timeout)
    if args.command is None:
        import gc

        from ui.repl import run_repl

        gc.enable()  # off for a one-shot command (main.py); the REPL runs all day
        return run_repl(settings, env)
    state = open_state(settings, StderrEvents())
    opened.append(state)
    confirm, busy = partial(confirm_on_terminal, env), partial(busy_on_stderr, env)
    # No load here: a command reads the file when it needs the tasks (so `doctor` sees it as it
    # is, and `add` decodes it once, under the lock).
    shown = partial(_show_now, env)
    result = dispatch(Context(state, confirm, busy=busy, environ=env, show=shown), args)
    show(result, env)
    return exit_code_of(result)  # `doctor` exits 1 when it found a problem


def the_command(argv: Sequence[str]) -> Command | None:
    """The command `argv` runs, its module alone imported; None for the REPL and --help.

    Only its sub-parser is built: importing and building every command's cost ~40 ms of each
    one-shot run (issue 13).
    """
    word = command_word(argv)
    if word is None:
        return None
    with _ctrl_c_held():  # a Ctrl-C inside an import can escape as "Exception ignored"
        cmd = load(word)
        import ui.plain  # noqa: F401  (what prints the result, ~1 ms: before anything is saved)
    if cmd is None or cmd.interactive_only:
        raise UsageError(unknown_command(word, cmd))
    return cmd


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C until the block is done, then raise it (nothing has been saved yet).

    Python reports a KeyboardInterrupt raised in importlib's own callbacks as "Exception
    ignored" with a traceback; main.py holds Ctrl-C over its imports for the same reason.
    """
    held: list[int] = []
    try:
        before = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    except ValueError:  # not the main thread: signals go elsewhere
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
    if held and before is signal.default_int_handler:
        raise KeyboardInterrupt


def command_word(argv: Sequence[str]) -> str | None:
    """The first word that is not a global option or its value; None after -h/--help."""
    valued = [o for a in GLOBAL_OPTIONS for o in a.flags]
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if word == "-h" or (len(word) > 2 and "--help".startswith(word)):
            return None
        if word.startswith("-"):
            if "=" not in word and len(word) > 2 and any(o.startswith(word) for o in valued):
                next(words, None)  # its value, which may look like a command
            continue
        return word
    return None


def unknown_command(word: str, cmd: Command | None) -> str:
    """`unknown command 'ad': did you mean add?`, as the REPL says it."""
    if cmd is not None:
        return f"{word!r} works only in the interactive manager (tasksafe without a COMMAND)"
    import difflib  # only for a miss: 2 ms

    names = [name for name, c in REGISTRY.items() if not c.interactive_only]
    close = difflib.get_close_matches(word, names, n=1)
    hint = f"did you mean {close[0]}?" if close else "tasksafe --help lists the commands"
    return f"unknown command {word!r}: {hint}"


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """--file and --lock-timeout before the command, and after it too (`add X --file F`)."""
    for a in GLOBAL_OPTIONS:
        parser.add_argument(*a.flags, **a.options)
    sub_actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for sub in {id(p): p for action in sub_actions for p in action.choices.values()}.values():
        for a in GLOBAL_OPTIONS:
            sub.add_argument(*a.flags, **a.options, default=argparse.SUPPRESS)


def _complete(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    """`tasksafe _complete ids|tags|projects COMMAND WORD [--file PATH]`: what a shell's Tab offers.

    Hidden (not a command of the registry); quiet on any error: a completion never prints one.
    """
    from commands.completion import complete

    try:
        lines = complete(argv, load_environ(environ))
    except AppError:
        return EXIT_ERROR
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return 0


def confirm_on_terminal(environ: Mapping[str, str], question: str, tasks: Sequence[Task]) -> bool:
    """Ask y/N on a terminal; without one, refuse and say how to confirm."""
    if not sys.stdin.isatty():
        raise UsageError(f"{question.rstrip('?')}: not on a terminal, so confirm with --yes")
    from ui.render import console_for, render_tasks_to_go

    render_tasks_to_go(console_for(sys.stderr, environ), tasks, question)
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def busy_on_stderr(environ: Mapping[str, str], message: str) -> AbstractContextManager[object]:
    """A spinner on stderr while a command waits (`ai`); nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return nullcontext()
    from ui.render import console_for, spinner

    return spinner(console_for(sys.stderr, environ), message)


def _is_script(result: Any) -> bool:
    # commands.setup is imported only by its commands: a result of any other is not a Script.
    setup = sys.modules.get("commands.setup")
    return setup is not None and isinstance(result, setup.Script)


def _show_now(environ: Mapping[str, str], result: Any) -> None:
    show(result, environ)


def show(result: Any, environ: Mapping[str, str]) -> None:
    """Print a command's result: JSON and short results as plain text, tables with Rich."""
    for line in notes_of(result):  # `ai --yes`: e.g. "used the offline parser"
        note(line)

    if isinstance(result, JsonOutput):
        from core.storage.document import dumps

        sys.stdout.buffer.write(dumps(result.value))
        sys.stdout.flush()
    elif _is_script(result):
        sys.stdout.write(result.text)  # a completion script, exactly as generated
    elif isinstance(result, TasksAdded):
        from ui.plain import added_lines  # just the id: `id=$(tasksafe add ...)`

        lines = added_lines(result)
        sys.stdout.write("".join(line + "\n" for line in lines))
    elif isinstance(result, TaskTable):
        from ui.plain import write_table  # no Rich: a single pass over the rows

        write_table(result, environ, everything=result.show_all)
    elif result is not None:
        from ui.plain import write_change

        if write_change(result, environ):  # edit, done, ...: no Rich (40 ms) for one line
            return
        from ui.render import console_for, render

        render(result, console_for(sys.stdout, environ))
