"""The session as a user lives it: intake, counting on virtual time, commands, reprompts."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from assistant.clock import VirtualClock
from assistant.dialog import engine as engine_module
from assistant.dialog import prompts
from assistant.dialog.driver import Driver
from assistant.dialog.engine import (
    AUTO_PAUSE_GIVE_UP_MS,
    LEAD_IN_MS,
    READY_WAIT_MS,
    REPROMPT_AFTER_MS,
    USER_PAUSE_GIVE_UP_MS,
    Engine,
)
from assistant.dialog.routine import Routine, load_routines
from assistant.events import (
    DeviceLost,
    DeviceRestored,
    Interrupted,
    Listen,
    Silence,
    StopSpeaking,
    TimerFired,
)

SYMPTOM = prompts.SYMPTOM_QUESTION
RED_FLAGS = len(prompts.RED_FLAG_QUESTIONS)


@cache
def routines() -> dict[str, Routine]:
    return load_routines()


def make(
    routine_id: str | None = "extension",
    start: str | None = None,
    side: str | None = "left",
    speech_ms_per_char: int = 65,
    **options: bool,
) -> Driver:
    clock = VirtualClock()
    engine = Engine(routines(), clock, routine_id=routine_id, start_at=start, side=side, **options)
    driver = Driver(
        engine, clock, speech_time=lambda text: max(300, len(text) * speech_ms_per_char)
    )
    driver.start()
    return driver


def intake(driver: Driver, rating: str = "6", location: str = "thigh") -> None:
    """The red flags, the rating and where the pain is (the side is configured)."""
    for _ in range(RED_FLAGS):
        assert driver.run_until_question() == "yes-no"
        driver.answer("no")
    assert driver.run_until_question() == "number"
    driver.answer(rating)
    assert driver.run_until_question() == "location"
    driver.answer(location)


def said_after(driver: Driver, index: int) -> list[str]:
    return driver.texts(index)


# ----------------------------------------------------------------- session flow


def test_full_session_from_safety_notice_to_summary() -> None:
    driver = make("stenosis", side=None)
    assert "don't replace your doctor" in driver.texts()[0]
    for _ in range(RED_FLAGS):
        driver.run_until_question()
        driver.answer("no")
    assert driver.run_until_question() == "number"
    assert driver.exercises_started() == []  # not before the rating is given
    driver.answer("6")
    assert driver.run_until_question() == "location"
    assert driver.texts()[-1] == prompts.LOCATION_QUESTION
    driver.answer("below-knee")
    assert driver.run_until_question() == "side"
    driver.answer("both")
    assert driver.run_until_question() == "symptom"
    assert driver.exercises_started() == ["standing-extension"]
    driver.answer("better")
    assert driver.run_until_question() == "number"
    driver.answer("3")
    end = driver.run_until_end()
    assert end.outcome == "completed"
    summary = driver.texts()[-1]
    assert "from six to three out of ten" in summary
    assert "Standing back bend, held" in summary
    ratings = [(e.data["phase"], e.data["value"]) for e in driver.logs_of("rating")]
    assert ratings == [("before", 6), ("after", 3)]
    [where] = driver.logs_of("pain_location")
    assert dict(where.data) == {"phase": "before", "location": "below-knee", "side": "both"}
    kinds = [entry.kind for entry in driver.logs]
    assert kinds[0] == "session_started" and kinds[-1] == "session_ended"
    assert driver.logs[0].data["routine"] == "stenosis"
    assert driver.logs_of("session_ended")[0].data["outcome"] == "completed"
    assert driver.engine.finished and driver.engine.outcome == "completed"
    assert driver.engine.listening_context is None
    assert isinstance(driver.actions[-1], type(end))  # End is the last action


@pytest.mark.parametrize("which", [0, 1, 2])
def test_any_red_flag_yes_ends_with_urgent_advice(which: int) -> None:
    driver = make("extension")
    for _ in range(which):
        driver.run_until_question()
        driver.answer("no")
    driver.run_until_question()
    driver.answer("yes")
    assert driver.engine.finished
    assert driver.end is not None and driver.end.outcome == "red_flag"
    assert "emergency" in driver.texts()[-1]
    assert driver.exercises_started() == []


def test_cancer_fracture_or_injury_means_see_a_doctor_first() -> None:
    driver = make("extension")
    for _ in range(RED_FLAGS - 1):
        driver.run_until_question()
        driver.answer("no")
    driver.run_until_question()
    assert "cancer" in driver.texts()[-1] and "fracture" in driver.texts()[-1]
    driver.answer("yes")
    assert driver.end is not None and driver.end.outcome == "red_flag"
    assert "see a doctor first" in driver.texts()[-1]
    assert driver.exercises_started() == []


def test_routine_is_asked_when_not_configured() -> None:
    driver = make(None)
    for _ in range(RED_FLAGS):
        driver.run_until_question()
        driver.answer("no")
    assert driver.run_until_question() == "routine"
    assert "extension" in driver.texts()[-1] and "stretches" in driver.texts()[-1]
    driver.answer("flexion")
    assert driver.logs_of("session_started")[0].data["routine"] == "flexion"
    assert driver.run_until_question() == "number"
    driver.answer("skip")
    assert driver.run_until_question() == "location"  # asked though the rating was skipped
    driver.answer("skip")
    assert driver.run_until_question() == "symptom"
    assert driver.exercises_started() == ["supine-flexion"]
    assert driver.logs_of("pain_location") == []
    assert driver.logs_of("rating") == []


def test_wrong_context_answers_are_not_acted_on() -> None:
    driver = make(None)
    driver.run_until_question()
    driver.answer("better")  # not a yes/no answer
    assert "Please say yes or no" in driver.texts()[-1]
    assert not driver.engine.finished


# --------------------------------------------------------------------- counting


def test_repetitions_are_counted_at_the_tempo_on_the_clock() -> None:
    driver = make("extension", start="press-up", speech_ms_per_char=200)  # slow speech
    driver.run_until_question()
    times = [driver.said_at(f"{word}, press up") for word in ("One", "Two", "Three", "Ten")]
    # press-up: 4 s of movement + 2 s hold per repetition, whatever the speech takes
    assert times[1] - times[0] == 6000
    assert times[2] - times[1] == 6000
    assert times[3] - times[0] == 9 * 6000
    assert driver.said_at("hold.", exact=True) - times[0] == 2000
    assert driver.said_at("and down.", exact=True) - times[0] == 4000
    # counting starts after the instructions and "say ready" have been spoken; when
    # nobody says ready, after a generous wait (issue 12 item 9)
    ready = next(s for s in driver.said if s.text == prompts.SAY_READY)
    assert driver.said[driver.said.index(ready) - 1].text == "We will do ten."
    assert times[0] == ready.at_ms + 200 * len(prompts.SAY_READY) + READY_WAIT_MS
    finished = driver.logs_of("exercise_finished")
    assert finished == []  # only once answered
    driver.answer("better")
    data = driver.logs_of("exercise_finished")[0].data
    assert data["reps_done"] == 10 and data["hold_s_done"] == 20.0


def test_when_nobody_says_ready_the_count_is_announced_a_lead_in_before_it_starts() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_question()
    start = driver.said_at(prompts.LETS_START, exact=True)
    assert driver.said_at("One, press up.") - start == LEAD_IN_MS
    texts = driver.texts()
    assert texts.index(prompts.SAY_READY) + 1 == texts.index(prompts.LETS_START)


def test_help_while_the_count_waits_says_to_say_ready() -> None:
    driver = make("extension", start="press-up")
    said = driver.run_until_said("Say ready")
    driver.advance(driver.speech_time(said.text) + 2_000)
    driver.answer("help")
    assert any("Say ready when you're in position, and I'll start" in t for t in driver.texts())


def test_ready_starts_the_count_a_lead_in_later() -> None:
    driver = make("extension", start="side-glide")
    ready = driver.run_until_said("Say ready")
    driver.advance(driver.speech_time(ready.text) + 4_000)  # four seconds to stand up
    assert not any("hips to the wall" in t for t in driver.texts())
    driver.answer("ready")
    said_ready = driver.clock.now_ms()
    driver.run_until_question()
    assert driver.said_at("One, hips to the wall") - said_ready == LEAD_IN_MS
    assert driver.said_at("Two, hips to the wall") - said_ready == LEAD_IN_MS + 4_000


def test_ready_is_asked_again_for_the_other_side_and_changes_nothing_elsewhere() -> None:
    driver = make("stretches", start="knee-to-chest", side="right")
    driver.run_until_said("Now the left side")
    assert driver.run_until_said("Say ready").text == prompts.SAY_READY
    driver.run_until_question()
    texts = driver.texts()
    driver.answer("ready")  # to the symptom question: not an answer, nothing happens
    assert driver.texts() == texts and not driver.engine.finished


@pytest.mark.parametrize("ms_per_char", [10, 65, 400])
def test_a_sixty_second_hold_is_sixty_seconds_of_clock(ms_per_char: int) -> None:
    driver = make("stenosis", start="standing-extension", speech_ms_per_char=ms_per_char)
    driver.run_until_question()
    start = driver.said_at("Lean back and hold, sixty seconds")
    assert driver.said_at("Now stand up straight") - start == 60_000
    assert driver.said_at("Thirty seconds to go") - start == 30_000
    assert driver.said_at("Ten seconds.") - start == 50_000
    countdown = [driver.said_at(f"{n}.") - start for n in ("Five", "Four", "Three", "Two", "One")]
    assert countdown == [55_000, 56_000, 57_000, 58_000, 59_000]
    assert "watch" not in driver.texts()[0]
    driver.answer("same")
    assert driver.logs_of("exercise_finished")[0].data["hold_s_done"] == 60.0


def test_prone_lying_is_held_longer_while_it_keeps_relieving() -> None:
    driver = make("extension", start="prone-lying")
    driver.run_until_question()
    driver.answer("better")
    assert "another sixty seconds" in driver.texts()[-1]
    driver.run_until_question()
    driver.answer("better")
    driver.run_until_question()
    driver.answer("better")  # three minutes reached: on to the props
    assert driver.exercises_started() == ["prone-lying", "prone-props"]
    assert driver.logs_of("exercise_finished")[0].data["hold_s_done"] == 180.0


def test_holds_of_the_stretches_and_both_sides() -> None:
    driver = make("stretches", start="knee-to-chest", side="right")
    driver.run_until_question()
    started = driver.logs_of("exercise_started")
    assert [e.data["side"] for e in started] == ["right", "left"]
    texts = driver.texts()
    assert any("bring your right knee up" in t for t in texts)
    assert any("Now the left side." in t for t in texts)
    hold = driver.said_at("hold, twenty seconds")
    assert driver.said_at("and lower") - hold == 20_000
    assert sum(t == "Three, knee up." for t in texts) == 2
    driver.answer("better")
    finished = [
        (e.data["side"], e.data["reps_done"], e.data["hold_s_done"], e.data["answer"])
        for e in driver.logs_of("exercise_finished")
    ]
    assert finished == [("right", 3, 60.0, "better"), ("left", 3, 60.0, "better")]


def test_cat_camel_alternates_its_positions() -> None:
    driver = make("stretches", start="cat-camel")
    driver.run_until_question()
    texts = driver.texts()
    assert "One, let your tummy sag." in texts and "Two, round your back up." in texts


def test_slower_and_faster_change_the_counting_tempo() -> None:
    driver = make("extension", start="side-glide")
    driver.run_until_said("Two, hips to the wall.")
    driver.answer("slower")
    assert "Slower." in driver.texts()[-1]
    two = driver.said_at("Two, hips")
    driver.run_until_said("Four, hips")
    assert driver.said_at("Three, hips") - two == 4000  # the interval under way is kept
    assert driver.said_at("Four, hips") - driver.said_at("Three, hips") == 5000
    driver.answer("faster")
    driver.answer("faster")
    driver.run_until_said("Six, hips")
    assert driver.said_at("Six, hips") - driver.said_at("Five, hips") == 3200
    assert driver.engine.tempo_factor == pytest.approx(0.8)
    assert [e.data["intent"] for e in driver.logs_of("command")] == ["slower", "faster", "faster"]


def test_tempo_has_limits() -> None:
    driver = make("extension", start="side-glide")
    driver.run_until_said("One, hips")
    for _ in range(4):
        driver.answer("slower")
    assert "as slow as I count" in driver.texts()[-1]


# ------------------------------------------------------------- pause / resume


def test_pause_and_resume_during_counting_carry_on_where_it_was() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("Three, press up.")
    driver.answer("pause")
    assert "Paused" in driver.texts()[-1]
    assert driver.engine.paused and driver.engine.listening_context == "command"
    count = len(driver.said)
    driver.advance(300_000)
    assert len(driver.said) == count  # silence while paused: no counting, no ending
    driver.answer("resume")
    assert "Carrying on." in driver.texts()[-1]
    driver.run_until_question()
    texts = driver.texts(count)
    assert "One, press up." not in texts and "Four, press up." in texts
    driver.answer("same")
    assert driver.logs_of("exercise_finished")[0].data["reps_done"] == 10


def test_pause_during_a_hold_keeps_the_hold_time() -> None:
    driver = make("stenosis", start="standing-extension")
    driver.run_until_said("Lean back and hold")
    start = driver.clock.now_ms()
    driver.advance(20_000)
    driver.answer("pause")
    driver.advance(60_000)
    driver.answer("resume")
    resumed = driver.clock.now_ms()
    driver.run_until_question()
    released = driver.said_at("Now stand up straight")
    held = resumed - start - 60_000  # before the pause
    assert released - resumed == 40_000  # the 40 s left of the hold
    driver.answer("same")
    assert driver.logs_of("exercise_finished")[0].data["hold_s_done"] == pytest.approx(
        60.0, abs=0.1
    )
    assert held == 20_000


def test_pause_during_a_question_and_resume_asks_again() -> None:
    driver = make("extension", start="side-glide")
    driver.run_until_question()
    driver.answer("pause")
    assert not driver.engine.awaiting_answer
    driver.advance(REPROMPT_AFTER_MS * 5)
    assert "Paused" in driver.texts()[-1]  # no reprompts while paused
    driver.answer("better")  # answers wait for resume
    assert "Say resume" in driver.texts()[-1]
    assert driver.exercises_started() == ["side-glide"]
    driver.answer("resume")
    assert SYMPTOM in driver.texts()[-1]
    assert driver.run_until_question() == "symptom"


def test_pause_during_instructions_reads_them_again_on_resume() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("Keep your hips on the floor")
    before = len(driver.actions)
    driver.answer("pause")
    assert any(isinstance(a, StopSpeaking) for a in driver.actions[before:])
    driver.advance(60_000)
    assert not any("One, press up" in t for t in driver.texts())
    driver.answer("resume")
    assert "Again, from the start." in driver.texts()
    driver.run_until_question()
    assert driver.texts().count("One, press up.") == 1


def test_user_pause_gives_up_after_a_long_silence() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("One, press up")
    driver.answer("pause")
    driver.advance(USER_PAUSE_GIVE_UP_MS - 1000)
    assert not driver.engine.finished
    end = driver.run_until_end()
    assert end.outcome == "no_response"


def test_pause_and_resume_said_at_the_wrong_time() -> None:
    driver = make("extension", start="side-glide")
    driver.run_until_question()
    driver.answer("resume")
    assert "We're not paused." in driver.texts()[-2]
    assert driver.texts()[-1] == SYMPTOM
    driver.answer("pause")
    driver.answer("pause")
    assert "already paused" in driver.texts()[-1]


# ------------------------------------------------------------------- commands


def test_repeat_says_the_last_instruction_again() -> None:
    driver = make("extension")
    driver.run_until_question()
    question = driver.texts()[-1]
    driver.answer("repeat")
    assert driver.texts()[-1] == question
    # during counting: the steps again, and the count waits for them
    driver = make("extension", start="side-glide")
    driver.run_until_said("Two, hips")
    driver.answer("repeat")
    assert "Stand up and turn side-on to a wall" in driver.texts()[-1]
    repeat = driver.said[-1]
    driver.run_until_said("Three, hips")
    three = driver.said_at("Three, hips")
    assert three >= repeat.at_ms + len(repeat.text) * 65


def test_skip_asks_how_the_pain_is_and_the_answer_picks_the_next_exercise() -> None:
    driver = make("stretches", start="childs-pose")
    driver.run_until_said("One, sit back")
    driver.answer("skip")
    assert driver.run_until_question() == "symptom"  # not straight on (issue 12 item 4)
    assert driver.exercises_started() == ["childs-pose"]
    driver.answer("same")
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "skipped"
    driver.run_until_question()
    assert driver.exercises_started() == ["childs-pose", "cat-camel"]


def test_skip_on_the_props_then_worse_stops_before_any_press_up() -> None:
    driver = make("extension", start="prone-props")
    driver.run_until_said("Thirty seconds to go")
    driver.answer("skip")
    assert driver.run_until_question() == "symptom"
    driver.answer("worse")
    assert driver.run_until_end().outcome == "stopped_worse"
    assert driver.exercises_started() == ["prone-props"]
    assert not any("Press-up" in t for t in driver.texts())


def test_skip_then_better_neither_holds_longer_nor_praises() -> None:
    driver = make("extension", start="prone-lying")
    driver.run_until_said("Thirty seconds to go")
    driver.answer("skip")
    driver.run_until_question()
    driver.answer("better")
    assert not any("stay there a little longer" in t for t in driver.texts())
    assert not any("Pain moving out of the leg" in t for t in driver.texts())
    assert driver.exercises_started() == ["prone-lying", "prone-props"]


def test_skip_during_the_instructions_cuts_them_off() -> None:
    driver = make("extension", start="side-glide")
    driver.run_until_said("Lean your shoulder")
    before = len(driver.actions)
    driver.answer("skip")
    assert any(isinstance(a, StopSpeaking) for a in driver.actions[before:])
    driver.run_until_question()
    driver.answer("same")
    driver.run_until_question()
    assert driver.exercises_started() == ["side-glide", "flexion-rotation"]
    assert not any("hips to the wall" in t for t in driver.texts())


def test_skip_cannot_skip_the_symptom_or_safety_question() -> None:
    driver = make("extension", start="side-glide")
    driver.run_until_question()
    driver.answer("skip")
    assert "need to know how the pain is" in driver.texts()[-1]
    assert driver.engine.awaiting_answer
    driver = make("extension")
    driver.run_until_question()
    driver.answer("skip")
    assert "I need this answer" in driver.texts()[-1]


@pytest.mark.parametrize(
    "where",
    ["safety question", "instructions", "counting", "symptom question", "paused", "rating"],
)
def test_stop_ends_the_session_in_every_state(where: str) -> None:
    if where in ("safety question", "rating"):
        driver = make("extension")
        if where == "rating":
            for _ in range(RED_FLAGS):
                driver.run_until_question()
                driver.answer("no")
        driver.run_until_question()
    else:
        driver = make("extension", start="press-up")
        if where == "instructions":
            driver.run_until_said("Keep your hips")
        elif where == "counting":
            driver.run_until_said("Two, press up")
        elif where == "symptom question":
            driver.run_until_question()
        else:
            driver.run_until_said("Two, press up")
            driver.answer("pause")
    driver.answer("stop")
    assert driver.engine.finished
    assert driver.end is not None and driver.end.outcome == "stopped_by_user"
    assert driver.logs_of("session_ended")[0].data["outcome"] == "stopped_by_user"
    count = len(driver.said)
    driver.advance(600_000)
    assert len(driver.said) == count  # nothing after the end
    if where == "counting":
        assert driver.logs_of("exercise_finished")[0].data["answer"] == "stopped"
        assert driver.logs_of("exercise_finished")[0].data["reps_done"] == 1


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("symptom question", "Please say better, worse, or the same."),
        ("safety question", "Please say yes or no."),
        ("counting", "At any time you can say pause"),
        ("paused", "Say resume to carry on"),
    ],
)
def test_help_lists_what_can_be_said_now(where: str, expected: str) -> None:
    if where == "safety question":
        driver = make("extension")
        driver.run_until_question()
    else:
        driver = make("extension", start="side-glide")
        if where == "symptom question":
            driver.run_until_question()
        else:
            driver.run_until_said("Two, hips")
            if where == "paused":
                driver.answer("pause")
    count = len(driver.said)
    driver.answer("help")
    spoken = " ".join(driver.texts(count))
    assert expected in spoken
    if where != "paused":
        assert "ouch" in spoken


def test_ouch_stops_the_exercise_at_once_and_counts_as_worse() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("Three, press up")
    before = len(driver.actions)
    driver.answer("ouch", text="that hurts")
    assert any(isinstance(a, StopSpeaking) for a in driver.actions[before:])
    assert "Come out of the position slowly, and rest." in driver.texts()
    assert SYMPTOM not in driver.texts()  # no question: it is worse
    data = driver.logs_of("exercise_finished")[0].data
    assert data["answer"] == "worse" and data["reps_done"] == 2
    assert driver.logs_of("command")[0].data == {"intent": "ouch", "exercise": "press-up"}
    count = len(driver.said)
    driver.advance(3000)
    assert not any("press up" in t.lower() for t in driver.texts(count))
    # press-up's worse rule: the hips-shifted version
    assert driver.exercises_started() == ["press-up", "press-up-hips-off-centre"]


def test_ouch_on_the_props_stops_the_session_and_nothing_harder_follows() -> None:
    driver = make("extension", start="prone-props")
    driver.run_until_said("Stay propped up")
    driver.answer("ouch")
    assert driver.exercises_started() == ["prone-props"]
    assert any("Propping up made the pain worse" in t for t in driver.texts())
    assert not any("Press-up" in t for t in driver.texts())


# ------------------------------------------------------- never act on a guess


def test_low_confidence_better_is_asked_again() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_question()
    driver.answer("better", confidence=0.6)
    assert "sure I heard you" in driver.texts()[-1]
    assert driver.exercises_started() == ["press-up"]
    driver.answer("better", confidence=0.95)
    driver.run_until_question()
    assert driver.exercises_started() == ["press-up", "standing-extension"]


@pytest.mark.parametrize(("reply", "expected"), [("yes", "worse"), ("no", None)])
def test_low_confidence_worse_is_confirmed(reply: str, expected: str | None) -> None:
    driver = make("extension", start="press-up")
    driver.run_until_question()
    driver.answer("worse", confidence=0.6)
    assert "Is the pain worse?" in driver.texts()[-1]
    assert driver.engine.listening_context == "yes-no"
    driver.answer(reply)
    finished = driver.logs_of("exercise_finished")
    if expected:
        assert finished[0].data["answer"] == "worse"
    else:
        assert finished == []
        assert driver.texts()[-1].endswith(SYMPTOM)


def test_worse_heard_during_an_exercise_stops_it_and_counts_as_worse() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("Two, press up")
    driver.answer("worse")
    assert "Come out of the position slowly, and rest." in driver.texts()
    assert SYMPTOM not in driver.texts()
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "worse"


def test_low_confidence_commands_are_not_obeyed() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("Two, press up")
    driver.answer("stop", confidence=0.3)
    assert not driver.engine.finished


# ----------------------------------------------------------- reprompts, silence


def test_not_understood_reprompts_with_options_then_pauses() -> None:
    driver = make("extension", start="side-glide")
    driver.run_until_question()
    for _ in range(3):
        driver.mumble()
        assert (
            (driver.texts()[-1])
            == "Sorry, I didn't catch that. Please say better, worse, or the same."
        )
    driver.mumble()
    assert "I'll pause here" in driver.texts()[-1]
    assert driver.engine.paused
    driver.answer("resume")
    assert driver.run_until_question() == "symptom"
    driver.answer("same")
    assert driver.exercises_started()[-1] == "flexion-rotation"


def test_silence_reprompts_after_the_question_was_spoken_then_no_response() -> None:
    driver = make("extension", start="side-glide")
    driver.run_until_question()
    asked = driver.said[-1]
    question_end = asked.at_ms + len(asked.text) * 65
    driver.run_until_said("I didn't hear an answer")
    assert driver.said_at("I didn't hear an answer") == question_end + REPROMPT_AFTER_MS
    driver.run_until_said("Are you there?")
    driver.run_until_said("Are you there?")
    driver.run_until_said("I'll pause here")
    paused_at = driver.clock.now_ms()
    end = driver.run_until_end()
    assert end.outcome == "no_response"
    assert driver.clock.now_ms() - paused_at == AUTO_PAUSE_GIVE_UP_MS


def test_no_answer_to_the_closing_rating_still_completes() -> None:
    driver = make("stenosis", start="standing-extension", ask_rating=True)
    driver.run_until_question()
    driver.answer("better")
    assert driver.run_until_question() == "number"
    end = driver.run_until_end()
    assert end.outcome == "completed"


def test_silence_event_from_the_recognizer_reprompts() -> None:
    driver = make("extension")
    driver.run_until_question()
    driver.send(Silence(REPROMPT_AFTER_MS))
    assert "I didn't hear an answer" in driver.texts()[-1]
    count = len(driver.said)
    driver.send(Silence(500))  # short pauses are not silence
    assert len(driver.said) == count


def test_a_stale_timer_is_ignored() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("One, press up")
    count = len(driver.said)
    driver.send(TimerFired("cue-1", driver.clock.now_ms()))
    driver.send(TimerFired("unknown", driver.clock.now_ms()))
    assert len(driver.said) == count


# --------------------------------------------------------------- the outside


def test_ctrl_c_ends_the_session_cleanly() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("One, press up")
    driver.send(Interrupted())
    # recorded as the README says: interrupted (it was "stopped_by_user")
    assert driver.end is not None and driver.end.outcome == "interrupted"
    assert driver.logs_of("session_ended")[0].data["outcome"] == "interrupted"
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "stopped"


def test_a_lost_device_pauses_and_its_return_is_announced() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("One, press up")
    driver.send(DeviceLost("speaker", "the headphones were unplugged"))
    assert driver.engine.paused
    assert "headphones were unplugged" in driver.texts()[-1]
    driver.send(DeviceRestored("speaker"))
    assert "Say resume" in driver.texts()[-1]
    driver.answer("resume")
    driver.run_until_question()
    assert driver.texts().count("One, press up.") == 1


def test_listen_contexts_follow_the_dialog() -> None:
    driver = make("extension", start="press-up")
    contexts = [a.context for a in driver.actions if isinstance(a, Listen)]
    assert contexts == ["exercise"]  # commands, and symptoms said mid-exercise
    driver.run_until_question()
    assert driver.engine.listening_context == "symptom"


def test_bad_options_are_refused_with_one_line() -> None:
    from assistant.errors import RoutineError

    with pytest.raises(RoutineError, match="no exercise 'nope'"):
        Engine(routines(), VirtualClock(), routine_id="extension", start_at="nope")
    with pytest.raises(RoutineError, match="unknown routine 'yoga'"):
        Engine(routines(), VirtualClock(), routine_id="yoga")
    with pytest.raises(RoutineError, match="side must be left or right"):
        Engine(routines(), VirtualClock(), routine_id="extension", side="up")


def test_the_engine_imports_no_io() -> None:
    folder = Path(engine_module.__file__).parent
    banned = {"time", "sounddevice", "pyttsx3", "vosk", "pocketsphinx", "threading", "asyncio"}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in banned, f"{path.name} imports {name}"


def test_noise_while_paused_is_not_answered_every_time() -> None:
    driver = make("extension", start="press-up")
    driver.run_until_said("One, press up")
    driver.answer("pause")
    count = len(driver.said)
    for _ in range(5):
        driver.mumble()
    assert driver.texts(count) == ["We're paused. Say resume to carry on, or stop to finish."]
    driver.advance(31_000)
    driver.mumble()
    assert len(driver.texts(count)) == 2
