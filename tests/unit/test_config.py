"""core.config: the data file, the lock timeout and the rest, from flags, environment, .env,
the config file and defaults, and where each came from."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import (
    FROM_DEFAULT,
    FROM_DOTENV,
    FROM_ENVIRONMENT,
    KEYS,
    SOURCE_CWD,
    SOURCE_ENV,
    SOURCE_FLAG,
    SOURCE_PER_USER,
    ConfigError,
    Environ,
    Settings,
    config_path,
    data_dir,
    data_file_rule,
    load_dotenv_file,
    load_environ,
    read_config,
    resolve_settings,
    state_dir,
)
from core.errors import UsageError
from tests.helpers import MAIN, child_env


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$XDG_CONFIG_HOME for the test; write config.toml into `/tasksafe/`."""
    home = tmp_path / "config"
    (home / "tasksafe").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def write_config(config_home: Path, text: str) -> Path:
    path = config_home / "tasksafe" / "config.toml"
    path.write_text(text)
    return path


def test_defaults(tmp_path: Path) -> None:
    per_user = str(tmp_path / "home" / ".local" / "share" / "tasksafe" / "tasks.json")
    settings = resolve_settings({})
    assert settings == Settings(
        per_user, 5.0, 3, SOURCE_PER_USER, per_user=True, new_file_mode=0o600
    )
    assert settings.origins == {
        "file": SOURCE_PER_USER,
        "lock_timeout": FROM_DEFAULT,
        "backup_count": FROM_DEFAULT,
        **dict.fromkeys(("backup_hourly", "backup_daily", "backup_weekly"), FROM_DEFAULT),
        "history_days": FROM_DEFAULT,
    }
    assert (settings.backup_tiers, settings.history_days) == ((24, 14, 8), 365)


def test_file_flag_beats_tasks_file_beats_the_default() -> None:
    env = {"TASKS_FILE": "from-env.json"}
    assert resolve_settings(env).path == "from-env.json"
    assert resolve_settings(env).source == SOURCE_ENV
    assert resolve_settings(env, file_arg="from-flag.json").path == "from-flag.json"
    assert resolve_settings(env, file_arg="from-flag.json").source == SOURCE_FLAG
    assert resolve_settings({"TASKS_FILE": ""}).source == SOURCE_PER_USER


def test_a_tasks_json_in_the_current_directory_beats_the_per_user_list(tmp_path: Path) -> None:
    (tmp_path / "tasks.json").write_text("[]")
    settings = resolve_settings({})
    assert (settings.path, settings.source, settings.per_user) == ("tasks.json", SOURCE_CWD, False)
    assert settings.new_file_mode is None  # a project's list keeps the umask's mode
    assert resolve_settings({"TASKS_FILE": "other.json"}).path == "other.json"


def test_the_per_user_list_follows_xdg_data_home(tmp_path: Path) -> None:
    assert data_dir({"XDG_DATA_HOME": "/x/data"}) == "/x/data/tasksafe"
    assert resolve_settings({"XDG_DATA_HOME": "/x/data"}).path == "/x/data/tasksafe/tasks.json"
    # A relative XDG_DATA_HOME is ignored, as the XDG spec says.
    assert data_dir({"XDG_DATA_HOME": "rel"}) == str(tmp_path / "home/.local/share/tasksafe")


def test_a_home_relative_path_is_expanded(tmp_path: Path) -> None:
    # conftest points HOME at tmp_path/home
    assert resolve_settings({}, file_arg="~/t.json").path == str(tmp_path / "home" / "t.json")


@pytest.mark.parametrize(("raw", "seconds"), [("2.5", 2.5), (" 0 ", 0.0), ("10", 10.0), ("", 5.0)])
def test_tasks_lock_timeout(raw: str, seconds: float) -> None:
    assert resolve_settings({"TASKS_LOCK_TIMEOUT": raw}).lock_timeout == seconds


def test_the_lock_timeout_flag_beats_the_environment() -> None:
    settings = resolve_settings({"TASKS_LOCK_TIMEOUT": "9"}, timeout_arg=0.5)
    assert settings.lock_timeout == 0.5
    assert resolve_settings({"TASKS_LOCK_TIMEOUT": "9"}, timeout_arg=0).lock_timeout == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [("soon", "TASKS_LOCK_TIMEOUT must be a number, not 'soon'"), ("-1", "0 or more seconds")],
)
def test_a_bad_tasks_lock_timeout_is_a_usage_error(raw: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as exc:
        resolve_settings({"TASKS_LOCK_TIMEOUT": raw})
    assert exc.value.exit_code == 2


def test_a_negative_lock_timeout_flag_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="0 or more seconds"):
        resolve_settings({}, timeout_arg=-0.1)


