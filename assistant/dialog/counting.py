"""Counting: repetitions at the tempo, holds counted down, on absolute deadlines.

An exercise's dose becomes a plan of cues ("One, press up." then 2 s later
"hold" ...).  Each cue is scheduled against the clock from the previous cue's
deadline, never from when its speech ended, so counting does not drift however
long the words take.  A paused or interrupted count remembers how long was left
of the interval under way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from . import prompts
from .outbox import Outbox
from .routine import Exercise

__all__ = [
    "Cue",
    "Counter",
    "build_plan",
    "hold_cues",
    "LEAD_IN_MS",
    "READY_WAIT_MS",
    "READY",
    "SHORT_HOLD_S",
    "TEMPO_STEP",
    "MIN_TEMPO_FACTOR",
    "MAX_TEMPO_FACTOR",
]

#: Gap between "ready" (or "carry on") and the first count.
LEAD_IN_MS: Final = 1_500
#: After the steps, the count waits this long for "ready" before it starts anyway:
#: getting up from the floor, or down onto it, takes a while (issue 12 item 9).
READY_WAIT_MS: Final = 15_000
#: The exercise-context intent that starts the count (phrases.yaml).
READY: Final = "ready"
#: Inside a repetition a hold ends with one "three, two, one" line, not a count
#: from five: single numbers there would sound like the repetitions' own.
_REP_COUNTDOWN_S: Final = 3
#: Holds shorter than this are not counted down ("hold ... and down").
SHORT_HOLD_S: Final = 5
#: "slower" multiplies the movement time by this; "faster" divides by it.
TEMPO_STEP: Final = 1.25
MIN_TEMPO_FACTOR: Final = 0.64
MAX_TEMPO_FACTOR: Final = 1.95


@dataclass(frozen=True)
class Cue:
    """Say ``text``; the next cue comes ``wait_ms`` later (scaled by tempo if ``tempo``)."""

    text: str
    wait_ms: int
    tempo: bool = False
    hold: bool = False
    completes_rep: bool = False


def hold_cues(hold_cue: str, hold_s: int, watch: str | None, *, in_rep: bool = False) -> list[Cue]:
    """Cues for one hold of ``hold_s``: start, milestones, countdown (``hold=True``).

    ``in_rep``: the hold of a repetition, whose countdown must not sound like the
    next repetition's number ("Seven, press up. Hold, ten seconds. Three, two,
    one. And down.").
    """
    if hold_s < SHORT_HOLD_S:
        return [Cue(prompts.cue(hold_cue), hold_s * 1000, hold=True)]
    marks = [m for m in (30, 10) if hold_s >= m * 2]
    if in_rep:
        marks.append(_REP_COUNTDOWN_S)
    else:
        marks += [n for n in range(5, 0, -1) if n < hold_s] if hold_s >= 8 else [3, 2, 1]
    cues: list[Cue] = []
    text, at = prompts.hold_start(hold_cue, hold_s, watch), hold_s
    for mark in marks:
        cues.append(Cue(text, (at - mark) * 1000, hold=True))
        if mark == 30:
            text = prompts.THIRTY_TO_GO
        elif mark == 10 and hold_s >= 20:
            text = prompts.TEN_SECONDS
        elif in_rep:
            text = prompts.REP_COUNTDOWN
        else:
            text = prompts.countdown(mark)
        at = mark
    cues.append(Cue(text, at * 1000, hold=True))
    return cues


def build_plan(exercise: Exercise) -> list[Cue]:
    """Every cue of one side of ``exercise``, from the first count to "well done"."""
    if exercise.reps is None:
        assert exercise.hold_s is not None
        return [*hold_cues(exercise.hold_cue, exercise.hold_s, exercise.watch), _release(exercise)]
    half = int(exercise.tempo_s * 500)
    plan: list[Cue] = []
    for set_index in range(exercise.sets):
        for rep in range(1, exercise.reps + 1):
            cues = exercise.rep_cues
            text = prompts.rep_count(rep, cues[(rep - 1) % len(cues)] if cues else "")
            if exercise.hold_s is None:
                plan.append(Cue(text, half * 2, tempo=True, completes_rep=True))
                continue
            plan.append(Cue(text, half, tempo=True))
            watch = exercise.watch if rep == 1 and set_index == 0 else None
            plan += hold_cues(exercise.hold_cue, exercise.hold_s, watch, in_rep=True)
            release = prompts.cue(exercise.release_cue)
            plan.append(Cue(release, half, tempo=True, completes_rep=True))
        if set_index + 1 < exercise.sets:
            plan.append(Cue(prompts.REST_BETWEEN_SETS, exercise.rest_s * 1000))
    plan.append(Cue(prompts.reps_done(exercise.reps), 0))
    return plan


def extension_plan(exercise: Exercise, extra_s: int) -> list[Cue]:
    """A hold made longer while it keeps relieving the leg."""
    return [*hold_cues(exercise.hold_cue, extra_s, None), _release(exercise)]


def _release(exercise: Exercise) -> Cue:
    return Cue(prompts.cue(exercise.release_cue), 0)


class Counter:
    """Runs a plan of cues on timers and credits what was done (reps, hold time)."""

    def __init__(self, out: Outbox, on_done: Callable[[], None]) -> None:
        self._out = out
        self._on_done = on_done
        self._plan: list[Cue] = []
        self._index = 0
        self._timer: str | None = None
        self._deadline = 0
        self._announce = False  # the timer due is the end of the wait for "ready"
        self._remaining_ms = 0
        self._interval_start = 0
        self.reps_done = 0
        self.hold_ms_done = 0
        self.tempo_factor = 1.0

    def new_side(self) -> None:
        self.reps_done = 0
        self.hold_ms_done = 0

    def begin(self, plan: list[Cue], *, wait_ms: int = LEAD_IN_MS) -> None:
        """Start ``plan``: its first cue ``wait_ms`` from now (sooner on :meth:`ready`);
        a longer wait than the lead-in (for "ready") ends with "Let's start." a lead-in
        before the first cue, so the count does not begin unannounced."""
        self._plan = plan
        self._index = 0
        self._announce = wait_ms > LEAD_IN_MS
        first = self._out.now() + wait_ms
        self._schedule(first - LEAD_IN_MS if self._announce else first)

    @property
    def waiting_to_start(self) -> bool:
        """The first cue has not been said yet (the count waits for "ready")."""
        return self._index == 0 and self._timer is not None

    def ready(self) -> bool:
        """ "Ready": the first cue comes a lead-in from now, if that is sooner."""
        if not self.waiting_to_start:
            return False
        deadline = self._out.now() + LEAD_IN_MS
        if deadline < self._deadline + (LEAD_IN_MS if self._announce else 0):
            self._out.cancel(self._timer)
            self._announce = False  # "ready" was heard: nothing to announce
            self._schedule(deadline)
        return True

    def _schedule(self, deadline_ms: int) -> None:
        self._deadline = deadline_ms
        self._timer = self._out.start_timer("cue", deadline_ms)

    def timer_fired(self, name: str) -> bool:
        """Say the cue that was due (a stale timer's name is not ours: ``False``)."""
        if name != self._timer:
            return False
        self._timer = None
        if self._announce:  # the wait for "ready" is over
            self._announce = False
            self._out.say(prompts.LETS_START, cacheable=True)
            self._schedule(self._deadline + LEAD_IN_MS)
            return True
        now = self._deadline
        self._credit(now)
        cue = self._plan[self._index]
        self._index += 1
        self._out.say(cue.text, cacheable=True)
        self._interval_start = now
        if self._index >= len(self._plan):
            self._on_done()
            return True
        wait = cue.wait_ms * self.tempo_factor if cue.tempo else cue.wait_ms
        self._schedule(now + round(wait))
        return True

    def _credit(self, until_ms: int) -> None:
        """Credit the interval since the last cue (hold time, a finished repetition)."""
        if self._index == 0:
            return
        previous = self._plan[self._index - 1]
        if previous.hold:
            self.hold_ms_done += max(0, until_ms - self._interval_start)
        if previous.completes_rep:
            self.reps_done += 1

    def _in_hold(self) -> bool:
        return self._index > 0 and self._plan[self._index - 1].hold

    def freeze(self) -> None:
        """Stop the count but remember where it was (pause, repeat, help)."""
        if self._timer is not None:
            self._out.cancel(self._timer)
            self._timer = None
            now = self._out.now()
            self._remaining_ms = max(0, self._deadline - now)
            if self._in_hold():
                self.hold_ms_done += max(0, now - self._interval_start)
                self._interval_start = now
        elif self._index == 0:
            self._remaining_ms = LEAD_IN_MS

    def carry_on(self) -> None:
        """Go on after :meth:`freeze`, at least a lead-in from now."""
        now = self._out.now()
        self._interval_start = now
        self._schedule(now + max(self._remaining_ms, LEAD_IN_MS))

    def stop(self) -> None:
        """Cancel the count, crediting the hold time under way."""
        if self._timer is not None:
            self._out.cancel(self._timer)
            self._timer = None
            if self._in_hold():
                self.hold_ms_done += max(0, self._out.now() - self._interval_start)

    def hold_elapsed_ms(self) -> int:
        """How long this side has been held so far, the hold under way included."""
        running = self._timer is not None and self._in_hold()
        return self.hold_ms_done + (self._out.now() - self._interval_start if running else 0)

    def cancel(self) -> None:
        """The session ended: no more cues."""
        self._out.cancel(self._timer)
        self._timer = None

    def change_tempo(self, step: float) -> str:
        """Apply ``step`` if within the limits; what to say about it."""
        factor = self.tempo_factor * step
        if factor > MAX_TEMPO_FACTOR + 1e-9:
            return prompts.SLOWEST
        if factor < MIN_TEMPO_FACTOR - 1e-9:
            return prompts.FASTEST
        self.tempo_factor = factor
        return prompts.SLOWER if step > 1 else prompts.FASTER
