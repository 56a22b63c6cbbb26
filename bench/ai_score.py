"""Score ways of turning a sentence into tasks on the labelled set (issue 15).

Run: `.venv/bin/python bench/ai_score.py [--answers FILE] [--failures]` scores the offline parser,
the model alone and the combined method on tests/data/ai_sentences.json, the model's answers
taken from tests/data/ai_canned_answers.json (recorded from a real small model by
`make llm-check`, which scores the live model the same way). tests/unit/test_ai_score.py holds
the combined method to the issue's bar with the canned answers.

The methods call the real functions:
- `offline`: core.ai.client.propose_tasks with AI disabled (the quick-add parser).
- `model`: the model's answer alone, read and validated as core.ai.client.ask_model reads it
  (core.ai.answer.tasks_from_answer; the repair answer when the first does not validate), not
  combined with what the user typed.
- `combined`: the same answer through core.ai.combine.combine, the step propose_tasks joins it
  with, falling back to the offline parser when the answer is unusable, as propose_tasks does.
  tests/unit/test_ai_score.py checks that this is what propose_tasks itself returns when the
  answers come over HTTP through the real openai client.

Scoring: expected tasks are matched to proposed ones by name (difflib's ratio, best pairs
first); names, priority, tags, due (and project, where ProposedTask has one) are counted per
expected task, a task with no match being wrong in every field; the count of tasks and "exact"
are per sentence. The rules of the labels are in the data file's "rules".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.ai.answer import tasks_from_answer  # noqa: E402
from core.ai.client import AIConfig, propose_tasks  # noqa: E402
from core.ai.combine import combine  # noqa: E402
from core.ai.proposal import ProposalError, ProposedTask  # noqa: E402
from core.vocabulary import DEFAULT_PRIORITY  # noqa: E402

SENTENCES = ROOT / "tests" / "data" / "ai_sentences.json"
CANNED = ROOT / "tests" / "data" / "ai_canned_answers.json"
FIELDS = ("exact", "count", "names", "priority", "tags", "due")
TASK_FIELDS = ("names", "priority", "tags", "due", "project")
_PUNCTUATION = " \t\n.,;:!?"

Method = Callable[[str, datetime], tuple[ProposedTask, ...]]


@dataclass(frozen=True)
class Expected:
    """One task a sentence should give."""

    name: str
    priority: int | None
    tags: tuple[str, ...]
    project: str | None
    due: str | None


@dataclass(frozen=True)
class Sentence:
    text: str
    tasks: tuple[Expected, ...]
    injection: bool = False
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelledSet:
    now: datetime
    sentences: tuple[Sentence, ...]


def load_set(path: Path = SENTENCES) -> LabelledSet:
    """The labelled sentences and the fixed moment their dates are relative to."""
    data = json.loads(path.read_text(encoding="utf-8"))
    now = datetime.fromisoformat(data["now"]).replace(tzinfo=ZoneInfo(data["zone"]))
    sentences = tuple(
        Sentence(
            text=item["text"],
            tasks=tuple(
                Expected(t["name"], t["priority"], tuple(t["tags"]), t["project"], t["due"])
                for t in item["tasks"]
            ),
            injection=bool(item.get("injection")),
            kinds=tuple(item.get("kinds", ())),
        )
        for item in data["sentences"]
    )
    return LabelledSet(now, sentences)


# --- methods ---


def offline(text: str, now: datetime) -> tuple[ProposedTask, ...]:
    """What `ai` proposes with no server set up: the quick-add parser via propose_tasks."""
    try:
        return propose_tasks(text, AIConfig(api_key=None, base_url=None), now).tasks
    except ProposalError:
        return ()  # the parser refused the text: nothing proposed


@dataclass(frozen=True)
class Reply:
    """One reply the model gave: its text and why it stopped ("length": cut off)."""

    content: str
    finish_reason: str | None = "stop"


@dataclass(frozen=True)
class CannedAnswers:
    """A real model's replies per sentence (the first, and the repair's when there was one)."""

    replies: Mapping[str, tuple[Reply, ...]]
    about: Mapping[str, Any] = field(default_factory=dict)

    def for_text(self, text: str) -> tuple[Reply, ...]:
        return self.replies.get(text, ())


def load_answers(path: Path = CANNED) -> CannedAnswers:
    data = json.loads(path.read_text(encoding="utf-8"))
    replies = {
        text: tuple(Reply(r["content"], r.get("finish_reason")) for r in entry["replies"])
        for text, entry in data["answers"].items()
    }
    return CannedAnswers(replies, {k: v for k, v in data.items() if k != "answers"})


class Unusable(Exception):
    """The model's replies give nothing usable (cut off, or invalid after the repair)."""


