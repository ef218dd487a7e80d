"""Text to samples with pyttsx3 (espeak-ng), with a cache for short repeated prompts.

pyttsx3's Linux driver plays through ``aplay`` after synthesising, which cannot be
interrupted and hides when playback ends.  So we only ask pyttsx3 for a WAV file
(``save_to_file`` + ``runAndWait``) and play the samples ourselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tempfile
import threading
import wave
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import SpeechOutputError

__all__ = ["Audio", "Pyttsx3Synth", "read_wav_int16", "write_wav_int16"]

#: Leading/trailing samples quieter than this (int16) are trimmed, so audio starts
#: at the first sound and ``SpeechFinished`` comes at the real end of the word.
_TRIM_LEVEL = 200
_KEEP_TAIL_S = 0.04


@dataclass(frozen=True)
class Audio:
    """Mono int16 samples at ``sample_rate``."""

    samples: npt.NDArray[np.int16]
    sample_rate: int

    @property
    def duration_ms(self) -> int:
        return int(len(self.samples) * 1000 / self.sample_rate)


def read_wav_int16(path: Path) -> Audio:
    with wave.open(str(path), "rb") as f:
        frames = f.readframes(f.getnframes())
        data = np.frombuffer(frames, dtype="<i2").astype(np.int16)
        if f.getnchannels() > 1:
            data = data.reshape(-1, f.getnchannels()).mean(axis=1).astype(np.int16)
        return Audio(data, f.getframerate())


def write_wav_int16(path: Path, audio: Audio) -> None:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(audio.sample_rate)
        f.writeframes(audio.samples.astype("<i2").tobytes())


def _trim(audio: Audio) -> Audio:
    loud = np.flatnonzero(np.abs(audio.samples.astype(np.int32)) > _TRIM_LEVEL)
    if not len(loud):
        return audio
    keep = int(_KEEP_TAIL_S * audio.sample_rate)
    start = max(0, int(loud[0]) - keep // 4)
    end = min(len(audio.samples), int(loud[-1]) + keep)
    return Audio(audio.samples[start:end].copy(), audio.sample_rate)


def _resolve_voice(engine: Any, wanted: str) -> str:
    """The pyttsx3 voice id for ``wanted``: an id (``gmw/en-us``), its last part
    (``en-us``), a name (``English (America)``) or a language (``en-gb``)."""
    voices = engine.getProperty("voices") or []
    key = wanted.strip().lower()
    for match in (
        lambda v: v.id.lower() == key or v.id.lower().rsplit("/", 1)[-1] == key,
        lambda v: str(v.name).lower() == key,
        lambda v: key in [str(lang).lower() for lang in (v.languages or [])],
    ):
        for voice in voices:
            if match(voice):
                return str(voice.id)
    raise SpeechOutputError(
        f"voice '{wanted}' is not an espeak-ng voice; try en-us or en-gb "
        "('espeak-ng --voices=en' lists them)"
    )


class Pyttsx3Synth:
    """Synthesise with pyttsx3's espeak driver; cache prompts marked ``cacheable``.

    The cache lives in memory and, when ``cache_dir`` is given, on disk (one WAV per
    prompt, keyed by voice, rate, volume and text), so counting starts instantly even
    in a new session.  Thread-safe: one lock around the (single) pyttsx3 engine.
    """

    def __init__(
        self,
        voice: str | None = None,
        rate_wpm: int = 150,
        volume: float = 1.0,
        cache_dir: Path | None = None,
    ) -> None:
        self.voice = voice
        self.rate_wpm = rate_wpm
        self.volume = volume
        self._cache_dir = cache_dir
        self._memory: dict[str, Audio] = {}
        self._lock = threading.Lock()
        self._engine: Any = None
        self._voice_id: str | None = None
        self._tmp = Path(tempfile.mkdtemp(prefix="backcoach-tts-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmp, True)
        self.hits = 0
        self.misses = 0

    def close(self) -> None:
        self._cleanup()

    # ---------------------------------------------------------------- engine

    def _init_engine(self) -> Any:
        if self._engine is not None:
            return self._engine
        try:
            import pyttsx3

            engine = pyttsx3.init("espeak")
        except Exception as exc:  # ImportError, OSError (no libespeak-ng), RuntimeError
            raise SpeechOutputError(
                f"espeak-ng speech synthesis is not available ({exc}); install espeak-ng"
            ) from exc
        self._voice_id = _resolve_voice(engine, self.voice) if self.voice else None
        self._engine = engine
        return engine

    def _synthesize_uncached(self, text: str) -> Audio:
        engine = self._init_engine()
        # pyttsx3 hands out one engine per process: set our properties every time.
        if self._voice_id:
            engine.setProperty("voice", self._voice_id)
        engine.setProperty("rate", self.rate_wpm)
        engine.setProperty("volume", self.volume)
        path = self._tmp / "utterance.wav"
        path.unlink(missing_ok=True)
        # pyttsx3 prints "Audio saved to ..." on stdout; keep captions clean.
        with contextlib.redirect_stdout(io.StringIO()):
            engine.save_to_file(text, str(path))
            engine.runAndWait()
        if not path.exists():
            raise SpeechOutputError(f"espeak-ng produced no audio for {text!r}")
        return _trim(read_wav_int16(path))

    # ----------------------------------------------------------------- cache

    def _key(self, text: str) -> str:
        raw = f"{self.voice}|{self.rate_wpm}|{self.volume:.3f}|{text}"
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()

    def cached(self, text: str) -> bool:
        return self._key(text) in self._memory

    def synthesize(self, text: str, cacheable: bool = False) -> Audio:
        """Samples for ``text``; from the cache when ``cacheable`` and seen before."""
        with self._lock:
            if not cacheable:
                self.misses += 1
                return self._synthesize_uncached(text)
            key = self._key(text)
            audio = self._memory.get(key)
            if audio is not None:
                self.hits += 1
                return audio
            disk = self._cache_dir / "tts" / f"{key}.wav" if self._cache_dir else None
            if disk is not None and disk.exists():
                try:
                    audio = read_wav_int16(disk)
                except (OSError, wave.Error, EOFError):
                    audio = None
            if audio is None:
                self.misses += 1
                audio = self._synthesize_uncached(text)
                if disk is not None:
                    with contextlib.suppress(OSError):
                        disk.parent.mkdir(parents=True, exist_ok=True)
                        write_wav_int16(disk, audio)
            else:
                self.hits += 1
            self._memory[key] = audio
            return audio

    def warm_one(self, text: str) -> None:
        self.synthesize(text, cacheable=True)

    def warm(self, texts: list[str]) -> None:
        """Fill the cache for ``texts`` (numbers, "hold", "relax", the symptom question)."""
        for text in texts:
            self.synthesize(text, cacheable=True)
