"""A natural neural voice: Piper (VITS models run by onnxruntime on the CPU).

Piper takes ~0.1-0.2 x real time here, so a sentence costs a few hundred
milliseconds: every line is kept on disk per voice (``LineCache``) and long lines
are rendered a sentence at a time (``chunks``), so the first sentence plays
while the rest is being made.  The model (~0.8 s to load, ~90 MB, and up to ~100 MB
more while it renders a long sentence) is loaded only for the first line not found
on disk, so a session whose words are all cached starts at once and never loads it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpeechOutputError
from .cache import LineCache, voice_folder_name
from .synth import Audio, _trim

__all__ = ["PiperSynth", "PIPER_WPM", "SENTENCE_GAP_S"]

#: Words per minute of a Piper voice at ``length_scale`` 1, counted the way
#: espeak-ng's rate is (en_US-joe-medium measured 195 wpm, espeak-ng at its
#: "150" 161 wpm): ``rate_wpm`` then means the same pace for both voices.
PIPER_WPM = 181.0
#: Silence between the sentences of one line (Piper itself puts none).
SENTENCE_GAP_S = 0.2
#: Sentence ends where a long line is split for streaming.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")


def _split_sentences(text: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    return [part for part in parts if part] or [text]


class PiperSynth:
    """Synthesise with one Piper voice model; every line is cached (memory + disk)."""

    def __init__(
        self,
        model: Path,
        config: Path | None = None,
        rate_wpm: int = 150,
        volume: float = 1.0,
        cache_dir: Path | None = None,
    ) -> None:
        self.model = model
        self.config = config or Path(f"{model}.json")
        if not self.model.is_file() or not self.config.is_file():
            raise SpeechOutputError(
                f"Piper voice {model}: needs the model file (.onnx) and its "
                f".onnx.json beside it; check the path in 'voice = \"piper:...\"'"
            )
        self.voice = f"piper:{model.stem}"
        self.rate_wpm = rate_wpm
        self.volume = volume
        self.length_scale = round(PIPER_WPM / rate_wpm, 3)
        voice_id = f"{model.name}:{model.stat().st_size}"
        folder = cache_dir / "tts" / voice_folder_name(voice_id) if cache_dir else None
        self.cache = LineCache(folder, f"{self.length_scale}|{volume:.3f}")
        self._voice: Any = None
        self._error: BaseException | None = None
        self._synth_lock = threading.Lock()
        self._closed = False
        self._loaded = threading.Event()
        self._loader: threading.Thread | None = None
        self._loader_lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def sample_rate(self) -> int:
        return 22050 if self._voice is None else int(self._voice.config.sample_rate)

    def _load(self) -> None:
        try:
            from piper import PiperVoice

            self._voice = PiperVoice.load(self.model, self.config)
        except BaseException as exc:  # reported on the first line that needs the model
            self._error = exc
        finally:
            self._loaded.set()

    @property
    def model_loading(self) -> bool:
        """The model has been asked for (a line was not on disk)."""
        return self._loader is not None

    def preload_if_new(self) -> None:
        """Nothing of this voice on disk yet (a first session): its first line will need
        the model, so loading starts now, while the session is being set up."""
        folder = self.cache.folder
        if folder is None or not any(folder.glob("*.flac")):
            self.preload()

    def preload(self) -> None:
        """Start loading the model in the background (a line found on disk never needs it)."""
        with self._loader_lock:
            if self._loader is None:
                self._loader = threading.Thread(target=self._load, daemon=True, name="piper-load")
                self._loader.start()

    def _piper(self) -> Any:
        self.preload()
        self._loaded.wait()
        if self._error is not None:
            raise SpeechOutputError(
                f"Piper could not load {self.model} ({self._error}); "
                'set voice = "en-us" in config.toml to use espeak-ng'
            ) from self._error
        return self._voice

    def close(self) -> None:
        """Wait for a rendering in progress and refuse new ones: onnxruntime aborts the
        whole process if the interpreter exits while one of its threads is running."""
        with self._loader_lock:
            loader = self._loader
        if loader is not None:
            loader.join(timeout=10)
        with self._synth_lock:
            self._closed = True

    # ------------------------------------------------------------- rendering

    def _render(self, sentence: str) -> Audio:
        from piper import SynthesisConfig

        voice = self._piper()
        config = SynthesisConfig(length_scale=self.length_scale, volume=0.9 * self.volume)
        with self._synth_lock:
            if self._closed:
                raise SpeechOutputError("the Piper voice was closed")
            pieces = [chunk.audio_int16_array for chunk in voice.synthesize(sentence, config)]
        if not pieces:
            raise SpeechOutputError(f"Piper produced no audio for {sentence!r}")
        rate = int(voice.config.sample_rate)
        return _trim(Audio(np.concatenate(pieces).astype(np.int16), rate))

    def chunks(self, text: str, cacheable: bool = False) -> Iterator[Audio]:
        """The line's audio, a sentence at a time when it has to be rendered (so
        playback can start after the first sentence); cached whole afterwards."""
        audio = self.cache.get(text)
        if audio is not None:
            self.hits += 1
            yield audio
            return
        self.misses += 1
        parts: list[Audio] = []
        for sentence in _split_sentences(text):
            # each sentence is kept too: a line cut off after its first sentence (a
            # barge-in, Ctrl-C) starts at once next time
            piece = self.cache.get(sentence)
            if piece is None:
                piece = self._render(sentence)
                self.cache.put(sentence, piece)
            if parts:
                gap = np.zeros(int(SENTENCE_GAP_S * piece.sample_rate), dtype=np.int16)
                piece = Audio(np.concatenate([gap, piece.samples]), piece.sample_rate)
            parts.append(piece)
            yield piece
        whole = Audio(np.concatenate([p.samples for p in parts]), parts[0].sample_rate)
        self.cache.put(text, whole)

    def synthesize(self, text: str, cacheable: bool = False) -> Audio:
        pieces = list(self.chunks(text, cacheable))
        if len(pieces) == 1:
            return pieces[0]
        return Audio(np.concatenate([p.samples for p in pieces]), pieces[0].sample_rate)

    def cached(self, text: str) -> bool:
        return self.cache.contains(text)

    def warm_one(self, text: str) -> None:
        if not self.cache.contains(text):
            self.synthesize(text)
        else:
            self.cache.get(text)  # into memory: no disk read when it is said

    def warm(self, texts: list[str]) -> None:
        for text in texts:
            self.warm_one(text)
