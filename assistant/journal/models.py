"""What the journal gives back: plain, frozen records of past sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..vocab import Answer, Outcome

__all__ = [
    "INTERRUPTED",
    "IN_PROGRESS",
    "ANSWERS",
    "OUTCOME_LABELS",
    "ExerciseRecord",
    "CommandRecord",
    "LocationRecord",
    "SessionRecord",
]

#: Outcome the journal gives a session that never recorded ``session_ended``
#: (a crash, Ctrl-C, a power cut).
INTERRUPTED = Outcome.INTERRUPTED
#: Shown for a session whose process is still running.
IN_PROGRESS = "in_progress"
ANSWERS: tuple[str, ...] = tuple(a.value for a in Answer)
#: What the outcome codes mean to a person (history table, report).
OUTCOME_LABELS: dict[str, str] = {
    Outcome.COMPLETED: "completed",
    Outcome.STOPPED_WORSE: "stopped: worse",
    Outcome.STOPPED_BY_USER: "stopped by you",
    Outcome.RED_FLAG: "red flag",
    Outcome.NO_RESPONSE: "no answer",
    INTERRUPTED: "interrupted",
    IN_PROGRESS: "in progress",
}


@dataclass(frozen=True)
class ExerciseRecord:
    exercise: str
    side: str | None
    started_at: datetime
    finished_at: datetime | None
    reps_done: int | None
    hold_s_done: float | None
    answer: str | None
    #: answers given before ``answer`` (each "better" that lengthened the hold)
    earlier: tuple[str, ...] = ()

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def said(self) -> tuple[str, ...]:
        """Every answer given, oldest first, the last one the outcome."""
        return (*self.earlier, self.answer or "no answer")

    @property
    def answers(self) -> str:
        """``better → same``."""
        return " → ".join(self.said)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "side": self.side,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "reps_done": self.reps_done,
            "hold_s_done": self.hold_s_done,
            "answer": self.answer,
            "earlier": list(self.earlier),
        }


@dataclass(frozen=True)
class CommandRecord:
    intent: str
    exercise: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "exercise": self.exercise, "at": self.at.isoformat()}


@dataclass(frozen=True)
class LocationRecord:
    """An answer to the where-is-the-pain question (a ``pain_location`` entry)."""

    phase: str  # "before" (the session asks it after the first rating)
    location: str  # back | buttock | thigh | below-knee
    side: str | None = None  # left | right | both | middle; None when not answered


@dataclass(frozen=True)
class SessionRecord:
    id: int
    started_at: datetime
    ended_at: datetime | None
    routine: str | None
    engine: str | None
    start_exercise: str | None
    #: completed | stopped_worse | stopped_by_user | red_flag | no_response |
    #: interrupted | in_progress
    outcome: str
    reason: str | None
    pain_before: int | None
    pain_after: int | None
    exercises: tuple[ExerciseRecord, ...] = field(default_factory=tuple)
    commands: tuple[CommandRecord, ...] = field(default_factory=tuple)
    #: Where the pain was when the session asked (``pain_location`` entries), in order.
    locations: tuple[LocationRecord, ...] = field(default_factory=tuple)

    @property
    def pain_locations(self) -> tuple[str, ...]:
        return tuple(place.location for place in self.locations)

    @property
    def exercises_done(self) -> tuple[ExerciseRecord, ...]:
        """Exercises that were done, counted as the spoken summary counts them: each
        time one was finished and not skipped (the one in progress at a crash is
        not done), an exercise done on each side once (its first side's record)."""
        done: list[ExerciseRecord] = []
        previous: ExerciseRecord | None = None
        for ex in self.exercises:
            other_side = (
                previous is not None
                and previous.exercise == ex.exercise
                and None not in (previous.side, ex.side)
                and previous.side != ex.side
            )
            if ex.finished and ex.answer != "skipped" and not other_side:
                done.append(ex)
            previous = None if other_side else ex  # a second visit starts a new pair
        return tuple(done)

    def answers_text(self) -> str:
        """``press-up (left): better; side-glide: worse`` — one line for tables and CSV."""
        parts = []
        for ex in self.exercises:
            name = ex.exercise + (f" ({ex.side})" if ex.side else "")
            if not ex.finished:
                parts.append(f"{name}: not finished")
            else:
                parts.append(f"{name}: {ex.answers}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "routine": self.routine,
            "engine": self.engine,
            "start_exercise": self.start_exercise,
            "outcome": self.outcome,
            "reason": self.reason,
            "pain_before": self.pain_before,
            "pain_after": self.pain_after,
            "exercises_done": len(self.exercises_done),
            "exercises": [e.to_dict() for e in self.exercises],
            "commands": [c.to_dict() for c in self.commands],
        }