def test_a_nan_lock_timeout_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        resolve_settings({"TASKS_LOCK_TIMEOUT": "nan"})


@pytest.mark.parametrize(("raw", "count"), [("0", 0), ("1", 1), (" 5 ", 5), ("2.0", 2), ("", 3)])
def test_tasks_backup_count(raw: str, count: int) -> None:
    settings = resolve_settings({"TASKS_BACKUP_COUNT": raw})
    assert settings.backup_count == count
    assert type(settings.backup_count) is int


@pytest.mark.parametrize("raw", ["-1", "1.5", "many"])
def test_a_bad_tasks_backup_count_is_a_usage_error(raw: str) -> None:
    with pytest.raises(UsageError, match="TASKS_BACKUP_COUNT"):
        resolve_settings({"TASKS_BACKUP_COUNT": raw})


@pytest.mark.parametrize("raw", ["nan", "inf"])
def test_a_non_finite_backup_count_is_a_usage_error(raw: str) -> None:
    with pytest.raises(UsageError):
        resolve_settings({"TASKS_BACKUP_COUNT": raw})


@pytest.fixture
def clean_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables a .env may set, restored (unset) after the test."""
    for name in ("TASKS_FILE", "TASKS_LOCK_TIMEOUT", "TASKS_BACKUP_COUNT"):
        monkeypatch.setenv(name, "placeholder")  # registers the original (unset) for undo
        monkeypatch.delenv(name)


def test_load_dotenv_file_does_not_override_what_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_vars: None
) -> None:
    (tmp_path / ".env").write_text(
        "TASKS_FILE=from-dotenv.json\nTASKS_LOCK_TIMEOUT=9\nTASKS_BACKUP_COUNT=1\n"
    )
    monkeypatch.setenv("TASKS_FILE", "already-set.json")
    monkeypatch.setenv("TASKS_BACKUP_COUNT", "")
    load_dotenv_file(str(tmp_path / ".env"))
    assert os.environ["TASKS_FILE"] == "already-set.json"
    assert os.environ["TASKS_BACKUP_COUNT"] == ""  # set, even if empty
    assert os.environ["TASKS_LOCK_TIMEOUT"] == "9"


def test_load_dotenv_file_without_a_file_does_nothing(tmp_path: Path, clean_vars: None) -> None:
    load_dotenv_file(str(tmp_path / "missing.env"))
    assert "TASKS_FILE" not in os.environ


def run_main(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """The real program, with no --file unless given: `add` must succeed."""
    result = subprocess.run(
        [sys.executable, MAIN, *args],
        cwd=cwd,
        env=child_env(cwd, env),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("dotenv", "env", "flag", "expected"),
    [
        ("from-dotenv.json", None, None, "from-dotenv.json"),
        ("from-dotenv.json", "from-env.json", None, "from-env.json"),
        ("from-dotenv.json", "from-env.json", "from-flag.json", "from-flag.json"),
    ],
)
def test_the_program_picks_the_data_file_by_precedence(
    tmp_path: Path, dotenv: str | None, env: str | None, flag: str | None, expected: str
) -> None:
    if dotenv:
        (tmp_path / ".env").write_text(f"TASKS_FILE={dotenv}\n")
    run_main(
        tmp_path,
        *(["--file", flag] if flag else []),
        "add",
        "hello",
        env={"TASKS_FILE": env} if env else None,
    )
    data_files = sorted(p.name for p in tmp_path.glob("*.json"))
    assert data_files == [expected]


def test_state_dir_follows_xdg_state_home(tmp_path: Path) -> None:
    assert state_dir({"XDG_STATE_HOME": "/x/state"}) == "/x/state/tasksafe"
    assert state_dir({}) == str(tmp_path / "home" / ".local" / "state" / "tasksafe")


# --- the per-user list, in the real program ---


def run_program(
    cwd: Path, *args: str, env: dict[str, str] | None = None, root: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The real program in `cwd`, its per-user data under `root` (default: `cwd`) / data."""
    return subprocess.run(
        [sys.executable, MAIN, *args],
        cwd=cwd,
        env=child_env(cwd, {"XDG_DATA_HOME": str((root or cwd) / "data"), **(env or {})}),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_with_no_list_here_the_program_uses_the_private_per_user_list(tmp_path: Path) -> None:
    here, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    listed = run_program(here, "list", "--json", root=tmp_path)  # reading makes nothing
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    assert not (tmp_path / "data").exists()

    assert run_program(here, "add", "buy milk", root=tmp_path).returncode == 0
    directory = tmp_path / "data" / "tasksafe"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "tasks.json").stat().st_mode) == 0o600
    assert list(here.iterdir()) == []
    # The same list from any directory.
    seen = json.loads(run_program(elsewhere, "list", "--json", root=tmp_path).stdout)
    assert [t["name"] for t in seen] == ["buy milk"]


