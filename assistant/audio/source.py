"""Audio sources: frames of 16 kHz mono int16 with the clock time of their first sample.

``MicrophoneSource`` reads a sounddevice input stream (its callback only puts
frames on a queue); ``WavFileSource`` replays a file through the same interface,
in real time or as fast as it is read.
"""

from __future__ import annotations

import functools
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..audioio import dither, read_audio
from ..clock import Clock
from ..errors import AssistantError, AudioDeviceError
from .devices import describe_device, quiet_stderr, resolve_device, sd
from .streams import OPEN_TIMEOUT_S, StreamTimeout, bounded, close_stream, close_within

__all__ = [
    "SAMPLE_RATE",
    "BLOCK_MS",
    "Frame",
    "AudioSource",
    "DeviceLostError",
    "MicrophoneSource",
    "WavFileSource",
    "dither",
    "fill_dropouts",
]

SAMPLE_RATE = 16000
BLOCK_MS = 20
#: A running stream that delivers nothing for this long has lost its device.
STALL_MS = 1500
#: An ADC time further back than this is not believed (some host APIs report junk).
MAX_ADC_AGE_MS = 1000


@dataclass(frozen=True)
class Frame:
    samples: npt.NDArray[np.int16]
    timestamp_ms: int


class DeviceLostError(AudioDeviceError):
    """A source that was working stopped (unplugged, taken by another program)."""


class AudioSource(Protocol):
    name: str
    sample_rate: int

    def start(self) -> None:
        """Open the device; ``AudioDeviceError`` naming it if that fails."""
        ...

    def stop(self) -> None: ...

    def read(self, timeout_s: float) -> Frame | None:
        """The next frame, or ``None`` if none came within ``timeout_s``.

        Raises ``DeviceLostError`` when the device went away, or ``EOFError`` when a
        finite source is exhausted.
        """
        ...


#: Runs of this many exact zeros are a dropout, not a quiet room.
DROPOUT_SAMPLES = 32


def fill_dropouts(
    samples: npt.NDArray[np.int16], noise: npt.NDArray[np.int16]
) -> npt.NDArray[np.int16]:
    """Replace dropouts (runs of exact digital silence: a stream starting, a buffer
    underrun, a muted device) with faint noise.  No real room is that quiet;
    recognizers misread it and a noise-floor tracker sinks to it and then takes
    the room's own noise for speech."""
    zeros = samples == 0
    if np.count_nonzero(zeros) < DROPOUT_SAMPLES:
        return samples
    window = np.ones(DROPOUT_SAMPLES, dtype=np.int32)
    starts = np.convolve(zeros, window, mode="valid") >= DROPOUT_SAMPLES
    if not starts.any():
        return samples
    gaps = np.convolve(starts, window)[: len(samples)] > 0  # every sample of every run
    filled = samples.copy()
    filled[gaps] = noise[: len(samples)][gaps]
    return filled


class MicrophoneSource:
    """A sounddevice input stream on a device given by name or index."""

    def __init__(
        self, clock: Clock, device: str | int | None = None, block_ms: int = BLOCK_MS
    ) -> None:
        self._clock = clock
        self.device_spec = device
        self.name = describe_device(device, "input")
        self.sample_rate = SAMPLE_RATE
        self._block = SAMPLE_RATE * block_ms // 1000
        self._block_ms = block_ms
        self._zero_blocks = 0
        self._queue: queue.SimpleQueue[Frame] = queue.SimpleQueue()
        self._stream: Any = None
        self._resampler: Any = None
        self._generation = 0  # of the stream now open (a stream left behind is older)
        self._device_rate = SAMPLE_RATE
        self._last_frame_ms = 0
        self._lost: str | None = None
        self.latency_ms = 0
        self._dither = dither(SAMPLE_RATE, seed=3).astype(np.int16)
        #: callbacks that reported a problem (input overflow: samples were lost)
        self.overflows = 0

    def start(self) -> None:
        info = resolve_device(self.device_spec, "input")
        self.name = f"microphone '{info.name}'"
        self._lost = None
        self._zero_blocks = 0
        self._generation += 1  # frames of a stream left behind are not this one's
        generation = self._generation
        try:
            stream = bounded(lambda: self._open(info, generation), OPEN_TIMEOUT_S, close_stream)
        except StreamTimeout as exc:
            raise AudioDeviceError(f"{self.name} did not start ({exc}); is it busy?") from exc
        if self._device_rate != SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(self._device_rate, SAMPLE_RATE, 1, "int16")
        self._stream = stream
        self.latency_ms = int(float(stream.latency) * 1000)
        self._last_frame_ms = self._clock.now_ms()

    def _open(self, info: Any, generation: int) -> Any:
        """A started input stream on ``info`` (in a thread of its own: it may hang)."""
        module = sd()
        stream = None
        last_error: Exception | None = None
        for rate in (SAMPLE_RATE, int(info.default_samplerate)):
            try:
                with quiet_stderr():
                    stream = module.InputStream(
                        device=info.index,
                        samplerate=rate,
                        channels=1,
                        dtype="int16",
                        blocksize=self._block * rate // SAMPLE_RATE,
                        latency="low",
                        callback=functools.partial(self._callback, generation),
                        finished_callback=functools.partial(self._on_finished, generation),
                    )
                self._device_rate = rate
                break
            except module.PortAudioError as exc:
                last_error = exc
        if stream is None:
            raise AudioDeviceError(
                f"cannot open {self.name} ({last_error}); is it busy or unplugged?"
            )
        try:
            stream.start()
        except module.PortAudioError as exc:
            close_stream(stream)
            raise AudioDeviceError(f"cannot start {self.name} ({exc}); is it busy?") from exc
        return stream

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        self._generation += 1
        if stream is not None:
            close_within(stream)  # one that hangs is left behind: a new one is opened

    def _callback(
        self, generation: int, indata: Any, frames: int, time_info: Any, status: Any
    ) -> None:
        if generation != self._generation:
            return
        samples = np.array(indata[:, 0], dtype=np.int16)
        now = self._clock.now_ms()
        if status:
            self.overflows += 1
        self._zero_blocks = 0 if samples.any() else self._zero_blocks + 1
        samples = fill_dropouts(samples, self._dither)
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples)
        self._queue.put(Frame(samples, now - self._age_ms(time_info, len(samples))))

    def _age_ms(self, time_info: Any, samples: int) -> int:
        """How long ago this block's first sample was captured: PortAudio's ADC time
        of the block (the player stamps with its DAC time, so the two ends agree),
        else the stream's reported latency plus the block itself."""
        adc = float(getattr(time_info, "inputBufferAdcTime", 0.0) or 0.0)
        current = float(getattr(time_info, "currentTime", 0.0) or 0.0)
        age_ms = (current - adc) * 1000
        if adc and current and 0 <= age_ms < MAX_ADC_AGE_MS:
            return round(age_ms)
        return self.latency_ms + samples * 1000 // SAMPLE_RATE

    def _on_finished(self, generation: int) -> None:
        if generation == self._generation and self._lost is None:
            self._lost = f"{self.name} stopped working (unplugged or taken by another program)"

    def read(self, timeout_s: float) -> Frame | None:
        try:
            frame = self._queue.get(timeout=max(0.0, timeout_s))
        except queue.Empty:
            frame = None
        now = self._clock.now_ms()
        if frame is not None and self._zero_blocks * self._block_ms <= STALL_MS:
            self._last_frame_ms = now
            return frame
        if frame is not None:
            frame = None
        if self._stream is None:
            raise DeviceLostError(f"{self.name} is not open")
        if self._lost is None and not self._stream.active:
            self._lost = f"{self.name} stopped working (unplugged or taken by another program)"
        if self._lost is None and now - self._last_frame_ms > STALL_MS:
            self._lost = f"{self.name} sends no sound any more (unplugged or busy?)"
        if self._lost is None and self._zero_blocks * self._block_ms > STALL_MS:
            self._lost = f"{self.name} sends only silence (muted or unplugged?)"
        if self._lost is not None:
            raise DeviceLostError(self._lost)
        return None


