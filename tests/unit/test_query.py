"""core.query: the filter language, its precedence, and each term over a fixed list at a fixed now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.model import Task
from core.query import (
    Query,
    QueryContext,
    QueryError,
    is_overdue,
    parse_query,
    tokenize,
)
from core.vocabulary import WordError

NOW = datetime(2026, 12, 1, 10, 0)  # a Tuesday morning


def make(task_id: int, **fields: Any) -> Task:
    record = {"id": task_id, "uuid": f"u{task_id}", "name": f"t{task_id}", **fields}
    return Task.from_record(record)


TASKS = [
    make(1, name="buy cheese", tags=["Errands"], priority=1, due="2026-12-01", project="home"),
    make(2, name="plant roses", project="home.garden", due="2026-12-04", tags=["garden"]),
    make(3, name="homework", project="homework", priority=3, description="Chapter 3 on CHEESE"),
    make(4, name="old report", status="done", project="work", tags=["work"], due="2026-11-20"),
    make(5, name="call mom", wait="2026-12-07", tags=["family"], due="2026-12-08"),
    make(6, name="write report", depends=["u7"], project="work"),
    make(7, name="gather data", project="work", start="2026-12-01T08:00:00Z", priority=1),
    make(8, name="water plants", recur="weekly", due="2026-11-30", series="s8"),
    make(
        9, name="review", scheduled="2026-12-10", annotations=[{"entry": "x", "text": "ask Anna"}]
    ),
    make(10, name="dentist", due="2026-12-01T09:00", comment="bring the card"),
    make(11, name="report for work", depends=["u4"], wait="2026-11-01"),  # its dependency is done
]


def ids(text: str, default: str | None = "pending") -> list[int]:
    query = parse_query(text.split(), NOW).with_default(default)
    return [t.id for t in query.select(TASKS, NOW)]


def grouped(text: str) -> str:
    return str(parse_query(text.split(), NOW))


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("+a +b", "(+a and +b)"),
        ("+a and +b", "(+a and +b)"),
        ("+a or +b +c", "(+a or (+b and +c))"),  # and binds tighter than or
        ("+a +b or +c", "((+a and +b) or +c)"),
        ("+a or +b or +c", "(+a or +b or +c)"),
        ("not +a +b", "(not +a and +b)"),  # not binds tighter than and
        ("not +a or +b", "(not +a or +b)"),
        ("not (+a or +b)", "not (+a or +b)"),
        ("(+a or +b) +c", "((+a or +b) and +c)"),
        ("(+a or +b) (+c or +d)", "((+a or +b) and (+c or +d))"),
        ("not not +a", "not not +a"),
        ("+a OR +b AND NOT +c", "(+a or (+b and not +c))"),  # keywords in any case
        ("((+a))", "+a"),
        ("-a", "not +a"),
    ],
)
def test_precedence_is_not_then_and_then_or(text: str, groups: str) -> None:
    assert grouped(text) == groups


@pytest.mark.parametrize(
    ("words", "tokens"),
    [
        (["(project:home", "or", "+urgent)"], ["(", "project:home", "or", "+urgent", ")"]),
        (["((+a", "+b))"], ["(", "(", "+a", "+b", ")", ")"]),
        (["(", "+a", ")"], ["(", "+a", ")"]),
        (["f(x)"], ["f(x)"]),  # a closing parenthesis that belongs to the word stays
        (["(f(x))"], ["(", "f(x)", ")"]),
        (["+a)"], ["+a", ")"]),
    ],
)
def test_parentheses_may_be_attached(words: list[str], tokens: list[str]) -> None:
    assert tokenize(words) == tokens


def test_attached_parentheses_group_like_separate_ones() -> None:
    assert ids("(project:home or +family) p1", None) == [1]
    assert ids("( project:home or +family ) p1", None) == [1]


def expressions() -> st.SearchStrategy[tuple[list[str], str]]:
    """Random filters over the tags a, b, c, with the same expression in Python's syntax."""
    leaf = st.sampled_from("abc").map(lambda v: ([f"+{v}"], v))

    def binary(op: str, left: tuple[list[str], str], right: tuple[list[str], str]) -> Any:
        words = [*left[0], *([op] if op else []), *right[0]]  # "" is the implied and
        return words, f"{left[1]} {op or 'and'} {right[1]}"

    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.builds(binary, st.sampled_from(["and", "or", ""]), inner, inner),
            inner.map(lambda x: (["not", *x[0]], f"not {x[1]}")),
            inner.map(lambda x: (["(", *x[0], ")"], f"({x[1]})")),
        )

    return st.recursive(leaf, extend, max_leaves=10)


