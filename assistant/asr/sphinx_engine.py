"""Registry functions of the ``pocketsphinx`` engine (its model is in the wheel)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ModelNotFoundError
from .protocol import Recognizer
from .registry import EngineCheck, Located

__all__ = ["locate", "create", "check"]

_REINSTALL = "pip install --force-reinstall pocketsphinx"


def _model_folder() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us"


def _missing(model: Path) -> list[str]:
    needed = [model / "en-us", model / "cmudict-en-us.dict", model / "en-us.lm.bin"]
    return [p.name for p in needed if not p.exists()]


def locate(options: Mapping[str, Any]) -> Located:
    try:
        model = _model_folder()
    except ImportError as exc:
        raise ModelNotFoundError(f"pocketsphinx does not import ({exc}); {_REINSTALL}") from exc
    missing = _missing(model)
    if missing:
        raise ModelNotFoundError(f"{model}: missing {', '.join(missing)}; {_REINSTALL}")
    return Located(None, "bundled en-us model, grammar per context")


def create(located: Located) -> Recognizer:
    from .sphinx import SphinxRecognizer

    return SphinxRecognizer()


def check(options: Mapping[str, Any], required: bool) -> EngineCheck:
    name = "PocketSphinx model"
    try:
        model = _model_folder()
    except ImportError as exc:
        fix = "pip install pocketsphinx (its wheel carries the English model)"
        return EngineCheck(name, "FAIL", f"does not import ({exc})", fix)
    missing = _missing(model)
    if missing:
        return EngineCheck(name, "FAIL", f"{model}: missing {', '.join(missing)}", _REINSTALL)
    return EngineCheck(name, "ok", str(model))
