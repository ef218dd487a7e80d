"""Vosk adapter: a per-context phrase list (plus ``[unk]``) on a Kaldi model.

The model is looked for, in order: ``--vosk-model`` / ``Settings.vosk_model``,
``$BACKCOACH_VOSK_MODEL``, then vosk's own cache folders (``$VOSK_MODEL_PATH``,
``/usr/share/vosk`` or on Windows ``~/AppData/Local/vosk``, ``~/.cache/vosk``).  Nothing is
downloaded unless the user asks (``download_vosk_model``, which uses vosk's own
``Model(model_name=...)`` download with its progress bar).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ModelNotFoundError, RecognizerError
from ..events import CONTEXTS, Heard, NotUnderstood
from ..vocab import SAFETY_INTENTS
from . import phrases
from .matcher import match_intent
from .protocol import Recognizer, Result
from .registry import EngineCheck, Located

__all__ = [
    "DEFAULT_MODEL_NAME",
    "MODEL_ENV",
    "VoskRecognizer",
    "candidate_model_paths",
    "try_find_vosk_model",
    "find_vosk_model",
    "download_vosk_model",
    "phrase_list",
    "locate",
    "create",
    "check",
]

DEFAULT_MODEL_NAME = "vosk-model-small-en-us-0.15"
MODEL_ENV = "BACKCOACH_VOSK_MODEL"
#: Word confidence (vosk's per-word ``conf``) needed to act on an answer.
MIN_CONFIDENCE = 0.7
SAFETY_CONFIDENCE = 0.85


def _vosk_cache_dirs() -> list[Path]:
    # vosk's own model folders, only those of this operating system: doctor lists
    # every place looked, and a Windows folder on Linux would be a false lead.
    system = Path.home() / "AppData/Local/vosk" if sys.platform == "win32" else "/usr/share/vosk"
    dirs = [os.environ.get("VOSK_MODEL_PATH"), str(system), str(Path.home() / ".cache/vosk")]
    return [Path(d) for d in dirs if d]


def candidate_model_paths(explicit: Path | None = None) -> list[tuple[str, Path]]:
    """(where it came from, path) in the order they are tried."""
    out: list[tuple[str, Path]] = []
    if explicit is not None:
        out.append(("--vosk-model", Path(explicit).expanduser()))
    env = os.environ.get(MODEL_ENV)
    if env:
        out.append((MODEL_ENV, Path(env).expanduser()))
    for folder in _vosk_cache_dirs():
        out.append(("vosk cache", folder / DEFAULT_MODEL_NAME))
    return out


def _is_model(path: Path) -> bool:
    return path.is_dir() and (path / "am").is_dir() and (path / "conf").is_dir()


def try_find_vosk_model(explicit: Path | None = None) -> tuple[Path | None, list[str]]:
    """The first model folder found, and a description of every place looked."""
    looked: list[str] = []
    if explicit is None and not os.environ.get(MODEL_ENV):
        looked.append(f"--vosk-model (not given), ${MODEL_ENV} (not set)")
    elif explicit is None:
        looked.append("--vosk-model (not given)")
    elif not os.environ.get(MODEL_ENV):
        looked.append(f"${MODEL_ENV} (not set)")
    for origin, path in candidate_model_paths(explicit):
        if _is_model(path):
            return path, looked
        looked.append(f"{path} ({origin})")
    return None, looked


def find_vosk_model(explicit: Path | None = None) -> Path:
    found, looked = try_find_vosk_model(explicit)
    if found is None:
        raise ModelNotFoundError(
            f"no Vosk model found; looked in: {'; '.join(looked)}. Unpack "
            f"{DEFAULT_MODEL_NAME} and pass --vosk-model DIR (or set ${MODEL_ENV}), "
            "or run 'backcoach recognize --engine vosk --download-vosk-model' where "
            "the internet is reachable, or use --engine pocketsphinx"
        )
    return found


def download_vosk_model(name: str = DEFAULT_MODEL_NAME) -> Path:
    """Fetch a model into vosk's cache with vosk's own downloader (needs the internet)."""
    import vosk

    try:
        model = vosk.Model(model_name=name)
    except SystemExit as exc:  # vosk exits when the name is unknown
        raise ModelNotFoundError(f"Vosk has no model called {name!r}") from exc
    except Exception as exc:
        raise ModelNotFoundError(
            f"could not download Vosk model {name!r} ({exc}); check the internet "
            "connection or unpack the model by hand and pass --vosk-model DIR"
        ) from exc
    del model
    found, _ = try_find_vosk_model(None)
    if found is None:
        raise ModelNotFoundError(f"Vosk reported success but {name} is not in its cache")
    return found


def _explicit(options: Mapping[str, Any]) -> Path | None:
    value = options.get("vosk_model")
    return Path(value).expanduser() if value is not None else None


def locate(options: Mapping[str, Any]) -> Located:
    """Registry: the model folder (``ModelNotFoundError`` naming every place looked)."""
    explicit = _explicit(options)
    found = find_vosk_model(explicit)
    origin = next((o for o, p in candidate_model_paths(explicit) if p == found), "vosk cache")
    return Located(found, origin)


def create(located: Located) -> Recognizer:
    assert located.model is not None
    return VoskRecognizer(Path(located.model))


def check(options: Mapping[str, Any], required: bool) -> EngineCheck:
    path, looked = try_find_vosk_model(_explicit(options))
    if path is not None:
        return EngineCheck("Vosk model", "ok", str(path))
    return EngineCheck(
        "Vosk model",
        "FAIL" if required else "warn",
        "not found; looked in: " + "; ".join(looked),
        "optional (PocketSphinx works without it): unpack vosk-model-small-en-us-0.15 into "
        "one of those places or pass --vosk-model DIR",
    )


def phrase_list(context: str) -> list[str]:
    """Vosk grammar for a context: every expanded phrase plus ``[unk]``."""
    return [p.text for p in phrases.expand(context)] + ["[unk]"]


class VoskRecognizer:
    name = "vosk"
    sample_rate = 16000

    def __init__(self, model_path: Path) -> None:
        import vosk

        vosk.SetLogLevel(-1)
        self._vosk: Any = vosk
        try:
            self._model = vosk.Model(model_path=str(model_path))
        except Exception as exc:
            raise RecognizerError(f"{model_path}: not a usable Vosk model ({exc})") from exc
        self.description = f"Vosk ({model_path})"
        self._context: str | None = None
        self._rec: Any = None
        self._fed = 0  # samples since the recognizer was created
        self._base_ms = 0

    def set_context(self, context: str | None) -> None:
        if context is not None and context not in CONTEXTS:
            raise ValueError(f"unknown listening context {context!r}")
        self._context = context
        self._rec = None

    def _recognizer(self, timestamp_ms: int) -> Any:
        if self._rec is None:
            assert self._context is not None
            grammar = json.dumps(phrase_list(self._context))
            self._rec = self._vosk.KaldiRecognizer(self._model, self.sample_rate, grammar)
            self._rec.SetWords(True)
            self._fed = 0
            self._base_ms = timestamp_ms
        return self._rec

    def accept(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[Result]:
        if self._context is None:
            return []
        rec = self._recognizer(timestamp_ms)
        self._fed += int(samples.size)
        if rec.AcceptWaveform(np.asarray(samples, dtype=np.int16).tobytes()):
            return self._result(rec.Result())
        return []

    def flush(self) -> list[Result]:
        if self._context is None or self._rec is None:
            return []
        return self._result(self._rec.FinalResult())

    def reset(self) -> None:
        self._rec = None

    def _result(self, raw: str) -> list[Result]:
        data = json.loads(raw)
        return [r for r in [interpret(data, self._context or "command", self._base_ms)] if r]


def interpret(data: dict[str, Any], context: str, base_ms: int = 0) -> Result | None:
    """A Vosk result (``{"text", "result": [{"word", "conf", "start", "end"}]}``) to an
    event: ``[unk]`` or low word confidence gives ``NotUnderstood``."""
    text = str(data.get("text", "")).strip()
    words = data.get("result") or []
    if not text and not words:
        return None
    start_ms = base_ms + int(float(words[0]["start"]) * 1000) if words else base_ms
    end_ms = base_ms + int(float(words[-1]["end"]) * 1000) if words else base_ms
    if "[unk]" in text or not text:
        return NotUnderstood(text, start_ms, end_ms)
    matched = match_intent(text, context, start_ms=start_ms, end_ms=end_ms)
    if not isinstance(matched, Heard):
        return NotUnderstood(text, start_ms, end_ms)
    confidence = min((float(w.get("conf", 1.0)) for w in words), default=1.0)
    needed = SAFETY_CONFIDENCE if matched.intent in SAFETY_INTENTS else MIN_CONFIDENCE
    if confidence < needed:
        return NotUnderstood(text, start_ms, end_ms)
    return Heard(matched.intent, text, round(confidence, 3), start_ms, end_ms)
