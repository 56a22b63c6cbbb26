"""The offline quick-add parser: `call mom fri 18:00 p1 #family; buy milk` to proposed tasks.

Deterministic and network-free; it is what `ai` uses with no server configured, and when the
server fails. The syntax, per task:
- a priority marker (`p1`..`p3`, `!1`..`!3`) or a priority word before `priority` / `prio`
  (`urgent priority`, `low prio`), as core.vocabulary has them;
- `#tag`, a tag by core.vocabulary's rule (case kept: `#C++`) holding a letter: `#123` stays in
  the name, it is more often an issue number than a tag;
- one due phrase (see core.dates), e.g. `tomorrow 18:00`, `next fri`, `in 3 days`, `on dec 1`;
- `project:home.garden` (or `proj:`), as `add` reads it;
- what remains, whitespace-collapsed, is the name.
Tasks are separated by `;` or a new line, and by `,` / `and` / `then` when the next word is a
common task verb: "call mom and buy milk" is two tasks, "buy salt and pepper" is one.
Markers belong to the task they are written in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from msgspec import Struct

from core.ai.proposal import ProposalError, ProposedTask, validate_proposed
from core.dates import find_due, normalise_word
from core.vocabulary import (
    ATTRIBUTE_NAMES,
    PRIORITY_WORDS,
    WordError,
    inline_tag,
    priority_marker,
    read_project_value,
)

SEPARATORS = frozenset({",", "and", "then"})
# Imperative verbs that start a to-do item; a separator before one of them starts a new task.
TASK_VERBS = frozenset(
    """
    add ask backup bake book bring buy call cancel change check clean collect confirm cook
    deliver do download drop email feed file fill find finish fix follow get give go hang invite
    iron learn look mail make meet message mow move order organise organize pack paint pay phone
    pick ping plan post practice practise prepare print read refill register remember remind
    renew repair replace reply research reserve return review ring schedule see sell send ship
    sign sort start study submit take talk tell test text tidy try update upload vacuum visit
    walk wash watch water wrap write
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


class _Word(Struct, frozen=True):
    """One word of the input: its place in the text and how the matchers see it."""

    start: int
    end: int
    norm: str


def parse_quickadd(text: str, now: datetime) -> tuple[ProposedTask, ...]:
    """Parse quick-add text into validated proposed tasks; ProposalError says what is wrong."""
    raw = [_parse_segment(segment, now) for segment in split_tasks(text)]
    if not raw:
        raise ProposalError("there is nothing to add: type a task, e.g. `call mom fri p1`", "name")
    return validate_proposed(raw, now)


def split_tasks(text: str) -> Iterator[str]:
    """The text of each task: split on `;` and new lines, and before a separator + task verb."""
    for part in re.split(r"[;\n\r]+", text):
        words = _words(part)
        start = first = i = 0
        while i < len(words):
            j = _skip_separators(words, i)
            if i < j < len(words) and words[j].norm in TASK_VERBS and first < i:
                yield part[start : words[i].start]
                start, first = words[j].start, j
            i = max(j, i + 1)
        if part[start:].strip(" \t,"):
            yield part[start:]


def _skip_separators(words: list[_Word], i: int) -> int:
    """The index of the first word from i that is not `,` / `and` / `then`."""
    while i < len(words) and words[i].norm in SEPARATORS:
        i += 1
    return i


def _parse_segment(segment: str, now: datetime) -> dict[str, Any]:
    """One task's raw fields from its text."""
    return read_segment(segment, now)[0]


def read_segment(segment: str, now: datetime) -> tuple[dict[str, Any], list[str]]:
    """One task's raw fields from its text, and the words (normalised) that were not the name."""
    words = _words(segment)
    used: set[int] = set()
    fields: dict[str, Any] = {"tags": _take_tags(segment, words, used)}
    priority = _take_priority(words, used)
    if priority is not None:
        fields["priority"] = priority
    project = _take_project(segment, words, used)
    if project is not None:
        fields["project"] = project
    fields["due"] = _take_due(words, used, now)
    fields["name"] = _rest(segment, words, used)
    return fields, [words[i].norm for i in sorted(used)]


def _take_tags(segment: str, words: list[_Word], used: set[int]) -> list[str]:
    """The `#tag` words, as written: a tag keeps its case."""
    tags = []
    for i, word in enumerate(words):
        try:
            tag = inline_tag(segment[word.start : word.end])
        except ValueError as exc:
            raise ProposalError(str(exc), "tags") from None
        if tag is not None:
            tags.append(tag)
            used.add(i)
    return tags


def _take_project(segment: str, words: list[_Word], used: set[int]) -> str | None:
    """`project:home.garden` (or `proj:`, `pro:`), as `add` reads it; the last one wins."""
    project = None
    for i, word in enumerate(words):
        text = segment[word.start : word.end]
        head, sep, value = text.partition(":")
        if sep and value and ATTRIBUTE_NAMES.get(head.lower()) == "project":
            try:
                project = read_project_value(text, value)
            except WordError as exc:
                raise ProposalError(str(exc), "project") from None
            used.add(i)
    return project


def _take_priority(words: list[_Word], used: set[int]) -> int | None:
    """The last priority marker wins; every one is removed from the name."""
    priority = None
    for i, word in enumerate(words):
        marker = priority_marker(word.norm)
        if marker is not None:
            priority = marker
            used.add(i)
        elif word.norm in ("priority", "prio") and i and words[i - 1].norm in PRIORITY_WORDS:
            priority = PRIORITY_WORDS[words[i - 1].norm]
            used.update((i - 1, i))
    return priority


def _take_due(words: list[_Word], used: set[int], now: datetime) -> str | None:
    """The first due phrase among the words not used yet; a bad date is an error, not a name."""
    free = [i for i in range(len(words)) if i not in used]
    try:
        span = find_due([words[i].norm for i in free], now, strict=True)
    except ValueError as exc:
        raise ProposalError(str(exc), "due") from None
    if span is None:
        return None
    used.update(free[span.start : span.end])
    return span.value


def _rest(segment: str, words: list[_Word], used: set[int]) -> str:
    """The segment without the used words, tidied: collapsed spaces, no stray commas."""
    pieces, pos = [], 0
    for i in sorted(used):
        pieces.append(segment[pos : words[i].start])
        pos = words[i].end
    pieces.append(segment[pos:])
    name = " ".join("".join(pieces).split())
    name = re.sub(r"\s+,", ",", name)
    name = re.sub(r",(\s*,)+", ",", name)
    return name.strip(" ,:;-")


def _words(text: str) -> list[_Word]:
    """The words of text, a comma being a word of its own."""
    found = re.finditer(r"[^\s,]+|,", text)
    return [_Word(m.start(), m.end(), normalise_word(m.group())) for m in found]
