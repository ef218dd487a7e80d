"""The voice loop with fakes: a scripted recognizer, a recording speaker, a virtual clock.

The real-device version (PulseAudio, PocketSphinx, espeak-ng) is in test_voice.py.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from assistant.audio.source import DeviceLostError, Frame, WavFileSource, dither
from assistant.clock import VirtualClock
from assistant.errors import AudioDeviceError
from assistant.events import (
    Action,
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
    SpeechFinished,
    StartTimer,
    TimerFired,
)
from assistant.runtime import Runtime
from assistant.tts import RecordingSpeaker


class ScriptedRecognizer:
    """Hears ``intent`` in the first frame it is fed at or after ``at_ms``."""

    def __init__(self, script: list[tuple[int, str]]) -> None:
        self.script = list(script)
        self.context: str | None = None
        self.heard_in: list[tuple[str, str | None]] = []

    def set_context(self, context: str | None) -> None:
        self.context = context

    def reset(self) -> None:
        pass

    def accept(self, samples: Any, timestamp_ms: int) -> list[Heard | NotUnderstood]:
        out: list[Heard | NotUnderstood] = []
        while self.script and self.script[0][0] <= timestamp_ms:
            _, intent = self.script.pop(0)
            self.heard_in.append((intent, self.context))
            out.append(Heard(intent, intent, 0.95, timestamp_ms - 400, timestamp_ms))
        return out


@dataclass
class CoachEngine:
    """Asks the symptom question, announces the next exercise, counts a short hold."""

    events: list[Event] = field(default_factory=list)
    utterance: int = 0

    def _say(self, text: str, cacheable: bool = False) -> Say:
        self.utterance += 1
        return Say(text, self.utterance, cacheable)

    def start(self) -> list[Action]:
        self.question = self._say("Is the leg pain better, worse or the same?")
        return [LogEntry("session_started", 0, {"routine": "test"}), self.question]

    def handle(self, event: Event) -> list[Action]:
        self.events.append(event)
        if isinstance(event, SpeechFinished) and event.utterance_id == self.question.utterance_id:
            return [Listen("symptom")]
        if isinstance(event, Heard) and event.intent == "better":
            self.hold = self._say("Good. Next: prone props. Hold.")
            return [Listen("command"), LogEntry("rating", 1, {"answer": "better"}), self.hold]
        if isinstance(event, SpeechFinished) and event.utterance_id == self.hold.utterance_id:
            return [StartTimer("relax", event.timestamp_ms + 3000)]
        if isinstance(event, TimerFired):
            return [self._say("Relax.", cacheable=True), End("completed", "done")]
        if isinstance(event, Heard) and event.intent in ("stop", "pause"):
            return [End("stopped_by_user", "the user said stop")]
        if isinstance(event, Interrupted):
            return [LogEntry("session_ended", 9, {"outcome": "stopped_by_user"})]
        return []


class ListJournal:
    def __init__(self) -> None:
        self.entries: list[LogEntry] = []

    def record(self, entry: LogEntry) -> None:
        self.entries.append(entry)


def _runtime(
    script: list[tuple[int, str]], seconds: float = 30, source: Any = None
) -> tuple[Runtime, VirtualClock, RecordingSpeaker, CoachEngine, ListJournal, list[str]]:
    clock = VirtualClock()
    speaker = RecordingSpeaker(clock, rate_wpm=150)
    engine = CoachEngine()
    journal = ListJournal()
    captions: list[str] = []
    samples = dither(int(seconds * 16000), seed=1)
    runtime = Runtime(
        source=source or WavFileSource(samples=samples, clock=clock, realtime=True),
        recognizer=ScriptedRecognizer(script),
        speaker=speaker,
        engine=engine,
        clock=clock,
        journal=journal,
        caption=lambda who, text: captions.append(f"{who}: {text}"),
    )
    return runtime, clock, speaker, engine, journal, captions


def test_answer_is_heard_and_the_next_exercise_announced() -> None:
    runtime, _clock, speaker, engine, journal, captions = _runtime([(5000, "better")])
    assert runtime.run() == "completed"
    assert speaker.said == [
        "Is the leg pain better, worse or the same?",
        "Good. Next: prone props. Hold.",
        "Relax.",
    ]
    assert "coach: Good. Next: prone props. Hold." in captions
    assert [e.kind for e in journal.entries] == ["session_started", "rating"]
    # the hold timer fired on the clock, 3 s after the speech before it really ended
    hold_end = next(
        e.timestamp_ms
        for e in engine.events
        if isinstance(e, SpeechFinished) and e.utterance_id == 2
    )
    fired = next(e for e in engine.events if isinstance(e, TimerFired))
    assert fired.timestamp_ms - hold_end == 3000


def test_coach_never_hears_itself_but_stop_barges_in() -> None:
    # "better" while the question is still being spoken is ignored (self-hearing);
    # "stop" while it speaks cuts it off and reaches the engine at once.
    runtime, _clock, speaker, engine, _journal, _ = _runtime([(500, "better"), (1500, "stop")])
    assert runtime.run() == "stopped_by_user"
    assert not any(isinstance(e, Heard) and e.intent == "better" for e in engine.events)
    assert speaker.interrupted == [1]
    stop = next(e for e in engine.events if isinstance(e, Heard))
    assert stop.intent == "stop"
    finished = next(e for e in engine.events if isinstance(e, SpeechFinished))
    assert finished.interrupted and finished.timestamp_ms < 2000


def test_ctrl_c_ends_cleanly_and_keeps_the_journal() -> None:
    runtime, _clock, _speaker, engine, journal, _ = _runtime([])
    stop = threading.Event()
    stop.set()
    assert runtime.run(stop) is None
    assert runtime.interrupted
    assert isinstance(engine.events[-1], Interrupted)
    assert [e.kind for e in journal.entries] == ["session_started", "session_ended"]


class FlakyMicrophone:
    """Works, is unplugged after 2 s, refuses to open twice, then works again."""

    name = "microphone 'usb'"
    sample_rate = 16000

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self.opens = 0
        self.refusals = 2
        self.lost_at = 2000

    def start(self) -> None:
        self.opens += 1
        if self.opens > 1 and self.refusals:
            self.refusals -= 1
            raise AudioDeviceError("microphone 'usb' was not found")

    def stop(self) -> None:
        pass

    def read(self, timeout_s: float) -> Frame | None:
        self.clock.advance(20)
        if self.opens == 1 and self.clock.now_ms() >= self.lost_at:
            raise DeviceLostError("microphone 'usb' stopped working")
        return Frame(np.zeros(320, dtype=np.int16), self.clock.now_ms() - 20)


def test_unplugged_microphone_pauses_and_carries_on() -> None:
    clock = VirtualClock()
    source = FlakyMicrophone(clock)
    runtime, _clock2, _speaker, engine, _journal, captions = _runtime([(9000, "better")])
    runtime.source = source
    runtime.clock = clock
    runtime.speaker = RecordingSpeaker(clock)
    assert runtime.run(max_ms=20_000) == "completed"
    kinds = [type(e) for e in engine.events]
    assert kinds.index(DeviceLost) < kinds.index(DeviceRestored)
    assert any("stopped working" in c and c.startswith("system") for c in captions)
    assert any(c == "system: microphone 'usb' is back." for c in captions)
    assert source.opens == 4


def test_captions_print_what_is_said_and_quiet_hides_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from assistant.runtime.captions import printer

    printer(quiet=False)("coach", "Hold for ten seconds.")
    printer(quiet=True)("coach", "Relax.")
    printer(quiet=True)("system", "microphone 'usb' stopped working")
    out, err = capsys.readouterr()
    assert "Coach: Hold for ten seconds." in out and "Relax" not in out
    assert "microphone 'usb' stopped working" in err  # problems are always shown


def test_the_barge_in_spotter_cuts_the_coach_off_soon_after_stop() -> None:
    """The real spotter as the barge-in recognizer: "stop" said while the question
    is being spoken cuts it off soon after the word ends (on the virtual clock)."""
    from assistant.asr.spotter import BargeInSpotter
    from assistant.audioio import read_audio
    from assistant.bench.fixtures import read_manifest
    from assistant.paths import fixtures_dir

    stop = read_audio(fixtures_dir() / "answers/stop_en-us.wav")
    samples = dither(8 * 16000, seed=1)
    at = 16000  # the clip starts 1 s in, while the question is being said
    samples[at : at + stop.size] = stop
    [row] = [r for r in read_manifest() if r.file == "answers/stop_en-us.wav"]
    end_ms = 1000 + row.speech_end_ms
    clock = VirtualClock()
    speaker = RecordingSpeaker(clock, rate_wpm=150)
    engine = CoachEngine()
    captions: list[str] = []
    runtime = Runtime(
        source=WavFileSource(samples=samples, clock=clock, realtime=True),
        recognizer=ScriptedRecognizer([]),
        speaker=speaker,
        engine=engine,
        clock=clock,
        barge_in=BargeInSpotter(),
        caption=lambda who, text: captions.append(f"{who}: {text}"),
    )
    assert runtime.run() == "stopped_by_user"
    assert speaker.interrupted == [1]
    assert "you: stop (stop, barge-in)" in captions
    finished = next(e for e in engine.events if isinstance(e, SpeechFinished))
    assert finished.interrupted
    # decided from the audio, frames handled as they come: well within 300 ms
    assert end_ms - 100 <= finished.timestamp_ms <= end_ms + 200, (end_ms, finished)


@dataclass
class TwoLines:
    """Says two lines in one go (the second queues behind the first), then ends."""

    done: int = 0

    def start(self) -> list[Action]:
        return [Say("A first line that takes a good few seconds to say.", 1), Say("Second.", 2)]

    def handle(self, event: Event) -> list[Action]:
        if isinstance(event, SpeechFinished):
            self.done += 1
            if self.done == 2:
                return [End("completed", "done")]
        return []


def test_a_caption_appears_when_its_line_starts_playing_not_when_queued() -> None:
    clock = VirtualClock()
    speaker = RecordingSpeaker(clock, rate_wpm=150)
    shown: list[tuple[int, str]] = []
    runtime = Runtime(
        source=WavFileSource(samples=dither(10 * 16000, seed=1), clock=clock, realtime=True),
        recognizer=ScriptedRecognizer([]),
        speaker=speaker,
        engine=TwoLines(),
        clock=clock,
        caption=lambda who, text: shown.append((clock.now_ms(), text)),
    )
    assert runtime.run() == "completed"
    second = speaker.lines[1]
    assert [text for _, text in shown] == [line.text for line in speaker.lines]
    shown_at = dict((text, at) for at, text in shown)
    assert second.start_ms > 3000
    # shown once it plays (within a loop turn), not at 0 ms when it was queued
    assert second.start_ms <= shown_at["Second."] <= second.start_ms + 100


def test_a_stop_only_whisper_hears_cuts_in_once_and_the_loop_never_waits_for_it() -> None:
    """Beside Whisper the spotter asks it about the plain British "stop" (which
    PocketSphinx turns down) in a thread of its own, on the real clock: the coach
    is cut off, once, and the loop went on handling frames while Whisper weighed
    the word (no frame waited behind the check)."""
    from assistant.asr import whisper_engine
    from assistant.asr.spotter import BargeInSpotter
    from assistant.asr.spotter_check import WhisperCheck
    from assistant.audioio import read_audio
    from assistant.clock import MonotonicClock
    from assistant.paths import fixtures_dir

    check = WhisperCheck(whisper_engine.locate({}).model)
    spotter = BargeInSpotter(check=check, background=True)
    stop = read_audio(fixtures_dir() / "phrases/command/stop__en-gb.flac")
    samples = dither(6 * 16000, seed=1)
    samples[16000 : 16000 + stop.size] = stop  # 1 s in, while the question is said
    clock = MonotonicClock()
    source = _Watched(WavFileSource(samples=samples, clock=clock, realtime=True), spotter)
    speaker = RecordingSpeaker(clock, rate_wpm=150)
    engine = CoachEngine()
    captions: list[str] = []
    runtime = Runtime(
        source=source,
        recognizer=ScriptedRecognizer([]),
        speaker=speaker,
        engine=engine,
        clock=clock,
        barge_in=spotter,
        caption=lambda who, text: captions.append(f"{who}: {text}"),
    )
    assert runtime.run(max_ms=20_000) == "stopped_by_user"
    assert speaker.interrupted == [1]
    assert captions.count("you: stop (stop, barge-in)") == 1, captions
    assert [e.intent for e in engine.events if isinstance(e, Heard)] == ["stop"]
    assert spotter.last_verdict.reason == "whisper", spotter.last_verdict
    assert spotter.rescuer is not None and spotter.rescuer.wait(0)  # closed with the run
    # The loop took frames from the microphone while Whisper weighed the word: in
    # the loop's own thread the check held every frame back by its whole time.
    assert source.during_check >= 1


class _Watched:
    """A source that counts the frames the loop took while the spotter's Whisper
    check was running."""

    def __init__(self, source: WavFileSource, spotter: Any) -> None:
        self.source = source
        self.name = source.name
        self.spotter = spotter
        self.during_check = 0

    def start(self) -> None:
        self.source.start()

    def stop(self) -> None:
        self.source.stop()

    def read(self, timeout_s: float) -> Frame | None:
        frame = self.source.read(timeout_s)
        self.during_check += frame is not None and self.spotter.rescuer.busy
        return frame
