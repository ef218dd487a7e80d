"""The dialog engine: one session of Back Coach as a sans-I/O state machine.

Events go in (``handle(event)``), actions come out (``Say``, ``Listen``,
``StartTimer``, ``LogEntry``, ``End``...).  The engine reads time only from the
injected :class:`~assistant.clock.Clock` and asks for timers with absolute
deadlines, so a virtual clock drives every branch in tests, and a 60-second hold
is 60 s of clock time however long the speech around it takes.

:class:`Engine` is a small facade; the parts are beside it in ``assistant.dialog``:

============  ==================================================================
``machine``   the session's state: one ``transitions`` hierarchical machine
``flow``      events routed to the parts; pausing
``intake``    safety notice, red flags, routine choice, rating
``exercise``  sides, steps, the symptom question and its answer
``counting``  repetitions and holds on absolute deadlines
``questions`` the open question: reprompts, confirming "worse", silence
``commands``  pause, resume, repeat, skip, stop, slower, faster, help, ouch
``closing``   every way a session ends, and the summary
``rules``     the clinical limits and confidence thresholds
``prompts``   every line the coach says
``log``       the journal records, typed
============  ==================================================================

Contract with the driver (runtime, text session, scripted tests; they share
``assistant.interpreter``):

* every ``Say`` has a unique ``utterance_id``; send ``SpeechFinished`` with it
  when it has been played.  Silence/reprompt timers start from the end of a
  question's speech, and counting starts after the instructions were spoken;
* run ``StartTimer`` / ``CancelTimer`` and send ``TimerFired(name)`` at the
  deadline; a stale timer is ignored;
* ``End`` comes last in its action list, after the closing ``Say``: play the
  queued speech, then close.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..clock import Clock
from ..errors import RoutineError
from ..events import Action, Event
from ..vocab import Context, Outcome, Side
from .counting import (
    LEAD_IN_MS,
    MAX_TEMPO_FACTOR,
    MIN_TEMPO_FACTOR,
    READY_WAIT_MS,
    SHORT_HOLD_S,
    TEMPO_STEP,
)
from .flow import (
    AUTO_PAUSE_GIVE_UP_MS,
    PAUSED_HINT_EVERY_MS,
    USER_PAUSE_GIVE_UP_MS,
    Flow,
    Options,
)
from .machine import IDLE, routine_transitions
from .questions import MAX_REPROMPTS, REPROMPT_AFTER_MS
from .routine import Routine
from .rules import (
    BETTER_MIN_CONFIDENCE,
    MAX_VISITS,
    MAX_WORSE,
    MIN_CONFIDENCE,
    WORSE_CONFIRM_BELOW,
)

__all__ = [
    "Engine",
    "routine_transitions",
    "MIN_CONFIDENCE",
    "BETTER_MIN_CONFIDENCE",
    "WORSE_CONFIRM_BELOW",
    "REPROMPT_AFTER_MS",
    "MAX_REPROMPTS",
    "AUTO_PAUSE_GIVE_UP_MS",
    "USER_PAUSE_GIVE_UP_MS",
    "LEAD_IN_MS",
    "READY_WAIT_MS",
    "MAX_WORSE",
    "MAX_VISITS",
    "TEMPO_STEP",
    "MIN_TEMPO_FACTOR",
    "MAX_TEMPO_FACTOR",
    "SHORT_HOLD_S",
    "PAUSED_HINT_EVERY_MS",
]


def _check(
    routines: Mapping[str, Routine], routine_id: str | None, start_at: str | None, side: str | None
) -> None:
    if not routines:
        raise RoutineError("no routines to choose from")
    if routine_id is not None and routine_id not in routines:
        known = ", ".join(routines)
        raise RoutineError(f"unknown routine '{routine_id}' (known: {known})")
    if start_at is not None:
        if routine_id is None:
            raise RoutineError(f"start exercise '{start_at}' needs a routine")
        if not routines[routine_id].has(start_at):
            known = ", ".join(routines[routine_id].exercise_ids)
            raise RoutineError(
                f"routine '{routine_id}' has no exercise '{start_at}' (known: {known})"
            )
    if side is not None and side not in (Side.LEFT, Side.RIGHT):
        raise RoutineError(f"side must be left or right, not '{side}'")


class Engine:
    """One coaching session.  See the module docstring for the driver contract."""

    def __init__(
        self,
        routines: Mapping[str, Routine],
        clock: Clock,
        *,
        routine_id: str | None = None,
        start_at: str | None = None,
        side: str | None = None,
        ask_rating: bool | None = None,
        safety_check: bool | None = None,
        recognizer: str | None = None,
        typed: bool = False,
    ) -> None:
        _check(routines, routine_id, start_at, side)
        options = Options(
            routines=dict(routines),
            start_at=start_at,
            ask_rating=ask_rating if ask_rating is not None else start_at is None,
            safety_check=safety_check if safety_check is not None else start_at is None,
            recognizer=recognizer,
            typed=typed,
        )
        routine = routines[routine_id] if routine_id else None
        self._flow = Flow(options, clock, routine, side)

    def start(self) -> list[Action]:
        """Begin the session: the safety notice, or (``start_at``) the first exercise."""
        if self._flow.machine.state != IDLE:
            return []
        self._flow.start()
        return self._flow.out.flush()

    def handle(self, event: Event) -> list[Action]:
        """Feed one event; get the actions it causes."""
        if self._flow.ended:
            return []
        self._flow.handle(event)
        return self._flow.out.flush()

    @property
    def listening_context(self) -> Context | None:
        """What the recognizer should listen for now (``None``: nothing)."""
        return self._flow.out.listening

    @property
    def awaiting_answer(self) -> bool:
        """A question is open and the engine is not paused."""
        return self._flow.awaiting()

    @property
    def waiting_for_ready(self) -> bool:
        """The steps are read and the count waits for "ready" (or its timeout)."""
        flow = self._flow
        return flow.counter.waiting_to_start and not flow.machine.paused and not flow.ended

    @property
    def finished(self) -> bool:
        return self._flow.ended

    @property
    def outcome(self) -> Outcome | None:
        return self._flow.progress.outcome

    @property
    def paused(self) -> bool:
        return self._flow.machine.paused

    @property
    def state(self) -> str:
        """The machine's state: ``intake_safety``, ``exercise_<id>_counting``, ``paused``..."""
        return self._flow.machine.state

    @property
    def phase(self) -> str:
        """Where the session is (also while paused there): ``intake``, ``instructing``,
        ``counting``, ``asking``, ``closing`` or ``ended``."""
        machine = self._flow.machine
        phase = machine.phase
        if phase is not None:
            return "asking" if phase == "side" else str(phase)
        if machine.closing_outcome is not None:
            return "closing"
        return "ended" if machine.ended else "intake"

    @property
    def routine(self) -> Routine | None:
        return self._flow.routine

    @property
    def exercise(self) -> str | None:
        """The id of the exercise under way (or just finished), if any."""
        return self._flow.exercises.current_id

    @property
    def side(self) -> str | None:
        return self._flow.progress.side

    @property
    def tempo_factor(self) -> float:
        return self._flow.counter.tempo_factor
