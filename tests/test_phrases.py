"""The phrase-template source: expansion, per-context sets and global commands."""

from __future__ import annotations

import pytest

from assistant.asr import phrases
from assistant.events import COMMAND_INTENTS, CONTEXTS

CONTEXT_INTENTS = {
    "symptom": {"better", "worse", "same", "unsure"},
    "yes-no": {"yes", "no", "unsure"},
    "side": {"left", "right", "both", "middle"},
    "number": {str(n) for n in range(11)},
    "routine": {"extension", "flexion", "stenosis", "stretches", "explain", "unsure"},
    "command": set(COMMAND_INTENTS),
    "exercise": {"better", "worse", "ready"},
    "location": {"back", "buttock", "thigh", "below-knee", "unsure"},
}


def test_template_syntax_expands_optional_and_alternatives() -> None:
    assert phrases.expand_template("[it's] (a bit | much) better") == [
        "it's a bit better",
        "it's much better",
        "a bit better",
        "much better",
    ]
    assert phrases.expand_template("[(a | the)] left") == ["a left", "the left", "left"]


@pytest.mark.parametrize("context", CONTEXTS)
def test_each_context_has_its_documented_intents_plus_global_commands(context: str) -> None:
    got = {p.intent for p in phrases.expand(context)}
    assert got == CONTEXT_INTENTS[context] | set(COMMAND_INTENTS)
    own = {p.intent for p in phrases.expand(context, with_commands=False)}
    assert own == CONTEXT_INTENTS[context]


def test_natural_symptom_phrasings_including_centralisation() -> None:
    table = {p.text: p.intent for p in phrases.expand("symptom")}
    assert table["a bit better"] == "better"
    assert table["much worse"] == "worse"
    assert table["about the same"] == "same"
    assert table["no change"] == "same"
    assert table["it's moved up into my back"] == "better"
    assert table["it's going further down my leg"] == "worse"
    assert table["ouch"] == "ouch"


def test_every_intent_has_fixture_samples_and_they_are_phrases() -> None:
    by_intent = {(s.context, s.intent) for s in phrases.samples()}
    for context, intents in CONTEXT_INTENTS.items():
        for intent in intents:
            assert (context, intent) in by_intent
    for sample in phrases.samples():
        assert sample.text in {p.text for p in phrases.expand(sample.context)}


def test_out_of_vocabulary_phrases_are_not_phrases_of_any_context() -> None:
    known = {p.text for p in phrases.all_phrases()}
    assert phrases.out_of_vocabulary()
    assert not known & set(phrases.out_of_vocabulary())


def test_unknown_context_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown listening context"):
        phrases.expand("weather")
