"""The voice loop: one loop owns the threads and queues and drives the engine.

Microphone frames go to the recognizer in the engine's current listening
context; the engine's actions are carried out (speak, listen, timers on the
real clock, journal); each ``Say`` ends with a ``SpeechFinished`` carrying the
real end time.  While the coach speaks (plus a short tail) the recognizer does
not listen for answers, so the coach never answers itself; only "stop" and
"pause" can barge in, and they cut playback at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from types import FrameType
from typing import Any, Protocol

from .audio.source import AudioSource, DeviceLostError, Frame
from .clock import Clock, MonotonicClock
from .config import Settings
from .errors import AudioDeviceError
from .events import (
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
    StartTimer,
    StopSpeaking,
    TimerFired,
)
from .journal import Recordable, record_entry
from .tts.speaker import Speaker

__all__ = [
    "BARGE_IN_INTENTS",
    "TAIL_MS",
    "Caption",
    "EngineLike",
    "RecognizerLike",
    "Runtime",
    "build_voice_runtime",
    "run_voice",
]

#: Intents that may cut the coach off while it is speaking ("ouch" is "worse, stop now").
BARGE_IN_INTENTS: tuple[str, ...] = ("stop", "pause", "ouch")
#: The microphone keeps being ignored this long after the coach stops speaking
#: (room echo, the device's own latency).
TAIL_MS = 250
#: Timers are handled this long before their deadline and what they make the
#: coach say is scheduled to start exactly at the deadline (counting on the beat,
#: whatever the loop or the audio device was doing).
TIMER_LEAD_MS = 250
#: How often a lost device is tried again.
RETRY_MS = 1000
#: After the session ends, wait at most this long for the last words to be heard.
FINAL_WORDS_MS = 30_000

Caption = Callable[[str, str], None]
"""``caption(who, text)``: ``who`` is ``coach``, ``you`` or ``system``."""


class EngineLike(Protocol):
    def start(self) -> list[Action]: ...

    def handle(self, event: Event) -> list[Action]: ...


class RecognizerLike(Protocol):
    def set_context(self, context: str | None) -> None: ...

    def accept(self, samples: Any, timestamp_ms: int) -> list[Heard | NotUnderstood]: ...

    def reset(self) -> None: ...


class Runtime:
    """Runs one session.  Every dependency is passed in; ``run()`` returns the outcome.

    ``barge_in`` (or one made by ``barge_in_factory`` in the background once the
    session has started) is a second recognizer fed only while the coach speaks:
    the streaming barge-in spotter (``assistant.asr.spotter``), which decides
    within a few tens of milliseconds of the end of "stop"; until there is one,
    the main recognizer is switched to the ``command`` context for that time.
    """

    def __init__(
        self,
        *,
        source: AudioSource,
        recognizer: RecognizerLike,
        speaker: Speaker,
        engine: EngineLike,
        clock: Clock,
        journal: Recordable | None = None,
        barge_in: RecognizerLike | None = None,
        caption: Caption | None = None,
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
        self.barge_in = barge_in
        self._caption = caption
        self.tail_ms = tail_ms
        self.barge_in_intents = tuple(barge_in_intents)
        self._warm = list(warm)
        self._warm_cache = warm_cache
        self._observe = observer
        self.context: str | None = None
        self.timers: dict[str, int] = {}
        self.outcome: str | None = None
        self.reason = ""
        self.interrupted = False
        self._muted = False
        self._mute_until = 0
        self._input_lost: str | None = None
        self._output_lost: str | None = None
        self._retry_at = 0
        self._source_done = False
        self.journal_errors: list[str] = []
        self.timer_lead_ms = timer_lead_ms
        self._start_at: int | None = None
        self._barge_in_ready: RecognizerLike | None = None
        self._barge_in_factory = barge_in_factory

    # ------------------------------------------------------------------ output

    def caption(self, who: str, text: str) -> None:
        if self._caption is not None:
            self._caption(who, text)

    def _announce(self, text: str) -> None:
        """A device message of the runtime's own: printed (the engine says its own words)."""
        self.caption("system", text)

    # ----------------------------------------------------------------- engine

    def deliver(self, event: Event) -> None:
        if self._observe is not None:
            self._observe("event", event, self.clock.now_ms())
        self.apply(self.engine.handle(event))

    def apply(self, actions: Iterable[Action]) -> None:
        for action in actions:
            if self._observe is not None:
                self._observe("action", action, self.clock.now_ms())
            if isinstance(action, Say):
                self.caption("coach", action.text)
                # (with the speaker gone, it reports the line as cut off at once)
                self.speaker.say(action.text, action.utterance_id, action.cacheable, self._start_at)
                self._start_at = None  # the rest of the batch queues behind it
            elif isinstance(action, Listen):
                self._listen(action.context)
            elif isinstance(action, StopSpeaking):
                self.speaker.stop()
            elif isinstance(action, StartTimer):
                self.timers[action.name] = action.deadline_ms
            elif isinstance(action, CancelTimer):
                self.timers.pop(action.name, None)
            elif isinstance(action, LogEntry):
                self._record(action)
            elif isinstance(action, End):
                self.outcome = action.outcome
                self.reason = action.reason

    def _record(self, entry: LogEntry) -> None:
        record_entry(self.journal, entry, self.journal_errors, lambda m: self.caption("system", m))

    def _listen(self, context: str | None) -> None:
        if context == self.context:
            return
        self.context = context
        if not self._muted or self.barge_in is not None:
            self.recognizer.reset()
            self.recognizer.set_context(context)

    # ------------------------------------------------------------------ audio

    def _feed(self, frame: Frame, now: int) -> None:
        speaking = self.speaker.speaking or now < self._mute_until
        if speaking != self._muted:
            self._set_muted(speaking)
        if speaking:
            if self.barge_in is None and self._barge_in_ready is not None:
                self._set_muted(True)  # adopt the barge-in recognizer now it is ready
            checker = self.barge_in or self.recognizer
            for result in checker.accept(frame.samples, frame.timestamp_ms):
                if isinstance(result, Heard) and self._may_barge_in(result):
                    self.speaker.stop()
                    self._mute_until = 0
                    self.caption("you", f"{result.text} ({result.intent}, barge-in)")
                    self.deliver(result)
            return
        if self.context is None:
            return
        for result in self.recognizer.accept(frame.samples, frame.timestamp_ms):
            if isinstance(result, Heard):
                self.caption(
                    "you", f"{result.text} ({result.intent}, {result.confidence:.0%} sure)"
                )
            else:
                self.caption("you", f"{result.text or '...'} (not understood)")
            self.deliver(result)

    def _may_barge_in(self, result: Heard) -> bool:
        if result.intent not in self.barge_in_intents:
            return False
        # The coach saying "stop" or "pause" itself is not the user (echo).
        return result.intent not in self.speaker.text_now().lower()

    def _set_muted(self, muted: bool) -> None:
        self._muted = muted
        if self.barge_in is None and self._barge_in_ready is not None:
            self.barge_in = self._barge_in_ready
        self.recognizer.reset()
        if self.barge_in is not None:
            self.barge_in.reset()
            self.barge_in.set_context("command")
            self.recognizer.set_context(self.context)
        else:
            self.recognizer.set_context("command" if muted else self.context)

    def _build_barge_in(self, factory: Callable[[], RecognizerLike]) -> None:
        try:
            self._barge_in_ready = factory()
        except Exception as exc:  # the main recognizer still hears "stop"
            self.caption("system", f"barge-in recognizer unavailable ({exc})")

    # ----------------------------------------------------------------- timing

    def _due(self, now: int) -> None:
        for finished in self.speaker.finished(now):
            self._mute_until = max(self._mute_until, finished.timestamp_ms + self.tail_ms)
            self.deliver(finished)
        while self.timers:
            name, deadline = min(self.timers.items(), key=lambda item: item[1])
            if deadline > now + self.timer_lead_ms:
                break
            del self.timers[name]
            # Fired a little early: what it says starts exactly at the deadline.
            self._start_at = deadline if deadline > now else None
            try:
                self.deliver(TimerFired(name, max(now, deadline)))
            finally:
                self._start_at = None

    def _wait_s(self, now: int) -> float:
        wait = 0.03
        if self.timers:
            due = min(self.timers.values()) - self.timer_lead_ms
            wait = min(wait, max(0.0, (due - now) / 1000))
        return wait

    # ---------------------------------------------------------------- devices

    def _input_failed(self, message: str) -> None:
        self._input_lost = message
        self._retry_at = self.clock.now_ms() + RETRY_MS
        with contextlib.suppress(Exception):
            self.source.stop()
        self._announce(f"{message}. Paused; the session carries on when it is back.")
        self.deliver(DeviceLost(self.source.name, message))

    def _retry_input(self, now: int) -> None:
        if now < self._retry_at:
            return
        self._retry_at = now + RETRY_MS
        try:
            self.source.start()
        except AudioDeviceError:
            return
        self._input_lost = None
        self._set_muted(self._muted)  # a fresh recognizer state
        self._announce(f"{self.source.name} is back.")
        self.deliver(DeviceRestored(self.source.name))

    def _check_output(self, now: int) -> None:
        check = getattr(self.speaker, "check", None)
        if check is None:
            return
        if self._output_lost is None:
            message = check()
            if message:
                self._output_lost = message
                self._retry_at = now + RETRY_MS
                self._announce(f"{message}. Paused; the session carries on when it is back.")
                self.deliver(DeviceLost(getattr(self.speaker, "device_name", "speaker"), message))
            return
        if now < self._retry_at:
            return
        self._retry_at = now + RETRY_MS
        try:
            self.speaker.reopen()  # type: ignore[attr-defined]
        except AudioDeviceError:
            return
        self._output_lost = None
        name = getattr(self.speaker, "device_name", "the speaker")
        self._announce(f"{name} is back.")
        self.deliver(DeviceRestored(name))

    # ------------------------------------------------------------------- loop

    @property
    def over(self) -> bool:
        return self.outcome is not None or self.interrupted

    def step(self) -> None:
        """One turn of the loop: wait for a frame (or a timer), then handle what is due."""
        now = self.clock.now_ms()
        frame: Frame | None = None
        if self._input_lost is not None:
            self._retry_input(now)
            _sleep(self.clock, min(self._wait_s(now), 0.05))
        elif self._source_done:
            _sleep(self.clock, self._wait_s(now))
        else:
            try:
                frame = self.source.read(self._wait_s(now))
            except DeviceLostError as exc:
                self._input_failed(str(exc))
            except EOFError:
                self._source_done = True
        now = self.clock.now_ms()
        self._check_output(now)
        self._due(now)
        if frame is not None and not self.over:
            self._feed(frame, now)
        elif frame is None and self._warm and not self.speaker.speaking:
            self._warm_one(now)

    def _warm_one(self, now: int) -> None:
        if self._warm_cache is None or (self.timers and min(self.timers.values()) - now < 100):
            return
        self._warm_cache(self._warm.pop(0))

    def run(self, stop: threading.Event | None = None, max_ms: int | None = None) -> str | None:
        """Run until the engine ends the session, ``stop`` is set (Ctrl-C) or
        ``max_ms`` passes; the outcome (``None`` if interrupted before one)."""
        started = self.clock.now_ms()
        self.source.start()
        try:
            self.apply(self.engine.start())
            if self._barge_in_factory is not None and self.barge_in is None:
                # built after the first words are on their way, so start-up stays quick
                threading.Thread(
                    target=self._build_barge_in, args=(self._barge_in_factory,), daemon=True
                ).start()
            while not self.over:
                if stop is not None and stop.is_set():
                    self.interrupt()
                    break
                if max_ms is not None and self.clock.now_ms() - started > max_ms:
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
            with contextlib.suppress(Exception):
                self.source.stop()
        return self.outcome

    def interrupt(self) -> None:
        """Ctrl-C: tell the engine, keep what it logs, cut the speech."""
        self.interrupted = True
        self.speaker.stop()
        actions = self.engine.handle(Interrupted())
        self.apply(a for a in actions if not isinstance(a, Say))

    def _finish_speaking(self, stop: threading.Event | None) -> None:
        deadline = self.clock.now_ms() + FINAL_WORDS_MS
        while self.speaker.speaking and self.clock.now_ms() < deadline:
            if stop is not None and stop.is_set():
                break
            _sleep(self.clock, 0.02)
            for finished in self.speaker.finished(self.clock.now_ms()):
                self.deliver(finished)


