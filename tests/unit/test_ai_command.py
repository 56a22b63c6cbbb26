"""The `ai` command, its review flow and its rendering.

The review runs on prompt_toolkit's pipe input with DummyOutput (as questionary's own tests do),
the edit step through the REPL's real task form; the data file is real, and so is the HTTP server.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import PipeInput
from rich.console import Console

from commands import Context, build_parser, dispatch
from commands.ai import Chosen, ProposalAdded, ProposalShown
from commands.results import Message
from core.ai import client as core_ai
from core.ai.proposal import Proposal, ProposedChange, ProposedTask
from core.errors import AppError
from core.model import Task
from core.state import AppState, StaleChangeError
from tests.fake_openai_server import (
    FakeOpenAIServer,
    change,
    error,
    openai_server_fixture,  # noqa: F401 (provides the openai_server fixture)
    proposal_answer,
    tasks_answer,
)
from ui.ai_review import review_proposal
from ui.forms import QuestionaryForms
from ui.render import render, spinner
from ui.render.ai import Spinner

ENTER, DOWN, SPACE, CTRL_C, CTRL_U = "\r", "\x1b[B", " ", "\x03", "\x15"
TAB, CTRL_S = "\t", "\x13"
NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday
MOM = ProposedTask("call mom", "about Sunday", 1, ("family",), "2026-12-01T18:00")
MILK = ProposedTask("buy milk", tags=("errands",))
RENT = ProposedTask("pay rent", due="2026-12-01")
PROPOSAL = Proposal((MOM, MILK, RENT), "test-model at http://127.0.0.1/v1", ("a note",))


def fields(task: ProposedTask) -> dict[str, Any]:
    return {
        "name": task.name,
        "priority": task.priority,
        "tags": list(task.tags),
        "due": task.due,
        "description": task.description,
    }


class ReviewForms(QuestionaryForms):
    """The REPL's forms with the delegating method the `Forms` protocol asks for."""

    def review_proposal(self, proposal: Proposal, known_tags: list[str]) -> Chosen | None:
        return review_proposal(proposal, known_tags, self.task_form, self.console, self.now)


@pytest.fixture
def forms(screen: io.StringIO) -> ReviewForms:
    return ReviewForms(Console(file=screen, width=120, color_system=None), lambda: NOW)


@pytest.fixture(autouse=True)
def no_remembered_mode() -> Iterator[None]:
    core_ai.MODES_ACCEPTED.clear()
    yield
    core_ai.MODES_ACCEPTED.clear()


def review(forms: ReviewForms, proposal: Proposal = PROPOSAL) -> list[dict[str, Any]] | None:
    """The new tasks the review keeps (a proposal of new tasks only), or None."""
    chosen = forms.review_proposal(proposal, ["family", "work"])
    assert chosen is None or not chosen.changes
    return None if chosen is None else chosen.adds


def run_ai(ctx: Context, *words: str) -> Any:
    return dispatch(ctx, build_parser("tasksafe", interactive=True).parse_args(["ai", *words]))


def repl_context(path: Path, forms: ReviewForms) -> Context:
    return Context(
        AppState(str(path)), forms.confirm, interactive=True, forms=forms, now=lambda: NOW
    )


# --- the review flow ---


def test_add_all_returns_every_proposed_task(keys: PipeInput, forms: ReviewForms) -> None:
    keys.send_text(ENTER)
    assert review(forms) == [fields(MOM), fields(MILK), fields(RENT)]


def test_the_proposal_is_shown_before_the_question(
    keys: PipeInput, forms: ReviewForms, screen: io.StringIO
) -> None:
    keys.send_text(ENTER)
    review(forms)
    shown = screen.getvalue()
    for text in ("call mom", "#family", "Tue 2026-12-01 18:00", "buy milk", "test-model", "a note"):
        assert text in shown


def test_pick_two_of_three(keys: PipeInput, forms: ReviewForms) -> None:
    keys.send_text(DOWN + ENTER)  # "pick which to add"
    keys.send_text(DOWN + SPACE + ENTER)  # all start checked: uncheck the second
    assert review(forms) == [fields(MOM), fields(RENT)]


