"""Every ``next`` rule of every routine, driven through the engine on a virtual clock."""

from __future__ import annotations

from functools import cache

import pytest

from assistant.clock import VirtualClock
from assistant.dialog import prompts
from assistant.dialog.driver import Driver
from assistant.dialog.engine import Engine
from assistant.dialog.routine import DONE, STOP, Routine, load_routines
from assistant.events import Interrupted


@cache
def routines() -> dict[str, Routine]:
    return load_routines()


def session(routine_id: str, start: str, side: str | None = "left") -> Driver:
    clock = VirtualClock()
    driver = Driver(
        Engine(routines(), clock, routine_id=routine_id, start_at=start, side=side), clock
    )
    driver.start()
    return driver


def answer_once(driver: Driver, answer: str) -> str:
    """Answer the symptom question after the current exercise; return where it led.

    Returns the next exercise id, or ``done`` / ``stop`` when the session ended
    (completed / stopped_worse).  "better" on an exercise that is held longer
    while it helps is answered again until the rule applies.
    """
    assert driver.run_until_question() == "symptom"
    started = len(driver.exercises_started())
    current = driver.engine.exercise
    driver.answer(answer)
    while True:
        if driver.engine.finished:
            assert driver.end is not None
            return {"completed": DONE, "stopped_worse": STOP}[driver.end.outcome]
        if len(driver.exercises_started()) > started:
            return driver.exercises_started()[started]
        if driver.engine.awaiting_answer and driver.engine.listening_context == "location":
            driver.answer("thigh")  # where the pain is, asked at the first one-sided exercise
            continue
        if driver.engine.awaiting_answer and driver.engine.listening_context == "side":
            driver.answer("right")
            continue
        if driver.engine.awaiting_answer and driver.engine.exercise == current:
            # held longer while it keeps helping: answer again
            assert driver.run_until_question() == "symptom"
            driver.answer(answer)
            continue
        assert driver.step(), driver.tail()


RULES = [
    (routine.id, exercise.id, answer, exercise.next.target(answer))
    for routine in routines().values()
    for exercise in routine.exercises
    for answer in ("better", "same", "worse")
]


@pytest.mark.parametrize(("routine_id", "exercise", "answer", "target"), RULES)
def test_every_rule_is_followed(routine_id: str, exercise: str, answer: str, target: str) -> None:
    driver = session(routine_id, exercise)
    assert answer_once(driver, answer) == target


# The rules as the seeds state them (the data above must say the same).
SEED_RULES = [
    ("extension", "prone-lying", "worse", STOP),
    ("extension", "prone-props", "worse", STOP),
    ("extension", "prone-props", "same", "press-up"),
    ("extension", "press-up", "same", "press-up-hips-off-centre"),
    ("extension", "press-up", "worse", "press-up-hips-off-centre"),
    ("extension", "press-up-hips-off-centre", "same", "side-glide"),
    ("extension", "side-glide", "better", "press-up"),
    ("extension", "side-glide", "same", "flexion-rotation"),
    ("extension", "flexion-rotation", "same", "standing-extension"),
    ("flexion", "supine-flexion", "better", "seated-flexion"),
    ("flexion", "seated-flexion", "better", "standing-flexion"),
    ("flexion", "standing-flexion", "better", "prone-props"),
    ("flexion", "seated-flexion", "worse", STOP),
    ("stenosis", "standing-extension", "better", DONE),
    ("stenosis", "standing-extension", "same", "supine-flexion"),
    ("stenosis", "standing-extension", "worse", "supine-flexion"),
    ("stretches", "press-up", "worse", STOP),
    ("stretches", "knee-to-chest", "worse", STOP),
    ("stretches", "childs-pose", "worse", STOP),
    ("stretches", "cat-camel", "worse", STOP),
    ("stretches", "sciatic-nerve-glide", "worse", STOP),
    ("stretches", "sciatic-nerve-glide", "better", DONE),
]


@pytest.mark.parametrize(("routine_id", "exercise", "answer", "target"), SEED_RULES)
def test_seed_rules(routine_id: str, exercise: str, answer: str, target: str) -> None:
    driver = session(routine_id, exercise)
    assert answer_once(driver, answer) == target


