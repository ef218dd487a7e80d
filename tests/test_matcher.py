"""Typed and recognised text to intents: forgiving, but never guessing."""

from __future__ import annotations

import pytest

from assistant.asr.matcher import match_intent
from assistant.events import Heard, NotUnderstood


@pytest.mark.parametrize(
    ("text", "context", "intent"),
    [
        ("Better!", "symptom", "better"),
        ("a bit better", "symptom", "better"),
        ("MUCH worse.", "symptom", "worse"),
        ("about the same", "symptom", "same"),
        ("no change", "symptom", "same"),
        ("It's moved up into my back", "symptom", "better"),
        ("its going further down my leg", "symptom", "worse"),
        ("i think it's a little beter", "symptom", "better"),
        ("wrose", "symptom", "worse"),
        ("yes", "yes-no", "yes"),
        ("Y", "yes-no", "yes"),
        ("no", "yes-no", "no"),
        ("nope", "yes-no", "no"),
        ("left", "side", "left"),
        ("the right side", "side", "right"),
        ("both", "side", "both"),
        ("7", "number", "7"),
        ("seven", "number", "7"),
        ("7/10", "number", "7"),
        ("ten out of ten", "number", "10"),
        ("0", "number", "0"),
        ("Extension", "routine", "extension"),
        ("stretches", "routine", "stretches"),
        ("say that again", "command", "repeat"),
        ("carry on", "command", "resume"),
        ("next", "command", "skip"),
        # global commands in every context
        ("stop", "symptom", "stop"),
        ("ouch that hurts", "number", "ouch"),
        ("pause", "yes-no", "pause"),
        ("help", "side", "help"),
    ],
)
def test_understood(text: str, context: str, intent: str) -> None:
    result = match_intent(text, context)
    assert isinstance(result, Heard)
    assert result.intent == intent
    assert result.text == text


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("", "symptom"),
        ("   ", "symptom"),
        ("better or worse", "symptom"),  # two intents: never pick one
        ("not better", "symptom"),  # negated
        ("isn't worse", "symptom"),
        ("what time is it", "symptom"),
        ("11", "number"),
        ("left", "symptom"),  # a side is not a symptom answer
        ("seven", "yes-no"),
        ("yes no", "yes-no"),
    ],
)
def test_not_understood(text: str, context: str) -> None:
    assert isinstance(match_intent(text, context), NotUnderstood)


def test_timestamps_are_carried() -> None:
    result = match_intent("worse", "symptom", start_ms=100, end_ms=900)
    assert (result.start_ms, result.end_ms) == (100, 900)
