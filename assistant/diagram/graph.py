"""The routine's decision graph: its arrows (read from the dialog machine's
transitions), the rules over them, and the words and colours both drawings use."""

from __future__ import annotations

from dataclasses import dataclass

from ..dialog.machine import FlowMachine, routine_transitions, target_of
from ..dialog.routine import Exercise, Routine
from ..vocab import Answer

__all__ = [
    "Edge",
    "edges",
    "global_rules",
    "short_dose",
    "COLOUR",
    "STOP_FILL",
    "DONE_FILL",
    "EX_FILL",
]

#: Colours of the answers (the same as the progress report's).
COLOUR = {Answer.BETTER: "#009E73", Answer.SAME: "#6E6E6E", Answer.WORSE: "#D55E00"}
STOP_FILL, DONE_FILL, EX_FILL = "#FBE3D6", "#D9F2E9", "#E8F1FA"


def global_rules() -> tuple[str, ...]:
    """The rules the dialog engine applies on top of the arrows, in words."""
    from ..dialog.engine import MAX_VISITS, MAX_WORSE

    return (
        "Before the first exercise: a yes to any red-flag question ends the session "
        "(red_flag, with advice to get urgent care, or to see a doctor first after cancer, "
        "a spinal fracture or an injury).",
        "At any time: saying “stop” ends the session (stopped_by_user; once an exercise "
        "has begun, after the closing rating, which can be skipped). “Ouch”, “that hurts” "
        "or “worse” during an exercise stops it at once and takes its “worse” arrow, "
        "without asking (in the stenosis hold, a mild “it hurts” in the first seconds is "
        "expected: reassured once, the hold goes on).",
        "A “better” that names a place further from the spine than where the pain was at "
        "the start counts as “worse”; the same place is asked again.",
        f"A {_ordinal(MAX_WORSE)} “worse” in one session stops it (stopped_worse), "
        "whatever the arrow says.",
        f"An exercise is done at most {MAX_VISITS} times per session; an arrow back to it "
        "after that finishes the routine (completed).",
        "“Skip” during an exercise asks how the pain is, and that answer takes its arrow "
        "(never straight on to a harder stage); no answer at all ends the session "
        "(no_response).",
    )


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


@dataclass(frozen=True)
class Edge:
    """One arrow: from an exercise to an exercise id, ``done`` or ``stop``."""

    source: str
    target: str
    answers: tuple[str, ...]

    @property
    def label(self) -> str:
        return " / ".join(self.answers)

    @property
    def colour(self) -> str:
        # Any arrow taken on "worse" (and not on "better") is in the warning colour.
        worse, better = Answer.WORSE in self.answers, Answer.BETTER in self.answers
        if worse and not better:
            return COLOUR[Answer.WORSE]
        if better and not worse:
            return COLOUR[Answer.BETTER]
        return COLOUR[Answer.SAME]

    @property
    def is_self_loop(self) -> bool:
        return self.source == self.target


def edges(routine: Routine) -> list[Edge]:
    """The routine's arrows, answers with the same target merged ("better / same").

    Read from the transitions the dialog's state machine is built from, so the
    drawing cannot disagree with what the engine does (the guards that apply
    whatever the answers are listed by :func:`global_rules`).
    """
    targets: dict[str, dict[str, list[str]]] = {e.id: {} for e in routine.exercises}
    for rule in routine_transitions(routine):
        source = FlowMachine.exercise_of(rule["source"])
        assert source is not None
        targets[source].setdefault(target_of(rule["dest"]), []).append(rule["trigger"])
    return [Edge(s, t, tuple(a)) for s, by in targets.items() for t, a in by.items()]


def short_dose(exercise: Exercise) -> str:
    parts = []
    if exercise.reps is not None:
        parts.append(f"{exercise.reps} reps")
    if exercise.hold_s is not None:
        hold = f"{exercise.hold_s} s hold"
        parts.append(hold if exercise.reps is None else f"{exercise.hold_s} s hold each")
    if exercise.sides == "each":
        parts.append("each side")
    elif exercise.sides == "affected":
        parts.append("painful side")
    text = ", ".join(parts)
    if exercise.extend_while_better and exercise.hold_max_s:
        text += f"; held longer while better (to {exercise.hold_max_s} s)"
    return text
