"""The REPL's forms: the task form (add, edit; one screen, ui/task_form.py), the edit-conflict
choice, the delete confirmation and the review of an `ai` proposal (questionary).

questionary and the task form are imported when a form opens, not at startup: questionary costs
~95 ms (design.md). Every question uses `unsafe_ask`, so Ctrl-C reaches us and cancels the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from core.model import Task, is_iso_due
from core.vocabulary import PRIORITY_LABELS, clean_text

if TYPE_CHECKING:
    from commands.ai import Chosen
    from core.ai.proposal import Proposal

FIELD_ORDER = ("name", "priority", "tags", "due", "description", "comment")


def show_value(field: str, value: Any) -> str:
    """A field's value as one line of text for the conflict prompt."""
    if value is None or value == "" or value == []:
        return "(none)"
    if field == "tags" and isinstance(value, list):
        return " ".join(f"#{t}" for t in value)
    if field == "priority" and value in PRIORITY_LABELS:
        return f"{value} {PRIORITY_LABELS[value]}"
    if field == "due" and isinstance(value, str) and is_iso_due(value):
        return f"{date.fromisoformat(value[:10]):%a} {value.replace('T', ' ')}"
    return clean_text(str(value)).replace("\n", " ⏎ ")


def _short(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class QuestionaryForms:
    """The REPL's implementation of commands.registry.Forms."""

    def __init__(
        self,
        console: Console,
        now: Callable[[], datetime] = datetime.now,
        after: Callable[[], None] = lambda: None,
    ) -> None:
        self.console = console
        self.now = now
        self.after = after  # the REPL reports what other windows did while the form was open

    def task_form(
        self, initial: dict[str, Any] | None, known_tags: list[str]
    ) -> dict[str, Any] | None:
        """Every field on one screen (ui/task_form.py), prefilled from `initial`; None: cancelled."""
        from ui.task_form import TaskForm

        try:
            return TaskForm(initial, known_tags, self.now).run()
        except KeyboardInterrupt:
            return None
        finally:
            self.after()

    def resolve_conflict(
        self, task: Task, mine: dict[str, Any], theirs: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Show both values of each field another window changed; keep mine, theirs, or cancel."""
        self.console.print(
            Text(
                f"task {task.id} was changed in another window while you edited it:", style="yellow"
            )
        )
        self.console.print(conflict_table(mine, theirs))
        try:
            return self._choose(mine, theirs)
        except KeyboardInterrupt:
            return None

    def _choose(self, mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any] | None:
        import questionary

        chosen: dict[str, Any] = {}
        for field in sorted(theirs, key=_field_rank):
            answer = questionary.select(
                f"{field} was changed in another window: which do you keep?",
                choices=[
                    questionary.Choice(
                        f"keep mine:   {_short(show_value(field, mine[field]))}", "mine"
                    ),
                    questionary.Choice(
                        f"keep theirs: {_short(show_value(field, theirs[field]))}", "theirs"
                    ),
                    questionary.Choice("cancel: save nothing", "cancel"),
                ],
            ).unsafe_ask()
            if answer == "cancel":
                return None
            chosen[field] = mine[field] if answer == "mine" else theirs[field]
        return chosen

    def review_proposal(self, proposal: Proposal, known_tags: list[str]) -> Chosen | None:
        """The `ai` command's review of a proposal (ui/ai_review.py), editing with task_form."""
        from ui.ai_review import review_proposal  # the AI modules load only when AI is used

        return review_proposal(proposal, known_tags, self.task_form, self.console, self.now)

    def confirm(self, question: str, tasks: Sequence[Task]) -> bool:
        """Show what would go, then ask; Ctrl-C or Enter alone answers no."""
        import questionary

        from ui.render import render_tasks_to_go

        render_tasks_to_go(self.console, tasks, "tasks")  # to delete, complete or modify
        try:
            return bool(questionary.confirm(question, default=False).unsafe_ask())
        except KeyboardInterrupt:
            return False


def _field_rank(field: str) -> int:
    return FIELD_ORDER.index(field) if field in FIELD_ORDER else len(FIELD_ORDER)


def conflict_table(mine: dict[str, Any], theirs: dict[str, Any]) -> Table:
    """Each conflicting field with this window's value and the other window's."""
    table = Table(box=box.ROUNDED)
    table.add_column("field", style="bold")
    table.add_column("yours", overflow="fold")
    table.add_column("theirs (saved now)", overflow="fold")
    for field in sorted(theirs, key=_field_rank):
        table.add_row(
            field, Text(show_value(field, mine.get(field))), Text(show_value(field, theirs[field]))
        )
    return table
