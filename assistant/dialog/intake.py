"""Before the first exercise: the safety notice and red-flag questions, the
routine (when not configured), the pain rating and where the pain is.

A "yes" to any red-flag question ends the session at once with advice to get
urgent care (or, for the history question, to see a doctor first); the rating
can be skipped, and is asked again at the end; where the pain is
(``location.Baseline``) follows the rating and can be skipped too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..events import Heard
from ..vocab import Context, Outcome, YesNo
from . import prompts
from .log import Rating
from .machine import CHOOSING, RATING_BEFORE, SAFETY
from .questions import YES_NO, Question

if TYPE_CHECKING:
    from .flow import Flow

__all__ = ["Intake", "RATINGS"]

#: The answers a 0-10 rating takes ("skip" is a command, heard everywhere).
RATINGS = frozenset(str(n) for n in range(11))


class Intake:
    def __init__(self, flow: Flow) -> None:
        self._flow = flow
        self._out = flow.out
        self._red_flag_index = 0
        self._unsure_before = False

    # ------------------------------------------------------------ red flags

    def safety(self) -> None:
        self._flow.machine.go(SAFETY)
        self._out.say(prompts.SAFETY_NOTICE)
        self._ask_red_flag()

    def _ask_red_flag(self) -> None:
        index = self._red_flag_index
        question = Question(
            key=f"red_flag_{index + 1}",
            context=Context.YES_NO,
            prompt=prompts.RED_FLAG_QUESTIONS[index],
            options=prompts.YES_NO_OPTIONS,
            accepts=YES_NO,
            on_answer=self._red_flag_answer,
            on_unsure=self._red_flag_unsure,
        )
        self._unsure_before = False
        self._flow.ask(question)

    def _red_flag_unsure(self) -> None:
        """ "Not sure": what the question means, once; still unsure is a yes (see a
        doctor before exercising)."""
        if not self._unsure_before:
            self._unsure_before = True
            self._flow.asker.reprompt(prompts.RED_FLAG_MEANINGS[self._red_flag_index])
            return
        self._out.say(prompts.UNSURE_MEANS_YES)
        self._red_flag_answer(Heard(YesNo.YES, "not sure (taken as yes)"))

    def _red_flag_answer(self, heard: Heard) -> None:
        if heard.intent == YesNo.YES:
            closing = prompts.RED_FLAG_ADVICES[self._red_flag_index]
            self._flow.closing.end(Outcome.RED_FLAG, "a red-flag sign", closing=closing)
            return
        self._red_flag_index += 1
        if self._red_flag_index < len(prompts.RED_FLAG_QUESTIONS):
            self._ask_red_flag()
        else:
            self._out.say(prompts.THANK_YOU, cacheable=True)
            self.after_safety()

    # -------------------------------------------------------------- routine

    def after_safety(self) -> None:
        if self._flow.routine is None:
            self._flow.machine.go(CHOOSING)
            self._ask_routine()
        else:
            self._rating_before()

    def _ask_routine(self) -> None:
        routines = self._flow.options.routines
        ids = list(routines)
        explained = prompts.routine_help((r.title, r.description) for r in routines.values())
        question = Question(
            key="routine",
            context=Context.ROUTINE,
            prompt=prompts.routine_question(ids),
            options=prompts.routine_options(ids),
            accepts=frozenset(ids),
            on_answer=self._routine_answer,
            help_text=explained,
            unsure_help=explained,
        )
        self._flow.ask(question)

    def _routine_answer(self, heard: Heard) -> None:
        routine = self._flow.options.routines[heard.intent]
        self._flow.set_routine(routine)
        self._out.say(prompts.routine_chosen(routine.title, routine.description))
        self._flow.log_session_started(routine.start)
        self._rating_before()

    # --------------------------------------------------------------- rating

    def _rating_before(self) -> None:
        routine = self._flow.routine
        assert routine is not None

        def first_exercise() -> None:
            self._flow.exercises.start(routine.start)

        if not self._flow.options.ask_rating:
            first_exercise()
            return
        self._flow.machine.go(RATING_BEFORE)
        # Where the pain is comes next, answered or not (issue 12 item 5).
        self.ask_rating("before", lambda: self._flow.baseline.ask(first_exercise))

    def ask_rating(self, phase: str, then: Callable[[], None]) -> None:
        """The 0-10 leg-pain rating (``phase``: before | after); ``then`` goes on."""

        def answered(heard: Heard) -> None:
            value = int(heard.intent)
            self._flow.progress.ratings[phase] = value
            self._out.log(Rating(phase, value))
            self._out.say(prompts.rating_heard(value), reply=True)  # the answer, said back
            then()

        question = Question(
            key=f"rating_{phase}",
            context=Context.NUMBER,
            prompt=prompts.RATING_QUESTION,
            options=prompts.RATING_OPTIONS,
            accepts=RATINGS,
            on_answer=answered,
            skippable=True,
            on_skip=then,
            unsure_help=prompts.UNSURE_RATING,
            on_give_up=then if phase == "after" else None,
        )
        self._flow.ask(question)
