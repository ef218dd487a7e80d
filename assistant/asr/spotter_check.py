"""Whisper's second opinion on a word the barge-in spotter turned down.

The bundled PocketSphinx model is American: it misses about one real recorded
"stop" in five (voices far from its own: "foot", "two", or a path that barely
beats the phone loop) and British "ouch".  When the spotter heard a word of the
right length, voiced, but would not call it a barge-in phrase, Whisper tiny.en
scores a few short barge-in phrases on that word alone (one encode of a short
window and one batch of ``align``, ~50-90 ms on this 2-core machine), against
what PocketSphinx took it for.  Only that path pays for it: a word PocketSphinx
is sure of still cuts the coach off as fast as before.

Whisper writes a whole one-word utterance as its sentence ("Stop."): a real
"stop" scores -1 to -7 nats, while other words, or a longer stretch of speech
that merely contains "stop", score far lower (the coach's own sentences, other
answers: below -9 on the recordings here).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..events import Heard
from .verdict import Verdict
from .whisper_model import load_model, speech_ms

__all__ = ["RESCUE_PHRASES", "Rescue", "Rescuer", "WhisperCheck"]

#: PocketSphinx's verdicts Whisper may overturn (``spotter_check``): a voiced word
#: of the right length that did not decode, decoded as another phrase, or scored
#: too low; or a barge-in phrase with hardly a voiced frame.
RESCUABLE = frozenset({"no decode", "another phrase", "scores", "unvoiced", "unsure"})
#: Barge-in phrases PocketSphinx alone is not trusted with when Whisper is there
#: (a real "help" or "three" was "ow"; Piper's "That's the end of the routine."
#: was "that's enough") ...
UNTRUSTED = frozenset({"ow", "that's enough"})
#: ... and what Whisper is asked about them, beside the rescue phrases.
CONFIRM: dict[str, str] = {"ow": "ouch", "ouch": "ouch", "that's enough": "stop"}
#: Whisper is asked only about words this short (a longer stretch is someone
#: talking, often the coach itself: it would cost ~70 ms a closure for nothing) ...
RESCUE_MAX_MS = 1500
#: ... and about the same word again only after this many more 10 ms frames.
RESCUE_AGAIN_FRAMES = 10
#: The barge-in phrases Whisper is asked about (each costs one ``align`` sequence):
#: the short ones a person cut off mid-exercise says.  "Ouch" is not among them:
#: Whisper hears espeak-ng's (British) "ouch" as "out" (-5.6 to -8.2 nats, "ouch"
#: -13 to -14) and the coach's own "breathe out" the same way (-5.5); "it hurts"
#: and "that hurts" it hears well.
RESCUE_PHRASES: dict[str, str] = {
    "stop": "stop",
    "pause": "pause",
    "wait": "pause",
    "it hurts": "ouch",
    "that hurts": "ouch",
}
#: Lower floors (nats) for the longer phrases: a sentence of three or four tokens
#: scores lower than "Stop." for the same certainty.  Measured on the words the
#: spotter asks about (bench spotter --every 4): British "that hurts" -7.0 and -9.1,
#: "that's enough" -8.4, against at best -11.3 ("it hurts"), -12.8 ("that hurts")
#: on the coach's lines, other answers, speech and noise.  "That's enough" is only
#: asked about when PocketSphinx heard it too (``CONFIRM``), where its best other
#: was -9.3 ("That's what ..." for a real "zero").
MIN_SCORES: dict[str, float] = {"it hurts": -9.5, "that hurts": -9.5, "that's enough": -8.5}


@dataclass(frozen=True)
class Rescue:
    intent: str | None
    text: str
    score: float  # the best barge-in phrase's log-probability (nats)
    rival: float  # what PocketSphinx took the word for, scored the same way


class WhisperCheck:
    """Scores the barge-in phrases on one word with Whisper tiny.en."""

    def __init__(
        self,
        model_path: Path,
        *,
        min_score: float = -7.5,
        margin: float = 2.0,
        min_speech_ms: int = 64,
        window_s: float = 1.0,
        phrases: dict[str, str] | None = None,
    ) -> None:
        self.model = load_model(model_path)
        self.min_score = min_score
        self.margin = margin
        self.min_speech_ms = min_speech_ms
        self.window_s = window_s
        self.phrases = dict(phrases or RESCUE_PHRASES)
        self.model_path = model_path
        # The first encode and align of a process take seconds (measured 5.9 s
        # under load): pay them now, while the spotter is built in the background,
        # not on the first "stop".
        quiet = np.random.default_rng(0).normal(0, 0.003, 16000).astype(np.float32)
        self.model.score(self.model.encode(quiet, window_s), [self.model.ids("stop")])
        speech_ms(quiet)  # loads the silero VAD

    def judge(
        self, audio: npt.NDArray[np.int16], rival: str = "", extra: Mapping[str, str] = {}
    ) -> Rescue:
        """The best barge-in phrase (of ``phrases`` and ``extra``) for ``audio`` that
        scores at least ``min_score`` (or its own ``MIN_SCORES``) and beats ``rival``
        (PocketSphinx's best other phrase) by ``margin``; else the best, refused."""
        candidates = {**self.phrases, **extra}
        wave = audio.astype(np.float32) / 32768.0
        if speech_ms(wave) < self.min_speech_ms:  # silero's VAD: noise, a breath
            return Rescue(None, "not speech", -np.inf, -np.inf)
        encoded = self.model.encode(wave, max(self.window_s, wave.size / 16000 + 0.2))
        texts = list(candidates)
        sequences = [self.model.ids(text) for text in texts]
        has_rival = bool(rival) and rival not in candidates
        if has_rival:
            sequences.append(self.model.ids(rival))
        scores = self.model.score(encoded, sequences)
        rival_score = scores[-1] if has_rival else -np.inf
        passed = [
            i
            for i, text in enumerate(texts)
            if scores[i] >= MIN_SCORES.get(text, self.min_score)
            and scores[i] >= rival_score + self.margin
        ]
        best = max(passed or range(len(texts)), key=lambda i: scores[i])
        intent = candidates[texts[best]] if passed else None
        return Rescue(intent, texts[best], float(scores[best]), float(rival_score))


class Rescuer:
    """Asks ``check`` about a word: at once, or (``background``) in a thread of its
    own so that the live loop never waits for it.  The microphone's frames, the
    answers and the counts go on while Whisper weighs a word (most often the
    coach's own, heard through the room); only a rescued word comes later.

    The model is the recognizer's own (one copy in memory).  CTranslate2 queues
    the calls of several threads for its one worker (thread-safe), so a decode
    and a check never compute at once: a decode's step waits at most for the
    check's current ``encode`` or ``align`` (~25 ms each).  With two workers
    (``inter_threads=2``: the weights shared) they ran side by side on the two
    cores and a decode got slower still.  Checks run one at a time, in order.
    """

    def __init__(self, check: WhisperCheck, background: bool = False) -> None:
        self.check = check
        self.background = background
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: list[tuple[Any, Future[Rescue]]] = []
        self._closed = False

    def ask(
        self, key: Any, audio: npt.NDArray[np.int16], rival: str, extra: Mapping[str, str]
    ) -> Rescue | None:
        """The verdict on ``audio``, or ``None`` when it is asked in the background
        (``done`` gives it back with ``key``)."""
        if not self.background:
            return self.check.judge(audio, rival, extra)
        with self._lock:
            if not self._closed:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(1, thread_name_prefix="whisper-check")
                judged = self._pool.submit(self.check.judge, audio.copy(), rival, dict(extra))
                self._pending.append((key, judged))
        return None

    def verdict(
        self,
        rescue: Rescue,
        start_ms: int,
        end_ms: int,
        reason: str,
        text: str,
        scores: Mapping[str, float] = {},
    ) -> Verdict:
        """The spotter's verdict on a word PocketSphinx turned down for ``reason``
        (taking it for ``text``), once Whisper has weighed it."""
        scores = {**scores, "whisper": rescue.score, "whisper_rival": rescue.rival}
        if rescue.intent is None:
            why = f"{reason}, and Whisper: {rescue.text} {rescue.score:.1f}"
            return Verdict(None, why, scores, text)
        confidence = 1.0 / (1.0 + math.exp(-(rescue.score - self.check.min_score)))
        heard = Heard(rescue.intent, rescue.text, round(confidence, 3), start_ms, end_ms)
        return Verdict(heard, "whisper", scores, text)

    def done(self) -> list[tuple[Any, Rescue]]:
        """The checks finished since the last call, in the order they were asked (one
        that failed is dropped: PocketSphinx's "no" stands)."""
        finished: list[tuple[Any, Rescue]] = []
        with self._lock:
            while self._pending and self._pending[0][1].done():
                key, judged = self._pending.pop(0)
                if not judged.cancelled() and judged.exception() is None:
                    finished.append((key, judged.result()))
        return finished

    @property
    def busy(self) -> bool:
        """Whether a check asked for has not been handed back yet."""
        with self._lock:
            return bool(self._pending)

    def wait(self, timeout_s: float) -> bool:
        """Whether the checks asked so far finished within ``timeout_s``."""
        with self._lock:
            pending = [judged for _, judged in self._pending]
        return not futures.wait(pending, timeout_s).not_done

    def close(self) -> None:
        """Drop the checks not started (the one running ends on its own, ~50 ms)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            self._pending.clear()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
