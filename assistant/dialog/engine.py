"""The dialog engine: one session of Back Coach as a sans-I/O state machine.

Events go in (``handle(event)``), actions come out (``Say``, ``Listen``,
``StartTimer``, ``LogEntry``, ``End``...).  The engine reads time only from the
injected :class:`~assistant.clock.Clock` and asks for timers with absolute
deadlines, so a virtual clock drives every branch in tests, and a 60-second hold
is 60 s of clock time however long the speech around it takes.

The session flow is a ``transitions`` state machine built from the routine
data: one state per exercise, and ``better`` / ``same`` / ``worse`` / ``skip``
triggers between them (guarded by "worse twice" and "done this one enough").
Within a state the engine keeps a small phase: reading the instructions,
counting, or asking a question.

Contract with the driver (runtime, text session, scripted tests):

* every ``Say`` has a unique ``utterance_id``; send ``SpeechFinished`` with it
  when it has been played.  Silence/reprompt timers start from the end of a
  question's speech, and counting starts after the instructions were spoken;
* run ``StartTimer`` / ``CancelTimer`` and send ``TimerFired(name)`` at the
  deadline; a stale timer is ignored;
* ``End`` comes last in its action list, after the closing ``Say``: play the
  queued speech, then close.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from transitions import Machine

from ..clock import Clock
from ..errors import RoutineError
from ..events import (
    Action,
    CancelTimer,
    DeviceLost,
    DeviceRestored,
    End,
    Event,
    Heard,
    Interrupted,
    Listen,
    LogEntry,
    NotUnderstood,
    Say,
    Silence,
    SpeechFinished,
    StartTimer,
    StopSpeaking,
    TimerFired,
)
from . import speech
from .routine import ANSWERS, DONE, STOP, Exercise, Routine

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
    "MAX_WORSE",
    "MAX_VISITS",
    "TEMPO_STEP",
    "MIN_TEMPO_FACTOR",
    "MAX_TEMPO_FACTOR",
    "SHORT_HOLD_S",
    "PAUSED_HINT_EVERY_MS",
]

# ------------------------------------------------------------------ constants

#: Below this confidence an intent is treated as not understood.
MIN_CONFIDENCE: Final = 0.7
#: A "better" below this confidence is never acted on: the question is asked again.
BETTER_MIN_CONFIDENCE: Final = 0.8
#: A "worse" below this confidence is confirmed with a yes/no question.
WORSE_CONFIRM_BELOW: Final = 0.8
#: Silence after a question's speech before it is asked again.
REPROMPT_AFTER_MS: Final = 8_000
#: Reprompts (not understood or silence) before the engine pauses and waits for "resume".
MAX_REPROMPTS: Final = 3
#: Waiting this long after pausing for lack of an answer ends with ``no_response``.
AUTO_PAUSE_GIVE_UP_MS: Final = 120_000
#: Waiting this long after the user said "pause" ends with ``no_response``.
USER_PAUSE_GIVE_UP_MS: Final = 1_800_000
#: While paused, "not understood" (noise) is answered at most this often.
PAUSED_HINT_EVERY_MS: Final = 30_000
#: Gap between the end of the instructions (or "carry on") and the first count.
LEAD_IN_MS: Final = 1_500
#: The second "worse" of a session stops it.
MAX_WORSE: Final = 2
#: An exercise is started at most this often in one session; a rule leading to it
#: again ends the routine instead, so no answer pattern can loop for ever.
MAX_VISITS: Final = 2
#: "slower" multiplies the movement time by this; "faster" divides by it.
TEMPO_STEP: Final = 1.25
MIN_TEMPO_FACTOR: Final = 0.64
MAX_TEMPO_FACTOR: Final = 1.95
#: Holds shorter than this are not counted down ("hold ... and down").
SHORT_HOLD_S: Final = 5

_RED_FLAG = "red_flag"
_COMPLETED = "completed"
_STOPPED_WORSE = "stopped_worse"
_STOPPED_BY_USER = "stopped_by_user"
_NO_RESPONSE = "no_response"

_FINISHING = "finishing"
_STOPPING = "stopping"


def _ex_state(exercise_id: str) -> str:
    return f"ex:{exercise_id}"


def _dest(target: str) -> str:
    if target == DONE:
        return _FINISHING
    if target == STOP:
        return _STOPPING
    return _ex_state(target)


def routine_transitions(routine: Routine) -> list[dict[str, Any]]:
    """The routine's answer rules as ``transitions`` dicts (trigger, source, dest).

    Unguarded: the engine adds "worse twice" and "done enough" guards in front.
    Also handy for drawing the routine.
    """
    rules: list[dict[str, Any]] = []
    ids = routine.exercise_ids
    for index, exercise in enumerate(routine.exercises):
        source = _ex_state(exercise.id)
        for answer in ANSWERS:
            rules.append(
                {"trigger": answer, "source": source, "dest": _dest(exercise.next.target(answer))}
            )
        following = ids[index + 1] if index + 1 < len(ids) else DONE
        rules.append({"trigger": "skip", "source": source, "dest": _dest(following)})
    return rules


# -------------------------------------------------------------- little types


@dataclass
class _Question:
    key: str
    context: str
    prompt: str
    options: str
    accepts: frozenset[str]
    on_answer: Callable[[Heard], None]
    skippable: bool = False
    on_skip: Callable[[], None] | None = None
    on_give_up: Callable[[], None] | None = None


@dataclass(frozen=True)
class _Cue:
    """Say ``text``; the next cue comes ``wait_ms`` later (scaled by tempo if ``tempo``)."""

    text: str
    wait_ms: int
    tempo: bool = False
    hold: bool = False
    completes_rep: bool = False


class _Flow:
    """The model ``transitions`` drives; it only holds the state."""

    state: str
    trigger: Callable[..., bool]


_OPTIONS: Final[dict[str, str]] = {
    "symptom": "better, worse, or the same",
    "yes-no": "yes or no",
    "side": "left or right",
    "number": "a number from zero to ten",
}


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
        if side is not None and side not in ("left", "right"):
            raise RoutineError(f"side must be left or right, not '{side}'")
        self._routines = dict(routines)
        self._clock = clock
        self._routine: Routine | None = routines[routine_id] if routine_id else None
        self._start_at = start_at
        self._side = side
        self._ask_rating = ask_rating if ask_rating is not None else start_at is None
        self._safety_check = safety_check if safety_check is not None else start_at is None
        self._recognizer = recognizer

        self._out: list[Action] = []
        self._utterance = 0
        self._timer_serial = 0
        self._listening: str | None = None
        self._finished = False
        self._outcome: str | None = None
        self._pending_outcome: str | None = None

        # questions
        self._question: _Question | None = None
        self._question_utt: int | None = None
        self._silence_timer: str | None = None
        self._reprompts = 0
        self._last_instruction = ""

        # pause
        self._paused = False
        self._pause_kind = ""
        self._give_up_timer: str | None = None

        # exercise run
        self._exercise: Exercise | None = None
        self._phase = "intake"
        self._sides_todo: list[str | None] = []
        self._current_side: str | None = None
        self._intro_utt: int | None = None
        self._interject_utt: int | None = None
        self._plan: list[_Cue] = []
        self._cue_index = 0
        self._cue_timer: str | None = None
        self._cue_deadline = 0
        self._cue_remaining_ms = 0
        self._interval_start = 0
        self._reps_done = 0
        self._hold_ms_done = 0
        self._tempo_factor = 1.0
        self._extended_ms = 0

        # session record
        self._red_flag_index = 0
        self._ratings: dict[str, int] = {}
        self._visits: dict[str, int] = {}
        self._worse_count = 0
        self._history: list[tuple[str, str | None, str]] = []
        self._nominal: tuple[str, str] | None = None  # (answer, target) being followed
        self._ouch = False
        self._named = False
        self._paused_hint_ms = -PAUSED_HINT_EVERY_MS
        self._done_sides: list[tuple[str | None, int, int]] = []

        self._flow = _Flow()
        self._machine = Machine(
            model=self._flow,
            states=["idle", "intake", "choosing", "rating_before", _FINISHING, _STOPPING, "ended"],
            initial="idle",
            queued=True,
            auto_transitions=True,
        )
        self._machine.on_enter_finishing(self._enter_finishing)
        self._machine.on_enter_stopping(self._enter_stopping)
        if self._routine is not None:
            self._build_routine_states(self._routine)

    # ------------------------------------------------------------ public API

    def start(self) -> list[Action]:
        """Begin the session: the safety notice, or (``start_at``) the first exercise."""
        if self._flow.state != "idle":
            return []
        if self._routine is not None:
            self._log_session_started(self._start_at or self._routine.start)
        if self._start_at is not None:
            self._flow.trigger(f"to_{_ex_state(self._start_at)}")
        elif self._safety_check:
            self._flow.trigger("to_intake")
            self._say(speech.SAFETY_NOTICE)
            self._ask_red_flag()
        else:
            self._after_safety()
        return self._flush()

    def handle(self, event: Event) -> list[Action]:
        """Feed one event; get the actions it causes."""
        if self._finished:
            return []
        if isinstance(event, Heard):
            self._on_heard(event)
        elif isinstance(event, NotUnderstood):
            self._on_not_understood()
        elif isinstance(event, Silence):
            if event.duration_ms >= REPROMPT_AFTER_MS and self._awaiting():
                self._on_silence()
        elif isinstance(event, TimerFired):
            self._on_timer(event.name)
        elif isinstance(event, SpeechFinished):
            self._on_speech_finished(event.utterance_id)
        elif isinstance(event, DeviceLost):
            self._pause("device", f"Sound problem: {event.message}")
        elif isinstance(event, DeviceRestored):
            if self._paused:
                self._say("Sound is working again. Say resume when you're ready.")
        elif isinstance(event, Interrupted):
            self._stop_by_user("interrupted")
        return self._flush()

    @property
    def listening_context(self) -> str | None:
        """What the recognizer should listen for now (``None``: nothing)."""
        return self._listening

    @property
    def awaiting_answer(self) -> bool:
        """A question is open and the engine is not paused."""
        return self._awaiting()

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def outcome(self) -> str | None:
        return self._outcome

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def state(self) -> str:
        """The flow state: ``intake``, ``choosing``, ``ex:<exercise id>``, ..."""
        return self._flow.state

    @property
    def phase(self) -> str:
        """Within the state: ``intake``, ``instructing``, ``counting``, ``asking``, ``closing``."""
        return self._phase

    @property
    def routine(self) -> Routine | None:
        return self._routine

    @property
    def exercise(self) -> str | None:
        """The id of the exercise under way (or just finished), if any."""
        return self._exercise.id if self._exercise is not None else None

    @property
    def side(self) -> str | None:
        return self._side

    @property
    def tempo_factor(self) -> float:
        return self._tempo_factor

    # ----------------------------------------------------------- plumbing

    def _now(self) -> int:
        return self._clock.now_ms()

    def _flush(self) -> list[Action]:
        out, self._out = self._out, []
        return out

    def _say(self, text: str, *, cacheable: bool = False) -> int:
        self._utterance += 1
        self._out.append(Say(text, self._utterance, cacheable))
        return self._utterance

    def _listen(self, context: str | None) -> None:
        if context != self._listening:
            self._listening = context
            self._out.append(Listen(context))

    def _log(self, kind: str, **data: Any) -> None:
        self._out.append(LogEntry(kind, self._now(), data))

    def _start_timer(self, prefix: str, deadline_ms: int) -> str:
        self._timer_serial += 1
        name = f"{prefix}-{self._timer_serial}"
        self._out.append(StartTimer(name, deadline_ms))
        return name

    def _cancel(self, name: str | None) -> None:
        if name is not None:
            self._out.append(CancelTimer(name))

    def _fmt(self, text: str) -> str:
        side = self._current_side or self._side or "painful"
        other = {"left": "right", "right": "left"}.get(side, "other")
        return text.replace("{side}", side).replace("{other_side}", other)

    def _awaiting(self) -> bool:
        return self._question is not None and not self._paused and not self._finished

    # ------------------------------------------------------------ routine

    def _build_routine_states(self, routine: Routine) -> None:
        for exercise in routine.exercises:
            self._machine.add_state(_ex_state(exercise.id), on_enter=self._enter_exercise_state)
        for rule in routine_transitions(routine):
            source, dest, trigger = rule["source"], rule["dest"], rule["trigger"]
            if trigger == "worse" and dest != _STOPPING:
                self._machine.add_transition(
                    "worse", source, _STOPPING, conditions=[self._worse_limit_reached]
                )
            if dest.startswith("ex:"):
                self._machine.add_transition(
                    trigger, source, _FINISHING, conditions=[self._visit_limit(dest[3:])]
                )
            self._machine.add_transition(trigger, source, dest)

    def _worse_limit_reached(self) -> bool:
        return self._worse_count >= MAX_WORSE

    def _visit_limit(self, exercise_id: str) -> Callable[[], bool]:
        return lambda: self._visits.get(exercise_id, 0) >= MAX_VISITS

    def _set_routine(self, routine: Routine) -> None:
        self._routine = routine
        self._build_routine_states(routine)

    def _log_session_started(self, start: str) -> None:
        assert self._routine is not None
        self._log(
            "session_started",
            routine=self._routine.id,
            start_exercise=start,
            engine=self._recognizer,
        )

    # ------------------------------------------------------------- intake

    def _ask_red_flag(self) -> None:
        index = self._red_flag_index
        self._ask(
            _Question(
                key=f"red_flag_{index + 1}",
                context="yes-no",
                prompt=speech.RED_FLAG_QUESTIONS[index],
                options="yes or no",
                accepts=frozenset({"yes", "no"}),
                on_answer=self._on_red_flag_answer,
            )
        )

    def _on_red_flag_answer(self, heard: Heard) -> None:
        if heard.intent == "yes":
            self._end(_RED_FLAG, "a red-flag sign", closing=speech.RED_FLAG_ADVICE)
            return
        self._red_flag_index += 1
        if self._red_flag_index < len(speech.RED_FLAG_QUESTIONS):
            self._ask_red_flag()
        else:
            self._say("Thank you.", cacheable=True)
            self._after_safety()

    def _after_safety(self) -> None:
        if self._routine is None:
            self._flow.trigger("to_choosing")
            self._ask_routine()
        else:
            self._rating_before()

    def _ask_routine(self) -> None:
        ids = list(self._routines)
        names = ", ".join(ids[:-1]) + f", or {ids[-1]}" if len(ids) > 1 else ids[0]
        self._ask(
            _Question(
                key="routine",
                context="routine",
                prompt=f"Which routine would you like: {names}?",
                options=names,
                accepts=frozenset(ids),
                on_answer=self._on_routine_answer,
            )
        )

    def _on_routine_answer(self, heard: Heard) -> None:
        routine = self._routines[heard.intent]
        self._set_routine(routine)
        self._say(f"{routine.title}. {routine.description}")
        self._log_session_started(routine.start)
        self._rating_before()

    def _rating_before(self) -> None:
        assert self._routine is not None
        if not self._ask_rating:
            self._flow.trigger(f"to_{_ex_state(self._routine.start)}")
            return
        self._flow.trigger("to_rating_before")
        self._ask_rating_question("before", self._after_rating_before)

    def _after_rating_before(self) -> None:
        assert self._routine is not None
        self._flow.trigger(f"to_{_ex_state(self._routine.start)}")

    def _ask_rating_question(self, phase: str, then: Callable[[], None]) -> None:
        def answered(heard: Heard) -> None:
            value = int(heard.intent)
            self._ratings[phase] = value
            self._log("rating", phase=phase, value=value)
            self._say(f"{speech.number_words(value).capitalize()}. Thank you.")
            then()

        self._ask(
            _Question(
                key=f"rating_{phase}",
                context="number",
                prompt=speech.RATING_QUESTION,
                options="a number from zero to ten, or skip",
                accepts=frozenset(str(n) for n in range(11)),
                on_answer=answered,
                skippable=True,
                on_skip=then,
                on_give_up=then if phase == "after" else None,
            )
        )

    # ------------------------------------------------------------ questions

    def _ask(self, question: _Question, *, prefix: str = "") -> None:
        self._question = question
        self._reprompts = 0
        self._last_instruction = question.prompt
        self._phase = "asking" if self._phase not in ("intake", "closing") else self._phase
        self._put_question(prefix + question.prompt)

    def _put_question(self, text: str) -> None:
        assert self._question is not None
        self._cancel(self._silence_timer)
        self._silence_timer = None
        self._question_utt = self._say(text)
        self._listen(self._question.context)

    def _close_question(self) -> _Question | None:
        question = self._question
        self._question = None
        self._question_utt = None
        self._cancel(self._silence_timer)
        self._silence_timer = None
        return question

    def _reprompt(self, why: str) -> None:
        question = self._question
        assert question is not None
        if self._reprompts >= MAX_REPROMPTS:
            self._pause("auto", "I'll pause here.")
            return
        self._reprompts += 1
        self._put_question(f"{why} Please say {question.options}.")

    def _on_not_understood(self) -> None:
        if self._awaiting():
            self._reprompt("Sorry, I didn't catch that.")
        elif self._paused:
            # Noise while paused: remind now and then, not at every sound.
            now = self._now()
            if now - self._paused_hint_ms >= PAUSED_HINT_EVERY_MS:
                self._paused_hint_ms = now
                self._say("We're paused. Say resume to carry on, or stop to finish.")

    def _on_silence(self) -> None:
        question = self._question
        assert question is not None
        self._reprompt("I didn't hear an answer." if self._reprompts == 0 else "Are you there?")

    def _answer(self, heard: Heard) -> None:
        question = self._question
        assert question is not None
        intent = heard.intent
        if intent not in question.accepts:
            self._reprompt("Sorry, that's not one of the answers.")
            return
        if question.context == "symptom":
            if intent == "worse" and heard.confidence < WORSE_CONFIRM_BELOW:
                self._confirm_worse()
                return
            if intent == "better" and heard.confidence < BETTER_MIN_CONFIDENCE:
                self._reprompt("I want to be sure I heard you right.")
                return
        if heard.confidence < MIN_CONFIDENCE:
            self._reprompt("I want to be sure I heard you right.")
            return
        self._close_question()
        question.on_answer(heard)

    def _confirm_worse(self) -> None:
        previous = self._close_question()
        assert previous is not None

        def confirmed(heard: Heard) -> None:
            if heard.intent == "yes":
                previous.on_answer(Heard("worse", "worse (confirmed)"))
            else:
                self._ask(previous, prefix="All right. ")

        self._ask(
            _Question(
                key="confirm_worse",
                context="yes-no",
                prompt="I think you said worse. Is the leg pain worse? Please say yes or no.",
                options="yes or no",
                accepts=frozenset({"yes", "no"}),
                on_answer=confirmed,
            )
        )

    # ------------------------------------------------------------- events

    def _on_heard(self, heard: Heard) -> None:
        intent = heard.intent
        if intent == "ouch" or (intent == "worse" and self._phase in ("instructing", "counting")):
            self._on_ouch(heard)
            return
        if intent in _COMMANDS:
            if heard.confidence < MIN_CONFIDENCE:
                self._on_not_understood()
                return
            self._log("command", intent=intent, exercise=self.exercise)
            _COMMANDS[intent](self)
            return
        if self._paused:
            self._say("We're paused. Say resume to carry on, or stop to finish.")
        elif self._question is not None:
            self._answer(heard)
        # Anything else while counting or speaking is ignored: never act on a guess.

    def _on_timer(self, name: str) -> None:
        if name == self._cue_timer:
            self._cue_timer = None
            self._fire_cue()
        elif name == self._silence_timer:
            self._silence_timer = None
            if self._awaiting():
                self._on_silence()
        elif name == self._give_up_timer:
            self._give_up_timer = None
            self._give_up()

    def _on_speech_finished(self, utterance_id: int) -> None:
        if utterance_id == self._question_utt and self._awaiting():
            self._cancel(self._silence_timer)
            self._silence_timer = self._start_timer("silence", self._now() + REPROMPT_AFTER_MS)
        elif utterance_id == self._intro_utt and not self._paused:
            self._intro_utt = None
            self._begin_counting()
        elif utterance_id == self._interject_utt and not self._paused:
            self._interject_utt = None
            self._continue_counting()

    # ------------------------------------------------------------ commands

    def _cmd_pause(self) -> None:
        if self._paused:
            self._say("We're already paused. Say resume when you're ready.")
        elif self._phase == "closing":
            self._say("We're just finishing.")
        else:
            self._pause("user", "Paused.")

    def _cmd_resume(self) -> None:
        if not self._paused:
            self._say("We're not paused.", cacheable=True)
            if self._question is not None:
                self._put_question(self._question.prompt)
            return
        self._resume()

    def _cmd_repeat(self) -> None:
        if self._paused:
            self._say("We're paused. Say resume to carry on.")
        elif self._question is not None:
            self._put_question(self._question.prompt)
        elif self._phase == "instructing":
            self._out.append(StopSpeaking())
            self._introduce_side(again=True)
        elif self._phase == "counting":
            self._interject(self._last_instruction)
        elif self._last_instruction:
            self._say(self._last_instruction)

    def _cmd_skip(self) -> None:
        if self._paused:
            self._say("We're paused. Say resume to carry on, or stop to finish.")
            return
        if self._question is not None:
            question = self._question
            if question.skippable and question.on_skip is not None:
                self._close_question()
                self._say("Skipped.", cacheable=True)
                question.on_skip()
            else:
                why = "I need this answer before we go on."
                if question.context == "symptom":
                    why = "I need to know how the leg is before choosing the next exercise."
                self._put_question(f"{why} {question.prompt}")
            return
        if self._phase in ("instructing", "counting") and self._exercise is not None:
            exercise = self._exercise
            if self._phase == "instructing":
                self._out.append(StopSpeaking())
            self._stop_exercise_activity()
            self._log_finished("skipped")
            self._say(f"Skipping {exercise.name}.")
            self._nominal = None
            self._flow.trigger("skip")

    def _cmd_stop(self) -> None:
        self._stop_by_user("the user said stop")

    def _cmd_slower(self) -> None:
        self._change_tempo(TEMPO_STEP)

    def _cmd_faster(self) -> None:
        self._change_tempo(1 / TEMPO_STEP)

    def _cmd_help(self) -> None:
        if self._paused:
            text = "We're paused. Say resume to carry on, or stop to finish the session."
        elif self._question is not None:
            text = f"Please say {self._question.options}. {speech.COMMANDS_HELP}"
        else:
            text = speech.COMMANDS_HELP
        if self._phase == "counting":
            self._interject(text)
            return
        self._say(text)
        if self._question is not None:
            self._put_question(self._question.prompt)

    def _change_tempo(self, step: float) -> None:
        factor = self._tempo_factor * step
        if factor > MAX_TEMPO_FACTOR + 1e-9:
            self._say("That's as slow as I count.")
        elif factor < MIN_TEMPO_FACTOR - 1e-9:
            self._say("That's as fast as I count.")
        else:
            self._tempo_factor = factor
            self._say("Slower." if step > 1 else "Faster.", cacheable=True)
        if self._question is not None and not self._paused:
            self._put_question(self._question.prompt)

    def _on_ouch(self, heard: Heard) -> None:
        self._log("command", intent="ouch", exercise=self.exercise)
        if self._phase in ("instructing", "counting") and self._exercise is not None:
            self._out.append(StopSpeaking())
            self._stop_exercise_activity()
            if self._paused:
                self._end_pause()
            self._ouch = True
            self._say("Stop there and relax.", cacheable=True)
            self._ask_symptom()
        elif self._question is not None and self._question.context == "symptom":
            if self._paused:
                self._end_pause()
            self._put_question("If it hurts, stop and rest. " + self._question.prompt)
        else:
            self._say("If something hurts, stop moving and rest in a comfortable position.")
            if self._question is not None and not self._paused:
                self._put_question(self._question.prompt)

    # --------------------------------------------------------------- pause

    def _pause(self, kind: str, text: str) -> None:
        if self._finished:
            return
        if self._paused:
            self._say(text)
            return
        self._paused = True
        self._pause_kind = kind
        self._cancel(self._silence_timer)
        self._silence_timer = None
        if self._phase == "counting":
            self._freeze_counting()
            self._interject_utt = None
        elif self._phase == "instructing":
            self._out.append(StopSpeaking())
            self._intro_utt = None
        self._say(f"{text} Say resume when you're ready.")
        self._listen("command")
        wait = USER_PAUSE_GIVE_UP_MS if kind == "user" else AUTO_PAUSE_GIVE_UP_MS
        self._give_up_timer = self._start_timer("give-up", self._now() + wait)

    def _end_pause(self) -> None:
        self._paused = False
        self._pause_kind = ""
        self._cancel(self._give_up_timer)
        self._give_up_timer = None

    def _resume(self) -> None:
        self._end_pause()
        if self._question is not None:
            self._reprompts = 0
            self._put_question("Let's carry on. " + self._question.prompt)
        elif self._phase == "instructing":
            self._introduce_side(again=True)
        elif self._phase == "counting":
            self._say("Carrying on.", cacheable=True)
            self._listen("command")
            self._continue_counting()
        else:
            self._say("Let's carry on.", cacheable=True)

    def _give_up(self) -> None:
        if self._pending_outcome is not None:
            question = self._close_question()
            if question is not None and question.on_give_up is not None:
                self._end_pause()
                question.on_give_up()
                return
        self._end(
            _NO_RESPONSE,
            "no answer",
            closing="I haven't heard from you for a while, so I'll end the session here. "
            "Take care.",
        )

    # ------------------------------------------------------------ exercises

    def _enter_exercise_state(self) -> None:
        assert self._routine is not None
        exercise = self._routine.exercise(self._flow.state[3:])
        self._exercise = exercise
        self._visits[exercise.id] = self._visits.get(exercise.id, 0) + 1
        self._extended_ms = 0
        self._ouch = False
        self._named = False
        self._done_sides = []
        self._say_nominal_response()
        if exercise.one_sided and self._side is None:
            self._phase = "asking"
            self._say(f"Next: {exercise.name}. This one is done on the painful side.")
            self._named = True
            self._ask_side()
            return
        self._plan_sides(exercise)
        self._next_side(first=True)

    def _ask_side(self) -> None:
        def answered(heard: Heard) -> None:
            self._side = heard.intent
            assert self._exercise is not None
            self._plan_sides(self._exercise)
            self._next_side(first=True)

        def both(heard: Heard) -> None:
            if heard.intent == "both":
                self._ask(question, prefix="Then pick the side where it is worse. ")
            else:
                answered(heard)

        question = _Question(
            key="side",
            context="side",
            prompt=speech.SIDE_QUESTION,
            options="left or right",
            accepts=frozenset({"left", "right", "both"}),
            on_answer=both,
        )
        self._ask(question)

    def _plan_sides(self, exercise: Exercise) -> None:
        if exercise.sides == "none":
            self._sides_todo = [None]
        elif exercise.sides == "affected":
            self._sides_todo = [self._side]
        else:
            first = self._side or "left"
            self._sides_todo = [first, "right" if first == "left" else "left"]

    def _next_side(self, *, first: bool) -> None:
        exercise = self._exercise
        assert exercise is not None
        self._current_side = self._sides_todo.pop(0)
        self._reps_done = 0
        self._hold_ms_done = 0
        self._log("exercise_started", exercise=exercise.id, side=self._current_side)
        self._introduce_side(again=False, first=first)

    def _introduce_side(self, *, again: bool, first: bool = True) -> None:
        exercise = self._exercise
        assert exercise is not None
        self._phase = "instructing"
        self._listen("command")
        steps = [self._fmt(step) for step in exercise.steps]
        self._last_instruction = " ".join(steps)
        if again:
            lines = ["Again, from the start.", *steps]
        elif first:
            lines = [] if self._named else [f"Next: {exercise.name}."]
            lines += [self._fmt(caution) for caution in exercise.cautions]
            lines += steps
        else:
            changed = [self._fmt(step) for step in exercise.steps if "{side}" in step]
            lines = [f"Now the {self._current_side} side.", *(changed or steps)]
        for line in lines:
            self._intro_utt = self._say(line)

    def _begin_counting(self) -> None:
        exercise = self._exercise
        assert exercise is not None
        self._phase = "counting"
        self._plan = self._build_plan(exercise)
        self._cue_index = 0
        self._schedule_cue(self._now() + LEAD_IN_MS)

    def _build_plan(self, exercise: Exercise) -> list[_Cue]:
        half = int(exercise.tempo_s * 500)
        plan: list[_Cue] = []
        if exercise.reps is None:
            assert exercise.hold_s is not None
            plan += self._hold_cues(exercise.hold_cue, exercise.hold_s, exercise.watch)
            plan.append(_Cue(exercise.release_cue, 0))
            return plan
        for set_index in range(exercise.sets):
            for rep in range(1, exercise.reps + 1):
                count = speech.number_words(rep).capitalize()
                cue_words = (
                    exercise.rep_cues[(rep - 1) % len(exercise.rep_cues)]
                    if (exercise.rep_cues)
                    else ""
                )
                text = f"{count}, {cue_words}." if cue_words else f"{count}."
                if exercise.hold_s is None:
                    plan.append(_Cue(text, half * 2, tempo=True, completes_rep=True))
                    continue
                plan.append(_Cue(text, half, tempo=True))
                watch = exercise.watch if rep == 1 and set_index == 0 else None
                plan += self._hold_cues(exercise.hold_cue, exercise.hold_s, watch)
                plan.append(_Cue(exercise.release_cue, half, tempo=True, completes_rep=True))
            if set_index + 1 < exercise.sets:
                plan.append(_Cue("Rest for a moment.", exercise.rest_s * 1000))
        plan.append(_Cue(f"That's {speech.number_words(exercise.reps)}. Well done.", 0))
        return plan

    @staticmethod
    def _hold_cues(hold_cue: str, hold_s: int, watch: str | None) -> list[_Cue]:
        """Cues for one hold of ``hold_s``: start, milestones, countdown (``hold=True``)."""
        if hold_s < SHORT_HOLD_S:
            return [_Cue(hold_cue, hold_s * 1000, hold=True)]
        marks = [m for m in (30, 10) if hold_s >= m * 2]
        marks += [n for n in range(5, 0, -1) if n < hold_s] if hold_s >= 8 else [3, 2, 1]
        start = f"{hold_cue.rstrip('.')}, {speech.number_words(hold_s)} seconds."
        if watch:
            start += f" {watch}"
        cues: list[_Cue] = []
        text, at = start, hold_s
        for mark in marks:
            cues.append(_Cue(text, (at - mark) * 1000, hold=True))
            if mark == 30:
                text = "Thirty seconds to go."
            elif mark == 10 and hold_s >= 20:
                text = "Ten seconds."
            else:
                text = speech.number_words(mark).capitalize() + "."
            at = mark
        cues.append(_Cue(text, at * 1000, hold=True))
        return cues

    def _schedule_cue(self, deadline_ms: int) -> None:
        self._cue_deadline = deadline_ms
        self._cue_timer = self._start_timer("cue", deadline_ms)

    def _fire_cue(self) -> None:
        if self._phase != "counting":
            return
        now = self._cue_deadline
        self._account_interval(now)
        cue = self._plan[self._cue_index]
        self._cue_index += 1
        self._say(cue.text, cacheable=True)
        self._interval_start = now
        if self._cue_index >= len(self._plan):
            self._side_done()
            return
        wait = cue.wait_ms * self._tempo_factor if cue.tempo else cue.wait_ms
        self._schedule_cue(now + round(wait))

    def _account_interval(self, until_ms: int) -> None:
        """Credit the interval since the last cue (hold time, a finished repetition)."""
        if self._cue_index == 0:
            return
        previous = self._plan[self._cue_index - 1]
        if previous.hold:
            self._hold_ms_done += max(0, until_ms - self._interval_start)
        if previous.completes_rep:
            self._reps_done += 1

    def _freeze_counting(self) -> None:
        """Stop the count but remember where it was (pause, repeat, help)."""
        if self._cue_timer is not None:
            self._cancel(self._cue_timer)
            self._cue_timer = None
            now = self._now()
            self._cue_remaining_ms = max(0, self._cue_deadline - now)
            if self._cue_index > 0 and self._plan[self._cue_index - 1].hold:
                self._hold_ms_done += max(0, now - self._interval_start)
                self._interval_start = now
        elif self._cue_index == 0:
            self._cue_remaining_ms = LEAD_IN_MS

    def _continue_counting(self) -> None:
        if self._phase != "counting":
            return
        now = self._now()
        self._interval_start = now
        self._schedule_cue(now + max(self._cue_remaining_ms, LEAD_IN_MS))

    def _interject(self, text: str) -> None:
        """Say something during the count: the count waits until it has been said."""
        self._freeze_counting()
        self._interject_utt = self._say(text)

    def _stop_exercise_activity(self) -> None:
        """Cancel counting (crediting what was done) and any pending instructions."""
        if self._phase == "counting" and self._cue_timer is not None:
            self._cancel(self._cue_timer)
            self._cue_timer = None
            if self._cue_index > 0 and self._plan[self._cue_index - 1].hold:
                self._hold_ms_done += max(0, self._now() - self._interval_start)
        self._intro_utt = None
        self._interject_utt = None
        self._sides_todo = []
        self._phase = "stopped"

    def _side_done(self) -> None:
        self._phase = "between"
        if self._sides_todo:
            self._done_sides.append((self._current_side, self._reps_done, self._hold_ms_done))
            self._next_side(first=False)
        else:
            self._ask_symptom()

    def _ask_symptom(self) -> None:
        self._phase = "asking"
        self._ask(
            _Question(
                key="symptom",
                context="symptom",
                prompt=speech.SYMPTOM_QUESTION,
                options=_OPTIONS["symptom"],
                accepts=frozenset(ANSWERS),
                on_answer=self._on_symptom_answer,
            )
        )

    def _on_symptom_answer(self, heard: Heard) -> None:
        exercise = self._exercise
        assert exercise is not None
        answer = heard.intent
        if answer == "better" and self._can_extend(exercise) and not self._ouch:
            self._extend_hold(exercise)
            return
        self._log_finished(answer)
        if answer == "worse":
            self._worse_count += 1
        self._nominal = (answer, exercise.next.target(answer))
        self._flow.trigger(answer)

    def _can_extend(self, exercise: Exercise) -> bool:
        top = exercise.hold_max_s
        if not exercise.extend_while_better or top is None or exercise.hold_s is None:
            return False
        return exercise.hold_s * 1000 + self._extended_ms < top * 1000

    def _extend_hold(self, exercise: Exercise) -> None:
        assert exercise.hold_s is not None and exercise.hold_max_s is not None
        left_ms = exercise.hold_max_s * 1000 - exercise.hold_s * 1000 - self._extended_ms
        extra_s = min(exercise.hold_s, left_ms // 1000)
        self._extended_ms += extra_s * 1000
        self._say(
            f"Good. While it keeps easing, stay there a little longer: another "
            f"{speech.number_words(extra_s)} seconds."
        )
        self._phase = "counting"
        self._listen("command")
        self._plan = [*self._hold_cues(exercise.hold_cue, extra_s, None)]
        self._plan.append(_Cue(exercise.release_cue, 0))
        self._cue_index = 0
        self._schedule_cue(self._now() + LEAD_IN_MS)

    def _log_finished(self, answer: str) -> None:
        """One ``exercise_finished`` per side done (each side was logged as started)."""
        exercise = self._exercise
        assert exercise is not None
        sides = [*self._done_sides, (self._current_side, self._reps_done, self._hold_ms_done)]
        self._done_sides = []
        for side, reps_done, hold_ms in sides:
            self._log(
                "exercise_finished",
                exercise=exercise.id,
                side=side,
                reps_done=reps_done,
                hold_s_done=round(hold_ms / 1000, 1),
                answer=answer,
            )
        self._history.append((exercise.id, self._current_side, answer))

    def _say_nominal_response(self) -> None:
        """Say the seed's words for the answer, if we went where the rule said."""
        if self._nominal is None or self._exercise is None:
            return
        answer, target = self._nominal
        self._nominal = None
        if _dest(target) != self._flow.state:
            return
        previous = self._previous_exercise()
        if previous is not None:
            text = previous.responses.for_answer(answer)
            if text:
                self._say(text)

    def _previous_exercise(self) -> Exercise | None:
        if not self._history or self._routine is None:
            return None
        return self._routine.exercise(self._history[-1][0])

    # ------------------------------------------------------------- endings

    def _enter_finishing(self) -> None:
        nominal = self._nominal
        self._say_nominal_response()
        if nominal is not None and nominal[1] != DONE:
            name = self._routine.exercise(nominal[1]).name if self._routine else nominal[1]
            self._say(f"We've done {name} as often as is useful for one session.")
        self._phase = "closing"
        self._pending_outcome = _COMPLETED
        self._say("That's the end of the routine.")
        self._closing_rating()

    def _enter_stopping(self) -> None:
        nominal = self._nominal
        self._nominal = None
        previous = self._previous_exercise()
        self._phase = "closing"
        self._pending_outcome = _STOPPED_WORSE
        if nominal is not None and nominal[1] != STOP:
            self._say(speech.WORSE_TWICE)
        elif previous is not None and previous.stop_advice:
            self._say(previous.stop_advice)
        self._say(speech.WORSE_GENERAL_ADVICE)
        self._closing_rating()

    def _closing_rating(self) -> None:
        if self._ask_rating:
            self._ask_rating_question("after", self._finish_with_pending)
        else:
            self._finish_with_pending()

    def _finish_with_pending(self) -> None:
        outcome = self._pending_outcome or _COMPLETED
        reason = "routine finished" if outcome == _COMPLETED else "leg pain got worse"
        self._end(outcome, reason)

    def _stop_by_user(self, reason: str) -> None:
        if self._pending_outcome is not None:
            # The outcome was decided before the closing rating (the routine finished or
            # the pain got worse): "stop" now only skips the rating and never hides it.
            self._finish_with_pending()
            return
        if self._phase in ("instructing", "counting") and self._exercise is not None:
            self._out.append(StopSpeaking())
            self._stop_exercise_activity()
            self._log_finished("stopped")
        self._end(_STOPPED_BY_USER, reason, closing="Stopping now.")

    def _summary(self, outcome: str) -> str:
        parts: list[str] = []
        done: list[str] = []
        if self._routine is not None:
            for exercise_id, _side, answer in self._history:
                name = self._routine.exercise(exercise_id).name
                if answer != "skipped" and name not in done:
                    done.append(name)
        if done:
            listed = ", ".join(done[:-1]) + f" and {done[-1]}" if len(done) > 1 else done[0]
            count = speech.number_words(len(done))
            noun = "exercise" if len(done) == 1 else "exercises"
            parts.append(f"Today you did {count} {noun}: {listed}.")
        before, after = self._ratings.get("before"), self._ratings.get("after")
        if before is not None and after is not None:
            b, a = speech.number_words(before), speech.number_words(after)
            parts.append(f"Your leg pain went from {b} to {a} out of ten.")
        closing = {
            _COMPLETED: "Well done. Take care, and go gently for the rest of the day.",
            _STOPPED_WORSE: "We stopped because the pain got worse. Take care.",
            _STOPPED_BY_USER: "Take care.",
        }.get(outcome)
        if closing:
            parts.append(closing)
        return " ".join(parts)

    def _end(self, outcome: str, reason: str, *, closing: str = "") -> None:
        if self._finished:
            return
        for name in (self._silence_timer, self._cue_timer, self._give_up_timer):
            self._cancel(name)
        self._silence_timer = self._cue_timer = self._give_up_timer = None
        self._question = None
        self._question_utt = None
        self._paused = False
        self._phase = "ended"
        if closing:
            self._say(closing)
        if outcome not in (_RED_FLAG, _NO_RESPONSE):
            summary = self._summary(outcome)
            if summary:
                self._say(summary)
        self._listen(None)
        self._log("session_ended", outcome=outcome, reason=reason)
        self._outcome = outcome
        self._finished = True
        self._flow.trigger("to_ended")
        self._out.append(End(outcome, reason))


_COMMANDS: Final[dict[str, Callable[[Engine], None]]] = {
    "pause": Engine._cmd_pause,
    "resume": Engine._cmd_resume,
    "repeat": Engine._cmd_repeat,
    "skip": Engine._cmd_skip,
    "stop": Engine._cmd_stop,
    "slower": Engine._cmd_slower,
    "faster": Engine._cmd_faster,
    "help": Engine._cmd_help,
}