def test_picking_none_adds_nothing(keys: PipeInput, forms: ReviewForms) -> None:
    keys.send_text(DOWN + ENTER)
    keys.send_text("i" + ENTER)  # invert: nothing checked
    assert review(forms) is None


def test_edit_one_then_add_all_adds_the_edited_task(
    keys: PipeInput, forms: ReviewForms, screen: io.StringIO
) -> None:
    keys.send_text(DOWN + DOWN + ENTER)  # "edit one first"
    keys.send_text(DOWN + ENTER)  # the second task: buy milk
    keys.send_text(CTRL_U + "buy oat milk" + TAB)  # the task form, prefilled
    keys.send_text(TAB + TAB)  # priority, tags: as proposed
    keys.send_text("tomorrow" + CTRL_S)  # due; the form saves
    keys.send_text(ENTER)  # back at the question: add all
    chosen = review(forms)
    edited = fields(MILK) | {"name": "buy oat milk", "due": "2026-11-26", "comment": ""}
    assert chosen == [fields(MOM), edited, fields(RENT)]
    assert "buy oat milk" in screen.getvalue()  # the table is shown again after the edit


def test_cancelling_the_edit_form_keeps_the_proposed_task(
    keys: PipeInput, forms: ReviewForms
) -> None:
    keys.send_text(DOWN + DOWN + ENTER + ENTER)  # edit the first task
    keys.send_text("x" + CTRL_C)  # cancel the form
    keys.send_text(ENTER)  # add all
    assert review(forms) == [fields(MOM), fields(MILK), fields(RENT)]


def test_cancel_returns_none(keys: PipeInput, forms: ReviewForms) -> None:
    keys.send_text(DOWN + DOWN + DOWN + ENTER)
    assert review(forms) is None


def test_ctrl_c_at_the_question_returns_none(keys: PipeInput, forms: ReviewForms) -> None:
    keys.send_text(CTRL_C)
    assert review(forms) is None


def test_one_proposed_task_is_added_or_edited_without_a_pick_step(
    keys: PipeInput, forms: ReviewForms
) -> None:
    keys.send_text(DOWN + ENTER)  # "edit it first": no "which task?"
    keys.send_text(CTRL_U + "call dad" + CTRL_S)
    keys.send_text(ENTER)  # add it
    chosen = review(forms, Proposal((MOM,), "offline parser"))
    assert chosen == [fields(MOM) | {"name": "call dad", "comment": ""}]


# --- the handler ---


def test_yes_adds_all_in_one_transaction_and_one_undo_step(tasks_path: Path) -> None:
    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW)
    ctx.state.add_task("Existing")
    result = run_ai(ctx, "call mom fri p1 #family; buy milk; pay rent dec 1", "--yes")
    assert isinstance(result, ProposalAdded)
    assert [t.name for t in result.tasks] == ["call mom", "buy milk", "pay rent"]
    assert any("offline parser" in note for note in result.notes)  # never shown otherwise
    assert [t.name for t in AppState(str(tasks_path)).tasks] == [
        "Existing",
        "call mom",
        "buy milk",
        "pay rent",
    ]
    ctx.state.undo()
    assert [t.name for t in AppState(str(tasks_path)).tasks] == ["Existing"]


def test_a_task_much_like_a_pending_one_is_flagged_in_the_notes(tasks_path: Path) -> None:
    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW)
    ctx.state.add_task("Buy milk")
    done = ctx.state.add_task("pay rent")
    ctx.state.complete(done.id)
    result = run_ai(ctx, "buy milk; pay rent")
    assert isinstance(result, ProposalShown)
    (note,) = [n for n in result.proposal.notes if "much like" in n]
    assert "pending task 1 'Buy milk'" in note  # a done task is not pending: not flagged


def test_without_yes_or_forms_nothing_is_saved(tasks_path: Path) -> None:
    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW)
    result = run_ai(ctx, "call mom fri")
    assert isinstance(result, ProposalShown)
    assert [t.name for t in result.proposal.tasks] == ["call mom"]
    assert not tasks_path.exists()


