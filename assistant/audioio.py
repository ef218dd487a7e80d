"""Read and write audio files as 16 kHz mono int16 numpy arrays; the one dither.

Any rate and channel count libsndfile can read (WAV 8/16/24/32-bit or float,
FLAC, NIST SPHERE, ...) is converted: channels are averaged and the rate is
changed with ``soxr``.  Every failure is an ``AudioFileError`` whose one-line
message names the file.  ``soundfile`` and ``soxr`` are imported when a file is
first read or written: the live session imports this module for ``dither`` and
its first word should not wait for them.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import RecognizerError

__all__ = [
    "SAMPLE_RATE",
    "AudioFileError",
    "read_audio",
    "read_audio_native",
    "stream_audio",
    "write_audio",
    "to_mono_16k",
    "float_to_int16",
    "dither",
    "keyed_rng",
    "FIXTURE_DITHER_RMS",
]

SAMPLE_RATE = 16000

Int16Array = npt.NDArray[np.int16]
#: Frames read at a time (about 6 s at 44.1 kHz): what a long file costs in memory.
BLOCK_FRAMES = 1 << 18

#: The committed fixtures' (and scripted replies') room: int16 units, about -75 dBFS.
FIXTURE_DITHER_RMS = 6.0


class AudioFileError(RecognizerError):
    """An audio file is missing, unreadable or not audio."""


def float_to_int16(samples: npt.NDArray[np.floating]) -> Int16Array:
    """Float samples in [-1, 1] to int16, clipping."""
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)


def to_mono_16k(samples: npt.ArrayLike, sample_rate: int) -> Int16Array:
    """Mix ``samples`` (frames x channels, int16 or float in [-1, 1]) to 16 kHz mono int16."""
    data = np.asarray(samples)
    if np.issubdtype(data.dtype, np.integer):
        scale = float(np.iinfo(data.dtype).max) + 1.0
        floats = data.astype(np.float32) / scale
    else:
        floats = data.astype(np.float32)
    if floats.ndim == 2:
        floats = floats.mean(axis=1)
    if sample_rate != SAMPLE_RATE and floats.size:
        import soxr

        floats = soxr.resample(floats, sample_rate, SAMPLE_RATE, quality="HQ")
    return float_to_int16(floats)


def _open(path: Path) -> Any:
    """The file as a ``soundfile.SoundFile``; the one place a file is opened for reading."""
    if not path.exists():
        raise AudioFileError(f"{path}: no such file")
    if path.is_dir():
        raise AudioFileError(f"{path}: is a folder, not an audio file")
    import soundfile as sf

    try:
        handle = sf.SoundFile(str(path))
    except (OSError, RuntimeError, ValueError) as exc:
        raise _unreadable(path, exc) from exc
    if handle.frames == 0:
        handle.close()
        raise AudioFileError(f"{path}: contains no audio")
    return handle


def _unreadable(path: Path, exc: Exception) -> AudioFileError:
    import soundfile as sf

    if isinstance(exc, sf.LibsndfileError):
        return AudioFileError(
            f"{path}: not a readable audio file ({exc.error_string}); give a WAV file"
        )
    if isinstance(exc, OSError):
        return AudioFileError(f"{path}: cannot read ({exc.strerror or exc})")
    return AudioFileError(f"{path}: not a readable audio file ({exc})")


def stream_audio(
    path: str | Path, block_frames: int = BLOCK_FRAMES
) -> Generator[Int16Array, None, None]:
    """A file as blocks of 16 kHz mono int16, read and resampled one block at a time,
    so memory is that of a block however long the file.  The blocks joined are
    exactly what ``read_audio`` returns (soxr's stream gives the one-shot result)."""
    path = Path(path)
    with _open(path) as handle:
        resampler = None
        if handle.samplerate != SAMPLE_RATE:
            import soxr

            resampler = soxr.ResampleStream(
                handle.samplerate, SAMPLE_RATE, 1, dtype="float32", quality="HQ"
            )
        while True:
            try:
                data = handle.read(block_frames, dtype="float32", always_2d=True)
            except (OSError, RuntimeError, ValueError) as exc:  # damaged half-way
                raise _unreadable(path, exc) from exc
            mono = data.mean(axis=1)
            if resampler is not None:
                mono = resampler.resample_chunk(mono, last=len(data) < block_frames)
            if mono.size:
                yield float_to_int16(mono)
            if len(data) < block_frames:
                return


def read_audio(path: str | Path, max_s: float | None = None) -> Int16Array:
    """Read an audio file and return 16 kHz mono int16 samples; with ``max_s``,
    only that much of its start, and reading stops there (a long file costs a block)."""
    wanted = None if max_s is None else int(max_s * SAMPLE_RATE)
    blocks: list[Int16Array] = []
    with contextlib.closing(stream_audio(path)) as stream:
        for block in stream:
            blocks.append(block)
            if wanted is not None and sum(b.size for b in blocks) >= wanted:
                break
    samples = np.concatenate(blocks) if blocks else np.zeros(0, np.int16)
    return samples if wanted is None else samples[:wanted]


def read_audio_native(path: str | Path) -> tuple[Int16Array, int]:
    """(mono int16 samples, the file's own rate): exact for 16-bit files, so a
    cache of synthesised speech reads back what was written."""
    path = Path(path)
    with _open(path) as handle:
        try:
            data = handle.read(dtype="int16", always_2d=True)
        except (OSError, RuntimeError, ValueError) as exc:
            raise _unreadable(path, exc) from exc
        rate = int(handle.samplerate)
    if data.shape[1] == 1:
        return data[:, 0].copy(), rate
    return data.mean(axis=1).astype(np.int16), rate


def write_audio(path: str | Path, samples: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> None:
    """Write int16 (or float) samples; the format follows the suffix (.wav 16-bit, .flac)."""
    path = Path(path)
    data = np.asarray(samples)
    if not np.issubdtype(data.dtype, np.integer):
        data = float_to_int16(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    import soundfile as sf

    try:
        sf.write(str(path), data.astype(np.int16), sample_rate, subtype="PCM_16")
    except (sf.LibsndfileError, OSError, RuntimeError) as exc:
        raise AudioFileError(f"{path}: cannot write ({exc})") from exc


def keyed_rng(key: str) -> np.random.Generator:
    """Random numbers seeded by a name: the same key gives the same numbers on every
    machine and Python (``hash()`` is salted per process), so generated audio is
    reproducible byte for byte."""
    return np.random.default_rng(zlib.crc32(key.encode("utf-8")))


def dither(count: int, seed: int | str | None = None, rms: float = 8.0) -> npt.NDArray[np.float32]:
    """Faint noise (int16 scale) instead of digital silence, which PocketSphinx
    misdecodes and a noise-floor tracker sinks to.  ``seed``: a name (reproducible,
    see ``keyed_rng``), a number, or ``None`` for fresh noise."""
    rng = keyed_rng("dither:" + seed) if isinstance(seed, str) else np.random.default_rng(seed)
    return rng.normal(0.0, rms, count).astype(np.float32)
