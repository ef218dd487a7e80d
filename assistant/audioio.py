"""Read and write audio files as 16 kHz mono int16 numpy arrays; the one dither.

Any rate and channel count libsndfile can read (WAV 8/16/24/32-bit or float,
FLAC, NIST SPHERE, ...) is converted: channels are averaged and the rate is
changed with ``soxr``.  Every failure is an ``AudioFileError`` whose one-line
message names the file.  ``soundfile`` and ``soxr`` are imported when a file is
first read or written: the live session imports this module for ``dither`` and
its first word should not wait for them.
"""

from __future__ import annotations

import zlib
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
    "write_audio",
    "to_mono_16k",
    "float_to_int16",
    "dither",
    "keyed_rng",
    "FIXTURE_DITHER_RMS",
]

SAMPLE_RATE = 16000

Int16Array = npt.NDArray[np.int16]

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


def _read(path: Path, dtype: str) -> tuple[npt.NDArray[Any], int]:
    """(frames x channels, sample rate); the one place a file is decoded."""
    if not path.exists():
        raise AudioFileError(f"{path}: no such file")
    if path.is_dir():
        raise AudioFileError(f"{path}: is a folder, not an audio file")
    import soundfile as sf

    try:
        data, rate = sf.read(str(path), dtype=dtype, always_2d=True)
    except sf.LibsndfileError as exc:
        raise AudioFileError(
            f"{path}: not a readable audio file ({exc.error_string}); give a WAV file"
        ) from exc
    except OSError as exc:
        raise AudioFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except RuntimeError as exc:
        raise AudioFileError(f"{path}: not a readable audio file ({exc})") from exc
    if data.shape[0] == 0:
        raise AudioFileError(f"{path}: contains no audio")
    return data, int(rate)


def read_audio(path: str | Path) -> Int16Array:
    """Read an audio file and return 16 kHz mono int16 samples."""
    data, rate = _read(Path(path), "float32")
    return to_mono_16k(data, rate)


def read_audio_native(path: str | Path) -> tuple[Int16Array, int]:
    """(mono int16 samples, the file's own rate): exact for 16-bit files, so a
    cache of synthesised speech reads back what was written."""
    data, rate = _read(Path(path), "int16")
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
