"""The words tasksafe understands, each rule once: priorities, tags, and how given text is cleaned.

Every way text reaches a task (`add` and `edit` options, the forms, quick-add, a model's answer)
is checked here, so a word means one thing everywhere: `add -p urgent` is what
`ai "... urgent priority"` is, and `add -t C++` is the tag `ai "... #C++"` gives (issue 8).
Attribute words (`p1 #errands project:home due:fri recur:weekly`) are read here by
`parse_entry`, the one reader behind `add` and `modify`; core.query reads filters with these words.

Pure: text in, a value or ValueError out; the ValueError's message is the sentence a user sees.
Stored records are not checked here but in core.model, more leniently, so a file written by an
older version or by hand stays valid.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from msgspec import Struct

from core.dates import WEEKDAYS, find_due_at_end, match_due, normalise_word, split_words

# --- priority ---

PRIORITY_LABELS = {1: "high", 2: "normal", 3: "low"}  # as shown
PRIORITIES = tuple(PRIORITY_LABELS)
DEFAULT_PRIORITY = 2
# The words for a priority, besides its number; lowercase (matching ignores case).
PRIORITY_WORDS = {"high": 1, "urgent": 1, "normal": 2, "medium": 2, "low": 3}
# A marker inside free text: `p1` (Todoist; the `list` filter) or `!1` (Things, Reminders).
_PRIORITY_MARKER = re.compile(r"[p!]([123])", re.IGNORECASE)


def priority_marker(word: str) -> int | None:
    """The priority a marker names (`p1`-`p3`, `!1`-`!3`, any case), or None for other words.

    A bare `1` or `high` is not a marker: in free text it is more often part of the name
    ("read chapter 1"); quick-add takes a word only in "high priority".
    """
    found = _PRIORITY_MARKER.fullmatch(word)
    return int(found.group(1)) if found else None


def parse_priority(value: object) -> int:
    """A priority from what a user or a model gives: 1-3 (`"2"`, 2.0), a marker or a word."""
    found: int | None = None
    if isinstance(value, str):
        word = value.strip().lower()
        found = PRIORITY_WORDS.get(word) or priority_marker(word)
        if found is None and word in ("1", "2", "3"):
            found = int(word)
    elif isinstance(value, int | float) and not isinstance(value, bool) and value in PRIORITIES:
        found = int(value)  # JSON does not tell 2 from 2.0
    if found is None:
        raise ValueError(f"priority must be 1 (high), 2 (normal) or 3 (low), not {value!r:.40}")
    return found


# --- tags ---

# A tag is one word with no whitespace, its case kept, at most MAX_TAG characters, with one
# leading `#` removed and its text cleaned like any other. Why: a tag is typed back as one word
# (`list #C++`, `--remove-tag`), so it cannot hold a space; Taskwarrior keeps case and
# punctuation (`+C++`), and so did `add -t` from the start: lowercasing or a `[\w-]` alphabet
# would change or refuse tags people already type. The bound keeps the table readable; a model's
# answer and quick-add are held to the same rule, so `ai` gives the tags `add -t` would.
MAX_TAG = 40


def check_tag(value: str) -> str:
    """One tag as it is stored; ValueError says the rule."""
    tag = clean_text(value).strip().removeprefix("#")
    if not tag or len(tag) > MAX_TAG or any(ch.isspace() for ch in tag):
        raise ValueError(f"tag {value!r:.50} must be one word of 1-{MAX_TAG} characters, no spaces")
    return tag


def check_tags(values: Iterable[str]) -> list[str]:
    """Each tag checked, in the given order, a repeated one kept once."""
    tags: list[str] = []
    for value in values:
        tag = check_tag(value)
        if tag not in tags:
            tags.append(tag)
    return tags


# Sentence punctuation at the end of a word is not part of it, as in core.dates.normalise_word:
# "buy milk #errands." tags `errands`.
_SENTENCE_END = ".!?:"


def inline_tag(word: str) -> str | None:
    """The tag a `#word` in free text names, or None when the word is not a tag.

    Only here must a tag hold a letter: `close bug #123` means an issue number, not a tag. A word
    that is meant as a tag but breaks the rule (too long) raises ValueError, as `add -t` would.
    """
    if not word.startswith("#"):
        return None
    word = word.rstrip(_SENTENCE_END)
    if not any(ch.isalpha() for ch in clean_text(word)):
        return None
    return check_tag(word)


# --- text ---

# ECMA-48 escapes: CSI (`ESC [` or 0x9b) ... final byte; OSC/DCS/SOS/PM/APC strings up to BEL or
# ST (or the end of the text, so an unterminated one cannot swallow what a later write prints);
# and the two-byte `ESC x` forms. Removed whole: dropping only ESC would leave `[31m` in a name.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# The zero-width joiner and non-joiner are spelling, not control: emoji sequences (👩‍💻) and
# Persian or Hindi words need them.
_KEPT = frozenset("\n\t\u200c\u200d")


def clean_text(text: str) -> str:
    """Remove terminal escape sequences, then control and format characters (Cc, Cf).

    Newline, tab, ZWJ and ZWNJ stay; bidi overrides, zero-width spaces and BOMs go. A lone
    surrogate (an undecodable byte from the command line) becomes U+FFFD: it cannot be stored as
    UTF-8, and the user should see where it was.
    """
    if text.isprintable():  # every escape starts with a control character: none to remove
        return text
    return "".join(_clean_char(ch) for ch in _ESCAPES.sub("", text))


def _clean_char(ch: str) -> str:
    if ch in _KEPT:
        return ch
    category = unicodedata.category(ch)
    if category == "Cs":
        return "\ufffd"
    return "" if category in ("Cc", "Cf") else ch


# --- attribute words: typed inline in `add` and `modify` (issue 9) ---

# Every name an attribute word may start with, and the field it sets; matching ignores case.
# Taskwarrior's spellings and its usual abbreviations, no others: any other `word:value`
# (`http://x`, `re:`, `a:b`) is part of the name.
ATTRIBUTE_NAMES = {
    "project": "project", "proj": "project", "pro": "project",
    "priority": "priority", "prio": "priority", "pri": "priority",
    "due": "due",
    "wait": "wait",
    "scheduled": "scheduled", "sched": "scheduled",
    "until": "until",
    "recur": "recur",
    "depends": "depends", "dep": "depends",
    "parent": "parent",
}  # fmt: skip
DATE_FIELDS = ("due", "wait", "scheduled", "until")
# Taskwarrior's priority letters, only as a `pri:` value: a bare `H` or `L` is part of a name.
PRIORITY_LETTERS = {"h": 1, "m": 2, "l": 3}
PRIORITY_ACCEPTED = "1, 2, 3, H, M, L, high, normal or low"
DATE_ACCEPTED = "tomorrow, fri, friday, fri 9am, 2026-12-04, 1st, in 3 days or eom"
RECUR_ACCEPTED = "daily, weekdays, weekly, biweekly, monthly, yearly, 2weeks, every-3-days, mon,thu"
# One-word recurrences for `recur:` (an attribute value is one word): `2weeks`, `3d`.
_RECUR_COUNT = re.compile(r"(\d+)\s*(d|days?|w|wks?|weeks?|mos?|months?|y|yrs?|years?)")
_RECUR_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
_IDS = re.compile(r"-?\d+(?:-\d+)?")
MAX_ID_RANGE = 10_000


class WordError(ValueError):
    """A word that means an attribute or a filter but cannot be read; it names the word.

    The message is the sentence a user sees: `due:frid — not a date; try fri, ...`.
    """

    def __init__(self, word: str, reason: str, accepted: str = "") -> None:
        self.word = word
        self.reason = reason
        self.accepted = accepted
        super().__init__(f"{word} — {reason}" + (f"; try {accepted}" if accepted else ""))


class Taken(Struct, frozen=True):
    """One attribute taken from the words: its field, the words as typed, and its value.

    `value` is None for a field cleared by an empty value (`project:`).
    """

    field: str
    typed: str
    value: object

    @property
    def label(self) -> str:
        """A short text for a confirmation line: `p1`, `#errands`, `due 2026-12-02`."""
        if self.value is None:
            return f"no {self.field}"
        labels = {
            "priority": f"p{self.value}",
            "tags_add": f"#{self.value}",
            "tags_remove": f"-#{self.value}",
            "depends": f"depends on {self.value}",
            "depends_remove": f"not depending on {self.value}",
            "parent": f"subtask of {self.value}",
        }
        return labels.get(self.field, f"{self.field} {self.value}")


class Entry(Struct, frozen=True):
    """What `add` or `modify` words mean: the name left over and the attributes typed.

    A field is None (or empty) when not given; `cleared` names the fields given an empty value
    (`project:`, `due:`: modify only), which are None here too. `depends` and `parent` are task
    ids as typed (the caller resolves them to uuids under the lock); in modify `depends` adds to
    a task's dependencies and `depends_remove` (`depends:-3`) removes some, as in Taskwarrior.
    `taken` lists the attributes in the order typed, each once (the last of a repeated one).
    `hints` are sentences about words kept in the name that look like a misspelt attribute.
    """

    name: str | None
    priority: int | None = None
    tags_add: tuple[str, ...] = ()
    tags_remove: tuple[str, ...] = ()
    project: str | None = None
    due: str | None = None
    wait: str | None = None
    scheduled: str | None = None
    until: str | None = None
    recur: str | None = None
    depends: tuple[int, ...] = ()
    depends_remove: tuple[int, ...] = ()
    parent: int | None = None
    cleared: frozenset[str] = frozenset()
    taken: tuple[Taken, ...] = ()
    hints: tuple[str, ...] = ()

    @property
    def changes(self) -> dict[str, object]:
        """The plain fields given or cleared (name, priority, project, dates, recur): None clears.

        Tags, dependencies and the parent are left to the caller: they need the task list.
        """
        names = ("name", "priority", "project", *DATE_FIELDS, "recur")
        given = {k: getattr(self, k) for k in names if getattr(self, k) is not None}
        return given | {k: None for k in self.cleared if k in names}

    @property
    def labels(self) -> list[str]:
        """The confirmation line's parts, in the order typed: `p1`, `#errands`, `depends on 3, 5`."""
        labels: list[str] = []
        previous: Taken | None = None
        for taken in self.taken:
            grouped = taken.field.startswith("depends") and taken.value is not None
            if grouped and previous is not None and previous.field == taken.field:
                labels[-1] += f", {taken.value}"
            else:
                labels.append(taken.label)
            previous = taken
        return labels


