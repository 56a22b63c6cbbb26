"""Changes to existing tasks read from what the user says: `done milk`, `move dentist to fri`.

Issue 15, finding 3 (the offline half). A change only ever names a pending task that exists,
found by the words of its name; a phrase that fits several is listed back, never guessed, and
one that fits none is left to be read as a new task. Deleting is never proposed: the most a
sentence can do is complete. The result is a proposal like any other: nothing is applied here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from core.ai.quickadd import split_tasks
from core.dates import find_due, normalise_word
from core.model import Task
from core.vocabulary import PRIORITY_WORDS, priority_marker

# "I bought the milk", "done milk", "finished the report": the verbs that say a task is done.
DONE_WORDS = frozenset(
    """
    done finished completed bought paid called sent did posted mailed fixed cleaned returned
    submitted booked renewed picked washed watered emailed phoned
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
MOVE_WORDS = frozenset({"move", "push", "reschedule", "postpone", "shift", "delay"})
# Words that say nothing about which task is meant: "push the dentist thing to friday".
FILLER = frozenset(
    "i i've ive the a an my our that this thing stuff one task is are now".split()  # noqa: SIM905
)
STATE_WORDS = frozenset({"is", "now", "make"})
_WORD = re.compile(r"[^\s,]+")


@dataclass(frozen=True)
class ProposedChange:
    """One change to one pending task, for review; None/() means the field is left as it is."""

    task_id: int
    name: str  # the task's name now, for the review's diff
    complete: bool = False
    priority: int | None = None
    due: str | None = None


@dataclass(frozen=True)
class ReadChanges:
    """What read_changes found: the changes, the text left for new tasks, the ambiguities."""

    changes: tuple[ProposedChange, ...]
    rest: str
    notes: tuple[str, ...] = ()


def read_changes(text: str, pending: Sequence[Task], now: datetime) -> ReadChanges:
    """The pieces of text that change a pending task; the others are kept, joined by `;`."""
    changes: list[ProposedChange] = []
    notes: list[str] = []
    rest: list[str] = []
    for piece in split_tasks(text):
        found = _read_piece(piece, pending, now)
        if isinstance(found, ProposedChange):
            changes.append(found)
        elif isinstance(found, str):
            notes.append(found)
        else:
            rest.append(piece.strip(" ,"))
    return ReadChanges(tuple(changes), "; ".join(p for p in rest if p), tuple(notes))


def _read_piece(piece: str, pending: Sequence[Task], now: datetime) -> ProposedChange | str | None:
    """A change, a note naming the tasks a phrase could mean, or None: not a change."""
    words = [normalise_word(w) for w in _WORD.findall(piece)]
    words = [w for w in words if w not in ("and", "then")]
    if not words:
        return None
    start = 1 if words[0] in ("i", "i've", "ive", "just") else 0
    head = words[start] if start < len(words) else ""
    if head in DONE_WORDS or words[-1] == "done":
        target = words[start + 1 :] if head in DONE_WORDS else words[:-1]
        return _change(target, pending, piece, complete=True)
    if head in MOVE_WORDS and "to" in words[start:]:
        cut = len(words) - 1 - words[::-1].index("to")
        span = find_due(words[cut + 1 :], now)
        if span is None:
            return None
        return _change(words[start + 1 : cut], pending, piece, due=span.value)
    priority, target = _priority_words(words[start:])
    if priority is not None:
        # "the report is high priority now" is about a task; "buy milk p1" may be a new one,
        # so without such a word the phrase must be the whole of an existing task's name.
        said = bool(STATE_WORDS & set(words))
        target = target[1:] if target[:1] == ["make"] else target
        return _change(target, pending, piece, priority=priority, exact=not said)
    return None


def _priority_words(words: list[str]) -> tuple[int | None, list[str]]:
    """`dentist p1`, `the report is high priority now`: the priority and the other words."""
    for i, word in enumerate(words):
        marker = priority_marker(word)
        if marker is not None:
            return marker, words[:i] + words[i + 1 :]
        if word in ("priority", "prio") and i and words[i - 1] in PRIORITY_WORDS:
            return PRIORITY_WORDS[words[i - 1]], words[: i - 1] + words[i + 1 :]
    return None, words


def _change(
    target: list[str],
    pending: Sequence[Task],
    piece: str,
    *,
    exact: bool = False,
    complete: bool = False,
    priority: int | None = None,
    due: str | None = None,
) -> ProposedChange | str | None:
    wanted = {w for w in target if w not in FILLER}
    if not wanted:
        return None
    matches = [t for t in pending if _fits(wanted, t.name, exact)]
    if not matches:
        return None
    if len(matches) > 1:
        listed = ", ".join(f"{t.id} {t.name}" for t in matches[:5])
        return f"{piece.strip()!r} could mean {listed}: say which (e.g. by id), nothing changed"
    task = matches[0]
    return ProposedChange(task.id, task.name, complete, priority, due)


def _fits(wanted: set[str], name: str, exact: bool) -> bool:
    """Every word wanted is in the name (a plural too); exact: and the name has no others."""
    have = {_stem(normalise_word(w)) for w in _WORD.findall(name)} - FILLER
    wanted = {_stem(w) for w in wanted}
    return wanted <= have and (not exact or wanted == have)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word