def _sleep(clock: Clock, seconds: float) -> None:
    sleeper = getattr(clock, "sleep_until", None)
    if sleeper is not None:
        sleeper(clock.now_ms() + int(seconds * 1000))


# ------------------------------------------------------------------ run_voice


class _CtrlC:
    """Ctrl-C sets an event the loop checks every frame, instead of raising anywhere."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: Any = None

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.event.set()

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self.event

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _printer(quiet: bool) -> Caption:
    from rich.console import Console
    from rich.markup import escape

    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)

    def caption(who: str, text: str) -> None:
        if who == "system":
            err.print(f"[bold yellow]backcoach:[/] {escape(text)}")
        elif quiet:
            return
        elif who == "coach":
            out.print(f"[bold cyan]Coach:[/] {escape(text)}")
        else:
            out.print(f"[dim]You: {escape(text)}[/]")

    return caption


def build_voice_runtime(
    settings: Settings,
    caption: Caption | None = None,
    *,
    clock: MonotonicClock | None = None,
    engine: EngineLike | None = None,
    journal: Recordable | None = None,
    observer: Callable[[str, object, int], None] | None = None,
) -> Runtime:
    """The real thing: microphone, PocketSphinx/Vosk, pyttsx3 + sounddevice, the engine.

    Raises ``AudioDeviceError`` (one line naming the device) when there is no
    usable input or output device.  ``engine`` defaults to a session of
    ``settings.routine``.  Close ``runtime.speaker`` when done.
    """
    from .asr.base import create_recognizer
    from .audio.devices import resolve_device
    from .audio.source import MicrophoneSource
    from .paths import cache_dir
    from .tts.player import SoundDevicePlayer
    from .tts.speaker import VoiceSpeaker
    from .tts.voices import open_synth
    from .ui.ahead import render_ahead

    clock = clock or MonotonicClock()
    resolve_device(settings.input_device, "input")
    resolve_device(settings.output_device, "output")
    player = SoundDevicePlayer(clock, settings.output_device)
    player.open()  # first: a stream takes a moment to start running
    synth = open_synth(settings.voice, settings.rate_wpm, settings.volume, cache_dir(), caption)
    speaker = VoiceSpeaker(synth, player)
    try:
        recognizer: Any
        if settings.engine == "pocketsphinx":
            # bundled model: load it while the first words are being said
            recognizer = _Loading(lambda: create_recognizer(settings), "pocketsphinx")
        else:  # a missing Vosk model must be reported before the session starts
            recognizer = create_recognizer(settings, settings.vosk_model)
        if engine is None:
            from .dialog.engine import Engine
            from .dialog.routine import load_routines

            routine_id = None if settings.routine == "ask" else settings.routine
            engine = Engine(
                load_routines(), clock, routine_id=routine_id, recognizer=recognizer.name
            )
    except BaseException:
        speaker.close()
        raise
    return Runtime(
        source=MicrophoneSource(clock, settings.input_device),
        recognizer=recognizer,
        speaker=speaker,
        engine=engine,
        clock=clock,
        journal=journal,
        caption=caption,
        observer=render_ahead(synth, speaker).chain(observer),  # lines it may say, rendered ahead
        barge_in_factory=_barge_in_factory(recognizer.name),
    )


class _Loading:
    """A recognizer being built in a background thread; the first call waits for it."""

    def __init__(self, factory: Callable[[], Any], name: str) -> None:
        self.name = name
        self._factory = factory
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._build, daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:
            self._value = self._factory()
        except BaseException as exc:  # re-raised in the loop on first use
            self._error = exc

    def _get(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def set_context(self, context: str | None) -> None:
        self._get().set_context(context)

    def accept(self, samples: Any, timestamp_ms: int) -> list[Heard | NotUnderstood]:
        result: list[Heard | NotUnderstood] = self._get().accept(samples, timestamp_ms)
        return result

    def reset(self) -> None:
        self._get().reset()


def _barge_in_factory(engine_name: str) -> Callable[[], RecognizerLike] | None:
    """A streaming spotter of the barge-in phrases (PocketSphinx's bundled model, so
    it works whichever engine answers are recognised with)."""
    if engine_name not in ("pocketsphinx", "vosk"):
        return None

    def make() -> RecognizerLike:
        from .asr.spotter import BargeInSpotter

        return BargeInSpotter(BARGE_IN_INTENTS)

    return make


def run_voice(settings: Settings, quiet: bool = False) -> int:
    """``backcoach run``: a spoken session through the microphone and speaker.

    Raises ``AudioDeviceError`` (one line naming the device) when there is no
    usable input or output device, before the session starts.
    """
    from .audio.devices import filtered_stderr

    with filtered_stderr():
        return _run_voice(settings, quiet)


def _run_voice(settings: Settings, quiet: bool) -> int:
    from .journal import open_session_journal
    from .ui.screen import session_view

    caption, observe, close_view = session_view(quiet, _printer(quiet))  # screen, or captions
    runtime = build_voice_runtime(settings, caption, observer=observe)
    try:
        journal = open_session_journal(lambda message: caption("system", message))
    except BaseException:
        runtime.speaker.close()
        raise
    runtime.journal = journal
    try:
        with _CtrlC() as stop:
            outcome = runtime.run(stop)
    finally:
        runtime.speaker.close()
        close_view()
        if journal is not None:
            journal.close(interrupted=runtime.interrupted)
    if runtime.interrupted:
        caption("system", "session stopped; everything so far is saved in the journal.")
        return 130
    caption("system", f"session ended: {outcome}.")
    return 0
