"""The typed-text "recognizer" (engine ``text``): typed answers through the matcher."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from ..events import CONTEXTS
from .matcher import match_intent
from .protocol import Recognizer, Result
from .registry import EngineCheck, Located

__all__ = ["TextRecognizer", "locate", "create", "check"]


class TextRecognizer:
    """Implements ``Recognizer``; audio is ignored, ``accept_text`` does the work."""

    name = "text"
    sample_rate = 16000

    def __init__(self) -> None:
        self.description = "typed text (no speech recognition)"
        self._context: str | None = None

    def set_context(self, context: str | None) -> None:
        if context is not None and context not in CONTEXTS:
            raise ValueError(f"unknown listening context {context!r}")
        self._context = context

    def accept(self, samples: npt.NDArray[np.int16], timestamp_ms: int) -> list[Result]:
        return []

    def flush(self) -> list[Result]:
        return []

    def reset(self) -> None:
        pass

    def accept_text(self, text: str, timestamp_ms: int = 0) -> list[Result]:
        """One typed line; nothing while not listening."""
        if self._context is None:
            return []
        return [match_intent(text, self._context, start_ms=timestamp_ms, end_ms=timestamp_ms)]


def locate(options: Mapping[str, Any]) -> Located:
    return Located(None, "no speech recognition")


def create(located: Located) -> Recognizer:
    return TextRecognizer()


def check(options: Mapping[str, Any], required: bool) -> EngineCheck:
    return EngineCheck("Typed text", "ok", "always available")
