"""core/storage/history.py: the history file's lines, torn tails, superseded steps and replay."""

from __future__ import annotations

import contextlib
import json
import zlib
from pathlib import Path
from typing import Any

from core.storage.fsops import FileOps
from core.storage.history import Change, History, entry_line, parse, replay

WHO = {"pid": 4242, "host": "laptop", "command": "add milk"}


def rec(task_id: int, name: str, uuid: str | None = None) -> dict[str, Any]:
    return {"id": task_id, "uuid": uuid or f"u{task_id}", "name": name}


def line(step: int, change: Change, next_id: int = 2) -> bytes:
    return entry_line(step, "2026-12-01T12:00:00Z", WHO, change, next_id)


def history(tmp_path: Path) -> History:
    return History(str(tmp_path / "tasks.json.history"), FileOps())


def test_an_entry_reads_back_as_written_after_the_header(tmp_path: Path) -> None:
    h = history(tmp_path)
    h.append(line(1, Change("add", (("u1", None, rec(1, "milk")),))))
    h.append(line(2, Change("undo 1", (("u1", rec(1, "milk"), None),), undoes=1), 2))
    read = h.read()
    assert [(e.step, e.label, e.undoes) for e in read.entries] == [
        (1, "add", None),
        (2, "undo 1", 1),
    ]
    assert read.entries[0].edits == (("u1", None, rec(1, "milk")),)
    assert read.entries[0].who == WHO
    first = Path(h.path).read_bytes().split(b"\n")[0]
    assert json.loads(first) == {"format": "tasksafe-history", "version": 1}


def test_labels_between_reads_the_tail_only_and_says_when_it_cannot_tell(tmp_path: Path) -> None:
    h = history(tmp_path)
    for step, label in ((1, "add"), (2, "sync"), (3, "sync")):
        h.append(line(step, Change(label, (("u1", None, rec(1, "x" * 200)),))))
    assert h.labels_between(1, 3) == ["sync", "sync"]
    assert h.labels_between(0, 3) == ["add", "sync", "sync"]
    assert h.labels_between(1, 3, budget=300) is None  # step 2's line is beyond the budget
    assert h.labels_between(3, 4) is None  # a step the history does not hold


