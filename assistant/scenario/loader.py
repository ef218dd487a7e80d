"""Read scenario files with precise, one-line errors naming the file and the key.

Three entry points share one validator (as hassil does): :func:`load_scenario`
(a file), :func:`parse_scenario_text` (a YAML string) and :func:`parse_scenario`
(an already-loaded dict).  Every problem raises :class:`ScenarioError` whose
message is ``<file>: <key path>: <what is wrong>``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError, describe_yaml_error
from ..events import CONTEXTS, OUTCOMES
from ..paths import fixtures_dir
from .model import ENGINES, Expect, Scenario, Turn

__all__ = [
    "LoadedScenario",
    "RoutineCatalog",
    "load_scenario",
    "parse_scenario",
    "parse_scenario_text",
    "routine_catalog",
    "resolve_wav",
]

#: routine id -> the ids of the exercises it can run.
RoutineCatalog = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and where it came from."""

    scenario: Scenario
    source: str
    base_dir: Path

    @property
    def name(self) -> str:
        return Path(self.source).stem


@functools.cache
def routine_catalog() -> dict[str, tuple[str, ...]]:
    """The routines and their exercise ids, as loaded from ``dialogs/``."""
    from ..dialog.routine import load_routines

    return {rid: tuple(routine.exercise_ids) for rid, routine in load_routines().items()}


def resolve_wav(name: str, base_dir: Path) -> Path | None:
    """A ``wav:`` path: under ``audio_fixtures/``, else next to the scenario file."""
    path = Path(name)
    candidates = [path] if path.is_absolute() else [fixtures_dir() / path, base_dir / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def load_scenario(path: Path, catalog: RoutineCatalog | None = None) -> LoadedScenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from exc
    return parse_scenario_text(text, source=str(path), base_dir=path.parent, catalog=catalog)


def parse_scenario_text(
    text: str,
    *,
    source: str = "<scenario>",
    base_dir: Path | None = None,
    catalog: RoutineCatalog | None = None,
) -> LoadedScenario:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: {describe_yaml_error(exc)}") from exc
    return parse_scenario(data, source=source, base_dir=base_dir, catalog=catalog)


def parse_scenario(
    data: Any,
    *,
    source: str = "<scenario>",
    base_dir: Path | None = None,
    catalog: RoutineCatalog | None = None,
) -> LoadedScenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping of keys (routine, turns, …)")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {_describe(exc)}") from exc
    base = base_dir if base_dir is not None else Path.cwd()
    _check(scenario, catalog if catalog is not None else routine_catalog(), base, source)
    return LoadedScenario(scenario=scenario, source=source, base_dir=base)


# ------------------------------------------------------------------ messages


def _key_path(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _model_at(loc: Sequence[int | str]) -> type[BaseModel]:
    """The model that owns the last key of ``loc``."""
    if loc and loc[0] == "turns" and len(loc) > 2:
        return Turn
    if loc and loc[0] == "expect" and len(loc) > 1:
        return Expect
    return Scenario


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = tuple(first["loc"])
    key = _key_path(loc)
    if first["type"] == "extra_forbidden":
        known = ", ".join(_model_at(loc).model_fields)
        return f"{key}: unknown key (known keys here: {known})"
    if first["type"] == "missing":
        return f"{key}: required key is missing"
    plain = _PLAIN_MESSAGES.get(first["type"])
    if plain is not None:
        return f"{key}: {plain}, not {_shown(first.get('input'))}"
    return f"{key}: {first['msg']}"


#: Pydantic error types in words a scenario author knows.
_PLAIN_MESSAGES = {
    "model_type": "must be a mapping of keys",
    "dict_type": "must be a mapping of keys",
    "list_type": "must be a list",
    "string_type": "must be text",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fail(source: str, key: str, message: str) -> ScenarioError:
    return ScenarioError(f"{source}: {key}: {message}")


def _choices(values: Sequence[str]) -> str:
    return ", ".join(values)


# ------------------------------------------------------------------- checks


def _check(scenario: Scenario, catalog: RoutineCatalog, base_dir: Path, source: str) -> None:
    if scenario.routine not in catalog:
        raise _fail(
            source,
            "routine",
            f"unknown routine '{scenario.routine}' (known: {_choices(sorted(catalog))})",
        )
    exercises = tuple(catalog[scenario.routine])

    def check_exercise(key: str, exercise: str) -> None:
        if exercise in exercises:
            return
        raise _fail(
            source,
            key,
            f"unknown exercise '{exercise}' for routine '{scenario.routine}' "
            f"(its exercises: {_choices(exercises)})",
        )

    if scenario.start is not None:
        check_exercise("start", scenario.start)
    if scenario.engine is not None and scenario.engine not in ENGINES:
        raise _fail(
            source, "engine", f"unknown engine '{scenario.engine}' (known: {_choices(ENGINES)})"
        )
    for context in scenario.defaults:
        if context not in CONTEXTS:
            raise _fail(
                source,
                f"defaults.{context}",
                f"unknown listening context '{context}' (known: {_choices(CONTEXTS)})",
            )
    for index, turn in enumerate(scenario.turns):
        _check_turn(turn, f"turns[{index}]", source, base_dir, check_exercise)
    expect = scenario.expect
    if expect.outcome is not None and expect.outcome not in OUTCOMES:
        raise _fail(
            source,
            "expect.outcome",
            f"unknown outcome '{expect.outcome}' (known: {_choices(OUTCOMES)})",
        )
    for index, exercise in enumerate(expect.exercises or ()):
        check_exercise(f"expect.exercises[{index}]", exercise)


def _check_turn(turn: Turn, key: str, source: str, base_dir: Path, check_exercise: Any) -> None:
    given = [name for name in ("say", "wav", "silence_s") if getattr(turn, name) is not None]
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        raise _fail(source, key, f"a turn needs exactly one of say, wav, silence_s (got {what})")
    if turn.context is not None and turn.context not in CONTEXTS:
        raise _fail(
            source,
            f"{key}.context",
            f"unknown listening context '{turn.context}' (known: {_choices(CONTEXTS)})",
        )
    if turn.during is not None:
        check_exercise(f"{key}.during", turn.during)
        if turn.silence_s is not None:
            raise _fail(
                source, f"{key}.silence_s", "a 'during' turn speaks: use say or wav, not silence"
            )
    if turn.voice is not None and turn.say is None:
        raise _fail(source, f"{key}.voice", "a voice only applies to a 'say' turn")
    if turn.wav is not None and resolve_wav(turn.wav, base_dir) is None:
        raise _fail(
            source,
            f"{key}.wav",
            f"no such recording '{turn.wav}' under {fixtures_dir()} or {base_dir}",
        )
