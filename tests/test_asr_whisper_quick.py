"""Whisper's quick path: an answer decided on one encoding, without waiting for the
second one, and what keeps it from deciding wrongly (the real tiny.en, real audio)."""

from __future__ import annotations

import pytest

from assistant.asr.protocol import decode_clip
from assistant.asr.whisper import WhisperRecognizer
from assistant.audioio import read_audio
from assistant.bench.asr_clips import Clip, fixture_clip, mix
from assistant.events import Heard
from assistant.paths import fixtures_dir


@pytest.mark.parametrize(
    ("name", "context", "intent"),
    [("worse_en-gb", "symptom", "worse"), ("one_en-us", "number", "1")],
)
def test_an_answer_whisper_misspells_untold_is_still_decided_on_one_encoding(
    whisper: WhisperRecognizer, name: str, context: str, intent: str
) -> None:
    """Untold, Whisper spells this Klatt "worse" "West" and this "one" "word", no
    phrase; told the answers, it spells them right, and that decode wins on the one
    encoding: the coach replies without the second encoding, the repeated decode
    and the wider scoring."""
    clip = read_audio(fixtures_dir() / "answers" / f"{name}.wav")
    heard = decode_clip(whisper, clip, context)
    verdict = whisper.last_verdict
    assert isinstance(heard, Heard) and heard.intent == intent, verdict
    assert verdict is not None and verdict.scores.get("encodings") == 1, verdict


def test_a_told_decode_is_weighed_against_each_answers_nearest_phrasing(
    whisper: WhisperRecognizer,
) -> None:
    """A reverberant Klatt "both sides": untold "There are signs.", told "Left side",
    which beats "both" on one encoding but not "both sides".  Weighed only against
    each answer's shortest phrase, the coach would have noted the wrong side."""
    name = "phrases/side/both-sides__en-gb-x-rp-klatt2.flac"
    clip = Clip(name, "phrase", "side", "both", read_audio(fixtures_dir() / name), None)
    heard = decode_clip(whisper, mix(clip, "reverb", 58), "side")  # the bench's seed
    assert not (isinstance(heard, Heard) and heard.intent != "both"), whisper.last_verdict


@pytest.mark.parametrize(
    ("name", "context", "seed", "intent"),
    [
        # untold "I don't" (no-speech 0.78), told "No", fit 8 nats over the others
        ("phrases/yes-no/i-dont-know__en-us-klatt6.flac", "yes-no", 108, "unsure"),
        # untold "for a few room", told "repeat"
        ("phrases/command/resume__en-gb-x-rp-klatt2.flac", "command", 212, "resume"),
    ],
)
def test_a_told_decode_is_quick_only_as_a_respelling_in_clear_speech(
    whisper: WhisperRecognizer, name: str, context: str, seed: int, intent: str
) -> None:
    """At 5 dB, told the answers, Whisper turns what it heard as more words, or
    barely as speech, into an answer: that is no quick verdict, and on the full path
    these are asked again rather than taken as "no" or "repeat"."""
    clip = fixture_clip(name, context)
    heard = decode_clip(whisper, mix(clip, "snr5", seed), context)  # the bench's seed
    assert not (isinstance(heard, Heard) and heard.intent != intent), whisper.last_verdict
