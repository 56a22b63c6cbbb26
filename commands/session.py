"""Commands that only make sense inside the REPL: help, clear, quit."""

from __future__ import annotations

import argparse
from typing import Any

from msgspec import Struct

from commands.registry import REGISTRY, Command, Context, arg, command, commands
from core.errors import UsageError


class HelpIndex(Struct, frozen=True):
    """Every command: (name, aliases, one-line help)."""

    rows: list[tuple[str, tuple[str, ...], str]]


class HelpTopic(Struct, frozen=True):
    """One command's usage, options and aliases, as argparse formats them."""

    name: str
    text: str


class ClearScreen(Struct, frozen=True):
    pass


class QuitRequested(Struct, frozen=True):
    pass


WORDS_TOPIC = "words"


@command(
    "help",
    "list the commands, or explain one: help add; help words: attributes and filters",
    arg("topic", nargs="?", metavar="COMMAND", help="a command name, or `words`"),
    interactive_only=True,
)
def help_command(ctx: Context, args: argparse.Namespace) -> Any:
    if args.topic is None:
        return HelpIndex([(c.name, c.aliases, c.help) for c in commands()])
    if args.topic in (WORDS_TOPIC, "filters", "vocabulary"):
        return HelpTopic(WORDS_TOPIC, vocabulary_help())
    cmd = REGISTRY.get(args.topic)
    if cmd is None:
        raise UsageError(f"there is no command {args.topic!r}; `help` lists them")
    return HelpTopic(cmd.name, command_help(cmd))


def vocabulary_help() -> str:
    """The words `add`, `modify` and the filters read, with examples (core.vocabulary's)."""
    from core.query import DUE_WORDS, STATE_WORDS, STATUS_WORDS
    from core.vocabulary import DATE_ACCEPTED

    return "\n".join(
        [
            "Attribute words: in add, subtask and modify (after --), anywhere in the name",
            "  p1 p2 p3, pri:H         priority (pri: also 1-3, high, normal, low)",
            "  #tag +tag               a tag (modify: -tag removes one)",
            "  project:home.garden     a project (pro:, proj:); a dot for a sub-project",
            "  due:WHEN                the due; so is a date ending the name (fri 6pm)",
            "  wait:WHEN               hidden until then (list waiting shows it)",
            "  sched:WHEN              scheduled: not ready before then",
            "  recur:RULE until:WHEN   repeats from its due; RULE: daily, weekdays,",
            "                          weekly, biweekly, monthly, quarterly, yearly,",
            "                          2weeks, every-3-days, mon,thu",
            "  depends:3,5             waits for tasks 3 and 5 (modify: depends:-3)",
            "  parent:3                a subtask of task 3",
            "  project: due:           (modify) an empty value clears the field",
            "  WHEN is " + DATE_ACCEPTED,
            "  add --raw keeps the name as typed; an option (-p, --due) beats a word",
            "",
            "Filters: in list, next, done, delete and modify (before --)",
            "  +tag #tag -tag          has / lacks a tag (case ignored)",
            "  p1 pri:H project:home   priority; a project and its sub-projects",
            "  status:" + "|".join(STATUS_WORDS) + " (or the bare word)",
            "  due:" + "|".join(DUE_WORDS),
            "  due.before:WHEN due.after:WHEN (wait, sched and until alike)",
            "  " + " ".join(STATE_WORDS),
            "  3 5-7 3,5               task ids",
            "  milk                    a word of the name, description or a note",
            "  and (implied), or, not, ( ): not binds first, then and, then or",
            "",
            "Examples",
            "  add pay rent due:1st recur:monthly project:home p1",
            "  add call mom fri 6pm #family",
            "  list project:home or +urgent      list waiting, list blocked",
            "  modify +someday -- wait:monday     modify 3 p1 due:fri (ids: no --)",
            "  done milk                          done 3 5-7",
            "  next                               ready tasks, most urgent first",
        ]
    )


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


@command(
    "context",
    "what list, next and calendar show at most: context +work, context project:home or +urgent; "
    "context none (this window; TASKS_CONTEXT sets one for every command)",
    arg("words", nargs="*", metavar="FILTER", help="filter words, as list takes them; none clears"),
    dash_words=True,
)
def context_command(ctx: Context, args: argparse.Namespace) -> Any:
    from commands import filters
    from commands.results import Message

    words = list(args.words)
    if not words:
        current = " ".join(filters.context_of(ctx.environ))
        if current:
            return Message(f"context: {current} (context none clears it)")
        return Message("no context: list, next and calendar show every task")
    if not ctx.interactive:
        raise UsageError(
            "context: set one for a window with `context WORDS` in the REPL, "
            "or for every command with TASKS_CONTEXT"
        )
    if words == ["none"]:
        ctx.environ = {k: v for k, v in ctx.environ.items() if k != filters.CONTEXT}
        return Message("context cleared: list, next and calendar show every task", "ok")
    filters.read_filter(words, ctx.now())  # a filter that does not read is refused, not kept
    ctx.environ = {**ctx.environ, filters.CONTEXT: " ".join(words)}
    return Message(f"context: {' '.join(words)} (list, next and calendar show only these)", "ok")


@command("clear", "clear the screen", interactive_only=True)
def clear(ctx: Context, args: argparse.Namespace) -> Any:
    return ClearScreen()


@command("quit", "leave tasksafe (Ctrl-D does too)", aliases=("exit",), interactive_only=True)
def quit_command(ctx: Context, args: argparse.Namespace) -> Any:
    return QuitRequested()
