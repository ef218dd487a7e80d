"""Issue 12's clinical rules through the engine: where the pain is, judged against
the baseline; the stenosis hold's expected early pain; one-sided exercises and
central pain; the red-flag screen; the pain location in the real journal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_engine_flow import RED_FLAGS, intake, make

from assistant.dialog import prompts
from assistant.dialog.driver import Driver
from assistant.dialog.location import compare, named_place
from assistant.journal import open_journal


def symptom(driver: Driver, text: str, intent: str = "better") -> None:
    """Answer the symptom question with ``text`` (heard as ``intent``)."""
    assert driver.run_until_question() == "symptom"
    driver.answer(intent, text=text)


# ------------------------------------------------------------- the baseline


@pytest.mark.parametrize(
    ("baseline", "text", "judged"),
    [
        ("below-knee", "it's moved up into my back", "better"),
        ("thigh", "it's only in my buttock now", "better"),
        ("back", "it's only in my buttock now", "worse"),
        ("buttock", "it's only in my back now", "better"),
        ("back", "it's only in my back now", None),  # the same place: ask again
        ("buttock", "it's moved up into my back", "better"),
        ("buttock", "it's only in my buttock now", None),  # the same place: ask again
        (None, "it's only in my buttock now", "better"),  # no baseline: as said
        ("back", "towards my spine", "better"),  # a direction, not a place
        ("back", "less pain in my leg", "better"),
        ("back", "my back is better", "better"),  # how it feels, not where it is
        ("back", "it's more in my back now", None),
    ],
)
def test_a_better_naming_a_place_is_judged_against_the_baseline(
    baseline: str | None, text: str, judged: str | None
) -> None:
    assert compare("better", text, baseline) == judged


@pytest.mark.parametrize("baseline", [None, "back", "buttock", "thigh", "below-knee"])
@pytest.mark.parametrize("text", ["it's gone down to my foot", "my back is worse", "worse"])
def test_a_worse_is_never_judged_anything_else(baseline: str | None, text: str) -> None:
    assert compare("worse", text, baseline) == "worse"
    assert compare("same", text, baseline) == "same"


def test_the_furthest_place_named_counts() -> None:
    assert named_place("it's moved from my foot up into my back") == "below-knee"
    assert named_place("less tingling") is None


def test_only_in_my_buttock_after_back_pain_stops_the_props_as_worse() -> None:
    driver = make("extension", side=None)
    intake(driver, location="back")
    assert driver.run_until_question() == "side"
    driver.answer("middle")
    symptom(driver, "it's only in my buttock now")
    assert prompts.FURTHER_OUT in driver.texts()
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "worse"
    assert driver.exercises_started() == ["prone-lying"]  # lying flat: worse means stop


def test_the_same_place_as_at_the_start_is_asked_again() -> None:
    driver = make("extension")
    intake(driver, location="buttock")
    symptom(driver, "it's only in my buttock now")
    assert driver.texts()[-1] == f"{prompts.SAME_PLACE} {prompts.SYMPTOM_QUESTION}"
    assert driver.logs_of("exercise_finished") == []
    driver.answer("same")
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "same"


def test_moving_further_out_said_mid_hold_stops_the_exercise() -> None:
    driver = make("extension")
    intake(driver, location="back")
    driver.run_until_said("Thirty seconds to go")
    driver.answer("better", text="it's only in my buttock now")
    assert prompts.COME_OUT_AND_REST in driver.texts()
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "worse"


def test_moving_toward_the_spine_said_mid_hold_is_only_noted() -> None:
    driver = make("extension")
    intake(driver, location="below-knee")
    driver.run_until_said("Thirty seconds to go")
    driver.answer("better", text="it's moved up into my back")
    assert driver.texts()[-1] == prompts.BETTER_NOTED
    assert driver.logs_of("exercise_finished") == []


# ---------------------------------------------------------- where and which side


def test_where_the_pain_is_goes_into_the_journal(tmp_path: Path) -> None:
    driver = make("stretches", side=None)
    intake(driver, location="thigh")
    assert driver.run_until_question() == "side"
    driver.answer("right")
    driver.run_until_question()
    path = tmp_path / "journal.sqlite3"
    with open_journal(path) as journal:
        for entry in driver.logs:
            journal.record(entry)
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT data FROM entries WHERE kind = 'pain_location'").fetchall()
    assert rows == [('{"location": "thigh", "phase": "before", "side": "right"}',)]


def test_the_side_given_at_the_start_is_used_and_not_asked_again() -> None:
    driver = make("stretches", side=None)
    intake(driver, location="below-knee")
    assert driver.run_until_question() == "side"
    driver.answer("right")  # the side of the intake
    for _ in range(5):  # press-up ... the nerve glide, each done on both sides
        symptom(driver, "same", "same")
    assert prompts.SIDE_QUESTION not in driver.texts()
    started = [(e.data["exercise"], e.data["side"]) for e in driver.logs_of("exercise_started")]
    for one in ("knee-to-chest", "sciatic-nerve-glide"):  # the painful side first (004)
        assert [side for name, side in started if name == one] == ["right", "left"]


@pytest.mark.parametrize(("side", "said"), [("middle", "in the middle"), ("both", "both sides")])
def test_a_one_sided_exercise_says_so_for_central_or_two_sided_pain(side: str, said: str) -> None:
    driver = make("extension", start="flexion-rotation", side=None)
    assert driver.run_until_question() == "location"
    driver.answer("back")
    assert driver.run_until_question() == "side"
    driver.answer(side)
    assert driver.run_until_question() == "side"
    assert said in driver.texts()[-2] and "works on one side" in driver.texts()[-2]
    driver.answer("middle")  # still no side: asked to pick one
    assert driver.texts()[-1].startswith(prompts.PICK_WORSE_SIDE)
    driver.answer("left")
    driver.run_until_said("Lie down on your left side")


# ----------------------------------------------------------- the stenosis hold


def stenosis_hold() -> Driver:
    driver = make("stenosis", start="standing-extension")
    driver.run_until_said("Lean back and hold")
    driver.advance(3_000)
    return driver


@pytest.mark.parametrize("text", ["it hurts", "that hurts"])
def test_a_mild_hurt_early_in_the_stenosis_hold_is_reassured(text: str) -> None:
    driver = stenosis_hold()
    driver.answer("ouch", text=text)
    assert driver.texts()[-1] == prompts.EARLY_INCREASE_EXPECTED
    driver.run_until_said("Now stand up straight")  # the hold went on to its end
    assert driver.logs_of("exercise_finished") == []
    symptom(driver, "better")
    assert any("a few times a day" in t for t in driver.texts())


@pytest.mark.parametrize("text", ["ouch", "ouch that hurts", "ow", "it really hurts"])
def test_ouch_in_the_stenosis_hold_stops_it(text: str) -> None:
    driver = stenosis_hold()
    driver.answer("ouch", text=text)
    assert prompts.COME_OUT_AND_REST in driver.texts()
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "worse"
    assert not any("a few times a day" in t for t in driver.texts())


def test_a_second_hurt_or_a_late_one_stops_the_stenosis_hold() -> None:
    driver = stenosis_hold()
    driver.answer("ouch", text="it hurts")
    driver.advance(2_000)
    driver.answer("ouch", text="it hurts")
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "worse"
    late = make("stenosis", start="standing-extension")
    late.run_until_said("Thirty seconds to go")
    late.answer("ouch", text="it hurts")
    assert late.logs_of("exercise_finished")[0].data["answer"] == "worse"


def test_it_hurts_elsewhere_is_still_worse_stop_now() -> None:
    driver = make("extension", start="prone-props")
    driver.run_until_said("Stay propped up")
    driver.advance(3_000)
    driver.answer("ouch", text="it hurts")
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "worse"


# ------------------------------------------------------------- red-flag screen


def test_the_red_flag_screen_asks_about_passing_urine_and_history() -> None:
    assert RED_FLAGS == 4
    assert "passing urine" in prompts.RED_FLAG_QUESTIONS[0]
    assert "cancer" in prompts.RED_FLAG_QUESTIONS[3]
    assert len(prompts.RED_FLAG_ADVICES) == len(prompts.RED_FLAG_MEANINGS) == RED_FLAGS
    assert "four quick safety questions" in prompts.SAFETY_NOTICE


def test_where_the_pain_is_not_understood_is_left_out_rather_than_pausing() -> None:
    driver = make("extension")
    for _ in range(RED_FLAGS):
        driver.run_until_question()
        driver.answer("no")
    driver.run_until_question()
    driver.answer("5")
    assert driver.run_until_question() == "location"
    for _ in range(4):
        driver.mumble()
    assert prompts.LEAVE_IT in driver.texts()
    assert not driver.engine.paused
    assert driver.run_until_question() == "symptom"  # lying face down was done
    assert driver.logs_of("pain_location") == []
    symptom(driver, "it's moved up into my back")  # no baseline: taken as said
    assert driver.logs_of("exercise_finished") == []  # better: held longer (001)


def test_the_side_of_the_pain_can_be_skipped_and_is_asked_when_needed() -> None:
    driver = make("extension", start=None, side=None)
    intake(driver, location="thigh")
    assert driver.run_until_question() == "side"
    driver.answer("skip")
    [where] = driver.logs_of("pain_location")
    assert where.data["side"] is None and where.data["location"] == "thigh"
    for _ in range(3):  # lying, props, press-up: then the shifted press-up needs a side
        symptom(driver, "same", "same")
    assert driver.run_until_question() == "side"
    assert driver.texts()[-1] == prompts.SIDE_QUESTION
