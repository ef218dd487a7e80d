"""The ``Recognizer`` protocol, whole-clip decoding and engine selection."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from ..events import Heard, NotUnderstood

__all__ = [
    "Result",
    "Recognizer",
    "decode_clip",
    "create_recognizer",
    "engine_name_of",
]

Result = Heard | NotUnderstood


@runtime_checkable
class Recognizer(Protocol):
    """A streaming recognizer restricted to one listening context at a time.

    ``accept`` takes 16 kHz mono int16 samples that start at ``timestamp_ms`` on
    the audio's own timeline, endpoints on trailing silence and returns the
    results of utterances that ended inside them.  ``flush`` ends the input.
    """

    name: str
    description: str
    sample_rate: int

    def set_context(self, context: str | None) -> None: ...

    def accept(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[Result]: ...

    def flush(self) -> list[Result]: ...

    def reset(self) -> None: ...


def _pick(results: list[Result]) -> Result:
    heard = [r for r in results if isinstance(r, Heard)]
    if heard:
        intents = {r.intent for r in heard}
        if len(intents) == 1:
            return heard[0]
        first, last = heard[0], heard[-1]
        text = " / ".join(r.text for r in heard)
        return NotUnderstood(text=text, start_ms=first.start_ms, end_ms=last.end_ms)
    if results:
        return results[0]
    return NotUnderstood()


def decode_clip(recognizer: Recognizer, samples: npt.NDArray[np.int16], context: str) -> Result:
    """Decode a whole clip in ``context``.  Two utterances with different intents
    (say "better" then "worse") give ``NotUnderstood``; no speech gives an empty one."""
    recognizer.reset()
    recognizer.set_context(context)
    results = recognizer.accept(np.asarray(samples, dtype=np.int16), 0)
    results.extend(recognizer.flush())
    return _pick(results)


def engine_name_of(settings_or_engine: Any) -> str:
    if isinstance(settings_or_engine, str):
        return settings_or_engine
    return str(getattr(settings_or_engine, "engine", "auto"))


def create_recognizer(
    settings_or_engine: Any = "auto", vosk_model: str | os.PathLike[str] | None = None
) -> Recognizer:
    """Build the recognizer for an engine name (``auto|pocketsphinx|vosk|text``) or
    ``Settings``.  ``auto`` uses Vosk when a model is found, else PocketSphinx; the
    chosen engine and why are in ``recognizer.description``."""
    engine = engine_name_of(settings_or_engine)
    if vosk_model is None and not isinstance(settings_or_engine, str):
        vosk_model = getattr(settings_or_engine, "vosk_model", None)
    model = Path(vosk_model).expanduser() if vosk_model is not None else None
    if engine == "text":
        from .text import TextRecognizer

        return TextRecognizer()
    if engine == "pocketsphinx":
        from .sphinx import SphinxRecognizer

        return SphinxRecognizer()
    if engine == "vosk":
        from .vosk_engine import VoskRecognizer, find_vosk_model

        return VoskRecognizer(find_vosk_model(model))
    if engine == "auto":
        from .vosk_engine import VoskRecognizer, try_find_vosk_model

        found, looked = try_find_vosk_model(model)
        if found is not None:
            recognizer: Recognizer = VoskRecognizer(found)
            recognizer.description = f"auto: Vosk (model found at {found})"
            return recognizer
        from .sphinx import SphinxRecognizer

        recognizer = SphinxRecognizer()
        recognizer.description = (
            "auto: PocketSphinx (bundled model; no Vosk model in " + ", ".join(looked) + ")"
        )
        return recognizer
    raise ValueError(f"unknown recognizer engine {engine!r} (auto, pocketsphinx, vosk, text)")