TAG_SETS = [[t for t, on in zip("abc", f"{n:03b}", strict=True) if on == "1"] for n in range(8)]


@given(expressions())
def test_precedence_agrees_with_python_on_every_tag_combination(
    expr: tuple[list[str], str],
) -> None:
    words, python = expr
    query = parse_query(words, NOW)
    ctx = QueryContext(NOW)
    for tags in TAG_SETS:
        task = make(1, tags=tags)
        expected = eval(python, {}, {v: v in tags for v in "abc"})  # Python has the same precedence
        assert query.matches(task, ctx) == expected, (words, tags)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [1, 2, 3, 6, 7, 8, 9, 10, 11]),  # pending, not waiting: 4 is done, 5 waits
        ("+errands", [1]),  # tags match without case
        ("#ERRANDS", [1]),
        ("-errands", [2, 3, 6, 7, 8, 9, 10, 11]),
        ("p1", [1, 7]),
        ("!3", [3]),
        ("pri:H", [1, 7]),
        ("priority:low", [3]),
        ("project:home", [1, 2]),  # home.garden is inside home; homework is not
        ("project:HOME.garden", [2]),
        ("pro:work", [6, 7]),
        ("project:", [8, 9, 10, 11]),  # no project
        ("cheese", [1, 3]),  # name or description, case ignored
        ("anna", [9]),  # a note
        ("card", [10]),  # the comment
        ("due:today", [1, 8, 10]),  # by the end of today, overdue included
        ("due:tomorrow", [1, 8, 10]),
        ("due:week", [1, 2, 8, 10]),
        ("due:overdue", [8, 10]),
        ("overdue", [8, 10]),
        ("due:none", [3, 6, 7, 9, 11]),
        ("due:", [3, 6, 7, 9, 11]),
        ("due:any", [1, 2, 8, 10]),
        ("due:fri", [2]),  # that day
        ("due:2026-12-01", [1, 10]),
        ("due.before:2026-12-01", [8]),  # whole days
        ("due.after:2026-12-01", [2]),
        ("due.before:today 09:30", [1, 8, 10]),  # a time: moments; a date is its midnight
        ("due.after:2026-12-01T08:00", [2, 10]),
        ("sched.after:fri", [9]),
        ("scheduled:none", [1, 2, 3, 6, 7, 8, 10, 11]),
        ("blocked", [6]),
        ("blocking", [7]),
        ("ready", [1, 2, 3, 7, 8, 10, 11]),  # not blocked, waiting or scheduled later
        ("active", [7]),
        ("recurring", [8]),
        ("recur:weekly", [8]),
        ("recur:2weeks", []),
        ("recur:", [1, 2, 3, 6, 7, 9, 10, 11]),
        ("3", [3]),
        ("3 5-7", [3, 5, 6, 7]),  # ids side by side are one set; ids name no default status
        ("4", [4]),
        ("2,9", [2, 9]),
        ("3 and 5", []),
        ("project:work 4-7", [4, 6, 7]),
    ],
)
def test_each_term(text: str, expected: list[int]) -> None:
    assert ids(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("done", [4]),
        ("status:done", [4]),
        ("status:completed", [4]),
        ("pending", [1, 2, 3, 6, 7, 8, 9, 10, 11]),
        ("status:pending", [1, 2, 3, 6, 7, 8, 9, 10, 11]),
        ("waiting", [5]),
        ("status:waiting", [5]),
        ("all", list(range(1, 12))),
        ("status:all", list(range(1, 12))),
        ("+work all", [4]),
        ("not done", [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]),  # a status anywhere: no default
        ("pending or waiting", [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]),
        ("project:work", [6, 7]),
        ("project:work or done", [4, 6, 7]),
    ],
)
def test_the_default_status_applies_unless_a_status_is_named(
    text: str, expected: list[int]
) -> None:
    assert ids(text) == expected


def test_the_caller_chooses_the_default() -> None:
    assert ids("project:work", None) == [4, 6, 7]
    assert ids("project:work", "done") == [4]
    assert ids("+family", "waiting") == [5]
    assert parse_query([], NOW).with_default("all") == Query()


