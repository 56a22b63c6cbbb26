"""A child that runs one transaction and dies right after its Nth file-system step.

    python crash_child.py KIND PATH --count          run it whole; print the steps as JSON
    python crash_child.py KIND PATH --after N --how exit|kill|torn

KIND is `add` (also a first write, a legacy upgrade or a recovery, by what PATH holds), `update`
or `delete`. `exit` calls os._exit, `kill` sends itself SIGKILL, `torn` (a write step only) writes
half the bytes and then exits, like a process killed mid-write. The clock and uuids are fixed so
the parent can compare the state it loads with the whole transaction's exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import uuid

from core.storage.fsops import FileOps
from tests.reliability.scenarios import TRANSACTIONS, run_transaction

CRASH_EXIT = 97
FIXED_NOW = "2030-01-02T03:04:05Z"
FIXED_UUID = uuid.UUID("00000000-0000-4000-8000-00000000c0de")


class CrashingOps(FileOps):
    """Real operations that count every mutating step and die right after step `after`."""

    def __init__(self, after: int | None, how: str) -> None:
        self.after = after
        self.how = how
        self.steps: list[str] = []

    def _step(self, label: str) -> None:
        self.steps.append(label)
        if len(self.steps) == self.after:
            self._die()

    def _die(self) -> None:
        sys.stdout.flush()
        if self.how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(CRASH_EXIT)

    def _tearing(self) -> bool:
        return self.how == "torn" and len(self.steps) + 1 == self.after

    def create(self, path: str) -> int:
        fd = super().create(path)
        self._step(f"create {os.path.basename(path)}")
        return fd

    def write(self, fd: int, data: bytes) -> None:
        if self._tearing():
            super().write(fd, data[: len(data) // 2])
            self._die()
        super().write(fd, data)
        self._step(f"write {len(data)} bytes")

    def fchmod(self, fd: int, mode: int) -> None:
        super().fchmod(fd, mode)
        self._step(f"fchmod {mode:o}")

    def fsync(self, fd: int) -> None:
        super().fsync(fd)
        self._step("fsync")

    def close(self, fd: int) -> None:
        super().close(fd)
        self._step("close")

    def replace(self, src: str, dst: str) -> None:
        super().replace(src, dst)
        self._step(f"replace {os.path.basename(src)} -> {os.path.basename(dst)}")

    def link_or_copy(self, src: str, dst: str) -> None:
        super().link_or_copy(src, dst)
        self._step(f"link {os.path.basename(src)} -> {os.path.basename(dst)}")

    def unlink(self, path: str) -> None:
        super().unlink(path)
        self._step(f"unlink {os.path.basename(path)}")

    def fsync_dir(self, path: str) -> None:
        super().fsync_dir(path)
        self._step("fsync dir")


def fix_clock_and_uuids() -> None:
    """Make the transaction's output the same in every run, so states compare exactly."""
    import core.state  # noqa: F401 (loads every module a transaction uses: journal, series...)

    setattr(uuid, "uuid4", lambda: FIXED_UUID)  # noqa: B010 - patching a stdlib function
    # Every module that took utc_now by name, wherever a helper has moved to.
    for name, module in list(sys.modules.items()):
        if name.startswith("core") and hasattr(module, "utc_now"):
            setattr(module, "utc_now", lambda: FIXED_NOW)  # noqa: B010


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=TRANSACTIONS)
    parser.add_argument("path")
    parser.add_argument("--count", action="store_true")
    parser.add_argument("--after", type=int)
    parser.add_argument("--how", choices=("exit", "kill", "torn"), default="exit")
    args = parser.parse_args()
    fix_clock_and_uuids()
    ops = CrashingOps(None if args.count else args.after, args.how)
    run_transaction(args.kind, args.path, ops)
    print(json.dumps(ops.steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
