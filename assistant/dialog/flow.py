"""The session's flow: events in, routed to the part of the dialog they concern.

:class:`Flow` owns the parts (the machine, the outbox, the open question, the
count) and the session's record; intake, exercises, commands and closing are
small classes beside it that act through it.  Pausing lives here because it
cuts across all of them: ``paused`` is a machine state that remembers where to
go back to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ..clock import Clock
from ..events import (
    DeviceLost,
    DeviceRestored,
    Event,
    Heard,
    Interrupted,
    NotUnderstood,
    Silence,
    SpeechFinished,
    TalkedOver,
    TimerFired,
)
from ..vocab import Answer, Context, Hurt, Outcome
from . import prompts
from .closing import Closing
from .commands import COMMANDS, Commands
from .counting import READY, Counter
from .exercise import Exercises
from .intake import Intake
from .location import Baseline
from .log import SessionStarted
from .machine import FlowMachine, Phase, closing_state
from .outbox import Outbox
from .questions import REPROMPT_AFTER_MS, Asker, Question
from .routine import Routine
from .rules import MAX_VISITS, MAX_WORSE, MIN_CONFIDENCE

__all__ = [
    "Flow",
    "Options",
    "Progress",
    "AUTO_PAUSE_GIVE_UP_MS",
    "USER_PAUSE_GIVE_UP_MS",
    "PAUSED_HINT_EVERY_MS",
]

#: Waiting this long after pausing for lack of an answer ends with ``no_response``.
AUTO_PAUSE_GIVE_UP_MS: Final = 120_000
#: Waiting this long after the user said "pause" ends with ``no_response``.
USER_PAUSE_GIVE_UP_MS: Final = 1_800_000
#: While paused, "not understood" (noise) is answered at most this often.
PAUSED_HINT_EVERY_MS: Final = 30_000


@dataclass(frozen=True)
class Options:
    """How the session was asked to run (checked by the ``Engine`` facade)."""

    routines: Mapping[str, Routine]
    start_at: str | None
    ask_rating: bool
    safety_check: bool
    recognizer: str | None
    #: The answers are typed (``backcoach run --text``): "I didn't understand", not
    #: "catch".  Scripted sessions stand for speech, typed or not.
    typed: bool = False


@dataclass
class Progress:
    """What has happened so far: the summary and the rules read it."""

    side: str | None
    #: Where the pain was at the start, furthest from the spine (``location.LOCATIONS``).
    location: str | None = None
    ratings: dict[str, int] = field(default_factory=dict)
    visits: dict[str, int] = field(default_factory=dict)
    worse_count: int = 0
    #: (exercise id, side, answer) for each exercise finished, skipped or stopped.
    history: list[tuple[str, str | None, str]] = field(default_factory=list)
    #: (answer, target) of the rule being followed, for the seed's words on arrival.
    nominal: tuple[str, str] | None = None
    outcome: Outcome | None = None


class Flow:
    def __init__(
        self, options: Options, clock: Clock, routine: Routine | None, side: str | None
    ) -> None:
        self.options = options
        self.out = Outbox(clock)
        self.machine = FlowMachine()
        self.asker = Asker(self.out, self._reprompts_exhausted)
        self.progress = Progress(side=side)
        self.routine: Routine | None = None
        #: What "repeat" says when there is no question and no exercise under way.
        self.last_instruction = ""
        self._give_up_timer: str | None = None
        self._paused_hint_ms = -PAUSED_HINT_EVERY_MS
        self.exercises = Exercises(self)
        self.counter = Counter(self.out, self.exercises.side_done)
        self.intake = Intake(self)
        self.baseline = Baseline(self)
        self.closing = Closing(self)
        self.commands = Commands(self)
        if routine is not None:
            self.set_routine(routine)

    # ------------------------------------------------------------- plumbing

    def set_routine(self, routine: Routine) -> None:
        self.routine = routine
        self.machine.add_routine(routine, self._worse_limit_reached, self._visit_limit_reached)

    def _worse_limit_reached(self) -> bool:
        return self.progress.worse_count >= MAX_WORSE

    def _visit_limit_reached(self, exercise_id: str) -> bool:
        return self.progress.visits.get(exercise_id, 0) >= MAX_VISITS

    def log_session_started(self, start: str) -> None:
        assert self.routine is not None
        self.out.log(SessionStarted(self.routine.id, start, self.options.recognizer))

    def ask(self, question: Question, *, prefix: str = "") -> None:
        self.last_instruction = question.prompt
        self.asker.ask(question, prefix=prefix)

    def awaiting(self) -> bool:
        return self.asker.question is not None and not self.machine.paused and not self.ended

    @property
    def ended(self) -> bool:
        return self.machine.ended

    def follow(self, trigger: str) -> None:
        """Take the routine's rule for ``trigger`` (an answer, or skip) and arrive."""
        state = self.machine.follow(trigger)
        if state == closing_state(Outcome.COMPLETED):
            self.closing.finishing()
        elif state == closing_state(Outcome.STOPPED_WORSE):
            self.closing.stopping()
        else:
            self.exercises.enter()

    def in_movement(self) -> bool:
        """An exercise's steps are being read or it is being counted (also if paused)."""
        return self.machine.phase in (Phase.INSTRUCTING, Phase.COUNTING)

    # ---------------------------------------------------------------- start

    def start(self) -> None:
        start_at = self.options.start_at
        if self.routine is not None:
            self.log_session_started(start_at or self.routine.start)
        if start_at is not None:
            self.exercises.start(start_at)
        elif self.options.safety_check:
            self.intake.safety()
        else:
            self.intake.after_safety()

    # --------------------------------------------------------------- events

    def handle(self, event: Event) -> None:
        if isinstance(event, Heard):
            self._heard(event)
        elif isinstance(event, NotUnderstood):
            self._not_understood()
        elif isinstance(event, Silence):
            if event.duration_ms >= REPROMPT_AFTER_MS and self.awaiting():
                self.asker.silence()
        elif isinstance(event, TimerFired):
            self._timer(event.name)
        elif isinstance(event, SpeechFinished):
            self._speech_finished(event.utterance_id)
        elif isinstance(event, DeviceLost):
            self.pause(prompts.sound_problem(event.message), user=False)
        elif isinstance(event, DeviceRestored):
            # (microphone and speaker back together: said once, not twice in a row)
            if self.machine.paused and self.out.last_said != prompts.SOUND_BACK:
                self.out.say(prompts.SOUND_BACK, reply=True)
        elif isinstance(event, Interrupted):
            self.closing.interrupted()
        elif isinstance(event, TalkedOver) and self.awaiting():
            # Its start was not heard: never guess from the rest; ask again (issue 13).
            self.asker.reprompt(prompts.ONE_MOMENT)

    def _heard(self, heard: Heard) -> None:
        heard = self.baseline.judged(heard)
        intent = heard.intent
        if self.exercises.early_pain_expected(heard):
            return
        if intent == Hurt.OUCH or (intent == Hurt.WORSE and self.in_movement()):
            self.commands.ouch()
            return
        if (
            intent == Answer.BETTER
            and self.machine.phase is Phase.COUNTING
            and not self.machine.paused
        ):
            # Noted, not acted on (issue 12): the answer that counts comes at the end.
            self.exercises.answer_given = Answer.BETTER
            self.exercises.interject(prompts.BETTER_NOTED)
            return
        if intent == READY:
            # In position: the count starts (heard at any other time, it changes nothing).
            if not self.machine.paused and self.machine.phase is Phase.COUNTING:
                self.counter.ready()
            return
        if intent in COMMANDS:
            if heard.confidence < MIN_CONFIDENCE:
                self._not_understood()
                return
            self.commands.run(intent)
            return
        if self.machine.paused:
            self.out.say(prompts.PAUSED, reply=True)
        elif self.asker.question is not None:
            self.asker.answer(heard)
        # Anything else while counting or speaking is ignored: never act on a guess.

    def _not_understood(self) -> None:
        if self.awaiting():
            typed = self.options.typed
            self.asker.reprompt(prompts.NOT_UNDERSTOOD if typed else prompts.NOT_CAUGHT)
        elif self.machine.paused:
            # Noise while paused: remind now and then, not at every sound.
            now = self.out.now()
            if now - self._paused_hint_ms >= PAUSED_HINT_EVERY_MS:
                self._paused_hint_ms = now
                self.out.say(prompts.PAUSED, reply=True)

    def _timer(self, name: str) -> None:
        if self.counter.timer_fired(name):
            return
        if self.asker.timer_fired(name):
            if self.awaiting():
                self.asker.silence()
        elif name == self._give_up_timer:
            self._give_up_timer = None
            self._give_up()

    def _speech_finished(self, utterance_id: int) -> None:
        if self.awaiting() and self.asker.speech_finished(utterance_id):
            return
        if not self.machine.paused:
            self.exercises.speech_finished(utterance_id)

    # ---------------------------------------------------------------- pause

    def _reprompts_exhausted(self) -> None:
        self.pause(prompts.PAUSED_FOR_NO_ANSWER, user=False)

    def pause(self, why: str, *, user: bool) -> None:
        """Stop where we are and wait for "resume"; give up after a while."""
        if self.ended:
            return
        if self.machine.paused:
            self.out.say(why, reply=True)
            return
        self.asker.cancel_silence()
        self.exercises.hold_still()
        self.machine.pause()
        self.out.say(prompts.paused_because(why), reply=True)
        self.out.listen(Context.COMMAND)
        wait = USER_PAUSE_GIVE_UP_MS if user else AUTO_PAUSE_GIVE_UP_MS
        self._give_up_timer = self.out.start_timer("give-up", self.out.now() + wait)

    def end_pause(self) -> None:
        self.machine.unpause()
        self.out.cancel(self._give_up_timer)
        self._give_up_timer = None

    def resume(self) -> None:
        self.end_pause()
        phase = self.machine.phase
        if self.asker.question is not None:
            self.asker.fresh_start(prompts.CARRY_ON)
        elif phase is Phase.INSTRUCTING:
            self.exercises.introduce(again=True)
        elif phase is Phase.COUNTING:
            self.out.say(prompts.CARRYING_ON, cacheable=True, reply=True)
            self.out.listen(Context.EXERCISE)
            self.counter.carry_on()
        else:
            self.out.say(prompts.CARRY_ON, cacheable=True, reply=True)

    def _give_up(self) -> None:
        if self.machine.closing_outcome is not None:
            question = self.asker.close()
            if question is not None and question.on_give_up is not None:
                self.end_pause()
                question.on_give_up()
                return
        self.closing.end(Outcome.NO_RESPONSE, "no answer", closing=prompts.NO_RESPONSE_GOODBYE)

    def cancel_timers(self) -> None:
        self.out.cancel(self.asker.silence_timer)
        self.counter.cancel()
        self.out.cancel(self._give_up_timer)
        self._give_up_timer = None
