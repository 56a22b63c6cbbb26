"""Tab completion generated from the command registry and the tasks this window sees.

Besides commands, options, ids and tags: the words of core.vocabulary and core.query, so the
attribute names (`project:`, `due:`), the projects in the file and the recurrence rules are
offered where `add`, `modify` and the filters read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from commands.filters import sort_key
from commands.registry import REGISTRY, Arg, Command, commands, parse_ids, task_id
from core.query import FILTER_NAMES, FILTER_WORDS
from core.state import AppState
from core.vocabulary import ATTRIBUTE_NAMES, PRIORITY_LABELS, clean_text

# Offering every id of a 10k-task file on each keystroke would make the menu lag; typing a digit
# or a word of the name narrows it.
MAX_TASKS = 500
# Which tasks make sense to offer: `done` a pending one, `undone` a done one.
STATUS_WANTED = {"done": "pending", "undone": "done"}
# Commands whose filter is most often ids: an empty word or digits offer the tasks.
IDS_FIRST = ("done", "delete", "modify")
PRIORITY_WORDS = tuple(f"p{p}" for p in PRIORITY_LABELS)
RECUR_RULES = ("daily", "weekdays", "weekly", "biweekly", "monthly", "quarterly", "yearly")
DATE_WORDS = ("today", "tomorrow", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "1st")
# A bare prefix this long of an attribute name offers it inside a task's name: shorter ones
# would open the menu on every word typed.
ATTRIBUTE_PREFIX = 2
# Each attribute once, by its full name (`pro:` and `proj:` are read, `project:` is offered).
_CANONICAL = {*ATTRIBUTE_NAMES.values(), "status"}


class TaskCompleter(Completer):
    """Completes command names, options, task ids (by id or by words of the name) and tags."""

    def __init__(self, state: AppState) -> None:
        self.state = state

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        words = text.split()
        current = "" if not words or text[-1].isspace() else words[-1]
        before = words[:-1] if current else words
        if not before:
            yield from command_names(current)
            return
        cmd = REGISTRY.get(before[0])
        if cmd is not None:
            yield from self._for_command(cmd, before, current)

    def _for_command(self, cmd: Command, before: list[str], current: str) -> Iterator[Completion]:
        option = _option(cmd, before[-1])
        if option is not None:
            yield from self._option_values(option, current)
        elif current.startswith("-") and "--" not in before:  # after `--`, `-tag` is a change
            yield from _matching(current, ((o, "") for o in cmd.options()))
        elif current.startswith("#"):
            yield from _matching(current, ((f"#{t}", "tag") for t in self.tags()))
        else:
            yield from self._positional(cmd, before, current)

    def _option_values(self, option: Arg, current: str) -> Iterator[Completion]:
        if _is_tag_option(option):
            yield from _matching(current, ((t, "tag") for t in self.tags()))
        elif "--priority" in option.flags:
            yield from _matching(current, ((str(p), n) for p, n in PRIORITY_LABELS.items()))

    def _positional(self, cmd: Command, before: list[str], current: str) -> Iterator[Completion]:
        for a in cmd.args:
            if a.flags[0].startswith("-"):
                continue
            kind, metavar = a.options.get("type"), a.options.get("metavar", "")
            if kind is parse_ids or (kind is task_id and len(before) == 1):
                yield from self.task_ids(current, STATUS_WANTED.get(cmd.name))
            elif metavar.startswith("FILTER"):
                after_dashes = "--" in before and metavar != "FILTER"  # modify's changes
                if after_dashes:
                    yield from self.attribute_words(current, modify=True)
                else:
                    yield from self.filter_words(cmd, current)
            elif metavar == "NAME":
                yield from self.attribute_words(current)
            elif metavar == "COMMAND" and len(before) == 1:
                yield from command_names(current)
            if kind is task_id and len(before) == 1:
                return  # `subtask ID NAME`: the id first, then the name's words

    def filter_words(self, cmd: Command, current: str) -> Iterator[Completion]:
        """Ids (done, delete, modify), filter words, `name:` filters, tags and their values."""
        if cmd.name in IDS_FIRST and (not current or current.isdigit()):
            yield from self.task_ids(current, STATUS_WANTED.get(cmd.name, "pending"))
            return
        if ":" in current:
            yield from self.attribute_values(current, filtering=True)
            return
        if current[:1] in ("+", "-"):
            yield from _matching(current, ((current[0] + t, "tag") for t in self.tags()))
            return
        words = [(w, "filter") for w in (*FILTER_WORDS, *PRIORITY_WORDS)]
        names = [(f"{n}:", "filter") for n in FILTER_NAMES if n.split(".")[0] in _CANONICAL]
        yield from _matching(current, [*words, *names])
        if cmd.name in IDS_FIRST and current:
            yield from self.task_ids(current, "pending")

    def attribute_words(self, current: str, modify: bool = False) -> Iterator[Completion]:
        """Inside a name or modify's changes: `+tag`, `project:home`, `recur:monthly`, `due:`."""
        if ":" in current:
            yield from self.attribute_values(current)
        elif current[:1] == "+" or (modify and current[:1] == "-"):
            yield from _matching(current, ((current[0] + t, "tag") for t in self.tags()))
        elif len(current) >= ATTRIBUTE_PREFIX:
            typed = current.lower()
            names = dict.fromkeys(
                f"{f}:" for a, f in ATTRIBUTE_NAMES.items() if a.startswith(typed)
            )
            yield from _matching("", ((n, "attribute") for n in names), current)

    def attribute_values(self, current: str, filtering: bool = False) -> Iterator[Completion]:
        """After `project:` the projects in the file, after `recur:` the rules, dates after `due:`."""
        head, _, _ = current.partition(":")
        name = head.lower()
        field = "project" if name in ("project", "proj", "pro") else ATTRIBUTE_NAMES.get(name)
        if field == "project":
            values: Iterable[str] = self.projects()
        elif field == "recur":
            values = RECUR_RULES
        elif field in ("due", "wait", "scheduled", "until") or "." in name:
            plain = filtering and "." not in name  # `due:overdue`, not `due.before:overdue`
            values = (*DATE_WORDS, *(("overdue", "none", "week") if plain else ()))
        else:
            values = ()
        yield from _matching(current, ((f"{head}:{v}", field or "") for v in values))

    def task_ids(self, current: str, status: str | None = None) -> Iterator[Completion]:
        """Ids whose digits start with `current`, or whose name contains it; the name as meta."""
        needle = current.casefold()
        count = 0
        for task in sorted(self.state.tasks, key=sort_key):
            if status is not None and task.status != status:
                continue
            key = str(task.id)
            if key.startswith(current) or (
                not current.isdigit() and needle in task.name.casefold()
            ):
                meta = clean_text(task.name.replace("\n", " "))
                yield Completion(key, -len(current), display=key, display_meta=meta)
                count += 1
                if count >= MAX_TASKS:
                    return

    def tags(self) -> list[str]:
        return sorted({tag for t in self.state.tasks for tag in t.tags})

    def projects(self) -> list[str]:
        """Every project in the file and each one above it: `home.garden` offers `home` too."""
        found: set[str] = set()
        for task in self.state.tasks:
            parts = (task.project or "").split(".")
            found.update(".".join(parts[: i + 1]) for i in range(len(parts)) if parts[0])
        return sorted(found)


def command_names(prefix: str) -> Iterator[Completion]:
    """Command names and aliases starting with `prefix`, each with its help as meta."""
    for cmd in commands():
        for name in (cmd.name, *cmd.aliases):
            if name.startswith(prefix):
                yield Completion(name, -len(prefix), display_meta=cmd.help)


def _option(cmd: Command, word: str) -> Arg | None:
    """The option `word` names if it takes a value (so the next word is that value)."""
    for a in cmd.args:
        if word in a.flags and a.options.get("action") not in ("store_true", "store_false"):
            return a
    return None


def _is_tag_option(option: Arg) -> bool:
    return any(f.startswith("--") and "tag" in f for f in option.flags)


def _matching(
    prefix: str, candidates: Iterable[tuple[str, str]], typed: str | None = None
) -> Iterator[Completion]:
    """Candidates starting with `prefix`, each replacing the word typed (`typed`, else prefix)."""
    width = len(prefix if typed is None else typed)
    for value, meta in candidates:
        if value.startswith(prefix):
            yield Completion(value, -width, display_meta=clean_text(meta))
