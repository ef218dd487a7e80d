"""A journal another program holds locked while a session runs: the session is told
what really happens (it goes on, and is saved when the lock clears), it does not
stall on every entry, and closing waits for the lock so nothing kept is lost."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from assistant.events import LogEntry
from assistant.journal import open_journal, record_entry
from assistant.paths import journal_file


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path))
    return tmp_path


class Blocker:
    """Another program holding the journal's write lock, in a thread of its own."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._held = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)
        self._thread.start()
        assert self._held.wait(10)

    def _hold(self) -> None:
        db = sqlite3.connect(self._path, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        self._held.set()
        self._release.wait(30)
        db.execute("ROLLBACK")
        db.close()

    def release_after(self, seconds: float) -> None:
        threading.Timer(seconds, self._release.set).start()

    def join(self) -> None:
        self._release.set()
        self._thread.join(10)


def test_a_locked_journal_is_saved_when_the_lock_clears(home: Path) -> None:
    journal = open_journal(busy_timeout_s=0.5)
    path = journal_file()
    notes: list[str] = []
    reported: list[str] = []
    blocker = Blocker(path)
    try:
        record_entry(
            journal, LogEntry("session_started", 0, {"routine": "flexion"}), reported, notes.append
        )
        began = time.monotonic()
        for ms in range(1000, 6000, 1000):
            record_entry(
                journal, LogEntry("command", ms, {"intent": "slower"}), reported, notes.append
            )
        stalled = time.monotonic() - began
        assert len(notes) == 1
        assert str(path) in notes[0] and "\n" not in notes[0]
        assert "the session goes on and is saved when the lock clears" in notes[0]
        assert "try again" not in notes[0]
        # Five entries while locked: far less than five full waits of 0.5 s.
        assert stalled < 1.0
        record_entry(
            journal,
            LogEntry("session_ended", 9000, {"outcome": "completed"}),
            reported,
            notes.append,
        )
        blocker.release_after(1.5)  # longer than a write waits: closing has to wait for it
        journal.close()
    finally:
        blocker.join()
    with open_journal() as again:
        [session] = again.sessions()
    assert (session.routine, session.outcome) == ("flexion", "completed")
    assert [c.intent for c in session.commands] == ["slower"] * 5