def test_the_repl_adds_what_the_review_picked_in_one_undo_step(
    keys: PipeInput, forms: ReviewForms, tasks_path: Path
) -> None:
    ctx = repl_context(tasks_path, forms)
    keys.send_text(DOWN + ENTER + DOWN + SPACE + ENTER)  # pick: uncheck the second
    result = run_ai(ctx, "call mom fri; buy milk; pay rent")
    assert [t.name for t in result.tasks] == ["call mom", "pay rent"]
    assert [t.name for t in AppState(str(tasks_path)).tasks] == ["call mom", "pay rent"]
    ctx.state.undo()
    assert AppState(str(tasks_path)).tasks == []


def test_the_repl_review_cancelled_writes_nothing(
    keys: PipeInput, forms: ReviewForms, tasks_path: Path
) -> None:
    keys.send_text(CTRL_C)
    result = run_ai(repl_context(tasks_path, forms), "call mom fri; buy milk")
    assert result == Message("cancelled; nothing was saved")
    assert not tasks_path.exists()


def test_the_spinner_runs_exactly_while_the_model_is_asked(
    openai_server: FakeOpenAIServer, tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("TASKS_AI_MODEL", "test-model")
    openai_server.enqueue(tasks_answer(fields(MILK)))
    seen: list[tuple[str, int]] = []

    @contextmanager
    def busy(message: str) -> Iterator[None]:
        seen.append((message, len(openai_server.requests)))
        yield
        seen.append(("done", len(openai_server.requests)))

    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW, busy=busy)
    result = run_ai(ctx, "buy milk")
    assert isinstance(result, ProposalShown)
    (message, before), after = seen
    assert "test-model" in message and before == 0
    assert after == ("done", 1)


def test_a_model_error_is_an_app_error_and_writes_nothing(
    openai_server: FakeOpenAIServer, tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.enqueue(error(404, "The model `nope` does not exist"))
    monkeypatch.setenv("TASKS_AI_MODEL", "nope")
    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW)
    with pytest.raises(AppError, match="'nope' was not found"):
        run_ai(ctx, "buy milk", "--yes")
    assert not tasks_path.exists()


def test_without_the_ai_extra_the_error_is_one_line_naming_the_install(
    tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The REPL showed "unexpected ModuleNotFoundError" here: now an AppError, so one red line.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setitem(sys.modules, "openai", None)  # `import openai` -> ModuleNotFoundError
    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW)
    with pytest.raises(AppError) as caught:
        run_ai(ctx, "buy milk", "--yes")
    message = str(caught.value)
    assert "optional package openai" in message and "tasksafe[ai]" in message
    assert "\n" not in message
    assert not tasks_path.exists()


# --- rendering ---


def draw(result: Any) -> str:
    out = io.StringIO()
    render(result, Console(file=out, width=120, color_system=None))
    return out.getvalue()


def test_model_output_is_shown_literally_never_as_markup() -> None:
    task = ProposedTask("[bold red]pay[/] now", "[link=http://x]click[/link]", tags=("a",))
    shown = draw(ProposalShown(Proposal((task,), "m at [u]url[/u]", ("[red]note[/red]",))))
    for text in ("[bold red]pay[/] now", "[link=http://x]click[/link]", "[u]url[/u]", "[red]note"):
        assert text in shown
    assert "nothing saved; pass --yes to add them" in shown


def test_an_empty_proposal_says_there_is_nothing_to_add(tasks_path: Path) -> None:
    shown = draw(
        ProposalShown(Proposal((), "m at u", ("the model proposed no tasks",)), "nothing to add")
    )
    assert "the model proposed no tasks" in shown and "nothing to add" in shown
    assert "proposed tasks" not in shown  # no empty table


def test_added_tasks_show_unseen_notes_then_each_task(tasks_path: Path) -> None:
    (task,) = AppState(str(tasks_path)).add_tasks([fields(MILK)])
    shown = draw(ProposalAdded([task], ("used the offline parser",)))
    assert shown.splitlines() == ["! used the offline parser", "✓ added 1 buy milk"]


