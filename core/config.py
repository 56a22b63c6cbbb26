"""Settings, decided here and nowhere else: flag > environment > `.env` > config file > default.

The config file is `$XDG_CONFIG_HOME/tasksafe/config.toml`; a key is its environment variable's name
without `TASKS_`, in lower case (design.md, "Settings"). The data file has one more rule: `--file` >
TASKS_FILE > `./tasks.json` if the current directory has one > `file` in the config file > the
per-user list `$XDG_DATA_HOME/tasksafe/tasks.json`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeGuard

from msgspec import Struct, field

from core.errors import UsageError
from core.values import LeavesOut

APP = "tasksafe"
DEFAULT_FILE = "tasks.json"
# The per-user list is private: its directory is made 0700, a new file in it is 0600.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

# Where a value came from, as `tasksafe config` says it (a config file is named by its path).
FROM_ENVIRONMENT = "environment"
FROM_DOTENV = ".env"
FROM_DEFAULT = "default"

# Which rule chose the data file (Settings.source; `doctor` and `config` show it).
SOURCE_FLAG = "--file"
SOURCE_ENV = "TASKS_FILE"
SOURCE_DOTENV = "TASKS_FILE in .env"
SOURCE_CWD = "./tasks.json in the current directory"
SOURCE_PER_USER = "the per-user default"


class ConfigError(UsageError):
    """The config file cannot be used: one line naming the file, the key and what is accepted."""


class Settings(LeavesOut, Struct, frozen=True, eq=False):
    not_compared = ("origins",)  # where each value came from: not what the settings are

    path: str
    lock_timeout: float = 5.0
    backup_count: int = 3
    source: str = SOURCE_FLAG  # which rule chose `path`
    per_user: bool = False  # the per-user list: its directory is made on the first change
    new_file_mode: int | None = None  # the mode of a data file created here; None: 0o666 & ~umask
    origins: Mapping[str, str] = field(default_factory=dict)  # key -> where from
    backup_tiers: tuple[int, int, int] = (24, 14, 8)  # hourly, daily, weekly copies
    history_days: int = 365


# --- the config file's keys ---


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_lock_timeout(value: object) -> bool:
    return _is_number(value) and value >= 0


def _is_ai_timeout(value: object) -> bool:
    return _is_number(value) and 0 < value <= 3600


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _is_path(value: object) -> bool:
    return isinstance(value, str) and os.path.isabs(os.path.expanduser(value))


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


class Key(Struct, frozen=True):
    """One setting of the config file: its environment variable and the values it accepts."""

    name: str  # as written in config.toml; `ai.model` is `model` in the [ai] table
    env: str
    accepted: str
    check: Callable[[object], bool]
    default: object  # None: not set, and `unset` says what that means
    help: str
    unset: str = ""


KEYS: tuple[Key, ...] = (
    Key(
        "file",
        "TASKS_FILE",
        "an absolute path or one starting with ~/",
        _is_path,
        None,
        "the data file when neither --file, TASKS_FILE nor ./tasks.json names one",
        "the per-user list, $XDG_DATA_HOME/tasksafe/tasks.json",
    ),
    Key(
        "lock_timeout",
        "TASKS_LOCK_TIMEOUT",
        "a number of seconds, 0 or more",
        _is_lock_timeout,
        5.0,
        "how long to wait for another window's lock",
    ),
    Key(
        "backup_count",
        "TASKS_BACKUP_COUNT",
        "a whole number, 0 or more",
        _is_count,
        3,
        "how many backups of the data file to keep",
    ),
    *(
        Key(
            f"backup_{tier}",
            f"TASKS_BACKUP_{tier.upper()}",
            "a whole number, 0 or more (0 turns the tier off)",
            _is_count,
            count,
            f"how many {tier} copies to keep ({span})",
        )
        for tier, count, span in (
            ("hourly", 24, "the first save of each hour keeps the version it replaces"),
            ("daily", 14, "one per day"),
            ("weekly", 8, "one per ISO week"),
        )
    ),
    Key(
        "history_days",
        "TASKS_HISTORY_DAYS",
        "a whole number of days, 0 or more (0 keeps every step)",
        _is_count,
        365,
        "how long the change history keeps a step (log, undo STEP, restore --at)",
    ),
    Key(
        "context",
        "TASKS_CONTEXT",
        "filter words, as `list` takes them",
        _is_text,
        None,
        "what list, next and calendar show at most (a window's `context` command sets its own)",
        "every task",
    ),
    Key(
        "ai.base_url",
        "OPENAI_BASE_URL",
        "a URL starting with http:// or https://",
        _is_url,
        None,
        "the OpenAI-compatible server `ai` asks (Ollama, llama.cpp, vLLM, LM Studio)",
        "OpenAI when OPENAI_API_KEY is set, else the offline parser",
    ),
    Key(
        "ai.model", "TASKS_AI_MODEL", "a model name", _is_text, "gpt-4o-mini", "the model `ai` asks"
    ),
    Key(
        "ai.timeout",
        "TASKS_AI_TIMEOUT",
        "a number of seconds, more than 0 and at most 3600",
        _is_ai_timeout,
        30.0,
        "how long one request of `ai` may take",
    ),
)
KEYS_BY_NAME = {k.name: k for k in KEYS}
# The API key is a secret: it stays in the environment or .env (design.md), never in this file.
_SECRETS = {"ai.api_key": "OPENAI_API_KEY"}


class ConfigFile(Struct, frozen=True):
    """The config file's checked values, by key name, as the text its environment variable takes."""

    path: str
    exists: bool = False
    values: Mapping[str, str] = field(default_factory=dict)


