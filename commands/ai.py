"""The `ai` command: free text to proposed tasks and changes, reviewed before anything is saved.

The model (or the offline parser) only proposes (issues 4, 15); this handler is the only place
its proposal is applied: new tasks and changes to pending tasks (complete, due, priority, tags,
name, note; never a delete), all at once with --yes, else what the REPL's review kept, in one
transaction and one undo step (AppState.apply_proposal).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from commands.registry import Context, arg, command
from commands.results import Message, TasksAdded
from commands.tasks import known_tags

if TYPE_CHECKING:
    from core.ai.proposal import Proposal, ProposedChange, ProposedTask
    from core.model import Task
    from core.state import TaskChange

SAVE_HINT = "nothing saved; pass --yes to add them"
APPLY_HINT = "nothing saved; pass --yes to apply them"
NOTHING_PROPOSED = "nothing to add"


class Chosen(Struct, frozen=True):
    """What the review kept: the fields of each task to add, and the changes to apply."""

    adds: list[dict[str, Any]]
    changes: list[ProposedChange]

    def __bool__(self) -> bool:
        return bool(self.adds or self.changes)


class ChangeMade(Struct, frozen=True):
    """One change applied, for the one line that says so: `5 dentist appointment: due …`."""

    task_id: int
    name: str
    what: str


class ProposalShown(Struct, frozen=True):
    """Proposed tasks shown for review, none saved; `hint` says what saving them takes."""

    proposal: Proposal
    hint: str = SAVE_HINT


class ProposalAdded(TasksAdded, frozen=True):
    """Proposed tasks added and changes made in one transaction; `notes` are what the user has
    not seen yet; `next` the next occurrence of each recurring task completed."""

    notes: tuple[str, ...] = ()
    changed: tuple[ChangeMade, ...] = ()
    next: tuple[Task, ...] = ()


@command(
    "ai",
    "turn free text into new tasks and changes to pending ones (an AI model, or the offline"
    " parser); review before saving",
    arg(
        "text",
        nargs="+",
        metavar="TEXT",
        help='what to do, e.g. "call mom next tue evening p1 and buy milk #errands"',
    ),
    arg(
        "-y",
        "--yes",
        action="store_true",
        help="add every proposed task and apply every proposed change without a review",
    ),
)
def ai(ctx: Context, args: argparse.Namespace) -> Any:
    pending = [t for t in ctx.state.tasks if t.pending]
    proposal = with_duplicates_flagged(ctx, propose(ctx, " ".join(args.text), pending))
    if not proposal.tasks and not proposal.changes:
        return ProposalShown(proposal, NOTHING_PROPOSED)
    if args.yes:
        everything = Chosen([proposed_fields(t) for t in proposal.tasks], list(proposal.changes))
        return _apply(ctx, everything, proposal.notes)
    if ctx.forms is None:  # one-shot or a script: show, save nothing
        return ProposalShown(proposal, APPLY_HINT if proposal.changes else SAVE_HINT)
    chosen = ctx.forms.review_proposal(proposal, known_tags(ctx))
    if not chosen:
        return Message("cancelled; nothing was saved")
    return _apply(ctx, chosen, ())  # the review showed the notes already


def propose(ctx: Context, text: str, pending: Sequence[Task] = ()) -> Proposal:
    """The proposal for text, with a spinner while a model is asked."""
    # core.ai.client is imported here: `add` and `list` should not pay for it.
    from core.ai.client import AIConfig, propose_tasks

    config = AIConfig.from_env(ctx.environ)
    now = ctx.now()
    if not config.enabled:  # the offline parser: instant, no network
        return propose_tasks(text, config, now, pending=pending)
    try:
        with ctx.busy(f"asking {config.source}… (Ctrl-C cancels)") as shown:
            # A spinner that can show progress gets the answer streamed (ui.render.ai.Spinner).
            progress = getattr(shown, "progress", None)
            return propose_tasks(text, config, now, progress=progress, pending=pending)
    except ModuleNotFoundError as exc:
        # Installed without the `ai` extra: one line saying how to add it, in the REPL too.
        from core.version import missing_extra

        extra = missing_extra(exc)
        if extra is None:
            raise
        raise extra from None


def with_duplicates_flagged(ctx: Context, proposal: Proposal) -> Proposal:
    """The proposal with a note for each task that nearly matches a pending one (issue 15)."""
    from msgspec.structs import replace

    from core.ai.combine import near_duplicate_pairs, near_duplicates

    if not proposal.tasks:
        return proposal
    tasks = {t.id: t for t in ctx.state.tasks if t.pending}
    pending = [(t.id, t.name) for t in tasks.values()]
    notes = near_duplicates(proposal.tasks, pending)
    if not notes:
        return proposal
    pairs = tuple((i, tasks[t]) for i, t in near_duplicate_pairs(proposal.tasks, pending))
    return replace(proposal, notes=proposal.notes + notes, duplicates=pairs)


def proposed_fields(task: ProposedTask) -> dict[str, Any]:
    """A proposed task as the fields AppState.add_tasks and the task form take."""
    return {
        "name": task.name,
        "priority": task.priority,
        "tags": list(task.tags),
        "due": task.due,
        "description": task.description,
        **({"project": task.project} if task.project else {}),
    }


def task_change(change: ProposedChange) -> TaskChange:
    """A reviewed change as AppState.apply_proposal takes it, expecting what the review showed."""
    from core.state import TaskChange

    fields: dict[str, Any] = {}
    if change.rename is not None:
        fields["name"] = change.rename
    if change.priority is not None:
        fields["priority"] = change.priority
    if change.due is not None:
        fields["due"] = change.due
    was = change.was
    expect = {k: getattr(was, k) for k in fields} if was is not None else {}
    return TaskChange(
        change.task_id,
        fields,
        complete=change.complete,
        add_tags=change.add_tags,
        remove_tags=change.remove_tags,
        note=change.note,
        expect=expect,
    )


def _apply(ctx: Context, chosen: Chosen, notes: tuple[str, ...]) -> ProposalAdded:
    # One transaction: all or none, and one `undo` step.
    from core.ai.changes import describe_change

    changes = [task_change(c) for c in chosen.changes]
    applied = ctx.state.apply_proposal(chosen.adds, changes, label="ai")
    now = ctx.now()
    made = tuple(ChangeMade(c.task_id, c.name, describe_change(c, now)) for c in chosen.changes)
    return ProposalAdded(applied.added, notes, made, tuple(applied.next.values()))
