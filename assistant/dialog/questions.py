"""Asking: the open question, asking again, confirming a doubtful answer, silence.

The confidence rules (``assistant.dialog.rules``) act here: a "better" is acted
on without asking only when the recognizer is sure; a doubtful "better" or
"worse" is confirmed with a yes/no question (a "better" only by a sure "yes");
anything below ``MIN_CONFIDENCE`` is asked again.  After
:data:`MAX_REPROMPTS` the session pauses (``on_exhausted``) and waits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ..events import Heard
from ..vocab import Answer, Context, Reply, YesNo
from . import prompts
from .outbox import Outbox
from .rules import BETTER_MIN_CONFIDENCE, MIN_CONFIDENCE, WORSE_CONFIRM_BELOW

__all__ = [
    "Question",
    "Asker",
    "MIN_CONFIDENCE",
    "BETTER_MIN_CONFIDENCE",
    "WORSE_CONFIRM_BELOW",
    "REPROMPT_AFTER_MS",
    "MAX_REPROMPTS",
]

#: Silence after a question's speech before it is asked again.
REPROMPT_AFTER_MS: Final = 8_000
#: Reprompts (not understood or silence) before the engine pauses and waits for "resume".
MAX_REPROMPTS: Final = 3

YES_NO: Final = frozenset(YesNo)


@dataclass
class Question:
    """One question: what to say, what answers it takes, and what each leads to."""

    key: str
    context: Context
    prompt: str
    options: str
    accepts: frozenset[str]
    on_answer: Callable[[Heard], None]
    skippable: bool = False
    on_skip: Callable[[], None] | None = None
    #: When nobody answers at all: carry on without it (``None``: the session ends).
    on_give_up: Callable[[], None] | None = None
    #: "skip" on a question that cannot be skipped says this first.
    needed_because: str = prompts.NEED_ANSWER
    #: "not sure": what helps to answer it (said before asking again).
    unsure_help: str = prompts.UNSURE_HELP
    #: What "help" says about this question (default: the answers it takes).
    help_text: str | None = None
    #: "not sure" handled by the question's owner instead (the red-flag questions).
    on_unsure: Callable[[], None] | None = None
    #: Not understood after every reprompt: go on as if skipped instead of pausing
    #: (a question that helps but is not needed: where the pain is).
    skip_when_exhausted: bool = False
    #: Answers acted on only when the recognizer is sure (``BETTER_MIN_CONFIDENCE``):
    #: the "yes" that makes a doubtful "better" count.
    sure_only: frozenset[str] = frozenset()


class Asker:
    """Holds the open question, its reprompts and its silence timer."""

    def __init__(self, out: Outbox, on_exhausted: Callable[[], None]) -> None:
        self._out = out
        self._on_exhausted = on_exhausted
        self.question: Question | None = None
        self._utterance: int | None = None
        self._silence_timer: str | None = None
        self._reprompts = 0
        #: The symptom question a doubtful "better" answered, while it is confirmed.
        self._better_for: Question | None = None

    def ask(self, question: Question, *, prefix: str = "") -> None:
        self.question = question
        self._reprompts = 0
        self.put(prompts.with_prefix(prefix, question.prompt) if prefix else question.prompt)

    def put(self, text: str) -> None:
        """Say ``text`` as the open question (the silence timer starts when it ends)."""
        assert self.question is not None
        self.cancel_silence()
        self._utterance = self._out.say(text, reply=True)
        self._out.listen(self.question.context)

    def again(self, prefix: str = "") -> None:
        """The open question again, after ``prefix``."""
        assert self.question is not None
        prompt = self.question.prompt
        self.put(prompts.with_prefix(prefix, prompt) if prefix else prompt)

    def fresh_start(self, prefix: str) -> None:
        """Ask again with the reprompt count reset (after a pause)."""
        self._reprompts = 0
        self.again(prefix)

    def close(self) -> Question | None:
        question = self.question
        self.question = None
        self._utterance = None
        self._better_for = None
        self.cancel_silence()
        return question

    def not_better(self) -> Question | None:
        """The open question, after giving up a "better" waiting for its "yes" (it
        hurts: that is no "better"); the symptom question it answered is open again."""
        previous = self._better_for
        if previous is not None and self.question is not None:
            self.close()
            self.question = previous
        return self.question

    def cancel_silence(self) -> None:
        self._out.cancel(self._silence_timer)
        self._silence_timer = None

    def drop(self) -> None:
        """The session ended: forget the question (its timer is cancelled by the caller)."""
        self.question = None
        self._better_for = None
        self._utterance = None
        self._silence_timer = None

    @property
    def silence_timer(self) -> str | None:
        return self._silence_timer

    # ---------------------------------------------------------------- events

    def reprompt(self, why: str) -> None:
        question = self.question
        assert question is not None
        if self._reprompts >= MAX_REPROMPTS:
            if question.skip_when_exhausted and question.on_skip is not None:
                self.close()
                self._out.say(prompts.LEAVE_IT, reply=True)
                question.on_skip()
                return
            self._on_exhausted()
            return
        self._reprompts += 1
        self.put(prompts.reprompt(why, question.options))

    def not_understood(self) -> None:
        self.reprompt(prompts.NOT_CAUGHT)

    def silence(self) -> None:
        self.reprompt(prompts.NO_ANSWER_HEARD if self._reprompts == 0 else prompts.ARE_YOU_THERE)

    def speech_finished(self, utterance_id: int) -> bool:
        """The question has been said: the silence timer starts now."""
        if utterance_id != self._utterance:
            return False
        self.cancel_silence()
        self._silence_timer = self._out.start_timer("silence", self._out.now() + REPROMPT_AFTER_MS)
        return True

    def timer_fired(self, name: str) -> bool:
        if name != self._silence_timer:
            return False
        self._silence_timer = None
        return True

    def answer(self, heard: Heard) -> None:
        """An answer to the open question: act on it only if it is clear."""
        question = self.question
        assert question is not None
        intent = heard.intent
        if intent == Reply.UNSURE and heard.confidence >= MIN_CONFIDENCE:
            if question.on_unsure is not None:
                question.on_unsure()
            else:
                self.reprompt(question.unsure_help)
            return
        if intent not in question.accepts:
            self.reprompt(prompts.NOT_AN_ANSWER)
            return
        if question.context == Context.SYMPTOM:
            if intent == Answer.WORSE and heard.confidence < WORSE_CONFIRM_BELOW:
                self._confirm_worse()
                return
            doubtful = MIN_CONFIDENCE <= heard.confidence < BETTER_MIN_CONFIDENCE
            if intent == Answer.BETTER and doubtful:
                self._confirm_better(heard)
                return
        sure = BETTER_MIN_CONFIDENCE if intent in question.sure_only else MIN_CONFIDENCE
        if heard.confidence < sure:
            self.reprompt(prompts.NOT_SURE)
            return
        self.close()
        question.on_answer(heard)

    def _confirm_worse(self) -> None:
        """Taken as worse on a "yes" (even a doubtful one: erring towards caution)."""
        self._confirm(
            "confirm_worse", prompts.CONFIRM_WORSE, Heard(Answer.WORSE, "worse (confirmed)")
        )

    def _confirm_better(self, heard: Heard) -> None:
        """Acted on only after a sure "yes"; "no" (or "ouch": ``not_better``) asks the
        symptom question again, and so does anything else, by the usual reprompts."""
        # its own words: the place it names still counts
        self._better_for = self._confirm(
            "confirm_better", prompts.CONFIRM_BETTER, heard, sure_only=frozenset({YesNo.YES})
        )

    def _confirm(
        self, key: str, prompt: str, answer: Heard, sure_only: frozenset[str] = frozenset()
    ) -> Question:
        """Ask whether ``answer`` was meant: "yes" gives it to the open question (which
        is returned), anything else asks that question again."""
        previous = self.close()
        assert previous is not None

        def confirmed(heard: Heard) -> None:
            if heard.intent == YesNo.YES:
                previous.on_answer(answer)
            else:
                self.ask(previous, prefix=prompts.ALL_RIGHT)

        self.ask(
            Question(
                key=key,
                context=Context.YES_NO,
                prompt=prompt,
                options=prompts.YES_NO_OPTIONS,
                accepts=YES_NO,
                on_answer=confirmed,
                sure_only=sure_only,
            )
        )
        return previous