def tag_key(tag: str) -> str:
    """What tags are matched by: `Work`, `work` and `WORK` are one tag."""
    return tag.casefold()


def same_tag(a: str, b: str) -> bool:
    return tag_key(a) == tag_key(b)


def apply_tags(
    current: Iterable[str], add: Iterable[str] = (), remove: Iterable[str] = ()
) -> list[str]:
    """Tags after adding and removing some, matched without case; a kept tag keeps its spelling.

    `Work` stays `Work` when `+work` is added again; `-WORK` removes it.
    """
    gone = {tag_key(t) for t in remove}
    kept = [t for t in current if tag_key(t) not in gone]
    seen = {tag_key(t) for t in kept}
    for tag in add:
        if tag_key(tag) not in seen:
            kept.append(tag)
            seen.add(tag_key(tag))
    return kept


def parse_entry(words: Sequence[str], now: datetime, mode: str = "add") -> Entry:
    """Read the words of `add` (mode "add") or of `modify`'s changes (mode "modify").

    Attribute words may come anywhere, in any order; a due phrase ending the name (`call mom fri
    6pm`) is the due when no `due:` is given. WordError names a word that cannot be read.
    """
    if mode not in ("add", "modify"):
        raise ValueError(f"mode must be add or modify, not {mode!r}")
    parts = _Parts(mode == "modify")
    rest: list[str] = []
    i = 0
    while i < len(words):
        used = _take_word(words, i, now, parts)
        if used:
            i += used
            continue
        rest.append(words[i])
        parts.hint(words[i])
        i += 1
    name = _take_trailing_due(rest, now, parts)
    if name is None and mode == "add":
        raise WordError(" ".join(words), "a task needs a name besides its attributes")
    if mode == "add" and parts.has("recur") and not parts.has("due"):
        raise WordError(parts.typed("recur"), "a recurring task needs a due date", "due:WHEN")
    return parts.entry(name)


