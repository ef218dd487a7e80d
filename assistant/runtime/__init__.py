"""The voice runtime: the loop (``loop``), what may cut the coach off
(``bargein``), lost devices (``devices``), what is shown (``captions``), the
collaborators' protocols (``protocols``) and the real thing wired up (``wiring``)."""

from __future__ import annotations

from ..vocab import BARGE_IN_INTENTS
from .captions import Caption, Captions, LineCaptions, NoCaptions
from .loop import TAIL_MS, Runtime
from .protocols import EngineLike, LoopClock, RecognizerLike, WatchedOutput
from .wiring import build_voice_runtime, run_voice

__all__ = [
    "BARGE_IN_INTENTS",
    "TAIL_MS",
    "Caption",
    "Captions",
    "EngineLike",
    "LineCaptions",
    "LoopClock",
    "NoCaptions",
    "RecognizerLike",
    "Runtime",
    "WatchedOutput",
    "build_voice_runtime",
    "run_voice",
]
