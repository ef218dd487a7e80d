"""Text to samples with pyttsx3 (espeak-ng), with a cache for short repeated prompts.

pyttsx3's Linux driver plays through ``aplay`` after synthesising, which cannot be
interrupted and hides when playback ends; and its ``save_to_file`` (2.99) fails
now and then because espeak-ng writes the file from another thread.  So we use
pyttsx3's espeak-ng binding in synchronous mode: the samples come back in
memory in a few milliseconds, and the player plays them.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..audioio import AudioFileError, read_audio_native, write_audio
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
    return Audio(*read_audio_native(path))


def write_wav_int16(path: Path, audio: Audio) -> None:
    write_audio(path, audio.samples, audio.sample_rate)


def _trim(audio: Audio) -> Audio:
    loud = np.flatnonzero(np.abs(audio.samples.astype(np.int32)) > _TRIM_LEVEL)
    if not len(loud):
        return audio
    keep = int(_KEEP_TAIL_S * audio.sample_rate)
    start = max(0, int(loud[0]) - keep // 4)
    end = min(len(audio.samples), int(loud[-1]) + keep)
    return Audio(audio.samples[start:end].copy(), audio.sample_rate)


def _voices(espeak: Any) -> list[tuple[str, str, list[str]]]:
    """(identifier, name, languages) of every espeak-ng voice."""
    out = []
    for voice in espeak.ListVoices(None):
        languages = []
        if voice.languages:
            languages = [voice.languages[1:].decode("utf-8", errors="ignore")]
        out.append((voice.identifier.decode("utf-8"), voice.name.decode("utf-8"), languages))
    return out


def _resolve_voice(espeak: Any, wanted: str) -> str:
    """The espeak-ng voice for ``wanted``: an identifier (``gmw/en-us``), its last
    part (``en-us``), a name (``English (America)``) or a language (``en-gb``)."""
    voices = _voices(espeak)
    key = wanted.strip().lower()
    for match in (
        lambda v: v[0].lower() == key or v[0].lower().rsplit("/", 1)[-1] == key,
        lambda v: v[1].lower() == key,
        lambda v: key in [lang.lower() for lang in v[2]],
    ):
        for voice in voices:
            if match(voice):
                return voice[0]
    raise SpeechOutputError(
        f"voice '{wanted}' is not an espeak-ng voice; try en-us or en-gb "
        "('espeak-ng --voices=en' lists them)"
    )


_ESPEAK_LOCK = threading.RLock()
_ESPEAK_RATE: int | None = None
_CHUNKS: list[bytes] = []


def _on_samples(wav: Any, count: int, events: Any) -> int:
    if count > 0:
        _CHUNKS.append(ctypes.string_at(wav, count * 2))
    return 0


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
        self.hits = 0
        self.misses = 0

    def close(self) -> None:
        """Nothing to release (kept for symmetry with the player)."""

    # ---------------------------------------------------------------- engine

    def _init_engine(self) -> Any:
        """pyttsx3's espeak-ng binding, initialised for synchronous synthesis.

        pyttsx3's own driver synthesises asynchronously (``AUDIO_OUTPUT_RETRIEVAL``)
        and writes the WAV from espeak's thread; with 2.99 ``save_to_file`` then
        fails now and then ("Error saving WAV file", no file), more often for long
        prompts.  Its ctypes binding in synchronous mode is reliable and needs no
        temporary file: the callback hands us the samples.
        """
        global _ESPEAK_RATE
        if self._engine is not None:
            return self._engine
        try:
            from pyttsx3.drivers import _espeak as espeak
        except Exception as exc:  # ImportError, OSError (no libespeak-ng)
            raise SpeechOutputError(
                f"espeak-ng speech synthesis is not available ({exc}); install espeak-ng"
            ) from exc
        with _ESPEAK_LOCK:
            if _ESPEAK_RATE is None:
                rate = espeak.Initialize(espeak.AUDIO_OUTPUT_SYNCHRONOUS, 200)
                if rate <= 0:
                    raise SpeechOutputError("espeak-ng could not be initialised")
                espeak.SetSynthCallback(_on_samples)
                _ESPEAK_RATE = int(rate)
        self._voice_id = _resolve_voice(espeak, self.voice) if self.voice else None
        self._engine = espeak
        return espeak

    def _synthesize_uncached(self, text: str) -> Audio:
        espeak = self._init_engine()
        with _ESPEAK_LOCK:
            # one espeak-ng per process: set our properties every time
            if self._voice_id and espeak.SetVoiceByName(self._voice_id.encode()) != 0:
                raise SpeechOutputError(f"espeak-ng could not load voice '{self.voice}'")
            espeak.SetParameter(espeak.RATE, int(self.rate_wpm), 0)
            espeak.SetParameter(espeak.VOLUME, round(self.volume * 100), 0)
            _CHUNKS.clear()
            result = espeak.Synth(text.encode("utf-8"), flags=espeak.ENDPAUSE | espeak.CHARS_UTF8)
            data = b"".join(_CHUNKS)
            _CHUNKS.clear()
        if result != 0 or not data:
            raise SpeechOutputError(f"espeak-ng produced no audio for {text!r}")
        assert _ESPEAK_RATE is not None
        samples = np.frombuffer(data, dtype="<i2").astype(np.int16)
        return _trim(Audio(samples, _ESPEAK_RATE))

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
                except AudioFileError:
                    audio = None
            if audio is None:
                self.misses += 1
                audio = self._synthesize_uncached(text)
                if disk is not None:
                    # A cache that cannot be written only costs the next run a synthesis.
                    with contextlib.suppress(OSError, AudioFileError):
                        write_wav_int16(disk, audio)
            else:
                self.hits += 1
            self._memory[key] = audio
            return audio

    def chunks(self, text: str, cacheable: bool = False) -> Iterator[Audio]:
        """The line in one piece (espeak-ng renders a sentence in milliseconds)."""
        yield self.synthesize(text, cacheable)

    def warm_one(self, text: str) -> None:
        self.synthesize(text, cacheable=True)

    def warm(self, texts: list[str]) -> None:
        """Fill the cache for ``texts`` (numbers, "hold", "relax", the symptom question)."""
        for text in texts:
            self.synthesize(text, cacheable=True)
