"""Make a voice ready before the first session: every line known in advance, on disk.

A session with Piper finds a line on disk in a millisecond; a line that is not
there starts the Piper process (~1.2 s before its first line on two cores, and
~150-250 MB beside the session's ~280 MB).  ``backcoach voice prepare`` renders
these lines once, in the order a session needs them (its opening first), so a
first session starts at once and, for these lines, never starts that process.
Each line is written whole (``LineCache.put``): stopped at any moment, what is on
disk is complete, and the next run goes on from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from .ahead import (
    answer_lines,
    exercise_lines,
    fixed_lines,
    next_exercises,
    rating_lines,
    summary_start,
)

if TYPE_CHECKING:
    from ..dialog.routine import Exercise, Routine
    from ..tts.voices import Synth

__all__ = [
    "NOT_PREPARED",
    "first_lines",
    "opening_lines",
    "prepare",
    "session_lines",
    "summaries",
]

#: Sides an exercise's lines are said for (``None``: not known yet, "painful side").
SIDES: tuple[str | None, ...] = (None, "left", "right")

#: Said when a session's first lines are not on disk (a first session, a new rate).
NOT_PREPARED = (
    "The voice has not rendered its lines at rate {rate} yet, so it starts a little "
    "slower this time; 'backcoach voice prepare' renders them ahead, once."
)


def first_lines() -> list[str]:
    """What every session says first, before the routine matters (the safety notice
    and questions, ~40 s): on disk, a session starts without waiting for Piper."""
    from ..dialog import prompts as p

    return [p.SAFETY_NOTICE, *p.RED_FLAG_QUESTIONS, p.THANK_YOU, p.RATING_QUESTION]


def opening_lines(routines: Mapping[str, Routine], routine_id: str) -> list[str]:
    """What a session says before the person's first answer and up to its first
    exercise, in order: a session whose opening is on disk starts without Piper."""
    from ..dialog import prompts as p

    lines = first_lines()[:-1]
    chosen = [routines[routine_id]] if routine_id in routines else list(routines.values())
    if routine_id not in routines:  # "ask": which routine, and each one's answer
        ids = list(routines)
        lines.append(p.routine_question(ids))
        lines += [p.routine_chosen(r.title, r.description) for r in chosen]
    lines += [p.RATING_QUESTION, *(p.rating_heard(n) for n in range(11))]
    lines += [p.LOCATION_QUESTION, p.LOCATION_SIDE_QUESTION]
    for routine in chosen:
        lines += exercise_lines(routine.exercise(routine.start))
    lines += p.cached_lines(chosen)
    return list(dict.fromkeys(lines))


def _walk(routine: Routine) -> list[list[Exercise]]:
    """The orders in which a session can do the routine's exercises (by its
    better / same / worse rules, each exercise at most twice), shortest first."""
    paths: list[list[Exercise]] = []
    frontier = [[routine.exercise(routine.start)]]
    while frontier and len(paths) < 500:
        paths += frontier
        frontier = [
            [*path, after]
            for path in frontier
            for after in next_exercises(routine, path[-1].id)
            if path.count(after) < 2
        ]
    return paths


def summaries(routine: Routine) -> list[str]:
    """The summary's first sentence ("Today you did two exercises: ...") after each
    way through the routine; a session renders the one it needs as it goes."""
    return list(dict.fromkeys(summary_start([e.name for e in path]) for path in _walk(routine)))


def session_lines(routines: Mapping[str, Routine], routine_id: str) -> list[str]:
    """Every line a session of ``routine_id`` ("ask": any routine) may say that is
    known before it starts, in the order a session needs them: its opening, the
    engine's fixed lines and replies, the routine's exercises in the order they
    can come (each side), its summaries, the summary's "your pain went from ...
    to ..."."""
    from ..dialog import prompts as p

    lines = opening_lines(routines, routine_id)
    lines += fixed_lines()
    lines += p.cached_lines(routines.values())
    chosen = [routines[routine_id]] if routine_id in routines else list(routines.values())
    for routine in chosen:
        lines += routine_lines(routine)
    for before in range(11):
        lines += rating_lines(before)
    return list(dict.fromkeys(lines))


def routine_lines(routine: Routine) -> list[str]:
    """The routine's exercises in the order a session can come to them (each on
    either side, what follows each answer), then its summaries."""
    order = list(dict.fromkeys(e.id for path in _walk(routine) for e in path))
    order += [e.id for e in routine.exercises if e.id not in order]
    lines: list[str] = []
    for exercise_id in order:
        exercise = routine.exercise(exercise_id)
        lines += answer_lines(exercise)
        for side in SIDES:
            lines += exercise_lines(exercise, side)
    return lines + summaries(routine)


def prepare(
    synth: Synth,
    lines: Iterable[str],
    progress: Callable[[str, bool], None] = lambda line, rendered: None,
) -> int:
    """Render each of ``lines`` not on disk yet; ``progress(line, rendered)`` after
    each.  Returns how many were rendered."""
    rendered = 0
    forget = getattr(getattr(synth, "cache", None), "forget", lambda: None)
    for line in lines:
        fresh = not synth.cached(line)
        if fresh:
            synth.warm_one(line)
            forget()  # on disk now: this process need not hold every line's samples
            rendered += 1
        progress(line, fresh)
    return rendered