def test_a_torn_last_line_is_ignored_and_the_next_append_starts_a_clean_line(
    tmp_path: Path,
) -> None:
    h = history(tmp_path)
    h.append(line(1, Change("add", (("u1", None, rec(1, "a")),))))
    torn = line(2, Change("add", (("u2", None, rec(2, "b")),)))
    with open(h.path, "ab") as f:
        f.write(torn[: len(torn) // 2])
    read = h.read()
    assert read.torn_tail and [e.step for e in read.entries] == [1]
    h.append(line(2, Change("add", (("u2", None, rec(2, "b")),))))
    read = h.read()
    assert not read.torn_tail
    assert [e.step for e in read.entries] == [1, 2]
    assert read.bad_lines == (3,)  # the torn half, now a line of its own, is named


def test_for_a_step_the_last_line_wins_and_steps_above_the_file_are_not_applied() -> None:
    header = b'{"format":"tasksafe-history","version":1}\n'
    never_landed = line(2, Change("add", (("u2", None, rec(2, "lost in a crash")),)))
    data = header + line(1, Change("add", (("u1", None, rec(1, "a")),))) + never_landed
    data += line(2, Change("add", (("u3", None, rec(2, "the real step 2", "u3")),)))
    data += line(3, Change("edit 2", (("u3", rec(2, "x", "u3"), rec(2, "y", "u3")),)))
    read = parse(data)
    assert [e.label for e in read.entries] == ["add", "add", "edit 2"]
    assert read.entries[1].edits[0][2] == rec(2, "the real step 2", "u3")
    assert [e.step for e in read.applied(2)] == [1, 2]  # step 3's replace never landed


def test_a_file_that_is_not_a_history_is_a_problem_not_a_crash() -> None:
    assert parse(b"hello\nworld\n").problem == "its first line is not a history header"
    assert "newer" in (parse(b'{"format":"tasksafe-history","version":9}\n').problem or "")
    assert parse(b"").entries == ()


def test_replay_applies_each_after_by_uuid_in_step_order() -> None:
    base = [rec(1, "a"), rec(2, "b")]
    entries = parse(
        b'{"format":"tasksafe-history","version":1}\n'
        + line(1, Change("add", (("u3", None, rec(3, "c")),)), 4)
        + line(2, Change("edit 1", (("u1", rec(1, "a"), rec(1, "A")),)), 4)
        + line(3, Change("delete 2", (("u2", rec(2, "b"), None),)), 4)
    ).entries
    records, next_id = replay(base, entries)
    assert records == [rec(1, "A"), rec(3, "c")]
    assert next_id == 4
    assert base == [rec(1, "a"), rec(2, "b")]  # pure


def test_an_unusable_history_is_set_aside_once_and_a_new_one_started(tmp_path: Path) -> None:
    h = history(tmp_path)
    Path(h.path).write_bytes(b"garbage that is not a history\n")
    h.append(line(1, Change("add", (("u1", None, rec(1, "a")),))))
    assert h.set_aside is not None and Path(h.set_aside).read_bytes().startswith(b"garbage")
    assert [e.step for e in h.read().entries] == [1]


def test_compaction_drops_old_steps_by_an_atomic_rewrite_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    h = history(tmp_path)
    for step, at in enumerate(
        ["2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z", "2026-12-01T00:00:00Z"], 1
    ):
        h.append(entry_line(step, at, WHO, Change("add", ((f"u{step}", None, rec(step, "x")),)), 9))
    before = Path(h.path).stat().st_ino
    assert h.compact("2025-12-01T00:00:00Z") == 2
    assert [e.step for e in h.read().entries] == [3]
    assert Path(h.path).stat().st_ino != before  # replaced whole, never edited in place
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert h.compact("2025-12-01T00:00:00Z") == 0


class StopsAfter(FileOps):
    """Real operations that stop (as a crash would) after `steps` of them."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    def _step(self) -> None:
        if self.left == 0:
            raise KeyboardInterrupt("the process died here")
        self.left -= 1

    def create(self, path: str) -> int:
        self._step()
        return super().create(path)

    def write(self, fd: int, data: bytes) -> None:
        self._step()
        super().write(fd, data)

    def fsync(self, fd: int) -> None:
        self._step()
        super().fsync(fd)

    def replace(self, src: str, dst: str) -> None:
        self._step()
        super().replace(src, dst)

    def fsync_dir(self, path: str) -> None:
        self._step()
        super().fsync_dir(path)


def test_a_compaction_stopped_at_any_step_leaves_the_old_or_the_new_history(
    tmp_path: Path,
) -> None:
    ats = ["2025-01-01T00:00:00Z", "2026-12-01T00:00:00Z"]
    build = history(tmp_path)
    for step, at in enumerate(ats, 1):
        build.append(
            entry_line(step, at, WHO, Change("add", ((f"u{step}", None, rec(step, "x")),)), 9)
        )
    old = Path(build.path).read_bytes()
    for steps in range(6):
        Path(build.path).write_bytes(old)
        stopped = History(build.path, StopsAfter(steps))
        with contextlib.suppress(KeyboardInterrupt):
            stopped.compact("2025-12-01T00:00:00Z")
        kept = [e.step for e in History(build.path, FileOps()).read().entries]
        assert kept in ([1, 2], [2]), (steps, kept)
        for temp in tmp_path.glob("*.tmp"):
            temp.unlink()  # what the next save's stale-temp sweep does


def test_last_wrote_is_the_fingerprint_of_the_last_whole_line(tmp_path: Path) -> None:
    from core.storage.history import LAST_WROTE_BUDGET, fingerprint

    h = History(str(tmp_path / "tasks.json.history"), FileOps())
    assert h.last_wrote() is None  # no history yet
    change = Change("add", (("u1", None, {"id": 1, "name": "x"}),))
    h.append(entry_line(1, "2026-12-01T12:00:00Z", WHO, change, 2, wrote=b"first"))
    h.append(entry_line(2, "2026-12-01T12:00:01Z", WHO, change, 3, wrote=b"second"))
    assert h.last_wrote() == fingerprint(b"second") == f"6:{zlib.crc32(b'second'):08x}"
    with open(h.path, "ab") as f:
        f.write(b'{"step": 3, "wrote": "torn')  # an append that never finished: its save failed
    assert h.last_wrote() == fingerprint(b"second")
    h.append(entry_line(3, "2026-12-01T12:00:02Z", WHO, change, 4))  # a step that names none
    assert h.last_wrote() is None
    big = Change("import", (("u2", None, {"id": 2, "name": "y" * LAST_WROTE_BUDGET}),))
    h.append(entry_line(4, "2026-12-01T12:00:03Z", WHO, big, 5, wrote=b"big"))
    assert h.last_wrote() is None  # past the budget: the decode proves it instead
