"""Lines the coach may say next are rendered ahead, only while nobody is answering."""

from __future__ import annotations

import time
from pathlib import Path

from assistant.dialog import prompts
from assistant.dialog.routine import load_routines
from assistant.events import Listen, LogEntry
from assistant.tts import Pyttsx3Synth
from assistant.ui.ahead import Prerenderer, exercise_lines, fixed_lines, next_exercises


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
