"""The journal records the engine writes, one typed class per ``LogKind``.

``LogEntry.data`` stays a plain mapping (the journal stores it as JSON); these
classes only make sure each kind always carries the same, named fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from ..events import LogEntry
from ..vocab import LogKind, Outcome

__all__ = [
    "Record",
    "SessionStarted",
    "Rating",
    "ExerciseStarted",
    "ExerciseFinished",
    "CommandHeard",
    "PainLocation",
    "SessionEnded",
    "entry",
]


@dataclass(frozen=True)
class SessionStarted:
    kind: ClassVar[LogKind] = LogKind.SESSION_STARTED
    routine: str
    start_exercise: str
    engine: str | None


@dataclass(frozen=True)
class Rating:
    kind: ClassVar[LogKind] = LogKind.RATING
    phase: str  # "before" | "after"
    value: int


@dataclass(frozen=True)
class ExerciseStarted:
    kind: ClassVar[LogKind] = LogKind.EXERCISE_STARTED
    exercise: str
    side: str | None


@dataclass(frozen=True)
class ExerciseFinished:
    """One per side done.  ``answer`` is the symptom answer, or ``skipped`` / ``stopped``;
    ``earlier``: the answers given before it in the same exercise (each "better" that
    lengthened the hold), oldest first."""

    kind: ClassVar[LogKind] = LogKind.EXERCISE_FINISHED
    exercise: str
    side: str | None
    reps_done: int
    hold_s_done: float
    answer: str
    earlier: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandHeard:
    kind: ClassVar[LogKind] = LogKind.COMMAND
    intent: str
    exercise: str | None


@dataclass(frozen=True)
class PainLocation:
    """Where the pain is, furthest from the spine (``back`` | ``buttock`` | ``thigh`` |
    ``below-knee``), and its side (``left`` | ``right`` | ``both`` | ``middle``)."""

    kind: ClassVar[LogKind] = LogKind.PAIN_LOCATION
    phase: str  # "before"
    location: str
    side: str | None


@dataclass(frozen=True)
class SessionEnded:
    kind: ClassVar[LogKind] = LogKind.SESSION_ENDED
    outcome: Outcome
    reason: str


Record = (
    SessionStarted
    | Rating
    | ExerciseStarted
    | ExerciseFinished
    | CommandHeard
    | PainLocation
    | SessionEnded
)


def entry(record: Record, timestamp_ms: int) -> LogEntry:
    return LogEntry(record.kind, timestamp_ms, asdict(record))
