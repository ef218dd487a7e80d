"""Answers people actually give, and a journal that records what happened (issue 13)."""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

from test_engine_flow import intake

from assistant.clock import VirtualClock
from assistant.dialog import prompts
from assistant.dialog.driver import Driver
from assistant.dialog.engine import Engine
from assistant.dialog.routine import Routine, load_routine_data, load_routines
from assistant.events import Interrupted, TalkedOver
from assistant.journal import SessionRecord, open_journal

SYMPTOM = prompts.SYMPTOM_QUESTION


@cache
def routines() -> dict[str, Routine]:
    return load_routines()


def make(routine_id: str | None = "extension", start: str | None = None, **options: bool) -> Driver:
    clock = VirtualClock()
    engine = Engine(
        routines(), clock, routine_id=routine_id, start_at=start, side="left", **options
    )
    driver = Driver(engine, clock)
    driver.start()
    return driver


# ---------------------------------------------------------------- not sure


def test_not_sure_about_the_leg_is_told_how_to_answer() -> None:
    driver = make(start="press-up")
    driver.run_until_question()
    driver.answer("unsure", text="not sure")
    assert driver.texts()[-1] == (
        "If you can't feel a difference, say the same. Please say better, worse, or the same."
    )
    assert driver.engine.awaiting_answer and driver.logs_of("exercise_finished") == []
    driver.answer("same")
    assert driver.logs_of("exercise_finished")[0].data["answer"] == "same"


def test_not_sure_to_a_red_flag_question_explains_it_once_then_counts_as_yes() -> None:
    driver = make()
    driver.run_until_question()
    driver.answer("unsure", text="I don't know")
    assert driver.texts()[-1].startswith(prompts.RED_FLAG_MEANINGS[0])
    assert driver.engine.listening_context == "yes-no" and not driver.engine.finished
    driver.answer("unsure", text="maybe")
    assert driver.end is not None and driver.end.outcome == "red_flag"
    spoken = " ".join(driver.texts())
    assert prompts.UNSURE_MEANS_YES in spoken and "emergency" in spoken
    assert driver.exercises_started() == []


def test_not_sure_then_no_carries_on_and_the_next_question_is_explained_afresh() -> None:
    driver = make()
    driver.run_until_question()
    driver.answer("unsure")
    driver.answer("no")
    driver.run_until_question()
    driver.answer("unsure")  # the second question: its own meaning, not "yes" yet
    assert driver.texts()[-1].startswith(prompts.RED_FLAG_MEANINGS[1])
    assert not driver.engine.finished


def test_help_and_not_sure_when_choosing_a_routine_explain_each_one() -> None:
    driver = make(None)
    for _ in range(len(prompts.RED_FLAG_QUESTIONS)):
        driver.run_until_question()
        driver.answer("no")
    assert driver.run_until_question() == "routine"
    driver.answer("help")
    spoken = driver.texts()[-2]
    for routine in routines().values():
        assert f"{routine.title}: " in spoken
    assert "Bending-backwards exercises that start lying face down" in spoken
    assert driver.texts()[-1].startswith("Which routine would you like")
    driver.answer("unsure")
    assert "Spinal stenosis: " in driver.texts()[-1]
    driver.answer("stenosis")
    assert driver.logs_of("session_started")[0].data["routine"] == "stenosis"


# ----------------------------------------------------- commands say what they did


def test_slower_and_faster_say_how_long_a_movement_now_takes() -> None:
    driver = make(start="side-glide")
    driver.run_until_said("Two, hips to the wall.")
    driver.answer("slower")
    assert driver.texts()[-1] == "Slower. Each movement now takes five seconds."
    driver.answer("faster")
    assert driver.texts()[-1] == "Faster. Each movement now takes four seconds."


def test_slower_before_any_exercise_says_when_it_applies() -> None:
    driver = make()
    driver.run_until_question()
    driver.answer("slower")
    assert driver.texts()[-2] == f"Slower. {prompts.TEMPO_LATER}"


# --------------------------------------------------------- what gets recorded


def test_stop_after_an_exercise_still_offers_the_closing_rating() -> None:
    driver = make()
    intake(driver, "6")
    driver.run_until_said("Thirty seconds to go")  # during the first exercise's hold
    driver.answer("stop")
    assert not driver.engine.finished
    assert driver.texts()[-2:] == [prompts.STOPPING_NOW, prompts.RATING_QUESTION]
    assert driver.run_until_question() == "number"
    driver.answer("3")
    end = driver.run_until_end()
    assert end.outcome == "stopped_by_user" and end.reason == "the user said stop"
    assert "from six to three out of ten" in driver.texts()[-1]
    ratings = [(e.data["phase"], e.data["value"]) for e in driver.logs_of("rating")]
    assert ratings == [("before", 6), ("after", 3)]