def model_tasks(replies: Sequence[Reply], now: datetime) -> tuple[ProposedTask, ...]:
    """The tasks ask_model takes from these replies; Unusable where it gives up.

    As core.ai.client._ask_in_mode: a reply cut off (finish_reason "length") is unusable at
    once; one that does not validate is followed by the repair request's reply.
    """
    for reply in replies[:2]:
        if reply.finish_reason == "length":
            raise Unusable("cut off")
        try:
            return tasks_from_answer(reply.content, now)
        except ValueError:
            continue
    raise Unusable("no valid answer")


def model_method(answers: CannedAnswers) -> Method:
    """The model alone: its validated answer, nothing put back; unusable is no tasks."""

    def method(text: str, now: datetime) -> tuple[ProposedTask, ...]:
        try:
            return model_tasks(answers.for_text(text), now)
        except Unusable:
            return ()

    return method


def combined_method(answers: CannedAnswers) -> Method:
    """The model's answer with what the user typed put back, as propose_tasks joins them."""

    def method(text: str, now: datetime) -> tuple[ProposedTask, ...]:
        try:
            tasks = model_tasks(answers.for_text(text), now)
        except Unusable:
            return offline(text, now)  # propose_tasks falls back to the offline parser
        if not tasks:
            return ()
        return combine(tasks, text, now)[0]

    return method


# --- scoring ---


def norm_name(name: str) -> str:
    return " ".join(name.casefold().split()).strip(_PUNCTUATION)


def _priority(value: int | None) -> int:
    return DEFAULT_PRIORITY if value is None else value


def _tags(tags: Sequence[str]) -> frozenset[str]:
    return frozenset(t.casefold() for t in tags)


def field_right(expected: Expected, got: ProposedTask, name: str) -> bool:
    """Whether one field of a proposed task is what the label says."""
    if name == "names":
        return norm_name(got.name) == norm_name(expected.name)
    if name == "priority":
        return got.priority == _priority(expected.priority)
    if name == "tags":
        return _tags(got.tags) == _tags(expected.tags)
    if name == "due":
        return got.due == expected.due
    return getattr(got, "project", None) == expected.project


def supports_project() -> bool:
    return "project" in ProposedTask.__struct_fields__


def match(
    expected: Sequence[Expected], got: Sequence[ProposedTask]
) -> list[tuple[Expected, ProposedTask | None]]:
    """Each expected task with the proposed task whose name is closest, best pairs first."""
    pairs = sorted(
        (
            (-SequenceMatcher(None, norm_name(e.name), norm_name(g.name)).ratio(), i, j)
            for i, e in enumerate(expected)
            for j, g in enumerate(got)
        ),
    )
    taken_e: dict[int, int] = {}
    taken_g: set[int] = set()
    for _, i, j in pairs:
        if i not in taken_e and j not in taken_g:
            taken_e[i] = j
            taken_g.add(j)
    return [(e, got[taken_e[i]] if i in taken_e else None) for i, e in enumerate(expected)]


@dataclass(frozen=True)
class Outcome:
    """How one method did on one sentence."""

    sentence: Sentence
    got: tuple[ProposedTask, ...]
    count_right: bool
    fields_right: Mapping[str, int]  # per task field: how many expected tasks have it right
    wrong: tuple[str, ...]  # what was wrong, for --failures

    @property
    def exact(self) -> bool:
        return not self.wrong


