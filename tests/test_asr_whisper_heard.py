"""Which decode an answer came from: Whisper's no-speech ceiling is raised only for
a phrase it heard untold, and speech it heard clearly as no phrase is not made an
answer by the second opinion (the real tiny.en and PocketSphinx on espeak-ng
fixtures)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.asr.protocol import decode_clip
from assistant.asr.whisper import WhisperRecognizer
from assistant.asr.whisper_rules import Candidate, Thresholds, decide
from assistant.bench.asr_clips import fixture_clip, mix
from assistant.events import Heard


def _reason(no_speech: float, **given: Any) -> str:
    """``decide`` on a clear "four" in the number question, at ``no_speech``."""
    facts: dict[str, Any] = {
        "context": "number",
        "text": "four",
        "free_intent": "4",
        "free_score": -1.0,
        "candidates": [Candidate("four", "4", -1.0), Candidate("five", "5", -9.0)],
        "no_speech": no_speech,
        "voiced_ms": 300,
        "speech_ms": 300,
        "start_ms": 0,
        "end_ms": 300,
        "limits": Thresholds(),
    }
    return decide(**(facts | given)).reason


def test_a_phrase_heard_untold_is_weighed_at_a_higher_no_speech() -> None:
    """A real speaker's "four", decoded "Four" untold at no-speech 0.86, was turned
    down as no speech; told the answers, Whisper makes an answer of breath or of a
    5 dB "I don't", so a told decode (or a keyword among other words) keeps the
    plain ceiling."""
    assert _reason(0.86) == "ok"
    assert _reason(0.86, told=True) == "no speech"
    assert _reason(0.86, keyword_only=True) == "no speech"
    assert _reason(0.86, text="I said four", free_intent=None) == "no speech"
    assert _reason(0.97) == "no speech"
    assert _reason(0.7, told=True) == "ok"


@pytest.mark.parametrize(
    ("name", "condition", "seed", "context", "intent"),
    [
        # untold "more pain" at no-speech 0.83, and "two" at 0.82
        ("phrases/symptom/more-pain__en-us-klatt4.flac", "snr10", 31, "symptom", "worse"),
        ("phrases/number/two__en-us-klatt6.flac", "snr5", 148, "number", "2"),
    ],
)
def test_a_phrase_heard_untold_in_noise_is_understood(
    whisper: WhisperRecognizer, name: str, condition: str, seed: int, context: str, intent: str
) -> None:
    """In the bench's rooms (``--every 3``: the clip's seed there), Whisper heard
    these phrases untold but gave a no-speech probability over 0.8: they were asked
    again, and are now understood."""
    clip = fixture_clip(name, context)
    heard = decode_clip(whisper, mix(clip, condition, seed), context)
    assert clip.intent == intent and isinstance(heard, Heard) and heard.intent == intent, (
        whisper.last_verdict
    )


@pytest.mark.parametrize(
    ("name", "condition", "seed", "context"),
    [
        # Whisper: "I need a glass of water.", 16 nats over "go"; PocketSphinx: "go on"
        ("oov/i-need-a-glass-of-water__en-gb.flac", "snr10", 1011, "command"),
        # Whisper: "Where are my glasses?", 10 nats over "one"; PocketSphinx: "one out of ten"
        ("oov/where-are-my-glasses__en-us-klatt2.flac", "reverb", 1020, "number"),
    ],
)
def test_speech_whisper_heard_clearly_is_not_made_an_answer_by_the_second_opinion(
    whisper: WhisperRecognizer, name: str, condition: str, seed: int, context: str
) -> None:
    """In the bench's rooms (``--every 1``: the clip's seed there) Whisper heard these
    sentences out of vocabulary, far better fitted than any phrase, and PocketSphinx
    heard an answer in them: they were taken (as "resume", as 1); now asked again."""
    clip = fixture_clip(name, context)
    heard = decode_clip(whisper, mix(clip, condition, seed), context)
    assert not isinstance(heard, Heard), (heard, whisper.last_verdict)
