"""core.vocabulary: each word means one thing, whether typed into `add`, quick-add or a model."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.vocabulary import (
    MAX_TAG,
    PRIORITY_LABELS,
    check_tag,
    check_tags,
    clean_text,
    inline_tag,
    parse_priority,
    priority_marker,
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
