"""``bench asr``'s clips: the committed fixtures and real speakers, and the
listening conditions (room noise at a given SNR, a reverberant room) they are mixed into.

Apart from the measuring so that tests and other benches can build the same noisy
clips without loading a recognizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..audioio import read_audio
from ..errors import AssistantError
from ..paths import fixtures_dir
from .fixtures import ManifestRow, read_manifest

CONDITIONS = ("clean", "snr20", "snr10", "snr5", "snr0", "reverb")
REJECT_CONTEXTS = ("symptom", "yes-no", "number", "command")
REAL = "real-speakers"
NOMINAL_SPEECH_DBFS = -20.0


#: Real-speaker words: folder name -> (context, intent).
REAL_WORDS: dict[str, tuple[str, str]] = {
    "yes": ("yes-no", "yes"),
    "no": ("yes-no", "no"),
    "stop": ("command", "stop"),
    "go": ("command", "resume"),
    "repeat": ("command", "repeat"),
    "help": ("command", "help"),
    **{
        word: ("number", str(n))
        for n, word in enumerate(
            ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        )
    },
}


@dataclass
class Clip:
    name: str
    kind: str  # phrase | oov | noise | real | other (an answer said where it is none)
    context: str
    intent: str | None
    audio: npt.NDArray[np.int16]
    speech_end_ms: int | None  # None: unknown


def _room_noise(n: int, seed: int) -> npt.NDArray[np.float64]:
    """Pink-ish noise (1/f power), deterministic per clip."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    freqs = np.fft.rfftfreq(n, 1 / 16000)
    spectrum /= np.sqrt(np.maximum(freqs, 50.0))
    noise = np.fft.irfft(spectrum, n)
    return noise / (np.sqrt(np.mean(noise**2)) or 1.0)


def _room_impulse(seed: int, rt60_s: float = 0.5) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    n = int(rt60_s * 16000)
    t = np.arange(n) / 16000
    tail = rng.normal(0, 1, n) * np.exp(-6.9 * t / rt60_s) * 0.25
    tail[: int(0.005 * 16000)] = 0  # early gap before reflections
    tail[0] = 1.0
    return tail


def mix(clip: Clip, condition: str, seed: int) -> npt.NDArray[np.int16]:
    """The clip under ``condition`` (clean | snrN | reverb)."""
    audio = clip.audio.astype(np.float64)
    if condition == "clean":
        return clip.audio
    if condition == "reverb":
        wet = np.convolve(audio, _room_impulse(seed))[: audio.size]
        wet *= np.sqrt(np.mean(audio**2) / (np.mean(wet**2) or 1.0))
        return np.clip(np.round(wet), -32768, 32767).astype(np.int16)
    snr_db = float(condition.removeprefix("snr"))
    if clip.kind in ("phrase", "oov", "other") and clip.speech_end_ms:
        speech = audio[int(0.25 * 16000) : clip.speech_end_ms * 16]
        power = float(np.mean(speech**2))
    else:
        power = (32768 * 10 ** (NOMINAL_SPEECH_DBFS / 20)) ** 2
    noise = _room_noise(audio.size, seed) * float(np.sqrt(power / 10 ** (snr_db / 10)))
    noisy: npt.NDArray[np.int16] = np.clip(np.round(audio + noise), -32768, 32767).astype(np.int16)
    return noisy


def fixture_clip(file: str, context: str) -> Clip:
    """One fixture clip by its file, as the bench builds it, heard in ``context``."""
    row = next((r for r in read_manifest() if r.file == file), None)
    if row is None:
        raise KeyError(f"{file}: no such clip in the fixtures' manifest")
    return _clip(row, context)


def _clip(row: ManifestRow, context: str) -> Clip:
    audio = read_audio(fixtures_dir() / row.file)
    return Clip(row.file, row.kind, context, row.intent or None, audio, row.speech_end_ms or None)


def fixture_clips(every: int) -> list[Clip]:
    """Every ``every``-th phrase, OOV and noise clip, then the other answers
    (``other_answer_clips``): the first are chosen as before they were added."""
    clips = []
    rows = [r for r in read_manifest() if r.kind in ("phrase", "oov", "noise")]
    for index, row in enumerate(rows[::every]):
        context = row.context or REJECT_CONTEXTS[index % len(REJECT_CONTEXTS)]
        clips.append(_clip(row, context))
    return clips + other_answer_clips(every)


def other_answer_clips(every: int) -> list[Clip]:
    """Each single-word answer clip ("no", "six", "worse") in every listening context
    where its word is not an answer (every ``every``-th of them): a word the coach
    knows, said where it means nothing ("no" while paused must not resume)."""
    from ..asr.matcher import match_intent
    from ..events import CONTEXTS, Heard

    clips = []
    for row in read_manifest():
        if row.kind != "answer":
            continue
        audio = read_audio(fixtures_dir() / row.file)
        for context in map(str, CONTEXTS):
            if not isinstance(match_intent(row.transcript, context), Heard):
                clips.append(
                    Clip(row.file, "other", context, None, audio, row.speech_end_ms or None)
                )
    return clips[::every]


def real_speaker_clips(folder: Path) -> list[Clip]:
    """Real recordings under ``folder`` (../shared/speech); empty when absent."""
    if not folder.is_dir():
        return []
    rng = np.random.default_rng(7)
    clips = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".wav", ".sph") or path.parent.name not in REAL_WORDS:
            continue
        context, intent = REAL_WORDS[path.parent.name]
        try:
            audio = read_audio(path, max_s=10.0).astype(np.float64)  # a word: 10 s at most
        except AssistantError:
            continue
        # 0.3 s of room tone either side (the recordings start and stop at the word)
        # and the same low-level dither over them as in the generated fixtures.
        padded = np.concatenate([np.zeros(4800), audio, np.zeros(4800)])
        padded += rng.normal(0, 6, padded.size)
        samples = np.clip(np.round(padded), -32768, 32767).astype(np.int16)
        name = str(path.relative_to(folder))
        clips.append(Clip(name, "real", context, intent, samples, None))
    return clips
