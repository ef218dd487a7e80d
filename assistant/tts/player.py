"""Interruptible playback through one sounddevice output stream.

The stream stays open for the whole session and plays silence between
utterances, so an utterance starts within one block and a barge-in cuts it
within the device latency.  Utterances queue: each starts when the one before
it has been played.  The callback only copies samples
and notes, on the injected clock, when the first and the last sample reach the
speaker (PortAudio's DAC time), so ``SpeechFinished`` carries the real end time.
"""

from __future__ import annotations

import collections
import queue
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..audio.devices import describe_device, quiet_stderr, resolve_device, sd
from ..audio.streams import StreamTimeout, close_within, start_within
from ..clock import Clock
from ..errors import AudioDeviceError
from .synth import Audio

__all__ = ["PlaybackEvent", "SoundDevicePlayer"]


#: (utterance id, samples, start at, first piece, last piece)
_Piece = tuple[int, npt.NDArray[np.int16], int | None, bool, bool]


@dataclass(frozen=True)
class PlaybackEvent:
    """``kind`` is ``started`` (first sample audible) or ``finished`` (last sample)."""

    kind: str
    utterance_id: int
    timestamp_ms: int
    interrupted: bool = False


class SoundDevicePlayer:
    def __init__(
        self,
        clock: Clock,
        device: str | int | None = None,
        sample_rate: int = 22050,
        block_ms: int = 10,
    ) -> None:
        self._clock = clock
        self.device_spec = device
        self.device_name = describe_device(device, "output")
        self.sample_rate = sample_rate
        self._blocksize = max(64, sample_rate * block_ms // 1000)
        self._lock = threading.Lock()
        self._samples: npt.NDArray[np.int16] | None = None
        self._queue: collections.deque[_Piece] = collections.deque()
        self._position = 0
        self._utterance = 0
        self._last_piece = True
        #: an utterance some of whose pieces are still to come (rendered a sentence at a time)
        self._open: int | None = None
        self._events: queue.SimpleQueue[PlaybackEvent] = queue.SimpleQueue()
        self._stream: Any = None
        self._lost: str | None = None
        self.latency_ms = 0

    # ------------------------------------------------------------- lifecycle

    def open(self) -> None:
        """Open the output stream; ``AudioDeviceError`` naming the device if it cannot."""
        module = sd()
        info = resolve_device(self.device_spec, "output")
        self.device_name = f"speaker '{info.name}'"
        try:
            with quiet_stderr():
                stream = module.OutputStream(
                    device=info.index,
                    samplerate=self.sample_rate,
                    channels=1,
                    dtype="int16",
                    blocksize=self._blocksize,
                    latency="low",
                    callback=self._callback,
                    finished_callback=self._on_finished,
                )
            start_within(stream)  # Pa_StartStream can hang on a dying sound server
        except (module.PortAudioError, StreamTimeout) as exc:
            raise AudioDeviceError(
                f"cannot play through {self.device_name} ({exc}); is it busy or unplugged?"
            ) from exc
        self._stream = stream
        self._lost = None
        self.latency_ms = int(float(stream.latency) * 1000)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            close_within(stream)  # on a vanished device it must neither raise nor hang

    @property
    def lost(self) -> str | None:
        """A message when the output device went away since ``open``, else ``None``."""
        if self._lost is None and self._stream is not None and not self._stream.active:
            self._lost = f"{self.device_name} stopped working (unplugged or busy)"
        return self._lost

    # -------------------------------------------------------------- playback

    def play(
        self,
        audio: Audio,
        utterance_id: int,
        start_at_ms: int | None = None,
        *,
        first: bool = True,
        last: bool = True,
    ) -> None:
        """Queue ``audio``: it starts when what is queued before it has played, and
        not before ``start_at_ms`` (clock time at the speaker, sample-accurate).

        An utterance may come in pieces (``first`` / ``last``): one ``started`` at
        its first piece, one ``finished`` after its last, and it stays busy in
        between even if the next piece is late."""
        samples = audio.samples
        if audio.sample_rate != self.sample_rate:
            import soxr

            samples = soxr.resample(samples, audio.sample_rate, self.sample_rate).astype(np.int16)
        with self._lock:
            self._queue.append((utterance_id, samples, start_at_ms, first, last))
            self._open = None if last else utterance_id

    def stop(self) -> None:
        """Barge-in: cut off what is playing and drop what is queued, now."""
        with self._lock:
            cut_ms = self._clock.now_ms() + self.latency_ms
            cut = set()
            if self._samples is not None:
                cut.add(self._utterance)
                self._finish_locked(cut_ms, interrupted=True)
            for utterance_id, *_ in self._queue:
                if utterance_id not in cut:
                    cut.add(utterance_id)
                    self._events.put(PlaybackEvent("finished", utterance_id, cut_ms, True))
            if self._open is not None and self._open not in cut:
                self._events.put(PlaybackEvent("finished", self._open, cut_ms, True))
            self._queue.clear()
            self._open = None

    def end(self, utterance_id: int) -> None:
        """No more pieces of ``utterance_id`` will come: it finishes after what is queued."""
        with self._lock:
            if self._open != utterance_id:
                return
            self._open = None
            if self._queue and self._queue[-1][0] == utterance_id:
                uid, samples, start_at, first, _ = self._queue[-1]
                self._queue[-1] = (uid, samples, start_at, first, True)
            elif self._samples is not None and self._utterance == utterance_id:
                self._last_piece = True
            else:  # its pieces have all been played already
                now = self._clock.now_ms() + self.latency_ms
                self._events.put(PlaybackEvent("finished", utterance_id, now, False))

    def clock_ms(self) -> int:
        """Clock time at which a sample written now is heard."""
        return self._clock.now_ms() + self.latency_ms

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._samples is not None or bool(self._queue) or self._open is not None

    def events(self) -> list[PlaybackEvent]:
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out

    # --------------------------------------------------------------- callback

    def _finish_locked(self, timestamp_ms: int, interrupted: bool) -> None:
        if interrupted or self._last_piece:
            self._events.put(PlaybackEvent("finished", self._utterance, timestamp_ms, interrupted))
        self._samples = None
        self._position = 0

    def _callback(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        now = self._clock.now_ms()
        dac = float(getattr(time, "outputBufferDacTime", 0.0) or 0.0)
        current = float(getattr(time, "currentTime", 0.0) or 0.0)
        # clock time (ms, fractional) at which this block's first sample is heard
        base = now + ((dac - current) * 1000 if dac and current else self.latency_ms)
        rate_ms = self.sample_rate / 1000
        outdata.fill(0)
        filled = 0
        with self._lock:
            while filled < frames:
                if self._samples is None:
                    if not self._queue:
                        break
                    utterance_id, samples, start_at, first, last = self._queue[0]
                    if start_at is not None and first:
                        wait = int((start_at - base) * rate_ms) - filled
                        if wait >= frames - filled:
                            break  # not yet: silence for this block
                        filled += max(0, wait)
                    self._queue.popleft()
                    self._utterance, self._samples = utterance_id, samples
                    self._position = 0
                    self._last_piece = last
                    if first:
                        at = round(base + filled / rate_ms)
                        self._events.put(PlaybackEvent("started", self._utterance, at))
                chunk = self._samples[self._position : self._position + frames - filled]
                outdata[filled : filled + len(chunk), 0] = chunk
                filled += len(chunk)
                self._position += len(chunk)
                if self._position >= len(self._samples):
                    self._finish_locked(round(base + filled / rate_ms), False)

    def _on_finished(self) -> None:
        if self._stream is not None and self._lost is None:
            self._lost = f"{self.device_name} stopped working (unplugged or busy)"
