"""Reading sessions back, and which of them still count as running."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ..vocab import LogKind
from .models import (
    IN_PROGRESS,
    INTERRUPTED,
    CommandRecord,
    ExerciseRecord,
    LocationRecord,
    SessionRecord,
)

__all__ = ["INTERRUPTED_REASON", "Query", "pid_alive", "read_sessions"]

#: A session without ``session_ended`` counts as running (not interrupted) only
#: while its process is alive and it started less than this long ago.
_IN_PROGRESS_MAX_AGE_S = 12 * 3600
INTERRUPTED_REASON = "the session stopped without finishing (Ctrl-C, a crash or a power cut)"

Query = Callable[[str, Iterable[Any]], list[Any]]


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def pid_alive(pid: int | None) -> bool:
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


def _exercises(query: Query, first: int) -> dict[int, list[ExerciseRecord]]:
    exercises: dict[int, list[ExerciseRecord]] = {}
    for row in query(
        "SELECT session_id, exercise, side, started_at, finished_at, reps_done, "
        "hold_s_done, answer, earlier FROM exercises WHERE session_id >= ? ORDER BY id",
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
                earlier=tuple(row[8].split(",")) if row[8] else (),
            )
        )
    return exercises


def _ratings(query: Query, first: int) -> dict[tuple[int, str], int]:
    ratings: dict[tuple[int, str], int] = {}
    for sid, phase, value in query(
        "SELECT session_id, phase, value FROM ratings WHERE session_id >= ? ORDER BY id",
        (first,),
    ):
        ratings[(sid, phase)] = value  # the latest rating of each phase wins
    return ratings


def _commands(query: Query, first: int) -> dict[int, list[CommandRecord]]:
    commands: dict[int, list[CommandRecord]] = {}
    for sid, intent, exercise, at in query(
        "SELECT session_id, intent, exercise, at FROM commands WHERE session_id >= ? ORDER BY id",
        (first,),
    ):
        commands.setdefault(sid, []).append(
            CommandRecord(intent=intent, exercise=exercise, at=datetime.fromisoformat(at))
        )
    return commands


def _locations(query: Query, first: int) -> dict[int, list[LocationRecord]]:
    """The answers to the where-is-the-pain question (kept as ``pain_location`` entries)."""
    locations: dict[int, list[LocationRecord]] = {}
    for sid, data in query(
        "SELECT session_id, data FROM entries WHERE kind = ? AND session_id >= ? ORDER BY id",
        (LogKind.PAIN_LOCATION.value, first),
    ):
        try:
            entry = json.loads(data)
            where, phase, side = entry.get("location"), entry.get("phase"), entry.get("side")
        except (ValueError, AttributeError):  # a damaged entry: the rest still counts
            continue
        if isinstance(where, str) and where:
            record = LocationRecord(
                phase=phase if isinstance(phase, str) and phase else "before",
                location=where,
                side=side if isinstance(side, str) and side else None,
            )
            locations.setdefault(sid, []).append(record)
    return locations


def read_sessions(query: Query, last: int | None, now: datetime) -> list[SessionRecord]:
    """Sessions, oldest first; ``last=N`` gives only the ``N`` most recent."""
    sql = (
        "SELECT id, started_at, ended_at, routine, engine, start_exercise, outcome, "
        "reason, pid, host FROM sessions ORDER BY id DESC"
    )
    params: tuple[Any, ...] = ()
    if last is not None:
        sql += " LIMIT ?"
        params = (max(0, last),)
    rows = list(reversed(query(sql, params)))
    if not rows:
        return []
    first = rows[0][0]
    exercises, ratings, commands = (
        _exercises(query, first),
        _ratings(query, first),
        _commands(query, first),
    )
    locations = _locations(query, first)
    here = socket.gethostname()
    result = []
    for sid, started, ended, routine, engine, start_ex, outcome, reason, pid, host in rows:
        started_at = datetime.fromisoformat(started)
        if outcome is None:
            running = (
                host == here
                and pid_alive(pid)
                and abs((now - started_at).total_seconds()) < _IN_PROGRESS_MAX_AGE_S
            )
            outcome = IN_PROGRESS if running else INTERRUPTED
            if not running:
                reason = reason or INTERRUPTED_REASON
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
                locations=tuple(locations.get(sid, ())),
            )
        )
    return result
