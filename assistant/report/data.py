"""What the report shows, worked out from the journal's sessions (no drawing here)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..journal import ANSWERS, SessionRecord
from ..vocab import Outcome

__all__ = [
    "NO_ANSWER",
    "STOP_OUTCOMES",
    "PainPoint",
    "pain_points",
    "ReachPoint",
    "reach_points",
    "answers_by_exercise",
    "sessions_per_week",
    "outcome_counts",
    "stops",
    "date_span",
]

NO_ANSWER = "no answer"
#: Outcomes that ended a session early, in the order the report lists them.
STOP_OUTCOMES: tuple[str, ...] = (
    Outcome.STOPPED_WORSE,
    Outcome.STOPPED_BY_USER,
    Outcome.RED_FLAG,
    Outcome.NO_RESPONSE,
    Outcome.INTERRUPTED,
)


@dataclass(frozen=True)
class PainPoint:
    when: datetime
    before: int | None
    after: int | None


@dataclass(frozen=True)
class ReachPoint:
    """How far from the spine the pain reached (an index of ``places``), by phase."""

    when: datetime
    before: int | None
    after: int | None


def reach_points(sessions: list[SessionRecord], places: tuple[str, ...]) -> list[ReachPoint]:
    """Each session that asked where the pain was: its furthest point at the start and,
    when asked again, at the end (the last answer of each phase counts)."""
    result = []
    for s in sessions:
        reach: dict[str, int] = {}
        for place in s.locations:
            if place.location in places:
                reach[place.phase] = places.index(place.location)
        if reach:
            result.append(ReachPoint(s.started_at, reach.get("before"), reach.get("after")))
    return result


def pain_points(sessions: list[SessionRecord]) -> list[PainPoint]:
    """The 0–10 pain ratings of each session that has one."""
    return [
        PainPoint(s.started_at, s.pain_before, s.pain_after)
        for s in sessions
        if s.pain_before is not None or s.pain_after is not None
    ]


def answers_by_exercise(sessions: list[SessionRecord]) -> dict[str, Counter[str]]:
    """exercise id → counts of better / same / worse / no answer, in order first done."""
    result: dict[str, Counter[str]] = {}
    for s in sessions:
        for ex in s.exercises_done:
            answer = ex.answer if ex.answer in ANSWERS else NO_ANSWER
            result.setdefault(ex.exercise, Counter())[answer] += 1
    return result


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def sessions_per_week(sessions: list[SessionRecord]) -> list[tuple[date, int, int]]:
    """(Monday, sessions completed, sessions ended early) for every week in the span,
    including weeks without a session."""
    if not sessions:
        return []
    done: Counter[date] = Counter()
    early: Counter[date] = Counter()
    for s in sessions:
        week = _monday(s.started_at.date())
        if s.outcome == Outcome.COMPLETED:
            done[week] += 1
        else:
            early[week] += 1
    first = _monday(min(s.started_at.date() for s in sessions))
    last = _monday(max(s.started_at.date() for s in sessions))
    weeks = []
    week = first
    while week <= last:
        weeks.append((week, done[week], early[week]))
        week += timedelta(days=7)
    return weeks


def outcome_counts(sessions: list[SessionRecord]) -> Counter[str]:
    return Counter(s.outcome for s in sessions)


def stops(sessions: list[SessionRecord]) -> list[SessionRecord]:
    """Sessions that ended early (not completed, not still running)."""
    return [s for s in sessions if s.outcome in STOP_OUTCOMES or s.outcome not in _KNOWN]


_KNOWN = frozenset((*STOP_OUTCOMES, Outcome.COMPLETED, "in_progress"))


def date_span(sessions: list[SessionRecord]) -> tuple[date, date]:
    days = [s.started_at.date() for s in sessions]
    return min(days), max(days)
