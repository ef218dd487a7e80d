"""An answer begun while the coach is finishing its question (issue 13), through the
real runtime: a PulseAudio null-sink microphone and speaker, PocketSphinx, espeak-ng
and the real engine.  Waits are hang guards, not timing assertions."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from assistant.audioio import read_audio
from assistant.bench.pulse import PulseAudio
from assistant.clock import MonotonicClock
from assistant.config import Settings
from assistant.dialog import prompts
from assistant.dialog.engine import Engine
from assistant.dialog.routine import load_routines
from assistant.events import LogEntry, Say
from assistant.paths import fixtures_dir
from assistant.runtime import Runtime, build_voice_runtime
from assistant.tts import Pyttsx3Synth

pytestmark = [pytest.mark.audio, pytest.mark.slow]

FIXTURES = fixtures_dir()
SETTINGS = Settings(
    engine="pocketsphinx", voice="en-us", input_device="pulse", output_device="pulse"
)
#: "What's the difference?" four times over (4.6 s): it begins in the question and
#: ends after it even when the coach's speech ends two seconds off the prediction
#: (a busy machine).
LONG_ANSWER = "phrases/routine/whats-the-difference__en-us-klatt2.flac"
REPEATS = 4
#: How far before the (predicted) end of the question the words start.
EARLY_S = 2.0


def _long_answer() -> np.ndarray:
    clip = read_audio(FIXTURES / LONG_ANSWER)
    loud = np.flatnonzero(np.abs(clip) > 1000)
    words = clip[loud[0] : loud[-1]]
    gap = clip[: int(0.15 * 16000)]  # its own quiet: one utterance, not two
    middle = [part for _ in range(REPEATS) for part in (words, gap)][:-1]
    return np.concatenate([clip[: loud[0]], *middle, clip[loud[-1] :]])


def _wait(condition: Callable[[], object], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@dataclass
class Session:
    """The routine question (one sentence: its end is known from its start)."""

    pulse: PulseAudio
    runtime: Runtime
    clock: MonotonicClock
    actions: list[object]
    captions: list[str]
    players: list[subprocess.Popen[bytes]] = field(default_factory=list)
    synth: Pyttsx3Synth = field(
        default_factory=lambda: Pyttsx3Synth(SETTINGS.voice, SETTINGS.rate_wpm, SETTINGS.volume)
    )

    def said(self) -> list[Say]:
        return [a for a in self.actions if isinstance(a, Say)]

    def logged(self) -> list[LogEntry]:
        return [a for a in self.actions if isinstance(a, LogEntry)]

    def play_over_the_end_of(self, line: Say, clip: np.ndarray) -> None:
        """Start ``clip``'s words ``EARLY_S`` before ``line`` ends playing."""
        started = self.runtime.speaker.started_ms
        assert _wait(lambda: line.utterance_id in started, 30), self.captions
        line_s = sum(len(a.samples) / a.sample_rate for a in self.synth.chunks(line.text))
        lead_s = float((np.abs(clip) > 1000).argmax()) / 16000  # quiet before the words
        end_s = started[line.utterance_id] / 1000 + line_s
        time.sleep(max(0.0, end_s - EARLY_S - lead_s - self.clock.now_ms() / 1000))
        self.players.append(self.pulse.play_into_mic(clip, wait=False))

    def answer_when_quiet(self, line: Say, clip: np.ndarray) -> None:
        assert _wait(lambda: line.utterance_id in self.runtime.speaker.started_ms, 30)
        assert _wait(lambda: not self.runtime.speaker.speaking, 30), self.captions
        time.sleep(0.4)
        self.players.append(self.pulse.play_into_mic(clip, wait=False))


def _changed(session: Session, line: Say) -> Callable[[], bool]:
    return lambda: session.said()[-1] != line


@pytest.fixture
def session(pulse: PulseAudio) -> Iterator[Session]:
    clock = MonotonicClock()
    captions: list[str] = []
    actions: list[object] = []
    engine = Engine(load_routines(), clock, safety_check=False, ask_rating=False)
    runtime = build_voice_runtime(
        SETTINGS,
        lambda who, text: captions.append(f"{who}: {text}"),
        clock=clock,
        engine=engine,
        observer=lambda kind, item, now: actions.append(item),
    )
    stop = threading.Event()
    thread = threading.Thread(target=runtime.run, args=(stop,))
    thread.start()
    live = Session(pulse, runtime, clock, actions, captions)
    try:
        yield live
    finally:
        stop.set()
        thread.join(timeout=30)
        runtime.speaker.close()
        for player in live.players:
            player.wait(timeout=10)


def test_an_answer_begun_over_the_question_is_asked_for_again(session: Session) -> None:
    assert _wait(session.said, 30)
    line = session.said()[0]
    assert line.text == prompts.routine_question(list(load_routines()))
    clip = _long_answer()
    silence_reprompts = (prompts.NO_ANSWER_HEARD, prompts.ARE_YOU_THERE)
    for _ in range(3):  # (the coach's speech can lag on a busy machine: try again, then)
        session.play_over_the_end_of(line, clip)
        assert _wait(_changed(session, line), 12), session.captions
        line = session.said()[-1]
        # never taken for what was heard of it (nothing chosen, nothing explained) ...
        assert session.logged() == [], session.captions
        if line.text.startswith(prompts.ONE_MOMENT):
            break
        # ... and otherwise only missed when it ended while the coach still spoke
        assert line.text.startswith(silence_reprompts), session.captions
    assert line.text.startswith(prompts.ONE_MOMENT), session.captions
    # the answer given after the question is taken (said again if not caught, as a
    # person would: PocketSphinx does not catch every clip)
    stretches = read_audio(FIXTURES / "phrases/routine/stretches__en-us-klatt2.flac")
    for _ in range(3):
        session.answer_when_quiet(line, stretches)
        _wait(_changed(session, line), 15)
        line = session.said()[-1]
        if _wait(session.logged, 1):
            break
    assert session.logged(), session.captions
    started = session.logged()[0]
    assert (started.kind, started.data["routine"]) == ("session_started", "stretches")
