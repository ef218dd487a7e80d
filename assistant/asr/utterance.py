"""Endpointed, whole-utterance recognizers: the streaming half shared by engines.

``Endpointer`` cuts utterances on trailing silence (on the audio's own timeline).
Each utterance, up to ``DECODE_TAIL_MS`` after its last speech, is decoded whole.
That decode starts in a background thread as soon as the speaker has been quiet
for ``DECODE_TAIL_MS``, while the endpointer waits to be sure the answer is over;
if they speak on, it is dropped.  The same audio is decoded either way, so the
result does not depend on timing.  A subclass implements ``_finish``.

A subclass that sets ``commit_ms`` gives an answer it is sure of (``_sure``) once
the speaker has been quiet that long, without waiting out the endpointer's whole
end-of-speech silence; anything said after that, up to the end of the
utterance, is not an answer.  It is given on the ``quiet`` event, at a fixed point of the
audio's own timeline, so the result still does not depend on timing.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from ..events import CONTEXTS
from .endpoint import EndpointConfig, Endpointer, SegmentEvent
from .protocol import Result

__all__ = ["DECODE_TAIL_MS", "UtteranceRecognizer"]

#: Quiet after the last speech that is decoded with the utterance; decoding starts
#: then, while the endpointer waits out the rest of its end-of-speech silence.
DECODE_TAIL_MS = 60


class UtteranceRecognizer:
    """``Recognizer`` plumbing: context, endpointing, the early decode.  Subclasses
    set ``name``/``description`` and implement ``_finish`` (and may ``_on_context``)."""

    name = "utterance"
    description = ""
    sample_rate = 16000
    #: Quiet after the speech when a sure answer is given (None: at the end).
    commit_ms: int | None = None

    def __init__(self, endpoint: EndpointConfig | None, min_speech_ms: int) -> None:
        config = endpoint or EndpointConfig()
        self._endpointer = Endpointer(
            replace(
                config,
                min_speech_ms=min_speech_ms,
                early_end_ms=min(DECODE_TAIL_MS, config.end_silence_ms),
                commit_ms=self.commit_ms
                if self.commit_ms is not None and self.commit_ms < config.end_silence_ms
                else None,
            )
        )
        self._context: str | None = None
        self._buffer: list[npt.NDArray[np.int16]] = []
        self._in_utt = False
        # One worker: a model is used by one thread at a time.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name}-decode")
        self._early: tuple[int, Future[Result | None]] | None = None
        self._stale = threading.Event()  # the early decode is no longer wanted

    # ----------------------------------------------------------- protocol

    def set_context(self, context: str | None) -> None:
        context = None if context is None else str(context)  # exactly str for the decoder
        if context is not None and context not in CONTEXTS:
            raise ValueError(f"unknown listening context {context!r}")
        if context != self._context:
            self._abort()
            self._context = context
            if context is not None:
                self._on_context(context)

    def reset(self) -> None:
        self._abort()

    def accept(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[Result]:
        if self._context is None:
            return []
        events = self._endpointer.process(np.asarray(samples, dtype=np.int16), timestamp_ms)
        return self._handle(events)

    def flush(self) -> list[Result]:
        if self._context is None:
            return []
        return self._handle(self._endpointer.flush())

    # ------------------------------------------------------------ for subclasses

    def _on_context(self, context: str) -> None:
        """The context changed (a grammar engine switches its search here)."""

    def _sure(self, result: Result) -> bool:
        """Whether ``result`` may be given at ``commit_ms`` of quiet."""
        return False

    def _finish(
        self,
        audio: npt.NDArray[np.int16],
        event: SegmentEvent,
        stale: threading.Event | None = None,
    ) -> Result | None:
        """The result for one utterance (in the worker thread when started early; it
        may give up once ``stale`` is set, and its result is not used)."""
        raise NotImplementedError

    # ------------------------------------------------------------ streaming

    def _abort(self) -> None:
        self._drop_early()
        self._in_utt = False
        self._buffer = []
        self._endpointer.reset()

    def _drop_early(self) -> None:
        """Forget a decode started early (waiting for it: the model is shared)."""
        if self._early is not None:
            self._stale.set()
            self._early[1].result()
            self._early = None

    def _handle(self, events: list[SegmentEvent]) -> list[Result]:
        results: list[Result] = []
        for event in events:
            if event.kind == "start":
                self._drop_early()
                self._in_utt = True
                self._buffer = [event.samples]
            elif event.kind == "audio" and self._in_utt:
                self._buffer.append(event.samples)
            elif event.kind == "pause" and self._in_utt:
                self._drop_early()
                self._stale.clear()
                audio = self._utterance(event)
                self._early = (
                    event.end_offset,
                    self._worker.submit(self._finish, audio, event, self._stale),
                )
            elif event.kind == "quiet" and self._in_utt and self._early is not None:
                if self._early[0] == event.end_offset:  # nothing said since the pause
                    result = self._early[1].result()
                    if result is not None and self._sure(result):
                        self._in_utt = False  # the rest of the utterance is no answer
                        self._early = None
                        results.append(result)
            elif event.kind == "resume":
                self._stale.set()  # they spoke on: the early decode may stop
            elif event.kind == "end" and self._in_utt:
                self._in_utt = False
                early, self._early = self._early, None
                if early is not None and early[0] == event.end_offset:
                    result = early[1].result()  # nothing was said after the pause
                else:
                    if early is not None:
                        early[1].result()
                    result = self._finish(self._utterance(event), event)
                if result is not None:
                    results.append(result)
        return results

    def _utterance(self, event: SegmentEvent) -> npt.NDArray[np.int16]:
        """The buffered utterance up to ``DECODE_TAIL_MS`` after its last speech, then
        the room's own quiet from before it (the start of the pre-roll) to make up the
        endpointer's full end-of-speech silence: the decoders and their thresholds
        see every utterance framed by the same quiet, whenever the decode starts."""
        audio = np.concatenate(self._buffer)
        per_ms = self.sample_rate // 1000
        config = self._endpointer.config
        quiet = audio[: max(0, config.end_silence_ms - DECODE_TAIL_MS) * per_ms]
        return np.concatenate([audio[: event.end_offset + DECODE_TAIL_MS * per_ms], quiet])

    def _core(self, audio: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """The utterance without its pre-roll and trailing silence."""
        pre = self._endpointer.config.pre_roll_ms * 16
        tail = self._endpointer.config.end_silence_ms * 16
        core = audio[pre : max(pre, audio.size - tail)]
        return core if core.size >= 800 else audio
