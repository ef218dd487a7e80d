"""How a session ends: the routine finished, the pain got worse, "stop", no answer.

Every ending goes through :meth:`Closing.end`: the closing words, the summary
(not after a red flag or no answer), ``session_ended`` and ``End``, last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import End
from ..vocab import Outcome
from . import prompts
from .exercise import SKIPPED, STOPPED
from .log import SessionEnded
from .machine import ENDED, Phase, closing_state
from .routine import DONE, STOP

if TYPE_CHECKING:
    from .flow import Flow

__all__ = ["Closing"]

#: Why a session ended (``End.reason``, the journal), by the outcome decided at closing.
_REASONS = {
    Outcome.COMPLETED: "routine finished",
    Outcome.STOPPED_WORSE: "leg pain got worse",
    Outcome.STOPPED_BY_USER: "the user said stop",
}
#: The phases in which the exercise under way was logged as started and not yet finished.
_UNDER_WAY = (Phase.INSTRUCTING, Phase.COUNTING, Phase.ASKING)


class Closing:
    def __init__(self, flow: Flow) -> None:
        self._flow = flow
        self._out = flow.out

    def finishing(self) -> None:
        """Arrived at ``closing_completed``: the routine's "done", or an exercise
        done as often as is useful."""
        flow = self._flow
        nominal = flow.progress.nominal
        flow.exercises.say_nominal_response()
        if nominal is not None and nominal[1] != DONE:
            routine = flow.routine
            name = routine.exercise(nominal[1]).name if routine else nominal[1]
            self._out.say(prompts.visit_limit(name))
        self._out.say(prompts.END_OF_ROUTINE)
        self._closing_rating()

    def stopping(self) -> None:
        """Arrived at ``closing_stopped_worse``: the routine's "stop", or worse twice."""
        flow = self._flow
        nominal = flow.progress.nominal
        flow.progress.nominal = None
        previous = flow.exercises.previous_exercise()
        if nominal is not None and nominal[1] != STOP:
            self._out.say(prompts.WORSE_TWICE)
        elif previous is not None and previous.stop_advice:
            self._out.say(previous.stop_advice)
        self._out.say(prompts.WORSE_GENERAL_ADVICE)
        self._closing_rating()

    def _closing_rating(self) -> None:
        if self._flow.options.ask_rating:
            self._flow.intake.ask_rating("after", self.finish_with_pending)
        else:
            self.finish_with_pending()

    def finish_with_pending(self) -> None:
        outcome = self._flow.machine.closing_outcome or Outcome.COMPLETED
        self.end(outcome, _REASONS.get(outcome, ""))

    def stop_by_user(self) -> None:
        """ "stop": end now; after an exercise, with the closing rating (skippable)."""
        flow = self._flow
        if flow.machine.closing_outcome is not None:
            # The outcome was decided before the closing rating (the routine finished, the
            # pain got worse, or "stop"): "stop" now only skips the rating, never hides it.
            self.finish_with_pending()
            return
        self._stop_exercise()
        if flow.options.ask_rating and flow.exercises.exercise is not None:
            self._out.say(prompts.STOPPING_NOW)
            flow.machine.go(closing_state(Outcome.STOPPED_BY_USER))
            flow.intake.ask_rating("after", self.finish_with_pending)
            return
        reason = _REASONS[Outcome.STOPPED_BY_USER]
        self.end(Outcome.STOPPED_BY_USER, reason, closing=prompts.STOPPING_NOW)

    def interrupted(self) -> None:
        """Ctrl-C (or the end of typed input): end at once, recorded as interrupted."""
        if self._flow.machine.closing_outcome is not None:
            self.finish_with_pending()
            return
        self._stop_exercise()
        self.end(Outcome.INTERRUPTED, "interrupted", closing=prompts.STOPPING_NOW)

    def _stop_exercise(self) -> None:
        """Log the exercise under way as finished: "stopped" with what was done (all of
        it, when the count was over and the question not yet answered)."""
        flow = self._flow
        if flow.machine.phase not in _UNDER_WAY or flow.exercises.exercise is None:
            return
        if flow.in_movement():
            self._out.stop_speaking()
            flow.exercises.stop_activity()
        flow.exercises.log_finished(STOPPED)

    def _summary(self, outcome: Outcome) -> str:
        """Counted as the journal counts them (``SessionRecord.exercises_done``): each
        time an exercise was done and not skipped, both sides of it once."""
        done: list[str] = []
        routine = self._flow.routine
        if routine is not None:
            for exercise_id, _side, answer in self._flow.progress.history:
                if answer != SKIPPED:
                    done.append(routine.exercise(exercise_id).name)
        return prompts.summary(done, self._flow.progress.ratings, outcome)

    def end(self, outcome: Outcome, reason: str, *, closing: str = "") -> None:
        flow = self._flow
        if flow.ended:
            return
        flow.cancel_timers()
        flow.asker.drop()
        if closing:
            self._out.say(closing)
        if outcome not in (Outcome.RED_FLAG, Outcome.NO_RESPONSE):
            summary = self._summary(outcome)
            if summary:
                self._out.say(summary)
        self._out.listen(None)
        self._out.log(SessionEnded(outcome, reason))
        flow.progress.outcome = outcome
        flow.machine.resume_to = None
        flow.machine.go(ENDED)
        self._out.end(End(outcome, reason))
