"""The REPL's review of an `ai` proposal: add all, pick which, edit one (the task form), or cancel.

Nothing is saved here: the review returns the fields of the tasks to add and the `ai` handler adds
them in one transaction. Ctrl-C anywhere cancels the whole review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console

from commands.ai import proposed_fields
from core.ai.proposal import Proposal
from core.vocabulary import clean_text
from ui.render import proposal_source, proposal_table

TaskForm = Callable[[dict[str, Any] | None, list[str]], dict[str, Any] | None]
Draft = dict[str, Any]
ADD_ALL, PICK, EDIT, CANCEL = "add all", "pick", "edit", "cancel"
LABEL_WIDTH = 60


def review_proposal(
    proposal: Proposal,
    known_tags: list[str],
    task_form: TaskForm,
    console: Console | None = None,
    now: Callable[[], datetime] = datetime.now,
) -> list[Draft] | None:
    """Show the proposal and ask what to add; the fields of each task to add, or None."""
    drafts = [proposed_fields(t) for t in proposal.tasks]
    if console is not None:
        console.print(proposal_table(drafts, now()))
        console.print(proposal_source(proposal))
    try:
        return _review(drafts, known_tags, task_form, console, now)
    except KeyboardInterrupt:
        return None


def _review(
    drafts: list[Draft],
    known_tags: list[str],
    task_form: TaskForm,
    console: Console | None,
    now: Callable[[], datetime],
) -> list[Draft] | None:
    """Ask until the user adds, picks or cancels; an edit goes back to the question."""
    while True:
        action = _ask_action(len(drafts))
        if action == ADD_ALL:
            return drafts
        if action == PICK:
            return _pick(drafts) or None
        if action == CANCEL:
            return None
        index = _which(drafts)
        edited = task_form(dict(drafts[index]), known_tags)
        if edited is not None:  # the form cancelled: the proposed task stays as it was
            drafts[index] = edited
        if console is not None:
            console.print(proposal_table(drafts, now()))


def _ask_action(count: int) -> str:
    import questionary

    many = count > 1
    choices = [
        questionary.Choice(f"add all {count}" if many else "add it", ADD_ALL),
        *([questionary.Choice("pick which to add", PICK)] if many else []),
        questionary.Choice("edit one first" if many else "edit it first", EDIT),
        questionary.Choice("cancel: add nothing", CANCEL),
    ]
    answer: str = questionary.select("add these tasks?", choices=choices).unsafe_ask()
    return answer


def _pick(drafts: Sequence[Draft]) -> list[Draft]:
    """The drafts the user leaves checked (all are, to start with)."""
    import questionary

    choices = [questionary.Choice(_label(i, d), i, checked=True) for i, d in enumerate(drafts)]
    picked: list[int] = questionary.checkbox(
        "which tasks?", choices=choices, instruction="(space toggles, enter adds the checked ones)"
    ).unsafe_ask()
    return [drafts[i] for i in sorted(picked)]


def _which(drafts: Sequence[Draft]) -> int:
    if len(drafts) == 1:
        return 0
    import questionary

    choices = [questionary.Choice(_label(i, d), i) for i, d in enumerate(drafts)]
    index: int = questionary.select("edit which task?", choices=choices).unsafe_ask()
    return index


def _label(index: int, draft: Draft) -> str:
    # A plain str title: questionary shows it as text, never as markup or formatting.
    name = " ".join(clean_text(str(draft["name"])).split())
    label = f"{index + 1}. {name}"
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"
