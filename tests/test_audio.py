"""Audio sources: a WAV file read like a microphone; dropouts are not silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.audio.source import WavFileSource, dither, fill_dropouts
from assistant.audioio import write_audio
from assistant.clock import VirtualClock
from assistant.errors import AudioDeviceError


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
