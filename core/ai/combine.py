"""The model proposes the split and the names; deterministic code owns what the user typed.

Issue 15: a 0.5B model under a JSON schema returns valid JSON whose content is often wrong
("call mom next tuesday evening, high priority, and buy milk #errands" became one task, priority
3, due tomorrow, "buy milk" as its description). The quick-add parser (core.ai.quickadd, the
vocabulary `add` speaks) reads each piece of the text, and what it reads explicitly wins:
- a typed priority (`p1`, `high priority`), `#tag`s and a due phrase are put on the model's task
  that piece belongs to (matched by the name's words); when the model's due differs from the
  phrase, the phrase wins and a note says so;
- a piece the model folded into another task's description (its words in no task's name) becomes
  a task of its own again;
- a model's name that is the piece's text with the typed words left in loses them;
- a tag is what the user typed: a model's tag that is no `#tag` of its piece (of the text, for a
  task no piece owns) is dropped. Measured (make llm-check, bench/ai_score.py): the 0.5B model
  invented a tag for about half the sentences ("pay rent p1" got #rent);
- a priority the text gives no word for is normal: the model's other than 2 stays only where
  the piece (the text, for a task no piece owns) holds a priority word, in any of the languages
  of PRIORITY_CUES ("urgente", "it's urgent"), that quick-add does not read itself. The 0.5B
  model gave "buy milk" priority 1.
- a due date the text gives no words for is dropped (the model's due_text, a date word of
  DATE_CUES or a number must be in the piece);
- a piece the model left out becomes a task again, when each of the model's tasks is a piece;
- the name is the piece's, unless the model's is that name with words cut off its ends;
- the one task of the model and the one piece that are left match: the typed words go on it.
Changes to pending tasks go the same way (combine_changes): a model's change must be backed by
the user's text (core.ai.changes.unsupported), one on a task an ambiguous phrase could mean is
dropped (a guess), and what read_changes reads from the text wins over the model's fields.
Everything stays a proposal: the review shows the result and the notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from msgspec import Struct
from msgspec.structs import replace

from core.ai.changes import ReadChanges, describe_change, terms, unsupported
from core.ai.proposal import (
    MAX_TASKS,
    ProposalError,
    ProposedChange,
    ProposedTask,
    validate_proposed,
)
from core.ai.quickadd import read_segment, split_tasks
from core.dates import MONTHS, WEEKDAYS, find_due, normalise_word, split_words
from core.vocabulary import DEFAULT_PRIORITY, inline_tag, same_tag

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words that ask for a priority (issue 15's labelled set has them in four languages): with one
# in its piece, a model's priority is a reading of the text, without one it is a guess.
PRIORITY_CUES = frozenset(
    """
    urgent urgently asap important importantly critical high highest low lowest prio priority
    priorities immediately dringend eilig wichtig priorität hoch hohe niedrig niedrige
    urgente importante prioritaire priorité haute basse élevée prioridad alta baja !!
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
_BANGS = re.compile(r"!{2,}")
_ATTRIBUTE = re.compile(r"(?<!\S)[^\W\d_]+:\S+")
# Words that give a date, in the labelled set's four languages, beyond the numbers: with none in
# its piece, a model's due is a guess (it put "call the plumber p1" on next Tuesday 18:00).
DATE_CUES = (
    frozenset(WEEKDAYS)
    | frozenset(MONTHS)
    | frozenset(
        """
    today tomorrow tonight morning noon afternoon evening night week weeks weekend month months
    year end eom eow soon asap heute morgen übermorgen abend woche wochenende monat montag
    dienstag mittwoch donnerstag freitag samstag sonntag januar februar märz mai juni juli
    oktober dezember aujourd hui demain soir matin semaine mois lundi mardi mercredi jeudi
    vendredi samedi dimanche janvier février mars avril juin juillet août décembre hoy mañana
    tarde noche semana mes lunes martes miércoles jueves viernes sábado domingo enero febrero
    marzo abril mayo junio julio agosto diciembre
    """.split()  # noqa: SIM905 (a word list reads better as text)
    )
)


class Piece(Struct, frozen=True):
    """One piece of the user's text as the quick-add parser reads it."""

    name: str
    priority: int | None
    tags: tuple[str, ...]
    due: str | None
    typed: frozenset[str]  # the words that were not the name: markers, tags, the due phrase
    words: frozenset[str] = frozenset()  # every word of the piece, as _words reads them
    project: str | None = None  # `project:home` as typed


