"""Long recordings are read in blocks: ``recognize`` and ``bench asr`` stay small
whatever the length of the file (a 30-minute 44.1 kHz stereo file read at once
peaked at 1.6 GB)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from assistant.audioio import read_audio
from assistant.paths import fixtures_dir

pytestmark = pytest.mark.slow

RATE = 44100
MINUTES = 6
LIMIT_MB = 200


@pytest.fixture(scope="module")
def long_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six minutes of a quiet room in 44.1 kHz stereo, "worse" said every 10 s."""
    path = tmp_path_factory.mktemp("long") / "session.wav"
    word = read_audio(fixtures_dir() / "answers/worse_en-gb.wav").astype(np.float32) / 32768
    word = soxr.resample(word, 16000, RATE)
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", RATE, 2, "PCM_16") as out:
        for _ in range(MINUTES * 6):
            block = rng.normal(0, 0.001, (RATE * 10, 2)).astype(np.float32)
            block[RATE : RATE + word.size] += word[:, None]
            out.write(block)
    return path


def peak_rss_mb(*command: str) -> tuple[float, str]:
    """(peak resident memory of the command alone, its stdout)."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    with process.stdout:
        output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, output


def test_recognize_streams_a_long_file(long_file: Path) -> None:
    peak, output = peak_rss_mb(
        sys.executable, "-m", "assistant", "recognize", "--context", "symptom",
        "--engine", "pocketsphinx", str(long_file),
    )  # fmt: skip
    assert f"{long_file}: worse" in output
    assert peak < LIMIT_MB, f"{peak:.0f} MB"


def test_blocks_join_to_the_whole_file(long_file: Path) -> None:
    from assistant.audioio import stream_audio

    whole = read_audio(long_file)
    assert whole.size == MINUTES * 60 * 16000
    blocks = list(stream_audio(long_file, block_frames=RATE * 7 + 13))
    assert len(blocks) > 40 and np.array_equal(np.concatenate(blocks), whole)


def test_bench_reads_only_the_head_of_a_long_recording(long_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "speech" / "yes"
    folder.mkdir(parents=True)
    os.symlink(long_file, folder / "long.wav")
    probe = (
        "import sys; from pathlib import Path; from assistant.bench.asr import real_speaker_clips;"
        "[clip] = real_speaker_clips(Path(sys.argv[1])); print(clip.audio.size)"
    )
    peak, output = peak_rss_mb(sys.executable, "-c", probe, str(tmp_path / "speech"))
    assert int(output) <= 11 * 16000  # the first ten seconds, and the padding
    assert peak < LIMIT_MB, f"{peak:.0f} MB"
