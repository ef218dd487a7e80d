"""The session journal against a real SQLite file in a temporary BACKCOACH_HOME."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.errors import JournalError
from assistant.events import LogEntry
from assistant.journal import (
    IN_PROGRESS,
    INTERRUPTED,
    SCHEMA_VERSION,
    Journal,
    open_journal,
)
from assistant.paths import journal_file

TZ = timezone(timedelta(hours=1))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BACKCOACH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


class Ticker:
    """A wall clock for the journal that moves a minute per reading."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    return Ticker(datetime(2026, 11, 2, 8, 0, tzinfo=TZ))


@pytest.fixture
def journal(home: Path, ticker: Ticker) -> Iterator[Journal]:
    with open_journal(now=ticker) as j:
        yield j


def full_session(routine: str = "extension", before: int = 6, after: int = 4) -> list[LogEntry]:
    return [
        LogEntry("session_started", 0, {"routine": routine, "engine": "text"}),
        LogEntry("rating", 1_000, {"phase": "before", "value": before}),
        LogEntry("exercise_started", 2_000, {"exercise": "prone-lying", "side": None}),
        LogEntry(
            "exercise_finished",
            62_000,
            {
                "exercise": "prone-lying",
                "side": None,
                "reps_done": 0,
                "hold_s_done": 60,
                "answer": "better",
            },
        ),
        LogEntry("exercise_started", 63_000, {"exercise": "press-up", "side": "left"}),
        LogEntry("command", 70_000, {"intent": "slower", "exercise": "press-up"}),
        LogEntry(
            "exercise_finished",
            120_000,
            {
                "exercise": "press-up",
                "side": "left",
                "reps_done": 10,
                "hold_s_done": 2,
                "answer": "same",
            },
        ),
        LogEntry("rating", 121_000, {"phase": "after", "value": after}),
        LogEntry("session_ended", 122_000, {"outcome": "completed", "reason": "routine done"}),
    ]


def test_a_session_is_stored_as_it_goes_and_reads_back(journal: Journal, home: Path) -> None:
    for entry in full_session():
        journal.record(entry)
    assert journal.path == home / "data" / "journal.sqlite3" == journal_file()
    [s] = journal.sessions()
    assert (s.routine, s.engine, s.outcome, s.reason) == (
        "extension",
        "text",
        "completed",
        "routine done",
    )
    assert (s.pain_before, s.pain_after) == (6, 4)
    assert s.started_at == datetime(2026, 11, 2, 8, 1, tzinfo=TZ)
    assert s.ended_at is not None and s.ended_at > s.started_at
    assert [(e.exercise, e.side, e.reps_done, e.hold_s_done, e.answer) for e in s.exercises] == [
        ("prone-lying", None, 0, 60.0, "better"),
        ("press-up", "left", 10, 2.0, "same"),
    ]
    assert [(c.intent, c.exercise) for c in s.commands] == [("slower", "press-up")]
    assert s.answers_text() == "prone-lying: better; press-up (left): same"


def test_each_record_is_committed_at_once(journal: Journal, ticker: Ticker) -> None:
    journal.record(LogEntry("session_started", 0, {"routine": "flexion", "engine": "vosk"}))
    journal.record(LogEntry("exercise_started", 5, {"exercise": "supine-flexion"}))
    # Another connection (another process would be the same) sees it immediately.
    with open_journal(journal.path, now=ticker) as reader:
        [s] = reader.sessions()
    assert s.routine == "flexion"
    assert [e.exercise for e in s.exercises] == ["supine-flexion"]
    assert s.outcome == IN_PROGRESS  # this process is alive and never ended it


