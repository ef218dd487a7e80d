"""The checks a routine file must pass beyond its schema, each error naming the
file, the exercise and the key: ids, ranges, placeholders, and a graph where
every exercise is reached and every path can end."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ..errors import RoutineError
from .routine import (
    _PLACEHOLDERS,
    ANSWERS,
    HOLD_MAX_S,
    HOLD_MIN_S,
    OUTCOME_TARGETS,
    Exercise,
    Routine,
)

__all__ = ["check", "describe"]


# ------------------------------------------------------------------ checking


def _exercise_label(data: Mapping[str, Any], index: int) -> str:
    exercises = data.get("exercises")
    if isinstance(exercises, list) and index < len(exercises):
        item = exercises[index]
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            return f"exercise '{item['id']}'"
    return f"exercise #{index + 1}"


def describe(error: ValidationError, data: Mapping[str, Any]) -> str:
    first = error.errors()[0]
    loc = list(first["loc"])
    prefix = ""
    if len(loc) >= 2 and loc[0] == "exercises" and isinstance(loc[1], int):
        prefix = _exercise_label(data, loc[1]) + ": "
        loc = loc[2:]
    key = ".".join(str(part) for part in loc) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{prefix}unknown key '{key}'; remove it or check its spelling"
    if kind == "missing":
        return f"{prefix}missing key '{key}'"
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "source":
        return f"{prefix}key '{key}': must name a seed file like 003_e4878caa4eb5b3c5.txt"
    return f"{prefix}key '{key}': {first['msg']}"


def _fail(name: str, exercise: Exercise | None, key: str, message: str) -> RoutineError:
    where = f"exercise '{exercise.id}': " if exercise is not None else ""
    return RoutineError(f"{name}: {where}key '{key}': {message}")


def check(routine: Routine, name: str, expected_id: str | None) -> None:
    if expected_id is not None and routine.id != expected_id:
        raise _fail(name, None, "id", f"'{routine.id}' must match the file name '{expected_id}'")
    ids = routine.exercise_ids
    seen: set[str] = set()
    for exercise in routine.exercises:
        if exercise.id in seen:
            raise _fail(name, exercise, "id", "used by two exercises; ids must be unique")
        if exercise.id in OUTCOME_TARGETS:
            raise _fail(name, exercise, "id", f"'{exercise.id}' is reserved for next rules")
        seen.add(exercise.id)
    if routine.first is not None and routine.first not in ids:
        raise _fail(name, None, "first", f"unknown exercise '{routine.first}'")
    for exercise in routine.exercises:
        _check_exercise(routine, exercise, name)
    _check_graph(routine, name)


def _check_hold(name: str, exercise: Exercise, key: str, value: int) -> None:
    if not HOLD_MIN_S <= value <= HOLD_MAX_S:
        raise _fail(name, exercise, key, f"{value} s is outside {HOLD_MIN_S}-{HOLD_MAX_S} s")


def _check_range(
    name: str, exercise: Exercise, key: str, value: int | None, rng: tuple[int, int] | None
) -> None:
    if rng is None:
        return
    low, high = rng
    if value is None:
        raise _fail(name, exercise, key, "a range needs the value it belongs to")
    if not low <= value <= high:
        raise _fail(name, exercise, key, f"{value} is not within {low}-{high}")


def _check_exercise(routine: Routine, exercise: Exercise, name: str) -> None:
    if exercise.reps is None and exercise.hold_s is None:
        raise _fail(name, exercise, "reps", "an exercise needs reps, hold_s or both")
    if exercise.hold_s is not None:
        _check_hold(name, exercise, "hold_s", exercise.hold_s)
    if exercise.hold_range_s is not None:
        for value in exercise.hold_range_s:
            _check_hold(name, exercise, "hold_range_s", value)
    _check_range(name, exercise, "hold_range_s", exercise.hold_s, exercise.hold_range_s)
    _check_range(name, exercise, "reps_range", exercise.reps, exercise.reps_range)
    if exercise.extend_while_better and (
        exercise.hold_range_s is None or exercise.hold_range_s[1] <= (exercise.hold_s or 0)
    ):
        raise _fail(
            name, exercise, "extend_while_better", "needs a hold_range_s reaching above hold_s"
        )
    for answer in ANSWERS:
        target = exercise.next.target(answer)
        if target not in OUTCOME_TARGETS and not routine.has(target):
            known = ", ".join([*routine.exercise_ids, *OUTCOME_TARGETS])
            raise _fail(
                name, exercise, f"next.{answer}", f"unknown exercise '{target}' (known: {known})"
            )
    texts: list[tuple[str, str]] = [("position", exercise.position)]
    texts += [(f"steps.{i}", text) for i, text in enumerate(exercise.steps)]
    texts += [(f"cautions.{i}", text) for i, text in enumerate(exercise.cautions)]
    texts += [(f"rep_cues.{i}", text) for i, text in enumerate(exercise.rep_cues)]
    for key, text in texts:
        _check_placeholders(name, exercise, key, text)


def _check_placeholders(name: str, exercise: Exercise, key: str, text: str) -> None:
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as exc:
        raise _fail(name, exercise, key, f"bad braces ({exc})") from None
    for field in fields:
        if field not in _PLACEHOLDERS:
            raise _fail(name, exercise, key, f"unknown placeholder '{{{field}}}'")
        if exercise.sides == "none":
            raise _fail(name, exercise, key, f"'{{{field}}}' needs sides: affected or each")


def _check_graph(routine: Routine, name: str) -> None:
    edges = {
        exercise.id: {exercise.next.target(answer) for answer in ANSWERS}
        for exercise in routine.exercises
    }
    reachable = _reach(edges, routine.start)
    for exercise in routine.exercises:
        if exercise.id not in reachable:
            raise _fail(
                name,
                exercise,
                "id",
                f"never reached from the start '{routine.start}'; "
                "name it in some next rule or remove it",
            )
        if not _reach(edges, exercise.id) & set(OUTCOME_TARGETS):
            raise _fail(
                name, exercise, "next", "loop with no way out: no rule ever leads to done or stop"
            )


def _reach(edges: Mapping[str, set[str]], start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), set()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
