"""The task form of `add` and `edit ID`: one inline screen with every field, not a row of questions.

Built from prompt_toolkit's layout (rows of a label and a field, a Save and a Cancel button) and
run as a non-full-screen Application, so the screen the user was reading stays where it was.
Tab and Shift-Tab move between fields, Up and Down too where the cursor cannot go further; Enter
moves on and saves on the last field; Save, Ctrl-S save; Esc and Ctrl-C cancel. Save checks each
field with the rules of every other entry path (core.model.check_name, core.vocabulary.check_tags,
core.dates.parse_due) and, when one is refused, stays open with the reason under that field and
the focus on it. A field left as it was shown gives back the value it was opened with, so an
untouched edit form is "nothing changed" even for a past due or a name the checks would clean.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from prompt_toolkit.application import Application, get_app
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition, completion_is_selected, has_completions
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.layout import (
    ConditionalContainer,
    Float,
    FloatContainer,
    FormattedTextControl,
    HSplit,
    Layout,
    VSplit,
    Window,
)
from prompt_toolkit.layout.containers import AnyContainer, Container
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.layout.menus import CompletionsMenu
from prompt_toolkit.styles import Style
from prompt_toolkit.widgets import Button, TextArea

from core.dates import parse_due
from core.model import check_name
from core.vocabulary import DEFAULT_PRIORITY, PRIORITY_LABELS, check_tags, tag_key
from ui.rows import due_cell

TEXT_FIELDS = ("name", "tags", "due", "description", "comment")
FIELDS = ("name", "priority", "tags", "due", "description", "comment")
MULTILINE = ("description", "comment")  # a stored description may hold new lines: all are shown
LABEL_WIDTH = len("description") + 3  # "› description "
HINT = "Tab ⇧Tab · Ctrl-S save · Esc cancel"
DUE_EXAMPLES = "e.g. tomorrow, fri 9am"  # fits the 36 columns a field has at 50

STYLE = Style.from_dict(
    {
        "title": "bold",
        "label.focused": "bold",
        "field": "underline",
        "hint": "fg:ansibrightblack",
        "preview": "fg:ansicyan",
        "overdue": "fg:ansired bold",
        "error": "fg:ansired",
        "choice.selected": "reverse",
        "button.focused": "reverse",
    }
)


def shown_due(value: str | None) -> str:
    """A stored due as the user would type it: `2026-12-04 09:00`, not an ISO `T`."""
    return "" if not value else value.replace("T", " ", 1)


def due_label(value: str, now: datetime) -> tuple[str, bool]:
    """`Fri 12-04 09:00 · in 9 days` (the year too when it is not this one), and if overdue: the
    task table's due cell (ui/rows.py), so the preview reads as the list will."""
    cell = due_cell(value, now)
    return cell.long, cell.overdue


