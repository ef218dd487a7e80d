"""``backcoach devices --test``: is the microphone good enough for the coach?

Records a few seconds while the person says "hello" or "better", shows the level
as a meter, then says in plain words whether the room is too noisy or the
microphone too quiet, and what the recogniser made of it.  When the microphone
hears nothing at all, each other input is tried for a moment and the first that
hears sound is named.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from ..asr.protocol import Recognizer

__all__ = [
    "Assessment",
    "assess",
    "first_session",
    "frame_levels",
    "heard",
    "mark_checked",
    "meter",
    "offer",
    "record",
    "working_input",
]

FRAME = 320  # 20 ms at 16 kHz
#: Under this the input is dead (muted, unplugged, or the wrong device): a real
#: microphone in a quiet room still hears about -60 dBFS of its own noise.
SILENT_DB = -62.0
#: Speech peaks under this are too faint for the recogniser to be sure.
QUIET_DB = -40.0
#: A room noise floor over this, or speech less than ``MIN_SNR_DB`` above it, is noisy.
NOISY_DB = -42.0
MIN_SNR_DB = 12.0


def frame_levels(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.float64]:
    """dBFS of each 20 ms frame."""
    usable = samples[: len(samples) // FRAME * FRAME].astype(np.float64)
    if not usable.size:
        return np.array([-96.0])
    rms = np.sqrt((usable.reshape(-1, FRAME) ** 2).mean(axis=1))
    return np.asarray(20 * np.log10(np.maximum(rms, 1.0) / 32768.0))


@dataclass(frozen=True)
class Assessment:
    floor_db: float  # the room, between words
    speech_db: float  # the loudest part (speech, when someone spoke)
    problem: str | None  # "silent" | "quiet" | "noisy" | None
    advice: str

    @property
    def snr_db(self) -> float:
        return self.speech_db - self.floor_db


def assess(samples: npt.NDArray[np.int16]) -> Assessment:
    """What the recording says about the microphone and the room."""
    levels = frame_levels(samples)
    floor = float(np.percentile(levels, 10))
    speech = float(np.percentile(levels, 97))
    if speech < SILENT_DB:
        return Assessment(
            floor,
            speech,
            "silent",
            "The microphone hears nothing at all: it may be muted, unplugged, or not "
            "the one you speak into.",
        )
    if floor > NOISY_DB or speech - floor < MIN_SNR_DB:
        return Assessment(
            floor,
            speech,
            "noisy",
            f"The room is too noisy: speech is only {speech - floor:.0f} dB above the "
            "background. Turn off fans, music or the TV, or move the microphone closer.",
        )
    if speech < QUIET_DB:
        return Assessment(
            floor,
            speech,
            "quiet",
            f"The microphone is too quiet (your voice peaks at {speech:.0f} dBFS): raise its "
            "input volume in the sound settings, or put it closer to where you lie.",
        )
    return Assessment(
        floor, speech, None, f"Good: your voice is {speech - floor:.0f} dB above the room."
    )


def meter(db: float, width: int = 40) -> str:
    """A level meter from -70 to 0 dBFS, in block characters."""
    filled = round(float(np.clip((db + 70) / 70, 0, 1)) * width)
    return "█" * filled + "░" * (width - filled)


def record(
    device: str | int | None,
    seconds: float,
    on_level: Callable[[float], None] | None = None,
    on_start: Callable[[], None] | None = None,
) -> npt.NDArray[np.int16]:
    """``seconds`` of 16 kHz audio from ``device`` (``AudioDeviceError`` if it cannot);
    ``on_start`` once the first sound has come in (say "speak now" then, not before)."""
    from ..audio.source import DeviceLostError, MicrophoneSource
    from ..clock import MonotonicClock

    clock = MonotonicClock()
    source = MicrophoneSource(clock, device)
    source.start()
    chunks: list[npt.NDArray[np.int16]] = []
    end = clock.now_ms() + int(seconds * 1000)
    try:
        while clock.now_ms() < end:
            try:
                frame = source.read(0.1)
            except DeviceLostError:
                frame = None  # a dead input: what was heard so far is silence
            if frame is None:
                continue
            if not chunks and on_start is not None:
                on_start()
            chunks.append(frame.samples)
            if on_level is not None:
                on_level(float(frame_levels(frame.samples).max()))
    finally:
        source.stop()
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def heard(samples: npt.NDArray[np.int16], recognizer: Recognizer) -> str:
    """What the recogniser made of the loudest utterance, in words for a person."""
    from ..asr.protocol import decode_clip
    from ..events import Heard

    result = decode_clip(recognizer, samples, "symptom")
    if isinstance(result, Heard):
        return f"'{result.text}' → {result.intent} ({result.confidence:.0%} sure)"
    if result.text or result.end_ms > result.start_ms:
        said = f" ('{result.text}')" if result.text else ""
        return (
            f"speech{said}, but none of the coach's answers: right for 'hello'; "
            "say 'better' to hear it understood"
        )
    return "no words (say 'hello' or 'better' while it records)"


def working_input(
    skip: str | int | None, seconds: float = 0.8
) -> tuple[tuple[str, float] | None, list[str]]:
    """The first other input device that hears sound, with its level (dBFS), and
    the names of the inputs tried."""
    from ..audio.devices import list_devices
    from ..errors import AudioDeviceError

    tried = []
    for device in list_devices():
        if not device.input_channels or skip in (device.name, device.index):
            continue
        if skip is None and device.default_input:
            continue  # that is the one just found silent
        tried.append(device.name)
        try:
            samples = record(device.index, seconds)
        except AudioDeviceError:
            continue
        level = float(np.percentile(frame_levels(samples), 97))
        if level >= SILENT_DB:
            return (device.name, level), tried
    return None, tried


def _marker() -> Path:
    from ..paths import data_dir

    return data_dir() / "microphone-checked"


def mark_checked() -> None:
    """The microphone has been checked: the first session need not offer it."""
    with contextlib.suppress(OSError):
        _marker().parent.mkdir(parents=True, exist_ok=True)
        _marker().touch()


def first_session() -> bool:
    """No voice session has started yet, and the microphone was never checked."""
    return not _marker().exists()


def offer(say: Callable[[str], None]) -> None:
    """Before the first voice session (once), where it cannot ask: say how to check
    the microphone (on a terminal, ``commands.devices.offer_check`` asks)."""
    if not first_session():
        return
    say(
        "First voice session: if the coach may not hear you, check the microphone first "
        "with 'backcoach devices --test' (4 seconds)."
    )
    mark_checked()
