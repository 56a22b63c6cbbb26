"""The program's own options: ui/cli.py accepts them before or after any command; completion
and the man page list them from here. Also the options several commands share."""

from __future__ import annotations

from commands.registry import arg

GLOBAL_OPTIONS = (
    arg(
        "--file",
        metavar="PATH",
        help="the data file (default: $TASKS_FILE, else ./tasks.json if there is one, "
        "else the per-user list)",
    ),
    arg(
        "--lock-timeout",
        type=float,
        metavar="SECONDS",
        help="how long to wait for another window's lock (default 5)",
    ),
)
VERSION_OPTION = arg("--version", action="store_true", help="print the version and exit")
# list, next, search: a screenful's hint names the same command with it (issue 13), the rest of
# these rows and no others (`--all` would add done tasks).
EVERY = arg(
    "--every",
    action="store_true",
    help="every matching row, not one screenful (through $PAGER on a terminal); unlike --all,"
    " adds no done tasks",
)
