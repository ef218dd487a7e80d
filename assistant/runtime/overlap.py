"""Answers begun while the coach was still speaking (issue 13).

The microphone is not listened to while the coach speaks (and a short tail after),
so the recognizer would start in the middle of such an answer: it hears nothing
(its noise floor is learnt on the speech) or a wrong piece of it ("... of ten" for
"seven out of ten").  A voice-activity detector fed every frame, muted or not,
notices speech that was under way when listening began and goes on past the tail;
that speech is not fed to the recognizer, and when it ends the engine is told
(``TalkedOver``) and asks again.  Speech that ends within the tail is taken as the
room's echo of the coach.
"""

from __future__ import annotations

from typing import Final

from ..asr.endpoint import EndpointConfig, Endpointer
from ..audio.source import Frame
from ..events import TalkedOver

__all__ = ["TalkOverWatch", "MIN_OVER_MS"]

#: Speech must go on this long after listening began to count as the person's.
MIN_OVER_MS: Final = 100


class TalkOverWatch:
    def __init__(self, config: EndpointConfig | None = None, min_over_ms: int = MIN_OVER_MS):
        self._vad = Endpointer(config)
        self._min_over_ms = min_over_ms
        self._start_ms: int | None = None  # the frame the speech under way was noticed in
        self._listening_from = 0
        #: Speech begun while the coach spoke is still going on: keep it from the recognizer.
        self.holding = False

    def hear(self, frame: Frame) -> TalkedOver | None:
        """Feed every frame; the speech that was held, once it has ended."""
        ended: TalkedOver | None = None
        for event in self._vad.process(frame.samples, frame.timestamp_ms):
            if event.kind == "start":
                self._start_ms = frame.timestamp_ms  # when it was noticed
            elif event.kind == "end":
                self._start_ms = None
                if self.holding:
                    self.holding = False
                    if event.end_ms - self._listening_from >= self._min_over_ms:
                        ended = TalkedOver(event.start_ms, event.end_ms)
        return ended

    def coach_stopped(self, timestamp_ms: int) -> None:
        """Listening begins: speech already under way is held."""
        self._listening_from = timestamp_ms
        self.holding = self._start_ms is not None and self._start_ms < timestamp_ms

    def forget(self) -> None:
        """The speech under way was a barge-in (it has been acted on)."""
        self.holding = False
        self._start_ms = None