class TagCompleter(Completer):
    """Known tags that start with the word being typed; none for an empty word or a typed tag."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = list(known)

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        word = document.get_word_before_cursor(WORD=True)
        stem = tag_key(word.removeprefix("#"))
        if not stem:
            return
        typed = {tag_key(w.removeprefix("#")) for w in document.text.split()}
        for tag in self.known:
            key = tag_key(tag)
            if key.startswith(stem) and key != stem and key not in typed:
                yield Completion(tag, start_position=-len(word))


class PriorityChoice:
    """`[1 high]  2 normal  3 low` on one line: keys 1, 2, 3 or Left and Right choose."""

    def __init__(self, value: int) -> None:
        self.value = value if value in PRIORITY_LABELS else DEFAULT_PRIORITY
        keys = KeyBindings()
        for number in PRIORITY_LABELS:
            keys.add(str(number))(lambda _e, n=number: self._set(n))
        keys.add("left")(lambda _e: self._step(-1))
        keys.add("right")(lambda _e: self._step(1))
        self.control = FormattedTextControl(
            self._fragments, key_bindings=keys, focusable=True, show_cursor=False
        )
        self.window = Window(self.control, height=1, dont_extend_height=True)

    def _set(self, number: int) -> None:
        self.value = number

    def _step(self, by: int) -> None:
        order = list(PRIORITY_LABELS)
        index = min(max(order.index(self.value) + by, 0), len(order) - 1)
        self.value = order[index]

    def _fragments(self) -> StyleAndTextTuples:
        out: StyleAndTextTuples = []
        for number, label in PRIORITY_LABELS.items():
            chosen = number == self.value
            style = "class:choice.selected" if chosen else "class:choice"
            out += [(style, f"[{number} {label}]" if chosen else f" {number} {label} "), ("", " ")]
        return out

    def __pt_container__(self) -> Container:
        return self.window


class TaskForm:
    """One task's fields on one screen; `run()` gives the fields, or None when cancelled."""

    def __init__(
        self,
        initial: Mapping[str, Any] | None,
        known_tags: Iterable[str],
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.initial = dict(initial or {})
        self.now = now
        self.errors: dict[str, str] = {}
        self.tried = False  # Save was pressed: reasons show, and follow the typing from then on
        self.shown = {
            "name": str(self.initial.get("name", "")),
            "tags": " ".join(self.initial.get("tags", [])),
            "due": shown_due(self.initial.get("due")),
            "description": str(self.initial.get("description", "")),
            "comment": str(self.initial.get("comment", "")),
        }
        self.priority = PriorityChoice(int(self.initial.get("priority", DEFAULT_PRIORITY)))
        self.areas = {field: self._area(field, known_tags) for field in TEXT_FIELDS}
        self.widgets: dict[str, Any] = {**self.areas, "priority": self.priority}
        self.order: list[Any] = []  # what Tab goes through: the fields, then Save and Cancel
        self.app: Application[dict[str, Any] | None] = Application(
            layout=Layout(self._layout(), focused_element=self.areas["name"]),
            key_bindings=self._keys(),
            style=STYLE,
            full_screen=False,  # inline: what the user was reading stays on the screen
            erase_when_done=True,  # the command's result says what was saved
            mouse_support=False,
        )

    def run(self) -> dict[str, Any] | None:
        return self.app.run()

    # --- reading the fields ---

    def read(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The fields as they would be saved, and the reason for each field that is refused."""
        fields: dict[str, Any] = {"priority": self.priority.value}
        errors: dict[str, str] = {}
        for field in TEXT_FIELDS:
            try:
                fields[field] = self._value(field)
            except ValueError as e:
                errors[field] = str(e)
        return {k: fields[k] for k in FIELDS if k in fields}, errors

    def _value(self, field: str) -> Any:
        """One field's value; ValueError says why it is refused."""
        text = self.areas[field].text
        if field in self.initial and text.strip() == self.shown[field].strip():
            return self.initial[field]  # as opened: kept even when past, or not as checks make it
        if field == "name":
            return check_name(text).strip()
        if field == "tags":
            return check_tags(text.split())
        if field == "due":
            return parse_due(text, self.now()) if text.strip() else None
        return text

    # --- what the keys do ---

    def save(self) -> None:
        fields, self.errors = self.read()
        self.tried = True
        if not self.errors:
            self.app.exit(result=fields)
            return
        first = next(f for f in FIELDS if f in self.errors)
        self.app.layout.focus(self.widgets[first])

    def cancel(self) -> None:
        self.app.exit(result=None)

    def _recheck(self, _buffer: object) -> None:
        if self.tried:  # after a refused Save, a fixed field's reason goes as the user types
            self.errors = self.read()[1]

    def _move(self, by: int) -> None:
        layout = self.app.layout
        if layout.current_buffer is not None:
            layout.current_buffer.complete_state = None  # the menu belongs to the field left
        # Our own order, not layout.focus_next(): that one knows only the windows drawn so far,
        # and keys typed ahead (a paste, fast fingers) arrive before the first drawing.
        here = next((i for i, w in enumerate(self.order) if layout.has_focus(w)), 0)
        layout.focus(self.order[(here + by) % len(self.order)])

    def _on_last_field(self) -> bool:
        return self.app.layout.has_focus(self.areas[FIELDS[-1]])

    def _may_leave(self, down: bool) -> bool:
        """Up/Down move between fields unless the cursor can still move within a field."""
        buffer = self.app.layout.current_buffer
        if buffer is None or not buffer.multiline():
            return True
        doc = buffer.document
        return doc.cursor_position_row == (doc.line_count - 1 if down else 0)

    def _keys(self) -> KeyBindings:
        keys = KeyBindings()
        keys.add("tab")(lambda _e: self._move(1))
        keys.add("s-tab")(lambda _e: self._move(-1))
        leave_down = Condition(lambda: self._may_leave(True)) & ~has_completions
        leave_up = Condition(lambda: self._may_leave(False)) & ~has_completions
        keys.add("down", filter=leave_down)(lambda _e: self._move(1))
        keys.add("up", filter=leave_up)(lambda _e: self._move(-1))

        @keys.add("enter")
        def _next_or_save(_event: KeyPressEvent) -> None:
            self.save() if self._on_last_field() else self._move(1)

        @keys.add("enter", filter=has_completions & completion_is_selected)
        def _take_completion(event: KeyPressEvent) -> None:
            event.current_buffer.complete_state = None  # the chosen tag is already in the text

        keys.add("c-s")(lambda _e: self.save())
        keys.add("c-c")(lambda _e: self.cancel())
        # Eager: Esc alone cancels at once, without waiting to see if it starts an Alt key.
        keys.add("escape", eager=True)(lambda _e: self.cancel())
        return keys

    # --- the screen ---

    def _area(self, field: str, known_tags: Iterable[str]) -> TextArea:
        multiline = field in MULTILINE
        area = TextArea(
            text=self.shown[field],
            multiline=multiline,
            height=Dimension(min=1, max=3) if multiline else 1,
            dont_extend_height=True,  # as many lines as the text holds, up to 3
            wrap_lines=multiline,
            completer=TagCompleter(known_tags) if field == "tags" else None,
            complete_while_typing=field == "tags",
            style="class:field",
        )
        area.buffer.cursor_position = len(area.text)  # at the end, as a prompt with a default
        area.buffer.on_text_changed += self._recheck
        return area

    def _layout(self) -> Container:
        title = "edit task" if self.initial else "new task"
        rows: list[Container] = [
            Window(
                FormattedTextControl([("class:title", title), ("class:hint", f"  {HINT}")]),
                wrap_lines=True,
                dont_extend_height=True,
            )
        ]
        for field in FIELDS:
            rows.append(VSplit([self._label(field), self.widgets[field]]))
            rows.append(self._note(field))
        save = Button("Save", handler=self.save, width=10)
        cancel = Button("Cancel", handler=self.cancel, width=10)
        self.order = [*(self.widgets[f] for f in FIELDS), save, cancel]
        spaces: list[AnyContainer] = [Window(width=LABEL_WIDTH), save, Window(width=2), cancel]
        rows.append(VSplit(spaces, height=1))
        body = HSplit(rows)
        menu = Float(xcursor=True, ycursor=True, content=CompletionsMenu(max_height=4))
        return FloatContainer(content=body, floats=[menu])

    def _label(self, field: str) -> Window:
        def text() -> StyleAndTextTuples:
            if get_app().layout.has_focus(self.widgets[field]):
                return [("class:label.focused", f"› {field}")]
            return [("class:label", f"  {field}")]

        return Window(FormattedTextControl(text), width=LABEL_WIDTH, dont_extend_width=True)

    def _note(self, field: str) -> Container:
        """The line under a field: its reason when refused; under due, what it means as typed."""
        line = Window(
            FormattedTextControl(lambda: self._note_text(field)),
            wrap_lines=True,
            dont_extend_height=True,
        )
        shown = Condition(lambda: field == "due" or field in self.errors)
        return ConditionalContainer(VSplit([Window(width=LABEL_WIDTH), line]), filter=shown)

    def _note_text(self, field: str) -> StyleAndTextTuples:
        if field in self.errors:
            width = max(get_app().output.get_size().columns - LABEL_WIDTH - 1, 20)
            return [("class:error", textwrap.fill(self.errors[field], width))]  # whole words
        if field != "due":
            return []
        return self._due_preview()

    def _due_preview(self) -> StyleAndTextTuples:
        """What the due typed so far means, updated as the user types."""
        text = self.areas["due"].text
        if not text.strip():
            return [("class:hint", f"no due date · {DUE_EXAMPLES}")]
        try:
            due = self._value("due")
        except ValueError:
            return [("class:hint", "not a date yet")]
        if due is None:
            return [("class:hint", "no due date")]
        label, overdue = due_label(due, self.now())
        return [("class:overdue" if overdue else "class:preview", label)]
