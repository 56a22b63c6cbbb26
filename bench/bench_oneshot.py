"""Benchmark: a whole one-shot `python main.py --file X add NAME` at 1k tasks, next to bare Python.

Run: `make bench` or `.venv/bin/python bench/bench_oneshot.py [--runs 20] [--tasks 1000]`.
Prints PASS/MISS for the bar and always exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.model import new_record  # noqa: E402
from core.storage.document import Document, encode  # noqa: E402

BAR_MS = 120.0
MAIN = str(ROOT / "main.py")


def seed(path: Path, count: int) -> None:
    # Ids given directly: Document.allocate_id scans every id, quadratic over a whole seed.
    records = [new_record(k, f"task number {k}", tags=["bench"]) for k in range(1, count + 1)]
    path.write_bytes(encode(Document(records=records, next_id=count + 1)))


def clean_env() -> dict[str, str]:
    """The caller's environment without tasksafe settings, so only --file decides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKS_", "OPENAI_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def median_ms(argv: list[str], runs: int, cwd: Path, env: dict[str, str]) -> float:
    """Median wall time of a whole process, after one warm-up run."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="tasksafe-oneshot-") as tmp:
        cwd = Path(tmp)  # no .env here: the figures are not skewed by python-dotenv
        data = cwd / "tasks.json"
        seed(data, args.tasks)
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ('python -c "import json"', [sys.executable, "-c", "import json"]),
            (f"main.py add ({args.tasks} tasks)", [sys.executable, MAIN, "--file", str(data), "add", "x"]),
        ]  # fmt: skip
        print(f"whole process, median of {args.runs} runs ({os.cpu_count()} CPUs)")
        results = {label: median_ms(argv, args.runs, cwd, env) for label, argv in rows}
        for label, ms in results.items():
            print(f"  {label:<28} {ms:7.1f} ms")
        add_ms = results[rows[-1][0]]
        print(f"bar: add <= {BAR_MS:.0f} ms: {'PASS' if add_ms <= BAR_MS else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