def test_a_proposed_due_in_the_past_is_flagged_in_the_table() -> None:
    past = ProposedTask("dentist", due="2020-01-01")
    future = ProposedTask("renew passport", due="2099-01-01")
    shown = draw(ProposalShown(Proposal((past, future), "offline parser")))
    (past_line,) = [line for line in shown.splitlines() if "dentist" in line]
    (future_line,) = [line for line in shown.splitlines() if "renew passport" in line]
    assert "! past" in past_line and "past" not in future_line


def test_a_spinner_that_shows_progress_gets_the_answer_streamed(
    openai_server: FakeOpenAIServer, tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.enqueue(tasks_answer(fields(MILK)))
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    shown: list[str] = []

    class Watched:
        def __init__(self, live: Spinner) -> None:
            self.live = live

        def progress(self, tokens: int, seconds: float) -> None:
            self.live.progress(tokens, seconds)
            shown.append(str(self.live.status.status))

    @contextmanager
    def busy(message: str) -> Iterator[object]:
        with spinner(console, message) as live:
            assert isinstance(live, Spinner)
            yield Watched(live)

    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW, busy=busy)
    result = run_ai(ctx, "buy milk #errands")
    assert isinstance(result, ProposalShown)
    assert openai_server.requests[0].json["stream"] is True
    assert shown and "(Ctrl-C cancels) · " in shown[-1] and " tokens, " in shown[-1]


def test_without_a_spinner_nothing_is_streamed(
    openai_server: FakeOpenAIServer, tasks_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.enqueue(tasks_answer(fields(MILK)))
    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW)
    run_ai(ctx, "buy milk")
    assert not openai_server.requests[0].json.get("stream")


# --- changes to pending tasks (issue 15) ---

DENTIST = Task(id=5, uuid="u5", name="dentist appointment", due="2026-11-26")
MILK_TASK = Task(id=3, uuid="u3", name="buy milk")
MOVE = ProposedChange(5, "dentist appointment", due="2026-11-27", was=DENTIST)
DONE = ProposedChange(3, "buy milk", complete=True, was=MILK_TASK)
WITH_CHANGES = Proposal((MOM,), "test-model at http://127.0.0.1/v1", (), changes=(MOVE, DONE))


def choose(forms: ReviewForms, proposal: Proposal) -> Chosen | None:
    return forms.review_proposal(proposal, [])


def test_changes_are_shown_as_diff_lines_and_apply_all_keeps_them(
    keys: PipeInput, forms: ReviewForms, screen: io.StringIO
) -> None:
    keys.send_text(ENTER)
    assert choose(forms, WITH_CHANGES) == Chosen([fields(MOM)], [MOVE, DONE])
    shown = screen.getvalue()
    assert "proposed changes" in shown and "call mom" in shown
    assert "5 dentist appointment: due Thu 11-26 → Fri 11-27" in shown
    assert "3 buy milk: done" in shown


def test_pick_toggles_changes_as_it_does_new_tasks(keys: PipeInput, forms: ReviewForms) -> None:
    keys.send_text(DOWN + ENTER)  # "pick which to apply"
    keys.send_text(DOWN + DOWN + SPACE + ENTER)  # uncheck the third: buy milk's done
    assert choose(forms, WITH_CHANGES) == Chosen([fields(MOM)], [MOVE])


def test_cancel_changes_nothing(keys: PipeInput, forms: ReviewForms) -> None:
    keys.send_text(DOWN + DOWN + DOWN + ENTER)  # apply all, pick, edit a new task, cancel
    assert choose(forms, WITH_CHANGES) is None


def test_a_near_duplicate_can_update_the_existing_task_instead(
    keys: PipeInput, forms: ReviewForms, screen: io.StringIO
) -> None:
    twin = ProposedTask("buy milk", priority=1, tags=("errands",), due="2026-11-27")
    proposal = Proposal((twin,), "offline parser", (), duplicates=((0, MILK_TASK),))
    keys.send_text(DOWN + DOWN + ENTER)  # add it, edit it first, update 3 buy milk instead
    keys.send_text(ENTER)  # apply it
    chosen = choose(forms, proposal)
    update = ProposedChange(3, "buy milk", priority=1, due="2026-11-27", add_tags=("errands",))
    assert chosen == Chosen([], [update])
    assert (
        "3 buy milk: due none → Fri 11-27, priority normal → high, +#errands" in screen.getvalue()
    )


