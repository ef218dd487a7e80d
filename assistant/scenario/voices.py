"""espeak-ng speaking a scripted user's replies (and the committed fixtures' phrases).

The scenario runner turns ``say:`` turns into audio with it; the fixture generator
(``assistant.bench.fixtures``) uses the same synthesis, so a scripted reply
sounds like the fixture clip of the same words.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..audioio import keyed_rng, read_audio

__all__ = ["Voice", "synthesize", "SPEECH_RMS_DBFS"]

SPEECH_RMS_DBFS = -20.0


@dataclass(frozen=True)
class Voice:
    name: str  # espeak-ng voice (with variant)
    rate_wpm: int
    label: str = ""  # file-name id; defaults to the voice name

    @property
    def id(self) -> str:
        return self.label or self.name.replace("+", "-")


def synthesize(text: str, voice: Voice, workdir: Path) -> npt.NDArray[np.float32]:
    """espeak-ng speech, 16 kHz mono float (int16 scale), trimmed to the speech."""
    out = workdir / "tts.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice.name, "-s", str(voice.rate_wpm), "-w", str(out), text],
        check=True,
        capture_output=True,
    )
    samples = read_audio(out).astype(np.float32)
    loud = np.nonzero(np.abs(samples) > 150)[0]
    if loud.size == 0:
        raise RuntimeError(f"espeak-ng produced no audio for {text!r} ({voice.name})")
    speech = samples[loud[0] : loud[-1] + 1]
    rms = float(np.sqrt(np.mean(speech**2))) or 1.0
    target = 32768.0 * 10 ** (SPEECH_RMS_DBFS / 20)
    # A per-voice level spread (-4..+2 dB), the same on every run.
    gain = target / rms * 10 ** (keyed_rng("gain:" + voice.id).uniform(-4, 2) / 20)
    return speech * gain