class _Parts:
    """What parse_entry has taken so far; a repeated attribute replaces the earlier one."""

    def __init__(self, modify: bool) -> None:
        self.modify = modify
        self.single: dict[str, tuple[int, Taken]] = {}
        self.many: dict[tuple[str, str], tuple[int, Taken]] = {}  # (field, key) for tags and ids
        self.hints: list[str] = []
        self.count = 0

    def set(self, field: str, typed: str, value: object) -> None:
        self.count += 1
        self.single.pop(field, None)  # re-inserted: `taken` keeps the order of the last one
        self.single[field] = (self.count, Taken(field, typed, value))
        if field == "depends" and value is None:  # `depends:` clears what came before it too
            self.many = {k: v for k, v in self.many.items() if not k[0].startswith("depends")}

    def add(self, field: str, opposite: str, key: str, typed: str, value: object) -> None:
        """A tag or dependency added (or removed): it undoes the opposite word before it."""
        self.count += 1
        self.many.pop((opposite, key), None)
        self.many.setdefault((field, key), (self.count, Taken(field, typed, value)))

    def has(self, field: str) -> bool:
        found = self.single.get(field)
        return found is not None and found[1].value is not None

    def typed(self, field: str) -> str:
        return self.single[field][1].typed

    def hint(self, word: str) -> None:
        """Note a name word that looks like a misspelt attribute: `projct:home`."""
        head, sep, value = word.partition(":")
        if not (sep and value and head.isalpha()):
            return
        import difflib  # 2 ms at start-up otherwise, on every command

        close = difflib.get_close_matches(head.lower(), ATTRIBUTE_NAMES, n=1, cutoff=0.75)
        if close:
            self.hints.append(f"{word!r} is part of the name; did you mean {close[0]}:{value}?")

    def entry(self, name: str | None) -> Entry:
        taken = tuple(t for _, t in sorted([*self.single.values(), *self.many.values()]))
        one = {t.field: t.value for t in taken if t.value is not None}

        def listed(field: str) -> tuple[Any, ...]:
            return tuple(t.value for t in taken if t.field == field and t.value is not None)

        return Entry(
            name=name,
            priority=cast("int | None", one.get("priority")),
            tags_add=listed("tags_add"),
            tags_remove=listed("tags_remove"),
            project=cast("str | None", one.get("project")),
            due=cast("str | None", one.get("due")),
            wait=cast("str | None", one.get("wait")),
            scheduled=cast("str | None", one.get("scheduled")),
            until=cast("str | None", one.get("until")),
            recur=cast("str | None", one.get("recur")),
            depends=listed("depends"),
            depends_remove=listed("depends_remove"),
            parent=cast("int | None", one.get("parent")),
            cleared=frozenset(t.field for t in taken if t.value is None),
            taken=taken,
            hints=tuple(self.hints),
        )


