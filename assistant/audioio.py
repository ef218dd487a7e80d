"""Read and write audio files as 16 kHz mono int16 numpy arrays.

Any rate and channel count libsndfile can read (WAV 8/16/24/32-bit or float,
FLAC, NIST SPHERE, ...) is converted: channels are averaged and the rate is
changed with ``soxr``.  Every failure is an ``AudioFileError`` whose one-line
message names the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from .errors import RecognizerError

__all__ = [
    "SAMPLE_RATE",
    "AudioFileError",
    "read_audio",
    "write_audio",
    "to_mono_16k",
    "float_to_int16",
]

SAMPLE_RATE = 16000

Int16Array = npt.NDArray[np.int16]


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
        floats = soxr.resample(floats, sample_rate, SAMPLE_RATE, quality="HQ")
    return float_to_int16(floats)


def read_audio(path: str | Path) -> Int16Array:
    """Read an audio file and return 16 kHz mono int16 samples."""
    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"{path}: no such file")
    if path.is_dir():
        raise AudioFileError(f"{path}: is a folder, not an audio file")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
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
    return to_mono_16k(data, int(rate))


def write_audio(path: str | Path, samples: npt.ArrayLike, sample_rate: int = SAMPLE_RATE) -> None:
    """Write int16 (or float) samples; the format follows the suffix (.wav 16-bit, .flac)."""
    path = Path(path)
    data = np.asarray(samples)
    if not np.issubdtype(data.dtype, np.integer):
        data = float_to_int16(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        sf.write(str(path), data.astype(np.int16), sample_rate, subtype="PCM_16")
    except (sf.LibsndfileError, OSError, RuntimeError) as exc:
        raise AudioFileError(f"{path}: cannot write ({exc})") from exc
