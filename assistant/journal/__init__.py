"""The session journal: every session, exercise, answer, rating and command, on this machine.

>>> with open_journal() as journal:          # doctest: +SKIP
...     journal.record(LogEntry("session_started", 0, {"routine": "extension"}))
...     journal.sessions(last=5)

``Journal.record(entry)`` takes every ``LogEntry`` kind and commits at once;
``Journal.close(interrupted=...)`` (or leaving the ``with`` block) marks a
session that never ended as ``interrupted``.
"""

from __future__ import annotations

from .connection import BUSY_TIMEOUT_S, JournalLocked, describe_error, verify
from .models import (
    ANSWERS,
    IN_PROGRESS,
    INTERRUPTED,
    OUTCOME_LABELS,
    CommandRecord,
    ExerciseRecord,
    LocationRecord,
    SessionRecord,
)
from .policy import Recordable, open_session_journal, record_entry
from .schema import SCHEMA_VERSION
from .store import Journal, open_journal

__all__ = [
    "ANSWERS",
    "BUSY_TIMEOUT_S",
    "IN_PROGRESS",
    "INTERRUPTED",
    "OUTCOME_LABELS",
    "SCHEMA_VERSION",
    "CommandRecord",
    "ExerciseRecord",
    "Journal",
    "JournalLocked",
    "LocationRecord",
    "SessionRecord",
    "describe_error",
    "open_journal",
    "open_session_journal",
    "record_entry",
    "verify",
    "Recordable",
]