def read_pieces(text: str, now: datetime) -> list[Piece]:
    """Each piece of text the quick-add parser can read; a piece it cannot read is left out."""
    pieces = []
    for segment in split_tasks(text):
        try:
            fields, typed = read_segment(segment, now)
        except ProposalError:
            continue
        due = fields["due"]
        pieces.append(
            Piece(
                fields["name"],
                fields.get("priority"),
                tuple(fields["tags"]),
                due,
                frozenset(typed),
                frozenset(_cue_words(segment)),
                fields.get("project"),
            )
        )
    return pieces


def combine(
    tasks: tuple[ProposedTask, ...], text: str, now: datetime
) -> tuple[tuple[ProposedTask, ...], tuple[str, ...]]:
    """The model's tasks with what the user typed explicitly put back; notes say what changed."""
    result: list[ProposedTask] = []
    notes: list[str] = []
    for number, proposed in enumerate(tasks, 1):
        checked, note = _due_from_text(proposed, now)
        result.append(checked)
        notes += [f"task {number}: {note}"] if note else []
    owners: dict[int, Piece] = {}
    left_out: list[Piece] = []
    for piece in read_pieces(text, now):
        index = _owner(piece, result)
        if index is None:
            index = _folded_into(piece, result)
            if index is not None and len(result) < MAX_TASKS:
                result[index] = _without_piece(result[index], piece)
                result.append(_piece_task(piece, now))
                owners[len(result) - 1] = piece
                notes.append(f"split {piece.name!r} out of task {index + 1} into a task of its own")
            elif index is None:
                left_out.append(piece)
            continue
        owners.setdefault(index, piece)
        result[index], changes = _apply(result[index], piece)
        notes += [f"task {index + 1}: {change}" for change in changes]
    # Every task of the model is a piece of the text: a piece left over is one it dropped
    # ("write cards p3; mail the package" came back as one task; measured, issue 15). While a
    # task of the model owns no piece, a piece left over may be that task reworded: not added.
    unowned = [i for i in range(len(result)) if i not in owners]
    if len(unowned) == 1 and len(left_out) == 1:
        # The one task and the one piece left are the same: the typed words go on it, the
        # model's name stays ("Offsite Project" for "Plan the team offsite #planning next week").
        (index,), piece = unowned, left_out.pop()
        owners[index] = piece
        result[index], changes = _apply(result[index], piece, name=False)
        notes += [f"task {index + 1}: {change}" for change in changes]
    if len(owners) == len(result):
        for piece in left_out[: MAX_TASKS - len(result)]:
            owners[len(result)] = piece
            result.append(_piece_task(piece, now))
            notes.append(f"added {piece.name!r}, which the model left out")
    whole = Piece("", None, _typed_tags(text), None, frozenset(), frozenset(_cue_words(text)))
    for index, task in enumerate(result):
        result[index], changes = _typed_only(task, owners.get(index, whole))
        notes += [f"task {index + 1}: {change}" for change in changes]
    return tuple(result), tuple(notes)


def _typed_only(task: ProposedTask, piece: Piece) -> tuple[ProposedTask, list[str]]:
    """The task without the tags and priority its piece's words give no ground for."""
    changes: list[str] = []
    fields: dict[str, Any] = {}
    kept = tuple(t for t in task.tags if any(same_tag(t, typed) for typed in piece.tags))
    if kept != task.tags:
        fields["tags"] = kept
        dropped = [t for t in task.tags if t not in kept]
        changes.append("left out " + " ".join(f"#{t}" for t in dropped) + " (not typed)")
    if task.project is not None and task.project != piece.project:
        fields["project"] = piece.project  # a project is only ever what was typed
        changes.append(
            f"project {piece.project or 'none'} as typed (the model said {task.project})"
        )
    if piece.due is None and task.due is not None and not _gives_a_date(task, piece):
        fields["due"] = None
        changes.append(f"no due: no word gives a date (the model said {task.due})")
    if (
        piece.priority is None
        and task.priority != DEFAULT_PRIORITY
        and not piece.words & PRIORITY_CUES
    ):
        fields["priority"] = DEFAULT_PRIORITY
        changes.append(
            f"priority {DEFAULT_PRIORITY}: no word asks for another (the model said {task.priority})"
        )
    return (replace(task, **fields), changes) if fields else (task, changes)


def _gives_a_date(task: ProposedTask, piece: Piece) -> bool:
    """The piece has words for a date: the model's due_text, a date word, or a number."""
    words = piece.words - piece.typed
    if task.due_text and set(_cue_words(task.due_text)) <= words:
        return True
    return bool(words & DATE_CUES) or any(ch.isdigit() for word in words for ch in word)


def _cue_words(text: str) -> set[str]:
    """The words of text as PRIORITY_CUES has them, `!!` and `!!!` included."""
    words = {normalise_word(w) for w in _WORD.findall(text.lower())}
    return words | {"!!"} if _BANGS.search(text) else words


