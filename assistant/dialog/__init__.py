"""The dialog engine: routines as data and the sans-I/O state machine that runs them."""

from __future__ import annotations

from .engine import Engine, routine_transitions
from .routine import (
    Exercise,
    NextRules,
    Routine,
    load_routine,
    load_routine_data,
    load_routine_file,
    load_routine_text,
    load_routines,
)

__all__ = [
    "Engine",
    "Exercise",
    "NextRules",
    "Routine",
    "load_routine",
    "load_routine_data",
    "load_routine_file",
    "load_routine_text",
    "load_routines",
    "routine_transitions",
]
