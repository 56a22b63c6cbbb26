"""Benchmark: import and export of 10k Taskwarrior tasks, whole process, next to `task import/export`.

Run: `.venv/bin/python bench/bench_interop.py [--tasks 10000] [--runs 3]`. The same tasks (made
here as Taskwarrior JSON: projects, tags, priorities, dues, a note on every tenth) go into a fresh
tasksafe file and a fresh Taskwarrior in each run, interleaved; export reads the imported data.
Prints medians, the ratio and PASS/MISS against the bar (import within 3x Taskwarrior's); exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "main.py")
BAR_RATIO = 3.0


def tasks(count: int) -> str:
    out = []
    for k in range(count):
        t = {
            "uuid": str(uuid.UUID(int=k + 1)),
            "description": f"task number {k}",
            "status": "pending" if k % 5 else "completed",
            "entry": "20261101T090000Z",
            "modified": "20261101T090000Z",
            "project": f"p{k % 20}.sub",
            "tags": ["bench", f"t{k % 7}"],
            "priority": "HML"[k % 3],
        }
        if k % 5 == 0:
            t["end"] = "20261102T090000Z"
        if k % 2:
            t["due"] = f"202612{k % 28 + 1:02d}T120000Z"
        if k % 10 == 0:
            t["annotations"] = [{"entry": "20261101T100000Z", "description": f"note {k}"}]
        out.append(t)
    return json.dumps(out)


def timed(argv: list[str], env: dict[str, str], stdout: int | None = subprocess.DEVNULL) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=stdout, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1e3


def one_run(tmp: Path, source: Path, n: int) -> dict[str, float]:
    run = tmp / f"run{n}"
    run.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKS_", "OPENAI_"))}
    env |= {"PYTHONPATH": str(ROOT), "HOME": str(run), "XDG_STATE_HOME": str(run / "state")}
    rc = run / "taskrc"
    rc.write_text(f"data.location={run / 'tw'}\nconfirmation=off\nhooks=off\nverbose=nothing\n")
    task = [str(shutil.which("task")), f"rc:{rc}"]
    data = str(run / "tasks.json")
    ours = [sys.executable, MAIN, "--file", data]
    return {
        "tasksafe import": timed([*ours, "import", str(source), "--yes"], env),
        "task import": timed([*task, "import", str(source)], env),
        "tasksafe export": timed([*ours, "export", "--to", "taskwarrior"], env),
        "task export": timed([*task, "export"], env),
        "tasksafe export json": timed([*ours, "export"], env),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("task") is None:
        print("SKIP: taskwarrior is not installed (apt-get install taskwarrior)")
        return 0
    with tempfile.TemporaryDirectory(prefix="tasksafe-interop-") as name:
        tmp = Path(name)
        source = tmp / "tw.json"
        source.write_text(tasks(args.tasks))
        runs = [one_run(tmp, source, n) for n in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"{args.tasks} Taskwarrior tasks, whole process, median of {args.runs} interleaved runs:")
    for key, ms in med.items():
        print(f"  {key:22} {ms:8.0f} ms")
    for what in ("import", "export"):
        ratio = med[f"tasksafe {what}"] / med[f"task {what}"]
        print(f"  {what}: tasksafe/Taskwarrior {ratio:.2f}x")
    ratio = med["tasksafe import"] / med["task import"]
    print(f"{'PASS' if ratio <= BAR_RATIO else 'MISS'}: import within {BAR_RATIO}x of task import")
    return 0


if __name__ == "__main__":
    sys.exit(main())
