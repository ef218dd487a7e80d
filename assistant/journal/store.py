"""The session journal: a small SQLite database in the user's data directory.

The runtime forwards every ``LogEntry`` the dialog engine emits to
``Journal.record``; each call commits at once, so a crash or Ctrl-C loses at
most the exercise in progress.  A session that never recorded ``session_ended``
reads back as ``interrupted``.

Safety:

* WAL mode and a busy timeout: two sessions (two processes) can write at once,
  and ``history`` / ``report`` can read while a session runs.
* On opening, ``PRAGMA quick_check``; a damaged or foreign file is never
  written to — the error says which file and what to do.
* Before migrating a journal that holds data to a newer schema, a backup copy
  is written next to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from .. import __version__
from ..errors import JournalError
from ..events import LogEntry, LogKind
from ..paths import journal_file
from .models import (
    IN_PROGRESS,
    INTERRUPTED,
    CommandRecord,
    ExerciseRecord,
    SessionRecord,
)
from .schema import MIGRATIONS, SCHEMA_VERSION, TABLES

__all__ = ["Journal", "open_journal", "BUSY_TIMEOUT_S"]

#: How long a write waits for another process holding the journal before giving up.
BUSY_TIMEOUT_S = 3.0
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: A session without ``session_ended`` counts as running (not interrupted) only
#: while its process is alive and it started less than this long ago.
_IN_PROGRESS_MAX_AGE_S = 12 * 3600
_INTERRUPTED_REASON = "the session stopped without finishing (Ctrl-C, a crash or a power cut)"

Now = Callable[[], datetime]


def _local_now() -> datetime:
    return datetime.now().astimezone()


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat(timespec="seconds")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else round(float(value))
    except (TypeError, ValueError):
        return None


def _float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _pid_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _transient(error: JournalError) -> bool:
    cause = str(error.__cause__ or "").lower()
    return "locked" in cause or "busy" in cause


def describe_error(path: Path, exc: BaseException) -> JournalError:
    """Turn an sqlite3 / OS error into one line naming the file and what to do."""
    text = str(exc)
    low = text.lower()
    if "locked" in low or "busy" in low:
        return JournalError(
            f"{path}: the journal is locked by another program (is another backcoach "
            "session or report running?); wait for it to finish and try again"
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return JournalError(
            f"{path}: the journal file is damaged ({text}); move it aside (for example rename "
            f"it to {path.name}.damaged) and Back Coach will start a new journal — nothing in "
            "the moved file is lost"
        )
    if "readonly" in low or "read-only" in low or isinstance(exc, PermissionError):
        return JournalError(
            f"{path}: the journal cannot be written ({text}); check the permissions of the "
            "file and its folder, or set BACKCOACH_HOME to a writable folder"
        )
    if "disk is full" in low or "no space" in low:
        return JournalError(f"{path}: the disk is full; free some space and try again")
    return JournalError(f"{path}: the journal could not be used ({text})")


class Journal:
    """An open journal.  Use ``open_journal()``; close it (or use ``with``)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, now: Now) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = conn
        self._now = now
        self._lock = threading.RLock()
        self._session_id: int | None = None
        self._pending: list[tuple[LogEntry, datetime]] = []
        self._backup: Path | None = None

    # ------------------------------------------------------------------ basics

    @property
    def path(self) -> Path:
        return self._path

    @property
    def session_id(self) -> int | None:
        """The session this journal is writing now (``None`` between sessions)."""
        return self._session_id

    @property
    def migration_backup(self) -> Path | None:
        """The backup copy made before a schema migration on opening, if one was."""
        return self._backup

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(interrupted=exc_type is not None, _raise=exc_type is None)

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise JournalError(f"{self._path}: the journal is already closed")
        return self._conn

    def close(self, interrupted: bool = False, *, _raise: bool = True) -> None:
        """Write what is pending and close.

        A session still open (no ``session_ended`` recorded) is marked
        ``interrupted``; ``interrupted=True`` says it was Ctrl-C or an error.
        """
        with self._lock:
            if self._conn is None:
                return
            error: JournalError | None = None
            try:
                self._flush()
                if self._session_id is not None:
                    reason = (
                        "the session was interrupted (Ctrl-C or an error)"
                        if interrupted
                        else "the session closed without an ending"
                    )
                    self._write(lambda db: self._mark_interrupted(db, self._session_id, reason))
                    self._session_id = None
            except JournalError as exc:
                error = exc
            finally:
                self._conn.close()
                self._conn = None
            if error is not None and _raise:
                raise error

    # --------------------------------------------------------------- writing

    def _write(self, apply: Callable[[sqlite3.Connection], None]) -> None:
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                apply(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise describe_error(self._path, exc) from exc

    def record(self, entry: LogEntry) -> None:
        """Store one ``LogEntry`` and commit it.

        Every kind is accepted; unknown kinds are kept verbatim.  If the journal
        is locked for longer than ``BUSY_TIMEOUT_S`` this raises ``JournalError``
        but keeps the entry: it is written with the next ``record`` or ``close``.
        """
        with self._lock:
            self._pending.append((entry, self._now()))
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        saved = self._session_id

        def apply(db: sqlite3.Connection) -> None:
            for entry, at in self._pending:
                self._apply(db, entry, at)

        try:
            self._write(apply)
        except JournalError as exc:
            self._session_id = saved
            if not _transient(exc):
                # Not a lock that will pass: keeping the entries would make every
                # later record fail the same way.
                self._pending.clear()
            raise
        except BaseException:
            self._session_id = saved
            raise
        self._pending.clear()

    def _new_session(
        self, db: sqlite3.Connection, data: Mapping[str, Any], at: str, ms: int
    ) -> int:
        cur = db.execute(
            "INSERT INTO sessions (started_at, routine, engine, start_exercise, started_ms, pid,"
            " host, app_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at,
                _str_or_none(data.get("routine")),
                _str_or_none(data.get("engine")),
                _str_or_none(data.get("start_exercise", data.get("start"))),
                ms,
                os.getpid(),
                socket.gethostname(),
                __version__,
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _apply(self, db: sqlite3.Connection, entry: LogEntry, moment: datetime) -> None:
        at = _iso(moment)
        data = dict(entry.data)
        kind = entry.kind
        ms = int(entry.timestamp_ms)
        if kind == LogKind.SESSION_STARTED:
            if self._session_id is not None:
                self._mark_interrupted(db, self._session_id, "a new session started")
            self._session_id = self._new_session(db, data, at, ms)
        elif self._session_id is None:
            # An entry before session_started (a red flag at intake, say): keep it
            # in a session of its own rather than dropping it.
            self._session_id = self._new_session(db, data, at, ms)
        sid = self._session_id
        db.execute(
            "INSERT INTO entries (session_id, kind, timestamp_ms, at, data) VALUES (?, ?, ?, ?, ?)",
            (sid, kind, ms, at, json.dumps(data, default=str, sort_keys=True)),
        )
        if kind == LogKind.RATING:
            value = _int_or_none(data.get("value"))
            if value is not None and 0 <= value <= 10:
                db.execute(
                    "INSERT INTO ratings (session_id, phase, value, at, at_ms) VALUES (?,?,?,?,?)",
                    (sid, str(data.get("phase") or "before"), value, at, ms),
                )
        elif kind == LogKind.EXERCISE_STARTED:
            db.execute(
                "INSERT INTO exercises (session_id, exercise, side, started_at, started_ms)"
                " VALUES (?, ?, ?, ?, ?)",
                (sid, str(data.get("exercise") or "?"), _str_or_none(data.get("side")), at, ms),
            )
        elif kind == LogKind.EXERCISE_FINISHED:
            self._finish_exercise(db, sid, data, at, ms)
        elif kind == LogKind.COMMAND:
            db.execute(
                "INSERT INTO commands (session_id, intent, exercise, at, at_ms) VALUES (?,?,?,?,?)",
                (sid, str(data.get("intent") or "?"), _str_or_none(data.get("exercise")), at, ms),
            )
        elif kind == LogKind.SESSION_ENDED:
            db.execute(
                "UPDATE sessions SET outcome = ?, reason = ?, ended_at = ? WHERE id = ?",
                (
                    str(data.get("outcome") or INTERRUPTED),
                    _str_or_none(data.get("reason")),
                    at,
                    sid,
                ),
            )
            self._session_id = None

    @staticmethod
    def _finish_exercise(
        db: sqlite3.Connection, sid: int | None, data: Mapping[str, Any], at: str, ms: int
    ) -> None:
        exercise = str(data.get("exercise") or "?")
        side = _str_or_none(data.get("side"))
        answer = _str_or_none(data.get("answer"))
        values = (
            at,
            ms,
            _int_or_none(data.get("reps_done")),
            _float_or_none(data.get("hold_s_done")),
        )
        row = db.execute(
            "SELECT id FROM exercises WHERE session_id = ? AND exercise = ? AND finished_at IS NULL"
            " ORDER BY (side IS ?) DESC, id DESC LIMIT 1",
            (sid, exercise, side),
        ).fetchone()
        if row is None:
            db.execute(
                "INSERT INTO exercises (session_id, exercise, side, started_at, started_ms,"
                " finished_at, finished_ms, reps_done, hold_s_done, answer)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, exercise, side, at, ms, *values, answer),
            )
        else:
            db.execute(
                "UPDATE exercises SET finished_at = ?, finished_ms = ?, reps_done = ?,"
                " hold_s_done = ?, answer = ?, side = COALESCE(?, side) WHERE id = ?",
                (*values, answer, side, row[0]),
            )

    def _mark_interrupted(self, db: sqlite3.Connection, sid: int | None, reason: str) -> None:
        db.execute(
            "UPDATE sessions SET outcome = ?, reason = ?, ended_at = ? "
            "WHERE id = ? AND outcome IS NULL",
            (INTERRUPTED, reason, _iso(self._now()), sid),
        )

    def mark_stale_sessions(self) -> int:
        """Mark sessions whose process is gone as ``interrupted``; return how many."""
        with self._lock:
            db = self._db()
            rows = db.execute("SELECT id, pid, host FROM sessions WHERE outcome IS NULL").fetchall()
            here = socket.gethostname()
            stale = [
                sid
                for sid, pid, host in rows
                if sid != self._session_id and not (host == here and _pid_alive(pid))
            ]
            if not stale:
                return 0

            def apply(db: sqlite3.Connection) -> None:
                for sid in stale:
                    last = db.execute(
                        "SELECT MAX(at) FROM entries WHERE session_id = ?", (sid,)
                    ).fetchone()[0]
                    db.execute(
                        "UPDATE sessions SET outcome = ?, reason = ?, ended_at = COALESCE(?, "
                        "started_at) WHERE id = ? AND outcome IS NULL",
                        (INTERRUPTED, _INTERRUPTED_REASON, last, sid),
                    )

            self._write(apply)
            return len(stale)

    # --------------------------------------------------------------- reading

    def count(self) -> int:
        with self._lock:
            return int(self._query("SELECT COUNT(*) FROM sessions")[0][0])

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        try:
            return self._db().execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise describe_error(self._path, exc) from exc

    def sessions(self, last: int | None = None) -> list[SessionRecord]:
        """Sessions, oldest first; ``last=N`` gives only the ``N`` most recent."""
        with self._lock:
            sql = (
                "SELECT id, started_at, ended_at, routine, engine, start_exercise, outcome, "
                "reason, pid, host FROM sessions ORDER BY id DESC"
            )
            params: tuple[Any, ...] = ()
            if last is not None:
                sql += " LIMIT ?"
                params = (max(0, last),)
            rows = list(reversed(self._query(sql, params)))
            if not rows:
                return []
            first = rows[0][0]
            exercises: dict[int, list[ExerciseRecord]] = {}
            for row in self._query(
                "SELECT session_id, exercise, side, started_at, finished_at, reps_done, "
                "hold_s_done, answer FROM exercises WHERE session_id >= ? ORDER BY id",
                (first,),
            ):
                exercises.setdefault(row[0], []).append(
                    ExerciseRecord(
                        exercise=row[1],
                        side=row[2],
                        started_at=datetime.fromisoformat(row[3]),
                        finished_at=_parse(row[4]),
                        reps_done=row[5],
                        hold_s_done=row[6],
                        answer=row[7],
                    )
                )
            ratings: dict[tuple[int, str], int] = {}
            for sid, phase, value in self._query(
                "SELECT session_id, phase, value FROM ratings WHERE session_id >= ? ORDER BY id",
                (first,),
            ):
                ratings[(sid, phase)] = value  # the latest rating of each phase wins
            commands: dict[int, list[CommandRecord]] = {}
            for sid, intent, exercise, at in self._query(
                "SELECT session_id, intent, exercise, at FROM commands WHERE session_id >= ? "
                "ORDER BY id",
                (first,),
            ):
                commands.setdefault(sid, []).append(
                    CommandRecord(intent=intent, exercise=exercise, at=datetime.fromisoformat(at))
                )
            now = self._now()
            here = socket.gethostname()
            result = []
            for sid, started, ended, routine, engine, start_ex, outcome, reason, pid, host in rows:
                started_at = datetime.fromisoformat(started)
                if outcome is None:
                    running = (
                        host == here
                        and _pid_alive(pid)
                        and abs((now - started_at).total_seconds()) < _IN_PROGRESS_MAX_AGE_S
                    )
                    outcome = IN_PROGRESS if running else INTERRUPTED
                    if not running:
                        reason = reason or _INTERRUPTED_REASON
                result.append(
                    SessionRecord(
                        id=sid,
                        started_at=started_at,
                        ended_at=_parse(ended),
                        routine=routine,
                        engine=engine,
                        start_exercise=start_ex,
                        outcome=outcome,
                        reason=reason,
                        pain_before=ratings.get((sid, "before")),
                        pain_after=ratings.get((sid, "after")),
                        exercises=tuple(exercises.get(sid, ())),
                        commands=tuple(commands.get(sid, ())),
                    )
                )
            return result

    def others_in_progress(self) -> list[SessionRecord]:
        """Sessions another running backcoach process is writing right now."""
        return [s for s in self.sessions() if s.outcome == IN_PROGRESS and s.id != self._session_id]

    # -------------------------------------------------------------- deleting

    def backups(self) -> list[Path]:
        """Backup copies made before schema migrations (they hold sessions too)."""
        return sorted(self._path.parent.glob(f"{self._path.name}.v*-backup-*"))

    def delete_all(self) -> int:
        """Erase every session (and the migration backups); return how many sessions.

        Rows are overwritten on disk (``secure_delete``), the file is vacuumed
        and the write-ahead log truncated, so nothing is left to recover.
        """
        with self._lock:
            n = self.count()

            def apply(db: sqlite3.Connection) -> None:
                for table in reversed(TABLES):
                    db.execute(f"DELETE FROM {table}")  # fixed table names

            self._write(apply)
            self._session_id = None
            self._pending.clear()
            try:
                db = self._db()
                db.execute("VACUUM")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise describe_error(self._path, exc) from exc
            for backup in self.backups():
                try:
                    backup.unlink()
                except OSError as exc:
                    raise JournalError(
                        f"{backup}: could not delete this journal backup ({exc}); delete it by hand"
                    ) from exc
            return n


# ------------------------------------------------------------------ opening


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise describe_error(path, exc) from exc
    if head and head != _SQLITE_MAGIC:
        raise JournalError(
            f"{path}: this is not a Back Coach journal (the file is damaged or is something "
            f"else); move it aside (for example rename it to {path.name}.damaged) and Back "
            "Coach will start a new journal — nothing in the moved file is lost"
        )


def _version(conn: sqlite3.Connection, path: Path) -> int:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"{path}: this journal was written by a newer Back Coach (schema {version}, this "
            f"one knows {SCHEMA_VERSION}); upgrade backcoach to read it"
        )
    return version


def _statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (executescript would commit)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _backup(conn: sqlite3.Connection, path: Path, version: int, now: Now) -> Path:
    stamp = now().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.v{version}-backup-{stamp}")
    backup.touch(mode=0o600)
    dest = sqlite3.connect(backup)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return backup


def _migrate(conn: sqlite3.Connection, path: Path, target: int, now: Now) -> Path | None:
    """Bring the schema to ``target``; back the file up first if it holds data.

    Safe when two processes open a new or old journal at the same moment: the
    version is read again inside the write transaction, so only one migrates.
    """
    version = _version(conn, path)
    if version >= target:
        return None
    backup = _backup(conn, path, version, now) if version > 0 else None
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn, path)  # another process may have migrated meanwhile
        if version == 0 and conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            raise JournalError(
                f"{path}: this SQLite file is not a Back Coach journal; move it aside or set "
                "BACKCOACH_HOME to another folder"
            )
        for step in range(version, target):
            for statement in _statements(MIGRATIONS[step]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return backup


def _connect(
    path: Path, busy_timeout_s: float, schema_version: int, clock: Now
) -> tuple[sqlite3.Connection, Path | None]:
    """Connect, check integrity, switch to WAL and migrate; close again on any error."""
    conn = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA synchronous = FULL")
        check = conn.execute("PRAGMA quick_check").fetchall()
        if [tuple(r) for r in check] != [("ok",)]:
            problem = "; ".join(str(r[0]) for r in check[:3])
            raise sqlite3.DatabaseError(f"database disk image is malformed: {problem}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError("database is locked (could not switch to WAL mode)")
        backup = _migrate(conn, path, schema_version, clock)
    except BaseException:
        conn.close()
        raise
    return conn, backup


def open_journal(
    path: Path | None = None,
    *,
    now: Now | None = None,
    schema_version: int = SCHEMA_VERSION,
    busy_timeout_s: float = BUSY_TIMEOUT_S,
) -> Journal:
    """Open (creating if needed) the journal at ``path`` (default: ``journal_file()``).

    Raises ``JournalError`` with one line naming the file and what to do when
    the file is damaged, locked, from a newer version or not writable.
    A write waits up to ``busy_timeout_s`` for another process holding the
    journal.  ``schema_version`` is for tests that need an older journal.
    """
    path = Path(path) if path is not None else journal_file()
    clock = now or _local_now
    try:
        # The journal is health information: only this user may read it.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600)
    except OSError as exc:
        raise JournalError(
            f"{path}: cannot create the journal ({exc}); set BACKCOACH_HOME to a writable folder"
        ) from exc
    deadline = time.monotonic() + busy_timeout_s
    while True:
        if path.exists():
            _check_header(path)
        try:
            conn, backup = _connect(path, busy_timeout_s, schema_version, clock)
            break
        except sqlite3.OperationalError as exc:
            # Some lock states (a WAL being set up or recovered by another process)
            # return "locked" at once, without waiting: wait and try again here.
            transient = "locked" in str(exc) or "busy" in str(exc)
            if not transient or time.monotonic() >= deadline:
                raise describe_error(path, exc) from exc
            time.sleep(0.05)
        except sqlite3.Error as exc:
            raise describe_error(path, exc) from exc
    journal = Journal(path, conn, clock)
    journal._backup = backup
    with contextlib.suppress(JournalError):  # cosmetic: they read back as interrupted anyway
        journal.mark_stale_sessions()
    return journal


def open_session_journal(notify: Callable[[str], None]) -> Journal | None:
    """Open the journal for a session that is about to start.

    A journal that cannot be opened is reported through ``notify`` and the
    session goes on unsaved (``None``); another session running at the same time
    is reported too, since both are recorded side by side.
    """
    try:
        journal = open_journal()
    except JournalError as exc:
        notify(f"journal: {exc}; this session will not be saved")
        return None
    if journal.others_in_progress():
        notify(
            "another Back Coach session is running at the same time; "
            "both are recorded in the journal"
        )
    return journal


class Recordable(Protocol):
    def record(self, entry: LogEntry) -> None: ...


def record_entry(
    journal: Recordable | None,
    entry: LogEntry,
    reported: list[str],
    notify: Callable[[str], None],
) -> None:
    """Record one entry of a running session; report each distinct problem once.

    The session keeps recording after a failure: the journal keeps a blocked
    entry (a locked file) and writes it with the next one, so nothing is lost to
    a passing lock.
    """
    if journal is None:
        return
    try:
        journal.record(entry)
    except JournalError as exc:
        message = f"journal: {exc}"
        if message not in reported:
            reported.append(message)
            notify(message)
