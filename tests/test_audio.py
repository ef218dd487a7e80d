"""Audio sources: a WAV file read like a microphone; dropouts are not silence; the
microphone's stamps agree with the speaker's."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.source import (
    SAMPLE_RATE,
    MicrophoneSource,
    WavFileSource,
    dither,
    fill_dropouts,
)
from assistant.audioio import write_audio
from assistant.bench.pulse import PulseAudio
from assistant.clock import MonotonicClock, VirtualClock
from assistant.errors import AudioDeviceError
from assistant.tts.player import SoundDevicePlayer
from assistant.tts.synth import Audio


def test_wav_file_source_reads_frames_in_real_time_on_the_clock(tmp_path: Path) -> None:
    path = tmp_path / "answer.wav"
    tone = (np.sin(np.arange(44100) / 7) * 8000).astype(np.int16)  # 1 s at 44.1 kHz
    write_audio(path, tone, 44100)
    clock = VirtualClock()
    source = WavFileSource(path, clock, realtime=True, tail_s=0.5)
    source.start()
    frames = []
    with pytest.raises(EOFError):
        while True:
            frame = source.read(1.0)
            assert frame is not None
            frames.append(frame)
    assert [f.timestamp_ms for f in frames[:3]] == [0, 20, 40]
    assert len(frames) == 75  # 1.5 s of 20 ms frames at 16 kHz
    assert clock.now_ms() == 1500  # paced like a microphone
    assert all(f.samples.any() for f in frames)  # the tail is faint noise, not zeros


def test_unreadable_wav_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"not audio")
    with pytest.raises(AudioDeviceError, match=r"broken\.wav"):
        WavFileSource(bad)


def test_dropouts_become_faint_noise_but_quiet_speech_is_untouched() -> None:
    noise = dither(320, seed=1)
    speech = (np.sin(np.arange(320) / 3) * 50).astype(np.int16)
    assert fill_dropouts(speech, noise) is speech
    gap = speech.copy()
    gap[100:200] = 0
    filled = fill_dropouts(gap, noise)
    assert np.count_nonzero(filled[100:200]) > 80
    assert np.array_equal(filled[:100], speech[:100])


@pytest.mark.audio
def test_the_microphone_and_the_speaker_stamp_one_sound_at_the_same_moment(
    pulse: PulseAudio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The player plays into the virtual microphone: the microphone's stamp of the
    beep's first sample is the player's stamp of it, so "end of speech" and "the
    coach started" are on one clock (the self-hearing guard, the reply's time).
    Stamped with the stream's nominal latency instead, the beep came ~50 ms early."""
    monkeypatch.setenv("PULSE_SINK", "mic")
    clock = MonotonicClock()
    mic = MicrophoneSource(clock, "pulse")
    player = SoundDevicePlayer(clock, "pulse", sample_rate=SAMPLE_RATE)
    mic.start()
    player.open()
    beep = (8000 * np.sin(np.arange(SAMPLE_RATE // 5) * 2 * np.pi / 16)).astype(np.int16)
    offsets = []
    try:
        for utterance in range(1, 4):
            start_at = clock.now_ms() + 300
            player.play(Audio(beep, SAMPLE_RATE), utterance, start_at)
            heard = None
            deadline = time.monotonic() + 3.0
            while heard is None and time.monotonic() < deadline:
                frame = mic.read(0.05)
                loud = [] if frame is None else np.flatnonzero(np.abs(frame.samples) > 3000)
                if frame is not None and len(loud) and frame.timestamp_ms > start_at - 200:
                    heard = frame.timestamp_ms + loud[0] * 1000 / SAMPLE_RATE
            started = [e.timestamp_ms for e in player.events() if e.kind == "started"]
            assert heard is not None and started, "the beep never reached the microphone"
            offsets.append(heard - started[-1])
            time.sleep(0.5)
    finally:
        mic.stop()
        player.close()
    assert abs(float(np.median(offsets))) <= 15, offsets