def test_ctrl_c_marks_the_session_interrupted_and_keeps_finished_exercises(
    home: Path, ticker: Ticker
) -> None:
    with pytest.raises(KeyboardInterrupt), open_journal(now=ticker) as j:
        for entry in full_session()[:5]:  # up to starting press-up
            j.record(entry)
        raise KeyboardInterrupt
    with open_journal() as j:
        [s] = j.sessions()
    assert s.outcome == INTERRUPTED
    assert s.reason and "interrupted" in s.reason
    assert [e.exercise for e in s.exercises_done] == ["prone-lying"]
    assert s.answers_text() == "prone-lying: better; press-up (left): not finished"


CRASHER = textwrap.dedent(
    """
    import os, sys
    from assistant.events import LogEntry
    from assistant.journal import open_journal
    j = open_journal()
    j.record(LogEntry("session_started", 0, {"routine": "extension", "engine": "text"}))
    j.record(LogEntry("exercise_started", 1, {"exercise": "prone-lying"}))
    j.record(LogEntry("exercise_finished", 2, {"exercise": "prone-lying", "answer": "worse"}))
    j.record(LogEntry("exercise_started", 3, {"exercise": "prone-props"}))
    os._exit(9)  # a crash: no close, no flush, no cleanup
    """
)


def test_a_crashed_process_loses_only_the_exercise_in_progress(home: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CRASHER], env=os.environ.copy(), check=False)
    assert done.returncode == 9
    with open_journal() as j:
        [s] = j.sessions()
    assert s.outcome == INTERRUPTED
    assert [(e.exercise, e.answer, e.finished) for e in s.exercises] == [
        ("prone-lying", "worse", True),
        ("prone-props", None, False),
    ]
    # Opening it again marked it for good (not just on reading).
    with sqlite3.connect(journal_file()) as db:
        assert db.execute("SELECT outcome FROM sessions").fetchall() == [(INTERRUPTED,)]
    db.close()


WRITER = textwrap.dedent(
    """
    import sys
    from assistant.events import LogEntry
    from assistant.journal import open_journal
    name = sys.argv[1]
    with open_journal(busy_timeout_s=10) as j:
        j.record(LogEntry("session_started", 0, {"routine": name, "engine": "text"}))
        print("started", flush=True)
        sys.stdin.readline()  # wait until the other session is running too
        for i in range(40):
            j.record(LogEntry("exercise_started", i, {"exercise": f"{name}-{i}"}))
            j.record(LogEntry("exercise_finished", i, {"exercise": f"{name}-{i}",
                                                       "answer": "same"}))
        j.record(LogEntry("session_ended", 99, {"outcome": "completed"}))
    """
)


