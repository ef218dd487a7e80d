"""Kept for modules not yet moved (``baselines``): the protocol lives in ``protocol``,
engine selection in ``registry``.  Imports no adapter."""

from __future__ import annotations

from .protocol import Recognizer, Result, decode_clip

__all__ = ["Result", "Recognizer", "decode_clip"]
