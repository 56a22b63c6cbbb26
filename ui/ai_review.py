"""The REPL's review of an `ai` proposal: apply all, pick which, edit a new task, update an existing
task instead of adding its near duplicate, or cancel.

Nothing is saved here: the review returns what to add and which changes to apply, and the `ai`
handler applies them in one transaction (issue 15). Every change is shown as a diff line
(`5 dentist appointment: due Wed 12-02 → Fri 12-04`). Ctrl-C anywhere cancels the whole review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from msgspec import Struct
from msgspec.structs import replace
from rich.console import Console

from commands.ai import Chosen, proposed_fields
from core.ai.changes import describe_change, update_instead
from core.ai.proposal import Proposal, ProposedChange
from core.model import Task
from core.vocabulary import clean_text
from ui.render import change_lines, proposal_source, proposal_table

TaskForm = Callable[[dict[str, Any] | None, list[str]], dict[str, Any] | None]
Draft = dict[str, Any]
ADD_ALL, PICK, EDIT, CANCEL, INSTEAD = "add all", "pick", "edit", "cancel", "instead "
LABEL_WIDTH = 60


class _Review(Struct):
    """What is on the table: new tasks (each with the pending task it nearly matches) and changes."""

    drafts: list[Draft]
    twins: list[Task | None]
    changes: list[ProposedChange]

    @classmethod
    def of(cls, proposal: Proposal) -> _Review:
        twins: list[Task | None] = [None] * len(proposal.tasks)
        for index, task in proposal.duplicates:
            twins[index] = task
        drafts = [proposed_fields(t) for t in proposal.tasks]
        return cls(drafts, twins, list(proposal.changes))

    def update_instead(self, index: int) -> None:
        """Turn new task `index` into a change of the pending task it nearly matches."""
        draft, twin = self.drafts.pop(index), self.twins.pop(index)
        assert twin is not None
        change = update_instead(draft, twin)
        at = next((i for i, c in enumerate(self.changes) if c.task_id == twin.id), None)
        if at is None:
            self.changes.append(change)
            return
        have = self.changes[at]  # the task has a change already: the new task's fields join it
        self.changes[at] = replace(
            have,
            due=change.due or have.due,
            priority=change.priority or have.priority,
            add_tags=have.add_tags + tuple(t for t in change.add_tags if t not in have.add_tags),
            note=have.note or change.note,
        )


def review_proposal(
    proposal: Proposal,
    known_tags: list[str],
    task_form: TaskForm,
    console: Console | None = None,
    now: Callable[[], datetime] = datetime.now,
) -> Chosen | None:
    """Show the proposal and ask what to apply: the tasks to add and changes to make, or None."""
    review = _Review.of(proposal)
    if console is not None:
        _show(review, console, now())
        console.print(proposal_source(proposal))
    try:
        return _review(review, known_tags, task_form, console, now)
    except KeyboardInterrupt:
        return None


def _show(review: _Review, console: Console, now: datetime) -> None:
    if review.drafts:
        console.print(proposal_table(review.drafts, now))
    if review.changes:
        console.print(change_lines(review.changes, now))


def _review(
    review: _Review,
    known_tags: list[str],
    task_form: TaskForm,
    console: Console | None,
    now: Callable[[], datetime],
) -> Chosen | None:
    """Ask until the user applies, picks or cancels; an edit or an update goes back to the question."""
    while True:
        action = _ask_action(review, now())
        if action == ADD_ALL:
            return Chosen(review.drafts, review.changes)
        if action == PICK:
            return _pick(review, now()) or None
        if action == CANCEL:
            return None
        if action.startswith(INSTEAD):
            review.update_instead(int(action.removeprefix(INSTEAD)))
        else:
            index = _which(review.drafts)
            # The form has no project field: a typed project stays on the edited draft.
            before = review.drafts[index]
            edited = task_form(dict(before), known_tags)
            if edited is not None and before.get("project"):
                edited = {"project": before["project"], **edited}
            if edited is not None:  # the form cancelled: the proposed task stays as it was
                review.drafts[index] = edited
        if console is not None:
            _show(review, console, now())


def _ask_action(review: _Review, now: datetime) -> str:
    import questionary

    adds, changes = len(review.drafts), len(review.changes)
    count = adds + changes
    many, verb = count > 1, "apply" if changes else "add"
    choices = [
        questionary.Choice(f"{verb} all {count}" if many else f"{verb} it", ADD_ALL),
        *([questionary.Choice(f"pick which to {verb}", PICK)] if many else []),
        *([questionary.Choice(_edit_label(adds, changes), EDIT)] if adds else []),
        *_instead_choices(review),
        questionary.Choice("cancel: change nothing" if changes else "cancel: add nothing", CANCEL),
    ]
    answer: str = questionary.select(_question(adds, changes), choices=choices).unsafe_ask()
    return answer


def _question(adds: int, changes: int) -> str:
    if not changes:
        return "add these tasks?"
    return "apply these changes?" if not adds else "add these tasks and apply these changes?"


def _edit_label(adds: int, changes: int) -> str:
    if changes:
        return "edit a new task first"
    return "edit one first" if adds > 1 else "edit it first"


def _instead_choices(review: _Review) -> list[Any]:
    """ "update 5 buy milk instead of adding 2": a near duplicate becomes a change of its twin."""
    import questionary

    choices = []
    for index, twin in enumerate(review.twins):
        if twin is not None:
            which = "it" if len(review.drafts) == 1 else str(index + 1)
            title = _short(f"update {twin.id} {_clean(twin.name)} instead of adding {which}")
            choices.append(questionary.Choice(title, f"{INSTEAD}{index}"))
    return choices


def _pick(review: _Review, now: datetime) -> Chosen:
    """What the user leaves checked (all is, to start with): new tasks first, then changes."""
    import questionary

    adds = len(review.drafts)
    new = "add " if review.changes else ""  # beside changes, say which lines are new tasks
    choices = [
        questionary.Choice(_short(new + _label(i, d)), i, checked=True)
        for i, d in enumerate(review.drafts)
    ]
    choices += [
        questionary.Choice(_change_label(c, now), adds + i, checked=True)
        for i, c in enumerate(review.changes)
    ]
    verb = "applies" if review.changes else "adds"
    picked: list[int] = questionary.checkbox(
        "which?" if review.changes else "which tasks?",
        choices=choices,
        instruction=f"(space toggles, enter {verb} the checked ones)",
    ).unsafe_ask()
    return Chosen(
        [review.drafts[i] for i in sorted(picked) if i < adds],
        [review.changes[i - adds] for i in sorted(picked) if i >= adds],
    )


def _which(drafts: Sequence[Draft]) -> int:
    if len(drafts) == 1:
        return 0
    import questionary

    choices = [questionary.Choice(_label(i, d), i) for i, d in enumerate(drafts)]
    index: int = questionary.select("edit which task?", choices=choices).unsafe_ask()
    return index


def _label(index: int, draft: Draft) -> str:
    # A plain str title: questionary shows it as text, never as markup or formatting.
    return _short(f"{index + 1}. {_clean(str(draft['name']))}")


def _change_label(change: ProposedChange, now: datetime) -> str:
    what = describe_change(change, now)
    return _short(f"change {change.task_id} {_clean(change.name)}: {what}")


def _clean(text: str) -> str:
    return " ".join(clean_text(text).split())


def _short(label: str) -> str:
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"
