"""The `ai` command: free text to proposed tasks, reviewed before anything is saved (issue 4).

The model (or the offline parser) only proposes; this handler is the only place its proposal can
become tasks, and it can only add new ones: all at once with --yes, else after the REPL's review.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from commands.registry import Context, arg, command
from commands.results import Message, TasksAdded
from commands.tasks import known_tags

if TYPE_CHECKING:
    from core.ai.proposal import Proposal, ProposedTask

SAVE_HINT = "nothing saved; pass --yes to add them"
NOTHING_PROPOSED = "nothing to add"


class ProposalShown(Struct, frozen=True):
    """Proposed tasks shown for review, none saved; `hint` says what saving them takes."""

    proposal: Proposal
    hint: str = SAVE_HINT


class ProposalAdded(TasksAdded, frozen=True):
    """Proposed tasks added in one transaction; `notes` are what the user has not seen yet."""

    notes: tuple[str, ...] = ()


@command(
    "ai",
    "turn free text into tasks (an AI model, or the offline parser); review before saving",
    arg(
        "text",
        nargs="+",
        metavar="TEXT",
        help='what to do, e.g. "call mom next tue evening p1 and buy milk #errands"',
    ),
    arg("-y", "--yes", action="store_true", help="add every proposed task without a review"),
)
def ai(ctx: Context, args: argparse.Namespace) -> Any:
    proposal = with_duplicates_flagged(ctx, propose(ctx, " ".join(args.text)))
    if not proposal.tasks:
        return ProposalShown(proposal, NOTHING_PROPOSED)
    if args.yes:
        return _add(ctx, [proposed_fields(t) for t in proposal.tasks], proposal.notes)
    if ctx.forms is None:  # one-shot or a script: show, save nothing
        return ProposalShown(proposal)
    chosen = ctx.forms.review_proposal(proposal, known_tags(ctx))
    if not chosen:
        return Message("cancelled; nothing was saved")
    return _add(ctx, chosen, ())  # the review showed the notes already


def propose(ctx: Context, text: str) -> Proposal:
    """The proposal for text, with a spinner while a model is asked."""
    # core.ai.client is imported here: `add` and `list` should not pay for it.
    from core.ai.client import AIConfig, propose_tasks

    config = AIConfig.from_env(ctx.environ)
    now = ctx.now()
    if not config.enabled:
        return propose_tasks(text, config, now)  # the offline parser: instant, no network
    try:
        with ctx.busy(f"asking {config.source}… (Ctrl-C cancels)") as shown:
            # A spinner that can show progress gets the answer streamed (ui.render.ai.Spinner).
            progress = getattr(shown, "progress", None)
            return propose_tasks(text, config, now, progress=progress)
    except ModuleNotFoundError as exc:
        # Installed without the `ai` extra: one line saying how to add it, in the REPL too.
        from core.version import missing_extra

        extra = missing_extra(exc)
        if extra is None:
            raise
        raise extra from None


def with_duplicates_flagged(ctx: Context, proposal: Proposal) -> Proposal:
    """The proposal with a note for each task that nearly matches a pending one (issue 15)."""
    from dataclasses import replace

    from core.ai.combine import near_duplicates

    if not proposal.tasks:
        return proposal
    pending = [(t.id, t.name) for t in ctx.state.tasks if t.pending]
    notes = near_duplicates(proposal.tasks, pending)
    return replace(proposal, notes=proposal.notes + notes) if notes else proposal


def proposed_fields(task: ProposedTask) -> dict[str, Any]:
    """A proposed task as the fields AppState.add_tasks and the task form take."""
    return {
        "name": task.name,
        "priority": task.priority,
        "tags": list(task.tags),
        "due": task.due,
        "description": task.description,
    }


def _add(ctx: Context, items: list[dict[str, Any]], notes: tuple[str, ...]) -> ProposalAdded:
    # One transaction: all or none, and one `undo` step.
    return ProposalAdded(ctx.state.add_tasks(items, label="ai"), notes)
