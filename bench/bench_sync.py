"""Benchmark: `sync` between two machines at 1k and 10k tasks with 100 changes on each side.

Run: `.venv/bin/python bench/bench_sync.py [--sizes 1000,10000]`. Real git (a bare remote in a
temporary directory, two clones), in process: the whole sync (fetch, read, merge, one
transaction, commit, push) and the in-memory merge alone, side by side. The bar (issue 11): the
merge is O(tasks) and a sync at 10k well under a second. Prints PASS/MISS and always exits 0.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.state import AppState  # noqa: E402
from core.sync.merge import merge  # noqa: E402
from core.sync.run import sync  # noqa: E402

SYNC_BAR = 1.0  # seconds, at 10k
CHANGES = 100
ROUNDS = 3


def change(state: AppState, rng: random.Random, tag: str) -> None:
    """100 changed tasks: 10 renamed (one step each), 90 tagged in one step."""
    ids = rng.sample([t.id for t in state.tasks], CHANGES)
    for i in ids[:10]:
        state.update_task(i, name=f"{tag} {i}")
    state.modify_many(ids[10:], {}, add_tags=[tag])


def run(size: int, root: Path) -> tuple[float, float]:
    remote = root / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    (root / "a").mkdir()
    (root / "b").mkdir()
    a, b = AppState(root / "a" / "tasks.json"), AppState(root / "b" / "tasks.json")
    a.add_tasks([{"name": f"task {i}"} for i in range(size)])
    sync(a, str(remote))
    sync(b, str(remote))
    rng = random.Random(size)
    syncs, merges = [], []
    for n in range(ROUNDS):
        change(a, rng, f"a{n}")
        change(b, rng, f"b{n}")
        sync(a)
        base = list(b.snapshot.doc.records)
        change(b, rng, f"c{n}")
        start = time.perf_counter()
        merge(base, b.snapshot.doc.records, a.snapshot.doc.records, size + 1)
        merges.append(time.perf_counter() - start)
        start = time.perf_counter()
        sync(b)
        syncs.append(time.perf_counter() - start)
    return statistics.median(syncs), statistics.median(merges)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    os.environ.update(
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
    )
    print(f"sync, {CHANGES} changes on each side, median of {ROUNDS}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            whole, merged = run(size, Path(tmp))
        verdict = "PASS" if size < 10_000 or whole < SYNC_BAR else "MISS"
        print(
            f"  {size:>6} tasks: sync {whole * 1000:7.1f} ms, merge alone {merged * 1000:6.1f} ms"
            f"  {verdict} (bar at 10k: sync < {SYNC_BAR:.0f} s)"
        )


if __name__ == "__main__":
    main()
