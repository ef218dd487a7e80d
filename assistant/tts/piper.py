"""A natural neural voice: Piper (VITS models run by onnxruntime on the CPU).

Piper takes ~0.1-0.2 x real time here, so a sentence costs a few hundred
milliseconds: every line is kept on disk per voice (``LineCache``) and long lines
are rendered a sentence at a time (``chunks``), so the first sentence plays
while the rest is being made.  Piper itself runs in a process of its own
(``piper_process``): its model (~0.8 s to load, ~90 MB, and ~60-80 MB more while it
renders a sentence) never weighs on the session's memory, is loaded only for the
first line not found on disk, and is given back a few seconds after the last one.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import SpeechOutputError
from .cache import LineCache, voice_folder_name
from .piper_process import PiperProcess, RenderError
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


def _config_rate(config: Path) -> int:
    try:
        rate = json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"]
        return int(rate)
    except (OSError, ValueError, KeyError, TypeError):
        return 22050  # Piper's "medium" voices; the child says the real rate


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
        # Piper's volume only multiplies its output: lines are kept at full volume
        # (the key a volume of 1 always had) and scaled as they are said, so another
        # volume finds them on disk; another rate is another rendering
        self.cache = LineCache(folder, f"{self.length_scale}|{1.0:.3f}")
        # Piper runs in a child process: the session's own memory never holds it
        self._process = PiperProcess(self.model, self.config)
        self._sample_rate = _config_rate(self.config)
        self.hits = 0
        self.misses = 0

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def model_loading(self) -> bool:
        """The model has been asked for (a line was not on disk)."""
        return self._process.spawned > 0

    @property
    def render_pid(self) -> int | None:
        """The rendering process, while it runs (it ends when idle)."""
        return self._process.pid

    def preload_unless_cached(self, line: str) -> bool:
        """``line`` (what a session says first) is not on disk, nor its first sentence
        (a first session, a new rate): the model is needed at once, so it starts
        loading now, in its own process, while the session is being set up.  Later
        lines not on disk are rendered while the ones before them play.  Returns
        whether the line was missing."""
        missing = not any(map(self.cache.contains, (line, _split_sentences(line)[0])))
        if missing:
            self.preload()
        return missing

    def preload(self) -> None:
        """Start the rendering process, which loads the model (a line found on disk
        never needs it)."""
        # a failure is reported on the first line that needs the model
        with contextlib.suppress(OSError, RenderError):
            self._process.start()

    def close(self) -> None:
        """End the rendering process (after the line in progress)."""
        self._process.close()

    # ------------------------------------------------------------- rendering

    def _render(self, sentence: str) -> Audio:
        try:
            samples, rate = self._process.render(sentence, self.length_scale, 0.9)
        except (OSError, ValueError, RenderError) as exc:  # ValueError: closed meanwhile
            if isinstance(exc, RenderError) and exc.loading:
                raise SpeechOutputError(
                    f"Piper could not load {self.model} ({exc}); "
                    'set voice = "en-us" in config.toml to use espeak-ng'
                ) from exc
            raise SpeechOutputError(f"Piper could not render {sentence!r} ({exc})") from exc
        if not samples.size:
            raise SpeechOutputError(f"Piper produced no audio for {sentence!r}")
        return _trim(Audio(samples, rate))

    def _scaled(self, audio: Audio) -> Audio:
        if self.volume >= 1.0:
            return audio
        samples = np.rint(audio.samples * max(0.0, self.volume)).astype(np.int16)
        return Audio(samples, audio.sample_rate)

    def chunks(self, text: str, cacheable: bool = False) -> Iterator[Audio]:
        """The line's audio at the set volume, a sentence at a time when it has to be
        rendered (so playback can start after the first sentence); cached whole."""
        for piece in self._chunks(text):
            yield self._scaled(piece)

    def _chunks(self, text: str) -> Iterator[Audio]:
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
