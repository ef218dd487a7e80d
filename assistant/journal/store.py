"""The session journal: a small SQLite database in the user's data directory.

The runtime forwards every ``LogEntry`` the dialog engine emits to
``Journal.record``; each call commits at once, so a crash or Ctrl-C loses at
most the exercise in progress.  A session that never recorded ``session_ended``
reads back as ``interrupted``.  Opening and migrating: ``connection``; writing
the tables: ``writer``; reading back: ``reader``; what a running session does
when the journal fails: ``policy``.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import JournalError
from ..events import LogEntry
from ..paths import journal_file
from .connection import (
    BUSY_TIMEOUT_S,
    CLOSE_WAIT_S,
    DB_ERRORS,
    LOCKED_WAIT_S,
    JournalLocked,
    Now,
    connect,
    describe_error,
    iso,
    local_now,
)
from .models import IN_PROGRESS, SessionRecord
from .reader import pid_alive, read_sessions
from .schema import SCHEMA_VERSION, TABLES
from .writer import apply_entry, mark_interrupted, mark_stale, transaction

__all__ = ["Journal", "open_journal", "BUSY_TIMEOUT_S", "describe_error"]


class Journal:
    """An open journal.  Use ``open_journal()``; close it (or use ``with``)."""

    def __init__(
        self,
        path: Path,
        conn: sqlite3.Connection,
        now: Now,
        backup: Path | None = None,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = conn
        self._now = now
        self._lock = threading.RLock()
        self._session_id: int | None = None
        self._pending: list[tuple[LogEntry, datetime]] = []
        self._backup = backup
        self._busy_timeout_s = busy_timeout_s
        self._locked = False  # the last write met another program's lock

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
                self._until_unlocked(lambda: self._finish(interrupted))
            except JournalLocked:
                error = JournalError(
                    f"{self._path}: still locked by another program when the session ended; "
                    f"its last {len(self._pending)} entries could not be saved"
                )
            except JournalError as exc:
                error = exc
            finally:
                self._conn.close()
                self._conn = None
            if error is not None and _raise:
                raise error

    def _finish(self, interrupted: bool) -> None:
        self._flush()
        sid = self._session_id
        if sid is not None:
            reason = (
                "the session was interrupted (Ctrl-C or an error)"
                if interrupted
                else "the session closed without an ending"
            )
            self._write(lambda db: mark_interrupted(db, sid, reason, iso(self._now())))
            self._session_id = None

    def _until_unlocked(self, attempt: Callable[[], None]) -> None:
        """``attempt``, again while another program holds the lock, up to ``CLOSE_WAIT_S``:
        a session told "saved when the lock clears" must not lose its end to one more lock."""
        deadline = time.monotonic() + CLOSE_WAIT_S
        while True:
            try:
                attempt()
                return
            except JournalLocked:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    # --------------------------------------------------------------- writing

    def _write(self, apply: Callable[[sqlite3.Connection], None]) -> None:
        transaction(self._db(), self._path, apply)

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
                self._session_id = apply_entry(db, entry, at, self._session_id, self._now)

        try:
            self._write(apply)
        except JournalLocked:
            self._session_id = saved
            self._set_wait(LOCKED_WAIT_S)
            raise
        except JournalError:
            self._session_id = saved
            # Not a lock that will pass: keeping the entries would make every later
            # record fail the same way.
            self._pending.clear()
            raise
        except BaseException:
            self._session_id = saved
            raise
        self._pending.clear()
        self._set_wait(self._busy_timeout_s)

    def _set_wait(self, seconds: float) -> None:
        """How long the next write waits for another program's lock."""
        locked = seconds != self._busy_timeout_s
        if locked != self._locked:
            self._locked = locked
            self._db().execute(f"PRAGMA busy_timeout = {round(seconds * 1000)}")

    def mark_stale_sessions(self) -> int:
        """Mark sessions whose process is gone as ``interrupted``; return how many."""
        with self._lock:
            rows = self._query("SELECT id, pid, host FROM sessions WHERE outcome IS NULL")
            here = socket.gethostname()
            stale = [
                sid
                for sid, pid, host in rows
                if sid != self._session_id and not (host == here and pid_alive(pid))
            ]
            if stale:
                self._write(lambda db: mark_stale(db, stale))
            return len(stale)

    # --------------------------------------------------------------- reading

    def count(self) -> int:
        with self._lock:
            return int(self._query("SELECT COUNT(*) FROM sessions")[0][0])

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        try:
            return self._db().execute(sql, tuple(params)).fetchall()
        except DB_ERRORS as exc:
            raise describe_error(self._path, exc) from exc

    def sessions(self, last: int | None = None) -> list[SessionRecord]:
        """Sessions, oldest first; ``last=N`` gives only the ``N`` most recent."""
        with self._lock:
            try:
                return read_sessions(self._query, last, self._now())
            except ValueError as exc:  # a date that is not one: the file was damaged
                raise describe_error(self._path, exc) from exc

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
            except DB_ERRORS as exc:
                raise describe_error(self._path, exc) from exc
            for backup in self.backups():
                try:
                    backup.unlink()
                except OSError as exc:
                    raise JournalError(
                        f"{backup}: could not delete this journal backup ({exc}); delete it by hand"
                    ) from exc
            return n


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
    clock = now or local_now
    conn, backup = connect(path, busy_timeout_s, schema_version, clock)
    journal = Journal(path, conn, clock, backup, busy_timeout_s)
    with contextlib.suppress(JournalError):  # cosmetic: they read back as interrupted anyway
        journal.mark_stale_sessions()
    return journal
