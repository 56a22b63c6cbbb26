"""core.ai.answer: a model's answer, however wrapped, becomes checked tasks or a clear problem."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.ai.answer import (
    NotAChatCompletion,
    Reply,
    extract_json,
    one_line,
    read_reply,
    tasks_from_answer,
)
from core.ai.proposal import ProposalError, ProposedTask

NOW = datetime(2026, 12, 31, 10, 30, tzinfo=ZoneInfo("Europe/Berlin"))
MILK = {"name": "buy milk", "description": "", "priority": 2, "tags": ["errands"], "due": None}
DRAFT = '```json\n{"tasks": [{"name": "draft"}]}\n```'
REAL = json.dumps({"tasks": [MILK]})


@pytest.mark.parametrize(
    "content",
    [
        f"Here you go:\n```json\n{REAL}\n```\nAnything else?",
        f"<think>A first try:\n{DRAFT}\nNo, tag it.</think>\n```json\n{REAL}\n```",
        f"A first try: {DRAFT} no, tag it.</think>\n{REAL}",  # the opening tag left out
        f"<thinking>{DRAFT}</thinking>{REAL}",
        f"Your tasks [1]: {REAL} Done.",
    ],
    ids=["fenced", "think-block", "think-unopened", "thinking-block", "prose-around"],
)
def test_json_is_found_in_what_models_wrap_it_in(content: str) -> None:
    assert tasks_from_answer(content, NOW) == (ProposedTask("buy milk", tags=("errands",)),)


@pytest.mark.parametrize(
    "content",
    [json.dumps([MILK]), json.dumps(MILK)],
    ids=["a-bare-list", "a-single-task"],
)
def test_an_answer_without_the_tasks_key_is_still_read(content: str) -> None:
    assert tasks_from_answer(content, NOW) == (ProposedTask("buy milk", tags=("errands",)),)


def test_only_the_five_task_fields_survive() -> None:
    content = json.dumps({"tasks": [MILK | {"action": "delete", "ids": [1]}], "delete": "all"})
    (task,) = tasks_from_answer(content, NOW)
    assert type(task) is ProposedTask and task.name == "buy milk"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("Sure! I'd be happy to help.", "no JSON object"),
        ("[1, 2, 3]", "no JSON object"),  # a list that holds no task objects
        ("{}", 'expected a JSON object like {"tasks": [...]}'),
        (json.dumps({"tasks": [MILK | {"priority": 7}]}), "task 1: priority"),
    ],
)
def test_an_unusable_answer_says_what_is_wrong(content: str, problem: str) -> None:
    with pytest.raises(ProposalError, match=problem.replace("[", r"\[").replace("{", r"\{")):
        tasks_from_answer(content, NOW)


def test_the_first_object_after_a_list_of_numbers_is_taken() -> None:
    assert extract_json('see [1] and {"tasks": []}') == {"tasks": []}


def chat_body(message: dict[str, object], finish_reason: str = "stop") -> bytes:
    return json.dumps({"choices": [{"message": message, "finish_reason": finish_reason}]}).encode()


def test_a_reply_carries_content_refusal_and_finish_reason() -> None:
    assert read_reply(chat_body({"content": "hi"})) == Reply("hi", None, "stop")
    assert read_reply(chat_body({"content": None, "refusal": "no"})) == Reply("", "no", "stop")
    assert read_reply(chat_body({}, "length")).finish_reason == "length"


@pytest.mark.parametrize(
    ("body", "described"),
    [
        (b"<!doctype html><html><body>Welcome</body></html>", "an HTML page"),
        (b"{}", "JSON without choices"),
        (b'{"choices": []}', "JSON without choices"),
        (b"  ", "an empty body"),
        (b'{"choices": [', "a body that is not JSON"),
    ],
)
def test_a_body_that_is_not_a_chat_completion_is_described(body: bytes, described: str) -> None:
    with pytest.raises(NotAChatCompletion) as caught:
        read_reply(body)
    assert str(caught.value) == described


def test_one_line_cleans_joins_and_shortens() -> None:
    assert one_line("I can't help with\nthat.\x1b[2J") == "I can't help with that."
    assert one_line("x" * 20, limit=10) == "x" * 9 + "…"
