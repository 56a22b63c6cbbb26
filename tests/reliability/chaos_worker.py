"""A writer for the chaos test: adds tasks through AppState until it is killed.

    python chaos_worker.py PATH WORKER

Prints `id uuid name` for each task only after add_task returned, i.e. once it is durable:
every printed line is an acknowledged task the file must keep.
"""

from __future__ import annotations

import sys

from core.state import AppState


def main() -> int:
    path, worker = sys.argv[1], sys.argv[2]
    state = AppState(path, lock_timeout=120)
    for seq in range(1, 1_000_000):
        task = state.add_task(f"{worker}-{seq}")
        print(task.id, task.uuid, task.name, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
