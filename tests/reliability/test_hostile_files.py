"""Damaged and hostile data files: never a traceback, never a silent drop.

Every damaged file either loads with a report (every record still in the file, the invalid ones
in state.problems), or is recovered from a backup (the damaged bytes kept, byte for byte, as a
`.corrupt-*` copy), or is refused with FileCorruptionError / exit 4 and its directory left
byte-identical. Most cases run in-process through AppState for speed; a few through the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import FileCorruptionError, StorageError
from core.events import Event, Recovered
from core.state import AppState
from core.storage.document import Document, decode
from core.storage.history import parse, replay
from tests.helpers import run_cli
from tests.reliability.conftest import Recorder
from tests.reliability.recording_fs import Disk, snapshot
from tests.reliability.scenarios import DATA, LEGACY_RECORDS

DAMAGED = "damaged files"
VERDICTS = ("refused", "recovered", "loaded", "loaded with problems")
pytestmark = pytest.mark.reliability(DAMAGED)
BOM = b"\xef\xbb\xbf"
FIELDS = ("id", "uuid", "name", "description", "comment", "priority", "tags", "status", "due",
          "created", "modified", "completed")  # fmt: skip
WRONG_VALUES: tuple[Any, ...] = (
    None, 0, -1, 2**70, 1.5, True, "", "  ", "x", "2030-13-45", [], ["a", 1], [""], {}, {"a": 1},
)  # fmt: skip


def build_real_file(directory: Path) -> Disk:
    """A ~2.7 KB file made by real saves (text in several scripts, every field, an unknown
    field), with the backups those saves left."""
    state = AppState(directory / DATA)
    state.add_task("Buy milk 🥛", priority=1, tags=["home", "errand"], due="2030-01-05",
                   description="2 litres\nsemi-skimmed")  # fmt: skip
    state.add_task("Écrire le rapport — café ☕", tags=["work"], comment="avant vendredi")
    state.add_task("漢字のタスクを終わらせる", priority=3, due="2030-02-01T09:30:00")
    done = state.add_task("something finished", tags=["x"])
    state.complete(done.id)
    state.add_task("[bold]markup[/bold] stays text", description="\\x1b[31m not an escape")
    state.add_task("call Ann about the ünïcödé", priority=1)
    state.transact("custom", lambda j: j.doc.records[0].update(x_custom={"k": [1, 2.5, None]}))
    state.add_task("last one", tags=["a", "b", "c"])
    return snapshot(directory)


@pytest.fixture(scope="module")
def real_files(tmp_path_factory: pytest.TempPathFactory) -> Disk:
    return build_real_file(tmp_path_factory.mktemp("real"))


def records_in(data: bytes) -> list[Any]:
    """The records a JSON reader other than ours finds in the bytes (an empty file has none)."""
    if not data.strip():
        return []
    value = json.loads(data.removeprefix(BOM).decode("utf-8"))
    return value if isinstance(value, list) else value["tasks"]


@dataclass
class DamageCheck:
    """Writes a damaged data file (with or without backups), loads it and checks the promise."""

    root: Path
    backups: Disk
    recorder: Recorder
    tried: int = 0  # also names the directories: `case-<n>`
    verdicts: dict[str, int] = field(default_factory=dict)

    def check(
        self, damaged: bytes, with_backups: bool = False, expect: str | tuple[str, ...] = ()
    ) -> str:
        """The verdict on one damaged file; counted before it is checked, failed if it raises."""
        with self.case():
            directory = self.root / f"case-{self.tried - 1}"
            directory.mkdir()
            for name, data in (self.backups if with_backups else {}).items():
                (directory / name).write_bytes(data)
            (directory / DATA).write_bytes(damaged)
            verdict = self._verdict(directory, damaged)
            wanted = (expect,) if isinstance(expect, str) else expect
            assert not wanted or verdict in wanted, (
                f"{verdict}, not {' or '.join(wanted)}: {len(damaged)} bytes {damaged[:40]!r}"
                f"{' with backups' if with_backups else ''}"
            )
            self.tally(verdict)
        return verdict

    @contextmanager
    def case(self) -> Iterator[None]:
        """One more damaged file: counted now, before its assertions; failed if they raise."""
        self.tried += 1
        self.recorder.attempt(DAMAGED)
        with self.blame_last():
            yield

    @contextmanager
    def blame_last(self) -> Iterator[None]:
        """Assertions about the file tried last: if they fail, that file failed."""
        try:
            yield
        except Exception:
            self.recorder.fail(DAMAGED)
            raise

    def tally(self, verdict: str) -> None:
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
        self.recorder.measure(DAMAGED, verdict, 1)

    def _verdict(self, directory: Path, damaged: bytes) -> str:
        before = snapshot(directory)
        events: list[Event] = []
        state = AppState(directory / DATA, on_event=events.append)
        try:
            state.load()
            tasks = state.tasks
        except FileCorruptionError:
            assert snapshot(directory) == before, "a refused file's directory was changed"
            return "refused"
        recovered = [e for e in events if isinstance(e, Recovered)]
        if recovered:
            assert Path(recovered[0].corrupt_copy).read_bytes() == damaged
            backup, doc = decode(before[Path(recovered[0].backup).name]), state.snapshot.doc
            wanted = replayed(backup, before.get(f"{DATA}.history", b""), recovered[0].replayed)
            assert (doc.records, doc.extra) == (wanted, backup.extra), "not the backup + history"
            assert doc.next_id >= backup.next_id, "recovery moved next_id back: an id reused"
            return "recovered"
        assert snapshot(directory) == before, "loading wrote to the directory"
        assert len(tasks) + len(state.problems) == len(records_in(damaged)), "a record vanished"
        return "loaded with problems" if state.problems else "loaded"


def replayed(backup: Document, history: bytes, steps: int) -> list[Any]:
    """The backup's records with the `steps` history steps after it applied (what recovery
    must give back: every acknowledged change)."""
    later = [e for e in parse(history).entries if e.step > backup.step][:steps]
    return replay(backup.records, later)[0]


@pytest.fixture
def damage(real_files: Disk, tmp_path: Path, reliability: Recorder) -> DamageCheck:
    backups = {n: d for n, d in real_files.items() if n != DATA}
    for verdict in VERDICTS:  # the table lists them in this order
        reliability.measure(DAMAGED, verdict, 0)
    return DamageCheck(tmp_path, backups, reliability)


def examples(heavy: bool) -> settings:
    return settings(
        max_examples=400 if heavy else 60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- damaged bytes ---


def test_every_truncation_is_refused_or_recovered(
    real_files: Disk, damage: DamageCheck, heavy: bool
) -> None:
    data = real_files[DATA]
    assert 2000 < len(data) < 4000 and data.endswith(b"}\n")
    whole = len(data) - 1  # without its final newline the file is still whole
    for cut in range(len(data)):
        # An empty file with no backup has nothing to lose: it is an empty list (issue 16).
        expected = "loaded" if cut in (0, whole) else "refused"
        damage.check(data[:cut], expect=expected)
    # With backups every cut is recovered; under plain pytest every 7th, to stay fast.
    for cut in range(0, whole, 1 if heavy else 7):
        damage.check(data[:cut], with_backups=True, expect="recovered")


def test_random_byte_flips(real_files: Disk, damage: DamageCheck, heavy: bool) -> None:
    data = real_files[DATA]
    flips = st.lists(
        st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), min_size=1, max_size=6
    )

    @examples(heavy)
    @given(flips=flips, with_backups=st.booleans())
    def run(flips: list[tuple[int, int]], with_backups: bool) -> None:
        flipped = bytearray(data)
        for at, value in flips:
            flipped[at] = value
        damage.check(bytes(flipped), with_backups)

    run()


BAD_BYTES = (b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xf4\x90\x80\x80",
             b"\0", b"\0" * 7, BOM)  # fmt: skip


def test_invalid_utf8_nul_bytes_and_boms_anywhere(
    real_files: Disk, damage: DamageCheck, heavy: bool
) -> None:
    data = real_files[DATA]

    @examples(heavy)
    @given(
        at=st.integers(0, len(data)),
        bad=st.sampled_from(BAD_BYTES),
        replace=st.booleans(),
        with_backups=st.booleans(),
    )
    def run(at: int, bad: bytes, replace: bool, with_backups: bool) -> None:
        end = at + len(bad) if replace else at
        damage.check(data[:at] + bad + data[end:], with_backups)

    run()


def test_whole_file_damage(real_files: Disk, damage: DamageCheck) -> None:
    data = real_files[DATA]
    damage.check(BOM + data, expect="loaded")  # an editor's BOM is not content
    for empty in (b"", b"\n  \n"):  # nothing to lose without a backup; damage with one
        damage.check(empty, expect="loaded")
        damage.check(empty, with_backups=True, expect="recovered")
    cases = {
        b"\0" * len(data): "refused",  # what some file systems leave after a power cut
        BOM: "refused",
        BOM + BOM + data: "refused",
        b"\xff\xfe" + data.decode().encode("utf-16-le"): "refused",
        data.decode().encode("utf-16"): "refused",
        data.replace(b"\n", b"\r\n"): "loaded",
        data + b"\0": "refused",
        data + data: "refused",
        b"null": "refused",
        b"42": "refused",
        b'"tasks"': "refused",
        b"{}": "refused",
        b"[]": "loaded",  # the original app's empty list
    }
    for damaged, verdict in cases.items():
        damage.check(damaged, expect=verdict)
        damage.check(damaged, with_backups=True, expect=verdict.replace("refused", "recovered"))


# --- valid JSON, wrong content ---


def envelope(records: list[Any], **fields: Any) -> bytes:
    doc: dict[str, Any] = {"format": "tasksafe", "version": 1, "next_id": 50, "tasks": records}
    doc.update(fields)
    return json.dumps(doc, indent=2).encode()


def good_records(real_files: Disk) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(real_files[DATA])["tasks"]
    return records


def saved_records(path: Path) -> list[Any]:
    return records_in(path.read_bytes())


def check_kept_after_a_save(damage: DamageCheck, damaged: bytes) -> None:
    """The file loads with a report, and an add keeps every record exactly as it was."""
    damage.check(damaged, expect=("loaded", "loaded with problems"))
    path = damage.root / f"case-{damage.tried - 1}" / DATA
    with damage.blame_last():
        before = records_in(damaged)
        AppState(path).add_task("a save after loading a strange file")
        after = saved_records(path)
        assert after[:-1] == before and after[-1]["name"] == "a save after loading a strange file"


def test_wrong_types_in_every_field_are_reported_and_kept(
    real_files: Disk, damage: DamageCheck
) -> None:
    records = good_records(real_files)
    for name in FIELDS:
        for value in (*WRONG_VALUES, "missing"):
            bad = dict(records[1])
            if value == "missing":
                del bad[name]
            else:
                bad[name] = value
            check_kept_after_a_save(damage, envelope([records[0], bad, *records[2:]]))
    assert damage.verdicts["loaded with problems"] > len(FIELDS) * 5


json_values = st.recursive(
    # JSON's own values: no NaN or Infinity, integers that fit 64 bits (bigger ones: see below).
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


def test_random_values_in_random_fields_are_reported_and_kept(
    real_files: Disk, damage: DamageCheck, heavy: bool
) -> None:
    records = good_records(real_files)

    @examples(heavy)
    @given(
        which=st.integers(0, len(records) - 1),
        changes=st.dictionaries(st.sampled_from(FIELDS) | st.text(), json_values, min_size=1),
    )
    def run(which: int, changes: dict[str, Any]) -> None:
        bad = [dict(r) for r in records]
        bad[which].update(changes)
        check_kept_after_a_save(damage, envelope(bad))

    run()


def test_records_that_are_not_objects_are_reported_and_kept(
    real_files: Disk, damage: DamageCheck
) -> None:
    records = good_records(real_files)
    for odd in (None, 1, "task", [], [records[0]], True):
        check_kept_after_a_save(damage, envelope([*records[:2], odd, *records[2:]]))


def test_legacy_records_with_wrong_types_are_all_kept(damage: DamageCheck) -> None:
    for key in ("id", "name", "comment", "description", "priority", "tag"):
        for value in WRONG_VALUES:
            bad = [*LEGACY_RECORDS[:1], {**LEGACY_RECORDS[1], key: value}, *LEGACY_RECORDS[2:]]
            damage.check(json.dumps(bad).encode(), expect=("loaded", "loaded with problems"))


def test_duplicate_ids_and_uuids_are_reported_and_never_reused(
    real_files: Disk, damage: DamageCheck
) -> None:
    records = good_records(real_files)
    same_id = {**records[1], "id": records[0]["id"]}
    same_uuid = {**records[2], "uuid": records[0]["uuid"]}
    for dup in (same_id, same_uuid):
        damaged = envelope([*records, dup], next_id=1)
        check_kept_after_a_save(damage, damaged)
        path = damage.root / f"case-{damage.tried - 1}" / DATA
        with damage.blame_last():
            ids = [r["id"] for r in saved_records(path)]
            assert ids[-1] > max(ids[:-1]), "a new task reused an id"


def test_bad_envelopes_are_recovered_or_refused(real_files: Disk, damage: DamageCheck) -> None:
    records = good_records(real_files)
    bad_fields: dict[str, tuple[Any, ...]] = {
        "format": (None, "other", 1, ["tasksafe"]),
        "version": (None, 0, -1, "1", 1.0, True),
        "next_id": (0, -1, "3", 1.5, None, True),
        "tasks": (None, {}, "x", 1, {"1": records[0]}),
    }
    for name, values in bad_fields.items():
        for value in values:
            damaged = envelope(records, **{name: value})
            damage.check(damaged, expect="refused")
            damage.check(damaged, with_backups=True, expect="recovered")


def test_a_newer_version_is_refused_even_with_backups(
    real_files: Disk, damage: DamageCheck
) -> None:
    newer = envelope(good_records(real_files), version=2)
    damage.check(newer, with_backups=True, expect="refused")  # never "recover" a newer file


def check_huge(damage: DamageCheck, records: list[Any], huge: tuple[Any, ...]) -> None:
    for name in ("id", "priority", "x_unknown"):
        for value in huge:
            bad = {**records[1], name: value}
            check_kept_after_a_save(damage, envelope([records[0], bad]))
    biggest = max(v for v in huge if isinstance(v, int))
    check_kept_after_a_save(damage, envelope(records, next_id=biggest))


def test_huge_numbers_within_64_bits_load_and_survive_a_save(
    real_files: Disk, damage: DamageCheck
) -> None:
    check_huge(damage, good_records(real_files), (2**63 - 1, 2**64 - 1, -(2**63), 1e308))


def test_integers_beyond_64_bits_survive_a_save(real_files: Disk, damage: DamageCheck) -> None:
    check_huge(damage, good_records(real_files), (2**64, 2**200, -(2**100)))


def test_tasks_with_ids_past_64_bits_are_listed_as_json(tmp_path: Path) -> None:
    path = tmp_path / DATA
    near = {"id": 2**64 - 1, "uuid": "8f7d0e1c-0000-4000-8000-000000000002", "name": "far away"}
    path.write_bytes(envelope([near], next_id=5))
    acknowledged = [run_cli(path, "add", name).stdout.strip() for name in ("first", "second")]
    assert acknowledged == [str(2**64), str(2**64 + 1)]
    done = run_cli(path, "list", "--all", "--json")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    listed = [str(r["id"]) for r in json.loads(done.stdout)]
    assert set(acknowledged) <= set(listed), (acknowledged, listed)


@pytest.mark.parametrize("literal", [b"1e400", b"-1e999", b"NaN", b"Infinity"])
def test_a_number_no_float_can_hold_is_never_silently_changed(
    real_files: Disk, damage: DamageCheck, literal: bytes
) -> None:
    """It loads, but a save (which would write it back as null) is refused and changes nothing."""
    records = good_records(real_files)
    damaged = envelope(records).replace(b'"priority": 3', b'"priority": 3, "x": ' + literal, 1)
    damage.check(damaged, expect=("loaded", "loaded with problems"))
    path = damage.root / f"case-{damage.tried - 1}" / DATA
    with damage.blame_last():
        with pytest.raises(StorageError, match="fix it by hand") as exc:
            AppState(path).add_task("would drop the number")
        assert literal.decode() in str(exc.value) and "nothing was changed" in str(exc.value)
        assert path.read_bytes() == damaged
        r = run_cli(path, "add", "from the command line")
        assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
        assert path.read_bytes() == damaged


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deep_nesting_is_refused_or_recovered(real_files: Disk, damage: DamageCheck) -> None:
    records = good_records(real_files)
    deep = envelope(records).replace(b'"id": 1,', f'"x": {nested(10_000)}, "id": 1,'.encode(), 1)
    damage.check(deep, expect="refused")
    damage.check(deep, with_backups=True, expect="recovered")
    damage.check(nested(10_000).encode(), expect="refused")
    check_kept_after_a_save(damage, envelope([{**records[0], "x": json.loads(nested(200))}]))


def test_nesting_near_the_decoders_limits_is_saved_or_refused_whole(
    real_files: Disk, damage: DamageCheck
) -> None:
    """A file that loads must save again: around 255 (a limit of orjson, the writer once), ~1000
    (Python's stack) and 1024 levels, an add either keeps the record or refuses the file."""
    records = good_records(real_files)
    for depth in (254, 256, 900, 990, 1010, 1023, 1025):
        with damage.case():
            path = damage.root / f"deep-{depth}" / DATA
            path.parent.mkdir()
            text = json.dumps([{**records[0], "x": "DEEP"}]).replace('"DEEP"', nested(depth))
            path.write_text('{"format": "tasksafe", "version": 1, "tasks": ' + text + "}")
            before = path.read_bytes()
            done = run_cli(path, "add", "after the deep record")
            assert "unexpected" not in done.stderr and "Traceback" not in done.stderr, done.stderr
            if done.returncode == 4:
                assert path.read_bytes() == before and "untouched" in done.stderr
            else:
                assert done.returncode == 0, done.stderr
                kept = records_in(path.read_bytes())[0]["x"]
                assert json.dumps(kept) == nested(depth).replace("][", "], [")
            damage.tally("refused" if done.returncode == 4 else "loaded")


def test_a_directory_where_the_file_should_be_is_refused_and_left_alone(
    tmp_path: Path, damage: DamageCheck
) -> None:
    path = tmp_path / "where-the-file-should-be.json"
    path.mkdir()
    (path / "inside").write_text("keep me")
    with pytest.raises(StorageError, match="is a directory"):
        AppState(path).load()
    for args in (("list", "--all", "--json"), ("add", "x")):
        done = run_cli(path, *args)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert done.stderr.count("\n") == 1 and "is a directory" in done.stderr
    assert [p.name for p in path.iterdir()] == ["inside"]
    damage.tally("refused")


def test_a_directory_where_the_file_should_be_exits_4(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.mkdir()
    assert run_cli(path, "list").returncode == 4


# --- through the real program ---


def cli_case(directory: Path, damaged: bytes, backups: Disk) -> tuple[Path, Disk]:
    directory.mkdir()
    for name, data in backups.items():
        (directory / name).write_bytes(data)
    (directory / DATA).write_bytes(damaged)
    return directory / DATA, snapshot(directory)


def test_the_cli_refuses_a_damaged_file_with_exit_4_and_leaves_it(
    real_files: Disk, tmp_path: Path, damage: DamageCheck
) -> None:
    data = real_files[DATA]
    for n, damaged in enumerate(
        (data[: len(data) // 2], b"{", b"\0" * 100, nested(10_000).encode())
    ):
        with damage.case():
            path, before = cli_case(tmp_path / f"cli-{n}", damaged, {})
            for args in (("list", "--all", "--json"), ("add", "not saved")):
                done = run_cli(path, *args)
                assert done.returncode == 4, done.stderr
                assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
                assert done.stderr.startswith("error:") and "untouched" in done.stderr
                assert snapshot(path.parent) == before
            damage.tally("refused")


def test_the_cli_recovers_from_a_backup_and_says_so(
    real_files: Disk, tmp_path: Path, damage: DamageCheck
) -> None:
    data = real_files[DATA]
    backups = {n: d for n, d in real_files.items() if n != DATA}
    path, _ = cli_case(tmp_path / "cli", data[:1000], backups)
    done = run_cli(path, "list", "--all", "--json")
    assert done.returncode == 0, done.stderr
    assert "was damaged" in done.stderr and "restored" in done.stderr
    assert "1 later step(s) from the history" in done.stderr

    def tasks(records: list[Any]) -> list[tuple[int, str, str]]:
        return sorted((r["id"], r["uuid"], r["name"]) for r in records)

    # Every acknowledged task (a field written into the file by hand, not by a save, is not
    # in the history, so the replay cannot know it: the backup's version of that task stands).
    assert tasks(json.loads(done.stdout)) == tasks(records_in(data))
    (corrupt,) = path.parent.glob(f"{DATA}.corrupt-*")
    assert corrupt.read_bytes() == data[:1000]
    damage.tally("recovered")


def test_the_cli_lists_a_file_with_invalid_records_and_keeps_them(
    real_files: Disk, tmp_path: Path, damage: DamageCheck
) -> None:
    records = good_records(real_files)
    odd = [
        {**records[0], "priority": "urgent"},
        "not a task",
        {**records[1], "id": records[2]["id"]},
    ]
    path, _ = cli_case(tmp_path / "cli", envelope([*records, *odd]), {})
    done = run_cli(path, "list", "--all", "--json")
    assert done.returncode == 0 and "3 record(s)" in done.stderr, done.stderr
    assert len(json.loads(done.stdout)) == len(records)
    assert run_cli(path, "add", "one more").returncode == 0
    assert saved_records(path)[: len(records) + 3] == [*records, *odd]
    damage.tally("loaded with problems")


@pytest.mark.slow
def test_a_50_mb_name_loads_lists_and_saves(tmp_path: Path, damage: DamageCheck) -> None:
    huge = "x" * (50 * 1024 * 1024)
    record = {"id": 1, "uuid": "8f7d0e1c-0000-4000-8000-000000000001", "name": huge}
    path, _ = cli_case(tmp_path / "cli", envelope([record]), {})
    done = run_cli(path, "list", "--all", "--json")
    assert done.returncode == 0, done.stderr[-500:]
    assert json.loads(done.stdout)[0]["name"] == huge
    assert run_cli(path, "add", "next to a huge one").returncode == 0
    assert [len(r["name"]) for r in saved_records(path)] == [len(huge), len("next to a huge one")]
    damage.tally("loaded")
