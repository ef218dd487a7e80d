"""Cheap signal checks used for rejection: how much of an utterance is voiced.

Speech has voiced stretches (a periodic signal at 80-400 Hz pitch, with energy
well above 250 Hz); fan noise, breathing and coughs do not, and mains hum is
removed by the 250 Hz high-pass before the periodicity check.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["voiced_ms", "modulation_db", "speech_band_ratio", "snr_db"]

_RATE = 16000
_WIN = 480  # 30 ms
_HOP = 160  # 10 ms
_MIN_LAG, _MAX_LAG = 40, 200  # 400 Hz .. 80 Hz


def _highpass(x: npt.NDArray[np.float64], cutoff_hz: float = 250.0) -> npt.NDArray[np.float64]:
    spectrum = np.fft.rfft(x)
    spectrum[np.fft.rfftfreq(x.size, 1.0 / _RATE) < cutoff_hz] = 0
    return np.fft.irfft(spectrum, x.size)


def voiced_ms(samples: npt.NDArray[np.int16], threshold: float = 0.45) -> int:
    """Milliseconds of ``samples`` (16 kHz) that look voiced."""
    x = _highpass(samples.astype(np.float64))
    if x.size < _WIN:
        return 0
    count = 1 + (x.size - _WIN) // _HOP
    index = np.arange(_WIN)[None, :] + _HOP * np.arange(count)[:, None]
    frames = x[index] * np.hanning(_WIN)[None, :]
    energy = np.sum(frames**2, axis=1)
    spectrum = np.fft.rfft(frames, 1024, axis=1)
    autocorr = np.fft.irfft(np.abs(spectrum) ** 2, 1024, axis=1)[:, : _MAX_LAG + 1]
    peak = autocorr[:, _MIN_LAG : _MAX_LAG + 1].max(axis=1) / np.maximum(autocorr[:, 0], 1e-9)
    loud = energy > energy.max() * 10 ** (-35 / 10)
    return int(np.count_nonzero((peak > threshold) & loud)) * 10


def modulation_db(samples: npt.NDArray[np.int16]) -> float:
    """Spread (90th - 10th percentile, dB) of 10 ms frame energies: speech rises and
    falls syllable by syllable; fan noise and hum hardly move."""
    count = samples.size // _HOP
    if count < 5:
        return 0.0
    frames = samples[: count * _HOP].astype(np.float64).reshape(count, _HOP)
    energy_db = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1.0)
    high, low = np.percentile(energy_db, [90, 10])
    return float(high - low)


def speech_band_ratio(samples: npt.NDArray[np.int16], low_hz: float = 250.0) -> float:
    """Share of the energy between ``low_hz`` and 4 kHz (speech: most of it; hum and
    rumble: little).  From 250 Hz, a deep voice whose pitch and first harmonics lie
    below it can look like rumble; from 100 Hz it does not, and mains hum (its 50 or
    60 Hz and their first harmonics) still has little there."""
    x = samples.astype(np.float64)
    if x.size < 16:
        return 0.0
    power = np.abs(np.fft.rfft(x - x.mean())) ** 2
    freqs = np.fft.rfftfreq(x.size, 1.0 / _RATE)
    total = float(power.sum()) or 1.0
    return float(power[(freqs >= low_hz) & (freqs <= 4000)].sum()) / total


def snr_db(
    audio: npt.NDArray[np.int16], core: npt.NDArray[np.int16], end_offset: int, tail_ms: int = 60
) -> float:
    """Loudness of the utterance over the room's noise: the quieter of the 150 ms
    before it (the start of the pre-roll) and the ``tail_ms`` after it (so
    speech at the very start of a recording is not taken for the noise)."""

    def power(x: npt.NDArray[np.int16]) -> float:
        return float(np.mean(x.astype(np.float64) ** 2)) + 1.0 if x.size else math.inf

    before = audio[: 150 * 16]
    after = audio[end_offset : end_offset + tail_ms * 16]
    return 10.0 * math.log10(power(core) / min(power(before), power(after)))