def test_the_closing_rating_after_stop_can_be_skipped_or_stopped() -> None:
    for reply in ("skip", "stop"):
        driver = make()
        intake(driver)
        driver.run_until_question()  # prone lying done: how is the leg?
        driver.answer("stop")
        driver.run_until_question()
        driver.answer(reply)
        assert driver.end is not None and driver.end.outcome == "stopped_by_user"
        assert [e.data["phase"] for e in driver.logs_of("rating")] == ["before"]


def test_stop_before_any_exercise_ends_at_once_without_a_rating() -> None:
    driver = make()
    for _ in range(len(prompts.RED_FLAG_QUESTIONS)):
        driver.run_until_question()
        driver.answer("no")
    assert driver.run_until_question() == "number"
    driver.answer("stop")
    assert driver.end is not None and driver.end.outcome == "stopped_by_user"
    assert driver.texts().count(prompts.RATING_QUESTION) == 1


def test_a_finished_count_then_stop_counts_as_done() -> None:
    driver = make(start="press-up")
    driver.run_until_question()  # all ten press-ups counted, not yet answered
    driver.answer("stop")
    [finished] = driver.logs_of("exercise_finished")
    assert finished.data["reps_done"] == 10 and finished.data["hold_s_done"] == 20.0
    assert finished.data["answer"] == "stopped"


def test_a_finished_hold_then_ctrl_c_counts_as_done_and_is_interrupted() -> None:
    from assistant.events import Interrupted

    driver = make("stenosis", start="standing-extension")
    driver.run_until_question()
    driver.send(Interrupted())
    assert driver.logs_of("exercise_finished")[0].data["hold_s_done"] == 60.0
    assert driver.end is not None and driver.end.outcome == "interrupted"


def test_every_count_and_cue_is_a_sentence_with_a_capital() -> None:
    # issue 13: cues consistently cased and ended, like the counts ("Hold." "And down.")
    for routine_id, start in (("extension", "press-up"), ("stretches", "knee-to-chest")):
        driver = make(routine_id, start=start)
        driver.run_until_question()
        counted = [s.text for s in driver.said if s.text[:1].isalpha()]
        assert "Hold." in counted or "Hold, twenty seconds." in counted
        assert "And down." in counted or "And lower." in counted
        assert all(text[0].isupper() for text in counted), counted
        assert all(text[-1] in ".?!" for text in counted), counted


def test_microphone_and_speaker_back_together_is_said_once() -> None:
    from assistant.events import DeviceLost, DeviceRestored

    driver = make(start="press-up")
    driver.run_until_said("One, press up")
    driver.send(DeviceLost("microphone", "the microphone stopped working"))
    driver.send(DeviceLost("speaker", "the speaker stopped working"))
    count = len(driver.said)
    driver.send(DeviceRestored("speaker"))
    driver.send(DeviceRestored("microphone"))
    assert driver.texts(count) == [prompts.SOUND_BACK]


# ------------------------------------------------------- counting to follow


def test_a_hold_inside_a_repetition_does_not_count_with_the_repetition_numbers() -> None:
    driver = make("stretches", start="press-up")  # ten press-ups, each held ten seconds
    driver.run_until_question()
    # nobody said ready: "Let's start." then the count
    counted = driver.texts()[driver.texts().index(prompts.SAY_READY) + 1 :]
    assert counted[0] == prompts.LETS_START
    counted = counted[1:]
    first_rep = counted[: counted.index("Two, press up.")]
    assert first_rep == ["One, press up.", "Hold, ten seconds.", "Three, two, one.", "And down."]
    numbers = {prompts.countdown(n) for n in range(1, 11)}
    assert not numbers & set(counted), counted
    hold = driver.said_at("Hold, ten seconds.")
    assert driver.said_at("Three, two, one.") - hold == 7_000
    assert driver.said_at("And down.") - hold == 10_000


def _with_response(routine_id: str, exercise_id: str, answer: str, text: str) -> Routine:
    data = routines()[routine_id].model_dump(mode="json", exclude_none=True)
    [exercise] = [e for e in data["exercises"] if e["id"] == exercise_id]
    exercise["responses"][answer] = text
    return load_routine_data(data, f"{routine_id} with a repeated line")