def changed_file(path: Path) -> AppState:
    state = AppState(str(path))
    state.add_task("buy milk")
    state.add_task("dentist appointment", due="2026-11-26")
    return state


def test_the_repl_applies_reviewed_changes_from_the_model_in_one_undo_step(
    keys: PipeInput,
    forms: ReviewForms,
    tasks_path: Path,
    openai_server: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    changed_file(tasks_path)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    openai_server.enqueue(
        proposal_answer(
            tasks=(fields(MOM),),
            changes=(change(1, complete=True), change(2, due="2026-11-27", due_text="friday")),
        )
    )
    ctx = repl_context(tasks_path, forms)
    before = [t.raw for t in ctx.state.tasks]
    keys.send_text(ENTER)  # apply all 3
    result = run_ai(ctx, "I bought the milk, move the dentist to friday, call mom")
    assert isinstance(result, ProposalAdded)
    assert [t.name for t in result.tasks] == ["call mom"]
    assert [(m.task_id, m.what) for m in result.changed] == [
        (1, "done"),
        (2, "due Thu 11-26 → Fri 11-27"),
    ]
    after = {t.id: t for t in AppState(str(tasks_path)).tasks}
    assert (after[1].status, after[2].due, after[3].name) == ("done", "2026-11-27", "call mom")
    ctx.state.undo()
    # `modified` is bookkeeping: an undo a second later stamps its own (core.undo.BOOKKEEPING).
    assert without_modified(AppState(str(tasks_path)).tasks) == without_modified_records(before)


def test_yes_applies_the_changes_read_offline(tasks_path: Path) -> None:
    changed_file(tasks_path)
    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW)
    result = run_ai(ctx, "I bought the milk and move the dentist to friday", "--yes")
    assert isinstance(result, ProposalAdded) and result.tasks == []
    assert [m.task_id for m in result.changed] == [1, 2]
    after = {t.id: t for t in AppState(str(tasks_path)).tasks}
    assert (after[1].status, after[2].due) == ("done", "2026-11-27")


def test_without_yes_changes_are_shown_and_nothing_is_saved(tasks_path: Path) -> None:
    changed_file(tasks_path)
    before = tasks_path.read_bytes()
    ctx = Context(AppState(str(tasks_path)), lambda q, t: False, now=lambda: NOW)
    result = run_ai(ctx, "done milk")
    assert isinstance(result, ProposalShown)
    assert result.hint == "nothing saved; pass --yes to apply them"
    console = Console(file=io.StringIO(), width=100, color_system=None)
    render(result, console)
    assert "1 buy milk: done" in console.file.getvalue()  # type: ignore[attr-defined]
    assert tasks_path.read_bytes() == before


def test_a_task_changed_in_another_window_meanwhile_refuses_the_whole_proposal(
    keys: PipeInput, forms: ReviewForms, tasks_path: Path
) -> None:
    changed_file(tasks_path)
    ctx = repl_context(tasks_path, forms)

    def elsewhere(initial: Any, known: list[str]) -> Any:
        AppState(str(tasks_path)).complete(2)  # while the review is open
        return initial

    forms.task_form = elsewhere  # type: ignore[method-assign]
    keys.send_text(DOWN + DOWN + ENTER + ENTER)  # edit the new task (another window acts)
    with pytest.raises(StaleChangeError, match=r"task 2 \(dentist appointment\) was completed"):
        run_ai(ctx, "done milk; move dentist to fri; call mom")
    tasks = AppState(str(tasks_path)).tasks
    assert [(t.name, t.status, t.due) for t in tasks] == [
        ("buy milk", "pending", None),  # nothing of the proposal was applied
        ("dentist appointment", "done", "2026-11-26"),  # what the other window did
    ]


def without_modified_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "modified"} for r in records]


def without_modified(tasks: list[Task]) -> list[dict[str, Any]]:
    return without_modified_records([t.raw for t in tasks])
