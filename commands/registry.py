"""One table of commands, filled by a decorator; parsing, help and completion come from it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from msgspec import Struct, field

from core.errors import UsageError
from core.model import Task
from core.state import AppState

if TYPE_CHECKING:
    from commands.ai import Chosen
    from core.ai.proposal import Proposal


class Forms(Protocol):
    """Interactive forms the REPL offers; the one-shot CLI has none."""

    def task_form(
        self, initial: dict[str, Any] | None, known_tags: list[str]
    ) -> dict[str, Any] | None:
        """Ask for a task's fields; None when the user cancels."""
        ...

    def resolve_conflict(
        self, task: Task, mine: dict[str, Any], theirs: dict[str, Any]
    ) -> dict[str, Any] | None:
        """For each field in `theirs` (changed in another window), pick a value; None cancels."""
        ...

    def review_proposal(self, proposal: Proposal, known_tags: list[str]) -> Chosen | None:
        """Show proposed tasks and changes and let the user apply all, pick, edit, or update an
        existing task instead of adding its near duplicate; what to apply, or None."""
        ...


class Context(Struct):
    """What a handler may use: the state, a way to ask yes/no, forms when interactive, settings."""

    state: AppState
    confirm: Callable[[str, Sequence[Task]], bool]
    interactive: bool = False
    forms: Forms | None = None
    now: Callable[[], datetime] = datetime.now
    # "asking the model…": the UI shows a spinner for the duration; off a terminal, nothing.
    busy: Callable[[str], AbstractContextManager[object]] = nullcontext
    # Settings a handler reads (TASKS_AI_*, OPENAI_*): what `ui.cli.run` was given, merged over
    # the process environment; a Context built without one sees the process environment.
    environ: Mapping[str, str] = field(default_factory=os.environ.copy)
    # Draw a result now, before the command returns (`import` shows its plan, then asks); off
    # the UI (a test's Context) nothing is drawn.
    show: Callable[[Any], None] = lambda result: None


Handler = Callable[[Context, argparse.Namespace], Any]


class Arg(Struct, frozen=True):
    """One argparse argument: its flags and keyword arguments."""

    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(flags, options)


class Command(Struct, frozen=True):
    name: str
    help: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    aliases: tuple[str, ...] = ()
    interactive_only: bool = False  # e.g. `clear`, `quit`: meaningless in one-shot mode
    # Words starting with `-` are words (`list -someday`: the filter "without the tag someday";
    # `modify 3 -- -old`), unless one is exactly an option of the command.
    dash_words: bool = False

    def options(self) -> list[str]:
        """Long and short flags, for completion."""
        return [f for a in self.args for f in a.flags if f.startswith("-")]


REGISTRY: dict[str, Command] = {}
# Where each command is defined, so the one-shot CLI imports only the module of the command it
# runs (issue 13: importing them all cost ~25 ms of every `add`). A command missing here still
# works, through load_all(); tests/unit/test_registry.py checks the table against the registry.
COMMAND_MODULES = {
    "commands.admin": ("undo", "redo", "search", "find", "backups", "restore", "doctor", "stats"),
    "commands.ai": ("ai",),
    "commands.bulk": ("done", "delete", "rm", "modify"),
    "commands.calendar": ("calendar", "cal"),
    "commands.history": ("log", "history"),
    "commands.interop": ("import", "export"),
    "commands.session": ("help", "context", "clear", "quit", "exit"),
    "commands.setup": ("config", "completion"),
    "commands.sync": ("sync", "merge-driver"),
    "commands.tasks": (
        "add", "subtask", "list", "ls", "next", "show", "edit", "undone", "reopen", "start",
        "stop", "annotate", "note", "denotate",
    ),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in COMMAND_MODULES.items() for name in names}
_loaded_all = False


def load_all() -> None:
    """Import every command module, so REGISTRY holds every command (help, completion, REPL)."""
    global _loaded_all
    if not _loaded_all:
        _loaded_all = True
        for module in COMMAND_MODULES:
            __import__(module)  # not importlib's: -X importtime lists only these


