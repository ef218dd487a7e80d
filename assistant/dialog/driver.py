"""A driver for the engine on a virtual clock: tests and scripted sessions.

It plays the part of the runtime: it "speaks" each ``Say`` for a time that
grows with its length and then delivers ``SpeechFinished``, runs timers, and
lets the caller answer whenever the engine asks something.  Everything happens
on a :class:`~assistant.clock.VirtualClock`, so a twenty-minute routine runs in
milliseconds.

>>> driver = Driver(Engine(routines, VirtualClock(), routine_id="extension"))  # doctest: +SKIP
>>> driver.start(); driver.run_until_question()                                # doctest: +SKIP
>>> driver.answer("no")                                                        # doctest: +SKIP
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..clock import VirtualClock
from ..events import (
    Action,
    End,
    Event,
    Heard,
    LogEntry,
    NotUnderstood,
    Say,
    SpeechFinished,
    TimerFired,
)
from .engine import Engine
from .interpreter import Interpreter, Performer

__all__ = ["Driver", "Spoken", "DriverError", "speech_ms"]

#: Default speaking time: about 15 characters a second (roughly 150 words a minute).
MS_PER_CHAR = 65
MIN_SPEECH_MS = 300


def speech_ms(text: str) -> int:
    """How long the driver pretends ``text`` takes to say."""
    return max(MIN_SPEECH_MS, len(text) * MS_PER_CHAR)


class DriverError(AssertionError):
    """The session did not go as the test expected (stuck, ended early, ...)."""


@dataclass(frozen=True)
class Spoken:
    """One ``Say`` as it was started: when, what, and its id."""

    at_ms: int  # when it starts playing (after speech queued before it)
    text: str
    utterance_id: int
    emitted_ms: int  # when the engine asked for it


@dataclass
class Driver:
    """Runs an :class:`Engine` on a :class:`VirtualClock` and records what it did."""

    engine: Engine
    clock: VirtualClock
    speech_time: Callable[[str], int] = speech_ms
    said: list[Spoken] = field(default_factory=list)
    logs: list[LogEntry] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    end: End | None = None
    _queue: list[tuple[int, int, Event]] = field(default_factory=list)
    _speaking_until: int = 0
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    _interpreter: Interpreter = field(init=False)

    def __post_init__(self) -> None:
        self._interpreter = Interpreter(_Playback(self), observer=self.actions.append)

    def _live(self, event: TimerFired, at_ms: int) -> bool:
        """The timer is still on the table with this deadline (not cancelled or restarted)."""
        return self._interpreter.timers.deadline(event.name) == at_ms

    # ------------------------------------------------------------ feeding

    def start(self) -> None:
        self._apply(self.engine.start())

    def send(self, event: Event) -> None:
        """Hand one event to the engine now and carry out what it asks."""
        self._apply(self.engine.handle(event))

    def answer(self, intent: str, confidence: float = 1.0, text: str | None = None) -> None:
        """The user says something the recognizer understood as ``intent``."""
        now = self.clock.now_ms()
        self.send(Heard(intent, text if text is not None else intent, confidence, now, now))

    def mumble(self, text: str = "mumble") -> None:
        """The user says something the recognizer did not understand."""
        now = self.clock.now_ms()
        self.send(NotUnderstood(text, now, now))

    # ------------------------------------------------------------- time

    def _push(self, at_ms: int, event: Event) -> None:
        heapq.heappush(self._queue, (at_ms, next(self._seq), event))

    def _next_due(self) -> tuple[int, Event] | None:
        """The earliest pending event (speech end or live timer), removed from the queue."""
        while self._queue:
            at_ms, _, event = heapq.heappop(self._queue)
            if isinstance(event, TimerFired):
                if not self._live(event, at_ms):
                    continue
                self._interpreter.timers.cancel(event.name)
            return at_ms, event
        return None

    def step(self) -> bool:
        """Deliver the next pending event (moving the clock to it); False if none."""
        due = self._next_due()
        if due is None:
            return False
        at_ms, event = due
        self.clock.set(max(at_ms, self.clock.now_ms()))
        self.send(event)
        return True

    def advance(self, ms: int) -> None:
        """Let ``ms`` of virtual time pass, delivering everything due on the way."""
        until = self.clock.now_ms() + ms
        while self._queue and self._peek_time() <= until:
            if not self.step():
                break
            if self.engine.finished:
                break
        if self.clock.now_ms() < until:
            self.clock.set(until)

    def _peek_time(self) -> int:
        while self._queue:
            at_ms, _, event = self._queue[0]
            if isinstance(event, TimerFired) and not self._live(event, at_ms):
                heapq.heappop(self._queue)
                continue
            return at_ms
        return 1 << 62

    def run_until_question(self, max_ms: int = 3_600_000) -> str:
        """Run until the engine waits for an answer (its speech done); return the context."""
        limit = self.clock.now_ms() + max_ms
        while True:
            if self.engine.finished:
                raise DriverError(
                    f"the session ended ({self.end}) instead of asking; {self.tail()}"
                )
            if self.engine.awaiting_answer and not self._speech_pending():
                context = self.engine.listening_context
                assert context is not None
                return context
            if self._peek_time() > limit or not self.step():
                raise DriverError(f"no question within {max_ms} ms; {self.tail()}")

    def run_until_end(self, max_ms: int = 7_200_000) -> End:
        """Run (answering nothing) until the session ends."""
        limit = self.clock.now_ms() + max_ms
        while not self.engine.finished:
            if self._peek_time() > limit or not self.step():
                raise DriverError(f"the session did not end; {self.tail()}")
        assert self.end is not None
        return self.end

    def run_until_said(self, fragment: str, max_ms: int = 3_600_000) -> Spoken:
        """Run until an utterance containing ``fragment`` (case-insensitive) starts playing.

        Only utterances that had not started playing when called count.
        """
        now = self.clock.now_ms()
        start = sum(1 for spoken in self.said if spoken.at_ms <= now)
        limit = now + max_ms
        while True:
            now = self.clock.now_ms()
            for spoken in self.said[start:]:
                if fragment.lower() in spoken.text.lower() and spoken.at_ms <= now:
                    return spoken
            if self.engine.finished or self._peek_time() > limit or not self.step():
                raise DriverError(f"never said {fragment!r}; {self.tail()}")

    def speech_pending(self) -> bool:
        """Some speech has not finished playing yet."""
        return self._speech_pending()

    def _speech_pending(self) -> bool:
        return any(isinstance(event, SpeechFinished) for _, _, event in self._queue)

    # ------------------------------------------------------------ actions

    def _apply(self, actions: Iterable[Action]) -> None:
        self._interpreter.apply(actions)

    def _speak(self, action: Say) -> None:
        now = self.clock.now_ms()
        start = max(now, self._speaking_until)
        self._speaking_until = start + self.speech_time(action.text)
        self.said.append(Spoken(start, action.text, action.utterance_id, now))
        self._push(self._speaking_until, SpeechFinished(action.utterance_id, self._speaking_until))

    def _stop_speaking(self) -> None:
        """Cut off queued speech: every pending SpeechFinished arrives now, interrupted."""
        now = self.clock.now_ms()
        kept: list[tuple[int, int, Event]] = []
        for at_ms, seq, event in self._queue:
            if isinstance(event, SpeechFinished) and at_ms > now:
                kept.append((now, seq, SpeechFinished(event.utterance_id, now, True)))
            else:
                kept.append((at_ms, seq, event))
        heapq.heapify(kept)
        self._queue = kept
        self._speaking_until = now

    # ------------------------------------------------------------ reading

    def texts(self, since: int = 0) -> list[str]:
        return [spoken.text for spoken in self.said[since:]]

    def transcript(self) -> str:
        return "\n".join(f"{s.at_ms / 1000:8.1f}s  {s.text}" for s in self.said)

    def tail(self, n: int = 6) -> str:
        return "last said: " + " | ".join(self.texts()[-n:])

    def logs_of(self, kind: str) -> list[LogEntry]:
        return [entry for entry in self.logs if entry.kind == kind]

    def exercises_started(self) -> list[str]:
        return [str(entry.data["exercise"]) for entry in self.logs_of("exercise_started")]

    def said_at(self, fragment: str, since: int = 0, *, exact: bool = False) -> int:
        """When the engine asked to say the first utterance containing (``exact``: being)
        ``fragment``, case-insensitive."""
        for spoken in self.said[since:]:
            text, wanted = spoken.text.lower(), fragment.lower()
            if text == wanted or (not exact and wanted in text):
                return spoken.emitted_ms
        raise DriverError(f"never said {fragment!r}")


class _Playback(Performer):
    """The driver's part of the actions: speech on the virtual clock, timers as events."""

    def __init__(self, driver: Driver) -> None:
        self._driver = driver

    def say(self, say: Say) -> None:
        self._driver._speak(say)

    def stop_speaking(self) -> None:
        self._driver._stop_speaking()

    def timer_started(self, name: str, deadline_ms: int) -> None:
        self._driver._push(deadline_ms, TimerFired(name, deadline_ms))

    def record(self, entry: LogEntry) -> None:
        self._driver.logs.append(entry)

    def end(self, end: End) -> None:
        self._driver.end = end
