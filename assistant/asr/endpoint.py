"""Energy-based voice activity detection and endpointing on the audio's own timeline.

Frames of 10 ms.  The noise floor is tracked (fast down, slow up) so stationary
noise does not count as speech; an utterance starts when the frame energy is
``on_db`` above the floor for ``onset_frames`` frames and ends after
``end_silence_ms`` below ``off_db``.  With ``early_end_ms`` set, a ``pause`` event
comes after that much quiet, before the end is decided, so a recognizer can start
decoding while it waits, and with ``commit_ms`` a ``quiet`` event after that much,
when the recognizer may give an answer it is sure of without waiting for the end.
Everything is counted in samples, so replaying a WAV
gives the same segments every time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["EndpointConfig", "Endpointer", "SegmentEvent"]

FRAME = 160  # samples per 10 ms frame at 16 kHz


@dataclass(frozen=True)
class EndpointConfig:
    on_db: float = 7.0
    off_db: float = 4.0
    onset_frames: int = 3
    end_silence_ms: int = 200
    pre_roll_ms: int = 200
    min_speech_ms: int = 90
    max_speech_ms: int = 6000
    floor_rise_db: float = 0.02  # per frame, outside speech
    sample_rate: int = 16000
    early_end_ms: int | None = None  # a ``pause`` event after this much quiet
    commit_ms: int | None = None  # a ``quiet`` event after this much (before the end)
    # ... only for speech this far over the room's noise: in noise, quiet stretches
    # inside a phrase are common (10 dB: 146 of 334 phrases had one over 100 ms)
    commit_snr_db: float = 30.0
    quiet_below_peak_db: float = 40.0  # this far under the utterance's loudest frame is quiet


@dataclass
class SegmentEvent:
    """``start`` (with the pre-roll), ``audio`` (more speech), ``pause`` (quiet for
    ``early_end_ms``: the end may follow), ``quiet`` (still quiet ``commit_ms`` after
    the speech), ``resume`` (speech again after a pause) or ``end`` of an utterance."""

    kind: str
    samples: npt.NDArray[np.int16]
    start_ms: int = 0
    end_ms: int = 0
    speech_ms: int = 0
    decided_ms: int = 0  # when the end was decided (end_ms is the end of the speech)
    end_offset: int = 0  # pause, end: samples from the utterance start to the end of speech


class Endpointer:
    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self.reset()

    def reset(self) -> None:
        cfg = self.config
        self._pending = np.zeros(0, np.int16)
        self._pending_start = 0  # sample index of _pending[0] on the stream timeline
        self._position: int | None = None
        self._floor: float | None = None
        self._history: deque[npt.NDArray[np.int16]] = deque(
            maxlen=max(1, cfg.pre_roll_ms // 10 + cfg.onset_frames)
        )
        self._above = 0
        self._below = 0
        self._in_speech = False
        self._utt_start = 0
        self._speech_frames = 0
        self._last_speech_end = 0
        self._utt_frames = 0
        self._peak = 0.0

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    def _ms(self, sample: int) -> int:
        return sample * 1000 // self.config.sample_rate

    def process(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[SegmentEvent]:
        """Feed samples starting at ``timestamp_ms``; return segment events in order."""
        cfg = self.config
        if self._position is None or not self._pending.size:
            start = timestamp_ms * cfg.sample_rate // 1000
            if self._position is None or abs(start - self._position) > FRAME:
                self._position = start
            self._pending_start = self._position
        data = np.concatenate([self._pending, samples.astype(np.int16, copy=False)])
        events: list[SegmentEvent] = []
        speech_chunk: list[npt.NDArray[np.int16]] = []
        n_frames = data.size // FRAME
        for index in range(n_frames):
            frame = data[index * FRAME : (index + 1) * FRAME]
            frame_start = self._pending_start + index * FRAME
            events.extend(self._frame(frame, frame_start, speech_chunk))
        used = n_frames * FRAME
        self._pending = data[used:].copy()
        self._pending_start += used
        self._position = self._pending_start + self._pending.size
        if speech_chunk and self._in_speech:
            events.append(SegmentEvent("audio", np.concatenate(speech_chunk)))
        return events

    def flush(self) -> list[SegmentEvent]:
        """End of input: close an open utterance."""
        if not self._in_speech:
            return []
        return self._close(self._pending_start)

    def _frame(
        self, frame: npt.NDArray[np.int16], frame_start: int, chunk: list[npt.NDArray[np.int16]]
    ) -> list[SegmentEvent]:
        cfg = self.config
        energy = 10.0 * np.log10(float(np.mean(frame.astype(np.float64) ** 2)) + 1.0)
        if self._floor is None:
            self._floor = energy
        floor = self._floor
        events: list[SegmentEvent] = []
        if not self._in_speech:
            self._history.append(frame)
            self._above = self._above + 1 if energy > floor + cfg.on_db else 0
            if energy < floor:
                self._floor = 0.8 * floor + 0.2 * energy
            elif self._above == 0:
                self._floor = floor + min(cfg.floor_rise_db, energy - floor)
            if self._above >= cfg.onset_frames:
                pre = np.concatenate(list(self._history))
                self._in_speech = True
                self._peak = energy
                self._utt_start = frame_start + FRAME - pre.size
                self._speech_frames = self._above
                self._utt_frames = pre.size // FRAME
                self._below = 0
                self._last_speech_end = frame_start + FRAME
                self._history.clear()
                chunk.clear()
                events.append(
                    SegmentEvent("start", pre, start_ms=self._ms(max(0, self._utt_start)))
                )
            return events
        chunk.append(frame)
        self._utt_frames += 1
        self._peak = max(self._peak, energy)
        # Quiet: near the noise floor, or far under the utterance's loudest sound (a
        # floor learnt from a first frame quieter than the room, or a reverberant
        # tail, would otherwise keep an utterance open for ever).
        if energy > floor + cfg.off_db and energy > self._peak - cfg.quiet_below_peak_db:
            if cfg.early_end_ms is not None and self._below * 10 >= cfg.early_end_ms:
                events.append(SegmentEvent("resume", np.zeros(0, np.int16)))
            self._below = 0
            self._speech_frames += 1
            self._last_speech_end = frame_start + FRAME
        else:
            self._below += 1
            if energy < floor:
                self._floor = 0.9 * floor + 0.1 * energy
        events.extend(self._in_quiet(frame_start + FRAME, floor, chunk))
        return events

    def _in_quiet(
        self, at_sample: int, floor: float, chunk: list[npt.NDArray[np.int16]]
    ) -> list[SegmentEvent]:
        """The pause, quiet and end events due after this frame."""
        cfg = self.config
        events: list[SegmentEvent] = []
        quiet_ms = self._below * 10
        if cfg.early_end_ms is not None and quiet_ms == cfg.early_end_ms:
            # Everything up to this frame first, so the pause marks the audio so far.
            events.append(SegmentEvent("audio", np.concatenate(chunk)))
            chunk.clear()
            events.append(self._event("pause", at_sample))
        if quiet_ms == cfg.commit_ms and self._peak - floor >= cfg.commit_snr_db:
            events.append(self._event("quiet", at_sample))
        if quiet_ms >= cfg.end_silence_ms or self._utt_frames * 10 >= cfg.max_speech_ms:
            if chunk:
                events.append(SegmentEvent("audio", np.concatenate(chunk)))
                chunk.clear()
            events.extend(self._close(at_sample))
        return events

    def _close(self, at_sample: int) -> list[SegmentEvent]:
        self._in_speech = False
        self._above = 0
        self._below = 0
        return [self._event("end", at_sample)]

    def _event(self, kind: str, at_sample: int) -> SegmentEvent:
        speech_end = min(at_sample, self._last_speech_end)
        return SegmentEvent(
            kind,
            np.zeros(0, np.int16),
            start_ms=self._ms(max(0, self._utt_start)),
            end_ms=self._ms(speech_end),
            speech_ms=self._speech_frames * 10,
            decided_ms=self._ms(at_sample),
            end_offset=speech_end - self._utt_start,
        )
