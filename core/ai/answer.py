"""Reading a model's answer: the chat completion body, the JSON in its text, the tasks it proposes.

Decisions (issue 4):
- The answer is read as data: every mode's answer goes through the same checks
  (core.ai.proposal), and only the five task fields survive validate_proposed, whatever else
  the JSON holds ("action": "delete", "tool_calls", ...). A tag that breaks the tag rule is
  left out rather than failing the answer (issue 15).
- The JSON is dug out of what models wrap it in (think-blocks, code fences, prose): plain text
  mode has nothing else, and some servers do it in the structured modes too.
- The body is read raw, not through the SDK: its parsing of a body that is not an OpenAI answer
  (HTML, `{}`) fails with AttributeError or TypeError; read_reply says what the body was instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from msgspec import Struct

from core.ai.proposal import (
    ProposalError,
    ProposedChange,
    ProposedTask,
    validate_changes,
    validate_proposed,
)
from core.model import Task
from core.vocabulary import check_tag, clean_text

_THINK_END = re.compile(r"</(think|thinking|reasoning)>", re.IGNORECASE)
_FENCE = re.compile(r"```[\w-]*[ \t]*\n?(.*?)```", re.DOTALL)
MAX_JSON_STARTS = 50  # a long prose answer full of brackets should not cost a decode each


class NotAChatCompletion(Exception):
    """The body is not an OpenAI chat completion; the message says what it was instead."""


class Reply(Struct, frozen=True):
    """What the first choice of a chat completion says: its text, a refusal, why it stopped."""

    content: str
    refusal: str | None = None
    finish_reason: str | None = None
    model: str | None = None  # the model the server says it served


def read_reply(body: bytes) -> Reply:
    """The first choice in a chat completion body; NotAChatCompletion when there is none."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    choice = _first_choice(data)
    if choice is None:
        raise NotAChatCompletion(_describe_body(body, data))
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    content, refusal = message.get("content"), message.get("refusal")
    reason, model = choice.get("finish_reason"), data.get("model")
    return Reply(
        content=content if isinstance(content, str) else "",
        refusal=str(refusal) if refusal else None,
        finish_reason=reason if isinstance(reason, str) else None,
        model=one_line(model, 100) or None if isinstance(model, str) else None,
    )


class Answer(Struct, frozen=True):
    """What a model's answer proposes: new tasks, changes to pending ones, notes on what was
    dropped, and the model the server says it served."""

    tasks: tuple[ProposedTask, ...]
    changes: tuple[ProposedChange, ...] = ()
    notes: tuple[str, ...] = ()
    served: str | None = None


def tasks_from_answer(content: str, now: datetime) -> tuple[ProposedTask, ...]:
    """The validated tasks in a model's answer; ValueError says what is wrong with it."""
    return _tasks_of(extract_json(content), now)


def answer_from_content(content: str, now: datetime, shown: Mapping[int, Task]) -> Answer:
    """New tasks (ValueError if they are wrong: a repair is asked) and changes to the tasks in
    `shown` (each bad one dropped with a note) in a model's answer."""
    data = extract_json(content)
    raw = data.get("changes") if isinstance(data, dict) else None
    if raw is not None and "tasks" not in data:
        tasks: tuple[ProposedTask, ...] = ()
    else:
        tasks = _tasks_of(data, now)
    changes, notes = validate_changes(raw, shown, now)
    return Answer(tasks, changes, notes)


def _tasks_of(data: Any, now: datetime) -> tuple[ProposedTask, ...]:
    if isinstance(data, dict) and isinstance(data.get("tasks"), list):
        items = data["tasks"]
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict) and "name" in data:
        items = [data]
    else:
        raise ProposalError('expected a JSON object like {"tasks": [...]}', "tasks")
    return validate_proposed([_without_bad_tags(item) for item in items], now)


def _without_bad_tags(item: Any) -> Any:
    """A task without the tags that break the tag rule: a typed #tag never does (issue 15).

    A 0.5B model invented tags like "dry cleaning" for 8 of 73 labelled sentences; failing the
    whole answer for one cost a repair request (30 s on a CPU), then the answer itself, and the
    offline parser could not read the 4-task paragraph the model had split right. Such a tag
    is not one the user typed, so core.ai.combine would leave it out anyway.
    """
    if not isinstance(item, dict) or not isinstance(item.get("tags"), list):
        return item
    return {**item, "tags": [t for t in item["tags"] if not isinstance(t, str) or _tag_ok(t)]}


def _tag_ok(tag: str) -> bool:
    try:
        check_tag(tag)
    except ValueError:
        return False
    return True


def extract_json(text: str) -> Any:
    """The first JSON object (or list of objects) in text, past think-blocks, fences and prose."""
    # Reasoning comes before the answer; some servers drop the opening tag, so cut at the last
    # closing one rather than matching pairs.
    closings = list(_THINK_END.finditer(text))
    if closings:
        text = text[closings[-1].end() :]
    fence = _FENCE.search(text)
    if fence:
        text = fence.group(1)
    decoder = json.JSONDecoder()
    for start in [m.start() for m in re.finditer(r"[{\[]", text)][:MAX_JSON_STARTS]:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict) or (value and all(isinstance(v, dict) for v in value)):
            return value
    raise ProposalError("the answer holds no JSON object", "tasks")


def one_line(value: object, limit: int = 300) -> str:
    """Text from a server or model as one clean line a user can read."""
    line = " ".join(clean_text(str(value)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _first_choice(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        return None
    choices = data["choices"]
    return choices[0] if choices and isinstance(choices[0], dict) else None


def _describe_body(body: bytes, data: Any) -> str:
    if not body.strip():
        return "an empty body"
    if body.lstrip()[:1] == b"<":
        return "an HTML page"
    return "JSON without choices" if data is not None else "a body that is not JSON"