def config_path(environ: Mapping[str, str]) -> str:
    return os.path.join(_xdg(environ, "XDG_CONFIG_HOME", ".config"), APP, "config.toml")


def read_config(environ: Mapping[str, str]) -> ConfigFile:
    """Read and check the config file; a missing one is no settings. tomllib only if it exists."""
    path = config_path(environ)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return ConfigFile(path)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it: {e.strerror or e}") from None
    import tomllib

    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: is not valid TOML: {e}") from None
    return ConfigFile(path, True, _checked(path, _flatten(path, table)))


def _flatten(path: str, table: Mapping[str, object]) -> dict[str, object]:
    """`{"ai": {"model": m}}` as `{"ai.model": m}`; a table only where one is expected."""
    flat: dict[str, object] = {}
    for name, value in table.items():
        if name == "ai":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: ai must be a table ([ai] followed by its keys)")
            flat.update({f"ai.{sub}": v for sub, v in value.items()})
        else:
            flat[name] = value
    return flat


def _checked(path: str, flat: Mapping[str, object]) -> dict[str, str]:
    values = {}
    for name, value in flat.items():
        key = KEYS_BY_NAME.get(name)
        if key is None:
            raise ConfigError(f"{path}: {_unknown(name)}")
        if not key.check(value):
            raise ConfigError(f"{path}: {name} must be {key.accepted}, not {_toml(value)}")
        values[name] = value if isinstance(value, str) else str(value)
    return values


