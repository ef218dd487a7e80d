"""Writing ``LogEntry``s into the journal's tables, one transaction per call."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..events import LogEntry, LogKind
from .connection import DB_ERRORS, Now, describe_error, iso
from .models import INTERRUPTED
from .reader import INTERRUPTED_REASON

__all__ = ["apply_entry", "mark_interrupted", "mark_stale", "transaction"]


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


def transaction(
    db: sqlite3.Connection, path: Path, apply: Callable[[sqlite3.Connection], None]
) -> None:
    """Run ``apply`` in one write transaction; ``JournalError`` naming ``path`` on failure."""
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            apply(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    except DB_ERRORS as exc:
        raise describe_error(path, exc) from exc


def _new_session(db: sqlite3.Connection, data: Mapping[str, Any], at: str, ms: int) -> int:
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


def mark_interrupted(db: sqlite3.Connection, sid: int | None, reason: str, at: str) -> None:
    db.execute(
        "UPDATE sessions SET outcome = ?, reason = ?, ended_at = ? "
        "WHERE id = ? AND outcome IS NULL",
        (INTERRUPTED, reason, at, sid),
    )


def mark_stale(db: sqlite3.Connection, stale: Iterable[int]) -> None:
    """Sessions whose process is gone end as ``interrupted`` at their last entry."""
    for sid in stale:
        last = db.execute("SELECT MAX(at) FROM entries WHERE session_id = ?", (sid,)).fetchone()[0]
        db.execute(
            "UPDATE sessions SET outcome = ?, reason = ?, ended_at = COALESCE(?, "
            "started_at) WHERE id = ? AND outcome IS NULL",
            (INTERRUPTED, INTERRUPTED_REASON, last, sid),
        )


def apply_entry(
    db: sqlite3.Connection, entry: LogEntry, moment: datetime, sid: int | None, now: Now
) -> int | None:
    """Store ``entry`` for session ``sid``; return the session now being written
    (a new one on ``session_started``, ``None`` after ``session_ended``)."""
    at = iso(moment)
    data = dict(entry.data)
    kind = entry.kind
    ms = int(entry.timestamp_ms)
    if kind == LogKind.SESSION_STARTED:
        if sid is not None:
            mark_interrupted(db, sid, "a new session started", iso(now()))
        sid = _new_session(db, data, at, ms)
    elif sid is None:
        # An entry before session_started (a red flag at intake, say): keep it
        # in a session of its own rather than dropping it.
        sid = _new_session(db, data, at, ms)
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
        _finish_exercise(db, sid, data, at, ms)
    elif kind == LogKind.COMMAND:
        db.execute(
            "INSERT INTO commands (session_id, intent, exercise, at, at_ms) VALUES (?,?,?,?,?)",
            (sid, str(data.get("intent") or "?"), _str_or_none(data.get("exercise")), at, ms),
        )
    elif kind == LogKind.SESSION_ENDED:
        db.execute(
            "UPDATE sessions SET outcome = ?, reason = ?, ended_at = ? WHERE id = ?",
            (str(data.get("outcome") or INTERRUPTED), _str_or_none(data.get("reason")), at, sid),
        )
        return None
    return sid


def _finish_exercise(
    db: sqlite3.Connection, sid: int | None, data: Mapping[str, Any], at: str, ms: int
) -> None:
    exercise = str(data.get("exercise") or "?")
    side = _str_or_none(data.get("side"))
    answer = _str_or_none(data.get("answer"))
    given = data.get("earlier")
    earlier = ",".join(map(str, given)) if isinstance(given, list | tuple) and given else None
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
            " finished_at, finished_ms, reps_done, hold_s_done, answer, earlier)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, exercise, side, at, ms, *values, answer, earlier),
        )
    else:
        db.execute(
            "UPDATE exercises SET finished_at = ?, finished_ms = ?, reps_done = ?,"
            " hold_s_done = ?, answer = ?, earlier = ?, side = COALESCE(?, side) WHERE id = ?",
            (*values, answer, earlier, side, row[0]),
        )
