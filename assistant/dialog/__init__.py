"""The dialog engine: routines as data and the sans-I/O state machine that runs them."""

from __future__ import annotations

from .routine import Exercise, NextRules, Routine, load_routine, load_routines

__all__ = ["Exercise", "NextRules", "Routine", "load_routine", "load_routines"]