def load(name: str) -> Command | None:
    """The command called `name`, importing only its module when the table knows it."""
    module = _MODULE_OF.get(name)
    if module is not None:
        __import__(module)
    if name not in REGISTRY:
        load_all()
    return REGISTRY.get(name)


def command(
    name: str,
    help: str,
    *args: Arg,
    aliases: tuple[str, ...] = (),
    interactive_only: bool = False,
    dash_words: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler under `name` (and its aliases)."""

    def register(handler: Handler) -> Handler:
        cmd = Command(name, help, handler, args, aliases, interactive_only, dash_words)
        for key in (name, *aliases):
            REGISTRY[key] = cmd
        return handler

    return register


def commands() -> list[Command]:
    """Each command once, in name order."""
    load_all()
    return sorted({id(c): c for c in REGISTRY.values()}.values(), key=lambda c: c.name)


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, told the width: without one it imports shutil (and with it zlib, bz2
    and lzma, 1.5 ms) for the terminal's size, and argparse builds a formatter per argument."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_columns() - 2)  # argparse's own margin


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size finds it: $COLUMNS, stdout's, else 80."""
    with suppress(KeyError, ValueError):
        if (columns := int(os.environ["COLUMNS"])) > 0:
            return columns
    if sys.__stdout__ is None:
        return 80
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (ValueError, OSError):  # stdout closed or not a terminal
        return 80


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting: errors are one line."""

    dash_words = False  # see Command.dash_words

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")

    def _parse_optional(self, arg_string: str) -> Any:
        # argparse reads `-someday` as the option `-s` (or an unknown one): a tag filter is a word.
        if (
            self.dash_words
            and arg_string.startswith("-")
            and not arg_string.startswith("--")
            and arg_string not in self._option_string_actions
        ):
            return None
        return super()._parse_optional(arg_string)


DESCRIPTION = "tasksafe: a task manager that never loses a task"
EPILOG = "Without a COMMAND, tasksafe opens the interactive task manager."


def build_parser(
    prog: str, interactive: bool = False, only: Command | None = None
) -> argparse.ArgumentParser:
    """A parser with one sub-command per registered command (`only`: just that one's)."""
    parser = _Parser(prog=prog, description=DESCRIPTION, epilog=None if interactive else EPILOG)
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for cmd in commands() if only is None else [only]:
        if cmd.interactive_only and not interactive:
            continue
        sub = subs.add_parser(
            cmd.name, help=cmd.help, description=cmd.help, aliases=list(cmd.aliases)
        )
        if isinstance(sub, _Parser):
            sub.dash_words = cmd.dash_words
        for a in cmd.args:
            sub.add_argument(*a.flags, **a.options)
    return parser


def dispatch(ctx: Context, args: argparse.Namespace) -> Any:
    """Run the handler the parsed arguments name and return its result."""
    return REGISTRY[args.command].handler(ctx, args)


def parse_ids(text: str) -> list[int]:
    """`3`, `5-7`, `3,5-7` as ids; argparse type for id arguments."""
    ids: list[int] = []
    for part in filter(None, text.split(",")):
        first, sep, last = part.partition("-")
        try:
            lo, hi = int(first), int(last) if sep else int(first)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a task id or range: {part!r}") from None
        if lo < 1 or hi < lo or hi - lo > 10_000:
            raise argparse.ArgumentTypeError(f"not a valid id range: {part!r}")
        ids.extend(range(lo, hi + 1))
    return ids


def task_id(text: str) -> int:
    ids = parse_ids(text)
    if len(ids) != 1:
        raise argparse.ArgumentTypeError(f"one task id, not {text!r}")
    return ids[0]


def flatten_ids(groups: Sequence[Sequence[int]]) -> list[int]:
    """Ids from several arguments, each once, in the order given."""
    return list(dict.fromkeys(i for group in groups for i in group))
