"""Lines the coach may say next are rendered ahead, only while nobody is answering."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from assistant.dialog import prompts
from assistant.dialog.routine import load_routines
from assistant.events import Listen, LogEntry
from assistant.paths import fixtures_dir
from assistant.scenario.loader import load_scenario
from assistant.scenario.runner import run_scenario
from assistant.tts import Pyttsx3Synth
from assistant.tts.piper import _split_sentences
from assistant.ui.ahead import (
    Prerenderer,
    exercise_lines,
    fixed_lines,
    next_exercises,
    summary_start,
)


def _wait(condition: object, timeout_s: float = 20) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_the_next_exercises_come_from_the_routine_rules() -> None:
    extension = load_routines()["extension"]
    after = {e.id for e in next_exercises(extension, "press-up")}
    rules = extension.exercise("press-up").next
    assert after == {rules.better, rules.same, rules.worse} & set(extension.exercise_ids)
    lines = exercise_lines(extension.exercise("press-up"))
    assert lines[0] == "Next: Press-up." and "One, press up." in lines
    assert prompts.SYMPTOM_QUESTION in fixed_lines()


def test_lines_of_the_possible_next_exercises_are_rendered_while_exercising(
    tmp_path: Path,
) -> None:
    routines = load_routines()
    synth = Pyttsx3Synth("en-us", 150, 1.0, cache_dir=tmp_path)
    ahead = Prerenderer(synth, routines)
    ahead._not_before = 0  # no start-up grace in a test
    ahead.observe("action", Listen("symptom"), 0)  # someone is answering: wait
    start = LogEntry("session_started", 0, {"routine": "extension", "start_exercise": "press-up"})
    ahead.observe("action", start, 0)
    time.sleep(0.5)
    assert ahead.rendered == 0
    ahead.observe("action", LogEntry("exercise_started", 0, {"exercise": "press-up"}), 0)
    ahead.observe("action", Listen("command"), 0)  # exercising: render
    extension = routines["extension"]
    wanted = [line for e in next_exercises(extension, "press-up") for line in exercise_lines(e)]
    assert _wait(lambda: all(synth.cached(line) for line in wanted)), [
        line for line in wanted if not synth.cached(line)
    ]
    ahead.close()


def _rendered_ahead() -> set[str]:
    """Every line the coach renders ahead in some session: the fixed lines, and
    every exercise's lines on each side."""
    routines = load_routines()
    known = set(fixed_lines())
    for routine in routines.values():
        for exercise in routine.exercises:
            for side in (None, "left", "right"):
                known.update(exercise_lines(exercise, side))
    return known


def test_every_reply_to_the_person_in_the_scripted_sessions_is_rendered_ahead() -> None:
    """Whatever the coach says right after someone speaks (an answer, a command, a
    silence it reprompts) is among the lines rendered ahead, so no reply waits for
    Piper; only lines that follow another of its own lines (the closing summary,
    said after the advice before it) may be rendered as they come."""
    known = _rendered_ahead()
    summary = summary_start(["X"]).removesuffix(" one exercise: X.")  # "Today you did"
    replies = 0
    missing: list[str] = []
    for path in sorted((fixtures_dir() / "scenarios").glob("*.yaml")):
        transcript = run_scenario(load_scenario(path), engine="text").transcript
        for before, entry in itertools.pairwise(transcript):
            if entry.who != "coach":
                continue
            replies += before.who == "user"
            first = _split_sentences(entry.text)[0]  # Piper starts after the first sentence
            if entry.text in known or first in known:
                continue
            if first.startswith(summary):  # rendered ahead as the session goes (below)
                continue
            if before.who == "user":
                missing.append(f"{path.name}: {entry.text!r} after {before.text!r}")
    assert replies > 150  # the scenarios do reach the answers and commands
    assert not missing, missing


def test_the_summary_after_a_stop_is_rendered_for_the_exercises_done_so_far(
    tmp_path: Path,
) -> None:
    """A "stop" during an exercise is answered by the summary of what was done:
    its sentences are rendered while the exercise runs."""
    routines = load_routines()
    extension = routines["extension"]
    first, second = extension.exercises[0], extension.exercises[1]
    synth = Pyttsx3Synth("en-us", 150, 1.0, cache_dir=tmp_path)
    ahead = Prerenderer(synth, routines)
    ahead._not_before = 0
    start = {"routine": "extension", "start_exercise": first.id}
    for kind, data in (
        ("session_started", start),
        ("rating", {"phase": "before", "value": 7}),
        ("exercise_started", {"exercise": first.id}),
        ("exercise_finished", {"exercise": first.id, "answer": "better"}),
        ("exercise_started", {"exercise": second.id}),
    ):
        ahead.observe("action", LogEntry(kind, 0, data), 0)
    ahead.observe("action", Listen("command"), 0)
    both = summary_start([first.name, second.name])
    assert both.startswith("Today you did two exercises:")
    assert _wait(lambda: synth.cached(both))
    # and its next sentence, for each rating the person may give at the end
    went = "Your pain went from seven to three out of ten."
    assert _wait(lambda: synth.cached(went))
    ahead.close()
