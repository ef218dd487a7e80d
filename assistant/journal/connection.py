"""Opening the journal file: checks, WAL mode, schema migration, lock retries.

* On opening, ``PRAGMA quick_check``; a damaged or foreign file is never
  written to — the error says which file and what to do.
* WAL mode and a busy timeout: two sessions (two processes) can write at once,
  and ``history`` / ``report`` can read while a session runs.
* Before migrating a journal that holds data to a newer schema, a backup copy
  is written next to it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import JournalError
from .schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "BUSY_TIMEOUT_S",
    "CLOSE_WAIT_S",
    "DB_ERRORS",
    "JournalLocked",
    "Now",
    "connect",
    "describe_error",
    "iso",
    "verify",
]

#: What SQLite raises on a damaged file: its own errors, and a decoding error when
#: the text it quotes (a damaged schema) is no longer UTF-8.
DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, UnicodeDecodeError)
#: How long a write waits for another process holding the journal before giving up.
BUSY_TIMEOUT_S = 3.0
#: How long closing a session's journal waits for a lock to clear, so that what the
#: session kept while the journal was locked is still saved.
CLOSE_WAIT_S = 10.0
#: A write's wait once the journal is known to be locked: the entry is kept anyway,
#: and the session (a countdown, say) must not stall for the full timeout each time.
LOCKED_WAIT_S = 0.05
_SQLITE_MAGIC = b"SQLite format 3\x00"

Now = Callable[[], datetime]


def local_now() -> datetime:
    return datetime.now().astimezone()


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat(timespec="seconds")


class JournalLocked(JournalError):
    """Another program holds the journal's write lock (it passes when that one is done)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path}: the journal is locked by another program (is another backcoach "
            "session or report running?); wait for it to finish and try again"
        )
        self.path = path

    def during_session(self) -> str:
        """What a running session does about it (``Journal`` keeps the entries)."""
        return (
            f"{self.path}: the journal is locked by another program (another backcoach "
            "session or report?); the session goes on and is saved when the lock clears"
        )


def describe_error(path: Path, exc: BaseException) -> JournalError:
    """Turn an sqlite3 / OS error into one line naming the file and what to do."""
    if isinstance(exc, ValueError):  # UnicodeDecodeError included
        # SQLite quoting a damaged schema, or a row that is not what was written.
        exc = sqlite3.DatabaseError(f"database disk image is malformed ({type(exc).__name__})")
    text = " ".join(str(exc).split())  # SQLite's integrity reports span lines
    low = text.lower()
    if "locked" in low or "busy" in low:
        return JournalLocked(path)
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


def _summary(check: list[Any]) -> str:
    """SQLite's integrity report, in short: its first problem (it can list hundreds)."""
    first = " ".join(str(check[0][0]).split())
    more = f" (and {len(check) - 1} more)" if len(check) > 1 else ""
    return (first if len(first) <= 120 else first[:117] + "...") + more


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


def _connect_once(
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
            problem = _summary(check)
            raise sqlite3.DatabaseError(f"database disk image is malformed: {problem}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError("database is locked (could not switch to WAL mode)")
        backup = _migrate(conn, path, schema_version, clock)
    except BaseException:
        conn.close()
        raise
    return conn, backup


def _create(path: Path) -> None:
    try:
        # The journal is health information: only this user may read it.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            path.touch(mode=0o600)
    except OSError as exc:
        raise JournalError(
            f"{path}: cannot create the journal ({exc}); set BACKCOACH_HOME to a writable folder"
        ) from exc


def connect(
    path: Path, busy_timeout_s: float, schema_version: int, clock: Now
) -> tuple[sqlite3.Connection, Path | None]:
    """(connection, migration backup or ``None``), creating the file if needed;
    ``JournalError`` naming the file when it is damaged, locked, newer or unwritable."""
    _create(path)
    deadline = time.monotonic() + busy_timeout_s
    while True:
        if path.exists():
            _check_header(path)
        try:
            return _connect_once(path, busy_timeout_s, schema_version, clock)
        except sqlite3.OperationalError as exc:
            # Some lock states (a WAL being set up or recovered by another process)
            # return "locked" at once, without waiting: wait and try again here.
            transient = "locked" in str(exc) or "busy" in str(exc)
            if not transient or time.monotonic() >= deadline:
                raise describe_error(path, exc) from exc
            time.sleep(0.05)
        except DB_ERRORS as exc:
            raise describe_error(path, exc) from exc


def verify(path: Path) -> int:
    """Check a journal without changing it (``doctor``): a full ``integrity_check``,
    read-only; the number of sessions it holds, or ``JournalError`` naming the file
    and the fix, worded as when a session opens it."""
    _check_header(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except DB_ERRORS as exc:
        raise describe_error(path, exc) from exc
    try:
        check = conn.execute("PRAGMA integrity_check").fetchall()
        if [tuple(r) for r in check] != [("ok",)]:
            problem = _summary(check)
            raise sqlite3.DatabaseError(f"database disk image is malformed: {problem}")
        if _version(conn, path) == 0:
            if conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
                raise JournalError(
                    f"{path}: this SQLite file is not a Back Coach journal; move it aside or "
                    "set BACKCOACH_HOME to another folder"
                )
            return 0
        return int(conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
    except DB_ERRORS as exc:
        raise describe_error(path, exc) from exc
    finally:
        conn.close()
