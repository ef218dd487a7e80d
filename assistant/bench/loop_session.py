"""What every ``bench loop`` measurement shares: an in-process voice runtime on the
private PulseAudio, and a tap on its microphone that keeps each frame's level, so a
figure can start at the end of the user's speech as the microphone heard it.

Apart from ``loop.py`` so that each measurement module needs only this, not the CLI.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..audio.source import Frame
from ..config import Settings
from ..events import Listen
from .engine import BenchEngine
from .pulse import PulseAudio

LOUD = 300  # int16 RMS of a frame (10-20 ms) that counts as speech (noise floor is ~10)


class Tap:
    """Wraps the microphone: keeps (timestamp, end, RMS) of every frame."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.name = source.name
        self.sample_rate = source.sample_rate
        self.levels: list[tuple[int, int, float]] = []

    def start(self) -> None:
        self.source.start()

    def stop(self) -> None:
        self.source.stop()

    def read(self, timeout_s: float) -> Frame | None:
        frame: Frame | None = self.source.read(timeout_s)
        if frame is not None:
            rms = float(np.sqrt(np.mean(frame.samples.astype(np.float64) ** 2)))
            end = frame.timestamp_ms + frame.samples.size * 1000 // self.sample_rate
            self.levels.append((frame.timestamp_ms, end, rms))
        return frame

    def speech_end_before(self, t_ms: int, after_ms: int) -> int | None:
        """End of the last loud frame in (after_ms, t_ms)."""
        ends = [end for ts, end, rms in self.levels if after_ms < ts < t_ms and rms > LOUD]
        return max(ends) if ends else None


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


@dataclass
class Session:
    """An in-process voice runtime on the private PulseAudio, run in a thread."""

    pulse: PulseAudio
    engine: BenchEngine
    settings: Settings
    events: list[tuple[str, object, int]] = field(default_factory=list)
    #: lines rendered before the session starts (the replies it will time)
    warm: Sequence[str] = ()

    def __post_init__(self) -> None:
        from ..clock import MonotonicClock
        from ..runtime import build_voice_runtime

        self.clock = MonotonicClock()
        #: ``time.monotonic()`` when the clock read 0 (to line up with recordings)
        self.origin = time.monotonic() - self.clock.now_ms() / 1000
        self.engine.clock = self.clock
        self.runtime = build_voice_runtime(
            self.settings,
            None,
            clock=self.clock,
            engine=self.engine,
            observer=self._observe,
            ahead=False,  # the bench's own lines are rendered before it starts (``warm``)
        )
        synth: Any = getattr(self.runtime.speaker, "synth", None)  # a VoiceSpeaker's
        for text in self.warm if synth is not None else ():
            synth.warm_one(text)
        # The recognizer loads at once, as before the first word waited for it: the
        # idle and hold benches say nothing first, and their figures start after 1 s.
        first_words = getattr(self.runtime.speaker, "first_handed", None)
        if first_words is not None:
            first_words.set()
        self.tap = Tap(self.runtime.source)
        self.runtime.source = self.tap
        self.listening = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.runtime.run, args=(self.stop,), daemon=True)

    def _observe(self, kind: str, item: object, now_ms: int) -> None:
        self.events.append((kind, item, now_ms))
        if isinstance(item, Listen):
            if item.context == self.engine.context:
                self.listening.set()
            else:
                self.listening.clear()

    def __enter__(self) -> Session:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.runtime.speaker.close()

    @property
    def speaker(self) -> Any:
        return self.runtime.speaker

    def play(self, clip: npt.NDArray[np.int16]) -> None:
        self.pulse.play_into_mic(clip)


def read_clips(names: Sequence[str]) -> list[npt.NDArray[np.int16]]:
    from ..audioio import read_audio
    from ..paths import fixtures_dir

    return [read_audio(fixtures_dir() / name) for name in names]
