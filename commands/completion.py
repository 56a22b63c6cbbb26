"""Shell completion, generated from the command registry: never written by hand.

`specs()` reads what completes where from the registry; commands/completion_scripts.py writes
the bash, zsh and fish scripts from it, which complete commands, their options and option
values; task ids (with their names), tags and projects come from the data file at the
moment of completion, by calling `tasksafe _complete KIND COMMAND WORD`, which `words()` answers
without Rich or prompt_toolkit and without ever writing (no lock, no recovery).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence

from msgspec import Struct
from msgspec.structs import replace

from commands.registry import Arg, Command, commands, parse_ids, task_id
from core.version import __version__

PROG = "tasksafe"
# Which tasks make sense to offer: `done` a pending one, `undone` a done one (as in the REPL).
STATUS_WANTED = {"done": "pending", "undone": "done", "reopen": "done"}
MAX_TASKS = 500  # a 10k-task list would bury the menu; typing a digit or a word narrows it
KINDS = ("ids", "tags", "projects")


# --- what completes where, read from the registry ---


class Values(Struct, frozen=True):
    """What an option's value or a positional word completes to."""

    # "ids", "tags", "projects", "files", "commands", "filters", "words" or "" (free text)
    kind: str
    words: tuple[str, ...] = ()


class Option(Struct, frozen=True):
    flags: tuple[str, ...]
    help: str
    values: Values | None  # None: a flag that takes no value
    repeats: bool = False


class Spec(Struct, frozen=True):
    """One command as a shell sees it."""

    name: str
    names: tuple[str, ...]  # the name and its aliases
    help: str
    options: tuple[Option, ...]
    positional: Values | None
    positional_nargs: str = ""  # argparse's nargs of the first positional: "+", "*", "?" or ""
    positional_name: str = ""


def values_of(a: Arg) -> Values:
    """What `a`'s words complete to, from its type, choices, flags and metavar."""
    from core.vocabulary import PRIORITY_LABELS

    kind, choices = a.options.get("type"), a.options.get("choices")
    metavar = a.options.get("metavar", "")
    if kind is parse_ids or kind is task_id:
        return Values("ids")
    if choices:
        return Values("words", tuple(str(c) for c in choices))
    if any("tag" in f for f in a.flags if f.startswith("--")) or metavar == "TAG":
        return Values("tags")
    if any("project" in f for f in a.flags if f.startswith("--")):
        return Values("projects")
    if "--priority" in a.flags:
        return Values("words", tuple(str(p) for p in PRIORITY_LABELS))
    if metavar in ("PATH", "FILE"):
        return Values("files")
    if metavar == "COMMAND":
        return Values("commands")
    if metavar == "FILTER":
        from commands.filters import FILTER_WORDS

        return Values("filters", (*FILTER_WORDS, *(f"p{p}" for p in PRIORITY_LABELS)))
    return Values("")


def option_of(a: Arg) -> Option:
    takes_value = a.options.get("action") not in ("store_true", "store_false", "count")
    return Option(
        a.flags,
        str(a.options.get("help", "")),
        values_of(a) if takes_value else None,
        repeats=a.options.get("action") in ("append", "count"),
    )


def spec_of(cmd: Command) -> Spec:
    options = [option_of(a) for a in cmd.args if a.flags[0].startswith("-")]
    positionals = [a for a in cmd.args if not a.flags[0].startswith("-")]
    first = positionals[0] if positionals else None
    help_option = Option(("-h", "--help"), "show this command's help", None)
    return Spec(
        cmd.name,
        (cmd.name, *cmd.aliases),
        cmd.help,
        (*options, help_option),
        values_of(first) if first else None,
        str(first.options.get("nargs", "")) if first else "",
        str(first.options.get("metavar") or first.flags[0]).lower() if first else "",
    )


def specs() -> list[Spec]:
    """Every command a shell can run (not the REPL's own: help, clear, quit)."""
    found = [spec_of(c) for c in commands() if not c.interactive_only]
    names = tuple(n for s in found for n in s.names)
    return [
        replace(s, positional=Values("commands", names))
        if s.positional is not None and s.positional.kind == "commands"
        else s
        for s in found
    ]


def global_options() -> tuple[Option, ...]:
    from commands.options import GLOBAL_OPTIONS, VERSION_OPTION

    return (*(option_of(a) for a in GLOBAL_OPTIONS), option_of(VERSION_OPTION))


# --- the words tasksafe itself answers: `tasksafe _complete ids done 3` ---


def words(kind: str, command: str, current: str, tasks: Sequence[object]) -> list[str]:
    """Lines for the shell: `id<TAB>name` for ids, one tag or project per line otherwise."""
    from core.model import Task

    listed = [t for t in tasks if isinstance(t, Task)]
    if kind == "ids":
        return [f"{i}\t{name}" for i, name in matching_ids(listed, command, current)]
    if kind == "tags":
        return sorted({tag for t in listed for tag in t.tags if tag.startswith(current)})
    if kind == "projects":
        found = {getattr(t, "project", None) for t in listed}
        return sorted(p for p in found if isinstance(p, str) and p.startswith(current))
    return []


def matching_ids(tasks: Iterable[object], command: str, current: str) -> list[tuple[int, str]]:
    """Ids whose digits start with `current`, or whose name contains it (as the REPL offers)."""
    from commands.filters import sort_key
    from core.model import Task
    from core.vocabulary import clean_text

    wanted = STATUS_WANTED.get(command)
    needle = current.casefold()
    found = []
    for task in sorted((t for t in tasks if isinstance(t, Task)), key=sort_key):
        if wanted is not None and task.status != wanted:
            continue
        name_matches = not current.isdigit() and needle in task.name.casefold()
        if str(task.id).startswith(current) or name_matches:
            found.append((task.id, clean_text(" ".join(task.name.split()))))
            if len(found) >= MAX_TASKS:
                break
    return found


def read_tasks(path: str) -> list[object]:
    """The valid tasks in the file, read without a lock and never recovered: completion only looks."""
    import os

    from core.model import InvalidRecord, Task
    from core.storage.document import decode
    from core.storage.reading import read_regular

    try:
        data, _ = read_regular(os.path.realpath(path))
        records = decode(data).records
    except (OSError, ValueError, RecursionError):
        return []
    tasks: list[object] = []
    for rec in records:
        try:
            tasks.append(Task.from_record(rec))
        except InvalidRecord:
            continue
    return tasks


def complete(argv: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """`_complete KIND [COMMAND [WORD]] [--file PATH]`, as the scripts call it."""
    from core.config import resolve_settings

    args = list(argv)
    file_arg = None
    if "--file" in args[:-1]:
        at = args.index("--file")
        file_arg = args[at + 1]
        del args[at : at + 2]
    kind, command, current = (*args, "", "", "")[:3]
    if kind not in KINDS:
        return []
    settings = resolve_settings(environ, file_arg or None)
    return words(kind, command, current, read_tasks(settings.path))


def quoted(words: Iterable[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)


def header(shell: str) -> str:
    return (
        f"# {shell} completion for {PROG} {__version__}, generated from its command registry by\n"
        f"# `{PROG} completion {shell}`: regenerate it after an upgrade, never edit it."
    )
