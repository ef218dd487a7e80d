"""The session's state: one ``transitions`` hierarchical machine.

::

    idle
    intake    ⊃ safety | routine | rating          (red flags, routine choice, rating)
    exercise  ⊃ <exercise id> ⊃ side | instructing | counting | asking
    paused                                         (remembers the state to go back to)
    closing   ⊃ completed | stopped_worse | stopped_by_user   (the closing rating; the
                                                   outcome is decided already)
    ended

The routine's answer rules are the machine's transitions between exercises
(``better`` / ``same`` / ``worse``, built by :func:`routine_transitions`),
guarded in front by the rules that apply whatever a routine says ("worse twice",
"done this one enough").  The machine only holds and checks the state: what is
said and asked on the way is the flow's (``assistant.dialog.flow``), so going
back to a state after a pause repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Final

from transitions.extensions import HierarchicalMachine

from ..vocab import Answer, Outcome
from .routine import DONE, STOP, Routine

__all__ = [
    "Phase",
    "FlowMachine",
    "routine_transitions",
    "exercise_state",
    "IDLE",
    "SAFETY",
    "CHOOSING",
    "RATING_BEFORE",
    "PAUSED",
    "ENDED",
    "closing_state",
    "target_state",
    "target_of",
]

_SEP: Final = "_"


class Phase(StrEnum):
    """Where an exercise is: asking the side, reading the steps, counting, asking how it was."""

    SIDE = "side"
    INSTRUCTING = "instructing"
    COUNTING = "counting"
    ASKING = "asking"


IDLE: Final = "idle"
INTAKE: Final = "intake"
SAFETY: Final = f"{INTAKE}{_SEP}safety"
CHOOSING: Final = f"{INTAKE}{_SEP}routine"
RATING_BEFORE: Final = f"{INTAKE}{_SEP}rating"
EXERCISE: Final = "exercise"
PAUSED: Final = "paused"
CLOSING: Final = "closing"
ENDED: Final = "ended"
#: The outcomes decided before the closing rating: the routine's "done" and "stop",
#: and the user's "stop" after an exercise was started.
_CLOSING_OUTCOMES: Final = (Outcome.COMPLETED, Outcome.STOPPED_WORSE, Outcome.STOPPED_BY_USER)


def exercise_state(exercise_id: str, phase: Phase | None = None) -> str:
    base = f"{EXERCISE}{_SEP}{exercise_id}"
    return f"{base}{_SEP}{phase}" if phase is not None else base


def closing_state(outcome: Outcome) -> str:
    return f"{CLOSING}{_SEP}{outcome}"


def target_state(target: str) -> str:
    """The state a routine's ``next`` target names (an exercise id, ``done`` or ``stop``)."""
    if target == DONE:
        return closing_state(Outcome.COMPLETED)
    if target == STOP:
        return closing_state(Outcome.STOPPED_WORSE)
    return exercise_state(target)


def target_of(state: str) -> str:
    """The routine target a state stands for (the inverse of :func:`target_state`)."""
    if state == closing_state(Outcome.COMPLETED):
        return DONE
    if state == closing_state(Outcome.STOPPED_WORSE):
        return STOP
    exercise_id = FlowMachine.exercise_of(state)
    assert exercise_id is not None, state
    return exercise_id


def routine_transitions(routine: Routine) -> list[dict[str, Any]]:
    """The routine's answer rules as ``transitions`` dicts (trigger, source, dest).

    Unguarded: :class:`FlowMachine` adds "worse twice" and "done enough" guards in
    front.  "skip" has no rule of its own: it asks how the pain is, and the answer
    fires its rule (issue 12 item 4).  The routine diagram draws these same rules.
    """
    rules: list[dict[str, Any]] = []
    for exercise in routine.exercises:
        source = exercise_state(exercise.id)
        for answer in Answer:
            dest = target_state(exercise.next.target(answer))
            rules.append({"trigger": str(answer), "source": source, "dest": dest})
    return rules