def _typed_tags(text: str) -> tuple[str, ...]:
    """Every `#tag` written anywhere in text."""
    tags = []
    for word in re.split(r"[\s,;]+", text):  # a comma ends a word, as quick-add reads it
        try:
            tag = inline_tag(word)
        except ValueError:
            continue
        if tag is not None:
            tags.append(tag)
    return tuple(tags)


def _due_from_text(task: ProposedTask, now: datetime) -> tuple[ProposedTask, str | None]:
    """The due tasksafe's parser reads in the model's due_text, when it differs from the model's."""
    if not task.due_text:
        return task, None
    try:
        span = find_due(split_words(task.due_text), now)
    except ValueError:
        return task, None
    if span is None or span.value == task.due:
        return task, None
    said = task.due or "no date"
    note = f"due {span.value.replace('T', ' ')} read from {task.due_text!r} (the model said {said})"
    return replace(task, due=span.value), note


def _words(text: str) -> set[str]:
    """The words that name a task: `project:home` and the like are attributes, not its name."""
    text = _ATTRIBUTE.sub(" ", text.lower())
    return {normalise_word(w) for w in _WORD.findall(text) if len(w) > 1}


def _owner(piece: Piece, tasks: list[ProposedTask]) -> int | None:
    """The task whose name shares the most words with the piece's name: more than half of them.

    One shared verb is not enough: "call the plumber p1" must not land on the model's "call mom".
    """
    wanted = _words(piece.name)
    scores = [len(wanted & _words(task.name)) for task in tasks]
    if not scores or 2 * max(scores) <= len(wanted):
        return None
    return scores.index(max(scores))


def _folded_into(piece: Piece, tasks: list[ProposedTask]) -> int | None:
    """The task whose description holds every word of the piece's name: the model merged them."""
    wanted = _words(piece.name)
    if not wanted:
        return None
    for index, task in enumerate(tasks):
        if wanted <= _words(task.description):
            return index
    return None


def _without_piece(task: ProposedTask, piece: Piece) -> ProposedTask:
    pattern = re.compile(re.escape(piece.name), re.IGNORECASE)
    description = " ".join(pattern.sub("", task.description).split()).strip(" ,;.-")
    return replace(task, description=description)


def _piece_task(piece: Piece, now: datetime) -> ProposedTask:
    raw: dict[str, Any] = {"name": piece.name, "tags": list(piece.tags), "due": piece.due}
    if piece.priority is not None:
        raw["priority"] = piece.priority
    if piece.project is not None:
        raw["project"] = piece.project
    (task,) = validate_proposed([raw], now)
    return task


def _apply(
    task: ProposedTask, piece: Piece, *, name: bool = True
) -> tuple[ProposedTask, list[str]]:
    """The task with the piece's typed priority, tags and due (and name); the changes, said."""
    changes: list[str] = []
    fields: dict[str, Any] = {}
    if piece.priority is not None and piece.priority != task.priority:
        fields["priority"] = piece.priority
        changes.append(f"priority {piece.priority} as typed (the model said {task.priority})")
    missing = tuple(t for t in piece.tags if not any(same_tag(t, have) for have in task.tags))
    if missing:
        fields["tags"] = task.tags + missing
        changes.append("put back " + " ".join(f"#{t}" for t in missing))
    if piece.due is not None and piece.due != task.due:
        fields["due"] = piece.due
        said = task.due or "no date"
        changes.append(f"due {piece.due.replace('T', ' ')} as typed (the model said {said})")
    if piece.project is not None and piece.project != task.project:
        fields["project"] = piece.project
    named = _name_for(task.name, piece) if name else _without_typed(task.name, piece)
    if named != task.name:
        fields["name"] = named
    return replace(task, **fields), changes


def _name_for(name: str, piece: Piece) -> str:
    """The user's words for the task: the piece's name, or the model's where it only trimmed it.

    The model's name without the typed words is kept when it is a run of the piece's name
    holding at least half of its words: the model cut off a date or filler quick-add cannot
    read ("Morgen Zahnarzt anrufen", "fix the leaking tap, it's urgent"). Any other rewording
    is the model's ("Backup laptop", "Jake Happy Birthday"; measured, issue 15): the piece wins.
    Only words of _CUTTABLE may be cut: "call the bank" is not "call the bank about the fraud".
    """
    trimmed = _without_typed(name, piece)
    words, whole = _plain_words(trimmed), _plain_words(piece.name)
    if words and 2 * len(words) >= len(whole):
        for i in range(len(whole) - len(words) + 1):
            cut = whole[:i] + whole[i + len(words) :]
            if whole[i : i + len(words)] == words and all(w in _CUTTABLE for w in cut):
                return trimmed
    return piece.name


