"""A word the coach knows, said where it is not an answer: asked again, not agreed
into the nearest answer (real tiny.en and PocketSphinx on the fixture clips)."""

from __future__ import annotations

import pytest

from assistant.asr.matcher import answers_anywhere
from assistant.asr.protocol import decode_clip
from assistant.asr.whisper import WhisperRecognizer
from assistant.audioio import read_audio
from assistant.events import Heard
from assistant.paths import fixtures_dir

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("voice", ["en-us", "en-gb"])
def test_no_said_while_paused_does_not_resume_the_session(
    whisper: WhisperRecognizer, voice: str
) -> None:
    """Paused, the coach listens for commands ("go on" resumes).  Whisper writes the
    "no" down as "No."; PocketSphinx, held to the command grammar, hears "go".  The
    two used to agree on *resume* (seen in a voice session: "'go' → resume")."""
    audio = read_audio(fixtures_dir() / f"answers/no_{voice}.wav")
    result = decode_clip(whisper, audio, "command")
    assert not isinstance(result, Heard), result
    # the same clip where "no" is an answer is still heard as one
    heard = decode_clip(whisper, audio, "yes-no")
    assert isinstance(heard, Heard) and heard.intent == "no", heard


def test_answers_anywhere_is_exact_phrases_of_every_context() -> None:
    assert answers_anywhere("No.") == {"no"}
    assert "resume" in answers_anywhere("carry on")
    assert answers_anywhere("Banner") == frozenset()  # a misspelling is no answer


@pytest.mark.parametrize("condition", ["reverb", "snr10"])
def test_left_said_to_a_yes_no_question_is_not_taken_for_yes(
    whisper: WhisperRecognizer, condition: str
) -> None:
    """Whisper writes the British "left" down as "left", yet scored it nearer "yes"
    than "no" (reverberant: taken as *skip*, "next"; at 10 dB as *yes*)."""
    from assistant.bench.asr_clips import Clip, mix

    name = "answers/left_en-gb.wav"
    audio = read_audio(fixtures_dir() / name)
    noisy = mix(Clip(name, "other", "yes-no", None, audio, 634), condition, 390)
    result = decode_clip(whisper, noisy, "yes-no")
    assert not isinstance(result, Heard), result
    assert whisper.last_verdict is not None and whisper.last_verdict.reason == "another answer"