def test_stenosis_says_what_the_answer_means() -> None:
    driver = session("stenosis", "standing-extension")
    answer_once(driver, "same")
    assert any("not suitable" in text for text in driver.texts())
    driver = session("stenosis", "standing-extension")
    answer_once(driver, "better")
    assert any("a few times a day" in text for text in driver.texts())


def test_stop_rule_gives_the_exercise_advice() -> None:
    driver = session("extension", "prone-props")
    assert answer_once(driver, "worse") == STOP
    assert any(
        "come down now" in text.lower() or "stop now" in text.lower() for text in driver.texts()
    )
    finished = driver.logs_of("exercise_finished")
    assert finished[-1].data["answer"] == "worse"


def test_worse_twice_in_a_session_stops_even_where_the_rule_goes_on() -> None:
    driver = session("extension", "press-up")
    assert answer_once(driver, "worse") == "press-up-hips-off-centre"
    assert answer_once(driver, "better") == "press-up"
    # press-up worse would normally lead to the shifted press-up
    assert answer_once(driver, "worse") == STOP
    assert any("worse twice" in text for text in driver.texts())
    assert driver.end is not None and driver.end.outcome == "stopped_worse"


def test_no_answer_pattern_loops_for_ever() -> None:
    driver = session("extension", "press-up")
    path = ["press-up"]
    for answer in ["same", "better", "same", "better"]:
        path.append(answer_once(driver, answer))
    # press-up -> shifted -> press-up -> shifted -> (press-up a third time: no) done
    assert path == [
        "press-up",
        "press-up-hips-off-centre",
        "press-up",
        "press-up-hips-off-centre",
        DONE,
    ]
    assert any("as often as is useful" in text for text in driver.texts())


def test_extension_session_through_every_exercise() -> None:
    driver = session("extension", "prone-lying", side=None)
    path = [
        answer_once(driver, "same"),  # prone lying -> props
        answer_once(driver, "same"),  # props -> press-up
        answer_once(driver, "same"),  # press-up -> hips off centre (asks the side)
        answer_once(driver, "same"),  # -> side glide
        answer_once(driver, "same"),  # -> flexion rotation
        answer_once(driver, "better"),  # -> standing extension
        answer_once(driver, "better"),  # -> done
    ]
    assert path == [
        "prone-props",
        "press-up",
        "press-up-hips-off-centre",
        "side-glide",
        "flexion-rotation",
        "standing-extension",
        DONE,
    ]
    texts = driver.texts()
    assert texts.count(prompts.LOCATION_QUESTION) == 1
    assert texts.count(prompts.LOCATION_SIDE_QUESTION) == 1
    assert texts.count(prompts.SIDE_QUESTION) == 0  # the side is not asked twice
    assert [log.data["side"] for log in driver.logs_of("exercise_started")] == [
        None,
        None,
        None,
        "right",
        None,
        "right",
        None,
    ]
    assert any("hips over to the left, away from the painful side" in t for t in texts)
    assert any("swing your feet over to the right" in t for t in texts)
    assert any("Lie down on your right side" in t for t in texts)


@pytest.mark.parametrize("ending", ["stop", "interrupt"])
def test_stopping_during_the_closing_rating_keeps_stopped_worse(ending: str) -> None:
    clock = VirtualClock()
    engine = Engine(
        routines(),
        clock,
        routine_id="extension",
        start_at="prone-props",
        side="left",
        ask_rating=True,
    )
    driver = Driver(engine, clock)
    driver.start()
    assert driver.run_until_question() == "symptom"
    driver.answer("worse")  # prone props: worse means stop at once
    assert driver.run_until_question() == "number"  # the closing rating
    if ending == "stop":
        driver.answer("stop")
    else:
        driver.send(Interrupted())
    driver.run_until_end()
    assert driver.end is not None and driver.end.outcome == "stopped_worse"
    assert driver.logs_of("session_ended")[-1].data["outcome"] == "stopped_worse"
