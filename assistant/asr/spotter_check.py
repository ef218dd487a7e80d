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

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .whisper import load_model, speech_ms

__all__ = ["RESCUE_PHRASES", "Rescue", "WhisperCheck"]

#: The barge-in phrases Whisper is asked about (each costs one ``align`` sequence):
#: the short ones a person cut off mid-exercise says.  "Ouch" is not among them:
#: Whisper hears espeak-ng's "ouch" as "out" and scores it no better than other
#: words; "it hurts" it hears well.
RESCUE_PHRASES: dict[str, str] = {
    "stop": "stop",
    "pause": "pause",
    "wait": "pause",
    "it hurts": "ouch",
}


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
        """The best barge-in phrase (of ``phrases`` and ``extra``) for ``audio`` if it
        scores at least ``min_score`` and beats ``rival`` (PocketSphinx's best other
        phrase) by ``margin``."""
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
        best = max(range(len(texts)), key=lambda i: scores[i])
        rival_score = scores[-1] if has_rival else -np.inf
        score = scores[best]
        accepted = score >= self.min_score and score >= rival_score + self.margin
        intent = candidates[texts[best]] if accepted else None
        return Rescue(intent, texts[best], float(score), float(rival_score))