def _unknown(name: str) -> str:
    if name in _SECRETS:
        return (
            f"{name} is not read from the config file (a secret does not belong there): "
            f"set {_SECRETS[name]} in the environment or .env"
        )
    import difflib

    close = difflib.get_close_matches(name, KEYS_BY_NAME, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    top = ", ".join(k.name for k in KEYS if "." not in k.name)
    ai = ", ".join(k.name[3:] for k in KEYS if k.name.startswith("ai."))
    return f"unknown key {name!r}{hint}; accepted: {top}, and in [ai]: {ai}"


def _toml(value: object) -> str:
    """A value as the user wrote it in TOML, for the error line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


# --- the layers: environment, .env, config file ---

# What load_dotenv_file put into os.environ: those values came from .env, not the environment.
_from_dotenv: dict[str, str] = {}


def load_dotenv_file(path: str = ".env") -> None:
    """Load `.env` into os.environ without overriding what is already set.

    python-dotenv is imported only when the file exists: its import costs ~30 ms of a one-shot
    command's budget.
    """
    if os.path.isfile(path):
        from dotenv import dotenv_values

        for name, value in dotenv_values(path).items():
            if value is not None and name not in os.environ:
                os.environ[name] = _from_dotenv[name] = value


class Environ(Mapping[str, str]):
    """The environment a command sees: the process environment, then `.env`, then the config file.

    A name's value is the first non-empty one; `origin(name)` says which layer it came from.
    """

    def __init__(self, layers: Sequence[tuple[str, Mapping[str, str]]], config: ConfigFile) -> None:
        self.layers = tuple(layers)
        self.config = config

    def _find(self, name: str) -> tuple[str, str] | None:
        present = None
        for origin, layer in self.layers:
            value = layer.get(name)
            if value is not None and value.strip():
                return origin, value
            if value is not None and present is None:
                present = origin, value
        return present

    def __getitem__(self, name: str) -> str:
        found = self._find(name)
        if found is None:
            raise KeyError(name)
        return found[1]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for _, layer in self.layers for name in layer))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def origin(self, name: str) -> str:
        found = self._find(name)
        return found[0] if found is not None and found[1].strip() else FROM_DEFAULT


def load_environ(environ: Mapping[str, str]) -> Environ:
    """`.env` (into os.environ, as before), then the config file, under the process environment.

    `environ` (a caller's own mapping, e.g. a test's) wins over os.environ.
    """
    load_dotenv_file()
    merged = {**os.environ, **environ}
    dotenv = {k: v for k, v in _from_dotenv.items() if merged.get(k) == v}
    process = {k: v for k, v in merged.items() if k not in dotenv}
    config = read_config(merged)
    # `file` is not TASKS_FILE's value: it ranks below ./tasks.json (resolve_data_file).
    from_config = {KEYS_BY_NAME[k].env: v for k, v in config.values.items() if k != "file"}
    layers = [(FROM_ENVIRONMENT, process), (FROM_DOTENV, dotenv), (config.path, from_config)]
    return Environ(layers, config)


def origin_of(environ: Mapping[str, str], name: str) -> str:
    """Where `environ[name]` came from: a layer of an Environ, else the environment or default."""
    if isinstance(environ, Environ):
        return environ.origin(name)
    return FROM_ENVIRONMENT if environ.get(name, "").strip() else FROM_DEFAULT


# --- resolving ---


class DataFile(Struct, frozen=True):
    path: str
    source: str  # the rule that chose it
    per_user: bool = False


def resolve_data_file(environ: Mapping[str, str], file_arg: str | None = None) -> DataFile:
    """--file > TASKS_FILE > ./tasks.json if present > `file` in the config file > per-user."""
    if file_arg:
        return DataFile(os.path.expanduser(file_arg), SOURCE_FLAG)
    named = environ.get("TASKS_FILE")
    if named:
        dotenv = origin_of(environ, "TASKS_FILE") == FROM_DOTENV
        return DataFile(os.path.expanduser(named), SOURCE_DOTENV if dotenv else SOURCE_ENV)
    if os.path.lexists(DEFAULT_FILE):  # a project's own list, and the demo of `make run`
        return DataFile(DEFAULT_FILE, SOURCE_CWD)
    config = environ.config if isinstance(environ, Environ) else None
    if config is not None and "file" in config.values:
        return DataFile(os.path.expanduser(config.values["file"]), f"file in {config.path}")
    return DataFile(os.path.join(data_dir(environ), DEFAULT_FILE), SOURCE_PER_USER, per_user=True)


def resolve_settings(
    environ: Mapping[str, str], file_arg: str | None = None, timeout_arg: float | None = None
) -> Settings:
    """The data file, lock timeout and backup count, each by its precedence."""
    data = resolve_data_file(environ, file_arg)
    timeout = (
        timeout_arg if timeout_arg is not None else _number(environ, "TASKS_LOCK_TIMEOUT", 5.0)
    )
    if not 0 <= timeout < math.inf:
        raise UsageError(f"the lock timeout must be 0 or more seconds, not {timeout}")
    backups = _number(environ, "TASKS_BACKUP_COUNT", 3)
    if not 0 <= backups < math.inf or backups != int(backups):
        raise UsageError(f"TASKS_BACKUP_COUNT must be a whole number of 0 or more, not {backups}")
    origins = {
        "file": data.source,
        "lock_timeout": (
            "--lock-timeout"
            if timeout_arg is not None
            else origin_of(environ, "TASKS_LOCK_TIMEOUT")
        ),
        "backup_count": origin_of(environ, "TASKS_BACKUP_COUNT"),
        **{k: origin_of(environ, env) for k, env in _COUNTS},
    }
    counts = {key: _count(environ, env, KEYS_BY_NAME[key].default) for key, env in _COUNTS}
    return Settings(
        data.path,
        float(timeout),
        int(backups),
        backup_tiers=(counts["backup_hourly"], counts["backup_daily"], counts["backup_weekly"]),
        history_days=counts["history_days"],
        source=data.source,
        per_user=data.per_user,
        new_file_mode=PRIVATE_FILE_MODE if data.per_user else None,
        origins=origins,
    )


_COUNTS = (
    ("backup_hourly", "TASKS_BACKUP_HOURLY"),
    ("backup_daily", "TASKS_BACKUP_DAILY"),
    ("backup_weekly", "TASKS_BACKUP_WEEKLY"),
    ("history_days", "TASKS_HISTORY_DAYS"),
)


def _count(environ: Mapping[str, str], name: str, default: object) -> int:
    value = _number(environ, name, float(default) if isinstance(default, int) else 0.0)
    if not 0 <= value < math.inf or value != int(value):
        raise UsageError(f"{name} must be a whole number of 0 or more, not {value:g}")
    return int(value)


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number, not {raw!r}") from None


def data_file_rule(path: str) -> DataFile:
    """Which rule picks the file in use now, for `doctor`: the one that gives `path`, else --file.

    Re-derived from this process's environment, .env and config file; when --file names the file
    another rule would pick anyway, that rule is named (the file is the same).
    """
    chosen = resolve_data_file(load_environ({}))
    if os.path.abspath(chosen.path) == os.path.abspath(path):
        return chosen
    return DataFile(path, SOURCE_FLAG)


# --- directories ---


def _xdg(environ: Mapping[str, str], name: str, fallback: str) -> str:
    """An XDG base directory; a relative value is ignored, as the spec says."""
    value = environ.get(name, "")
    if os.path.isabs(value):
        return value
    return os.path.join(os.path.expanduser("~"), fallback)


def data_dir(environ: Mapping[str, str] = os.environ) -> str:
    """Where the per-user list lives: $XDG_DATA_HOME/tasksafe or ~/.local/share/tasksafe."""
    return os.path.join(_xdg(environ, "XDG_DATA_HOME", os.path.join(".local", "share")), APP)


def state_dir(environ: Mapping[str, str] = os.environ) -> str:
    """Where history and the error log live: $XDG_STATE_HOME/tasksafe or ~/.local/state/tasksafe."""
    return os.path.join(_xdg(environ, "XDG_STATE_HOME", os.path.join(".local", "state")), APP)
