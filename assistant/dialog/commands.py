"""The global commands, heard in every state: what each does where the session is.

"ouch" (and "worse" heard during a movement) is the safety command: the
movement stops at once and counts as worse for the routine's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from ..vocab import Command, Context
from . import prompts
from .counting import TEMPO_STEP
from .log import CommandHeard
from .machine import Phase

if TYPE_CHECKING:
    from .flow import Flow

__all__ = ["Commands", "COMMANDS"]


class Commands:
    def __init__(self, flow: Flow) -> None:
        self._flow = flow
        self._out = flow.out

    def run(self, intent: str) -> None:
        self._log(intent)
        COMMANDS[Command(intent)](self)

    def _log(self, intent: str) -> None:
        self._out.log(CommandHeard(intent, self._flow.exercises.current_id))

    @property
    def _paused(self) -> bool:
        return self._flow.machine.paused

    def _ask_again_unless_paused(self) -> None:
        if self._flow.asker.question is not None and not self._paused:
            self._flow.asker.again()

    def pause(self) -> None:
        if self._paused:
            self._out.say(prompts.ALREADY_PAUSED, reply=True)
        elif self._flow.machine.closing_outcome is not None:
            self._out.say(prompts.JUST_FINISHING, reply=True)
        else:
            self._flow.pause(prompts.PAUSED_BY_USER, user=True)

    def resume(self) -> None:
        if not self._paused:
            self._out.say(prompts.NOT_PAUSED, cacheable=True, reply=True)
            if self._flow.asker.question is not None:
                self._flow.asker.again()
            return
        self._flow.resume()

    def repeat(self) -> None:
        flow = self._flow
        phase = flow.machine.phase
        if self._paused:
            self._out.say(prompts.PAUSED, reply=True)
        elif flow.asker.question is not None:
            flow.asker.again()
        elif phase is Phase.INSTRUCTING:
            self._out.stop_speaking()
            flow.exercises.introduce(again=True)
        elif phase is Phase.COUNTING:
            flow.exercises.interject(flow.last_instruction)
        elif flow.last_instruction:
            self._out.say(flow.last_instruction, reply=True)

    def skip(self) -> None:
        flow = self._flow
        question = flow.asker.question
        if self._paused:
            self._out.say(prompts.PAUSED, reply=True)
        elif question is not None:
            if question.skippable and question.on_skip is not None:
                flow.asker.close()
                self._out.say(prompts.SKIPPED, cacheable=True, reply=True)
                question.on_skip()
            else:
                flow.asker.put(prompts.with_prefix(question.needed_because, question.prompt))
        elif flow.in_movement() and flow.exercises.exercise is not None:
            # How is the pain first: the answer picks the next step (issue 12 item 4).
            flow.exercises.skip()

    def stop(self) -> None:
        self._flow.closing.stop_by_user()

    def slower(self) -> None:
        self._tempo(TEMPO_STEP)

    def faster(self) -> None:
        self._tempo(1 / TEMPO_STEP)

    def _tempo(self, step: float) -> None:
        counter = self._flow.counter
        text = counter.change_tempo(step)
        if text in (prompts.SLOWER, prompts.FASTER):
            # say what changed: the time each movement now takes, where there is one
            exercise = self._flow.exercises.exercise
            if exercise is not None and exercise.reps is not None:
                text = prompts.tempo_changed(text, exercise.tempo_s * counter.tempo_factor)
            else:
                text = prompts.with_prefix(text, prompts.TEMPO_LATER)
        self._out.say(text, reply=True)
        self._ask_again_unless_paused()

    def help(self) -> None:
        flow = self._flow
        question = flow.asker.question
        if self._paused:
            text = prompts.PAUSED
        elif question is not None:
            text = question.help_text or prompts.help_for_question(question.options)
        elif flow.counter.waiting_to_start:  # the count waits for "ready"
            text = prompts.READY_HELP
        else:
            text = prompts.COMMANDS_HELP
        if flow.machine.phase is Phase.COUNTING:
            flow.exercises.interject(text)
            return
        self._out.say(text, reply=True)
        if question is not None:
            flow.asker.again()

    def ouch(self) -> None:
        """It hurts: stop the movement now; it counts as worse (issue 12: 003 stops the
        props "immediately" when pain worsens, 004 stops on "any increase")."""
        flow = self._flow
        self._log(Command.OUCH)
        question = flow.asker.not_better()
        if flow.in_movement() and flow.exercises.exercise is not None:
            self._out.stop_speaking()
            flow.exercises.stop_activity()
            if self._paused:
                flow.end_pause()
            self._out.say(prompts.COME_OUT_AND_REST, cacheable=True, reply=True)
            flow.exercises.stopped_by_pain()
        elif question is not None and question.context == Context.SYMPTOM:
            if self._paused:
                flow.end_pause()
            flow.asker.put(prompts.with_prefix(prompts.HURTS_REST, question.prompt))
        else:
            self._out.say(prompts.HURTS_ADVICE, reply=True)
            self._ask_again_unless_paused()


#: What each command does ("ouch" is :meth:`Commands.ouch`, heard before the others).
COMMANDS: Final[dict[str, Callable[[Commands], None]]] = {
    Command.PAUSE: Commands.pause,
    Command.RESUME: Commands.resume,
    Command.REPEAT: Commands.repeat,
    Command.SKIP: Commands.skip,
    Command.STOP: Commands.stop,
    Command.SLOWER: Commands.slower,
    Command.FASTER: Commands.faster,
    Command.HELP: Commands.help,
}