def test_names_status_and_ids() -> None:
    assert not parse_query(["+a", "due:today"], NOW).names_status
    assert parse_query(["+a", "or", "done"], NOW).names_status
    assert parse_query(["3"], NOW).names_status
    assert parse_query(["3", "5-7", "9"], NOW).ids == (3, 5, 6, 7, 9)
    assert parse_query(["3", "+a"], NOW).ids is None
    assert parse_query([], NOW).ids is None


def test_an_empty_query_matches_everything() -> None:
    assert Query().select(TASKS, NOW) == TASKS
    assert str(parse_query([], NOW)) == ""


def test_blocked_needs_the_whole_list() -> None:
    ctx = QueryContext.of(TASKS, NOW)
    assert (ctx.blocked, ctx.blocking) == (frozenset({"u6"}), frozenset({"u7"}))
    alone = parse_query(["blocked"], NOW)
    assert alone.select([TASKS[5]], NOW) == []  # its dependency is not in the list


def test_overdue_compares_a_time_with_now_and_a_date_with_today() -> None:
    assert is_overdue(make(1, due="2026-12-01T09:59"), NOW)
    assert not is_overdue(make(1, due="2026-12-01T10:01"), NOW)
    assert not is_overdue(make(1, due="2026-12-01"), NOW)
    assert is_overdue(make(1, due="2026-11-30"), NOW)
    assert not is_overdue(make(1, due="2026-11-30", status="done"), NOW)


@pytest.mark.parametrize(
    ("text", "word", "message"),
    [
        ("projct:home", "projct:home", "unknown filter 'projct:home' — did you mean project:home?"),
        ("stat:done", "stat:done", "unknown filter 'stat:done' — did you mean status:done?"),
        ("due.befor:fri", "due.befor:fri", "unknown filter 'due.befor:fri' — did you mean due.before:fri?"),
        ("p4", "p4", "unknown filter 'p4' — priorities are p1, p2 and p3"),
        ("#", "#", "unknown filter '#' — a tag filter is +tag, #tag or -tag"),
        ("-", "-", "unknown filter '-' — a tag filter is +tag, #tag or -tag"),
        ("--all", "--all", "unknown filter '--all' — an option, not a filter"),
        ("depends:3", "depends:3", "unknown filter 'depends:3' — depends is not a filter; try blocked"),
        ("due:frid", "due:frid", "due:frid — not a date; try today, week, overdue, none, tomorrow, fri"),
        ("due.before:frid", "due.before:frid", "due.before:frid — not a date; try tomorrow, fri"),
        ("status:open", "status:open", "status:open — not a status; try pending, waiting, done, all"),
        ("pri:x", "pri:x", "pri:x — not a priority; try 1, 2, 3, H"),
        ("project:a..b", "project:a..b", "project:a..b — not a project"),
        ("recur:sometimes", "recur:sometimes", "recur:sometimes — not a recurrence"),
        ("5-3", "5-3", "5-3 — 5-3 is not a range of task ids"),
        ("or +a", "or", "'or' needs a filter before it"),
        ("+a or", "or", "'or' needs a filter after it"),
        ("+a and", "and", "'and' needs a filter after it"),
        ("+a or or +b", "or", "'or' needs a filter after it, not 'or'"),
        ("not", "not", "'not' needs a filter after it"),
        ("( +a", "(", "a '(' is not closed: add ')'"),
        ("()", "(", "'(' needs a filter after it"),
        ("+a )", ")", "unknown filter ')' — it closes no '('"),
        (") +a", ")", "unknown filter ')' — it closes no '('"),
    ],
)  # fmt: skip
def test_errors_name_the_word(text: str, word: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text.split(), NOW)
    assert str(caught.value).startswith(message)
    assert caught.value.word == word
    assert isinstance(caught.value, WordError)


@pytest.mark.parametrize("text", ["http://example.com", "re:", "a:b", "3:2", "C++", "f(x)"])
def test_words_that_are_no_attribute_are_free_words(text: str) -> None:
    task = make(1, name=f"see {text} now")
    assert parse_query([text], NOW).select([task], NOW) == [task]


def test_a_date_value_goes_on_into_the_next_words() -> None:
    query = parse_query(["due.before:fri", "9am", "p1"], NOW)
    assert str(query) == "(due.before:fri 9am and p1)"
    assert [t.id for t in query.select(TASKS, NOW)] == [1]
