"""The version, in one place: pyproject.toml reads it (`dynamic = ["version"]`), `--version` prints it.

A constant rather than importlib.metadata: that import alone costs ~85 ms of a one-shot command,
and a checkout run as `python main.py` has no installed metadata to read.
"""

from __future__ import annotations

from core.errors import AppError

__version__ = "0.2.0"

# Modules only an optional feature imports, and the extra (`pip install 'tasksafe[ai]'`) that
# brings them; pyproject.toml's [project.optional-dependencies] lists the same packages.
EXTRAS = {"openai": "ai", "pydantic": "ai", "pydantic_core": "ai"}


def missing_extra(exc: BaseException) -> AppError | None:
    """The one line to show when `exc` is the import of an extra that is not installed."""
    if not isinstance(exc, ModuleNotFoundError) or exc.name is None:
        return None
    module = exc.name.partition(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    return AppError(
        f"`{extra}` needs the optional package {module}, which is not installed: "
        f"pipx install 'tasksafe[{extra}]' (add --force over an existing install; from a clone: "
        f"pipx install --force '.[{extra}]'; with pip: pip install 'tasksafe[{extra}]')"
    )
