"""What the maintenance commands return: plain data that ui/render/admin.py draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct, field

from core.errors import EXIT_ERROR, EXIT_OK

if TYPE_CHECKING:  # only annotations: `add` must not pay for importing doctor and salvage
    from datetime import date

    from core.maintenance.backups import BackupFile
    from core.maintenance.doctor import Diagnosis
    from core.maintenance.salvage import Candidate
    from core.model import Task


class Replayed(Struct, frozen=True):
    """An undo or redo: the change's label and how many tasks it put back."""

    label: str
    tasks: int
    redo: bool = False


class BackupList(Struct, frozen=True):
    path: str
    copies: list[BackupFile]
    now: float  # time.time() when listed, for ages


class Restored(Struct, frozen=True):
    backup: BackupFile
    brought_back: int  # tasks the current file lacked
    removed: int  # tasks not in the backup (still in the new `.backup`)
    changed: int  # tasks in both, with different fields
    task_count: int  # valid tasks in the file now
    kept_as: str  # where the pre-restore version is kept


class RestoredAt(Struct, frozen=True):
    """`restore --at`: the file as it was after `step`, rebuilt from the history."""

    step: int
    brought_back: int
    removed: int
    changed: int
    task_count: int


class DoctorReport(Struct, frozen=True):
    """The checks; `exit_code` (results.HasExitCode) is 1 when a problem was found."""

    diagnosis: Diagnosis

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.diagnosis.healthy else EXIT_ERROR


class SalvageReport(Struct, frozen=True):
    """What `doctor --salvage` found in a damaged file, and what it added."""

    source: str
    found: int  # distinct tasks in the damaged file
    present: int  # of those, already in the current file
    candidates: list[Candidate]  # those the current file lacked
    added: list[Task] = field(default_factory=list)  # what was saved, under their new ids
    declined: bool = False  # the user said no: nothing was saved


class Stats(Struct, frozen=True):
    """Counts for `stats`: each list holds (label, count) in display order."""

    total: int
    by_status: list[tuple[str, int]]
    by_priority: list[tuple[str, int]]
    by_tag: list[tuple[str, int]]
    other_tags: int  # tags beyond the ones listed
    by_project: list[tuple[str, int]]  # pending tasks; a project counts its sub-projects'
    other_projects: int  # projects beyond the ones listed
    completed_per_day: list[tuple[date, int]]  # the last two weeks, oldest first
