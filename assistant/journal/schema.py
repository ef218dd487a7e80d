"""The journal's SQLite schema and its migrations.

``PRAGMA user_version`` holds the schema version.  Each migration moves the
schema up by one step; before migrating a journal that already holds data, the
caller makes a backup copy (see ``Journal``), so a failed or unwanted migration
never costs a session.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "TABLES"]

#: ``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``.
MIGRATIONS: Final[tuple[str, ...]] = (
    # 0 -> 1: the first journal.
    """
    CREATE TABLE sessions (
        id              INTEGER PRIMARY KEY,
        started_at      TEXT NOT NULL,      -- wall clock, ISO 8601 with UTC offset
        ended_at        TEXT,               -- NULL until session_ended (or marked interrupted)
        routine         TEXT,
        engine          TEXT,
        start_exercise  TEXT,
        outcome         TEXT,               -- NULL while running / after a crash
        reason          TEXT,
        started_ms      INTEGER,            -- session clock at session_started
        pid             INTEGER,            -- the process writing it (to tell running from
        host            TEXT                --   crashed sessions)
    );
    CREATE TABLE exercises (
        id              INTEGER PRIMARY KEY,
        session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        exercise        TEXT NOT NULL,
        side            TEXT,
        started_at      TEXT NOT NULL,
        finished_at     TEXT,               -- NULL: in progress when the session stopped
        started_ms      INTEGER,
        finished_ms     INTEGER,
        reps_done       INTEGER,
        hold_s_done     REAL,
        answer          TEXT                -- better | same | worse | NULL
    );
    CREATE TABLE ratings (
        id              INTEGER PRIMARY KEY,
        session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        phase           TEXT NOT NULL,      -- before | after
        value           INTEGER NOT NULL CHECK (value BETWEEN 0 AND 10),
        at              TEXT NOT NULL,
        at_ms           INTEGER
    );
    CREATE TABLE commands (
        id              INTEGER PRIMARY KEY,
        session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        intent          TEXT NOT NULL,
        exercise        TEXT,
        at              TEXT NOT NULL,
        at_ms           INTEGER
    );
    -- Every LogEntry as it came, so nothing the engine said is ever dropped.
    CREATE TABLE entries (
        id              INTEGER PRIMARY KEY,
        session_id      INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
        kind            TEXT NOT NULL,
        timestamp_ms    INTEGER,
        at              TEXT NOT NULL,
        data            TEXT NOT NULL       -- JSON
    );
    """,
    # 1 -> 2: which Back Coach version wrote a session, and indexes for reports.
    """
    ALTER TABLE sessions ADD COLUMN app_version TEXT;
    CREATE INDEX exercises_session ON exercises(session_id);
    CREATE INDEX ratings_session ON ratings(session_id);
    CREATE INDEX commands_session ON commands(session_id);
    CREATE INDEX entries_session ON entries(session_id);
    """,
    # 2 -> 3: the answers given before an exercise's last one (each "better" that
    # lengthened its hold), comma-separated, oldest first; NULL: none.
    """
    ALTER TABLE exercises ADD COLUMN earlier TEXT;
    """,
)

SCHEMA_VERSION: Final[int] = len(MIGRATIONS)

TABLES: Final[tuple[str, ...]] = ("sessions", "exercises", "ratings", "commands", "entries")
