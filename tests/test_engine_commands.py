"""Every command in every kind of state: a sensible reply, and the session can go on."""

from __future__ import annotations

from functools import cache

import pytest

from assistant.clock import VirtualClock
from assistant.dialog import prompts
from assistant.dialog.driver import Driver
from assistant.dialog.engine import Engine
from assistant.dialog.routine import Routine, load_routines
from assistant.events import COMMAND_INTENTS

AUTO = {
    "yes-no": "no",
    "number": "skip",
    "symptom": "same",
    "side": "left",
    "routine": "stenosis",
    "location": "back",
}


@cache
def routines() -> dict[str, Routine]:
    return load_routines()


def reach(state: str) -> Driver:
    clock = VirtualClock()
    driver = Driver(Engine(routines(), clock, routine_id="stenosis"), clock)
    driver.start()
    if state == "safety question":
        driver.run_until_question()
        return driver
    for _ in range(len(prompts.RED_FLAG_QUESTIONS)):
        driver.run_until_question()
        driver.answer("no")
    driver.run_until_question()
    if state == "rating question":
        return driver
    driver.answer("4")
    driver.run_until_question()  # where the pain is, and its side
    driver.answer("back")
    driver.run_until_question()
    driver.answer("middle")
    if state == "instructions":
        driver.run_until_said("Rest your hands on your lower back")
    elif state == "hold":
        driver.run_until_said("Thirty seconds to go")
    elif state == "symptom question":
        driver.run_until_question()
    elif state == "paused":
        driver.run_until_said("Thirty seconds to go")
        driver.answer("pause")
    elif state == "repetitions":
        driver.run_until_question()
        driver.answer("same")
        driver.run_until_said("Three, knees up")
    elif state == "closing rating":
        driver.run_until_question()
        driver.answer("better")
        assert driver.run_until_question() == "number"
    return driver


def finish(driver: Driver) -> str:
    """Answer whatever is asked (resuming if paused) until the session ends."""
    for _ in range(60):
        if driver.engine.finished:
            break
        if driver.engine.paused:
            driver.answer("resume")
            continue
        context = driver.run_until_question()
        driver.answer(AUTO[context])
    assert driver.end is not None, driver.tail()
    return driver.end.outcome


STATES = [
    "safety question",
    "rating question",
    "instructions",
    "hold",
    "repetitions",
    "symptom question",
    "paused",
    "closing rating",
]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("command", COMMAND_INTENTS)
def test_command_in_state(command: str, state: str) -> None:
    driver = reach(state)
    count = len(driver.said)
    driver.answer(command)
    assert len(driver.said) > count, f"no reply to {command!r} in {state}"
    assert driver.logs_of("command")[-1].data["intent"] == command
    outcome = finish(driver)
    if command == "stop" and state == "closing rating":
        assert outcome == "completed"  # the routine was already done; stop skips the rating
    elif command == "stop":
        assert outcome == "stopped_by_user"
    elif command == "ouch" and state == "repetitions":
        assert outcome == "stopped_worse"  # ouch counts as worse: knees to chest's rule stops
    else:
        assert outcome == "completed", driver.tail()