class WavFileSource:
    """A WAV file read as microphone frames.

    ``realtime=True`` paces frames on the clock like a microphone would; otherwise
    they come as fast as they are read, stamped with the file's own time from
    ``start_ms``.  After the file, ``tail_s`` seconds of dither follow (``None``:
    forever), then ``EOFError``.
    """

    def __init__(
        self,
        path: Path | None = None,
        clock: Clock | None = None,
        *,
        samples: npt.NDArray[np.int16] | None = None,
        realtime: bool = False,
        tail_s: float | None = 0.0,
        start_ms: int = 0,
        block_ms: int = BLOCK_MS,
        loader: Callable[[Path], npt.NDArray[np.int16]] | None = None,
    ) -> None:
        if samples is None:
            if path is None:
                raise ValueError("give a path or samples")
            samples = (loader or load_wav_16k)(path)
        self.name = f"file '{path}'" if path else "samples"
        self.sample_rate = SAMPLE_RATE
        self._samples = np.asarray(samples, dtype=np.int16)
        self._clock = clock
        self._realtime = realtime
        self._tail = None if tail_s is None else int(tail_s * SAMPLE_RATE)
        self._block = SAMPLE_RATE * block_ms // 1000
        self._position = 0
        self._start_ms = start_ms
        self._origin_ms = start_ms

    def start(self) -> None:
        self._position = 0
        if self._realtime and self._clock is not None:
            self._origin_ms = self._clock.now_ms()
        else:
            self._origin_ms = self._start_ms

    def stop(self) -> None:
        pass

    def read(self, timeout_s: float) -> Frame | None:
        total = len(self._samples) + (self._tail if self._tail is not None else 1 << 62)
        if self._position >= total:
            raise EOFError(self.name)
        timestamp = self._origin_ms + self._position * 1000 // SAMPLE_RATE
        if self._realtime and self._clock is not None:
            due = timestamp + self._block * 1000 // SAMPLE_RATE
            now = self._clock.now_ms()
            if due - now > timeout_s * 1000:
                _sleep_until(self._clock, now + int(timeout_s * 1000))
                return None
            _sleep_until(self._clock, due)
        chunk = self._samples[self._position : self._position + self._block]
        if len(chunk) < self._block:
            chunk = np.concatenate([chunk, dither(self._block - len(chunk)).astype(np.int16)])
        self._position += self._block
        return Frame(chunk, timestamp)


def load_wav_16k(path: Path) -> npt.NDArray[np.int16]:
    """Any audio file as 16 kHz mono int16; ``AudioDeviceError`` naming it if unreadable."""
    try:
        return read_audio(path)
    except AssistantError as exc:
        raise AudioDeviceError(str(exc)) from exc


def _sleep_until(clock: Clock, deadline_ms: int) -> None:
    """``clock.sleep_until`` (a virtual clock just jumps), else a real sleep."""
    sleeper = getattr(clock, "sleep_until", None)
    if sleeper is not None:
        sleeper(deadline_ms)
        return
    delay = (deadline_ms - clock.now_ms()) / 1000
    if delay > 0:
        time.sleep(delay)
