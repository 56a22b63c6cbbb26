"""Commands that only make sense inside the REPL: help, clear, quit."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from commands.registry import REGISTRY, Command, Context, arg, command, commands
from core.errors import UsageError


@dataclass(frozen=True)
class HelpIndex:
    """Every command: (name, aliases, one-line help)."""

    rows: list[tuple[str, tuple[str, ...], str]]


@dataclass(frozen=True)
class HelpTopic:
    """One command's usage, options and aliases, as argparse formats them."""

    name: str
    text: str


@dataclass(frozen=True)
class ClearScreen:
    pass


@dataclass(frozen=True)
class QuitRequested:
    pass


@command(
    "help",
    "list the commands, or explain one: help add",
    arg("topic", nargs="?", metavar="COMMAND", help="a command name"),
    interactive_only=True,
)
def help_command(ctx: Context, args: argparse.Namespace) -> Any:
    if args.topic is None:
        return HelpIndex([(c.name, c.aliases, c.help) for c in commands()])
    cmd = REGISTRY.get(args.topic)
    if cmd is None:
        raise UsageError(f"there is no command {args.topic!r}; `help` lists them")
    return HelpTopic(cmd.name, command_help(cmd))


def command_help(cmd: Command) -> str:
    """The usage text of one command, generated from its registry entry."""
    # A parser of its own, so the text reads `add [-h] ...` rather than `tasksafe add ...`.
    parser = argparse.ArgumentParser(prog=cmd.name, description=cmd.help, add_help=False)
    for a in cmd.args:
        parser.add_argument(*a.flags, **a.options)
    text = parser.format_help().rstrip()
    if cmd.aliases:
        text += "\n\nalso: " + ", ".join(cmd.aliases)
    return text


@command("clear", "clear the screen", interactive_only=True)
def clear(ctx: Context, args: argparse.Namespace) -> Any:
    return ClearScreen()


@command("quit", "leave tasksafe (Ctrl-D does too)", aliases=("exit",), interactive_only=True)
def quit_command(ctx: Context, args: argparse.Namespace) -> Any:
    return QuitRequested()
