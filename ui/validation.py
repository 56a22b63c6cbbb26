"""Checks a REPL line before Enter is accepted: a known command, balanced quotes."""

from __future__ import annotations

import difflib

from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError, Validator

from commands.line import split_line
from commands.registry import REGISTRY


def problem(text: str) -> str | None:
    """Why this line cannot run, or None when it can (blank lines and `#` comments can)."""
    line = text.strip()
    if not line or line.startswith("#"):
        return None
    words = split_line(line)
    if not words or words[0] in REGISTRY:
        return None
    close = difflib.get_close_matches(words[0], list(REGISTRY), n=1)
    hint = (
        f"did you mean `{close[0]}`?" if close else "Tab shows the commands, `help` explains them"
    )
    return f"unknown command {words[0]!r}: {hint}"


class CommandValidator(Validator):
    """Keeps an unknown command in the prompt, with the reason, instead of running it."""

    def validate(self, document: Document) -> None:
        message = problem(document.text)
        if message is not None:
            raise ValidationError(cursor_position=len(document.text), message=message)
