"""Tab completion generated from the command registry and the tasks this window sees."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from commands.filters import FILTER_WORDS, sort_key
from commands.registry import REGISTRY, Arg, Command, commands, parse_ids, task_id
from core.state import AppState
from core.vocabulary import PRIORITY_LABELS, clean_text

# Offering every id of a 10k-task file on each keystroke would make the menu lag; typing a digit
# or a word of the name narrows it.
MAX_TASKS = 500
# Which tasks make sense to offer: `done` a pending one, `undone` a done one.
STATUS_WANTED = {"done": "pending", "undone": "done"}


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
        elif current.startswith("-"):
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
            kind = a.options.get("type")
            if kind is parse_ids or (kind is task_id and len(before) == 1):
                yield from self.task_ids(current, STATUS_WANTED.get(cmd.name))
            elif a.options.get("metavar") == "FILTER":
                words = [*FILTER_WORDS, "p1", "p2", "p3"]
                yield from _matching(current, ((w, "filter") for w in words))
            elif a.options.get("metavar") == "COMMAND" and len(before) == 1:
                yield from command_names(current)

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


def _matching(prefix: str, candidates: Iterable[tuple[str, str]]) -> Iterator[Completion]:
    for value, meta in candidates:
        if value.startswith(prefix):
            yield Completion(value, -len(prefix), display_meta=clean_text(meta))