def test_two_sessions_at_once_are_both_recorded_in_full(home: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for name in ("first", "second")
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "started"
        # Both are running: each shows as in progress to a third reader.
        with open_journal() as j:
            running = j.sessions()
            assert [s.outcome for s in running] == [IN_PROGRESS, IN_PROGRESS]
            assert len(j.others_in_progress()) == 2
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.close()
        for p in procs:
            assert p.wait(timeout=60) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            if p.stdout:
                p.stdout.close()
    with open_journal() as j:
        sessions = j.sessions()
    assert sorted(s.routine or "" for s in sessions) == ["first", "second"]
    for s in sessions:
        assert s.outcome == "completed"
        assert [e.exercise for e in s.exercises_done] == [f"{s.routine}-{i}" for i in range(40)]


OPENER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.events import LogEntry
    from assistant.journal import open_journal
    go = Path(sys.argv[1])
    while not go.exists():  # all processes start opening at the same moment
        time.sleep(0.005)
    with open_journal(busy_timeout_s=10) as j:
        j.record(LogEntry("session_ended", 0, {"outcome": "completed"}))
    """
)


def test_processes_creating_the_journal_at_the_same_moment_all_succeed(
    home: Path, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(go)],
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(4)
    ]
    time.sleep(1.0)  # let them all import and wait
    go.touch()
    errors = []
    for p in procs:
        _, err = p.communicate(timeout=60)
        if p.returncode:
            errors.append(err.strip().splitlines()[-1])
    assert errors == []
    with open_journal() as j:
        assert j.count() == 4


def hold_lock(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    return db


def test_a_locked_journal_gives_a_clear_error_and_loses_nothing(home: Path, ticker: Ticker) -> None:
    with open_journal(now=ticker) as j:
        for entry in full_session():
            j.record(entry)
    path = journal_file()
    j = open_journal(now=ticker, busy_timeout_s=0.2)
    try:
        blocker = hold_lock(path)
        try:
            with pytest.raises(JournalError) as err:
                j.record(LogEntry("session_started", 0, {"routine": "flexion"}))
            message = str(err.value)
            assert str(path) in message and "locked" in message and "\n" not in message
            # Reading still works meanwhile (history, report): WAL mode.
            with open_journal(busy_timeout_s=0.2) as reader:
                assert [x.routine for x in reader.sessions()] == ["extension"]
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        # The lock is gone: the held entry is written along with the next one.
        j.record(LogEntry("session_ended", 5, {"outcome": "stopped_by_user"}))
        sessions = j.sessions()
    finally:
        j.close()
    assert [(s.routine, s.outcome) for s in sessions] == [
        ("extension", "completed"),
        ("flexion", "stopped_by_user"),
    ]


def test_a_program_holding_the_whole_file_blocks_opening_with_a_clear_error(
    home: Path,
) -> None:
    with open_journal() as j:
        j.record(LogEntry("session_ended", 0, {"outcome": "completed"}))
    hog = sqlite3.connect(journal_file(), isolation_level=None)
    try:
        hog.execute("PRAGMA locking_mode = EXCLUSIVE")
        hog.execute("BEGIN EXCLUSIVE")
        hog.execute("COMMIT")  # exclusive locking mode keeps the lock after commit
        with pytest.raises(JournalError) as err:
            open_journal(busy_timeout_s=0.2)
    finally:
        hog.close()
    assert "locked" in str(err.value) and str(journal_file()) in str(err.value)
    with open_journal() as j:
        assert [s.outcome for s in j.sessions()] == ["completed"]


def test_garbage_bytes_are_refused_and_left_untouched(home: Path) -> None:
    path = journal_file()
    path.parent.mkdir(parents=True)
    garbage = bytes(range(256)) * 64
    path.write_bytes(garbage)
    with pytest.raises(JournalError) as err:
        open_journal()
    message = str(err.value)
    assert str(path) in message and "move it aside" in message and "\n" not in message
    assert path.read_bytes() == garbage


def test_a_damaged_journal_is_detected_by_the_integrity_check(home: Path, ticker: Ticker) -> None:
    with open_journal(now=ticker) as j:
        for _ in range(30):
            for entry in full_session():
                j.record(entry)
    path = journal_file()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[2 * page : 5 * page] = b"\xa5" * (3 * page)  # stomp on table pages
    path.write_bytes(bytes(data))
    with pytest.raises(JournalError) as err, open_journal() as j:
        j.sessions()
    assert str(path) in str(err.value) and "damaged" in str(err.value)
    assert path.read_bytes() == bytes(data)


def test_a_schema_migration_backs_the_journal_up_first(home: Path, ticker: Ticker) -> None:
    path = journal_file()
    with open_journal(now=ticker, schema_version=1):
        pass
    with sqlite3.connect(path) as db:  # a session written by the version-1 program
        db.execute(
            "INSERT INTO sessions (started_at, routine, outcome) VALUES (?, ?, ?)",
            ("2026-10-01T09:00:00+01:00", "extension", "completed"),
        )
    db.close()
    with open_journal(now=ticker) as j:
        backup = j.migration_backup
        [s] = j.sessions()
    assert s.routine == "extension" and s.outcome == "completed"
    assert backup is not None and backup.parent == path.parent
    assert backup.name.startswith("journal.sqlite3.v1-backup-")
    with sqlite3.connect(backup) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert db.execute("SELECT routine FROM sessions").fetchall() == [("extension",)]
    db.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
    # Opening again: already current, no second backup.
    with open_journal(now=ticker) as j:
        assert j.migration_backup is None
        assert j.backups() == [backup]


def test_a_new_journal_needs_no_backup_and_only_its_owner_can_read_it(home: Path) -> None:
    with open_journal() as j:
        assert j.migration_backup is None and j.backups() == []
    assert journal_file().stat().st_mode & 0o777 == 0o600
    assert journal_file().parent.stat().st_mode & 0o777 == 0o700


def test_a_journal_folder_that_cannot_be_created_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BACKCOACH_HOME", str(blocker))
    with pytest.raises(JournalError) as err:
        open_journal()
    assert str(journal_file()) in str(err.value) and "BACKCOACH_HOME" in str(err.value)


def test_a_journal_from_a_newer_version_is_refused(home: Path) -> None:
    with open_journal():
        pass
    with sqlite3.connect(journal_file()) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(JournalError, match="newer Back Coach"):
        open_journal()


def test_some_other_sqlite_file_is_not_taken_over(home: Path) -> None:
    path = journal_file()
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE photos (name TEXT)")
    db.close()
    with pytest.raises(JournalError, match="not a Back Coach journal"):
        open_journal()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("photos",)]
    db.close()


def test_entries_before_session_started_are_kept(journal: Journal) -> None:
    # A red flag at intake: the engine may end before naming a routine.
    journal.record(
        LogEntry("session_ended", 3_000, {"outcome": "red_flag", "reason": "saddle numbness"})
    )
    [s] = journal.sessions()
    assert (s.routine, s.outcome, s.reason) == (None, "red_flag", "saddle numbness")


def test_last_n_gives_the_most_recent_sessions_oldest_first(journal: Journal) -> None:
    for routine in ("extension", "flexion", "stenosis", "stretches"):
        for entry in full_session(routine):
            journal.record(entry)
    assert [s.routine for s in journal.sessions(last=2)] == ["stenosis", "stretches"]
    assert len(journal.sessions()) == journal.count() == 4
    assert journal.sessions(last=0) == []


def test_delete_all_leaves_nothing_to_recover(home: Path, ticker: Ticker) -> None:
    path = journal_file()
    with open_journal(now=ticker, schema_version=1):
        pass
    with open_journal(now=ticker) as j:  # makes a (tiny) migration backup
        assert j.backups()
        for entry in full_session("very-private-routine-name"):
            j.record(entry)
        assert j.delete_all() == 1
        assert j.sessions() == [] and j.backups() == []
        j.record(LogEntry("session_started", 0, {"routine": "flexion"}))  # still usable
        assert [s.routine for s in j.sessions()] == ["flexion"]
    leftovers = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.is_file())
    assert b"very-private-routine-name" not in leftovers


def test_closing_without_an_ending_marks_interrupted(journal: Journal) -> None:
    journal.record(LogEntry("session_started", 0, {"routine": "extension"}))
    journal.close()
    with open_journal(journal.path) as j:
        [s] = j.sessions()
    assert s.outcome == INTERRUPTED
    with pytest.raises(JournalError, match="closed"):
        journal.record(LogEntry("command", 1, {"intent": "pause"}))


def test_an_entry_that_cannot_be_stored_does_not_block_later_ones(journal: Journal) -> None:
    journal.record(LogEntry("session_started", 0, {"routine": "extension"}))
    raw = sqlite3.connect(journal.path, isolation_level=None)
    try:
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("DELETE FROM entries")
        raw.execute("DELETE FROM sessions")  # erased underneath the running session
    finally:
        raw.close()
    with pytest.raises(JournalError, match="FOREIGN KEY"):
        journal.record(LogEntry("exercise_started", 1, {"exercise": "prone-lying"}))
    journal.record(LogEntry("session_started", 2, {"routine": "flexion"}))
    assert [s.routine for s in journal.sessions()] == ["flexion"]
