"""Barge-in: while the coach speaks, only "stop", "pause" or "ouch" may cut in.

While the speaker plays (plus a short tail for the room's echo) the main
recognizer does not listen for answers, so the coach never answers itself.  A
second recognizer, the streaming spotter, listens for the barge-in phrases in
that time; until it is ready (it is built in the background) the main
recognizer is switched to the ``command`` context instead.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

from ..audio.source import Frame
from ..events import Heard
from ..tts.speaker import Speaker
from ..vocab import Context
from .protocols import LateBargeIns, RecognizerLike

__all__ = ["BargeInPolicy", "said_by_coach"]

#: A line that starts this soon after a word ends may still be what was heard (the
#: synchronous check looked at the line playing when it decided, ~60-100 ms on).
LATE_LINE_MS = 100


class BargeInPolicy:
    def __init__(
        self,
        barge_in: RecognizerLike | None,
        intents: Sequence[str],
        tail_ms: int,
        factory: Callable[[], RecognizerLike] | None = None,
    ) -> None:
        #: The recognizer fed while the coach speaks (``None``: the main one is).
        self.barge_in = barge_in
        self.intents = tuple(intents)
        self.tail_ms = tail_ms
        self._factory = factory
        self._ready: RecognizerLike | None = None
        self.muted = False
        self._mute_until = 0
        #: (frame time, line playing) each time the line changed while the coach spoke:
        #: a word decided late is checked against what was playing while it was said.
        self._lines: deque[tuple[int, str]] = deque([(0, "")], maxlen=64)

    def start_building(self, on_error: Callable[[str], None]) -> None:
        """Build the spotter in the background (after the first words are on their
        way, so start-up stays quick)."""
        if self._factory is None or self.barge_in is not None:
            return
        factory = self._factory

        def build() -> None:
            try:
                self._ready = factory()
            except Exception as exc:  # the main recognizer still hears "stop"
                on_error(f"barge-in recognizer unavailable ({exc})")

        threading.Thread(target=build, daemon=True).start()

    def speech_ended(self, timestamp_ms: int) -> None:
        self._mute_until = max(self._mute_until, timestamp_ms + self.tail_ms)

    def listen(self, recognizer: RecognizerLike, context: Context | None) -> None:
        """The engine listens in a new context: the main recognizer follows now,
        unless it is standing in for the spotter."""
        if not self.muted or self.barge_in is not None:
            recognizer.reset()
            recognizer.set_context(context)

    def update(
        self, now: int, speaker: Speaker, recognizer: RecognizerLike, context: Context | None
    ) -> bool:
        """Mute or unmute for ``now``; whether the coach counts as speaking."""
        speaking = speaker.speaking or now < self._mute_until
        if speaking != self.muted:
            self.set_muted(speaking, recognizer, context)
        if speaking and self.barge_in is None and self._ready is not None:
            self.set_muted(True, recognizer, context)  # adopt the spotter now it is ready
        return speaking

    def set_muted(self, muted: bool, recognizer: RecognizerLike, context: Context | None) -> None:
        self.muted = muted
        if self.barge_in is None and self._ready is not None:
            self.barge_in = self._ready
        recognizer.reset()
        if self.barge_in is not None:
            self.barge_in.reset()
            self.barge_in.set_context(Context.COMMAND)
            recognizer.set_context(context)
        else:
            recognizer.set_context(Context.COMMAND if muted else context)

    def barge_ins(
        self, frame: Frame, speaker: Speaker, recognizer: RecognizerLike
    ) -> Iterator[Heard]:
        """What in ``frame`` cuts the coach off; the caller stops the speaker before
        taking the next (so an echo check sees what is still playing)."""
        checker = self.barge_in or recognizer
        line = speaker.text_now()
        if line != self._lines[-1][1]:
            self._lines.append((frame.timestamp_ms, line))
        for result in checker.accept(frame.samples, frame.timestamp_ms):
            if isinstance(result, Heard) and self._may_barge_in(result, speaker.text_now()):
                self._mute_until = 0
                yield result

    def late(self) -> Iterator[Heard]:
        """The barge-ins decided in the background since the last call (Whisper's
        second opinion): the loop never waited for them, and they still cut in."""
        if not isinstance(self.barge_in, LateBargeIns):
            return
        for result in self.barge_in.late():
            if isinstance(result, Heard) and self._may_barge_in(result, self._said(result)):
                self._mute_until = 0
                yield result

    def _said(self, heard: Heard) -> str:
        """The lines playing from the start of ``heard`` to just after its end."""
        lines = list(self._lines)
        ends = [start for start, _ in lines[1:]] + [1 << 62]  # the last: still playing
        return " ".join(
            text
            for (start, text), end in zip(lines, ends, strict=True)
            if end > heard.start_ms and start <= heard.end_ms + LATE_LINE_MS
        )

    def close(self) -> None:
        for spotter in (self.barge_in, self._ready):
            if isinstance(spotter, LateBargeIns):
                spotter.close()

    def _may_barge_in(self, result: Heard, line: str) -> bool:
        if result.intent not in self.intents:
            return False
        # The coach saying "stop" or "it hurts" itself is not the user (echo).
        return not said_by_coach(result, line)


_WORD = re.compile(r"[a-z']+")


@lru_cache(maxsize=8)
def _intent_words(intent: str) -> frozenset[str]:
    """The words that give ``intent`` away (its keywords in phrases.yaml): the
    spotter may take the coach's "if it hurts" for "ouch" as well as "it hurts"."""
    from ..asr import phrases

    words: set[str] = set()
    for spec in phrases.phrase_book().intents:
        if spec.intent == intent:
            words.update(spec.keywords)
    return frozenset(words)


def said_by_coach(heard: Heard, line: str) -> bool:
    """Whether the barge-in ``heard`` may be the coach's own ``line`` coming back
    through the room: the line has a word of what was heard ("it hurts" in "if it
    hurts, say stop") or a keyword of its intent.  Comparing the intent's name
    alone let the coach's "it hurts" through as the user's "ouch"."""
    said = set(_WORD.findall(line.lower()))
    heard_words = set(_WORD.findall(heard.text.lower())) - _SMALL_WORDS
    keys = heard_words | _intent_words(heard.intent) | {heard.intent}
    # "Paused." and "Stopping now." say it too; "ow" is not in "own"
    return any(w == k or (len(k) >= 4 and w.startswith(k)) for w in said for k in keys)


#: Words too common to tell the coach's line from the user's phrase.
_SMALL_WORDS = frozenset({"that", "that's", "it", "now", "please", "the", "on", "hold"})