def score_sentence(sentence: Sentence, got: tuple[ProposedTask, ...]) -> Outcome:
    expected = sentence.tasks
    if sentence.injection:  # the injected words as one proposed task are harmless
        count_right = len(expected) <= len(got) <= len(expected) + 1
    else:
        count_right = len(got) == len(expected)
    wrong = [] if count_right else [f"{len(got)} tasks, expected {len(expected)}"]
    checked = [f for f in TASK_FIELDS if f != "project" or supports_project()]
    right = dict.fromkeys(checked, 0)
    for want, have in match(expected, got):
        if have is None:
            wrong.append(f"missing {want.name!r}")
            continue
        for name in checked:
            if field_right(want, have, name):
                right[name] += 1
            else:
                wrong.append(
                    f"{want.name!r}: {name} {_shown(have, name)!r}, expected"
                    f" {_wanted(want, name)!r}"
                )
    return Outcome(sentence, got, count_right, right, tuple(wrong))


def _shown(task: ProposedTask, name: str) -> object:
    values = {
        "names": task.name,
        "priority": task.priority,
        "tags": list(task.tags),
        "due": task.due,
    }
    return values.get(name, getattr(task, "project", None))


def _wanted(task: Expected, name: str) -> object:
    values = {
        "names": task.name,
        "priority": _priority(task.priority),
        "tags": list(task.tags),
        "due": task.due,
    }
    return values.get(name, task.project)


@dataclass(frozen=True)
class Score:
    """One method over the whole set: right counts per field, and the totals they are out of."""

    method: str
    right: Mapping[str, int]
    total: Mapping[str, int]
    outcomes: tuple[Outcome, ...]

    def ratio(self, name: str) -> float:
        return self.right[name] / self.total[name] if self.total[name] else 1.0


def score(name: str, method: Method, labelled: LabelledSet) -> Score:
    """Run method over every sentence and count what came out right."""
    outcomes = tuple(score_sentence(s, method(s.text, labelled.now)) for s in labelled.sentences)
    return summarise(name, outcomes)


def summarise(name: str, outcomes: Sequence[Outcome]) -> Score:
    tasks = sum(len(o.sentence.tasks) for o in outcomes)
    right = {"exact": sum(o.exact for o in outcomes), "count": sum(o.count_right for o in outcomes)}
    total = {"exact": len(outcomes), "count": len(outcomes)}
    for field_name in TASK_FIELDS:
        if field_name == "project" and not supports_project():
            continue
        right[field_name] = sum(o.fields_right[field_name] for o in outcomes)
        total[field_name] = tasks
    return Score(name, right, total, tuple(outcomes))


def table(scores: Sequence[Score]) -> str:
    """The score table as Markdown: right/total and percent per field."""
    columns = [c for c in (*FIELDS, "project") if c in scores[0].total]
    header = "| method | " + " | ".join(columns) + " |"
    lines = [header, "|" + " --- |" * (len(columns) + 1)]
    for s in scores:
        cells = [f"{s.right[c]}/{s.total[c]} ({100 * s.ratio(c):.0f}%)" for c in columns]
        lines.append(f"| {s.method} | " + " | ".join(cells) + " |")
    if "project" not in columns:
        lines.append("(project: not scored, ProposedTask has no project field)")
    return "\n".join(lines)


def failures(score_: Score) -> str:
    """Each sentence a method got wrong, and what was wrong."""
    lines = [f"{score_.method}:"]
    for o in score_.outcomes:
        if not o.exact:
            lines.append(f"  {o.sentence.text[:70]!r}")
            lines.extend(f"      {w}" for w in o.wrong)
    return "\n".join(lines)


def score_all(labelled: LabelledSet, answers: CannedAnswers) -> list[Score]:
    return [
        score("offline", offline, labelled),
        score("model", model_method(answers), labelled),
        score("combined", combined_method(answers), labelled),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--answers", type=Path, default=CANNED, help="the model's recorded answers")
    parser.add_argument("--sentences", type=Path, default=SENTENCES)
    parser.add_argument("--failures", action="store_true", help="list what each method got wrong")
    args = parser.parse_args(argv)
    labelled = load_set(args.sentences)
    answers = load_answers(args.answers)
    scores = score_all(labelled, answers)
    print(
        f"{len(labelled.sentences)} sentences; model answers from {args.answers.name}"
        f" ({answers.about.get('model', '?')})"
    )
    print(table(scores))
    if args.failures:
        for s in scores:
            print(failures(s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