class FlowMachine:
    """The model ``transitions`` drives, with the names the flow asks about."""

    state: str
    trigger: Callable[..., bool]

    def __init__(self) -> None:
        self._machine = HierarchicalMachine(
            model=self,
            states=[
                IDLE,
                {"name": INTAKE, "children": ["safety", "routine", "rating"]},
                PAUSED,
                {"name": CLOSING, "children": [str(o) for o in _CLOSING_OUTCOMES]},
                ENDED,
            ],
            initial=IDLE,
            queued=True,
            auto_transitions=True,
        )
        #: The state a pause goes back to.
        self.resume_to: str | None = None

    def add_routine(
        self, routine: Routine, worse_limit: Callable[[], bool], visit_limit: Callable[[str], bool]
    ) -> None:
        """One state per exercise, and the routine's rules between them (once: the
        routine is known from the start, or chosen during the intake).

        A guarded transition is added before the rule it overrides: ``transitions``
        takes the first whose conditions hold.
        """
        children: list[Any] = [
            {"name": e.id, "children": [str(p) for p in Phase]} for e in routine.exercises
        ]
        exercises: dict[str, Any] = {"name": EXERCISE, "children": children}
        self._machine.add_states(exercises)
        finished = closing_state(Outcome.COMPLETED)
        stopped = closing_state(Outcome.STOPPED_WORSE)
        for rule in routine_transitions(routine):
            trigger, source, dest = rule["trigger"], rule["source"], rule["dest"]
            if trigger == Answer.WORSE and dest != stopped:
                self._machine.add_transition(trigger, source, stopped, conditions=[worse_limit])
            exercise_id = self.exercise_of(dest)
            if exercise_id is not None:
                guard = _bind(visit_limit, exercise_id)
                self._machine.add_transition(trigger, source, finished, conditions=[guard])
            self._machine.add_transition(trigger, source, dest)

    # ----------------------------------------------------------------- moves

    def go(self, state: str) -> None:
        self.trigger(f"to_{state}")

    def follow(self, trigger: str) -> str:
        """Fire a routine rule (an answer); the state it led to."""
        self.trigger(trigger)
        return self.state

    def set_phase(self, phase: Phase) -> None:
        exercise_id = self.exercise_id
        assert exercise_id is not None
        self.go(exercise_state(exercise_id, phase))

    def pause(self) -> None:
        self.resume_to = self.state
        self.go(PAUSED)

    def unpause(self) -> None:
        """Back to the state the pause interrupted (nothing is said or redone)."""
        assert self.resume_to is not None
        target, self.resume_to = self.resume_to, None
        self.go(target)

    # ------------------------------------------------------------- questions

    @property
    def paused(self) -> bool:
        return self.state == PAUSED

    @property
    def ended(self) -> bool:
        return self.state == ENDED

    @property
    def underlying(self) -> str:
        """The state, or the one a pause will go back to."""
        return self.resume_to if self.paused and self.resume_to else self.state

    @property
    def exercise_id(self) -> str | None:
        return self.exercise_of(self.underlying)

    @property
    def phase(self) -> Phase | None:
        """The exercise's phase (also while paused in it); ``None`` outside exercises."""
        parts = self.underlying.split(_SEP, 2)
        return Phase(parts[2]) if parts[0] == EXERCISE and len(parts) == 3 else None

    @property
    def closing_outcome(self) -> Outcome | None:
        """The outcome already decided while closing (the routine ended, or pain got worse)."""
        parts = self.underlying.split(_SEP, 1)
        return Outcome(parts[1]) if parts[0] == CLOSING and len(parts) == 2 else None

    @property
    def in_intake(self) -> bool:
        return self.underlying.split(_SEP)[0] == INTAKE

    @staticmethod
    def exercise_of(state: str) -> str | None:
        parts = state.split(_SEP, 2)
        return parts[1] if parts[0] == EXERCISE and len(parts) >= 2 else None


def _bind(visit_limit: Callable[[str], bool], exercise_id: str) -> Callable[[], bool]:
    return lambda: visit_limit(exercise_id)
