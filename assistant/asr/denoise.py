"""Noise reduction for utterances heard in a noisy room.

Non-stationary spectral gating (``noisereduce``): the noise level is estimated per
frequency from the recording itself, over time, so a fan, traffic or a television
in the next room is lowered while the voice, which rises well above it, is kept.
Only utterances that stand less than ``SphinxRecognizer``'s threshold over the room's
noise are cleaned: on clear speech it would only cost accuracy and time.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["denoise", "preload"]

SAMPLE_RATE = 16000


def preload() -> None:
    """Import the library ahead of need (it takes a second or two: scipy)."""
    import noisereduce  # noqa: F401


def denoise(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """``samples`` (16 kHz mono) with the steady part of the background lowered."""
    import noisereduce

    cleaned: npt.NDArray[np.float32] = noisereduce.reduce_noise(
        y=samples.astype(np.float32), sr=SAMPLE_RATE, stationary=False, n_jobs=1
    )
    return np.clip(np.round(cleaned), -32768, 32767).astype(np.int16)
