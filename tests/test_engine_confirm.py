"""A doubtful "better" (what both recognizers agreed on, or any "better" the
recognizer is not sure of) is confirmed with a yes/no question before the coach
goes on to anything harder; only a sure "yes" makes it count."""

from __future__ import annotations

from functools import cache

import pytest

from assistant.clock import VirtualClock
from assistant.dialog import prompts
from assistant.dialog.driver import Driver
from assistant.dialog.engine import BETTER_MIN_CONFIDENCE, MIN_CONFIDENCE, Engine
from assistant.dialog.routine import Routine, load_routines

SYMPTOM = prompts.SYMPTOM_QUESTION
#: What PocketSphinx and Whisper agreeing gives (assistant/asr/agree.py).
AGREED = 0.75


@cache
def routines() -> dict[str, Routine]:
    return load_routines()


def at_the_press_up_question() -> Driver:
    """After the press-up: "better" leads to standing extension (harder), "worse" to
    the press-up with the hips off centre."""
    clock = VirtualClock()
    engine = Engine(routines(), clock, routine_id="extension", start_at="press-up", side="left")
    driver = Driver(engine, clock)
    driver.start()
    assert driver.run_until_question() == "symptom"
    return driver


def confirming(driver: Driver, confidence: float = AGREED) -> None:
    driver.answer("better", confidence=confidence)
    assert driver.texts()[-1] == prompts.CONFIRM_BETTER
    assert driver.engine.listening_context == "yes-no"
    assert driver.engine.exercise == "press-up"  # nothing harder yet
    assert driver.logs_of("exercise_finished") == []


def test_the_confidences_are_the_ones_confirmed() -> None:
    assert MIN_CONFIDENCE <= AGREED < BETTER_MIN_CONFIDENCE


@pytest.mark.parametrize("confidence", [AGREED, MIN_CONFIDENCE, 0.79])
def test_a_doubtful_better_is_acted_on_after_yes(confidence: float) -> None:
    driver = at_the_press_up_question()
    confirming(driver, confidence)
    driver.answer("yes")
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "better"
    driver.run_until_question()
    assert driver.exercises_started() == ["press-up", "standing-extension"]


def test_no_to_the_confirmation_asks_the_symptom_question_again() -> None:
    driver = at_the_press_up_question()
    confirming(driver)
    driver.answer("no")
    assert driver.texts()[-1] == prompts.with_prefix(prompts.ALL_RIGHT, SYMPTOM)
    assert driver.engine.listening_context == "symptom"
    assert driver.logs_of("exercise_finished") == []
    driver.answer("worse")  # what it really was
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "worse"
    assert "standing-extension" not in driver.exercises_started()


def test_a_doubtful_yes_is_not_enough_to_go_on() -> None:
    """Two doubts in a row are no "better": a "yes" both engines only agreed on is
    asked again."""
    driver = at_the_press_up_question()
    confirming(driver)
    driver.answer("yes", confidence=AGREED)
    assert driver.texts()[-1] == prompts.reprompt(prompts.NOT_SURE, prompts.YES_NO_OPTIONS)
    assert driver.logs_of("exercise_finished") == []
    driver.answer("yes", confidence=0.95)
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "better"


def test_silence_or_mumbling_to_the_confirmation_asks_it_again_never_goes_on() -> None:
    driver = at_the_press_up_question()
    confirming(driver)
    driver.run_until_said(prompts.NO_ANSWER_HEARD)  # silence after it
    assert driver.texts()[-1] == prompts.reprompt(prompts.NO_ANSWER_HEARD, prompts.YES_NO_OPTIONS)
    driver.mumble()
    assert driver.texts()[-1] == prompts.reprompt(prompts.NOT_CAUGHT, prompts.YES_NO_OPTIONS)
    assert driver.logs_of("exercise_finished") == []
    for _ in range(3):
        driver.mumble()
    assert driver.engine.paused  # and waits for "resume", as for any question
    assert driver.logs_of("exercise_finished") == []
    assert driver.exercises_started() == ["press-up"]


def test_ouch_to_the_confirmation_drops_the_better() -> None:
    """It hurts: that is no "better".  As for "ouch" to the symptom question: rest,
    then the symptom question again (not the confirmation)."""
    driver = at_the_press_up_question()
    confirming(driver)
    driver.answer("ouch")
    assert driver.texts()[-1] == prompts.with_prefix(prompts.HURTS_REST, SYMPTOM)
    assert driver.engine.listening_context == "symptom"
    driver.answer("yes")  # a late "yes" to the confirmation is no answer now
    assert driver.logs_of("exercise_finished") == []
    driver.answer("worse")
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "worse"
    assert "standing-extension" not in driver.exercises_started()


def test_a_sure_better_is_not_confirmed_and_a_guess_is_asked_again() -> None:
    driver = at_the_press_up_question()
    driver.answer("better", confidence=0.6)
    assert prompts.CONFIRM_BETTER not in driver.texts()
    assert "sure I heard you" in driver.texts()[-1]
    driver.answer("better", confidence=BETTER_MIN_CONFIDENCE)
    assert prompts.CONFIRM_BETTER not in driver.texts()
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "better"