def _take_word(words: Sequence[str], i: int, now: datetime, parts: _Parts) -> int:
    """How many words from words[i] make one attribute (0: words[i] is part of the name)."""
    word = words[i]
    marker = priority_marker(normalise_word(word))
    if marker is not None:
        parts.set("priority", word, marker)
        return 1
    if _take_tag(word, parts):
        return 1
    head, sep, value = word.partition(":")
    field = ATTRIBUTE_NAMES.get(head.lower()) if sep else None
    if field is None or (not value.strip() and not parts.modify):
        return 0  # an empty value in add has nothing to clear: `things due: milk` is a name
    if not value.strip():  # `pri:` is back to normal: a task always has a priority
        parts.set(field, word, DEFAULT_PRIORITY if field == "priority" else None)
        return 1
    return _take_value(field, words, i, value.strip(), now, parts)


def _take_tag(word: str, parts: _Parts) -> bool:
    """`#tag`, `+tag` and (modify) `-tag`: a tag holding a letter, as inline_tag reads it."""
    sign = word[:1]
    if sign not in ("#", "+") and not (sign == "-" and parts.modify):
        return False
    try:
        tag = inline_tag("#" + word[1:])
    except ValueError as exc:
        raise WordError(word, str(exc)) from None
    if tag is None:
        return False
    field, opposite = ("tags_remove", "tags_add") if sign == "-" else ("tags_add", "tags_remove")
    parts.add(field, opposite, tag_key(tag), word, tag)
    return True


def _take_value(
    field: str, words: Sequence[str], i: int, value: str, now: datetime, parts: _Parts
) -> int:
    """Read one attribute's value; a date or `recur:every` may go on into the next words."""
    word = words[i]
    if field == "priority":
        parts.set(field, word, read_priority_value(word, value))
    elif field == "project":
        parts.set(field, word, read_project_value(word, value))
    elif field == "parent":
        parts.set(field, word, read_ids(word, value, single=True)[0])
    elif field == "depends":
        for task_id in read_ids(word, value, removals=parts.modify):
            name = "depends_remove" if task_id < 0 else "depends"
            opposite = "depends" if task_id < 0 else "depends_remove"
            parts.add(name, opposite, str(abs(task_id)), word, abs(task_id))
    elif field == "recur":
        rule, more = read_recur_value(word, value, words[i + 1 :])
        parts.set(field, " ".join(words[i : i + 1 + more]), rule)
        return 1 + more
    else:
        due, more = read_date_value(word, value, words[i + 1 :], now)
        parts.set(field, " ".join(words[i : i + 1 + more]), due)
        return 1 + more
    return 1