def _without_typed(name: str, piece: Piece) -> str:
    """The name without the words the piece's markers, tags and due phrase were typed with."""
    kept = [w for w in name.split() if normalise_word(w.strip(",.;")) not in piece.typed]
    return " ".join(kept).strip(" ,;:") or name


# What a model may cut off a name: date and priority words, and the filler around a to-do.
_CUTTABLE = (
    DATE_CUES
    | PRIORITY_CUES
    | frozenset(
        """
        i i'm me my we to need needs have has got gotta must should want remind don't dont
        forget please also so really just it it's its is that that's this for at on by in the
        of next until before bis am um le la el de del por para the
        """.split()  # noqa: SIM905 (a word list reads better as text)
    )
)


def _plain_words(text: str) -> list[str]:
    return [w for w in (normalise_word(w).strip(",;:'\"") for w in text.split()) if w]


NEAR = 0.85  # difflib's ratio from which two names read as the same task


def near_duplicates(
    tasks: Sequence[ProposedTask], pending: Sequence[tuple[int, str]]
) -> tuple[str, ...]:
    """A note for each proposed task whose name nearly matches a pending task's (id, name)."""
    names = dict(pending)
    return tuple(
        f"task {index + 1} {tasks[index].name!r} is much like pending task {task_id}"
        f" {names[task_id]!r}: change that one instead (edit {task_id})?"
        for index, task_id in near_duplicate_pairs(tasks, pending)
    )


def near_duplicate_pairs(
    tasks: Sequence[ProposedTask], pending: Sequence[tuple[int, str]]
) -> tuple[tuple[int, int], ...]:
    """(index in tasks, pending id) of each proposed task that nearly matches a pending one."""
    from difflib import SequenceMatcher

    pairs = []
    for index, task in enumerate(tasks):
        name = task.name.casefold()
        for task_id, other in pending:
            if SequenceMatcher(None, name, other.casefold()).ratio() >= NEAR:
                pairs.append((index, task_id))
                break
    return tuple(pairs)


def combine_changes(
    model: Sequence[ProposedChange], read: ReadChanges, text: str, now: datetime
) -> tuple[tuple[ProposedChange, ...], tuple[str, ...]]:
    """The model's changes the text backs, with what read_changes read from it winning."""
    kept: dict[int, ProposedChange] = {}
    notes: list[str] = []
    for change in model:
        why = "your words could mean several tasks" if change.task_id in read.unsure else None
        why = why or unsupported(change, text)
        if why:
            what = describe_change(change, now)
            notes.append(f"the model's change of task {change.task_id} ({what}) dropped: {why}")
        else:
            kept[change.task_id] = change
    for typed in read.changes:
        theirs = kept.get(typed.task_id)
        kept[typed.task_id], said = (typed, []) if theirs is None else _typed_wins(theirs, typed)
        notes += [f"task {typed.task_id}: {note}" for note in said]
    return tuple(kept.values()), tuple(notes)


def _typed_wins(model: ProposedChange, typed: ProposedChange) -> tuple[ProposedChange, list[str]]:
    """The model's change with the fields the user typed put in; what differed, said."""
    notes = []
    if typed.due is not None and model.due not in (None, typed.due):
        notes.append(f"due {typed.due.replace('T', ' ')} as typed (the model said {model.due})")
    if typed.priority is not None and model.priority not in (None, typed.priority):
        notes.append(f"priority {typed.priority} as typed (the model said {model.priority})")
    return replace(
        model,
        complete=model.complete or typed.complete,
        due=typed.due if typed.due is not None else model.due,
        priority=typed.priority if typed.priority is not None else model.priority,
    ), notes


def adds_not_changes(
    tasks: Sequence[ProposedTask], changes: Sequence[ProposedChange], read: ReadChanges
) -> tuple[tuple[ProposedTask, ...], tuple[str, ...]]:
    """The model's new tasks without those that are a changed task again ("bought milk")."""
    from difflib import SequenceMatcher

    kept, notes = [], []
    for number, task in enumerate(tasks, 1):
        name, words = task.name.casefold(), terms(task.name)
        twin = next(
            (c for c in changes if SequenceMatcher(None, name, c.name.casefold()).ratio() >= NEAR),
            None,
        )
        said = any(words and words <= terms(piece) for piece in read.pieces)
        if twin is None and not said:
            kept.append(task)
            continue
        instead = f"task {twin.task_id} {twin.name!r}" if twin else "a pending task"
        notes.append(f"new task {number} {task.name!r} left out: your text changes {instead}")
    return tuple(kept), tuple(notes)
