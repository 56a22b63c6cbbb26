"""Recovery loses nothing (issue 10): after N saves the data file is cut at every offset of its
last write, and the newest backup plus the history's later steps bring back every acknowledged
task, each cut counted as one unit of the table's "recovery with replay" row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.events import Event, Recovered
from core.state import AppState
from tests.reliability.conftest import Recorder

ROW = "recovery with replay"
SAVES = 6


@pytest.mark.reliability(ROW)
def test_a_file_cut_anywhere_in_its_last_write_loses_no_acknowledged_task(
    tmp_path: Path, reliability: Recorder, heavy: bool
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    state = AppState(source / "tasks.json", backup_count=1)
    acknowledged = [state.add_task(f"task {n}", tags=["replay"]).uuid for n in range(SAVES)]
    state.update_task(1, name="renamed last")  # the last write is an edit, not only an add
    last = (source / "tasks.json").read_bytes()
    cuts = range(0, len(last) - 1, 1 if heavy else 5)
    reliability.attempt(ROW, len(cuts))
    replayed, bad = 0, []
    for cut in cuts:
        case = tmp_path / f"cut-{cut}"
        shutil.copytree(source, case)
        (case / "tasks.json").write_bytes(last[:cut])
        events: list[Event] = []
        recovered = AppState(case / "tasks.json", on_event=events.append)
        try:
            tasks = {t.uuid: t for t in recovered.tasks}
            ok = set(acknowledged) <= set(tasks) and tasks[acknowledged[0]].name == "renamed last"
        except Exception:  # any failure to load is this unit failing
            ok = False
        if not ok:
            reliability.fail(ROW)
            bad.append(cut)
        replayed += sum(e.replayed for e in events if isinstance(e, Recovered))
    reliability.measure("recovery with replay", "cuts", len(cuts))
    reliability.measure("recovery with replay", "steps replayed", replayed)
    reliability.measure("recovery with replay", "cuts that lost a change", len(bad))
    assert not bad, f"cuts at {bad[:10]} of {len(last)} bytes lost an acknowledged change"
    assert replayed >= len(cuts) - 1  # every damaged cut needed the history (the empty one too)
