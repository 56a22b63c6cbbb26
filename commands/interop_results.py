"""What import and export return: plain data that ui/render/interop.py draws."""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import Struct, field
from msgspec.structs import replace

from core.interop.plan import Plan
from core.model import Task


class ImportReport(Struct, frozen=True):
    """The plan (new, updated, unchanged, problems) and what became of it."""

    plan: Plan
    detected: bool
    outcome: str = ""
    applied: bool = False
    added: tuple[Task, ...] = ()
    updated: tuple[Task, ...] = ()
    code: int = 0
    notes: tuple[str, ...] = field(default=())
    shown: bool = False  # the plan was drawn before the question: only the outcome is left

    @property
    def exit_code(self) -> int:
        return self.code

    @property
    def fmt(self) -> str:
        return self.plan.parsed.fmt

    def question(self) -> str:
        """What a confirmation asks: the counts, the format and how it was known."""
        p, how = self.plan, "detected" if self.detected else "as given"
        parts = [f"{len(p.new)} new", f"{len(p.updated)} updated", f"{p.unchanged} unchanged"]
        if p.parsed.problems:
            parts.append(f"{len(p.parsed.problems)} invalid left out")
        if p.parsed.skipped:
            parts.append(f"{len(p.parsed.skipped)} skipped")
        return f"import from {self.fmt} ({how}): {', '.join(parts)}. Import?"

    def shown_before(self) -> ImportReport:
        return replace(self, shown=True)

    def refused(self, outcome: str, code: int) -> ImportReport:
        return replace(self, outcome=outcome, code=code)

    def done(
        self, outcome: str, added: Sequence[Task] = (), updated: Sequence[Task] = ()
    ) -> ImportReport:
        return replace(
            self, outcome=outcome, applied=True, added=tuple(added), updated=tuple(updated)
        )


class Exported(Struct, frozen=True):
    """`count` tasks in `fmt`: `data` for stdout, or written to `path`."""

    count: int
    fmt: str
    path: str | None
    data: bytes