def test_no_sentence_is_said_twice_in_a_row_whatever_the_routine_file_says() -> None:
    # "Now stand up straight." ends the hold; a response that starts the same way
    # must not say it again (issue 13), however the routine file is written.
    routine = _with_response(
        "stenosis",
        "standing-extension",
        "worse",
        "Now stand up straight. Stand up straight. Then rest a moment.",
    )
    clock = VirtualClock()
    engine = Engine(
        {"stenosis": routine}, clock, routine_id="stenosis", start_at="standing-extension"
    )
    driver = Driver(engine, clock)
    driver.start()
    driver.run_until_question()
    assert driver.texts()[-2:] == ["Now stand up straight.", SYMPTOM]
    before = len(driver.said)
    driver.answer("worse")
    assert driver.texts(before)[:2] == [
        "Then rest a moment.",
        "Next: Knees to chest, lying on your back.",
    ]
    said = driver.texts()
    assert all(a != b for a, b in itertools.pairwise(said))


def test_what_was_asked_for_again_is_said_again() -> None:
    driver = make(start="press-up")
    driver.run_until_question()
    driver.answer("repeat")
    driver.answer("repeat")
    assert driver.texts()[-2:] == [SYMPTOM, SYMPTOM]  # the user asked: not a repeat to drop


# ------------------------------------------- the journal (real SQLite) and the summary


def _journal_of(driver: Driver, path: Path) -> SessionRecord:
    with open_journal(path) as journal:
        for entry in driver.logs:
            journal.record(entry)
    with open_journal(path) as journal:
        [record] = journal.sessions()
    return record


def _said_count(driver: Driver) -> str:
    [summary] = [t for t in driver.texts() if t.startswith("Today you did")]
    return summary.split()[3]


def test_an_answer_given_in_a_lengthened_hold_is_saved(tmp_path: Path) -> None:
    driver = make(start="prone-lying")
    driver.run_until_question()
    driver.answer("better")  # held longer ...
    driver.run_until_said("Thirty seconds to go")
    driver.answer("stop")  # ... and stopped in the extra time
    driver.run_until_end()
    [exercise] = _journal_of(driver, tmp_path / "journal.sqlite3").exercises
    assert exercise.answer == "better"
    assert exercise.hold_s_done == 90.0


def test_better_said_in_the_hold_is_kept_when_the_session_is_interrupted(tmp_path: Path) -> None:
    driver = make(start="prone-lying")
    driver.run_until_said("Thirty seconds to go")
    driver.answer("better")  # noted, not acted on
    driver.send(Interrupted())
    record = _journal_of(driver, tmp_path / "journal.sqlite3")
    assert [e.answer for e in record.exercises] == ["better"]
    assert record.outcome == "interrupted"


def test_the_summary_counts_exercises_as_the_journal_does(tmp_path: Path) -> None:
    driver = make(start="press-up")
    for answer in ("same", "better", "worse", "worse"):  # press-up twice, hips twice
        driver.run_until_question()
        driver.answer(answer)
    driver.run_until_end()
    record = _journal_of(driver, tmp_path / "journal.sqlite3")
    assert len(record.exercises_done) == 4
    assert _said_count(driver) == "four"
    assert "Press-up twice" in driver.texts()[-1]


def test_both_sides_of_an_exercise_are_one_in_the_summary_and_the_journal(tmp_path: Path) -> None:
    driver = make("stretches", start="knee-to-chest")
    driver.run_until_question()
    driver.answer("worse")
    driver.run_until_end()
    record = _journal_of(driver, tmp_path / "journal.sqlite3")
    assert [e.side for e in record.exercises] == ["left", "right"]
    assert len(record.exercises_done) == 1
    assert _said_count(driver) == "one"


# ------------------------------------------------ answers begun over the coach


def test_an_answer_begun_over_the_question_is_asked_for_again_not_guessed() -> None:
    driver = make(start="prone-props")
    driver.run_until_question()
    driver.send(TalkedOver(1_000, 2_000))
    assert driver.texts()[-1] == prompts.reprompt(prompts.ONE_MOMENT, prompts.SYMPTOM_OPTIONS)
    assert driver.logs_of("exercise_finished") == []
    for _ in range(3):  # counted as a reprompt: a room that talks over every question pauses
        driver.send(TalkedOver(1_000, 2_000))
    assert driver.engine.paused


def test_talking_over_a_count_changes_nothing() -> None:
    driver = make(start="side-glide")
    driver.run_until_said("Two, hips to the wall")
    texts = driver.texts()
    driver.send(TalkedOver(1_000, 2_000))
    assert driver.texts() == texts
