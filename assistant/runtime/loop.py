"""The voice loop: one loop owns the threads and queues and drives the engine.

Microphone frames go to the recognizer in the engine's current listening
context; the engine's actions are carried out by the shared interpreter (speak,
listen, timers on the real clock, journal); each ``Say`` ends with a
``SpeechFinished`` carrying the real end time.  While the coach speaks the
barge-in policy decides what may cut in; lost devices pause the session.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence

from ..audio.source import AudioSource, DeviceLostError, Frame
from ..dialog.interpreter import Interpreter, Performer
from ..events import (
    Action,
    End,
    Event,
    Heard,
    Interrupted,
    LogEntry,
    Say,
    SpeechFinished,
    TimerFired,
)
from ..journal import Recordable, record_entry
from ..tts.speaker import Speaker
from ..vocab import BARGE_IN_INTENTS, Context
from .bargein import BargeInPolicy
from .captions import Caption, Captions, LineCaptions, NoCaptions
from .devices import DeviceRecovery
from .overlap import TalkOverWatch
from .protocols import EngineLike, LoopClock, RecognizerLike

__all__ = ["Runtime", "TAIL_MS", "TIMER_LEAD_MS", "FINAL_WORDS_MS"]

#: The microphone keeps being ignored this long after the coach stops speaking
#: (room echo, the device's own latency).
TAIL_MS = 250
#: Timers are handled this long before their deadline and what they make the
#: coach say is scheduled to start exactly at the deadline (counting on the beat,
#: whatever the loop or the audio device was doing).
TIMER_LEAD_MS = 250
#: After the session ends, wait at most this long for the last words to be heard.
FINAL_WORDS_MS = 30_000


class Runtime:
    """Runs one session.  Every dependency is passed in; ``run()`` returns the outcome.

    ``barge_in`` (or one made by ``barge_in_factory`` in the background once the
    session has started) is a second recognizer fed only while the coach speaks:
    the streaming barge-in spotter (``assistant.asr.spotter``), which decides
    within a few tens of milliseconds of the end of "stop"; until there is one,
    the main recognizer is switched to the ``command`` context for that time.
    Captions go to ``captions``, or as lines to ``caption(who, text)``.
    """

    def __init__(
        self,
        *,
        source: AudioSource,
        recognizer: RecognizerLike,
        speaker: Speaker,
        engine: EngineLike,
        clock: LoopClock,
        journal: Recordable | None = None,
        barge_in: RecognizerLike | None = None,
        caption: Caption | None = None,
        captions: Captions | None = None,
        tail_ms: int = TAIL_MS,
        barge_in_intents: Sequence[str] = BARGE_IN_INTENTS,
        warm: Iterable[str] = (),
        warm_cache: Callable[[str], None] | None = None,
        observer: Callable[[str, object, int], None] | None = None,
        barge_in_factory: Callable[[], RecognizerLike] | None = None,
        timer_lead_ms: int = TIMER_LEAD_MS,
    ) -> None:
        self.source = source
        self.recognizer = recognizer
        self.speaker = speaker
        self.engine = engine
        self.clock = clock
        self.journal = journal
        self.captions: Captions = captions or (LineCaptions(caption) if caption else NoCaptions())
        self.policy = BargeInPolicy(barge_in, barge_in_intents, tail_ms, barge_in_factory)
        self.devices = DeviceRecovery(self.deliver, self.captions.state)
        self.talk_over = TalkOverWatch()
        self._coach_speaking = False
        self._warm = list(warm)
        self._warm_cache = warm_cache
        self._observe = observer
        self.context: Context | None = None
        self._interpreter = Interpreter(_Voice(self), observer=self._observe_action)
        self.timers = self._interpreter.timers
        self.outcome: str | None = None
        self.reason = ""
        self.interrupted = False
        self._source_done = False
        self.journal_errors: list[str] = []
        self.timer_lead_ms = timer_lead_ms
        self._start_at: int | None = None
        #: Lines asked for and not yet shown: a caption appears when its line starts.
        self._to_caption: deque[tuple[int, str]] = deque()

    @property
    def barge_in(self) -> RecognizerLike | None:
        return self.policy.barge_in

    # ----------------------------------------------------------------- engine

    def deliver(self, event: Event) -> None:
        if self._observe is not None:
            self._observe("event", event, self.clock.now_ms())
        self.apply(self.engine.handle(event))

    def apply(self, actions: Iterable[Action]) -> None:
        self._interpreter.apply(actions)

    def _observe_action(self, action: Action) -> None:
        if self._observe is not None:
            self._observe("action", action, self.clock.now_ms())

    def _speak(self, say: Say) -> None:
        self._to_caption.append((say.utterance_id, say.text))
        # (with the speaker gone, it reports the line as cut off at once)
        self.speaker.say(say.text, say.utterance_id, say.cacheable, self._start_at)
        self._start_at = None  # the rest of the batch queues behind it

    def _ended(self, end: End) -> None:
        self.outcome = end.outcome
        self.reason = end.reason

    def _record(self, entry: LogEntry) -> None:
        record_entry(self.journal, entry, self.journal_errors, self.captions.state)

    def _listen(self, context: Context | None) -> None:
        if context == self.context:
            return
        self.context = context
        self.policy.listen(self.recognizer, context)

    # ------------------------------------------------------------------ audio

    def _feed(self, frame: Frame, now: int) -> None:
        for barge_in in self.policy.late():  # said while the coach spoke, decided since
            self._barge_in(barge_in)
        talked_over = self.talk_over.hear(frame)
        if self.policy.update(now, self.speaker, self.recognizer, self.context):
            self._coach_speaking = True
            for barge_in in self.policy.barge_ins(frame, self.speaker, self.recognizer):
                self._barge_in(barge_in)
            return
        if self._coach_speaking:
            self._coach_speaking = False
            self.talk_over.coach_stopped(frame.timestamp_ms)
        if self.talk_over.holding:
            return  # an answer begun over the coach: its start is lost, never guess at it
        if talked_over is not None:
            self.policy.listen(self.recognizer, self.context)  # afresh, after it
            if self.context is not None:
                self.deliver(talked_over)
            return
        if self.context is None:
            return
        for result in self.recognizer.accept(frame.samples, frame.timestamp_ms):
            self.captions.heard(result)
            self.deliver(result)

    def _barge_in(self, heard: Heard) -> None:
        self.talk_over.forget()
        self._stop_speaking()
        self.captions.heard(heard, barge_in=True)
        self.deliver(heard)

    def _restarted(self) -> None:
        self.policy.set_muted(self.policy.muted, self.recognizer, self.context)

    # ----------------------------------------------------------------- timing

    def _caption_playing(self) -> None:
        """Show the line that has started playing (and any before it, now over)."""
        if not self._to_caption:
            return
        playing = self.speaker.text_now()
        if playing and any(text in playing for _, text in self._to_caption):
            while self._to_caption:
                text = self._to_caption.popleft()[1]
                self.captions.said(text)
                if text in playing:
                    break

    def _speech_finished(self, finished: SpeechFinished) -> None:
        """A line ended before it was seen starting: it was too short to catch, or
        the speaker could not play it (the device went away); show it now."""
        for index, (utterance_id, text) in enumerate(self._to_caption):
            if utterance_id == finished.utterance_id:
                del self._to_caption[index]
                self.captions.said(text)
                break
        self.deliver(finished)

    def _stop_speaking(self) -> None:
        """Cut the speech off: the lines that had not started are never shown."""
        self.speaker.stop()
        self._to_caption.clear()

    def _due(self, now: int) -> None:
        self._caption_playing()
        for finished in self.speaker.finished(now):
            self.policy.speech_ended(finished.timestamp_ms)
            self._speech_finished(finished)
        while (due := self.timers.pop_due(now + self.timer_lead_ms)) is not None:
            name, deadline = due
            # Fired a little early: what it says starts exactly at the deadline.
            self._start_at = deadline if deadline > now else None
            try:
                self.deliver(TimerFired(name, max(now, deadline)))
            finally:
                self._start_at = None

    def _wait_s(self, now: int) -> float:
        wait = 0.03
        deadline = self.timers.next_deadline()
        if deadline is not None:
            wait = min(wait, max(0.0, (deadline - self.timer_lead_ms - now) / 1000))
        return wait

    def _sleep(self, seconds: float) -> None:
        self.clock.sleep_until(self.clock.now_ms() + int(seconds * 1000))

    # ------------------------------------------------------------------- loop

    @property
    def over(self) -> bool:
        return self.outcome is not None or self.interrupted

    def step(self) -> None:
        """One turn of the loop: wait for a frame (or a timer), then handle what is due."""
        now = self.clock.now_ms()
        frame: Frame | None = None
        if self.devices.input_lost is not None:
            self.devices.retry_input(now, self.source, self._restarted)
            self._sleep(min(self._wait_s(now), 0.05))
        elif self._source_done:
            self._sleep(self._wait_s(now))
        else:
            try:
                frame = self.source.read(self._wait_s(now))
            except DeviceLostError as exc:
                self.devices.input_failed(self.clock.now_ms(), self.source, str(exc))
            except EOFError:
                self._source_done = True
        now = self.clock.now_ms()
        self.devices.check_output(now, self.speaker)
        self._due(now)
        if frame is not None and not self.over:
            self._feed(frame, now)
        elif frame is None and self._warm and not self.speaker.speaking:
            self._warm_one(now)

    def _warm_one(self, now: int) -> None:
        deadline = self.timers.next_deadline()
        if self._warm_cache is None or (deadline is not None and deadline - now < 100):
            return
        self._warm_cache(self._warm.pop(0))

    def run(self, stop: threading.Event | None = None, max_ms: int | None = None) -> str | None:
        """Run until the engine ends the session, ``stop`` is set (Ctrl-C) or
        ``max_ms`` passes; the outcome (``None`` if interrupted before one)."""
        started = self.clock.now_ms()
        self.source.start()
        try:
            self.apply(self.engine.start())
            self.policy.start_building(self.captions.state)
            while not self.over:
                if (stop is not None and stop.is_set()) or (
                    max_ms is not None and self.clock.now_ms() - started > max_ms
                ):
                    self.interrupt()
                    break
                if self._source_done and not self.timers and not self.speaker.speaking:
                    self.interrupt()  # a finite source ran out and nothing is left to do
                    break
                self.step()
            if not self.interrupted:
                self._finish_speaking(stop)
        finally:
            self.speaker.stop()
            self.policy.close()
            with contextlib.suppress(Exception):
                self.source.stop()
        return self.outcome

    def interrupt(self) -> None:
        """Ctrl-C: tell the engine, keep what it logs, cut the speech."""
        self.interrupted = True
        self._stop_speaking()
        actions = self.engine.handle(Interrupted())
        self.apply(a for a in actions if not isinstance(a, Say))

    def _finish_speaking(self, stop: threading.Event | None) -> None:
        deadline = self.clock.now_ms() + FINAL_WORDS_MS
        while self.speaker.speaking and self.clock.now_ms() < deadline:
            if stop is not None and stop.is_set():
                break
            self._sleep(0.02)
            self._caption_playing()
            for finished in self.speaker.finished(self.clock.now_ms()):
                self._speech_finished(finished)


class _Voice(Performer):
    """The runtime's part of the actions: the speaker, the recognizer, the journal."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def say(self, say: Say) -> None:
        self._runtime._speak(say)

    def stop_speaking(self) -> None:
        self._runtime._stop_speaking()

    def listen(self, context: Context | None) -> None:
        self._runtime._listen(context)

    def record(self, entry: LogEntry) -> None:
        self._runtime._record(entry)

    def end(self, end: End) -> None:
        self._runtime._ended(end)
