"""Sync convergence for the reliability table (issue 11): randomized runs over real git.

`make reliability` runs 5 seeds x 80 rounds on 3 machines (plain `pytest`: 1 seed x 40); the
figures (rounds, changes, syncs, conflicts reported, lost) go in the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_sync_cli import GIT_ENV
from tests.integration.test_sync_convergence import MACHINES, converge
from tests.reliability.conftest import Recorder


@pytest.mark.reliability("sync convergence")
def test_machines_converge_with_nothing_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reliability: Recorder, heavy: bool
) -> None:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    seeds, rounds = (range(5), 80) if heavy else (range(1), 40)
    reliability.attempt("sync convergence", len(seeds))
    reliability.measure("sync convergence", "machines", MACHINES)
    for seed in seeds:
        figures = converge(tmp_path / f"run{seed}", 500 + seed, rounds)
        reliability.measure("sync convergence", "rounds", rounds)
        for label, figure in figures.items():
            reliability.measure("sync convergence", label, figure)
        reliability.measure("sync convergence", "lost", 0)
