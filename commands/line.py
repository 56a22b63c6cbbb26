"""One REPL or script line: split into words the way a shell would, then run as a command."""

from __future__ import annotations

import argparse
import re
from typing import Any

from commands.registry import Context, dispatch

# One shell-style word: runs of plain characters, backslash escapes, '...' and "..." parts.
# Whitespace is shlex's: space, tab, CR, LF (a no-break space stays inside a word).
_WORD = re.compile(r"""(?:[^ \t\r\n'"\\]+|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+""", re.DOTALL)
_PART = re.compile(r"""\\(.)|'([^']*)'|"((?:[^"\\]|\\.)*)"|([^ \t\r\n'"\\]+)""", re.DOTALL)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\([\\"])')


def run_line(line: str, ctx: Context, parser: argparse.ArgumentParser) -> Any:
    """Parse one line as a command and run it; None for a blank line or `-h`."""
    words = split_line(line)
    if not words:
        return None
    try:
        args = parser.parse_args(words)
    except SystemExit:  # `-h` printed its help; argparse errors are UsageError already
        return None
    return dispatch(ctx, args)


def split_line(line: str) -> list[str]:
    """A REPL line as words, as shlex.split would give them, in linear time.

    shlex is quadratic in the length of a word (a quoted 1 MB name took 49 s). An unbalanced
    quote is usually an apostrophe in plain text (`ai call mom's doctor`), so such a line is
    split on whitespace instead.
    """
    if _WORD.sub(" ", line).strip(" \t\r\n"):
        return line.split()  # something did not parse: an unbalanced quote or a lone backslash
    return [_unquote(word) for word in _WORD.findall(line)]


def _unquote(word: str) -> str:
    out = []
    for escaped, single, double, plain in _PART.findall(word):
        if escaped:
            out.append(escaped)
        elif plain:
            out.append(plain)
        elif double:
            out.append(_DOUBLE_QUOTED_ESCAPE.sub(r"\1", double))
        else:
            out.append(single)
    return "".join(out)
