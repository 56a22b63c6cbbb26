"""questionary forms: the task form (add, edit), the edit-conflict choice and the delete confirmation.

questionary is imported when a form opens, not at startup: it costs ~95 ms (design.md).
Every question uses `unsafe_ask`, so Ctrl-C reaches us and cancels the whole form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from prompt_toolkit.completion import WordCompleter
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from core.dates import describe_due, parse_due
from core.model import Task, check_name, is_iso_due
from core.vocabulary import PRIORITY_LABELS, check_tags, clean_text

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


def name_problem(text: str) -> bool | str:
    """questionary validator: True, or why the name is refused."""
    try:
        check_name(text)
    except ValueError as e:
        return str(e)
    return True


def tags_problem(text: str) -> bool | str:
    try:
        check_tags(text.split())
    except ValueError as e:
        return str(e)
    return True


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
        """Name, priority, tags, due, description; prefilled from `initial`; None on Ctrl-C."""
        try:
            return self._ask_task(initial or {}, known_tags)
        except KeyboardInterrupt:
            return None
        finally:
            self.after()

    def _ask_task(self, initial: dict[str, Any], known_tags: list[str]) -> dict[str, Any]:
        import questionary

        name = questionary.text(
            "name", default=initial.get("name", ""), validate=name_problem
        ).unsafe_ask()
        priority = questionary.select(
            "priority",
            choices=[questionary.Choice(f"{p} {n}", value=p) for p, n in PRIORITY_LABELS.items()],
            default=initial.get("priority", 2),
        ).unsafe_ask()
        tags = questionary.text(
            "tags",
            default=" ".join(initial.get("tags", [])),
            instruction="(space between tags; Tab completes)",
            validate=tags_problem,
            completer=WordCompleter(known_tags, WORD=True),
            complete_while_typing=True,
        ).unsafe_ask()
        due = questionary.text(
            "due",
            default=initial.get("due") or "",
            instruction="(tomorrow, fri 9am, in 3 days, 2026-12-01; empty: none)",
            validate=lambda text: self._due_problem(text, initial.get("due")),
            bottom_toolbar=lambda: self._due_preview(initial.get("due")),
        ).unsafe_ask()
        description = questionary.text(
            "description", default=initial.get("description", "")
        ).unsafe_ask()
        return {
            "name": name.strip(),
            "priority": priority,
            "tags": check_tags(tags.split()),
            "due": self._due(due, initial.get("due")),
            "description": description,
        }

    def _due(self, text: str, opened: str | None) -> str | None:
        # The stored value comes back unchanged even when it is past or has seconds.
        if text.strip() == (opened or ""):
            return opened
        return parse_due(text, self.now()) if text.strip() else None

    def _due_preview(self, opened: str | None) -> str:
        """What the due typed so far means, as the user types it."""
        from prompt_toolkit.application import get_app

        text = get_app().current_buffer.text
        try:
            due = self._due(text, opened)
        except ValueError:
            return " not a date yet"
        if due is None:
            return " no due date"
        words, _ = describe_due(due, self.now())
        weekday = date.fromisoformat(due[:10]).strftime("%a")
        return f" due {weekday} {due.replace('T', ' ')} ({words})"

    def _due_problem(self, text: str, opened: str | None) -> bool | str:
        try:
            self._due(text, opened)
        except ValueError as e:
            return str(e)
        return True

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
