"""The command registry shared by the one-shot CLI and the REPL.

Handlers call core and return data (results.py). The command modules are imported when first
needed: `from commands import REGISTRY` (and the other names below) imports them all, while the
one-shot CLI imports only the module of the command it runs (registry.load). A new command
module goes in registry.COMMAND_MODULES.
"""

from __future__ import annotations

from typing import Any

__all__ = ["REGISTRY", "Command", "Context", "build_parser", "dispatch"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'commands' has no attribute {name!r}")
    from commands import registry

    registry.load_all()
    return getattr(registry, name)
