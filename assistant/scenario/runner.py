"""Play a scenario through the recognizer and the real engine on a virtual clock."""

from __future__ import annotations

import heapq
import importlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ..clock import VirtualClock
from ..errors import ScenarioError
from ..events import (
    CancelTimer,
    End,
    Event,
    Heard,
    Listen,
    LogEntry,
    NotUnderstood,
    Say,
    Silence,
    SpeechFinished,
    StartTimer,
    TimerFired,
)
from .checks import check_expectations
from .listen import REACTION_MS, AudioEars, Ears, Reply, TextEars
from .loader import LoadedScenario, resolve_wav, routine_catalog
from .model import Turn
from .result import Failure, ScenarioResult, TranscriptEntry

__all__ = ["Runner", "run_scenario", "DEFAULT_ENGINE", "SILENCE_AFTER_LAST_TURN_MS"]

DEFAULT_ENGINE = "pocketsphinx"
#: After the last turn the user says nothing: each wait is this long.
SILENCE_AFTER_LAST_TURN_MS = 10_000
#: Coach speech takes this long per word (about 150 words a minute), plus a pause.
_MS_PER_WORD = 400
_SPEECH_PAD_MS = 300


def speech_ms(text: str) -> int:
    return len(text.split()) * _MS_PER_WORD + _SPEECH_PAD_MS


class Runner:
    """Runs scenarios; keeps recognizers (and their audio caches) between runs."""

    def __init__(self, engine: str | None = None, vosk_model: Path | None = None) -> None:
        self.engine_override = engine
        self.vosk_model = vosk_model
        self._ears: dict[str, Ears] = {}
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

    def ears(self, engine: str) -> Ears:
        if engine not in self._ears:
            if engine == "text":
                audio = self._ears.get(DEFAULT_ENGINE)
                self._ears[engine] = TextEars(audio if isinstance(audio, AudioEars) else None)
            else:
                self._ears[engine] = AudioEars(engine, self.vosk_model)
        return self._ears[engine]

    def run(self, loaded: LoadedScenario) -> ScenarioResult:
        engine = self.engine_override or loaded.scenario.engine or DEFAULT_ENGINE
        started = time.perf_counter()
        session = _Session(loaded, self.ears(engine), self.routines)
        result = session.run()
        result.wall_s = time.perf_counter() - started
        return result


def run_scenario(loaded: LoadedScenario, engine: str | None = None) -> ScenarioResult:
    return Runner(engine).run(loaded)


class _Stop(Exception):
    """The run cannot go on (unexpected question, time limit); the failure is recorded."""


@dataclass(order=True)
class _Due:
    time_ms: int
    seq: int
    event: Any = field(compare=False)
    timer: str | None = field(default=None, compare=False)
    text: str | None = field(default=None, compare=False)


