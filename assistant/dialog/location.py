"""Where the pain is: the baseline asked after the rating, and what a later
"it's moved into my back" means against it (issue 12 item 5).

003: "Centralization (moving pain to your spine) is a sign the exercise is
working" and "If your pain worsens in your spine, buttocks, thigh, or leg, stop".
So a place named in a "better"-sounding answer is compared with the baseline:
nearer the spine is better, further from it is worse, the same place is asked
again (CAUTIOUS: the articles do not say what "it's in my back now" means when
the pain was in the back already; we do not guess).  A "worse" is never turned
into anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from ..events import Heard
from ..vocab import LOCATIONS, Answer, Context, Side, named_place
from . import prompts
from .log import PainLocation
from .questions import Question

if TYPE_CHECKING:
    from .flow import Flow

__all__ = ["LOCATIONS", "Baseline", "named_place", "compare"]

#: Side answers that leave a one-sided exercise without a side to work on.
NO_ONE_SIDE: Final = frozenset({Side.BOTH, Side.MIDDLE})
_SIDES: Final = frozenset(Side)


def compare(answer: str, text: str, baseline: str | None) -> str | None:
    """The answer judged against the baseline; ``None``: the same place, ask again."""
    if answer != Answer.BETTER or baseline not in LOCATIONS:
        return answer
    place = named_place(text)
    if place is None:
        return answer
    now, before = LOCATIONS.index(place), LOCATIONS.index(baseline)
    if now < before:
        return Answer.BETTER
    return Answer.WORSE if now > before else None


class Baseline:
    """Asks where the pain is and on which side, once, and journals it."""

    def __init__(self, flow: Flow) -> None:
        self._flow = flow
        self.asked = False

    def judged(self, heard: Heard) -> Heard:
        """``heard`` with a "better" that names a place further out than the
        baseline turned into "worse" (the same place stays "better" here: the
        symptom question asks again, see :func:`compare`)."""
        flow = self._flow
        question = flow.asker.question
        asked = question is not None and question.context == Context.SYMPTOM
        if flow.machine.paused or not (asked or flow.in_movement()):
            return heard
        answer = compare(heard.intent, heard.text, flow.progress.location)
        if answer == Answer.WORSE and heard.intent != Answer.WORSE:
            flow.out.say(prompts.FURTHER_OUT, reply=True)
            return replace(heard, intent=Answer.WORSE)
        return heard

    def ask(self, then: Callable[[], None]) -> None:
        """Where is the pain (skippable), then which side; ``then`` goes on."""
        self.asked = True

        def answered(heard: Heard) -> None:
            self._flow.progress.location = heard.intent
            if self._flow.progress.side is None:
                self._ask_side(heard.intent, then)
            else:
                self._log(heard.intent)
                then()

        question = Question(
            key="location",
            context=Context.LOCATION,
            prompt=prompts.LOCATION_QUESTION,
            options=prompts.LOCATION_OPTIONS,
            accepts=frozenset(LOCATIONS),
            on_answer=answered,
            skippable=True,
            on_skip=then,
            unsure_help=prompts.UNSURE_LOCATION,
            skip_when_exhausted=True,
        )
        self._flow.ask(question)

    def _ask_side(self, location: str, then: Callable[[], None]) -> None:
        def answered(heard: Heard) -> None:
            self._flow.progress.side = heard.intent
            skipped()

        def skipped() -> None:
            # (no side: a one-sided exercise asks for it when it comes)
            self._log(location)
            then()

        question = Question(
            key="location_side",
            context=Context.SIDE,
            prompt=prompts.LOCATION_SIDE_QUESTION,
            options=prompts.LOCATION_SIDE_OPTIONS,
            accepts=_SIDES,
            on_answer=answered,
            skippable=True,
            on_skip=skipped,
            unsure_help=prompts.UNSURE_SIDE,
            skip_when_exhausted=True,
        )
        self._flow.ask(question)

    def _log(self, location: str) -> None:
        self._flow.out.log(PainLocation("before", location, self._flow.progress.side))
