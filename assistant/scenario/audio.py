"""The user's replies as a microphone would hear them.

A ``say:`` reply is synthesised by espeak-ng with the fixture generator's
synthesis, a ``wav:`` reply is read from the recording, and silence is a quiet
room.  Speech gets a lead-in (the user's reaction time) and a tail of the same
low-level dither around it, never digital zeros (PocketSphinx misdecodes
those).  Synthesised and read audio is cached in memory for the whole run.
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..audioio import FIXTURE_DITHER_RMS, dither
from ..paths import fixtures_dir

__all__ = ["Reply", "ReplyAudio", "SAMPLE_RATE", "REACTION_MS", "TAIL_MS", "room"]

SAMPLE_RATE = 16000
#: The user starts answering this long after the coach stops talking.
REACTION_MS = 400
#: Quiet room after the user stops talking, so the recognizer's endpointer fires.
TAIL_MS = 600

Samples = npt.NDArray[np.int16]
Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Reply:
    """What the user does: say ``text``, play the recording ``wav``, or stay silent."""

    text: str | None = None
    wav: Path | None = None
    silence_ms: int = 0
    voice: str = "en-us+klatt2"
    rate_wpm: int = 150
    label: str | None = None  # how the transcript shows a recording

    def describe(self) -> str:
        if self.text is not None:
            return self.text
        if self.wav is not None:
            return self.label or f"[{self.wav.name}]"
        return f"({self.silence_ms / 1000:g} s of silence)"


def room(count: int, key: str) -> Floats:
    """Low-level dither (the fixtures' level): a quiet room, never digital zeros."""
    return dither(count, key, FIXTURE_DITHER_RMS)


def _int16(samples: Floats) -> Samples:
    return np.clip(np.round(samples), -32768, 32767).astype(np.int16)


def _ms_to_samples(ms: int) -> int:
    return ms * SAMPLE_RATE // 1000


class ReplyAudio:
    """Makes (and caches) the audio of replies."""

    def __init__(self) -> None:
        self._speech: dict[tuple[str, str, int], Floats] = {}
        self._recordings: dict[Path, Floats] = {}
        self._transcripts: dict[str, str] | None = None

    def synthesise(self, text: str, voice: str, rate_wpm: int) -> Floats:
        """espeak-ng speech, trimmed and levelled (the fixture generator's synthesis)."""
        key = (text, voice, rate_wpm)
        if key not in self._speech:
            from .voices import Voice, synthesize

            with tempfile.TemporaryDirectory(prefix="backcoach-say-") as workdir:
                speech = synthesize(text, Voice(voice, rate_wpm), Path(workdir))
            self._speech[key] = speech.astype(np.float32)
        return self._speech[key]

    def recording(self, path: Path) -> Floats:
        if path not in self._recordings:
            from ..audioio import read_audio

            self._recordings[path] = read_audio(path).astype(np.float32)
        return self._recordings[path]

    def transcript_of(self, path: Path) -> str | None:
        """The words of a fixture recording, from ``audio_fixtures/manifest.csv``."""
        if self._transcripts is None:
            self._transcripts = {}
            manifest = fixtures_dir() / "manifest.csv"
            if manifest.is_file():
                with manifest.open(encoding="utf-8", newline="") as handle:
                    for row in csv.DictReader(handle):
                        self._transcripts[row["file"]] = row["transcript"]
        try:
            relative = path.resolve().relative_to(fixtures_dir().resolve()).as_posix()
        except ValueError:
            return None
        return self._transcripts.get(relative)

    def samples(self, reply: Reply) -> Samples:
        """The reply as a microphone gives it: quiet room, the speech, quiet room."""
        if reply.text is not None:
            speech = self.synthesise(reply.text, reply.voice, reply.rate_wpm)
            key = f"say:{reply.voice}:{reply.rate_wpm}:{reply.text}"
        elif reply.wav is not None:
            speech = self.recording(reply.wav)
            key = f"wav:{reply.wav.name}"
        else:
            return _int16(room(_ms_to_samples(reply.silence_ms), f"silence:{reply.silence_ms}"))
        lead = np.zeros(_ms_to_samples(REACTION_MS), np.float32)
        tail = np.zeros(_ms_to_samples(TAIL_MS), np.float32)
        clip = np.concatenate([lead, speech, tail])
        return _int16(clip + room(clip.size, key))
