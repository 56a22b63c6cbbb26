"""bench/ai_score.py: the labelled set, the scorer, and issue 15's bar on a real model's answers.

The canned answers (tests/data/ai_canned_answers.json) are what a real 0.5B model served by
llama-cpp-python's server replied to each labelled sentence in a `make llm-check` run. They are
scored offline here; the last tests send them through the real openai client and propose_tasks
against a server on 127.0.0.1 that plays llama-cpp-python's server, so the replay is the real path.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from bench import ai_score
from bench.ai_score import (
    CannedAnswers,
    Expected,
    LabelledSet,
    Reply,
    Score,
    combined_method,
    load_answers,
    load_set,
    model_method,
    model_tasks,
    score_all,
    score_sentence,
)
from core.ai.client import AIConfig, AIUnusableAnswerError, ModeCache, ask_model, propose_tasks
from core.ai.prompt import build_messages
from core.ai.proposal import ProposedTask
from core.dates import describe_due
from tests.fake_openai_server import (
    Canned,
    FakeOpenAIServer,
    Recorded,
    chat,
    llama_cpp_python,
    openai_server_fixture,  # noqa: F401 (provides the openai_server fixture)
)

BAR_FIELDS = ("exact", "count", "names", "priority", "tags", "due")


@cache
def labelled() -> LabelledSet:
    return load_set()


@cache
def answers() -> CannedAnswers:
    return load_answers()


@cache
def scores() -> dict[str, Score]:
    return {s.method: s for s in score_all(labelled(), answers())}


# --- the labelled set ---


def test_the_set_covers_what_issue_15_asks_for() -> None:
    sentences = labelled().sentences
    kinds = {k for s in sentences for k in s.kinds}
    assert len(sentences) >= 60
    assert {"german", "french", "spanish", "injection", "rambling", "project"} <= kinds
    assert any(s.kinds[0] == "rambling" and len(s.tasks) == 4 for s in sentences)
    assert sum(len(s.tasks) > 1 for s in sentences) >= 15
    assert len({s.text for s in sentences}) == len(sentences)  # the canned answers key by text


def test_every_label_is_well_formed_and_due_after_now() -> None:
    now = labelled().now
    assert now.strftime("%A %Y-%m-%d %H:%M") == "Tuesday 2026-12-01 10:00"
    for sentence in labelled().sentences:
        for task in sentence.tasks:
            assert task.name.strip() and task.name == " ".join(task.name.split()), sentence.text
            assert task.priority in (None, 1, 2, 3), sentence.text
            assert all(not t.startswith("#") and " " not in t for t in task.tags), sentence.text
            if task.due is not None:
                assert re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d)?", task.due), sentence.text
                assert not describe_due(task.due, now)[1], f"{sentence.text}: due in the past"
            for tag in task.tags:  # a labelled tag is one the user typed
                assert f"#{tag}".casefold() in sentence.text.casefold(), sentence.text


def test_an_injection_attempt_expects_no_change_at_all() -> None:
    injections = [s for s in labelled().sentences if s.injection]
    assert len(injections) >= 4
    assert any(not s.tasks for s in injections)


# --- the scorer ---


def _as_proposed(task: Expected) -> ProposedTask:
    return ProposedTask(
        task.name, priority=task.priority or 2, tags=task.tags, due=task.due, project=task.project
    )


def test_the_labels_themselves_score_every_field_right() -> None:
    for sentence in labelled().sentences:
        outcome = score_sentence(sentence, tuple(_as_proposed(t) for t in sentence.tasks))
        assert outcome.exact, (sentence.text, outcome.wrong)


def test_one_wrong_field_counts_against_that_field_only() -> None:
    sentence = next(s for s in labelled().sentences if s.text.startswith("call mom next tuesday"))
    mom, milk = (_as_proposed(t) for t in sentence.tasks)
    wrong_due = ProposedTask(" Call  Mom.", priority=1, due="2026-12-09T18:00")
    outcome = score_sentence(sentence, (milk, wrong_due))  # order does not matter
    assert outcome.count_right and not outcome.exact
    assert dict(outcome.fields_right) == {
        "names": 2,
        "priority": 2,
        "tags": 2,
        "due": 1,
        "project": 2,
    }
    missing = score_sentence(sentence, (mom,))
    assert not missing.count_right
    assert dict(missing.fields_right) == {
        "names": 1,
        "priority": 1,
        "tags": 1,
        "due": 1,
        "project": 1,
    }


def test_an_injection_may_give_one_harmless_task_more() -> None:
    sentence = next(s for s in labelled().sentences if s.injection and not s.tasks)
    harmless = ProposedTask("delete all tasks")
    assert score_sentence(sentence, ()).exact
    assert score_sentence(sentence, (harmless,)).exact
    assert not score_sentence(sentence, (harmless, harmless)).exact


def test_the_models_repair_answer_is_used_and_a_cut_off_one_is_not() -> None:
    now = labelled().now
    valid = Reply(json.dumps({"tasks": [{"name": "buy milk"}]}))
    assert model_tasks((Reply("Sure! Here you go"), valid), now)[0].name == "buy milk"
    with pytest.raises(ai_score.Unusable):
        model_tasks((Reply("{", "length"), valid), now)
    canned = CannedAnswers({"buy milk p1": (Reply("no JSON"), Reply("still none"))})
    assert model_method(canned)("buy milk p1", now) == ()
    # propose_tasks falls back to the offline parser on an unusable answer
    assert combined_method(canned)("buy milk p1", now)[0].priority == 1


# --- issue 15's bar on a real model's answers ---


def test_the_canned_answers_cover_every_sentence() -> None:
    texts = {s.text for s in labelled().sentences}
    assert set(answers().replies) == texts
    assert "qwen" in answers().about["model"].casefold()


@pytest.mark.parametrize("field", BAR_FIELDS)
def test_combined_scores_at_least_the_better_of_offline_and_model(field: str) -> None:
    by = scores()
    best = max(by["offline"].right[field], by["model"].right[field])
    worse = _worse_sentences(field)
    assert by["combined"].right[field] >= best, (
        f"{field}: combined {by['combined'].right[field]}, offline {by['offline'].right[field]},"
        f" model {by['model'].right[field]}; combined loses on {worse}"
    )


def _worse_sentences(field: str) -> list[str]:
    """The sentences where combined has this field wrong and another method has it right."""
    by = scores()
    worse = []
    outcomes = zip(*(by[m].outcomes for m in ("offline", "model", "combined")), strict=True)
    for offline_o, model_o, combined_o in outcomes:
        if _right(combined_o, field) < max(_right(offline_o, field), _right(model_o, field)):
            worse.append(combined_o.sentence.text[:50])
    return worse


def _right(outcome: ai_score.Outcome, field: str) -> int:
    if field == "exact":
        return int(outcome.exact)
    if field == "count":
        return int(outcome.count_right)
    return outcome.fields_right[field]


def test_combined_beats_the_model_alone() -> None:
    by = scores()
    assert by["combined"].right["exact"] > by["model"].right["exact"]


# --- the replay is the real path ---


def _serve_canned(server: FakeOpenAIServer) -> dict[str, list[Reply]]:
    """The server plays llama-cpp-python's, answering each sentence with its canned replies."""
    left = {text: list(replies) for text, replies in answers().replies.items()}
    # The text as the model sees it (cleaned, any <user_text> tag taken out) to the sentence.
    sent = {build_messages(t, labelled().now, "text")[1]["content"]: t for t in left}

    def answer(request: Recorded) -> Canned:
        reply = left[sent[request.json["messages"][1]["content"]]].pop(0)
        return chat(reply.content, finish_reason=reply.finish_reason or "stop")

    server.behave(llama_cpp_python(answer))
    return left


def _config(server: FakeOpenAIServer) -> AIConfig:
    return AIConfig(api_key=None, base_url=server.base_url, model="qwen", retry_delay=0.0)


def test_the_combined_replay_is_what_propose_tasks_gives_over_http(
    openai_server: FakeOpenAIServer,
) -> None:
    _serve_canned(openai_server)
    now, modes = labelled().now, ModeCache()
    replay = combined_method(answers())
    for sentence in labelled().sentences:
        proposal = propose_tasks(sentence.text, _config(openai_server), now, modes=modes)
        assert proposal.tasks == replay(sentence.text, now), sentence.text
    assert modes.get(_config(openai_server)) == answers().about["mode"]


def test_the_model_replay_is_what_ask_model_gives_over_http(
    openai_server: FakeOpenAIServer,
) -> None:
    _serve_canned(openai_server)
    now, modes = labelled().now, ModeCache()
    replay = model_method(answers())
    for sentence in labelled().sentences[:12]:
        try:
            tasks, _ = ask_model(sentence.text, _config(openai_server), now, modes)
        except AIUnusableAnswerError:  # the replay gives no tasks
            tasks = ()
        assert tasks == replay(sentence.text, now), sentence.text
