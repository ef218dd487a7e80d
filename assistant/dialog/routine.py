"""Routines as data: typed models for ``dialogs/*.yaml`` and the one loader.

A routine file holds one routine: an id, a title, a description and a list of
exercises.  Each exercise names the seed article it comes from, says how to get
into position, how many repetitions and/or how long a hold, at what tempo, and
which exercise comes next when the leg pain is ``better``, the ``same`` or
``worse``.  A ``next`` target is another exercise id, ``done`` (the routine is
over) or ``stop`` (stop at once with advice).

There is one loader with three entry points -- :func:`load_routine_file` (a
path), :func:`load_routine_text` (a stream's text) and :func:`load_routine_data`
(a dict) -- and every problem is a one-line :class:`RoutineError` naming the
file, the exercise and the key.  Loading never falls back silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from ..errors import RoutineError, describe_yaml_error
from ..paths import dialogs_dir
from ..vocab import Answer

__all__ = [
    "DONE",
    "STOP",
    "OUTCOME_TARGETS",
    "ANSWERS",
    "HOLD_MIN_S",
    "HOLD_MAX_S",
    "Exercise",
    "NextRules",
    "Responses",
    "Routine",
    "load_routine",
    "load_routines",
    "load_routine_file",
    "load_routine_text",
    "load_routine_data",
    "validate_routine_files",
    "routine_files",
]

DONE: Final = "done"
STOP: Final = "stop"
OUTCOME_TARGETS: Final[tuple[str, ...]] = (DONE, STOP)
ANSWERS: Final[tuple[str, ...]] = tuple(a.value for a in Answer)
HOLD_MIN_S: Final = 1
HOLD_MAX_S: Final = 300
_SEED_PATTERN: Final = r"^\d{3}_[0-9a-f]{16}\.txt$"
_ID_PATTERN: Final = r"^[a-z][a-z0-9-]*$"
_PLACEHOLDERS: Final = frozenset({"side", "other_side"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NextRules(_Model):
    """Where to go after the symptom answer: an exercise id, ``done`` or ``stop``."""

    better: str
    same: str
    worse: str

    def target(self, answer: str) -> str:
        value: str = getattr(self, answer)
        return value


class Responses(_Model):
    """Optional words said after an answer, before moving on (advice from the seed)."""

    better: str | None = None
    same: str | None = None
    worse: str | None = None

    def for_answer(self, answer: str) -> str | None:
        value: str | None = getattr(self, answer)
        return value


class Exercise(_Model):
    """One exercise of a routine."""

    id: str = Field(pattern=_ID_PATTERN)
    name: str = Field(min_length=1)
    source: str = Field(pattern=_SEED_PATTERN)
    also_from: list[str] = Field(default_factory=list)
    position: str = Field(min_length=1)
    steps: list[str] = Field(min_length=1)
    cautions: list[str] = Field(default_factory=list)
    #: Repetitions per side (``None``: one long hold).
    reps: int | None = Field(default=None, ge=1, le=50)
    reps_range: tuple[int, int] | None = None
    #: Seconds to hold each repetition (or the one hold).
    hold_s: int | None = None
    hold_range_s: tuple[int, int] | None = None
    sets: int = Field(default=1, ge=1, le=5)
    rest_s: int = Field(default=10, ge=1, le=120)
    #: Seconds for the movement of one repetition (into position and back).
    tempo_s: float = Field(default=3.0, ge=1.0, le=20.0)
    #: ``affected``: done on the painful side (asks once which side);
    #: ``each``: done on both sides, the painful one first when known.
    sides: Literal["none", "affected", "each"] = "none"
    #: Said with the count of each repetition, in turn ("One: press up").
    rep_cues: list[str] = Field(default_factory=list)
    hold_cue: str = "hold"
    release_cue: str = "and relax"
    #: Said when a hold starts: what to notice while holding.
    watch: str | None = None
    #: After the hold, if the answer is ``better``, hold again (up to the top of
    #: ``hold_range_s``) before following ``next.better``.
    extend_while_better: bool = False
    #: For this many seconds from the start of the hold a mild "it hurts" is expected
    #: (000: "Initially, you should feel increased back pain"): reassured, not stopped.
    early_increase_s: int | None = Field(default=None, ge=1, le=60)
    responses: Responses = Field(default_factory=Responses)
    stop_advice: str | None = None
    next: NextRules

    @property
    def one_sided(self) -> bool:
        return self.sides == "affected"

    @property
    def hold_max_s(self) -> int | None:
        if self.hold_range_s is not None:
            return self.hold_range_s[1]
        return self.hold_s

    def dose(self) -> str:
        """The dose in words, e.g. ``10 repetitions, 2 s hold`` (for ``routines show``)."""
        parts: list[str] = []
        if self.reps is not None:
            low_high = self.reps_range
            reps = f"{low_high[0]}-{low_high[1]}" if low_high else str(self.reps)
            parts.append(
                f"{reps} repetitions (doing {self.reps})" if low_high else f"{reps} repetitions"
            )
        if self.hold_s is not None:
            rng = self.hold_range_s
            hold = (
                f"{rng[0]}-{rng[1]} s hold (doing {self.hold_s} s)"
                if rng
                else f"{self.hold_s} s hold"
            )
            parts.append(hold)
        if self.extend_while_better:
            parts.append("held longer while it keeps helping")
        if self.sets > 1:
            parts.append(f"{self.sets} sets")
        if self.sides == "each":
            parts.append("each side")
        elif self.sides == "affected":
            parts.append("on the painful side")
        if self.reps is not None:
            parts.append(f"{self.tempo_s:g} s per repetition")
        return ", ".join(parts)


class Routine(_Model):
    """A routine: exercises and the rules that move between them."""

    id: str = Field(pattern=_ID_PATTERN)
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    first: str | None = None
    exercises: list[Exercise] = Field(min_length=1)
    _origin: str = PrivateAttr(default="<dict>")

    @property
    def origin(self) -> str:
        """Where the routine was loaded from (a file path or a name)."""
        return self._origin

    @property
    def start(self) -> str:
        return self.first if self.first is not None else self.exercises[0].id

    @property
    def exercise_ids(self) -> list[str]:
        return [exercise.id for exercise in self.exercises]

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(exercise_id)

    def has(self, exercise_id: str) -> bool:
        return exercise_id in self.exercise_ids

    @property
    def needs_side(self) -> bool:
        return any(exercise.one_sided for exercise in self.exercises)


# ------------------------------------------------------------------- loading


def routine_files(directory: Path | None = None) -> list[Path]:
    """The routine files in ``directory`` (default: the bundled ``dialogs/``)."""
    folder = directory if directory is not None else dialogs_dir()
    if not folder.is_dir():
        raise RoutineError(f"{folder}: routine folder not found; reinstall Back Coach")
    return sorted(folder.glob("*.yaml"))


def load_routine_file(path: Path | str) -> Routine:
    """Load and check one routine file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RoutineError(f"{path}: no such routine file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutineError(f"{path}: cannot read ({exc})") from None
    return load_routine_text(text, str(path), expected_id=path.stem)


def load_routine_text(
    text: str, name: str = "<text>", *, expected_id: str | None = None
) -> Routine:
    """Load a routine from YAML text (a stream's contents); ``name`` is used in errors."""
    try:
        # libyaml's loader when PyYAML has it: 25x faster, and every session loads
        # every routine before its first word
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise RoutineError(f"{name}: {describe_yaml_error(exc)}") from None
    if not isinstance(data, Mapping):
        raise RoutineError(f"{name}: expected a mapping with id, title, description, exercises")
    return load_routine_data(data, name, expected_id=expected_id)


def load_routine_data(
    data: Mapping[str, Any], name: str = "<dict>", *, expected_id: str | None = None
) -> Routine:
    """Check a routine given as plain data (as ``yaml.safe_load`` returns it)."""
    from .routine_checks import check, describe  # they read this module's models

    try:
        routine = Routine.model_validate(data)
    except ValidationError as exc:
        raise RoutineError(f"{name}: {describe(exc, data)}") from None
    check(routine, name, expected_id)
    routine._origin = name
    return routine


def load_routine(id_or_path: str | Path, directory: Path | None = None) -> Routine:
    """A routine by id (looked up in ``directory`` or ``dialogs/``) or by file path."""
    text = str(id_or_path)
    if isinstance(id_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        return load_routine_file(Path(text))
    folder = directory if directory is not None else dialogs_dir()
    path = folder / f"{text}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in routine_files(folder)) or "none"
        raise RoutineError(f"unknown routine '{text}' (known: {known})")
    return load_routine_file(path)


def load_routines(directory: Path | None = None) -> dict[str, Routine]:
    """Every routine in ``directory`` (default ``dialogs/``), by id.  Any bad file raises."""
    files = routine_files(directory)
    if not files:
        folder = directory if directory is not None else dialogs_dir()
        raise RoutineError(f"{folder}: no routine files (*.yaml) found")
    return {routine.id: routine for routine in (load_routine_file(path) for path in files)}


def validate_routine_files(paths: Iterable[Path]) -> list[str]:
    """Check each file; return one error line per bad file (empty: all good)."""
    errors: list[str] = []
    for path in paths:
        try:
            load_routine_file(path)
        except RoutineError as exc:
            errors.append(str(exc))
    return errors
