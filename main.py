"""tasksafe: `python main.py` starts the interactive task manager; `python main.py COMMAND` runs one."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    from ui.cli import run

    return run(sys.argv[1:] if argv is None else argv, os.environ)


if __name__ == "__main__":
    sys.exit(main())