class _Session:
    def __init__(self, loaded: LoadedScenario, ears: Ears, routines: Any) -> None:
        engine_module = importlib.import_module("assistant.dialog.engine")
        self.loaded = loaded
        self.scenario = loaded.scenario
        self.ears = ears
        self.clock = VirtualClock()
        self.engine = engine_module.Engine(
            routines,
            self.clock,
            routine_id=self.scenario.routine,
            start_at=self.scenario.start,
            side=self.scenario.side,
        )
        self.result = ScenarioResult(
            name=loaded.name, source=loaded.source, engine=getattr(ears, "name", "?")
        )
        self.started_at: list[int] = []
        self.current_exercise: str | None = None
        self.listening: str | None = None
        self.queue: list[_Due] = []
        self.timers: dict[str, int] = {}  # name -> seq of the live timer
        self.seq = 0
        self.turn = 0
        self.said_since_reply: list[str] = []
        self.speaking_until = 0
        self.limit_ms = int(self.scenario.max_minutes * 60_000)

    # ---------------------------------------------------------------- loop

    def run(self) -> ScenarioResult:
        try:
            self.apply(self.engine.start())
            while self.result.outcome is None:
                if self.clock.now_ms() > self.limit_ms:
                    self.stop(
                        f"the session ran past max_minutes ({self.scenario.max_minutes:g} min) "
                        "without ending"
                    )
                if self.queue:
                    self.step()
                else:
                    self.answer()
        except _Stop:
            pass
        if self.turn < len(self.scenario.turns) and self.result.outcome is not None:
            left = self.scenario.turns[self.turn :]
            self.fail(
                f"the session ended before turn {self.turn + 1} of {len(self.scenario.turns)} "
                f"was given ({', '.join(t.describe() for t in left)})"
            )
        self.result.virtual_ms = self.clock.now_ms()
        self.result.failures[:0] = check_expectations(
            self.scenario.expect,
            exercises=self.result.exercises,
            exercise_started_at=self.started_at,
            outcome=self.result.outcome,
            heard=self.result.heard,
            transcript=self.result.transcript,
        )
        return self.result

    def fail(self, message: str) -> None:
        self.result.failures.append(Failure(message, len(self.result.transcript) - 1))

    def stop(self, message: str) -> NoReturn:
        self.fail(message)
        raise _Stop

    def schedule(
        self, time_ms: int, event: Event, timer: str | None = None, text: str | None = None
    ) -> int:
        self.seq += 1
        heapq.heappush(self.queue, _Due(time_ms, self.seq, event, timer, text))
        return self.seq

    def step(self) -> None:
        due = heapq.heappop(self.queue)
        if due.timer is not None and self.timers.get(due.timer) != due.seq:
            return  # cancelled or restarted
        if due.timer is not None:
            del self.timers[due.timer]
        self.clock.set(max(due.time_ms, self.clock.now_ms()))
        self.deliver(due.event)
        if due.text is not None:
            self.maybe_interject(due.text)

    def deliver(self, event: Event) -> None:
        self.apply(self.engine.handle(event))

    # ------------------------------------------------------------- actions

    def apply(self, actions: list[Any]) -> None:
        for action in actions:
            now = self.clock.now_ms()
            if isinstance(action, Say):
                self.result.transcript.append(TranscriptEntry(now, "coach", action.text))
                self.said_since_reply.append(action.text)
                start = max(now, self.speaking_until)
                self.speaking_until = start + speech_ms(action.text)
                self.schedule(
                    self.speaking_until,
                    SpeechFinished(action.utterance_id, self.speaking_until),
                    text=action.text,
                )
            elif isinstance(action, Listen):
                self.listening = action.context
            elif isinstance(action, StartTimer):
                seq = self.schedule(
                    action.deadline_ms, TimerFired(action.name, action.deadline_ms), action.name
                )
                self.timers[action.name] = seq
            elif isinstance(action, CancelTimer):
                self.timers.pop(action.name, None)
            elif isinstance(action, LogEntry):
                self.log(action)
            elif isinstance(action, End):
                self.result.outcome = action.outcome

    def log(self, entry: LogEntry) -> None:
        if entry.kind == "exercise_started":
            exercise = str(entry.data.get("exercise"))
            self.result.exercises.append(exercise)
            self.started_at.append(len(self.result.transcript))
            self.current_exercise = exercise
        elif entry.kind == "exercise_finished":
            self.current_exercise = None

    # ------------------------------------------------------------- replies

    def next_turn(self) -> Turn | None:
        turns = self.scenario.turns
        return turns[self.turn] if self.turn < len(turns) else None

    def fits(self, turn: Turn, context: str) -> bool:
        if turn.during is not None:
            return False
        if turn.context is not None and turn.context != context:
            return False
        return turn.after is None or _contains(self.said_since_reply, turn.after)

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
            return Reply(wav=path)
        return Reply(silence_ms=int((turn.silence_s or 0) * 1000))

    def answer(self) -> None:
        """Nothing is scheduled: the engine waits for the user."""
        context = self.listening
        if context is None:
            self.stop("the assistant stopped: it is neither talking, timing nor listening")
        turn = self.next_turn()
        if turn is not None and self.fits(turn, context):
            self.turn += 1
            reply = self.reply_for(turn)
        elif context in self.scenario.defaults:
            reply = Reply(
                text=self.scenario.defaults[context],
                voice=self.scenario.voice,
                rate_wpm=self.scenario.rate_wpm,
            )
        elif turn is None:
            reply = Reply(silence_ms=SILENCE_AFTER_LAST_TURN_MS)
        else:
            prompt = self.said_since_reply[-1] if self.said_since_reply else "(nothing said)"
            self.stop(
                f"unexpected question in context '{context}': \"{prompt}\" "
                f"(the next turn is {turn.describe()}"
                + (f" for context '{turn.context}'" if turn.context else "")
                + (f' after "{turn.after}"' if turn.after else "")
                + (f" during {turn.during}" if turn.during else "")
                + f", and defaults have no '{context}')"
            )
        self.give(reply, context, REACTION_MS if reply.silence_ms == 0 else 0)

    def give(self, reply: Reply, context: str, delay_ms: int) -> None:
        start = self.clock.now_ms() + delay_ms
        hearing = self.ears.hear(reply, context, start)
        end = start + hearing.duration_ms
        # Timers that fall due while the user talks fire first.
        while self.queue and self.queue[0].time_ms <= end:
            self.step()
        self.clock.set(max(end, self.clock.now_ms()))
        self.said_since_reply = []
        event = hearing.event
        if event is None:
            intent = "silence"
            delivered: Event = Silence(hearing.duration_ms)
        elif isinstance(event, Heard):
            intent = event.intent
            delivered = event
        else:
            intent = "not_understood"
            delivered = event
        self.result.heard.append(intent)
        shown = (
            intent
            if not isinstance(event, Heard | NotUnderstood) or not event.text
            else (f"{intent} ('{event.text}')")
        )
        self.result.transcript.append(
            TranscriptEntry(start, "user", reply.describe(), shown, context)
        )
        self.deliver(delivered)

    def maybe_interject(self, finished: str) -> None:
        """A ``during`` turn is spoken right after its ``after`` text, while its exercise runs."""
        turn = self.next_turn()
        if turn is None or turn.during is None or turn.during != self.current_exercise:
            return
        if turn.after is not None and not _contains([finished], turn.after):
            return
        self.turn += 1
        self.give(self.reply_for(turn), self.listening or "command", 0)


def _contains(said: list[str], needle: str) -> bool:
    lowered = needle.lower()
    return any(lowered in text.lower() for text in said)