def test_commands_from_a_pipe_use_the_per_user_list_too(tmp_path: Path) -> None:
    piped = subprocess.run(
        [sys.executable, MAIN],
        cwd=tmp_path,
        env=child_env(tmp_path, {"XDG_DATA_HOME": str(tmp_path / "data")}),
        input="add piped\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    data = tmp_path / "data" / "tasksafe" / "tasks.json"
    assert stat.S_IMODE(data.stat().st_mode) == 0o600


def test_a_later_save_keeps_the_mode_the_user_gave(tmp_path: Path) -> None:
    assert run_program(tmp_path, "add", "one").returncode == 0
    data = tmp_path / "data" / "tasksafe" / "tasks.json"
    data.chmod(0o640)
    assert run_program(tmp_path, "add", "two").returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o640


def test_a_list_in_the_current_directory_wins_over_the_per_user_list(tmp_path: Path) -> None:
    assert run_program(tmp_path, "add", "mine").returncode == 0
    (tmp_path / "tasks.json").write_text("[]")
    assert run_program(tmp_path, "add", "the project's").returncode == 0
    here = json.loads((tmp_path / "tasks.json").read_text())["tasks"]
    assert [t["name"] for t in here] == ["the project's"]


def test_an_error_about_the_file_names_the_file_in_use(tmp_path: Path) -> None:
    shown = run_program(tmp_path, "show", "9")
    assert shown.returncode == 1
    assert "task 9 not found" in shown.stderr
    assert "(file: ~/data/tasksafe/tasks.json)" in shown.stderr  # HOME is tmp_path


def test_doctor_says_which_rule_chose_the_file(tmp_path: Path) -> None:
    fresh = run_program(tmp_path, "doctor")
    assert fresh.returncode == 0, fresh.stdout  # a directory the first change makes is no problem
    assert "the per-user default" in fresh.stdout
    (tmp_path / "tasks.json").write_text("[]")
    assert "./tasks.json in the current directory" in run_program(tmp_path, "doctor").stdout
    named = run_program(tmp_path, "doctor", env={"TASKS_FILE": str(tmp_path / "t.json")})
    assert "TASKS_FILE" in named.stdout
    flagged = run_program(tmp_path, "--file", str(tmp_path / "f.json"), "doctor")
    assert "--file" in flagged.stdout


def test_data_file_rule_names_the_flag_when_no_other_rule_gives_the_file(tmp_path: Path) -> None:
    assert data_file_rule(str(tmp_path / "elsewhere.json")).source == SOURCE_FLAG
    assert data_file_rule(resolve_settings({}).path).source == SOURCE_PER_USER


# --- the config file ---


def test_no_config_file_is_no_settings(config_home: Path) -> None:
    config = read_config(os.environ)
    assert (config.exists, dict(config.values)) == (False, {})
    assert config.path == str(config_home / "tasksafe" / "config.toml")


def test_the_config_file_lives_in_xdg_config_home(tmp_path: Path) -> None:
    assert config_path({"XDG_CONFIG_HOME": "/x/c"}) == "/x/c/tasksafe/config.toml"
    assert config_path({}) == str(tmp_path / "home" / ".config" / "tasksafe" / "config.toml")


def test_the_config_file_sets_what_nothing_above_it_does(config_home: Path) -> None:
    path = write_config(
        config_home,
        'lock_timeout = 2.5\nbackup_count = 7\nfile = "~/lists/mine.json"\n'
        '[ai]\nmodel = "llama3.2"\nbase_url = "http://127.0.0.1:11434/v1"\ntimeout = 45\n',
    )
    env = load_environ({})
    settings = resolve_settings(env)
    assert (settings.lock_timeout, settings.backup_count) == (2.5, 7)
    assert settings.path == os.path.expanduser("~/lists/mine.json")
    assert settings.source == f"file in {path}"
    assert settings.origins["lock_timeout"] == str(path)
    # What `ai` reads from its environment mapping comes from the [ai] table.
    assert env["TASKS_AI_MODEL"] == "llama3.2"
    assert env["OPENAI_BASE_URL"] == "http://127.0.0.1:11434/v1"
    assert env["TASKS_AI_TIMEOUT"] == "45"
    assert env.origin("TASKS_AI_MODEL") == str(path)


def test_flag_beats_environment_beats_dotenv_beats_config_file(
    config_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(config_home, 'lock_timeout = 1\nbackup_count = 1\n[ai]\nmodel = "c"\n')
    (tmp_path / ".env").write_text("TASKS_BACKUP_COUNT=2\nTASKS_AI_MODEL=from-dotenv\n")
    monkeypatch.setenv("TASKS_LOCK_TIMEOUT", "3")
    monkeypatch.setenv("TASKS_AI_MODEL", "from-env")
    for name in ("TASKS_BACKUP_COUNT",):  # restored (unset) after the test: .env sets it
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    env = load_environ({})
    settings = resolve_settings(env)
    assert (settings.lock_timeout, settings.backup_count) == (3.0, 2)
    assert {k: settings.origins[k] for k in ("file", "lock_timeout", "backup_count")} == {
        "file": SOURCE_PER_USER,
        "lock_timeout": FROM_ENVIRONMENT,
        "backup_count": FROM_DOTENV,
    }
    assert env["TASKS_AI_MODEL"] == "from-env"
    assert resolve_settings(env, timeout_arg=4).origins["lock_timeout"] == "--lock-timeout"
    assert env.origin("OPENAI_BASE_URL") == FROM_DEFAULT
    assert str(path) in {o for o, _ in env.layers}


def test_an_empty_variable_falls_through_to_the_config_file(config_home: Path) -> None:
    write_config(config_home, "lock_timeout = 8\n")
    assert resolve_settings(load_environ({"TASKS_LOCK_TIMEOUT": ""})).lock_timeout == 8


def test_tasks_file_beats_a_local_list_which_beats_the_config_file(
    config_home: Path, tmp_path: Path
) -> None:
    write_config(config_home, 'file = "/lists/from-config.json"\n')
    assert resolve_settings(load_environ({})).path == "/lists/from-config.json"
    (tmp_path / "tasks.json").write_text("[]")
    assert resolve_settings(load_environ({})).source == SOURCE_CWD
    named = resolve_settings(load_environ({"TASKS_FILE": "/lists/env.json"}))
    assert named.path == "/lists/env.json"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lock_timout = 2\n", "unknown key 'lock_timout' (did you mean lock_timeout?); accepted: "),
        (
            "colour = 1\n",
            "accepted: file, lock_timeout, backup_count, backup_hourly, backup_daily, "
            "backup_weekly, history_days, context, and in [ai]: base_url, model",
        ),
        ("[ai]\nmodle = 'x'\n", "unknown key 'ai.modle' (did you mean ai.model?)"),
        (
            "lock_timeout = 'five'\n",
            "lock_timeout must be a number of seconds, 0 or more, not 'five'",
        ),
        ("lock_timeout = -1\n", "lock_timeout must be a number of seconds, 0 or more, not -1"),
        ("lock_timeout = nan\n", "not nan"),
        ("backup_count = 1.5\n", "backup_count must be a whole number, 0 or more, not 1.5"),
        ("backup_count = true\n", "backup_count must be a whole number, 0 or more, not true"),
        ("file = 'rel.json'\n", "file must be an absolute path or one starting with ~/"),
        ("file = [1]\n", "not a list"),
        ("ai = 3\n", "ai must be a table"),
        ("[ai]\ntimeout = 0\n", "ai.timeout must be a number of seconds, more than 0"),
        ("[ai]\nbase_url = 'localhost:8080'\n", "ai.base_url must be a URL starting with http://"),
        ("[ai]\napi_key = 'sk-x'\n", "set OPENAI_API_KEY in the environment or .env"),
        ("lock_timeout = \n", "is not valid TOML: "),
    ],
)
def test_a_bad_config_file_is_one_line_naming_the_file_and_the_key(
    config_home: Path, text: str, message: str
) -> None:
    path = write_config(config_home, text)
    with pytest.raises(ConfigError) as exc:
        read_config(os.environ)
    line = str(exc.value)
    assert line.startswith(f"{path}: ") and message in line and "\n" not in line
    assert exc.value.exit_code == 2


