"""Audio files at any common rate and channel count become 16 kHz mono int16."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.asr.protocol import decode_clip
from assistant.asr.sphinx import SphinxRecognizer
from assistant.audioio import AudioFileError, read_audio, write_audio
from assistant.errors import RecognizerError
from assistant.paths import fixtures_dir


def tone(rate: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return 0.3 * np.sin(2 * np.pi * 440 * t)


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("subtype", ["PCM_16", "FLOAT"])
def test_any_rate_and_channels_become_16k_mono(
    tmp_path: Path, rate: int, channels: int, subtype: str
) -> None:
    data = tone(rate)
    if channels == 2:
        data = np.stack([data, data], axis=1)
    path = tmp_path / f"t_{rate}_{channels}.wav"
    sf.write(path, data, rate, subtype=subtype)
    out = read_audio(path)
    assert out.dtype == np.int16 and out.ndim == 1
    assert abs(out.size - 8000) <= 2
    rms = np.sqrt(np.mean(out.astype(float) ** 2)) / 32768
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.05)


def test_resampled_speech_is_still_understood(tmp_path: Path) -> None:
    speech = read_audio(fixtures_dir() / "answers/worse_en-gb.wav").astype(np.float32) / 32768
    import soxr

    recognizer = SphinxRecognizer()
    for rate in (22050, 48000):
        path = tmp_path / f"worse_{rate}.wav"
        stereo = np.stack([speech, speech], axis=1)
        sf.write(path, soxr.resample(stereo, 16000, rate), rate, subtype="PCM_16")
        result = decode_clip(recognizer, read_audio(path), "symptom")
        assert getattr(result, "intent", None) == "worse", (rate, result)


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    samples = (np.arange(1600) % 200 - 100).astype(np.int16)
    write_audio(tmp_path / "x.wav", samples)
    assert np.array_equal(read_audio(tmp_path / "x.wav"), samples)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"this is not audio at all", "not a readable audio file"),
        (b"", "not a readable audio file"),
    ],
)
def test_unreadable_files_name_the_file(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "answer.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioFileError, match=message) as info:
        read_audio(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, RecognizerError)


def test_a_folder_is_not_audio(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="folder"):
        read_audio(tmp_path)
