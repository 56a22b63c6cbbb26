"""The filter language of `list`, `next`, `done`, `delete`, `modify` and `export`: words to a predicate.

It speaks core.vocabulary's words: a tag, a priority, a project, a date or a rule means here what it
means in `add` (design.md puts filters in the vocabulary module; a parser with precedence gets a
module of its own). The grammar, `and` implied between terms, precedence not > and > or:

    query := or?          or := and ("or" and)*          and := not (["and"] not)*
    not   := "not" not | "(" or ")" | term

Parentheses are words of their own or attached: `(project:home or +urgent) p1`. The terms:

    +tag #tag / -tag        has / lacks the tag (case ignored)
    p1 !1 pri:1 pri:H       priority (vocabulary's spellings)
    project:home            home and its sub-projects (home.garden, not homework); `project:` none
    status:pending|waiting|done|all, and the bare words pending, waiting, done, all
    due:today|tomorrow|week by then, overdue included; due:overdue, due:none, due:any, due:WHEN
    due.before:WHEN due.after:WHEN (also wait, scheduled, until: `wait:none`, `sched.after:fri`)
    recur:RULE              that rule; `recurring` any rule
    overdue blocked blocking ready active recurring
    3 5-7 3,5               task ids; ids side by side are one set (`done 3 5-7`)
    anything else           a free word: in the name, description, comment or a note (case ignored)

`pending` is pending and not waiting. Which status a command shows by default is the caller's:
`Query.with_default("pending")` adds it unless the query names a status or ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta

from msgspec import Struct

from core.dates import due_moment, wall_clock
from core.model import Task, in_project
from core.urgency import dependency_states
from core.vocabulary import (
    ATTRIBUTE_NAMES,
    DATE_ACCEPTED,
    DATE_FIELDS,
    WordError,
    check_tag,
    priority_marker,
    read_date_value,
    read_ids,
    read_priority_value,
    read_project_value,
    read_recur_value,
    tag_key,
)

KEYWORDS = ("and", "or", "not")
STATUS_WORDS = ("pending", "waiting", "done", "all")
STATE_WORDS = ("overdue", "blocked", "blocking", "ready", "active", "recurring")
DUE_WORDS = ("today", "tomorrow", "week", "overdue", "none", "any")
_FIELD_OF = {
    **{
        name: field for name, field in ATTRIBUTE_NAMES.items() if field not in ("depends", "parent")
    },
    "status": "status",
}
# `due.before`, `sched.after`, ...: every spelling of a date field with each comparison.
_COMPARED = {
    f"{name}.{side}": (field, side)
    for name, field in ATTRIBUTE_NAMES.items()
    if field in DATE_FIELDS
    for side in ("before", "after")
}
FILTER_NAMES = (*_FIELD_OF, *_COMPARED)
FILTER_WORDS = (*STATUS_WORDS, *STATE_WORDS, *(f"due:{w}" for w in DUE_WORDS), *KEYWORDS)
_IDS = re.compile(r"\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*")
_NOT_A_PRIORITY = re.compile(r"[p!]\d+", re.IGNORECASE)


class QueryError(WordError):
    """A filter word that cannot be read, or a query that does not parse; it names the word."""

    def __init__(self, word: str, message: str) -> None:
        ValueError.__init__(self, message)
        self.word, self.reason, self.accepted = word, message, ""

    @classmethod
    def of(cls, error: WordError) -> QueryError:
        return cls(error.word, str(error))


class QueryContext(Struct, frozen=True):
    """What a term needs besides the task: now (local time), and which tasks block or are blocked."""

    now: datetime
    blocked: frozenset[str] = frozenset()  # uuids of tasks with an unfinished dependency
    blocking: frozenset[str] = frozenset()  # uuids of unfinished tasks another one waits for

    @classmethod
    def of(cls, tasks: Iterable[Task], now: datetime) -> QueryContext:
        """The context for a query over `tasks`, the whole list (a dependency may be unlisted)."""
        deps = dependency_states(tasks)
        return cls(now, deps.blocked, deps.blocking)


Test = Callable[[Task, QueryContext], bool]


class Term(Struct, frozen=True):
    """One filter word; `status` says it names a status, so no default status is added."""

    word: str
    test: Test
    status: bool = False

    def matches(self, task: Task, ctx: QueryContext) -> bool:
        return self.test(task, ctx)

    def nodes(self) -> Iterator[Node]:
        yield self

    def __str__(self) -> str:
        return self.word


class Ids(Struct, frozen=True):
    """Task ids (`3 5-7`): one set, so ids side by side mean any of them."""

    ids: tuple[int, ...]
    words: tuple[str, ...]

    def matches(self, task: Task, ctx: QueryContext) -> bool:
        return task.id in self.ids

    def nodes(self) -> Iterator[Node]:
        yield self

    def __str__(self) -> str:
        return " ".join(self.words)


class Not(Struct, frozen=True):
    node: Node

    def matches(self, task: Task, ctx: QueryContext) -> bool:
        return not self.node.matches(task, ctx)

    def nodes(self) -> Iterator[Node]:
        yield self
        yield from self.node.nodes()

    def __str__(self) -> str:
        return f"not {self.node}"


class And(Struct, frozen=True):
    parts: tuple[Node, ...]

    def matches(self, task: Task, ctx: QueryContext) -> bool:
        return all(p.matches(task, ctx) for p in self.parts)

    def nodes(self) -> Iterator[Node]:
        yield self
        for part in self.parts:
            yield from part.nodes()

    def __str__(self) -> str:
        return "(" + " and ".join(map(str, self.parts)) + ")"


class Or(Struct, frozen=True):
    parts: tuple[Node, ...]

    def matches(self, task: Task, ctx: QueryContext) -> bool:
        return any(p.matches(task, ctx) for p in self.parts)

    def nodes(self) -> Iterator[Node]:
        yield self
        for part in self.parts:
            yield from part.nodes()

    def __str__(self) -> str:
        return "(" + " or ".join(map(str, self.parts)) + ")"


Node = Term | Ids | Not | And | Or


class Query(Struct, frozen=True):
    """A parsed filter; no words (`root` None) matches every task.

    `str(query)` shows how it was grouped: `(+a or (+b and +c))`.
    """

    root: Node | None = None

    def matches(self, task: Task, ctx: QueryContext) -> bool:
        return self.root is None or self.root.matches(task, ctx)

    def select(self, tasks: Sequence[Task], now: datetime) -> list[Task]:
        """The tasks matching, in their order; `tasks` is the whole list (for dependencies)."""
        ctx = QueryContext.of(tasks, now)
        return [t for t in tasks if self.matches(t, ctx)]

    @property
    def names_status(self) -> bool:
        """Whether a status word or an id is anywhere in it: then no default status applies."""
        return self.root is not None and any(
            isinstance(n, Ids) or (isinstance(n, Term) and n.status) for n in self.root.nodes()
        )

    @property
    def ids(self) -> tuple[int, ...] | None:
        """The ids, when the query is ids and nothing else (`done 3 5-7`), so each can be checked."""
        return self.root.ids if isinstance(self.root, Ids) else None

    def with_default(self, status: str | None = "pending") -> Query:
        """This query, limited to `status` (pending, waiting, done) unless it names one or ids."""
        if status is None or status == "all" or self.names_status:
            return self
        default = status_term(status, status)
        return Query(default if self.root is None else And((self.root, default)))

    def __str__(self) -> str:
        return "" if self.root is None else str(self.root)


def parse_query(words: Sequence[str], now: datetime) -> Query:
    """Parse filter words (as the shell or the REPL split them); QueryError names a bad word.

    `now` reads the dates in it (`due.before:fri`); matching takes its own `QueryContext`.
    """
    parser = _Parser(tokenize(words), now)
    if not parser.tokens:
        return Query()
    root = parser.parse_or()
    if parser.pos < len(parser.tokens):  # only a `)` stops parse_or early
        raise QueryError(")", "unknown filter ')' — it closes no '('")
    return Query(root)


def tokenize(words: Sequence[str]) -> list[str]:
    """The words with parentheses split off: `(project:home` -> `(`, `project:home`.

    A closing parenthesis that belongs to the word stays: `f(x)` is one word.
    """
    tokens: list[str] = []
    for word in words:
        core = word.lstrip("(")
        tokens.extend("(" * (len(word) - len(core)))
        closing = 0
        while core.endswith(")") and core[:-1].count("(") < core[:-1].count(")") + 1:
            core, closing = core[:-1], closing + 1
        if core:
            tokens.append(core)
        tokens.extend(")" * closing)
    return tokens


class _Parser:
    """A recursive-descent parser over the tokens, one method per precedence level."""

    def __init__(self, tokens: list[str], now: datetime) -> None:
        self.tokens = tokens
        self.now = now
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].lower() if self.pos < len(self.tokens) else None

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while self.peek() == "or":
            self.pos += 1
            parts.append(self.parse_and("or"))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self, after: str | None = None) -> Node:
        parts = [self.parse_not(after)]
        while (word := self.peek()) not in (None, "or", ")"):
            explicit = word == "and"
            if explicit:
                self.pos += 1
            part = self.parse_not("and" if explicit else None)
            last = parts[-1]
            if not explicit and isinstance(last, Ids) and isinstance(part, Ids):
                parts[-1] = Ids((*last.ids, *part.ids), (*last.words, *part.words))
            else:
                parts.append(part)
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_not(self, after: str | None = None) -> Node:
        word = self.peek()
        if word is None:
            if after is None:
                raise QueryError("", "a filter is missing at the end")
            raise QueryError(after, f"'{after}' needs a filter after it")
        if word in ("and", "or", ")"):
            self._refuse_misplaced(word, after)
        self.pos += 1
        if word == "not":
            return Not(self.parse_not("not"))
        if word == "(":
            if self.peek() in (None, ")"):
                raise QueryError("(", "'(' needs a filter after it")
            inner = self.parse_or()
            if self.peek() != ")":
                raise QueryError("(", "a '(' is not closed: add ')'")
            self.pos += 1
            return inner
        token = self.tokens[self.pos - 1]
        node, more = read_term(token, self.tokens[self.pos :], self.now)
        self.pos += more
        return node

    def _refuse_misplaced(self, word: str, after: str | None) -> None:
        """`and`, `or` or `)` where a filter should be: `x or`, `or x`, `not )`."""
        token = self.tokens[self.pos]
        if after is not None:
            raise QueryError(after, f"'{after}' needs a filter after it, not '{token}'")
        if word == ")":
            raise QueryError(")", "unknown filter ')' — it closes no '('")
        raise QueryError(token, f"'{token}' needs a filter before it")


def read_term(word: str, following: Sequence[str], now: datetime) -> tuple[Node, int]:
    """One term and how many following words it took (a date may go on: `due.before:fri 9am`)."""
    try:
        return _read_term(word, following, now)
    except QueryError:
        raise
    except WordError as exc:
        raise QueryError.of(exc) from None


def _read_term(word: str, following: Sequence[str], now: datetime) -> tuple[Node, int]:
    lowered = word.lower()
    if _IDS.fullmatch(word):
        return Ids(tuple(read_ids(word, word)), (word,)), 0
    if lowered in STATUS_WORDS:
        return status_term(word, lowered), 0
    if lowered in STATE_WORDS:
        return Term(word, _STATES[lowered]), 0
    if word[:1] in "+#-" and len(word) > 1 and not word.startswith("--"):
        return _tag_term(word), 0
    marker = priority_marker(lowered)
    if marker is not None:
        return Term(word, lambda t, _: t.priority == marker), 0
    head, sep, value = word.partition(":")
    if sep and head.lower() in _COMPARED:
        field, side = _COMPARED[head.lower()]
        when, more = read_date_value(word, value, following, now)
        return Term(" ".join([word, *following[:more]]), _compare(field, side, when)), more
    if sep and head.lower() in _FIELD_OF:
        return _attribute_term(word, _FIELD_OF[head.lower()], value, following, now)
    _refuse_lookalike(word, head, sep, value)
    needle = word.casefold()
    return Term(word, lambda t, _: _has_text(t, needle)), 0


def _refuse_lookalike(word: str, head: str, sep: str, value: str) -> None:
    """An option, a misspelt attribute or priority is an error, not a free word matching nothing."""
    if word.startswith("--"):
        raise QueryError(word, f"unknown filter {word!r} — an option, not a filter")
    if word.startswith("-") or word in ("+", "#"):
        raise QueryError(word, f"unknown filter {word!r} — a tag filter is +tag, #tag or -tag")
    if _NOT_A_PRIORITY.fullmatch(word):
        raise QueryError(word, f"unknown filter {word!r} — priorities are p1, p2 and p3")
    if sep and head.lower() in ATTRIBUTE_NAMES:  # depends:, parent:
        raise QueryError(
            word,
            f"unknown filter {word!r} — {head} is not a filter; try blocked, blocking or ready",
        )
    if sep and re.fullmatch(r"[a-z.]+", head.lower()):
        import difflib  # 2 ms at start-up otherwise, on every command

        close = difflib.get_close_matches(head.lower(), FILTER_NAMES, n=1, cutoff=0.75)
        if close:
            raise QueryError(word, f"unknown filter {word!r} — did you mean {close[0]}:{value}?")


def _tag_term(word: str) -> Node:
    try:
        key = tag_key(check_tag(word[1:]))
    except ValueError as exc:
        raise QueryError(word, f"unknown filter {word!r} — {exc}") from None
    has = Term(word, lambda t, _: any(tag_key(tag) == key for tag in t.tags))
    return Not(Term("+" + word[1:], has.test)) if word.startswith("-") else has


def _attribute_term(
    word: str, field: str, value: str, following: Sequence[str], now: datetime
) -> tuple[Node, int]:
    if field == "status":
        status = {"completed": "done"}.get(value.lower(), value.lower())
        if status not in STATUS_WORDS:
            raise QueryError(word, f"{word} — not a status; try {', '.join(STATUS_WORDS)}")
        return status_term(word, status), 0
    if field == "priority":
        priority = read_priority_value(word, value)
        return Term(word, lambda t, _: t.priority == priority), 0
    if field == "project":
        if not value:
            return Term(word, lambda t, _: t.project is None), 0
        project = read_project_value(word, value)
        return Term(word, lambda t, _: in_project(t.project, project)), 0
    if field == "recur":
        if not value:
            return Term(word, lambda t, _: t.recur is None), 0
        rule, more = read_recur_value(word, value, following)
        return Term(" ".join([word, *following[:more]]), lambda t, _: t.recur == rule), more
    return _date_term(word, field, value, following, now)


def _date_term(
    word: str, field: str, value: str, following: Sequence[str], now: datetime
) -> tuple[Node, int]:
    """`due:today` (by the end of today), `due:none`, `due:overdue`, or `due:WHEN` (that day)."""
    keyword = value.lower() or "none"
    today = wall_clock(now).date()
    ahead = {"today": 0, "tomorrow": 1, "week": 6}
    if keyword in ahead:
        last = today + timedelta(days=ahead[keyword])
        return Term(word, lambda t, _: (d := _day(t, field)) is not None and d <= last), 0
    if keyword in ("none", "any"):
        unset = keyword == "none"
        return Term(word, lambda t, _: (_DATE_VALUE[field](t) is None) == unset), 0
    if keyword == "overdue" and field == "due":
        return Term(word, _STATES["overdue"]), 0
    try:
        when, more = read_date_value(word, value, following, now)
    except WordError as exc:
        accepted = f"today, week, overdue, none, {DATE_ACCEPTED}"
        raise QueryError(word, f"{word} — {exc.reason}; try {accepted}") from None
    day = date.fromisoformat(when[:10])
    return Term(" ".join([word, *following[:more]]), lambda t, _: _day(t, field) == day), more


def status_term(word: str, status: str) -> Term:
    """A status word: pending (and not waiting), waiting, done, or all."""
    tests: dict[str, Test] = {
        "pending": lambda t, ctx: t.pending and not t.is_waiting(ctx.now),
        "waiting": lambda t, ctx: t.is_waiting(ctx.now),
        "done": lambda t, _: t.done,
        "all": lambda t, _: True,
    }
    return Term(word, tests[status], status=True)


def is_overdue(task: Task, now: datetime) -> bool:
    """Pending and past its due: a date is due all day, a time from that minute."""
    if task.due is None or not task.pending:
        return False
    if len(task.due) <= 10:
        return date.fromisoformat(task.due) < wall_clock(now).date()
    return due_moment(task.due, now) < wall_clock(now)


_STATES: dict[str, Test] = {
    "overdue": lambda t, ctx: is_overdue(t, ctx.now),
    "blocked": lambda t, ctx: t.uuid in ctx.blocked,
    "blocking": lambda t, ctx: t.uuid in ctx.blocking,
    "ready": lambda t, ctx: t.is_ready(ctx.now, blocked=t.uuid in ctx.blocked),
    "active": lambda t, _: t.is_active,
    "recurring": lambda t, _: t.is_recurring,
}


def _compare(field: str, side: str, when: str) -> Test:
    """`due.before:W` / `due.after:W`; when W is a date, whole days are compared."""
    sign = -1 if side == "before" else 1

    def test(task: Task, ctx: QueryContext) -> bool:
        value = _DATE_VALUE[field](task)
        if value is None:
            return False
        if len(when) <= 10:
            days = (date.fromisoformat(value[:10]) - date.fromisoformat(when)).days
            return sign * days > 0
        delta = due_moment(value, ctx.now) - due_moment(when, ctx.now)
        return sign * delta.total_seconds() > 0

    return test


_DATE_VALUE: dict[str, Callable[[Task], str | None]] = {
    "due": lambda t: t.due,
    "wait": lambda t: t.wait,
    "scheduled": lambda t: t.scheduled,
    "until": lambda t: t.until,
}


def _day(task: Task, field: str) -> date | None:
    value = _DATE_VALUE[field](task)
    return None if value is None else date.fromisoformat(value[:10])


def _has_text(task: Task, needle: str) -> bool:
    texts = (task.name, task.description, task.comment, *(a.text for a in task.annotations))
    return any(needle in text.casefold() for text in texts)