def test_a_config_file_that_is_not_utf8_or_not_a_file(config_home: Path) -> None:
    path = config_home / "tasksafe" / "config.toml"
    path.write_bytes(b"model = '\xff'\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        read_config(os.environ)
    path.unlink()
    path.mkdir()
    with pytest.raises(ConfigError, match="cannot read it"):
        read_config(os.environ)


def test_the_program_reports_a_bad_config_file_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "config" / "tasksafe").mkdir(parents=True)
    (tmp_path / "config" / "tasksafe" / "config.toml").write_text("backup_count = -1\n")
    result = run_program(tmp_path, "list", env={"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "config.toml: backup_count must be" in result.stderr


def test_the_keys_defaults_are_what_the_features_use() -> None:
    from core.ai.client import DEFAULT_MODEL, DEFAULT_TIMEOUT

    defaults = {k.name: k.default for k in KEYS}
    assert defaults["ai.model"] == DEFAULT_MODEL and defaults["ai.timeout"] == DEFAULT_TIMEOUT
    assert (defaults["lock_timeout"], defaults["backup_count"]) == (
        Settings("x").lock_timeout,
        Settings("x").backup_count,
    )
    # A key is its variable's name without TASKS_, in lower case (design.md, "Settings").
    for key in KEYS:
        if key.env.startswith("TASKS_") and not key.name.startswith("ai."):
            assert key.name == key.env.removeprefix("TASKS_").lower()


def test_environ_is_a_mapping_of_the_first_non_empty_value() -> None:
    from core.config import ConfigFile

    env = Environ([("a", {"X": "", "Y": "1"}), ("b", {"X": "2", "Z": "3"})], ConfigFile("c"))
    assert (env["X"], env["Y"], env["Z"]) == ("2", "1", "3")
    assert (env.origin("X"), env.origin("Y"), env.origin("W")) == ("b", "a", FROM_DEFAULT)
    assert sorted(env) == ["X", "Y", "Z"] and len(env) == 3 and env.get("W") is None


# --- `tasksafe config` ---


def test_config_shows_each_setting_and_where_it_came_from(tmp_path: Path) -> None:
    (tmp_path / "config" / "tasksafe").mkdir(parents=True)
    (tmp_path / "config" / "tasksafe" / "config.toml").write_text("backup_count = 9\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "TASKS_AI_MODEL": "m1"}
    shown = run_program(tmp_path, "--lock-timeout", "2", "config", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    settings = report["settings"]
    assert report["config_file"] == str(tmp_path / "config" / "tasksafe" / "config.toml")
    assert report["config_file_exists"] is True
    assert settings["file"] == {
        "value": str(tmp_path / "data" / "tasksafe" / "tasks.json"),
        "from": SOURCE_PER_USER,
        "env": "TASKS_FILE",
    }
    assert (
        settings["lock_timeout"]["value"] == 2
        and settings["lock_timeout"]["from"] == "--lock-timeout"
    )
    assert settings["backup_count"]["value"] == 9
    assert settings["backup_count"]["from"] == report["config_file"]
    assert settings["ai.model"] == {"value": "m1", "from": "environment", "env": "TASKS_AI_MODEL"}
    assert settings["ai.timeout"] == {"value": 30, "from": "default", "env": "TASKS_AI_TIMEOUT"}
    assert settings["OPENAI_API_KEY"]["value"] is None


def test_config_never_shows_the_api_key(tmp_path: Path) -> None:
    shown = run_program(tmp_path, "config", env={"OPENAI_API_KEY": "sk-secret-123"})
    assert shown.returncode == 0
    assert "sk-secret" not in shown.stdout and "set (not shown)" in shown.stdout


def test_config_table_names_each_setting(tmp_path: Path) -> None:
    shown = run_program(tmp_path, "config", env={"COLUMNS": "160"})
    assert shown.returncode == 0, shown.stderr
    for key in KEYS:
        assert key.name in shown.stdout
    assert "the per-user default" in shown.stdout and "not present" in shown.stdout


def test_backup_tiers_and_history_days_come_from_the_config_file_below_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config" / "tasksafe" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("backup_hourly = 0\nbackup_weekly = 2\nhistory_days = 30\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("TASKS_BACKUP_WEEKLY", "5")
    settings = resolve_settings(load_environ({}))
    assert (settings.backup_tiers, settings.history_days) == ((0, 14, 5), 30)
    assert settings.origins["backup_weekly"] == FROM_ENVIRONMENT
    with pytest.raises(UsageError, match="TASKS_HISTORY_DAYS must be a whole number"):
        resolve_settings({"TASKS_HISTORY_DAYS": "1.5"})
