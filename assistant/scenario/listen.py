"""Turn the user's scripted replies into what the engine hears.

``TextEars`` is the ``engine: text`` path: the ``say:`` text goes straight
through the intent matcher.  ``AudioEars`` is the real thing: the reply is
audio (espeak-ng synthesis, a recording, or low-level noise for silence) fed in
20 ms chunks through the recognizer's streaming ``accept`` so its endpointing
runs, then ``flush``.
"""

from __future__ import annotations

import importlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..events import Heard, NotUnderstood

__all__ = ["Reply", "Hearing", "Ears", "TextEars", "AudioEars", "noise", "room", "SAMPLE_RATE"]

SAMPLE_RATE = 16000
_CHUNK = 320  # 20 ms
#: The user starts answering this long after the coach stops talking.
REACTION_MS = 400
#: Quiet room after the user stops talking, so the recognizer's endpointer fires.
TAIL_MS = 700

Samples = npt.NDArray[np.int16]
Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Reply:
    """What the user does: say ``text``, play the recording ``wav``, or stay silent."""

    text: str | None = None
    wav: Path | None = None
    silence_ms: int = 0
    voice: str = "en-us"
    rate_wpm: int = 150

    def describe(self) -> str:
        if self.text is not None:
            return self.text
        if self.wav is not None:
            return f"[{self.wav.name}]"
        return f"({self.silence_ms / 1000:g} s of silence)"


@dataclass(frozen=True)
class Hearing:
    """What the recognizer made of a reply, and how long the reply took."""

    event: Heard | NotUnderstood | None  # None: nothing was heard (silence)
    duration_ms: int


class Ears(Protocol):
    name: str

    def hear(self, reply: Reply, context: str, start_ms: int) -> Hearing: ...


def room(count: int, key: str) -> Floats:
    """Low-level dither (the fixture generator's): a quiet room, never digital zeros."""
    from ..asr.fixtures import dither

    return dither(count, key).astype(np.float32)


def _int16(samples: Floats) -> Samples:
    return np.clip(np.round(samples), -32768, 32767).astype(np.int16)


def noise(duration_ms: int, key: str) -> Samples:
    """``duration_ms`` of a quiet room."""
    return _int16(room(duration_ms * SAMPLE_RATE // 1000, key))


def _speaking_ms(text: str, rate_wpm: int) -> int:
    words = max(1, len(text.split()))
    return int(words * 60_000 / rate_wpm) + 200


class TextEars:
    """``engine: text``: typed text through the intent matcher; wav turns are decoded."""

    name = "text"

    def __init__(self, audio: AudioEars | None = None) -> None:
        self._audio = audio

    def hear(self, reply: Reply, context: str, start_ms: int) -> Hearing:
        from ..asr.matcher import match_intent

        if reply.text is not None:
            duration = _speaking_ms(reply.text, reply.rate_wpm)
            event = match_intent(reply.text, context, start_ms=start_ms, end_ms=start_ms + duration)
            return Hearing(event, duration)
        if reply.wav is not None:
            if self._audio is None:
                self._audio = AudioEars("pocketsphinx")
            return self._audio.hear(reply, context, start_ms)
        return Hearing(None, reply.silence_ms)


class AudioEars:
    """A real recognizer, fed audio through its streaming interface."""

    def __init__(self, engine: str, vosk_model: Path | None = None) -> None:
        asr = importlib.import_module("assistant.asr")
        self.name = engine
        self._recognizer: Any = asr.create_recognizer(engine, vosk_model=vosk_model)
        self._synth_cache: dict[tuple[str, str, int], Floats] = {}
        self._wav_cache: dict[Path, Floats] = {}

    # ------------------------------------------------------------ audio

    def _synthesise(self, text: str, voice: str, rate_wpm: int) -> Floats:
        """espeak-ng speech through the fixture generator's synthesis (cached)."""
        key = (text, voice, rate_wpm)
        if key not in self._synth_cache:
            from ..asr.fixtures import Voice, synthesize

            with tempfile.TemporaryDirectory(prefix="backcoach-say-") as workdir:
                speech = synthesize(text, Voice(voice, rate_wpm), Path(workdir))
            self._synth_cache[key] = speech.astype(np.float32)
        return self._synth_cache[key]

    def _read(self, path: Path) -> Floats:
        if path not in self._wav_cache:
            from ..audioio import read_audio

            self._wav_cache[path] = read_audio(path).astype(np.float32)
        return self._wav_cache[path]

    def samples(self, reply: Reply) -> Samples:
        """The reply as a microphone gives it: quiet room, the speech, quiet room."""
        if reply.text is not None:
            speech = self._synthesise(reply.text, reply.voice, reply.rate_wpm)
            key = f"say:{reply.voice}:{reply.text}"
        elif reply.wav is not None:
            speech = self._read(reply.wav)
            key = f"wav:{reply.wav}"
        else:
            return noise(reply.silence_ms, f"silence:{reply.silence_ms}")
        lead = np.zeros(REACTION_MS * SAMPLE_RATE // 1000, np.float32)
        tail = np.zeros(TAIL_MS * SAMPLE_RATE // 1000, np.float32)
        clip = np.concatenate([lead, speech, tail])
        return _int16(clip + room(clip.size, key))

    # ---------------------------------------------------------- hearing

    def hear(self, reply: Reply, context: str, start_ms: int) -> Hearing:
        samples = self.samples(reply)
        recognizer = self._recognizer
        recognizer.reset()
        recognizer.set_context(context)
        event: Heard | NotUnderstood | None = None
        for offset in range(0, len(samples), _CHUNK):
            timestamp = start_ms + offset * 1000 // SAMPLE_RATE
            result = recognizer.accept(samples[offset : offset + _CHUNK], timestamp)
            if result is not None and event is None:
                event = result
        final = recognizer.flush()
        if event is None and final is not None:
            event = final
        duration = len(samples) * 1000 // SAMPLE_RATE
        return Hearing(event, duration)
