"""core.vocabulary: each word means one thing, whether typed into `add`, quick-add or a model."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.vocabulary import (
    MAX_TAG,
    PRIORITY_LABELS,
    Entry,
    WordError,
    apply_tags,
    check_tag,
    check_tags,
    clean_text,
    inline_tag,
    parse_entry,
    parse_priority,
    priority_marker,
    same_tag,
    tag_key,
)


def test_priority_labels_are_the_words_shown() -> None:
    assert PRIORITY_LABELS == {1: "high", 2: "normal", 3: "low"}


@pytest.mark.parametrize(
    ("value", "priority"),
    [
        (1, 1),
        (3, 3),
        (2.0, 2),  # JSON does not tell 2 from 2.0
        ("2", 2),
        (" 3 ", 3),
        ("p1", 1),
        ("P3", 3),
        ("!1", 1),
        ("!3", 3),
        ("high", 1),
        ("urgent", 1),
        ("URGENT", 1),
        ("normal", 2),
        ("medium", 2),
        ("low", 3),
    ],
)
def test_parse_priority_reads_every_spelling(value: Any, priority: int) -> None:
    assert parse_priority(value) == priority


@pytest.mark.parametrize(
    "value", [0, 4, True, 1.5, None, "", "x", "p4", "!0", "p12", "urgent!!", "very high", "01"]
)
def test_parse_priority_refuses_anything_else_in_one_sentence(value: Any) -> None:
    with pytest.raises(ValueError) as caught:
        parse_priority(value)
    assert str(caught.value) == f"priority must be 1 (high), 2 (normal) or 3 (low), not {value!r}"


@pytest.mark.parametrize(
    ("word", "priority"),
    [("p1", 1), ("P2", 2), ("!3", 3), ("1", None), ("high", None), ("p4", None), ("p1x", None)],
)
def test_priority_marker_is_only_p_or_bang_and_a_digit(word: str, priority: int | None) -> None:
    # A bare number or word in free text is part of the name: "read chapter 1".
    assert priority_marker(word) == priority


@pytest.mark.parametrize(
    ("given_tag", "tag"),
    [
        ("C++", "C++"),  # case and punctuation kept, as Taskwarrior does
        ("#work", "work"),
        ("  Home ", "Home"),
        ("123", "123"),  # given as a tag on purpose: a tag
        ("#\x1b[31mesc", "esc"),  # cleaned like any text
        ("漢字", "漢字"),
        ("x" * MAX_TAG, "x" * MAX_TAG),
    ],
)
def test_check_tag_keeps_one_word_as_written(given_tag: str, tag: str) -> None:
    assert check_tag(given_tag) == tag


@pytest.mark.parametrize("given_tag", ["two words", "a\tb", "", "#", "\u202e", "x" * (MAX_TAG + 1)])
def test_check_tag_refuses_what_is_not_one_short_word(given_tag: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_tag(given_tag)
    assert str(caught.value) == (
        f"tag {given_tag!r:.50} must be one word of 1-{MAX_TAG} characters, no spaces"
    )


def test_check_tags_keeps_the_order_and_each_tag_once() -> None:
    assert check_tags(["#work", "home", "work", "Work"]) == ["work", "home", "Work"]


@pytest.mark.parametrize(
    ("word", "tag"),
    [
        ("#C++", "C++"),  # the tag `add -t C++` gives
        ("#Health", "Health"),
        ("#v2", "v2"),
        ("#errands.", "errands"),  # sentence punctuation is not part of it
        ("#123", None),  # an issue number stays in the name
        ("#-", None),
        ("#", None),
        ("work", None),
    ],
)
def test_inline_tag_needs_a_hash_and_a_letter(word: str, tag: str | None) -> None:
    assert inline_tag(word) == tag


def test_an_inline_tag_that_breaks_the_rule_is_an_error_not_a_name() -> None:
    with pytest.raises(ValueError, match="must be one word"):
        inline_tag("#" + "x" * (MAX_TAG + 1))


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("x\x1b[31mred\x1b[0m", "xred"),  # SGR colours: the whole sequence goes, not just ESC
        ("a\x1b[2J\x1b[Hb", "ab"),  # clear screen, cursor home
        ("\x1b]0;pwned title\x07x", "x"),  # OSC window title, BEL-terminated
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink, ST-terminated
        ("ok\x1b]52;c;ZXZpbA==", "ok"),  # unterminated OSC 52 (clipboard write): dropped to the end
        ("\x9b31mx", "x"),  # 8-bit CSI
        ("\x1bPq#0;2;0;0;0\x1b\\y", "y"),  # DCS (sixel)
        ("a\x1b7b\x1b8c", "abc"),  # two-byte escapes
        ("bell\x07 nul\x00 del\x7f cr\r nel\x85", "bell nul del cr nel"),
        ("evil\u202etxt.exe", "eviltxt.exe"),  # bidi override (Cf)
        ("\u2066isolate\u2069", "isolate"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("👩\u200d💻 می\u200cخواهم", "👩\u200d💻 می\u200cخواهم"),  # ZWJ and ZWNJ are spelling
        ("bad\udcffbyte", "bad\ufffdbyte"),  # a lone surrogate cannot be stored as UTF-8
        ("line\nnext\ttab", "line\nnext\ttab"),
        ("[bold red]kept[/] literally", "[bold red]kept[/] literally"),  # Rich markup is data
    ],
)
def test_clean_text_removes_escapes_and_control_characters(text: str, clean: str) -> None:
    assert clean_text(text) == clean


@pytest.mark.parametrize(
    "text",
    [
        "買い物に行く",
        "cafe\u0301 noe\u0308l",
        "emoji 🎉 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "nbsp\u00a0wide\u3000space",
        "",
    ],
)
def test_clean_text_keeps_everything_else_exactly(text: str) -> None:
    assert clean_text(text) == text


KEPT = "\n\t\u200c\u200d"
# Characters that start an escape sequence; without them, cleaning is per character.
INTRODUCERS = "\x1b\x90\x98\x9b\x9d\x9e\x9f"


SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())


@given(st.text(st.characters(exclude_characters=INTRODUCERS, exclude_categories=()) | SURROGATES))
def test_clean_text_drops_exactly_the_cc_cf_characters(text: str) -> None:
    expected = "".join(
        "\ufffd" if unicodedata.category(ch) == "Cs" else ch
        for ch in text
        if ch in KEPT or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    assert clean_text(text) == expected


@given(st.text(st.sampled_from(["\x1b", "\x9b", "\x90", "\x07", "[", "]", "\\", "3", "m", "a"])))
def test_clean_text_leaves_no_control_character(text: str) -> None:
    assert all(unicodedata.category(ch) not in ("Cc", "Cf") for ch in clean_text(text))


# --- attribute words typed inline (parse_entry) ---

NOW = datetime(2026, 12, 1, 10, 0)  # a Tuesday morning
TOMORROW, FRIDAY, MONDAY = "2026-12-02", "2026-12-04", "2026-12-07"


def entry(text: str, mode: str = "add") -> Entry:
    return parse_entry(text.split(), NOW, mode)


def fields_of(e: Entry) -> dict[str, object]:
    """The fields an entry sets, besides its name and bookkeeping."""
    skip = ("name", "taken", "hints")
    return {
        k: v
        for k, v in msgspec.structs.asdict(e).items()
        if k not in skip and v not in (None, (), frozenset())
    }


@pytest.mark.parametrize(
    ("text", "name", "fields"),
    [
        ("buy cheese #errands p1 tomorrow", "buy cheese",
         {"priority": 1, "tags_add": ("errands",), "due": TOMORROW}),
        ("pay rent due:1st recur:monthly project:home p1", "pay rent",
         {"due": "2026-12-01", "recur": "monthly", "project": "home", "priority": 1}),
        ("call mom fri 6pm #family", "call mom", {"due": f"{FRIDAY}T18:00", "tags_add": ("family",)}),
        ("plant roses pro:home.garden wait:mon sched:fri until:2027-06-30", "plant roses",
         {"project": "home.garden", "wait": MONDAY, "scheduled": FRIDAY, "until": "2027-06-30"}),
        ("write report depends:3,5-6 parent:2", "write report",
         {"depends": (3, 5, 6), "parent": 2}),
        ("a +C++ #Home", "a", {"tags_add": ("C++", "Home")}),
    ],
)  # fmt: skip
def test_parse_entry_reads_the_attributes_of_the_issue(
    text: str, name: str, fields: dict[str, object]
) -> None:
    e = entry(text)
    assert e.name == name
    assert fields_of(e) == fields


@pytest.mark.parametrize(
    ("word", "field", "value"),
    [
        ("p1", "priority", 1),
        ("P3", "priority", 3),
        ("!2", "priority", 2),
        ("p1.", "priority", 1),  # the end of a sentence
        ("pri:H", "priority", 1),
        ("pri:m", "priority", 2),
        ("PRI:L", "priority", 3),
        ("pri:1", "priority", 1),
        ("priority:low", "priority", 3),
        ("prio:urgent", "priority", 1),
        ("project:Home", "project", "Home"),
        ("proj:home.garden", "project", "home.garden"),
        ("pro:work.", "project", "work"),
        ("pro:work,", "project", "work"),
        ("due:tomorrow", "due", TOMORROW),
        ("Due:fri", "due", FRIDAY),
        ("due:2026-12-24", "due", "2026-12-24"),
        ("due:2026-12-24T18:30", "due", "2026-12-24T18:30"),
        ("due:15th", "due", "2026-12-15"),
        ("due:1st", "due", "2026-12-01"),  # today is the 1st
        ("wait:monday", "wait", MONDAY),
        ("sched:fri", "scheduled", FRIDAY),
        ("scheduled:fri", "scheduled", FRIDAY),
        ("until:2027-01-01", "until", "2027-01-01"),
        ("parent:12", "parent", 12),
    ],
)
def test_each_spelling_of_an_attribute(word: str, field: str, value: object) -> None:
    e = entry(f"task {word}")
    assert e.name == "task"
    assert getattr(e, field) == value
    assert [t.typed for t in e.taken] == [word]


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("weekly", "weekly"),
        ("Daily", "daily"),
        ("weekdays", "weekdays"),
        ("biweekly", "biweekly"),
        ("2weeks", "biweekly"),
        ("3d", "every 3 days"),
        ("3days", "every 3 days"),
        ("2w", "biweekly"),
        ("6mo", "every 6 months"),
        ("2y", "every 2 years"),
        ("every-3-days", "every 3 days"),
        ("every_2_weeks", "biweekly"),
        ("mon,thu", "every mon,thu"),
        ("fri", "every fri"),
        ("quarterly", "quarterly"),
    ],
)
def test_recur_takes_one_word_rules(value: str, rule: str) -> None:
    assert entry(f"water plants due:fri recur:{value}").recur == rule


@pytest.mark.parametrize(
    ("text", "field", "value", "name"),
    [
        ("x due:fri 9am", "due", f"{FRIDAY}T09:00", "x"),
        ("x due:fri 9am standup", "due", f"{FRIDAY}T09:00", "x standup"),
        ("x due:in 3 days", "due", "2026-12-04", "x"),
        ("x due:tomorrow at home", "due", TOMORROW, "x at home"),  # `at home` is no time
        ("x due:fri 10 apples", "due", FRIDAY, "x 10 apples"),  # a bare number is no time
        ("x recur:every 2 weeks due:fri", "recur", "biweekly", "x"),
        ("x recur:every mon,thu due:mon", "recur", "every mon,thu", "x"),
        ("x recur:every day due:fri", "recur", "daily", "x"),
    ],
)
def test_a_date_or_every_goes_on_into_the_next_words(
    text: str, field: str, value: object, name: str
) -> None:
    e = entry(text)
    assert (getattr(e, field), e.name) == (value, name)


def test_a_quoted_attribute_word_holds_a_whole_phrase() -> None:
    e = parse_entry(["x", "due:fri 9am", "recur:every 2 weeks"], NOW)
    assert (e.due, e.recur) == (f"{FRIDAY}T09:00", "biweekly")


@pytest.mark.parametrize(
    ("text", "name", "due"),
    [
        ("call mom fri 6pm", "call mom", f"{FRIDAY}T18:00"),
        ("buy milk tomorrow", "buy milk", TOMORROW),
        ("pay rent by the 2nd", "pay rent", TOMORROW),
        ("renew passport in 3 days", "renew passport", "2026-12-04"),
        ("call mom, fri", "call mom", FRIDAY),
        ("fri standup notes", "fri standup notes", None),  # not at the end: part of the name
        ("tomorrow", "tomorrow", None),  # a task needs a name besides the date
        ("buy 1st edition", "buy 1st edition", None),
        ("meet bob 9am", "meet bob 9am", None),  # a lone time needs `at`, as in quick-add
        ("meet bob at 9am", "meet bob", f"{TOMORROW}T09:00"),  # 9am has passed
        ("x due:mon tomorrow", "x tomorrow", MONDAY),  # an explicit due wins
    ],
)
def test_a_due_phrase_ending_the_name_is_the_due(text: str, name: str, due: str | None) -> None:
    e = entry(text)
    assert (e.name, e.due) == (name, due)


def test_the_trailing_due_is_what_quick_add_reads() -> None:
    from core.ai.quickadd import parse_quickadd

    text = "call mom fri 6pm #family p1"
    (proposed,) = parse_quickadd(text, NOW)
    e = entry(text)
    assert (e.name, e.due, e.priority, list(e.tags_add)) == (
        proposed.name,
        proposed.due,
        proposed.priority,
        list(proposed.tags),
    )


@pytest.mark.parametrize(
    "text",
    [
        "read http://example.com",
        "fix a:b",
        "re: the meeting",
        "note re:foo",
        "things due: milk",  # an empty value in add has nothing to clear
        "ratio 3:2",
        "close bug #123",  # an issue number, as in quick-add
        "win +1",
        "cool -x down",  # `-tag` only in modify
        "C++ rocks",
        "- bullet",
    ],
)
def test_words_that_are_not_known_attributes_stay_in_the_name(text: str) -> None:
    e = entry(text)
    assert e.name == text
    assert e.taken == ()


def test_a_misspelt_attribute_stays_in_the_name_with_a_hint() -> None:
    e = entry("plant roses projct:home")
    assert e.name == "plant roses projct:home"
    assert e.hints == ("'projct:home' is part of the name; did you mean project:home?",)
    assert entry("read http://x").hints == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x due:frid", "due:frid — not a date; try tomorrow, fri, friday, fri 9am, 2026-12-04, 1st, in 3 days or eom"),
        ("x wait:2026-02-30", "wait:2026-02-30 — '2026-02-30' is not a real date; try tomorrow, fri, "),
        ("x due:feb", "due:feb — not a date; try "),
        ("x due:32nd", "due:32nd — a month has no day 32; try "),
        ("x pri:z", "pri:z — not a priority; try 1, 2, 3, H, M, L, high, normal or low"),
        ("x pri:4", "pri:4 — not a priority; try "),
        ("x project:a..b", "project:a..b — not a project; try project:home or project:home.garden"),
        ("x recur:fortnite due:fri", "recur:fortnite — not a recurrence; try daily, weekdays, weekly"),
        ("x recur:every due:fri", "recur:every — not a recurrence; try "),
        ("x recur:weekly", "recur:weekly — a recurring task needs a due date; try due:WHEN"),
        ("x depends:a", "depends:a — not task ids; try 3, 3,5 or 5-7"),
        ("x depends:-3", "depends:-3 — not task ids; try "),  # removal only in modify
        ("x depends:7-5", "depends:7-5 — 7-5 is not a range of task ids"),
        ("x parent:3,4", "parent:3,4 — not a task id; try an id: 3"),
        ("x parent:0", "parent:0 — 0 is not a range of task ids"),
        ("x #" + "y" * 41, "#" + "y" * 41 + " — tag "),
        ("p1 #errands", "p1 #errands — a task needs a name besides its attributes"),
    ],
)  # fmt: skip
def test_an_unreadable_attribute_names_its_word_and_what_is_accepted(
    text: str, message: str
) -> None:
    with pytest.raises(WordError) as caught:
        entry(text)
    assert str(caught.value).startswith(message)
    assert caught.value.word == message.split(" — ")[0]
    assert isinstance(caught.value, ValueError)


def test_modify_removes_tags_clears_fields_and_needs_no_name() -> None:
    e = entry("-old +new due: project: depends:-3,4 pri:", "modify")
    assert e.name is None
    assert (e.tags_add, e.tags_remove) == (("new",), ("old",))
    assert (e.depends, e.depends_remove) == ((4,), (3,))
    assert e.cleared == {"due", "project"}
    assert e.priority == 2  # `pri:` is normal again: a task always has one
    assert e.changes == {"due": None, "project": None, "priority": 2}


def test_modify_with_a_date_alone_sets_the_due() -> None:
    assert (entry("fri", "modify").name, entry("fri", "modify").due) == (None, FRIDAY)
    e = entry("call mom fri", "modify")
    assert (e.name, e.due) == ("call mom", FRIDAY)


def test_in_modify_the_last_word_about_a_tag_or_dependency_wins() -> None:
    assert fields_of(entry("+x -X", "modify")) == {"tags_remove": ("X",)}
    assert fields_of(entry("-x +x", "modify")) == {"tags_add": ("x",)}
    assert fields_of(entry("depends:3 depends:-3", "modify")) == {"depends_remove": (3,)}
    assert fields_of(entry("depends:3 depends: depends:5", "modify")) == {
        "depends": (5,),
        "cleared": {"depends"},
    }


def test_a_repeated_attribute_keeps_the_last_and_a_tag_its_first_spelling() -> None:
    e = entry("x p1 +Work due:mon p3 #work due:fri")
    assert (e.priority, e.due, e.tags_add) == (3, FRIDAY, ("Work",))
    assert [t.typed for t in e.taken] == ["+Work", "p3", "due:fri"]


def test_taken_lists_what_was_read_for_the_confirmation_line() -> None:
    e = entry("buy cheese #errands p1 depends:3,5 tomorrow")
    assert e.labels == ["#errands", "p1", "depends on 3, 5", "due 2026-12-02"]
    assert [(t.field, t.typed, t.value) for t in e.taken][-1] == ("due", "tomorrow", TOMORROW)
    assert entry("project: -x", "modify").labels == ["no project", "-#x"]


def test_changes_are_the_plain_fields_for_update_task() -> None:
    e = entry("new name p1 project:home due:fri recur:weekly +x parent:3", "modify")
    assert e.changes == {
        "name": "new name",
        "priority": 1,
        "project": "home",
        "due": FRIDAY,
        "recur": "weekly",
    }


def test_the_name_loses_the_space_around_words_but_keeps_a_word_s_own_lines_and_tabs() -> None:
    assert parse_entry(["  buy ", "two\tthings", "", "p1"], NOW).name == "buy two\tthings"
    assert parse_entry(["line one\nline two"], NOW).name == "line one\nline two"


def test_parse_entry_refuses_an_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        parse_entry(["x"], NOW, "edit")


def test_tags_match_without_case_and_keep_the_first_spelling() -> None:
    assert tag_key("Work") == tag_key("WORK") == "work"
    assert same_tag("Straße", "STRASSE")  # casefold, not lower
    assert not same_tag("work", "works")
    assert apply_tags(["Work", "home"], add=["work", "new", "NEW"], remove=["HOME"]) == [
        "Work",
        "new",
    ]


# Every attribute with one spelling of it, and the field it must give.
ATTRIBUTE_WORDS = {
    "p1": ("priority", 1),
    "#errands": ("tags_add", ("errands",)),
    "project:home.garden": ("project", "home.garden"),
    "due:fri": ("due", FRIDAY),
    "wait:mon": ("wait", MONDAY),
    "sched:2026-12-03": ("scheduled", "2026-12-03"),
    "until:2027-06-30": ("until", "2027-06-30"),
    "recur:2weeks": ("recur", "biweekly"),
    "depends:3,5": ("depends", (3, 5)),
    "parent:2": ("parent", 2),
}
NAME_WORDS = ["buy", "cheese", "and", "call", "mom", "garden", "report"]


@given(
    st.lists(st.sampled_from(NAME_WORDS), min_size=1, max_size=5),
    st.lists(st.sampled_from(sorted(ATTRIBUTE_WORDS)), unique=True),
    st.randoms(use_true_random=False),
)
def test_attributes_in_any_order_and_place_give_the_same_fields(
    name: list[str], attributes: list[str], rng: Any
) -> None:
    words = list(name)
    for word in attributes:  # each attribute at a random place; the name keeps its order
        words.insert(rng.randint(0, len(words)), word)
    if "recur:2weeks" in attributes and "due:fri" not in attributes:
        words.append("due:fri")
        attributes = [*attributes, "due:fri"]
    e = parse_entry(words, NOW)
    assert e.name == " ".join(name)
    expected = dict(ATTRIBUTE_WORDS[w] for w in attributes)
    assert fields_of(e) == expected
    assert sorted(t.typed for t in e.taken if t.field != "depends") == sorted(
        w for w in attributes if not w.startswith("depends")
    )
