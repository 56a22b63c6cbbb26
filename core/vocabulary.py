"""The words tasksafe understands, each rule once: priorities, tags, and how given text is cleaned.

Every way text reaches a task (`add` and `edit` options, the forms, quick-add, a model's answer)
is checked here, so a word means one thing everywhere: `add -p urgent` is what
`ai "... urgent priority"` is, and `add -t C++` is the tag `ai "... #C++"` gives (issue 8).
Attribute words (`project:`) and list filters belong here too as they arrive.

Pure: text in, a value or ValueError out; the ValueError's message is the sentence a user sees.
Stored records are not checked here but in core.model, more leniently, so a file written by an
older version or by hand stays valid.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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
