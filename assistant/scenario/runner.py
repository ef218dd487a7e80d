"""Play a scenario through a real recognizer and the real engine on a virtual clock.

The engine is driven by :class:`assistant.dialog.driver.Driver` (the same driver
the engine's own tests use): it "speaks" each ``Say`` for a time that grows with
its length, delivers ``SpeechFinished`` and runs timers on a
:class:`~assistant.clock.VirtualClock`.  This module plays the user:

* when the engine waits for an answer (a question is open, or it is paused) and
  its speech is done, the next turn is given if it fits, else the ``defaults``
  reply for the context, else the run fails with "unexpected question";
* a ``during`` turn is spoken right after the coach finishes saying its
  ``after`` text while that exercise runs;
* a reply is audio streamed in 20 ms chunks through the recognizer's ``accept``
  while the virtual clock moves with it, so the endpointer decides when the
  utterance ended and timers due meanwhile fire in order; with ``engine: text``
  the ``say:`` text goes through the intent matcher instead (feeding a reply,
text or audio, is in :mod:`.feed`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, NoReturn

from ..clock import VirtualClock
from ..errors import ScenarioError
from ..events import Context, Heard, LogKind, NotUnderstood
from .audio import Reply, ReplyAudio
from .checks import check_expectations
from .feed import AUDIO_ENGINE_FOR_WAV, DecodeCache, hear_audio, hear_text, hears_audio
from .loader import LoadedScenario, resolve_wav, routine_catalog
from .model import Turn
from .result import Failure, ScenarioResult, TranscriptEntry

__all__ = ["Runner", "DecodeCache", "run_scenario", "DEFAULT_ENGINE", "AUDIO_ENGINE_FOR_WAV"]

DEFAULT_ENGINE = "pocketsphinx"


class Runner:
    """Runs scenarios; keeps routines, recognizers and synthesised audio between runs."""

    def __init__(
        self,
        engine: str | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        cache: bool = True,
    ) -> None:
        self.engine_override = engine
        self.options = dict(options or {})
        self.audio = ReplyAudio()
        self.decode_cache = DecodeCache(enabled=cache)
        self._recognizers: dict[str, Any] = {}
        self._routines: Any = None

    @property
    def routines(self) -> Any:
        if self._routines is None:
            from ..dialog.routine import load_routines

            self._routines = load_routines()
        return self._routines

    @property
    def catalog(self) -> dict[str, tuple[str, ...]]:
        return routine_catalog()

    def recognizer(self, engine: str) -> Any:
        if engine not in self._recognizers:
            from ..asr.registry import create_recognizer

            self._recognizers[engine] = create_recognizer(engine, self.options)
        return self._recognizers[engine]

    def engine_for(self, loaded: LoadedScenario) -> str:
        return self.engine_override or loaded.scenario.engine or DEFAULT_ENGINE

    def run(self, loaded: LoadedScenario) -> ScenarioResult:
        """Run one scenario.  A recognizer that cannot start raises before the session."""
        started = time.perf_counter()
        engine = self.engine_for(loaded)
        if hears_audio(engine):
            self.recognizer(engine)
        elif any(turn.wav is not None for turn in loaded.scenario.turns):
            self.recognizer(AUDIO_ENGINE_FOR_WAV)
        result = ScenarioSession(self, loaded, engine).run()
        result.wall_s = time.perf_counter() - started
        return result


def run_scenario(loaded: LoadedScenario, engine: str | None = None) -> ScenarioResult:
    return Runner(engine).run(loaded)


class _Stop(Exception):
    """The run cannot go on (unexpected question, time limit); the failure is recorded."""


class ScenarioSession:
    def __init__(self, runner: Runner, loaded: LoadedScenario, engine_name: str) -> None:
        from ..dialog.driver import Driver
        from ..dialog.engine import Engine

        self.runner = runner
        self.loaded = loaded
        self.scenario = loaded.scenario
        self.engine_name = engine_name
        self.clock = VirtualClock()
        self.engine = Engine(
            runner.routines,
            self.clock,
            routine_id=self.scenario.routine,
            start_at=self.scenario.start,
            side=self.scenario.side,
            recognizer=engine_name,
        )
        self.driver = Driver(self.engine, self.clock)
        self.result = ScenarioResult(
            name=loaded.name,
            source=loaded.source,
            engine=engine_name,
            # A known issue belongs to the engine the file is written for.
            known_issue=(
                self.scenario.known_issue
                if engine_name == (self.scenario.engine or DEFAULT_ENGINE)
                else None
            ),
        )
        self.started_at: list[int] = []
        self.current_exercise: str | None = None
        self.last_started: tuple[str, Any] | None = None
        self.turn = 0
        self.said_since_reply: list[str] = []
        self.synced_said = 0
        self.synced_logs = 0
        self.finished_said = 0
        self.cue_heard = False  # the next ``during`` turn's ``after`` text has been said
        self.hearing = False  # a reply is being fed: ``during`` turns wait for it
        self.limit_ms = int(self.scenario.max_minutes * 60_000)

    # ---------------------------------------------------------------- loop

    def run(self) -> ScenarioResult:
        try:
            self.driver.start()
            self.sync()
            while not self.engine.finished:
                self.check_time()
                if self.waiting() and self.answer():
                    continue
                if not self.driver.step():
                    self.stop("the assistant stopped: nothing is said, timed or asked")
                self.sync()
        except _Stop:
            pass
        self.finish()
        return self.result

    def finish(self) -> None:
        result = self.result
        if self.driver.end is not None:
            result.outcome = self.driver.end.outcome
        turns = self.scenario.turns
        if self.turn < len(turns) and self.engine.finished:
            left = ", ".join(turn.describe() for turn in turns[self.turn :])
            self.fail(
                f"the session ended before turn {self.turn + 1} of {len(turns)} was given "
                f"(not given: {left})"
            )
        result.virtual_ms = self.clock.now_ms()
        result.failures += check_expectations(
            self.scenario.expect,
            exercises=result.exercises,
            exercise_started_at=self.started_at,
            outcome=result.outcome,
            heard=result.heard,
            transcript=result.transcript,
        )

    def check_time(self) -> None:
        if self.clock.now_ms() > self.limit_ms:
            self.stop(
                f"the session was still running after max_minutes "
                f"({self.scenario.max_minutes:g} min of virtual time)"
            )

    def fail(self, message: str) -> None:
        self.result.failures.append(Failure(message, len(self.result.transcript) - 1))

    def stop(self, message: str) -> NoReturn:
        self.fail(message)
        raise _Stop

    def waiting(self) -> bool:
        """The engine has asked something (or is paused) and has finished talking."""
        engine = self.engine
        if not (engine.awaiting_answer or engine.paused) or engine.finished:
            return False
        return not self.driver.speech_pending()

    # ------------------------------------------------------- transcript

    def sync(self) -> None:
        """Copy what the coach said and logged since last time; speak due ``during`` turns."""
        driver = self.driver
        for spoken in driver.said[self.synced_said :]:
            self.result.transcript.append(TranscriptEntry(spoken.at_ms, "coach", spoken.text))
            self.said_since_reply.append(spoken.text)
        self.synced_said = len(driver.said)
        for entry in driver.logs[self.synced_logs :]:
            if entry.kind == LogKind.EXERCISE_STARTED:
                exercise = str(entry.data.get("exercise"))
                side = entry.data.get("side")
                # An exercise done on each side is one exercise: count its first side only.
                other_side = (
                    self.last_started is not None
                    and self.last_started[0] == exercise
                    and side is not None
                    and self.last_started[1] not in (None, side)
                )
                if not other_side:
                    self.result.exercises.append(exercise)
                    self.started_at.append(len(self.result.transcript) - 1)
                self.last_started = (exercise, side)
                self.current_exercise = exercise
            elif entry.kind == LogKind.EXERCISE_FINISHED:
                self.current_exercise = None
                answer = (str(entry.data.get("exercise")), str(entry.data.get("answer")))
                if not self.result.answers or self.result.answers[-1] != answer:
                    self.result.answers.append(answer)
        self.synced_logs = len(driver.logs)
        self.interject_if_due()

    def interject_if_due(self) -> None:
        """Speak the next ``during`` turn once its ``after`` text was said and the coach is quiet.

        The microphone is muted while the coach talks (no self-hearing), so the
        user speaks in the first pause after the ``after`` utterance ends: between
        two counts, or when the instructions are over.
        """
        if self.hearing or self.engine.finished:
            return
        now = self.clock.now_ms()
        said = self.driver.said
        while self.finished_said < len(said):
            spoken = said[self.finished_said]
            if spoken.at_ms + self.driver.speech_time(spoken.text) > now:
                break  # still being said
            self.finished_said += 1
            turn = self.next_turn()
            if (
                turn is not None
                and turn.during is not None
                and turn.during == self.current_exercise
                and (turn.after is None or turn.after.lower() in spoken.text.lower())
            ):
                self.cue_heard = True
        turn = self.next_turn()
        if not self.cue_heard or turn is None or turn.during is None:
            return
        if turn.during != self.current_exercise:
            self.cue_heard = False  # the exercise ended before the coach fell quiet
            return
        if self.driver.speech_pending():
            return  # wait for the coach to stop talking
        self.cue_heard = False
        self.turn += 1
        self.give(self.reply_for(turn), self.engine.listening_context or Context.COMMAND)

    # ------------------------------------------------------------- replies

    def next_turn(self) -> Turn | None:
        turns = self.scenario.turns
        return turns[self.turn] if self.turn < len(turns) else None

    def fits(self, turn: Turn, context: str) -> bool:
        if turn.during is not None:
            return False
        if turn.context is not None and turn.context != context:
            return False
        if turn.after is None:
            return True
        needle = turn.after.lower()
        return any(needle in text.lower() for text in self.said_since_reply)

    def reply_for(self, turn: Turn) -> Reply:
        scenario = self.scenario
        if turn.say is not None:
            return Reply(
                text=turn.say, voice=turn.voice or scenario.voice, rate_wpm=scenario.rate_wpm
            )
        if turn.wav is not None:
            path = resolve_wav(turn.wav, self.loaded.base_dir)
            if path is None:  # checked by the loader; the file went away since
                raise ScenarioError(f"{self.loaded.source}: missing recording '{turn.wav}'")
            words = self.runner.audio.transcript_of(path)
            label = f"{words} [{turn.wav}]" if words else f"[{turn.wav}]"
            return Reply(wav=path, label=label)
        return Reply(silence_ms=int((turn.silence_s or 0) * 1000))

    def answer(self) -> bool:
        """The engine waits for the user: give a reply.  False: let the silence go on."""
        context = self.engine.listening_context
        if context is None:
            self.stop("the assistant waits for an answer but listens for nothing")
        turn = self.next_turn()
        if turn is not None and self.fits(turn, context):
            self.turn += 1
            self.give(self.reply_for(turn), context)
            return True
        if context in self.scenario.defaults:
            reply = Reply(
                text=self.scenario.defaults[context],
                voice=self.scenario.voice,
                rate_wpm=self.scenario.rate_wpm,
            )
            self.give(reply, context)
            return True
        if turn is None:
            return False  # after the last turn: silence, the engine's timers run
        prompt = next(
            (text for text in reversed(self.said_since_reply) if text.strip()), "(nothing said)"
        )
        waits = "is paused" if self.engine.paused else "asks"
        conditions = [
            f"context '{turn.context}'" if turn.context else "",
            f'after "{turn.after}"' if turn.after else "",
            f"during {turn.during}" if turn.during else "",
        ]
        wanted = ", ".join(c for c in conditions if c) or "no condition"
        self.stop(
            f"unexpected question: the assistant {waits} in context '{context}' "
            f'("{prompt}"), but the next turn ({turn.describe()}) wants {wanted} and '
            f"defaults have no '{context}'"
        )

    # ------------------------------------------------------------- hearing

    def give(self, reply: Reply, context: str) -> None:
        """The user replies: the reply's audio (or text) reaches the engine in time."""
        self.said_since_reply = []
        index = len(self.result.transcript)
        start = self.clock.now_ms()
        self.result.transcript.append(
            TranscriptEntry(start, "user", reply.describe(), None, context)
        )
        use_text = not hears_audio(self.engine_name) and reply.wav is None
        self.hearing = True
        try:
            results = (
                hear_text(self, reply, context) if use_text else hear_audio(self, reply, context)
            )
        finally:
            self.hearing = False
        intents = [_intent_of(r) for r in results] or ["silence"]
        self.result.heard.extend(intents)
        shown = ", ".join(_show(r) for r in results) or "nothing heard"
        self.result.transcript[index] = TranscriptEntry(
            start, "user", reply.describe(), ", ".join(intents), context, shown
        )

    def deliver(self, result: Heard | NotUnderstood) -> None:
        self.driver.send(result)
        self.sync()


def _intent_of(result: Heard | NotUnderstood) -> str:
    return result.intent if isinstance(result, Heard) else "not_understood"


def _show(result: Heard | NotUnderstood) -> str:
    if isinstance(result, Heard):
        return f"{result.intent} ('{result.text}', {result.confidence:.2f})"
    return f"not understood ('{result.text}')" if result.text else "not understood"