def _take_trailing_due(rest: list[str], now: datetime, parts: _Parts) -> str | None:
    """The name left over, without a due phrase that ends it (when no `due:` was typed).

    In add a name needs a word besides the date (`add tomorrow` is named "tomorrow"); in modify
    a date alone (`modify 3 -- fri`) is a new due.
    """
    tokens, owner = [], []  # normalised tokens, and the index of the word each comes from
    for index, word in enumerate(rest):
        for token in split_words(word):
            tokens.append(token)
            owner.append(index)
    span = None if "due" in parts.single or not tokens else find_due_at_end(tokens, now)
    first = owner[span.start] if span is not None else len(rest)
    starts_word = span is not None and (span.start == 0 or owner[span.start - 1] != first)
    if span is not None and starts_word and (first > 0 or parts.modify):
        parts.set("due", " ".join(rest[first:]), span.value)
        return _name_of(rest[:first]).strip(" ,;:-") or None
    return _name_of(rest) or None


def _name_of(words: Sequence[str]) -> str:
    """The words joined by a space; a word's own new lines and tabs are the name's (a quoted
    `"line one\nline two"` stays two lines), only the space around each word goes."""
    return " ".join(w.strip() for w in words if w.strip())


def read_priority_value(word: str, value: str) -> int:
    """`pri:H`, `pri:1`, `pri:high`, `pri:p1`."""
    letter = PRIORITY_LETTERS.get(value.lower())
    if letter is not None:
        return letter
    try:
        return parse_priority(value)
    except ValueError:
        raise WordError(word, "not a priority", PRIORITY_ACCEPTED) from None


def read_project_value(word: str, value: str) -> str:
    """`project:home.garden` as stored, case kept; punctuation ending a sentence is not part of it."""
    from core.model import check_project  # core.model imports this module: a cycle at load time

    try:
        project = check_project(value.rstrip(_SENTENCE_END + ","))
    except ValueError:
        project = None
    if project is None:
        raise WordError(word, "not a project", "project:home or project:home.garden")
    return project


def read_date_value(
    word: str, value: str, following: Sequence[str], now: datetime
) -> tuple[str, int]:
    """A date attribute's value and how many following words it took.

    The value goes on while the next words continue the date: `due:fri 9am`, `due:in 3 days`
    (the longest phrase, as parse_due reads it). An unreadable value names its word.
    """
    head = split_words(value)
    tail = []
    for next_word in following:  # only one-token words, so a phrase ends at a word's end
        token = split_words(next_word)
        if len(token) != 1:
            break
        tail.extend(token)
    try:
        span = match_due([*head, *tail], 0, now) if head else None
    except ValueError as exc:
        raise WordError(word, str(exc), DATE_ACCEPTED) from None
    if span is None or span.end < len(head):
        raise WordError(word, "not a date", DATE_ACCEPTED)
    return span.value, span.end - len(head)


def read_recur_value(word: str, value: str, following: Sequence[str]) -> tuple[str, int]:
    """A rule's normalised text (core.recurrence) and how many following words it took.

    One word as Taskwarrior users type it: `weekly`, `2weeks`, `3d`, `every-2-weeks`, `mon,thu`;
    `recur:every 2 weeks` goes on into the next words while they complete the rule.
    """
    from core.recurrence import check_rule  # it imports core.model, which imports this module

    text = one_word_rule(value)
    for more in (0, 2, 1) if text == "every" else (0,):
        try:
            return check_rule(" ".join([text, *following[:more]])), more
        except ValueError:
            continue
    raise WordError(word, "not a recurrence", RECUR_ACCEPTED)


def one_word_rule(value: str) -> str:
    """A one-word recurrence in core.recurrence's words: `2weeks` -> `every 2 weeks`."""
    text = value.lower().replace("-", " ").replace("_", " ")
    found = _RECUR_COUNT.fullmatch(text)
    if found:
        return f"every {found.group(1)} {_RECUR_UNITS[found.group(2)[0]]}"
    days = [d for d in text.split(",") if d]
    if days and all(d in WEEKDAYS for d in days):
        return "every " + ",".join(days)
    return text


def read_ids(word: str, value: str, *, single: bool = False, removals: bool = False) -> list[int]:
    """Task ids: `3`, `3,5`, `5-7`; with removals `-3` is -3 (a dependency to drop)."""
    ids: list[int] = []
    for part in filter(None, value.split(",")):
        if not _IDS.fullmatch(part) or (part.startswith("-") and not removals):
            raise WordError(word, "not task ids", "3, 3,5 or 5-7" if not single else "an id: 3")
        sign = -1 if part.startswith("-") else 1
        first, _, last = part.lstrip("-").partition("-")
        lo, hi = int(first), int(last or first)
        if lo < 1 or hi < lo or hi - lo > MAX_ID_RANGE:
            raise WordError(word, f"{part} is not a range of task ids")
        ids.extend(sign * n for n in range(lo, hi + 1))
    if not ids or (single and len(ids) != 1):
        raise WordError(word, "not a task id" if single else "not task ids", "an id: 3")
    return ids
