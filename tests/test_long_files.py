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


#: Runs ``code`` (with ``sys.argv[1:]`` its arguments) and then reports its own peak
#: resident memory: VmHWM starts afresh with the new program, while ru_maxrss would
#: carry over pytest's own peak from the fork.
_PROBE = """
import sys
code = sys.argv.pop(1)
try:
    exec(code)
finally:
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(line for line in status if line.startswith("VmHWM:")).split()[1]
    print(f"VmHWM {peak}", file=sys.stderr)
"""


def peak_rss_mb(code: str, *args: str) -> tuple[float, str]:
    """(peak resident memory of ``code`` run in a fresh Python, its stdout)."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, code, *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    peak_kb = next(line for line in result.stderr.splitlines() if line.startswith("VmHWM "))
    return int(peak_kb.split()[1]) / 1024, result.stdout


def test_recognize_streams_a_long_file(long_file: Path) -> None:
    peak, output = peak_rss_mb(
        "from assistant.cli import main; main(sys.argv[1:])",
        "recognize", "--context", "symptom", "--engine", "pocketsphinx", str(long_file),
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
        "from pathlib import Path; from assistant.bench.asr import real_speaker_clips;"
        "[clip] = real_speaker_clips(Path(sys.argv[1])); print(clip.audio.size)"
    )
    peak, output = peak_rss_mb(probe, str(tmp_path / "speech"))
    assert int(output) <= 11 * 16000  # the first ten seconds, and the padding
    assert peak < LIMIT_MB, f"{peak:.0f} MB"
