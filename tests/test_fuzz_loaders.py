"""Every loader fed random and malformed bytes (hypothesis): it loads, or it gives
one clear line naming the file — never a traceback — and no saved file changes.

The inputs are random bytes and real files broken the ways files break: cut
short, bytes changed, bytes inserted.  Examples are derandomized so a failure
is the same on every run and machine.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.audioio import read_audio
from assistant.config import load_settings
from assistant.dialog.routine import load_routine_file
from assistant.errors import AssistantError
from assistant.events import LogEntry
from assistant.journal import open_journal
from assistant.paths import dialogs_dir, fixtures_dir
from assistant.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent

FUZZ = settings(
    # BACKCOACH_FUZZ_EXAMPLES=2000 for a deeper run (the four regressions below came from one).
    max_examples=int(os.environ.get("BACKCOACH_FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _journal_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        with open_journal(path) as journal:
            for minute in range(3):
                journal.record(LogEntry("session_started", minute, {"routine": "extension"}))
                journal.record(LogEntry("rating", minute, {"phase": "before", "value": 5}))
                journal.record(LogEntry("exercise_started", minute, {"exercise": "prone-lying"}))
                journal.record(
                    LogEntry(
                        "exercise_finished", minute, {"exercise": "prone-lying", "answer": "same"}
                    )
                )
                journal.record(LogEntry("session_ended", minute, {"outcome": "completed"}))
        return path.read_bytes()


SEEDS: dict[str, bytes] = {
    "config.toml": b'routine = "flexion"\nvoice = "en-gb"\nrate_wpm = 130\ninput_device = 3\n',
    "extension.yaml": (dialogs_dir() / "extension.yaml").read_bytes(),
    "scenario.yaml": (fixtures_dir() / "scenarios" / "command_stop.yaml").read_bytes(),
    "clip.wav": (fixtures_dir() / "answers" / "worse_en-gb.wav").read_bytes(),
    "clip.flac": next((fixtures_dir() / "phrases" / "symptom").glob("*.flac")).read_bytes(),
    "journal.sqlite3": _journal_bytes(),
}


@dataclass(frozen=True)
class Damage:
    """One way a file breaks, applied to a seed (a short repr when hypothesis reports it)."""

    cut_at: int | None = None
    changes: tuple[tuple[int, int], ...] = ()
    inserted: tuple[int, bytes] | None = None
    random: bytes | None = None

    def apply(self, seed: bytes) -> bytes:
        if self.random is not None:
            return self.random
        if self.cut_at is not None:
            return seed[: self.cut_at]
        if self.inserted is not None:
            where, extra = self.inserted
            return seed[:where] + extra + seed[where:]
        data = bytearray(seed)
        for where, value in self.changes:
            data[where % len(data)] = value
        return bytes(data)


def broken(seed: bytes) -> st.SearchStrategy[Damage]:
    """Random bytes, or ``seed`` cut short, with bytes changed, or with bytes inserted."""
    size = len(seed)
    damage = st.one_of(
        st.builds(Damage, random=st.binary(max_size=2048)),
        st.builds(Damage, cut_at=st.integers(0, size)),
        st.builds(
            Damage,
            changes=st.lists(
                st.tuples(st.integers(0, size), st.integers(0, 255)), min_size=1, max_size=24
            ).map(tuple),
        ),
        st.builds(
            Damage, inserted=st.tuples(st.integers(0, size), st.binary(min_size=1, max_size=64))
        ),
    )
    return damage


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    """A user's home with a saved config and journal, which no loader may touch."""
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        saved = os.environ.get("BACKCOACH_HOME")
        os.environ["BACKCOACH_HOME"] = str(home)
        (home / "config").mkdir()
        (home / "config" / "config.toml").write_text('routine = "extension"\n', encoding="utf-8")
        (home / "data").mkdir()
        (home / "data" / "journal.sqlite3").write_bytes(SEEDS["journal.sqlite3"])
        try:
            yield home
        finally:
            if saved is None:
                del os.environ["BACKCOACH_HOME"]
            else:
                os.environ["BACKCOACH_HOME"] = saved


def load_journal(path: Path) -> None:
    with open_journal(path) as journal:
        journal.sessions()


def feed(home: Path, name: str, damage: Damage, load: Callable[[Path], Any]) -> None:
    """Write the seed ``name``, damaged, in a folder of its own and load it."""
    data = damage.apply(SEEDS[name])
    saved = snapshot(home)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            load(path)
        except AssistantError as exc:
            message = str(exc)
            assert "\n" not in message, message
            assert str(path) in message, message
            assert path.read_bytes() == data  # a file that does not load is left as it was
    assert snapshot(home) == saved


@FUZZ
@given(damage=broken(SEEDS["config.toml"]))
def test_config(home: Path, damage: Damage) -> None:
    feed(home, "config.toml", damage, lambda path: load_settings(path=path))


@FUZZ
@given(damage=broken(SEEDS["extension.yaml"]))
def test_routine(home: Path, damage: Damage) -> None:
    feed(home, "extension.yaml", damage, load_routine_file)


@FUZZ
@given(damage=broken(SEEDS["scenario.yaml"]))
@example(damage=Damage(random=b"\x80"))  # not UTF-8: was a UnicodeDecodeError traceback
def test_scenario(home: Path, damage: Damage) -> None:
    feed(home, "scenario.yaml", damage, load_scenario)


@FUZZ
@given(damage=broken(SEEDS["clip.wav"]))
def test_wav(home: Path, damage: Damage) -> None:
    feed(home, "clip.wav", damage, read_audio)


@FUZZ
@given(damage=broken(SEEDS["clip.flac"]))
def test_flac(home: Path, damage: Damage) -> None:
    feed(home, "clip.flac", damage, read_audio)


@FUZZ
@given(damage=broken(SEEDS["journal.sqlite3"]))
# Found by deeper runs: SQLite's integrity report over several lines; a schema byte
# that is no longer UTF-8 (a UnicodeDecodeError from SQLite's own message); a damaged
# column name (an sqlite3 error that escaped as a traceback).
@example(damage=Damage(inserted=(20481, b"\x00")))
@example(damage=Damage(changes=((998, 128),)))
@example(damage=Damage(changes=((1344, 48),)))
def test_journal(home: Path, damage: Damage) -> None:
    feed(home, "journal.sqlite3", damage, load_journal)


def test_the_seeds_themselves_load(home: Path) -> None:
    # Otherwise every broken variant could fail for a reason of the test's own.
    with tempfile.TemporaryDirectory() as folder:
        for name, data in SEEDS.items():
            (Path(folder) / name).write_bytes(data)
        assert load_settings(path=Path(folder) / "config.toml").routine == "flexion"
        assert load_routine_file(Path(folder) / "extension.yaml").id == "extension"
        load_scenario(Path(folder) / "scenario.yaml")
        assert read_audio(Path(folder) / "clip.wav").size > 8000
        assert read_audio(Path(folder) / "clip.flac").size > 8000
        with open_journal(Path(folder) / "journal.sqlite3") as journal:
            assert len(journal.sessions()) == 3
