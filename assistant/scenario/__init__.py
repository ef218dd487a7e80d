"""Scripted sessions: scenario files played through the real recognizer and engine.

See ``audio_fixtures/scenarios/README.md`` for the file format.
"""

from __future__ import annotations

from .loader import (
    LoadedScenario,
    RoutineCatalog,
    load_scenario,
    parse_scenario,
    parse_scenario_text,
    routine_catalog,
)
from .model import Expect, Scenario, Turn
from .result import Failure, ScenarioResult, TranscriptEntry

__all__ = [
    "Expect",
    "Failure",
    "LoadedScenario",
    "RoutineCatalog",
    "Scenario",
    "ScenarioResult",
    "TranscriptEntry",
    "Turn",
    "load_scenario",
    "parse_scenario",
    "parse_scenario_text",
    "routine_catalog",
]
