"""The real thing wired up: microphone, recognizer, voice, engine, journal, Ctrl-C."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from ..clock import MonotonicClock
from ..config import Settings
from ..journal import Recordable
from ..tts.speaker import VoiceSpeaker
from ..tts.voices import Synth
from ..vocab import BARGE_IN_INTENTS
from .captions import Caption, Captions, LineCaptions, printer
from .loop import Runtime
from .protocols import EngineLike, RecognizerLike

__all__ = ["build_voice_runtime", "run_voice", "INTERRUPTED_EXIT"]

#: Exit code after Ctrl-C.
INTERRUPTED_EXIT = 130


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


def _open_voice(
    settings: Settings, clock: MonotonicClock, notice: Callable[[str, str], None] | None
) -> tuple[VoiceSpeaker, Synth]:
    from ..audio.devices import resolve_device
    from ..paths import cache_dir
    from ..tts.player import SoundDevicePlayer
    from ..tts.voices import open_synth
    from ..ui.prepare import NOT_PREPARED, first_lines

    resolve_device(settings.input_device, "input")
    resolve_device(settings.output_device, "output")
    # Piper (or espeak-ng, with a notice when Piper is missing); when the first line is
    # not on disk its model loads (since ``backcoach run`` started, or now) while the
    # stream starts
    synth = open_synth(settings.voice, settings.rate_wpm, settings.volume, cache_dir(), notice)
    first = first_lines()[0]
    unprepared = getattr(synth, "preload_unless_cached", lambda line: False)(first)
    if unprepared and notice is not None:
        notice("system", NOT_PREPARED.format(rate=settings.rate_wpm))
    player = SoundDevicePlayer(clock, settings.output_device)
    try:
        player.open()  # a stream takes a moment to start running
    except BaseException:
        synth.close()
        raise
    return VoiceSpeaker(synth, player), synth


#: A background recognizer starts loading once the first words are on their way,
#: or after this long at the latest.
FIRST_WORDS_WAIT_S = 3.0


def _open_recognizer(settings: Settings, first_words: threading.Event) -> Any:
    """A missing model is reported now; a background engine then loads while the
    first words are being said: loading it (imports, the model) before they start
    would slow them down on two cores (``registry.open_recognizer``, deferred)."""
    from ..asr import registry
    from ..asr.loading import BackgroundRecognizer

    options = registry.options_from(settings.model_dump())
    spec, located, description = registry.resolve(settings.engine, options)
    if not spec.background:
        return registry.open_recognizer(settings.engine, options)

    def build() -> Any:
        first_words.wait(FIRST_WORDS_WAIT_S)
        return spec.create(located)

    return BackgroundRecognizer(build, spec.name, description)


def build_voice_runtime(
    settings: Settings,
    caption: Caption | None = None,
    *,
    clock: MonotonicClock | None = None,
    engine: EngineLike | None = None,
    journal: Recordable | None = None,
    observer: Callable[[str, object, int], None] | None = None,
    captions: Captions | None = None,
    ahead: bool = True,
) -> Runtime:
    """The real thing: microphone, PocketSphinx/Vosk, pyttsx3 + sounddevice, the engine.

    Raises ``AudioDeviceError`` (one line naming the device) when there is no
    usable input or output device.  ``engine`` defaults to a session of
    ``settings.routine``.  Close ``runtime.speaker`` when done.
    """
    from ..audio.source import MicrophoneSource
    from ..dialog import prompts
    from ..dialog.routine import load_routines
    from ..ui.ahead import render_ahead

    clock = clock or MonotonicClock()
    notice = (lambda _, text: captions.state(text)) if captions else caption
    speaker, synth = _open_voice(settings, clock, notice)
    try:
        recognizer = _open_recognizer(settings, speaker.first_handed)
        routines = load_routines()
        if engine is None:
            from ..dialog.engine import Engine

            routine_id = None if settings.routine == "ask" else settings.routine
            engine = Engine(routines, clock, routine_id=routine_id, recognizer=recognizer.name)
    except BaseException:
        speaker.close()
        raise
    # ``ahead=False``: nothing rendered ahead (the benchmarks time the loop alone)
    prerender = render_ahead(synth, speaker, routines) if ahead else None
    return Runtime(
        source=MicrophoneSource(clock, settings.input_device),
        recognizer=recognizer,
        speaker=speaker,
        engine=engine,
        clock=clock,
        journal=journal,
        caption=caption,
        captions=captions,
        warm=list(prompts.cached_lines(routines.values())),
        warm_cache=prerender.add_one if prerender else None,  # in the background
        observer=prerender.chain(observer) if prerender else observer,  # and what may follow
        barge_in_factory=_barge_in_factory(recognizer, settings),
    )


def _barge_in_factory(recognizer: Any, settings: Settings) -> Callable[[], RecognizerLike] | None:
    """A streaming spotter of the barge-in phrases (PocketSphinx's bundled model, so
    it works whichever engine answers are recognised with); beside Whisper, with
    Whisper's second opinion on the words it turns down (the same model, loaded once)."""
    from ..asr.registry import can_barge_in

    if not can_barge_in(recognizer.name):
        return None

    def make() -> RecognizerLike:
        from ..asr.spotter import BargeInSpotter

        # Whisper's check in a thread of its own: the loop never waits for it
        check = _whisper_check(recognizer, settings)
        return BargeInSpotter(BARGE_IN_INTENTS, check=check, background=True)

    return make


def _whisper_check(recognizer: Any, settings: Settings) -> Any:
    if recognizer.name != "whisper":
        return None
    from pathlib import Path

    from ..asr import registry, whisper_engine
    from ..asr.spotter_check import WhisperCheck

    if hasattr(recognizer, "loaded"):
        recognizer.loaded()  # the model once, not a second copy loading beside it
    located = whisper_engine.locate(registry.options_from(settings.model_dump()))
    return WhisperCheck(Path(str(located.model)))


def run_voice(settings: Settings, quiet: bool = False, captions: Captions | None = None) -> int:
    """``backcoach run``: a spoken session through the microphone and speaker.

    ``captions`` (e.g. a terminal screen) replaces the printed lines.  Raises
    ``AudioDeviceError`` (one line naming the device) when there is no usable
    input or output device, before the session starts.
    """
    from ..audio.devices import filtered_stderr

    with filtered_stderr():
        return _run_voice(settings, captions or LineCaptions(printer(quiet)))


def _run_voice(settings: Settings, captions: Captions) -> int:
    from ..journal import open_session_journal

    # a screen that follows the session (assistant.ui.screen) also observes the engine
    runtime = build_voice_runtime(
        settings, captions=captions, observer=getattr(captions, "observe", None)
    )
    try:
        journal = open_session_journal(captions.state)
    except BaseException:
        runtime.speaker.close()
        raise
    runtime.journal = journal
    try:
        with _CtrlC() as stop:
            outcome = runtime.run(stop)
    finally:
        runtime.speaker.close()
        if journal is not None:
            journal.close(interrupted=runtime.interrupted)
    if runtime.interrupted:
        captions.state("session stopped; everything so far is saved in the journal.")
        return INTERRUPTED_EXIT
    captions.state(f"session ended: {outcome}.")
    return 0
