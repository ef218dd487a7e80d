"""Speech out: synthesis, the prompt cache, and playback through a real (virtual) speaker."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from assistant.bench.pulse import PulseAudio
from assistant.clock import MonotonicClock, VirtualClock
from assistant.errors import SpeechOutputError
from assistant.tts import Pyttsx3Synth, RecordingSpeaker, SoundDevicePlayer, VoiceSpeaker


def test_synth_speaks_and_caches_short_prompts(tmp_path: Path) -> None:
    synth = Pyttsx3Synth("en-us", 160, 1.0, cache_dir=tmp_path)
    three = synth.synthesize("three", cacheable=True)
    assert 100 < three.duration_ms < 1500
    assert np.abs(three.samples).max() > 1000
    assert synth.synthesize("three", cacheable=True) is three
    # a new session finds it on disk
    again = Pyttsx3Synth("en-us", 160, 1.0, cache_dir=tmp_path).synthesize("three", True)
    assert np.array_equal(again.samples, three.samples)
    slower = Pyttsx3Synth("en-us", 90, 1.0).synthesize("three")
    assert slower.duration_ms > three.duration_ms


def test_unknown_voice_is_one_clear_error() -> None:
    with pytest.raises(SpeechOutputError, match="voice 'no-such-voice'"):
        Pyttsx3Synth("no-such-voice").synthesize("hello")


def test_recording_speaker_reports_real_end_and_barge_in() -> None:
    clock = VirtualClock()
    speaker = RecordingSpeaker(clock, rate_wpm=150)
    speaker.say("hold for ten seconds", 1)
    assert speaker.speaking and speaker.text_now() == "hold for ten seconds"
    clock.advance(300)
    speaker.stop()
    [finished] = speaker.finished(clock.now_ms())
    assert finished.utterance_id == 1 and finished.interrupted
    speaker.say("relax", 2)
    clock.advance(5000)
    [finished] = speaker.finished(clock.now_ms())
    assert (finished.utterance_id, finished.interrupted) == (2, False)
    assert not speaker.speaking


def _loud(samples: np.ndarray) -> float:
    """Seconds of sound (20 ms windows above a speech-like level)."""
    windows = samples[: len(samples) // 320 * 320].reshape(-1, 320).astype(float)
    return float((np.sqrt((windows**2).mean(axis=1)) > 300).sum() * 0.02)


@pytest.mark.audio
def test_speech_reaches_the_speaker_and_stop_cuts_it(pulse: PulseAudio) -> None:
    clock = MonotonicClock()
    player = SoundDevicePlayer(clock, "pulse")
    player.open()
    speaker = VoiceSpeaker(Pyttsx3Synth("en-us", 150, 1.0), player)
    recording = pulse.record_speaker()
    try:
        speaker.say("Is the leg pain better, worse or the same?", 1)
        full = speaker.synth.synthesize("Is the leg pain better, worse or the same?")
        while speaker.speaking:
            time.sleep(0.02)
            done = speaker.finished(clock.now_ms())
            if done:
                assert not done[0].interrupted
        time.sleep(0.3)
        heard_full = _loud(recording.samples())
        speaker.say("Lie face down with your arms by your sides and breathe slowly.", 2)
        time.sleep(0.5)
        speaker.stop()
        cut = []
        while speaker.speaking:
            time.sleep(0.02)
            cut += speaker.finished(clock.now_ms())
        time.sleep(0.3)
    finally:
        samples = recording.stop()
        speaker.close()
    assert heard_full > 0.6 * full.duration_ms / 1000
    assert cut and cut[0].interrupted
    # the long sentence was cut: far less of it reached the speaker than its length
    assert _loud(samples) - heard_full < 1.5
